"""Merging two records of one person, in the real app (issue 16).

Two records of Iris Dahl (same name and date of birth) were registered elsewhere, each with a
vital-sign set, different phone numbers and different allergies. Review lists them as a possible
duplicate; the nurse opens "Merge…" (merging moves vital signs: clinicians and admins only),
sees both side by side, keeps the older record, takes
the newer record's phone and e-mail, sees that both allergies are kept, and merges. The chart she
lands on holds both sets and both allergies, the search finds one Iris Dahl, and the server keeps
the other record as a pointer to this one."""

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from test_desktop import press, rows, shot, sign_in, step, tid, wait
from test_review import Rest, inside


def test_two_records_of_one_person_are_merged(workstation, server, screenshot_dir):
    d = workstation("merge").driver
    sign_in(d, "nurse")
    admin = Rest(server, "admin")
    nurse = Rest(server, "nurse")
    older = admin.call("POST", "/api/v1/patients", {
        "given_name": "Iris", "family_name": "Dahl", "date_of_birth": "1985-07-07", "sex": "female",
        "phone": "+1 617 555 0131", "allergies": ["Latex"]})
    newer = admin.call("POST", "/api/v1/patients", {
        "given_name": "Iris", "family_name": "Dahl", "date_of_birth": "1985-07-07", "sex": "female",
        "phone": "+1 617 555 0177", "email": "iris.dahl@example.org", "allergies": ["Penicillin"]})
    for p, hr in ((older, 72), (newer, 118)):
        nurse.call("POST", f"/api/v1/patients/{p['id']}/vitals", {"measured_at": "2026-12-01T15:00:00Z", "heart_rate_bpm": hr})

    press(d, tid("nav-review"))
    pair = (By.CSS_SELECTOR, '[data-testid="review-duplicate"] [data-patient-id]')
    wait(d, 30).until(lambda x: {e.get_attribute("data-patient-id") for e in x.find_elements(*pair)} >= {older["id"], newer["id"]})
    press(d, inside("review-duplicate", "duplicate-merge"))
    wait(d).until(EC.visibility_of_element_located(tid("merge-table")))
    # both records hold a set at 10:00 on 1 December, 72 and 118/min: said before merging
    clash = d.find_element(*tid("merge-clashes")).text
    assert "HR 72 / 118" in clash or "HR 118 / 72" in clash, clash
    shot(d, screenshot_dir, "merge-clash")
    # the older record is kept by default; the newer one's e-mail is offered (the kept one has none)
    older_side = "a" if d.find_element(*tid("merge-keep-a")).is_selected() else "b"
    newer_side = "b" if older_side == "a" else "a"
    keep_label = d.find_element(*tid(f"merge-keep-{older_side}")).find_element(By.XPATH, "..").text
    assert older["mrn"] in keep_label, keep_label
    assert d.find_element(*tid(f"merge-email-{newer_side}")).is_selected()
    assert d.find_element(*tid(f"merge-phone-{older_side}")).is_selected()
    press(d, tid(f"merge-phone-{newer_side}"))
    allergies = d.find_element(*tid("merge-allergies")).text
    assert "Latex" in allergies and "Penicillin" in allergies, allergies
    summary = d.find_element(*tid("merge-summary")).text
    assert older["mrn"] in summary and "1 vital-sign set" in summary, summary
    # asked twice: the second time says what cannot be undone
    press(d, tid("merge-save"))
    wait(d).until(lambda x: x.find_element(*tid("merge-confirm")).is_displayed())
    assert "cannot be undone" in d.find_element(*tid("merge-confirm")).text
    assert admin.call("GET", f"/api/v1/patients/{newer['id']}")["replaced_by"] is None
    shot(d, screenshot_dir, "merge")
    press(d, tid("merge-confirm-yes"))

    # the chart of the record kept: both sets, both allergies, the chosen phone
    wait(d, 30).until(lambda x: x.find_element(*tid("chart")).is_displayed())
    wait(d, 30).until(lambda x: len(rows(x, "vitals-row")) == 2)
    # (the chart draws again as the feed brings the merge: read it as it settles)
    wait(d, 30).until(lambda x: all(a in x.find_element(*tid("patient-banner")).text.lower() for a in ("latex", "penicillin")))
    wait(d, 30).until(lambda x: "+1 617 555 0177" in x.find_element(*tid("demographics")).text)
    step("merged")
    kept = admin.call("GET", f"/api/v1/patients/{older['id']}")
    assert kept["phone"] == "+1 617 555 0177" and kept["email"] == "iris.dahl@example.org", kept
    assert sorted(kept["allergies"]) == ["Latex", "Penicillin"], kept
    gone = admin.call("GET", f"/api/v1/patients/{newer['id']}")
    assert gone["replaced_by"] == older["id"], gone
    d.execute_script("arguments[0].scrollIntoView({block: 'start'});", d.find_element(*tid("vitals-history")))
    shot(d, screenshot_dir, "merge-chart")

    # one Iris Dahl in the search
    press(d, tid("nav-patients"))
    search = d.find_element(*tid("patient-search"))
    search.clear()
    search.send_keys("dahl")
    wait(d).until(lambda x: len(rows(x, "patient-row")) == 1 and "Dahl, Iris" in rows(x, "patient-row")[0].text)
