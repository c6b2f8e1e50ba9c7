"""The workstation's security in the real app: the idle lock hides every patient detail behind a
lock screen naming the signed-in person, keeps what was being typed, unlocks with the password
(checked on the workstation) and not with a wrong one; Ctrl+L locks at once, a restart of the
page does not get round it, and "Sign in as someone else" signs out. Then the clinic's data is
removed from the computer through the Workstation dialog."""

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from test_desktop import PASSWORD, only_row_is, press, shot, sign_in, tid, type_into, wait

PATIENT = "Mosciski"
NOTE = "Half-typed note: dizzy since Tuesday"


def page_text(driver):
    """What a person can see: the body's rendered text (hidden elements do not count)."""
    return driver.find_element(By.TAG_NAME, "body").text


def locked(driver):
    found = driver.find_elements(*tid("lock-screen"))
    return bool(found) and found[0].is_displayed()


def test_idle_lock_hides_patients_keeps_the_form_and_unlocks_with_the_password(workstation, screenshot_dir):
    driver = workstation("lock").driver
    sign_in(driver, "nurse")
    who = driver.find_element(By.CSS_SELECTOR, "[data-testid=\"topbar-user\"] .user-name").text
    assert who

    # a chart is open and a vitals form half filled in
    search = driver.find_element(*tid("patient-search"))
    search.send_keys("mosc")
    wait(driver).until(lambda d: only_row_is(d, PATIENT))
    search.send_keys(Keys.ENTER)
    wait(driver).until(EC.visibility_of_element_located(tid("chart")))
    press(driver, tid("btn-record-vitals"))
    wait(driver).until(EC.visibility_of_element_located(tid("vitals-systolic_mmhg")))
    type_into(driver, tid("vitals-systolic_mmhg"), "142")
    type_into(driver, tid("vitals-notes"), NOTE)
    assert PATIENT in page_text(driver)

    # a three-second idle timeout (the workstation setting), then nobody touches anything
    driver.execute_script("localStorage.setItem('medoffice.idleLockMinutes', '0.05')")
    wait(driver, 30).until(locked)
    text = page_text(driver)
    assert PATIENT not in text, "no patient detail shows under the lock"
    assert NOTE not in text
    assert who in driver.find_element(*tid("lock-user")).text, "the lock screen names who is signed in"
    shot(driver, screenshot_dir, "lock-screen")

    # a wrong password says so and keeps the lock
    type_into(driver, tid("lock-password"), "not the password")
    press(driver, tid("lock-submit"))
    wait(driver).until(lambda d: "is not" in d.find_element(*tid("lock-password-error")).text)
    assert locked(driver)
    assert PATIENT not in page_text(driver)
    shot(driver, screenshot_dir, "lock-screen-wrong-password")

    # the right one unlocks: the form is as it was left
    driver.execute_script("localStorage.setItem('medoffice.idleLockMinutes', '10')")
    type_into(driver, tid("lock-password"), PASSWORD)
    press(driver, tid("lock-submit"))
    wait(driver).until(lambda d: not locked(d))
    assert driver.find_element(*tid("vitals-notes")).get_attribute("value") == NOTE
    assert driver.find_element(*tid("vitals-systolic_mmhg")).get_attribute("value") == "142"
    assert PATIENT in page_text(driver)
    # the session and the sync went on meanwhile
    assert driver.find_element(*tid("status-bar")).get_attribute("data-state") == "online"

    # Ctrl+L locks at once, and the shortcut is listed in the help
    ActionChains(driver).key_down(Keys.CONTROL).send_keys("l").key_up(Keys.CONTROL).perform()
    wait(driver).until(locked)
    assert PATIENT not in page_text(driver)

    # reloading the app's page does not get round the lock
    driver.refresh()
    wait(driver, 30).until(locked)
    assert PATIENT not in page_text(driver)

    type_into(driver, tid("lock-password"), PASSWORD)
    press(driver, tid("lock-submit"))
    wait(driver).until(lambda d: not locked(d))
    press(driver, tid("btn-help"))
    wait(driver).until(EC.visibility_of_element_located(tid("help-dialog")))
    assert "Ctrl+L" in driver.find_element(*tid("help-dialog")).text
    press(driver, tid("help-close"))

    # "Sign in as someone else" signs out
    press(driver, tid("btn-lock"))
    wait(driver).until(locked)
    press(driver, tid("lock-switch-user"))
    wait(driver).until(EC.visibility_of_element_located(tid("login-submit")))
    assert not locked(driver)

    # signed in again, the clinic's data can be removed from this computer
    sign_in(driver, "nurse")
    press(driver, tid("nav-settings"))
    wait(driver).until(EC.visibility_of_element_located(tid("settings-screen")))
    press(driver, tid("ws-wipe"))
    wait(driver).until(EC.visibility_of_element_located(tid("wipe-dialog")))
    assert "Every change made here has reached the server" in driver.find_element(*tid("wipe-unsent")).text
    shot(driver, screenshot_dir, "wipe-confirm")
    press(driver, tid("wipe-confirm"))
    wait(driver).until(EC.visibility_of_element_located(tid("login-submit")))
    assert "removed from this computer" in driver.find_element(*tid("login-notice")).text
