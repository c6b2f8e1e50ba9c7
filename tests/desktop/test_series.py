"""A recurring visit in the real app (issue 12): the front desk books a weekly blood-pressure
check four times for a patient; the plan lists every visit before anything is booked, one of
them clashing with another booking, with a free time that day to move it to; moved, the four
visits are booked as one series, each its own booking."""

import datetime
from zoneinfo import ZoneInfo

from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from test_admin import rest
from test_desktop import PASSWORD, press, shot, sign_in, tid, type_into, wait
from test_hours import set_date, settled


def test_a_weekly_series_is_planned_with_its_clash_moved_and_booked(workstation, server, screenshot_dir):
    ny = ZoneInfo("America/New_York")
    first = datetime.datetime.now(ny).date() + datetime.timedelta(days=21)
    token = rest(server, "POST", "/api/v1/auth/login", {"tenant": "demo", "username": "admin", "password": PASSWORD})["access_token"]
    kim = next(u["id"] for u in rest(server, "GET", "/api/v1/users", token=token)["data"] if "Kim" in u["full_name"])
    other = next(p for p in rest(server, "GET", "/api/v1/patients?q=moen", token=token)["data"])
    # Dr. Kim already has 07:15–07:30 on the second week's day
    clash_at = datetime.datetime.combine(first + datetime.timedelta(days=7), datetime.time(7, 15), ny)
    rest(server, "POST", "/api/v1/appointments", {
        "patient_id": other["id"], "provider_id": kim, "starts_at": clash_at.isoformat(),
        "duration_minutes": 15, "kind": "follow_up"}, token=token)

    desk = workstation("series-desk").driver
    sign_in(desk, "reception")
    search = wait(desk).until(EC.visibility_of_element_located(tid("patient-search")))
    search.send_keys("mosc")
    wait(desk).until(lambda d: len(d.find_elements(*tid("patient-row"))) == 1)
    search.send_keys(Keys.ENTER)
    press(desk, tid("btn-book-appointment"))
    wait(desk).until(EC.visibility_of_element_located(tid("book-patient-selected")))
    settled(lambda: Select(desk.find_element(*tid("book-provider"))).select_by_value(kim))
    set_date(desk, "book-date", first.isoformat())
    type_into(desk, tid("book-time"), "07:15")
    type_into(desk, tid("book-duration"), "20")
    Select(desk.find_element(*tid("book-kind"))).select_by_value("vitals_check")
    desk.find_element(*tid("book-reason")).send_keys("Weekly blood pressure check")
    Select(desk.find_element(*tid("book-repeat"))).select_by_value("week")
    type_into(desk, tid("book-count"), "4")
    press(desk, tid("book-save"))

    # the plan: four visits, the second clashing, with a free time that day
    wait(desk).until(EC.visibility_of_element_located(tid("series-dialog")))
    visits = desk.find_elements(*tid("series-visit"))
    assert len(visits) == 4
    assert [v.get_attribute("data-problem") for v in visits] == ["false", "true", "false", "false"]
    assert "already has a booking" in visits[1].text
    assert "4 visits" not in desk.find_element(*tid("series-count")).text  # the clash is skipped until moved
    shot(desk, screenshot_dir, "series-plan")
    press(desk, tid("series-move"))
    wait(desk).until(lambda d: d.find_element(*tid("series-count")).text == "4 visits")
    press(desk, tid("series-book"))
    wait(desk).until(EC.invisibility_of_element_located(tid("book-form")))

    # four bookings on the server, linked by one series, the second at 07:30
    def series_rows():
        rows = rest(server, "GET", f"/api/v1/appointments?patient_id={visits_patient(server, token)}", token=token)["data"]
        return [r for r in rows if r.get("series_id") and r["reason"] == "Weekly blood pressure check"]

    wait(desk, 30).until(lambda d: len(series_rows()) == 4)
    rows = sorted(series_rows(), key=lambda r: r["starts_at"])
    assert len({r["series_id"] for r in rows}) == 1
    second = datetime.datetime.fromisoformat(rows[1]["starts_at"].replace("Z", "+00:00")).astimezone(ny)
    assert second.strftime("%H:%M") == "07:30", rows[1]


def visits_patient(server, token):
    return next(p for p in rest(server, "GET", "/api/v1/patients?q=mosciski", token=token)["data"])["id"]
