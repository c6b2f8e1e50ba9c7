"""Dates and times the clinic's way, in the real app (issue 16). A clinic of its own (the demo
clinic the other tests use keeps ISO dates), with Aiko Tanabe, born 1990-02-14, whose blood
pressure was taken at 14:30 clinic time on 2026-03-05.

The administrator makes it a US clinic in Clinic settings (month first, 12-hour clock, weeks from
Sunday): at once every screen she opens writes dates one way, 02/14/1990 and 03/05/2026 2:30 PM,
with no ISO date left anywhere on it; `3/4/1990` typed as a date of birth is March 4; the week
view starts on Sunday. Then the clinic becomes a UK one: a workstation signing in reads the same
`3/4/1990` as 3 April, writes 14/02/1990 and 05/03/2026 14:30, and starts weeks on Monday."""

import os
import re
import subprocess

import pytest
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from conftest import ROOT, TARGET
from test_admin import rest
from test_desktop import only_row_is, press, shot, step, tid, type_into, wait

TENANT = "lakeside"
ADMIN = "lena.admin"
PASSWORD = "lakeside admin password 7"
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


@pytest.fixture(scope="module")
def clinic(database, server):
    env = {**os.environ, "DATABASE_URL": database, "MEDOFFICE_NEW_PASSWORD": PASSWORD}
    cli = str(TARGET / "medoffice-server")
    for args in (
        ["create-tenant", "--code", TENANT, "--name", "Lakeside Clinic", "--time-zone", "America/Chicago"],
        ["create-user", "--tenant", TENANT, "--username", ADMIN, "--full-name", "Lena Lindqvist", "--role", "admin"],
    ):
        done = subprocess.run([cli, *args], env=env, cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, f"{args[0]} failed:\n{done.stdout}\n{done.stderr}"
    token = rest(server, "POST", "/api/v1/auth/login", {"tenant": TENANT, "username": ADMIN, "password": PASSWORD})["access_token"]
    p = rest(server, "POST", "/api/v1/patients", {"given_name": "Aiko", "family_name": "Tanabe", "date_of_birth": "1990-02-14", "sex": "female"}, token)
    # 14:30 in Chicago (CST, UTC-6) on 5 March 2026
    rest(server, "POST", f"/api/v1/patients/{p['id']}/vitals", {"measured_at": "2026-03-05T20:30:00Z", "systolic_mmhg": 128, "diastolic_mmhg": 82}, token)
    return token


def sign_in(d):
    wait(d, 30).until(EC.visibility_of_element_located(tid("login-submit")))
    for field, value in (("login-tenant", TENANT), ("login-username", ADMIN), ("login-password", PASSWORD)):
        type_into(d, tid(field), value)
    press(d, tid("login-submit"))
    wait(d, 30).until(EC.visibility_of_element_located(tid("patient-search")))
    wait(d).until(lambda x: x.find_element(*tid("status-bar")).get_attribute("data-state") == "online")


def text_of(d, testid):
    """The text of `testid` read inside the page (the chart re-renders as the feed arrives)."""
    return d.execute_script(f"return document.querySelector('[data-testid={testid}]')?.innerText ?? ''")


def no_iso_dates(d, where):
    text = d.execute_script("return document.querySelector('main')?.innerText ?? document.body.innerText")
    found = ISO_DATE.findall(text)
    assert not found, f"{where} shows ISO dates {found} in a clinic that writes them otherwise:\n{text}"


def open_tanabe(d):
    press(d, tid("nav-patients"))
    search = d.find_element(*tid("patient-search"))
    search.clear()
    search.send_keys("tanabe")
    wait(d).until(lambda x: only_row_is(x, "Tanabe, Aiko"))
    # read in the page: the list re-renders as the feed arrives, so a held row can go stale
    row_text = d.execute_script("return document.querySelector('[data-testid=patient-row]').innerText")
    search.send_keys(Keys.ENTER)
    wait(d).until(EC.visibility_of_element_located(tid("vitals-history")))
    return row_text


def typed_date_of_birth(d, text):
    press(d, tid("nav-patients"))
    press(d, tid("btn-register-patient"))
    wait(d).until(EC.visibility_of_element_located(tid("reg-form")))
    dob = d.find_element(*tid("reg-date_of_birth"))
    assert dob.get_attribute("placeholder") in ("MM/DD/YYYY", "DD/MM/YYYY")
    dob.send_keys(text)
    d.find_element(*tid("reg-given_name")).click()
    wait(d).until(lambda x: text_of(x, "reg-date_of_birth-echo"))
    return dob.get_attribute("value"), text_of(d, "reg-date_of_birth-echo")


def first_week_column(d):
    press(d, tid("nav-schedule"))
    press(d, tid("schedule-view-week"))
    wait(d).until(lambda x: len(x.find_elements(*tid("grid-column-title"))) == 7)
    return d.find_elements(*tid("grid-column-title"))[0].get_attribute("textContent")


def test_a_us_and_a_uk_clinic_each_read_and_write_dates_their_own_way(workstation, server, clinic, screenshot_dir):
    d = workstation("dates-us").driver
    sign_in(d)

    # the administrator makes it a US clinic
    press(d, tid("nav-clinic"))
    wait(d).until(EC.visibility_of_element_located(tid("clinic-dates")))
    Select(d.find_element(*tid("clinic-date-order"))).select_by_value("month_day_year")
    Select(d.find_element(*tid("clinic-hour-cycle"))).select_by_value("h12")
    Select(d.find_element(*tid("clinic-week-start"))).select_by_value("sunday")
    wait(d).until(lambda x: "03/14/2024 2:30 PM · Thursday, March 14, 2024" in x.find_element(*tid("clinic-dates-example")).text)
    # the form is taller than the window, and its Save stays in view with nothing scrolled
    assert d.execute_script("const m = document.querySelector('.main'); return m.scrollHeight > m.clientHeight && m.scrollTop === 0")
    assert d.execute_script(
        "const b = arguments[0].getBoundingClientRect();"
        "const bar = document.querySelector('[data-testid=status-bar]').getBoundingClientRect();"
        "return b.top >= 0 && b.bottom <= bar.top && document.elementFromPoint(b.x + 5, b.y + 5) === arguments[0];",
        d.find_element(*tid("clinic-save")),
    ), "Save settings is off screen"
    shot(d, screenshot_dir, "clinic-dates")
    press(d, tid("clinic-save"))
    wait(d).until(lambda x: "Clinic settings saved." in x.find_element(*tid("toasts")).text)
    step("US conventions saved")

    # every screen at once, one way
    row = open_tanabe(d)
    assert "02/14/1990" in row, row
    assert text_of(d, "chart-dob") == "DOB 02/14/1990"
    history = text_of(d, "vitals-history")
    assert "03/05/2026 2:30 PM" in history, history
    no_iso_dates(d, "the chart")
    shot(d, screenshot_dir, "chart-us-dates")
    press(d, tid("btn-record-vitals"))
    measured = wait(d).until(EC.visibility_of_element_located(tid("vitals-measured_at"))).get_attribute("value")
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{1,2}:\d{2} [AP]M", measured), measured
    no_iso_dates(d, "the vitals form")
    press(d, tid("nav-patients"))
    no_iso_dates(d, "the patient list")

    # the search box reads a date the same way
    search = d.find_element(*tid("patient-search"))
    search.clear()
    search.send_keys("2/14/1990")
    wait(d).until(lambda x: text_of(x, "search-understood") == "Looking for born 14 Feb 1990")
    wait(d).until(lambda x: only_row_is(x, "Tanabe, Aiko"))

    value, echo = typed_date_of_birth(d, "3/4/1990")
    assert (value, echo.split(" · ")[0]) == ("03/04/1990", "Sunday, March 4, 1990"), (value, echo)
    shot(d, screenshot_dir, "register-us-dates")
    assert first_week_column(d).startswith("Sun"), first_week_column(d)
    no_iso_dates(d, "the week view")
    press(d, tid("nav-audit"))
    wait(d).until(lambda x: x.find_elements(*tid("audit-row")))
    no_iso_dates(d, "the audit log")
    step("US: one way on every screen")

    # a UK clinic: what a workstation signing in from now on uses
    rest(server, "PATCH", "/api/v1/tenant", {"date_order": "day_month_year", "hour_cycle": "h23", "week_start": "monday"}, clinic)
    uk = workstation("dates-uk").driver
    sign_in(uk)
    row = open_tanabe(uk)
    assert "14/02/1990" in row, row
    assert text_of(uk, "chart-dob") == "DOB 14/02/1990"
    history = text_of(uk, "vitals-history")
    assert "05/03/2026 14:30" in history, history
    no_iso_dates(uk, "the chart")
    press(uk, tid("nav-patients"))
    search = uk.find_element(*tid("patient-search"))
    search.clear()
    search.send_keys("14/2/1990")
    wait(uk).until(lambda x: text_of(x, "search-understood") == "Looking for born 14 Feb 1990")
    wait(uk).until(lambda x: only_row_is(x, "Tanabe, Aiko"))
    value, echo = typed_date_of_birth(uk, "3/4/1990")
    assert (value, echo.split(" · ")[0]) == ("03/04/1990", "Tuesday 3 April 1990"), (value, echo)
    assert first_week_column(uk).startswith("Mon"), first_week_column(uk)
    step("UK: the same typing, another date")
