//! Patient search served from `patient_words` and the name-order index (migration 0005),
//! against the real server and PostgreSQL: the words follow every change of a name, a clinic
//! finds only its own patients, a broad prefix and a narrow one give the same answers as a
//! plain reading of the rule would, the count stops at its cap, and the audit entry says what
//! was searched and shown.
#![allow(clippy::unwrap_used, clippy::panic)]

use medoffice_e2e::{Http, System};
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

async fn search(http: &Http, token: &str, q: &str, extra: &str) -> anyhow::Result<Value> {
    let (s, l) = http
        .call(
            Method::GET,
            &format!("/api/v1/patients?q={}{extra}", urlencode(q)),
            Some(token),
            None,
        )
        .await?;
    assert_eq!(s, 200, "q={q}: {l}");
    Ok(l)
}

fn urlencode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn names(l: &Value) -> Vec<String> {
    l["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p["given_name"].as_str().unwrap(),
                p["family_name"].as_str().unwrap()
            )
        })
        .collect()
}

/// `patient_name_prefixes` (migration 0021) holds exactly the one- to three-letter starts of
/// `patient_words`' entries, each patient once per start with its page order: what the short
/// searches read and what the longer ones read agree, whatever was registered, renamed,
/// deleted or merged.
async fn assert_prefixes_match_words(database_url: &str) -> anyhow::Result<()> {
    let mut owner = medoffice_server::db::owner_connection(database_url).await?;
    let (rows, differ): (i64, i64) = sqlx::query_as(
        "WITH expected AS (SELECT DISTINCT tenant_id, left(word, n) AS prefix, family_key, given_key, patient_id \
                             FROM patient_words, generate_series(1, 3) AS n), \
              held AS (SELECT tenant_id, prefix, family_key, given_key, patient_id FROM patient_name_prefixes) \
         SELECT (SELECT count(*) FROM held), \
                (SELECT count(*) FROM ((SELECT * FROM expected EXCEPT SELECT * FROM held) \
                                       UNION ALL (SELECT * FROM held EXCEPT SELECT * FROM expected)) AS d)",
    )
    .fetch_one(&mut owner)
    .await?;
    assert!(rows > 0, "no prefixes held at all");
    assert_eq!(differ, 0, "prefixes and words disagree on {differ} rows");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn search_by_words_holds_its_rules() -> anyhow::Result<()> {
    let sys = System::start().await?;
    let north = sys.clinic("north", "Europe/London").await?;
    sys.clinic("south", "Europe/London").await?;
    let http = Http::new(&sys.server.url());
    let n = http.token("north", "reception").await?;
    let s = http.token("south", "reception").await?;

    let create = |token: &str, given: &str, family: &str| {
        let body = json!({"given_name": given, "family_name": family, "date_of_birth": "1980-05-01", "sex": "female"});
        let token = token.to_owned();
        let http = &http;
        async move {
            let (st, p) = http
                .call(Method::POST, "/api/v1/patients", Some(&token), Some(body))
                .await?;
            assert_eq!(st, 201, "{p}");
            anyhow::Ok(p)
        }
    };
    create(&n, "Zoë", "Okafor").await?;
    create(&n, "Amara", "Okonkwo").await?;
    let renamed = create(&n, "Tom", "Oldname").await?;
    let gone = create(&n, "Gina", "Gonewell").await?;
    create(&s, "Zoe", "Okafor").await?;

    // accents folded, words in any order, prefixes of any word; only this clinic's patients
    assert_eq!(names(&search(&http, &n, "oka", "").await?), ["Zoë Okafor"]);
    assert_eq!(
        names(&search(&http, &n, "zoe oka", "").await?),
        ["Zoë Okafor"]
    );
    assert_eq!(
        names(&search(&http, &n, "ok", "").await?),
        ["Zoë Okafor", "Amara Okonkwo"]
    );
    assert_eq!(
        search(&http, &s, "ok", "").await?["meta"]["total"],
        json!(1)
    );
    // a wildcard is a character to find, not every patient
    for q in ["%", "_", "o%"] {
        assert_eq!(
            search(&http, &n, q, "").await?["meta"]["total"],
            json!(0),
            "q={q}"
        );
    }

    // the words follow a change of name and a deletion
    let (st, _) = http
        .call(
            Method::PATCH,
            &format!("/api/v1/patients/{}", renamed["id"].as_str().unwrap()),
            Some(&n),
            Some(json!({"base_revision": renamed["revision"], "family_name": "Newname"})),
        )
        .await?;
    assert_eq!(st, 200);
    assert_eq!(
        search(&http, &n, "oldn", "").await?["meta"]["total"],
        json!(0)
    );
    assert_eq!(
        names(&search(&http, &n, "newn", "").await?),
        ["Tom Newname"]
    );
    let admin = http.token("north", "admin").await?;
    let (st, _) = http
        .call(
            Method::DELETE,
            &format!("/api/v1/patients/{}", gone["id"].as_str().unwrap()),
            Some(&admin),
            None,
        )
        .await?;
    assert!(st == 200 || st == 204, "{st}");
    assert_eq!(
        search(&http, &n, "gonew", "").await?["meta"]["total"],
        json!(0)
    );
    // three letters or fewer read patient_name_prefixes: the same changes show there
    assert_eq!(
        search(&http, &n, "old", "").await?["meta"]["total"],
        json!(0)
    );
    assert_eq!(names(&search(&http, &n, "new", "").await?), ["Tom Newname"]);
    assert_eq!(
        search(&http, &n, "gon", "").await?["meta"]["total"],
        json!(0)
    );

    // 1,100 more through the same triggers (an owner's bulk insert, as an import would):
    // "ma" is then broad (walked in name order), "okon" stays narrow (its range of words)
    let mut owner = medoffice_server::db::owner_connection(&sys.database_url).await?;
    sqlx::query(
        "INSERT INTO patients (id, tenant_id, mrn, given_name, family_name, date_of_birth, sex, search_name) \
         SELECT gen_random_uuid(), $1, 'B' || lpad(i::text, 5, '0'), 'Mara', 'Mass' || lpad(i::text, 4, '0'), \
                DATE '1990-01-01', 'female', ' mara mass' || lpad(i::text, 4, '0') || ' ' \
         FROM generate_series(1, 1100) AS i",
    )
    .bind(north)
    .execute(&mut owner)
    .await?;
    let first = search(&http, &n, "ma", "&limit=20").await?;
    assert_eq!(first["meta"]["total"], json!(1000));
    assert_eq!(first["meta"]["total_capped"], json!(true));
    let expected: Vec<String> = (1..=20).map(|i| format!("Mara Mass{i:04}")).collect();
    assert_eq!(names(&first), expected);
    let second = search(&http, &n, "ma", "&limit=20&offset=20").await?;
    assert_eq!(names(&second)[0], "Mara Mass0021");
    // a second word narrows a broad one exactly; a narrow prefix is its range of words
    create(&n, "Mara", "Okoro").await?;
    let both = search(&http, &n, "mara oko", "").await?;
    assert_eq!(
        (names(&both), &both["meta"]["total"]),
        (vec!["Mara Okoro".to_owned()], &json!(1))
    );
    let one = search(&http, &n, "okon", "").await?;
    assert_eq!(
        (names(&one), &one["meta"]["total_capped"]),
        (vec!["Amara Okonkwo".to_owned()], &json!(false))
    );
    // the last page counts itself (names with digits are not name words: "mass0999" is read
    // as an MRN, so the bulk is paged through "mass")
    let tail = search(&http, &n, "mass", "&limit=50&offset=1080").await?;
    assert_eq!(
        (
            tail["data"].as_array().unwrap().len(),
            &tail["meta"]["total"]
        ),
        (20, &json!(1100))
    );

    // a search longer than 200 characters is refused by name
    let (st, e) = http
        .call(
            Method::GET,
            &format!("/api/v1/patients?q={}", "a".repeat(201)),
            Some(&n),
            None,
        )
        .await?;
    assert_eq!(st, 400, "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("(q) is too long"),
        "{e}"
    );

    // the audit entry of a search says what was asked and whom it showed
    let shown = search(&http, &n, "okor", "").await?;
    let id: Uuid = serde_json::from_value(shown["data"][0]["id"].clone())?;
    let (st, log) = http
        .call(
            Method::GET,
            "/api/v1/audit?action=patient.search",
            Some(&admin),
            None,
        )
        .await?;
    assert_eq!(st, 200, "{log}");
    let entry = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["detail"].as_str().is_some_and(|d| d.contains("okor")))
        .unwrap_or_else(|| panic!("no audit entry of the search: {log}"));
    assert!(
        entry["detail"].as_str().unwrap().contains(&id.to_string()),
        "{entry}"
    );
    assert_prefixes_match_words(&sys.database_url).await?;
    Ok(())
}

/// Front-desk demographics over the REST API (issue 16): a patient registered with a structured
/// address, a preferred language, a next of kin and identifiers is found by any identifier as
/// written on the card (punctuation and case aside) and only in its own clinic; an edit that
/// drops an identifier stops finding it; a merge keeps every identifier of both records; bad
/// input names the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn patients_are_found_by_their_identifiers_and_keep_their_demographics() -> anyhow::Result<()>
{
    let sys = System::start().await?;
    sys.clinic("east", "America/New_York").await?;
    sys.clinic("west", "America/New_York").await?;
    let http = Http::new(&sys.server.url());
    let e = http.token("east", "doctor").await?;
    let w = http.token("west", "doctor").await?;
    let ana = json!({
        "given_name": "Ana", "family_name": "Souza", "date_of_birth": "1985-06-01", "sex": "female",
        "address": "12 Harbor St\nApt 3", "city": "Boston", "state": "MA", "postal_code": "02110",
        "country": "US", "preferred_language": "pt-BR", "interpreter_required": true,
        "next_of_kin_name": "Rui Souza", "next_of_kin_relationship": "spouse",
        "next_of_kin_phone": "+1 617 555 0101",
        "identifiers": [
            {"kind": "social_security", "system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-17-5017"},
            {"kind": "insurance_member", "system": "Blue Cross MA", "value": "XJH 100200"}
        ]
    });
    let (s, made) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&e),
            Some(ana.clone()),
        )
        .await?;
    assert_eq!(s, 201, "{made}");
    for key in [
        "city",
        "postal_code",
        "preferred_language",
        "interpreter_required",
        "next_of_kin_relationship",
        "identifiers",
    ] {
        assert_eq!(made[key], ana[key], "{key}: {made}");
    }
    let id = made["id"].as_str().unwrap().to_owned();
    for q in [
        "999-17-5017",
        "999175017",
        // typed in groups, as printed on the card
        "999 17 5017",
        "xjh100200",
        "XJH-100200",
        "souza 999-17-5017",
    ] {
        assert_eq!(
            names(&search(&http, &e, q, "").await?),
            ["Ana Souza"],
            "q={q}"
        );
        assert!(
            names(&search(&http, &w, q, "").await?).is_empty(),
            "another clinic found q={q}"
        );
    }

    // a phone typed in groups: whole, or group by group (a country code the record lacks, the
    // area code and the last four); every group must match
    let (s, bea) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&e),
            Some(
                json!({"given_name": "Bea", "family_name": "Lima", "date_of_birth": "1990-02-03",
                "sex": "female", "phone": "(617) 555-0144"}),
            ),
        )
        .await?;
    assert_eq!(s, 201, "{bea}");
    for q in ["617 555 0144", "+1 617 555 0144", "617 0144"] {
        assert_eq!(
            names(&search(&http, &e, q, "").await?),
            ["Bea Lima"],
            "q={q}"
        );
    }
    assert!(names(&search(&http, &e, "617 9999", "").await?).is_empty());

    // an edit drops the insurance card: that number finds no one now
    let (s, edited) = http
        .call(
            Method::PATCH,
            &format!("/api/v1/patients/{id}"),
            Some(&e),
            Some(
                json!({"base_revision": made["revision"], "identifiers": [ana["identifiers"][0]]}),
            ),
        )
        .await?;
    assert_eq!(s, 200, "{edited}");
    assert!(names(&search(&http, &e, "XJH100200", "").await?).is_empty());
    assert_eq!(
        names(&search(&http, &e, "999175017", "").await?),
        ["Ana Souza"]
    );

    // a duplicate holding a passport: merged into Ana, who keeps both numbers
    let (_, dup) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&e),
            Some(json!({"given_name": "Ana", "family_name": "Souza", "date_of_birth": "1985-06-01", "sex": "female",
                "no_known_allergies": true,
                "identifiers": [{"kind": "passport", "system": null, "value": "FZ123456"}]})),
        )
        .await?;
    let (_, current) = http
        .call(
            Method::GET,
            &format!("/api/v1/patients/{id}"),
            Some(&e),
            None,
        )
        .await?;
    let (s, merged) = http
        .call(
            Method::POST,
            &format!("/api/v1/patients/{}/merge", dup["id"].as_str().unwrap()),
            Some(&e),
            Some(json!({"into": id, "base_revision": current["revision"], "fields": {}})),
        )
        .await?;
    assert!(s == 200 || s == 204, "{s}: {merged}");
    let (_, after) = http
        .call(
            Method::GET,
            &format!("/api/v1/patients/{id}"),
            Some(&e),
            None,
        )
        .await?;
    let values: Vec<&str> = after["identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["999-17-5017", "FZ123456"], "{after}");
    // the duplicate's "no known allergies" stands for the survivor, which listed none either
    assert_eq!(after["no_known_allergies"], true, "{after}");
    // "none known" beside a listed allergy is not kept
    let (_, both) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&e),
            Some(json!({"given_name": "Lu", "family_name": "Reis", "date_of_birth": "1970-01-01", "sex": "male",
                "allergies": ["latex"], "no_known_allergies": true})),
        )
        .await?;
    assert_eq!(
        (
            both["allergies"].clone(),
            both["no_known_allergies"].clone()
        ),
        (json!(["latex"]), json!(false)),
        "{both}"
    );
    let found = search(&http, &e, "FZ123456", "").await?;
    assert_eq!(
        found["data"][0]["id"],
        json!(id),
        "the passport finds the record kept: {found}"
    );
    assert_eq!(found["data"].as_array().unwrap().len(), 1, "{found}");

    // bad input: each field named
    let (s, refused) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&e),
            Some(json!({"given_name": "Bo", "family_name": "Li", "date_of_birth": "1990-01-01", "sex": "male",
                "preferred_language": "Mandarin", "next_of_kin_phone": "+1 617 555 0102",
                "next_of_kin_relationship": "cousin"})),
        )
        .await?;
    assert_eq!(s, 422, "an unknown relationship is refused: {refused}");
    let (s, refused) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&e),
            Some(json!({"given_name": "Bo", "family_name": "Li", "date_of_birth": "1990-01-01", "sex": "male",
                "preferred_language": "Mandarin", "next_of_kin_phone": "+1 617 555 0102",
                "identifiers": [{"kind": "insurance_member", "value": "A1"}]})),
        )
        .await?;
    assert_eq!(s, 422, "{refused}");
    for field in ["preferred_language", "next_of_kin_name", "identifiers"] {
        assert!(refused["errors"][field].is_array(), "{field}: {refused}");
    }
    assert_prefixes_match_words(&sys.database_url).await?;
    Ok(())
}
