"""A new workstation's first sync of a large clinic shows its progress in the status bar
(records so far, of about how many, time left), and the patient search answers from what has
arrived before the sync ends."""

import os
import subprocess

from conftest import TARGET
from selenium.webdriver.support import expected_conditions as EC
from test_desktop import PASSWORD, press, shot, tid, wait


def test_a_first_sync_shows_its_progress_and_search_works_meanwhile(workstation, database, screenshot_dir):
    # a clinic large enough for a first sync of many pages (medoffice-load generate: staff
    # admin, doctor, nurse, reception; family names drawn from a list led by Smith)
    env = {**os.environ, "DATABASE_URL": database, "MEDOFFICE_BENCH_PASSWORD": PASSWORD}
    subprocess.run([str(TARGET / "medoffice-load"), "--tenant", "large", "generate", "--patients", "100000",
                    "--vitals", "300000", "--appointments", "0", "--providers", "1"],
                   env=env, check=True, capture_output=True)
    ws = workstation("large")
    driver = ws.driver
    w = wait(driver, 30)
    w.until(lambda d: d.find_elements(*tid("login-submit")))
    for field, value in (("login-tenant", "large"), ("login-username", "reception"), ("login-password", PASSWORD)):
        el = driver.find_element(*tid(field))
        el.clear()
        el.send_keys(value)
    press(driver, tid("login-submit"))
    # the shell opens at once, the sync under way (not `in_app`: that waits for "Online")
    w.until(EC.visibility_of_element_located(tid("patient-search")))
    assert driver.find_element(*tid("status-bar")).get_attribute("data-state") == "syncing"
    progress = lambda d: d.find_element(*tid("status-catch-up")).text  # noqa: E731
    w.until(lambda d: progress(d).startswith("Receiving the clinic's records:"))
    # the search answers from the records that have arrived, while more arrive
    search = driver.find_element(*tid("patient-search"))
    search.send_keys("smi")
    wait(driver, 30).until(lambda d: d.find_elements(*tid("patient-row")))
    assert "Receiving the clinic's records:" in progress(driver), "the sync ended before the search answered"
    assert " of about " in progress(driver), progress(driver)
    # above the results: a patient not found may not have arrived (not a reason to register again)
    notice = driver.find_element(*tid("patients-still-arriving"))
    assert notice.is_displayed() and "may not have arrived yet" in notice.text, notice.text
    # "Not synced yet" beside the progress read as a failure: the progress says it all
    assert driver.find_element(*tid("status-last-sync")).text == ""
    shot(driver, screenshot_dir, "first-sync")
    # and it ends, the progress gone, the bar saying when it last synced
    wait(driver, 600).until(lambda d: d.find_element(*tid("status-bar")).get_attribute("data-state") == "online")
    assert not driver.find_element(*tid("status-catch-up")).is_displayed()
    wait(driver, 10).until(lambda d: not d.find_element(*tid("patients-still-arriving")).is_displayed())
    assert driver.find_element(*tid("status-last-sync")).text.startswith("Last sync"), driver.find_element(*tid("status-last-sync")).text
