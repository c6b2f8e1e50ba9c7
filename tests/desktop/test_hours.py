"""The clinic's hours in the real app (issue 12). The demo clinic's administrator opens Opening
hours, sets the week with one day closed (the same weekday as today, a week ahead, so the test
means the same on any day it runs), closes the day after for a training day, and gives Dr. Kim a
lunch break. At the front desk, a second workstation's schedule shades the closed day and the
lunch break and labels the training day (the day before when the closed day is a Sunday), as soon as the feed brings them; a booking on the
closed day is refused at once, naming why, with the next free times offered; choosing one books
it. The hours are cleared at the end, so the other tests find the clinic as it was."""

import datetime
import time
import urllib.error
from zoneinfo import ZoneInfo

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from test_admin import rest
from test_desktop import PASSWORD, press, shot, sign_in, tid, type_into, wait

WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def settled(action):
    """Runs `action` again when the screen was redrawn under it (the hours screen redraws when
    the feed brings back what was just saved, until something is typed)."""
    for attempt in range(5):
        try:
            return action()
        except StaleElementReferenceException:
            if attempt == 4:
                raise
            time.sleep(0.3)


def set_text(driver, testid, text):
    """Types `text` into a field (a blank day is cleared only: WebDriver refuses empty keys)."""
    if text:
        settled(lambda: type_into(driver, tid(testid), text))
    else:
        settled(lambda: driver.find_element(*tid(testid)).clear())


def set_date(driver, testid, value):
    el = driver.find_element(*tid(testid))
    driver.execute_script(
        "const el = arguments[0]; el.value = arguments[1];"
        "el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true}));",
        el, value)


def test_hours_refuse_bookings_and_shade_the_grid_on_every_workstation(workstation, server, screenshot_dir):
    today = datetime.datetime.now(ZoneInfo("America/New_York")).date()
    closed = today + datetime.timedelta(days=7)
    # the training day in the same week (Monday to Sunday) as the closed day, to see both at once
    training = closed + datetime.timedelta(days=-1 if closed.weekday() == 6 else 1)
    first_open = closed + datetime.timedelta(days=1)
    while first_open == training:
        first_open += datetime.timedelta(days=1)
    closed_key = WEEK[closed.weekday()]
    token = rest(server, "POST", "/api/v1/auth/login", {"tenant": "demo", "username": "admin", "password": PASSWORD})["access_token"]
    try:
        office = workstation("office").driver
        sign_in(office, "admin")
        press(office, tid("nav-hours"))
        wait(office).until(EC.visibility_of_element_located(tid("hours-unset")))

        # the week: 08:00–18:00, closed on the weekday of `closed`
        for day in WEEK:
            set_text(office, f"hours-clinic-week-{day}", "" if day == closed_key else "08:00–18:00")
        settled(lambda: press(office, tid("hours-clinic-week-save")))
        wait(office).until(EC.invisibility_of_element_located(tid("hours-unset")))

        # a training day: the whole clinic closed the day after
        settled(lambda: set_date(office, "block-from-date", training.isoformat()))
        set_date(office, "block-to-date", training.isoformat())
        type_into(office, tid("block-reason"), "Staff training day")
        press(office, tid("block-add"))
        wait(office).until(lambda d: any("Staff training day" in r.text for r in d.find_elements(*tid("block-row"))))

        # Dr. Kim's lunch break: two stretches a day, not working on the closed weekday either
        kim = next(u["id"] for u in rest(server, "GET", "/api/v1/users", token=token)["data"] if "Kim" in u["full_name"])
        settled(lambda: Select(office.find_element(*tid("hours-provider"))).select_by_value(kim))
        wait(office).until(lambda d: "No hours of their own" in d.find_element(*tid("hours-provider-note")).text)
        for day in WEEK:
            set_text(office, f"hours-provider-week-{day}", "" if day == closed_key else "09:00-12:30, 13:30-17:00")
        press(office, tid("hours-provider-week-save"))
        wait(office).until(lambda d: "Their own hours" in d.find_element(*tid("hours-provider-note")).text)
        # a wrong day is named, nothing is saved
        type_into(office, tid(f"hours-provider-week-{WEEK[training.weekday()]}"), "17:00-09:00")
        press(office, tid("hours-provider-week-save"))
        wait(office).until(lambda d: "end must be after the start" in d.find_element(*tid(f"hours-provider-week-{WEEK[training.weekday()]}-error")).text)
        office.execute_script("document.getElementById('hours-providers').scrollIntoView()")
        shot(office, screenshot_dir, "opening-hours")

        # the clinic's own visit type
        wait(office).until(EC.visibility_of_element_located(tid("types-none")))
        settled(lambda: type_into(office, tid("type-name"), "Weekly BP check"))
        type_into(office, tid("type-code"), "BP-CHECK")
        type_into(office, tid("type-minutes"), "10")
        press(office, tid("type-add"))
        wait(office).until(lambda d: any("Weekly BP check" in r.text and "10 min" in r.text for r in d.find_elements(*tid("type-row"))))

        # the front desk's week of the closed day: shaded, labelled, with Kim's lunch
        desk = workstation("desk").driver
        sign_in(desk, "reception")
        press(desk, tid("nav-schedule"))
        settled(lambda: set_date(desk, "schedule-date", closed.isoformat()))
        settled(lambda: press(desk, tid("schedule-view-week")))
        # the staff list may still be arriving on a workstation just signed in
        wait(desk).until(lambda d: d.execute_script(
            "return [...document.querySelectorAll('[data-testid=schedule-provider] option')].some(o => o.value === arguments[0]);", kim))
        settled(lambda: Select(desk.find_element(*tid("schedule-provider"))).select_by_value(kim))
        wait(desk).until(lambda d: len(d.find_elements(*tid("grid-column-title"))) == 7)

        def closed_at(d, date, time):
            # read in the page: the grid is redrawn live, so elements found earlier go stale
            return d.execute_script(
                "const s = document.querySelector(`[data-testid=grid-slot][data-date='${arguments[0]}'][data-time='${arguments[1]}']`);"
                "return s ? s.dataset.closed : null;", date, time)

        def blocks(d):
            return d.execute_script("return [...document.querySelectorAll('[data-testid=grid-block]')].map(b => b.textContent);")

        wait(desk).until(lambda d: closed_at(d, closed.isoformat(), "10:00") == "true")
        wait(desk).until(lambda d: any("Staff training day" in b for b in blocks(d)))
        other = today + datetime.timedelta(days=9)  # Kim works that day (neither closed nor training)
        if other.isocalendar()[1] == closed.isocalendar()[1]:
            wait(desk).until(lambda d: closed_at(d, other.isoformat(), "12:45") == "true")  # lunch
            assert closed_at(desk, other.isoformat(), "10:00") == "false"
        shot(desk, screenshot_dir, "schedule-hours")

        # a booking on the closed day: refused at once with the reason and the next free times
        press(desk, tid("nav-patients"))
        search = wait(desk).until(EC.visibility_of_element_located(tid("patient-search")))
        search.send_keys("mosc")
        wait(desk).until(lambda d: len(d.find_elements(*tid("patient-row"))) == 1)
        search.send_keys(Keys.ENTER)
        press(desk, tid("btn-book-appointment"))
        wait(desk).until(EC.visibility_of_element_located(tid("book-patient-selected")))
        Select(desk.find_element(*tid("book-provider"))).select_by_value(kim)
        set_date(desk, "book-date", closed.isoformat())
        type_into(desk, tid("book-time"), "10:00")
        type_into(desk, tid("book-duration"), "20")
        press(desk, tid("book-save"))
        weekday = closed.strftime("%A")
        wait(desk).until(lambda d: f"The clinic is closed on {weekday}s" in d.find_element(*tid("book-outside-text")).text)
        offers = wait(desk).until(lambda d: d.find_elements(*tid("book-offer")))
        # a receptionist may not book outside the hours: no override is offered
        assert not desk.find_elements(*tid("book-outside-hours"))
        shot(desk, screenshot_dir, "book-outside-hours")
        offers[0].click()
        assert desk.find_element(*tid("book-date")).get_attribute("value") == first_open.isoformat()
        assert desk.find_element(*tid("book-time")).get_attribute("value") == "09:00"
        press(desk, tid("book-save"))
        wait(desk).until(EC.invisibility_of_element_located(tid("book-form")))
    finally:
        for path in ("/api/v1/availability/clinic",):
            try:
                rest(server, "DELETE", path, token=token)
            except urllib.error.HTTPError:
                pass
        listing = rest(server, "GET", "/api/v1/availability", token=token)
        for a in listing["availability"]:
            if a["provider_id"]:
                rest(server, "DELETE", f"/api/v1/availability/providers/{a['provider_id']}", token=token)
        for b in listing["blocks"]:
            rest(server, "DELETE", f"/api/v1/schedule-blocks/{b['id']}", token=token)
