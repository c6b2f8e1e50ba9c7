"""The desktop app in its real webview: a receptionist and a nurse on two workstations of the
demo clinic (Synthea patients). The receptionist registers a patient and checks someone in; the
nurse sees the new patient arrive live and records vitals with abnormal values, which are
flagged. Every step saves a screenshot."""

import os
import re
import time

T0 = time.monotonic()


def step(name):
    print(f"{time.monotonic() - T0:7.2f}s  {name}", flush=True)

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

PASSWORD = "demo-password"


def tid(value: str):
    return (By.CSS_SELECTOR, f'[data-testid="{value}"]')


def wait(driver, seconds=20):
    # screens re-render when the cache changes: an element found a moment ago may be gone
    return WebDriverWait(driver, seconds, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,))


def press(driver, target, seconds=20):
    """Clicks what `target` finds (a locator, or a function of the driver), scrolled into view.
    Screens re-render when the cache changes, so an element found a moment ago may be gone by the
    time it is clicked: it is looked up again until the click lands."""
    def attempt(d):
        el = d.find_element(*target) if isinstance(target, tuple) else target(d)
        d.execute_script("arguments[0].scrollIntoView({block: 'center'});", el)
        el.click()
        return True
    wait(driver, seconds).until(attempt)


def type_into(driver, target, text, clear=True, seconds=20):
    """Types `text` into what `target` finds, looking it up again if a re-render replaced it."""
    def attempt(d):
        el = d.find_element(*target) if isinstance(target, tuple) else target(d)
        if clear:
            el.clear()
        el.send_keys(text)
        return True
    wait(driver, seconds).until(attempt)


def key_to_focused(driver, focus, key, seconds=20):
    """Calls `focus(driver)` and types `key` into what then has the focus. A live redraw may
    replace the element between focusing and typing (the key is then not sent), so it is
    focused again until the key lands."""
    def attempt(d):
        try:
            focus(d)
            d.switch_to.active_element.send_keys(key)
            return True
        except StaleElementReferenceException:
            return False
    wait(driver, seconds).until(attempt)


def shot(driver, directory, name):
    step(name)
    # two animation frames, so the picture shows the page after its last update
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "requestAnimationFrame(() => requestAnimationFrame(() => done()));"
    )
    # scripts/screenshots' second pass: each step again in another theme, in a folder of its own
    theme = os.environ.get("MEDOFFICE_SCREENSHOT_THEME", "")
    if theme and not name.endswith(("-light", "-dark")):
        directory = directory / theme
        directory.mkdir(parents=True, exist_ok=True)
    driver.get_screenshot_as_file(str(directory / f"{name}.png"))


def sign_in(driver, username, landing="patients"):
    w = wait(driver, 30)
    w.until(EC.visibility_of_element_located(tid("login-submit")))
    for field, value in (("login-tenant", "demo"), ("login-username", username), ("login-password", PASSWORD)):
        el = driver.find_element(*tid(field))
        el.clear()
        el.send_keys(value)
    press(driver, tid("login-submit"))
    in_app(driver, landing)


def in_app(driver, landing="patients"):
    """Waits for the signed-in shell, online. Nurses and physicians land on "My patients today";
    with `landing="patients"` the patient search is opened for tests that start there."""
    w = wait(driver, 30)
    w.until(lambda d: d.find_elements(*tid("patient-search")) or d.find_elements(*tid("today-screen")) or d.find_elements(*tid("schedule-rows")))
    if landing == "patients" and not driver.find_elements(*tid("patient-search")):
        press(driver, tid("nav-patients"))
    w.until(EC.visibility_of_element_located(tid("patient-search" if landing == "patients" else "today-screen")))
    w.until(lambda d: d.find_element(*tid("status-bar")).get_attribute("data-state") == "online")


def rows(driver, name):
    return driver.find_elements(*tid(name))


def only_row_is(driver, name):
    """The search shows exactly one patient, and it is `name` (not a previous query's result)."""
    found = rows(driver, "patient-row")
    return len(found) == 1 and name in found[0].text


def test_front_desk_and_exam_room_work_together_live(workstation, screenshot_dir):
    launched = time.monotonic()
    ws = workstation("front")
    front = ws.driver
    wait(front, 30).until(EC.visibility_of_element_located(tid("login-submit")))
    # measured for the README: from launching the app to a usable sign-in form (no timing asserted)
    step(f"app start to login screen: {time.monotonic() - launched:.2f}s (WebDriver session {ws.start_seconds:.2f}s)")
    shot(front, screenshot_dir, "login")
    sign_in(front, "reception")

    # the demo clinic's Synthea patients, from the local cache
    wait(front).until(lambda d: len(rows(d, "patient-row")) >= 27)
    shot(front, screenshot_dir, "patients")
    search = front.find_element(*tid("patient-search"))
    search.send_keys("mosc")
    wait(front).until(lambda d: only_row_is(d, "Mosciski"))
    # the search says what it understood (here, a name prefix)
    wait(front).until(lambda d: "name starting “mosc”" in d.find_element(*tid("search-understood")).text)
    # a receptionist does not record vitals: the action is not offered
    search.send_keys(Keys.ENTER)
    wait(front).until(EC.visibility_of_element_located(tid("chart")))
    # the imported Synthea vitals are in the chart
    wait(front).until(lambda d: len(rows(d, "vitals-row")) >= 1)
    assert not front.find_elements(*tid("btn-record-vitals"))
    shot(front, screenshot_dir, "chart-synthea")

    # the nurse's workstation is up, searching for a patient who does not exist yet
    exam = workstation("exam").driver
    step("second workstation started")
    sign_in(exam, "nurse")
    step("nurse signed in")
    exam_search = exam.find_element(*tid("patient-search"))
    exam_search.send_keys("solberg")
    wait(exam).until(lambda d: not rows(d, "patient-row"))

    # register a patient
    press(front, tid("nav-patients"))
    press(front, tid("btn-register-patient"))
    wait(front).until(EC.visibility_of_element_located(tid("reg-form")))
    values = {
        "reg-given_name": "Ingrid",
        "reg-family_name": "Solberg",
        "reg-date_of_birth": "1984-07-02",
        "reg-phone": "+1 617 555 0187",
        "reg-allergies": "penicillin, latex",
        "reg-address": "12 Harbor Street, Boston MA 02110",
    }
    for field, value in values.items():
        el = front.find_element(*tid(field))
        # the form is longer than the window: WebKit's driver types only into what is in view
        front.execute_script("arguments[0].scrollIntoView({block: 'center'});", el)
        el.clear()
        el.send_keys(value)
    Select(front.find_element(*tid("reg-sex"))).select_by_value("female")
    shot(front, screenshot_dir, "register")
    press(front, tid("reg-save"))
    wait(front).until(EC.visibility_of_element_located(tid("chart")))
    # the server assigns the MRN once the registration is sent
    wait(front).until(lambda d: re.fullmatch(r"\d+", d.find_element(*tid("chart-mrn")).text.split()[-1]) is not None)
    step("registered, MRN assigned")

    # the nurse's search shows her without anyone touching it: she arrived over the WebSocket
    wait(exam).until(lambda d: only_row_is(d, "Solberg"))
    shot(exam, screenshot_dir, "patient-arrived-live")
    exam_search = exam.find_element(*tid("patient-search"))
    exam_search.send_keys(Keys.ENTER)
    wait(exam).until(EC.visibility_of_element_located(tid("chart")))
    assert exam.find_element(*tid("allergies")).get_attribute("data-state") == "present"

    # record vitals with abnormal values: flagged as typed, and in the history once saved
    press(exam, tid("btn-record-vitals"))
    wait(exam).until(EC.visibility_of_element_located(tid("vitals-systolic_mmhg")))
    for field, value in (
        ("vitals-systolic_mmhg", "168"), ("vitals-diastolic_mmhg", "102"), ("vitals-heart_rate_bpm", "112"),
        ("vitals-respiratory_rate_bpm", "22"), ("vitals-spo2_pct", "91"), ("vitals-temperature_c", "38.3"),
        ("vitals-weight_kg", "71.5"), ("vitals-height_cm", "168"),
    ):
        exam.find_element(*tid(field)).send_keys(value)
    Select(exam.find_element(*tid("vitals-consciousness"))).select_by_value("alert")
    wait(exam).until(lambda d: d.find_element(*tid("vitals-flag-systolic_mmhg")).get_attribute("data-flag") == "high")
    assert exam.find_element(*tid("vitals-flag-spo2_pct")).get_attribute("data-flag") == "low"
    # NEWS2 8: the form says an emergency response is due (RCP 2017), before saving
    assert exam.find_element(*tid("vitals-escalation")).get_attribute("data-escalation") == "emergency"
    shot(exam, screenshot_dir, "vitals")
    press(exam, tid("vitals-save"))
    wait(exam).until(EC.visibility_of_element_located(tid("vitals-history")))
    wait(exam).until(lambda d: any(f.get_attribute("data-flag") == "systolic_mmhg:high" for f in d.find_elements(*tid("flag"))))
    wait(exam).until(lambda d: all(r.get_attribute("data-pending") != "true" for r in d.find_elements(*tid("vitals-row"))))
    # the chart's banner asks for the escalation to be acknowledged; the nurse does, and it says who
    escalation = wait(exam).until(EC.visibility_of_element_located(tid("banner-escalation")))
    assert escalation.get_attribute("data-escalation") == "emergency"
    assert escalation.get_attribute("data-acknowledged") == "false"
    shot(exam, screenshot_dir, "chart-escalation")
    press(exam, tid("btn-acknowledge-escalation"))
    wait(exam).until(lambda d: d.find_element(*tid("banner-escalation")).get_attribute("data-acknowledged") == "true")
    # read in the page, waiting: the chart re-renders as the acknowledgement syncs, so a held
    # element can go stale between finding and reading it
    wait(exam).until(lambda d: "Acknowledged by Nadia Okafor" in d.execute_script(
        "return document.querySelector('[data-testid=escalation-acknowledged]')?.innerText ?? ''"))
    shot(exam, screenshot_dir, "chart")

    # the front desk sees the nurse's vitals on the same patient, live
    press(front, tid("nav-patients"))
    box = wait(front).until(EC.visibility_of_element_located(tid("patient-search")))
    box.clear()
    box.send_keys("solberg")
    wait(front).until(lambda d: only_row_is(d, "Solberg"))
    box.send_keys(Keys.ENTER)
    wait(front).until(lambda d: any(f.get_attribute("data-flag") == "spo2_pct:low" for f in d.find_elements(*tid("flag"))))

    # the nurse opens her day: Solberg is not booked with her yet
    press(exam, tid("nav-today"))
    wait(exam).until(EC.visibility_of_element_located(tid("today-screen")))
    assert not any("Solberg" in r.text for r in rows(exam, "today-row"))

    # book her a visit: first with the doctor at a time his 09:00 patient holds, refused with that
    # booking named; then with the nurse at a free time
    press(front, tid("btn-book-appointment"))
    wait(front).until(EC.visibility_of_element_located(tid("book-form")))
    provider = Select(front.find_element(*tid("book-provider")))
    doctor = next(o.get_attribute("value") for o in provider.options if "Kim" in o.get_attribute("textContent"))
    nurse = next(o.get_attribute("value") for o in provider.options if "Okafor" in o.get_attribute("textContent"))
    provider.select_by_value(doctor)
    when = front.find_element(*tid("book-time"))
    when.clear()
    when.send_keys("09:10")
    length = front.find_element(*tid("book-duration"))
    length.clear()
    length.send_keys("20")
    front.find_element(*tid("book-reason")).send_keys("Blood pressure follow-up")
    press(front, tid("book-save"))
    wait(front).until(EC.visibility_of_element_located(tid("book-conflict-text")))
    wait(front).until(lambda d: "clashes with" in d.find_element(*tid("book-conflict-text")).text and "09:00" in d.find_element(*tid("book-conflict-text")).text)
    shot(front, screenshot_dir, "book-conflict")
    Select(front.find_element(*tid("book-provider"))).select_by_value(nurse)
    when = front.find_element(*tid("book-time"))
    when.clear()
    when.send_keys("17:30")
    shot(front, screenshot_dir, "book")
    press(front, tid("book-save"))
    wait(front).until(EC.invisibility_of_element_located(tid("book-form")))

    # the booking appears in the nurse's day without her touching anything
    def solberg_today(d):
        return next((r for r in rows(d, "today-row") if "Solberg" in r.text), None)

    appt_id = wait(exam).until(lambda d: (r := solberg_today(d)) is not None and r.get_attribute("data-appointment-id"))
    wait(exam).until(lambda d: solberg_today(d).get_attribute("data-status") == "scheduled")
    step("booking seen live in the nurse's day")

    # the front desk checks her in from the day's arrivals; the nurse's day shows it live
    press(front, tid("nav-schedule"))
    wait(front).until(lambda d: len(rows(d, "schedule-row")) >= 1)
    row = (By.CSS_SELECTOR, f'[data-testid="schedule-row"][data-appointment-id="{appt_id}"]')
    wait(front).until(EC.presence_of_element_located(row))
    shot(front, screenshot_dir, "schedule")
    press(front, (By.CSS_SELECTOR, f'[data-appointment-id="{appt_id}"] [data-testid="appt-checkin"]'))
    wait(exam).until(lambda d: solberg_today(d).get_attribute("data-status") == "checked_in")
    shot(exam, screenshot_dir, "today-checked-in-live")

    # the nurse starts the visit; the receptionist's arrivals list shows it, live
    press(exam, (By.CSS_SELECTOR, f'[data-testid="today-row"][data-appointment-id="{appt_id}"] [data-testid="today-start"]'))
    wait(front).until(lambda d: d.find_element(*row).get_attribute("data-status") == "in_progress")
    shot(front, screenshot_dir, "schedule-live")

    # and a check-in made in the exam room reaches the front desk too: the doctor's first
    # patient still waiting
    press(exam, tid("nav-schedule"))
    other = wait(exam).until(lambda d: next(
        (r.get_attribute("data-appointment-id") for r in rows(d, "schedule-row")
         if r.get_attribute("data-status") == "scheduled" and r.get_attribute("data-appointment-id") != appt_id), None))
    press(exam, (By.CSS_SELECTOR, f'[data-appointment-id="{other}"] [data-testid="appt-checkin"]'))
    wait(front).until(lambda d: any(
        r.get_attribute("data-appointment-id") == other and r.get_attribute("data-status") == "checked_in"
        for r in rows(d, "schedule-row")))
