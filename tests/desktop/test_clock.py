"""A workstation whose clock runs 20 minutes fast, as outreach laptops drift (issue 15).

The whole app runs under libfaketime (the Rust core and the webview alike, as on a laptop whose
clock is wrong). The status bar says the clock is off and that IT should set it; the vitals form
starts at the server's time, not the computer's; the set is taken by the server, not refused as
in the future."""

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from test_desktop import only_row_is, press, rows, shot, sign_in, tid, wait

LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


def test_a_fast_clock_is_said_and_vitals_are_stamped_by_the_servers_time(workstation, screenshot_dir):
    assert Path(LIBFAKETIME).exists(), "libfaketime is missing (apt-get install faketime)"
    d = workstation("fastclock", env={"LD_PRELOAD": LIBFAKETIME, "FAKETIME": "+20m"}).driver
    # the webview's clock is off too
    ahead = d.execute_script("return Date.now();") / 1000 - datetime.now().timestamp()
    assert abs(ahead - 1200) < 10, f"the app's clock runs {ahead:.0f} s ahead"
    sign_in(d, "nurse")

    clock = d.find_element(*tid("status-clock"))
    wait(d).until(lambda x: clock.text == "Clock 20 min fast: ask IT")
    assert "nothing is recorded at a wrong time" in clock.get_attribute("title")

    search = d.find_element(*tid("patient-search"))
    search.send_keys("pagac")
    wait(d).until(lambda x: only_row_is(x, "Pagac"))
    search.send_keys(Keys.ENTER)
    wait(d).until(EC.visibility_of_element_located(tid("chart")))
    before = len(rows(d, "vitals-row"))
    press(d, tid("btn-record-vitals"))
    wait(d).until(EC.visibility_of_element_located(tid("vitals-systolic_mmhg")))

    # and says so where the time is
    assert "clock is 20 min fast" in d.find_element(By.ID, "vitals-measured_at-hint").text
    # the form starts at the clinic's time by the server's clock, not 20 minutes ahead
    tz = ZoneInfo(d.execute_script("return document.querySelector('#vitals-measured_at').title.match(/\\((.*)\\)/)[1];"))
    shown = datetime.strptime(d.find_element(*tid("vitals-measured_at")).get_attribute("value"), "%Y-%m-%d %H:%M")
    real = datetime.now(tz).replace(tzinfo=None)
    assert abs(shown - real) < timedelta(minutes=2), f"the form starts at {shown}, the clinic's time is {real:%H:%M}"

    for field, value in (("vitals-systolic_mmhg", "124"), ("vitals-diastolic_mmhg", "78"), ("vitals-heart_rate_bpm", "66")):
        d.find_element(*tid(field)).send_keys(value)
    shot(d, screenshot_dir, "clock-fast")
    press(d, tid("vitals-save"))
    wait(d).until(EC.visibility_of_element_located(tid("vitals-history")))
    wait(d).until(lambda x: len(rows(x, "vitals-row")) == before + 1)
    # sent and taken: nothing pending, nothing refused
    wait(d, 30).until(lambda x: all(r.get_attribute("data-pending") != "true" for r in rows(x, "vitals-row")))
    bar = d.find_element(*tid("status-rejected"))
    assert bar.get_attribute("data-count") == "0", bar.text
