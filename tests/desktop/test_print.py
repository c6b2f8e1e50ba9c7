"""Printing in the real app (issue 12): the administrator gives the clinic its address and
phone; the front desk prints a patient's appointment card (next visits, the clinic's address and
phone), the nurse a visit summary (the latest readings with their flags) and her day list. Each
page is rendered as it will print and photographed; Print… opens the system print dialog (the
test stands in for the dialog, which WebDriver cannot drive, and checks it was asked for)."""

import datetime
from zoneinfo import ZoneInfo

from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from test_desktop import PASSWORD, press, shot, sign_in, tid, type_into, wait
from test_admin import rest


def open_patient(d, query):
    press(d, tid("nav-patients"))
    box = wait(d).until(EC.visibility_of_element_located(tid("patient-search")))
    box.clear()
    box.send_keys(query)
    wait(d).until(lambda x: len(x.find_elements(*tid("patient-row"))) == 1)
    box.send_keys(Keys.ENTER)
    wait(d).until(EC.visibility_of_element_located(tid("chart")))


def page_text(d):
    return wait(d).until(EC.visibility_of_element_located(tid("print-page"))).text


def print_was_asked(d):
    d.execute_script("window.__printed = 0; window.print = () => { window.__printed += 1; };")
    press(d, tid("print-now"))
    wait(d).until(lambda x: x.execute_script("return window.__printed") == 1)


def test_cards_summaries_and_day_lists_print_with_the_clinics_details(workstation, server, screenshot_dir):
    # a follow-up for the patient a week ahead, 11:45 clinic time, with Dr. Kim
    token = rest(server, "POST", "/api/v1/auth/login", {"tenant": "demo", "username": "admin", "password": PASSWORD})["access_token"]
    kim = next(u["id"] for u in rest(server, "GET", "/api/v1/users", token=token)["data"] if "Kim" in u["full_name"])
    patient = rest(server, "GET", "/api/v1/patients?q=mosciski", token=token)["data"][0]["id"]
    ny = ZoneInfo("America/New_York")
    day = datetime.datetime.now(ny).date() + datetime.timedelta(days=8)
    at = datetime.datetime.combine(day, datetime.time(11, 45), ny)
    rest(server, "POST", "/api/v1/appointments", {"patient_id": patient, "provider_id": kim, "starts_at": at.isoformat(),
                                                   "duration_minutes": 20, "kind": "follow_up", "reason": "Blood pressure review"}, token=token)

    office = workstation("print-office").driver
    sign_in(office, "admin")
    press(office, tid("nav-clinic"))
    address = wait(office).until(EC.visibility_of_element_located(tid("clinic-address")))
    address.clear()
    address.send_keys("12 River Road" + Keys.ENTER + "Springfield, MA 01101")
    type_into(office, tid("clinic-phone"), "+1 413 555 0100")
    press(office, tid("clinic-save"))
    wait(office).until(lambda d: d.find_element(*tid("clinic-phone")).get_attribute("value") == "+1 413 555 0100")

    desk = workstation("print-desk").driver
    sign_in(desk, "reception")
    open_patient(desk, "mosc")
    press(desk, tid("btn-print-card"))
    text = page_text(desk)
    assert "Your next appointments" in text
    assert "Mosciski" in text or "Maynard" in text
    assert "12 River Road" in text and "Springfield, MA 01101" in text
    assert "Phone +1 413 555 0100" in text and "Please call us if you cannot come." in text
    assert "11:45" in text and "Dr. Daniel Kim" in text, text
    shot(desk, screenshot_dir, "print-card")
    print_was_asked(desk)
    press(desk, tid("print-close"))
    wait(desk).until(EC.visibility_of_element_located(tid("chart")))

    nurse = workstation("print-nurse").driver
    sign_in(nurse, "nurse", landing="today")
    open_patient(nurse, "mosc")
    press(nurse, tid("btn-print-summary"))
    text = page_text(nurse)
    assert "Visit summary" in text and "Measured at" in text, text
    assert nurse.find_elements(*tid("print-row")), "the readings of the latest day"
    shot(nurse, screenshot_dir, "print-summary")
    press(nurse, tid("print-close"))

    press(nurse, tid("nav-today"))
    press(nurse, tid("btn-print-my-day"))
    text = page_text(nurse)
    assert "Nadia Okafor" in text and "visit" in text, text
    shot(nurse, screenshot_dir, "print-day-list")
    print_was_asked(nurse)
