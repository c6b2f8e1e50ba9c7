"""What a front desk records beyond the name, in the real app (issue 16).

A receptionist registers Lucía Ferreira: a structured address, Spanish with an interpreter needed,
her husband as next of kin, her social security number and her insurance card. The insurance
number without its insurer is refused under the identifiers, naming the row, and nothing typed is
lost; with the insurer it saves. The chart shows all of it and the banner says an interpreter is
needed, and that her allergies are not recorded (nobody asked; not "none known"); the search finds
her by the number on her insurance card, typed without its dashes; an edit that removes the
social security number stops that number finding her, and ticking "No known allergies" turns the
banner to that."""

from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from test_desktop import only_row_is, press, rows, shot, sign_in, step, tid, wait


def type_in(d, testid, text, index=0):
    el = d.find_elements(*tid(testid))[index]
    # the form is longer than the window: WebKit's driver types only into what is in view
    d.execute_script("arguments[0].scrollIntoView({block: 'center'});", el)
    el.clear()
    el.send_keys(text)


def text_of(d, testid):
    """The text of `testid` read inside the page: the chart re-renders as the feed arrives, so an
    element held across calls can go stale."""
    return d.execute_script(f"return document.querySelector('[data-testid={testid}]')?.innerText ?? ''")


def state_of(d, testid):
    return d.execute_script(f"return document.querySelector('[data-testid={testid}]')?.dataset.state ?? ''")


def search_for(d, q, understood):
    """Searches for `q` and waits until the box says it read it as `understood`."""
    press(d, tid("nav-patients"))
    box = d.find_element(*tid("patient-search"))
    box.clear()
    box.send_keys(q)
    wait(d).until(lambda x: text_of(x, "search-understood") == f"Looking for {understood}")


def test_a_front_desk_records_language_next_of_kin_and_identifiers(workstation, screenshot_dir):
    d = workstation("demographics").driver
    sign_in(d, "reception")
    press(d, tid("btn-register-patient"))
    wait(d).until(EC.visibility_of_element_located(tid("reg-form")))
    for testid, value in (
        ("reg-given_name", "Lucía"),
        ("reg-family_name", "Ferreira"),
        ("reg-date_of_birth", "1979-11-23"),
        ("reg-phone", "+1 617 555 0144"),
        ("reg-city", "Boston"),
        ("reg-state", "MA"),
        ("reg-postal_code", "02127"),
        ("reg-country", "US"),
        ("reg-next_of_kin_name", "Mateo Ferreira"),
        ("reg-next_of_kin_phone", "+1 617 555 0145"),
    ):
        type_in(d, testid, value)
    # two lines of a street address (WebKit's driver types no line break into a textarea)
    d.execute_script(
        "arguments[0].value = '48 Dorchester Ave\\nApt 2'; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        d.find_element(*tid("reg-address")))
    Select(d.find_element(*tid("reg-sex"))).select_by_value("female")
    Select(d.find_element(*tid("reg-preferred_language"))).select_by_value("es")
    press(d, tid("reg-interpreter_required"))
    Select(d.find_element(*tid("reg-next_of_kin_relationship"))).select_by_value("spouse")
    press(d, tid("reg-identifier-add"))
    Select(d.find_elements(*tid("reg-identifier-kind"))[0]).select_by_value("social_security")
    type_in(d, "reg-identifier-value", "999-31-4477", 0)
    press(d, tid("reg-identifier-add"))
    assert Select(d.find_elements(*tid("reg-identifier-kind"))[1]).first_selected_option.get_attribute("value") == "insurance_member"
    type_in(d, "reg-identifier-value", "MBX-7781-22", 1)

    # the insurance number without its insurer: refused where it is, nothing typed is lost
    press(d, tid("reg-save"))
    error = wait(d).until(lambda x: text_of(x, "reg-identifiers-error"))
    assert "Row 2: an insurance member number needs the insurer" in error, error
    # the row named is marked, and in it the box to fill; the other row is not
    marked = [r.get_attribute("class") for r in d.find_elements(*tid("reg-identifier-row"))]
    assert ["invalid" in c for c in marked] == [False, True], marked
    assert d.find_elements(*tid("reg-identifier-system"))[1].get_attribute("aria-invalid") == "true"
    assert d.find_elements(*tid("reg-identifier-value"))[1].get_attribute("aria-invalid") is None
    assert d.find_elements(*tid("reg-identifier-value"))[1].get_attribute("value") == "MBX-7781-22"
    assert d.find_element(*tid("reg-city")).get_attribute("value") == "Boston"
    step("insurer asked for")
    type_in(d, "reg-identifier-system", "Blue Cross Blue Shield of Massachusetts", 1)
    # corrected: unmarked as it is typed
    wait(d).until(lambda x: not text_of(x, "reg-identifiers-error"))
    d.execute_script("arguments[0].scrollIntoView({block: 'center'});", d.find_element(*tid("reg-identifier-add")))
    shot(d, screenshot_dir, "register-demographics")
    press(d, tid("reg-save"))
    wait(d).until(EC.visibility_of_element_located(tid("chart")))
    wait(d).until(lambda x: text_of(x, "chart-mrn").split()[-1:] and text_of(x, "chart-mrn").split()[-1].isdigit())
    step("registered")

    # the chart: all of it, and the interpreter in the banner; nobody asked about allergies yet,
    # and the banner does not pass that off as "none known"
    assert text_of(d, "chart-interpreter") == "Interpreter: Spanish"
    assert state_of(d, "allergies") == "unknown" and "Allergies not recorded" in text_of(d, "allergies"), text_of(d, "allergies")
    demo = {k: text_of(d, f"demo-{k}") for k in ("address", "language", "next-of-kin", "identifiers")}
    assert demo["address"] == "48 Dorchester Ave, Apt 2, Boston, MA 02127, US", demo
    assert demo["language"] == "Spanish · interpreter needed", demo
    assert demo["next-of-kin"] == "Mateo Ferreira (spouse) · +1 617 555 0145", demo
    # the social security number shows its last four digits only
    assert demo["identifiers"].split(" · ") == [
        "Social security number •••-••-4477",
        "Insurance member number MBX-7781-22 (Blue Cross Blue Shield of Massachusetts)",
    ], demo
    shot(d, screenshot_dir, "chart-demographics")

    # found by the social security number typed in groups with spaces: one number, not three
    search_for(d, "999 31 4477", "MRN, phone or identifier with 999 31 4477")
    wait(d).until(lambda x: only_row_is(x, "Ferreira, Lucía"))

    # found by the insurance card's number, typed without its dashes
    search_for(d, "MBX778122", "MRN or identifier MBX778122")
    wait(d).until(lambda x: only_row_is(x, "Ferreira, Lucía"))
    d.find_element(*tid("patient-search")).send_keys(Keys.ENTER)
    wait(d).until(EC.visibility_of_element_located(tid("chart")))

    # an edit removes the social security number: that number no longer finds her; the form is
    # opened from the unrecorded-allergies banner's link, as a nurse asking about them would
    press(d, tid("allergies-edit"))
    wait(d).until(EC.visibility_of_element_located(tid("edit-identifier-remove")))
    press(d, tid("edit-identifier-remove"))
    wait(d).until(lambda x: len(x.find_elements(*tid("edit-identifier-row"))) == 1)
    # she was asked: no known allergy
    press(d, tid("edit-no_known_allergies"))
    press(d, tid("edit-save"))
    wait(d).until(EC.visibility_of_element_located(tid("chart")))
    wait(d).until(lambda x: state_of(x, "allergies") == "none")
    assert text_of(d, "allergies") == "No known allergies"
    wait(d).until(lambda x: "4477" not in text_of(x, "demo-identifiers"))
    search_for(d, "999-31-4477", "MRN, phone or identifier with 999314477")
    wait(d).until(lambda x: not rows(x, "patient-row"))
    search_for(d, "MBX-7781-22", "MRN or identifier MBX-7781-22")
    wait(d).until(lambda x: only_row_is(x, "Ferreira, Lucía"))
    step("edited, searched")
