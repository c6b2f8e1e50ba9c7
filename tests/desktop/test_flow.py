"""The clinic-wide waiting room in the real app (issue 12), on two workstations of the demo
clinic: the front desk checks a patient in from the board with the keyboard (Enter), and the
nurse's board shows her waiting at once; the desk shows her to Room 1 (the key 1) and the nurse
sees the room; the nurse takes her in (Enter: with the clinician) and the desk sees it; then
done (Enter takes her to the Done button; finishing needs that button). The server is never
polled: every change arrives through the feed and the WebSocket."""

from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from test_desktop import key_to_focused, press, shot, sign_in, tid, wait


def board_state(driver, appointment_id):
    # read in the page: the board is redrawn live, so elements found earlier go stale
    return driver.execute_script(
        "const r = document.querySelector(`[data-testid=flow-row][data-appointment-id='${arguments[0]}']`);"
        "return r ? [r.dataset.state, (r.querySelector('[data-testid=flow-detail]') || {}).textContent || ''] : null;",
        appointment_id)


def focus_patient(driver, appointment_id):
    driver.execute_script(
        "document.querySelector(`[data-testid=flow-row][data-appointment-id='${arguments[0]}'] [data-testid=flow-patient]`).focus();",
        appointment_id)


def key_to_patient(driver, appointment_id, key):
    """Types `key` on the visit's patient in the board (again if a live redraw replaced it)."""
    key_to_focused(driver, lambda d: focus_patient(d, appointment_id), key)


def key_to_flow_next(driver, appointment_id, key):
    """Types `key` on the visit's next-step button (again if a live redraw replaced it)."""
    key_to_focused(driver, lambda d: d.execute_script(
        "document.querySelector(`[data-testid=flow-row][data-appointment-id='${arguments[0]}'] [data-testid=flow-next]`).focus();",
        appointment_id), key)


def test_the_waiting_room_moves_on_both_workstations_from_the_keyboard(workstation, screenshot_dir):
    desk = workstation("flow-desk").driver
    sign_in(desk, "reception")
    exam = workstation("flow-exam").driver
    sign_in(exam, "nurse", landing="today")
    for d in (desk, exam):
        press(d, tid("nav-flow"))
        wait(d).until(EC.visibility_of_element_located(tid("flow-screen")))
    # a visit of today's demo schedule nobody has checked in yet
    visit = wait(desk).until(lambda d: d.execute_script(
        "const r = [...document.querySelectorAll('[data-testid=flow-row]')]"
        ".find(r => ['expected', 'late', 'not_arrived'].includes(r.dataset.state));"
        "return r ? r.dataset.appointmentId : null;"))
    wait(exam).until(lambda d: board_state(d, visit) is not None)

    # Enter on the patient: checked in, waiting on the nurse's board too
    key_to_patient(desk, visit, Keys.ENTER)
    wait(desk).until(lambda d: board_state(d, visit)[0] == "waiting")
    wait(exam).until(lambda d: board_state(d, visit)[0] == "waiting")

    # 1: to the first room
    key_to_patient(desk, visit, "1")
    wait(desk).until(lambda d: board_state(d, visit)[0] == "in_room")
    wait(exam).until(lambda d: board_state(d, visit) == ["in_room", " Room 1"])
    wait(exam).until(lambda d: any("Room 1" in c.text and "in room" in c.text for c in d.find_elements(*tid("flow-room-chip"))))
    shot(exam, screenshot_dir, "waiting-room")

    # the nurse takes her in; the desk sees it; then done
    key_to_patient(exam, visit, Keys.ENTER)
    wait(desk).until(lambda d: board_state(d, visit)[0] == "with_clinician")
    # finishing is never one key press away: Enter on the name goes to the Done button
    key_to_patient(exam, visit, Keys.ENTER)
    wait(exam).until(lambda d: d.switch_to.active_element.get_attribute("data-testid") == "flow-next")
    assert board_state(exam, visit)[0] == "with_clinician"
    key_to_flow_next(exam, visit, Keys.ENTER)
    wait(desk).until(lambda d: board_state(d, visit)[0] == "done")
    wait(desk).until(lambda d: all("free" in c.text or "Room 1" not in c.text for c in d.find_elements(*tid("flow-room-chip"))))
