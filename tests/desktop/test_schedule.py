"""The schedule in the real app: the front desk looks at the whole clinic's day and the doctor's
week, finds a free slot, books a Synthea patient there in a few keys, moves the booking by
keyboard (Alt+Down) and sees the new time; a move onto a taken slot is refused naming that
booking. The doctor's workstation shows the booking in "My patients today" and its check-in
arrives live. (Drag and drop is not driven: WebKitGTK's WebDriver does not synthesise HTML5
drag events reliably; the keyboard path moves through the same code.)"""

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

import datetime as dt
import urllib.parse
from zoneinfo import ZoneInfo

from test_admin import rest
from test_desktop import PASSWORD, key_to_focused, press, rows, shot, sign_in, step, tid, type_into, wait


def plus_15(hhmm: str) -> str:
    h, m = map(int, hhmm.split(":"))
    t = h * 60 + m + 15
    return f"{t // 60:02d}:{t % 60:02d}"


def grid_appt(driver, appt_id):
    return driver.find_element(By.CSS_SELECTOR, f'[data-testid="grid-appt"][data-appointment-id="{appt_id}"]')


def focus(driver, el):
    driver.execute_script("arguments[0].focus();", el)


def focus_appt(driver, appt_id):
    """Focuses the booking in the grid (looked up again if a live refresh re-rendered it)."""
    def attempt(d):
        focus(d, grid_appt(d, appt_id))
        return d.switch_to.active_element.get_attribute("data-appointment-id") == appt_id
    wait(driver).until(attempt)


def key_to_appt(driver, appt_id, key):
    """Types `key` into the booking in the grid (again if a live refresh re-rendered it)."""
    key_to_focused(driver, lambda d: focus_appt(d, appt_id), key)


def alt(driver, key):
    ActionChains(driver).key_down(Keys.ALT).send_keys(key).key_up(Keys.ALT).perform()


def others_busy(server, token, day, hhmm, minutes, provider):
    """Whether a provider other than `provider` has a live booking overlapping `minutes` from
    `day` `hhmm` (the demo clinic's wall clock): where Alt+Right would hand the visit."""
    start = dt.datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=ZoneInfo("America/New_York"))
    end = start + dt.timedelta(minutes=minutes)
    z = lambda t: t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = rest(server, "GET", "/api/v1/appointments?" + urllib.parse.urlencode({"from": z(start - dt.timedelta(hours=4)), "to": z(end)}), token=token)["data"]
    for a in rows:
        s = dt.datetime.fromisoformat(a["starts_at"].replace("Z", "+00:00"))
        e = s + dt.timedelta(minutes=a["duration_minutes"])
        if a["provider_id"] != provider and a["status"] in ("scheduled", "checked_in", "in_progress") and s < end and start < e:
            return True
    return False


def test_reception_finds_books_and_moves_and_the_doctor_sees_it_live(workstation, server, screenshot_dir):
    front = workstation("front").driver
    sign_in(front, "reception")

    # the whole clinic's day: one column per provider
    press(front, tid("nav-schedule"))
    today = wait(front).until(lambda d: d.find_element(*tid("schedule-date")).get_attribute("value"))
    press(front, tid("schedule-view-day"))
    Select(front.find_element(*tid("schedule-provider"))).select_by_value("")
    wait(front).until(lambda d: len(d.find_elements(*tid("grid-column-title"))) >= 2)
    wait(front).until(lambda d: len(d.find_elements(*tid("grid-appt"))) >= 1)
    shot(front, screenshot_dir, "schedule-day-clinic")

    # the doctor's week: seven day columns
    provider = Select(front.find_element(*tid("schedule-provider")))
    doctor = next(o.get_attribute("value") for o in provider.options if "Kim" in (o.get_attribute("textContent") or ""))
    provider.select_by_value(doctor)
    press(front, tid("schedule-view-week"))
    wait(front).until(lambda d: len(d.find_elements(*tid("grid-column-title"))) == 7)
    titles = [t.get_attribute("textContent") for t in front.find_elements(*tid("grid-column-title"))]
    assert titles[0].startswith("Mon") and titles[6].startswith("Sun"), titles
    shot(front, screenshot_dir, "schedule-week")

    # find a free 20-minute slot for the doctor from today (the test clinic has no opening
    # hours set, so any hour of any day is offered: the test may run in the evening or at a
    # weekend; tests/desktop/test_hours.py covers the hours)
    press(front, tid("btn-find-slot"))
    wait(front).until(EC.visibility_of_element_located(tid("slot-finder")))
    assert Select(front.find_element(*tid("slot-provider"))).first_selected_option.get_attribute("value") == doctor
    type_into(front, tid("slot-length"), "20")
    press(front, tid("slot-find"))
    wait(front).until(lambda d: len(d.find_elements(*tid("slot-result"))) >= 2)
    shot(front, screenshot_dir, "free-slots")
    results = [(r.get_attribute("data-date"), r.get_attribute("data-time")) for r in front.find_elements(*tid("slot-result"))]
    # a slot whose next quarter is free too, so that the move by Alt+Down has room, and where
    # the next provider is free a quarter later, so that the hand-over by Alt+Right has room
    admin = rest(server, "POST", "/api/v1/auth/login", {"tenant": "demo", "username": "admin", "password": PASSWORD})["access_token"]
    pick = next(
        (i for i, (d, t) in enumerate(results[:-1])
         if results[i + 1] == (d, plus_15(t)) and not others_busy(server, admin, d, plus_15(t), 20, doctor)),
        None,
    )
    assert pick is not None, f"no two free quarters in a row: {results}"
    day, time = results[pick]
    step(f"free slot {day} {time}")
    chosen = front.find_elements(*tid("slot-result"))[pick]
    focus(front, chosen)
    chosen.send_keys(Keys.ENTER)

    # the booking form arrives filled in: the patient is all that is left to type
    wait(front).until(EC.visibility_of_element_located(tid("book-form")))
    assert front.find_element(*tid("book-time")).get_attribute("value") == time
    assert front.find_element(*tid("book-date")).get_attribute("value") == day
    assert front.find_element(*tid("book-duration")).get_attribute("value") == "20"
    assert Select(front.find_element(*tid("book-provider"))).first_selected_option.get_attribute("value") == doctor
    search = front.switch_to.active_element
    search.send_keys("mosc")
    wait(front).until(lambda d: len(d.find_elements(*tid("book-patient-option"))) == 1)
    front.switch_to.active_element.send_keys(Keys.ENTER)
    wait(front).until(EC.visibility_of_element_located(tid("book-patient-selected")))
    ActionChains(front).key_down(Keys.CONTROL).send_keys(Keys.ENTER).key_up(Keys.CONTROL).perform()
    wait(front).until(EC.invisibility_of_element_located(tid("book-form")))

    # back in the week: the new booking at its time
    def booked(d):
        for b in d.find_elements(*tid("grid-appt")):
            if b.get_attribute("data-date") == day and b.get_attribute("data-time") == time and "Mosciski" in b.text:
                return b.get_attribute("data-appointment-id")
        return None
    appt_id = wait(front).until(booked)

    # Alt+Down: a quarter later
    focus_appt(front, appt_id)
    alt(front, Keys.ARROW_DOWN)
    later = plus_15(time)
    wait(front).until(lambda d: grid_appt(d, appt_id).get_attribute("data-time") == later)
    wait(front).until(lambda d: d.switch_to.active_element.get_attribute("data-appointment-id") == appt_id)
    step(f"moved to {later}")

    # onto the doctor's 09:20 visit of today: refused, naming it; nothing moves
    key_to_appt(front, appt_id, "m")
    wait(front).until(EC.visibility_of_element_located(tid("move-dialog")))
    date_field = front.find_element(*tid("move-date"))
    front.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", date_field, today)
    type_into(front, tid("move-time"), "09:20")
    press(front, tid("move-save"))
    refusal = wait(front).until(EC.visibility_of_element_located(tid("move-dialog-error")))
    wait(front).until(lambda d: "clash with 09:20" in d.find_element(*tid("move-dialog-error")).text)
    assert "Kim" in refusal.text, refusal.text
    # the doctor's next free times from that day are offered, and one fills the dialog in
    wait(front).until(lambda d: d.find_elements(*tid("move-offer")))
    offer = front.execute_script("return document.querySelector('[data-testid=move-offer]').textContent")
    press(front, tid("move-offer"))
    picked = front.find_element(*tid("move-time")).get_attribute("value")
    assert picked and offer.endswith(picked) and picked != "09:20", (offer, picked)
    press(front, tid("move-keep"))
    wait(front).until(EC.visibility_of_element_located(tid("move-error")))
    wait(front).until(lambda d: "09:20" in d.find_element(*tid("move-error")).text)
    wait(front).until(lambda d: grid_appt(d, appt_id).get_attribute("data-time") == later)
    shot(front, screenshot_dir, "move-refused")

    # the doctor's workstation: the booking is in "My patients today" (when it is today)
    exam = workstation("exam").driver
    sign_in(exam, "doctor", landing="today")
    if day != today:
        step(f"slot {day} is not today ({today}): no live check-in to show")
        return
    wait(exam).until(lambda d: any(r.get_attribute("data-appointment-id") == appt_id for r in rows(d, "today-row")))
    today_row = lambda d: d.find_element(By.CSS_SELECTOR, f'[data-testid="today-row"][data-appointment-id="{appt_id}"]')
    wait(exam).until(lambda d: "Mosciski" in today_row(d).text and later in today_row(d).text)

    # the front desk checks the patient in; the doctor sees it at once
    press(front, (By.CSS_SELECTOR, f'[data-testid="schedule-row"][data-appointment-id="{appt_id}"] [data-testid="appt-checkin"]'))
    wait(exam).until(lambda d: today_row(d).get_attribute("data-status") == "checked_in")
    wait(exam).until(lambda d: today_row(d).find_element(*tid("today-status")).text == "Checked in" and today_row(d).find_element(*tid("today-waiting")).text != "")
    shot(exam, screenshot_dir, "today-patients")

    # in the whole clinic's day, Alt+Right hands the visit to the next provider's column; the
    # doctor's list loses it live
    press(front, tid("schedule-view-day"))
    Select(front.find_element(*tid("schedule-provider"))).select_by_value("")
    wait(front).until(lambda d: len(d.find_elements(*tid("grid-column-title"))) >= 2)
    col_of = lambda d: grid_appt(d, appt_id).find_element(By.XPATH, "..").get_attribute("data-col")
    before = wait(front).until(col_of)
    focus_appt(front, appt_id)
    alt(front, Keys.ARROW_RIGHT)
    wait(front).until(lambda d: col_of(d) == str(int(before) + 1) and grid_appt(d, appt_id).get_attribute("data-time") == later)
    wait(exam).until(lambda d: not any(r.get_attribute("data-appointment-id") == appt_id for r in rows(d, "today-row")))
