"""Accessibility, themes and layout of every screen, in the real app. The administrator of the demo
clinic (who may open every screen) visits each screen in the light theme, then switches to the
dark theme on the Settings screen and visits them all again. On each screen axe-core (the
`axe-core` npm package of ui/, injected into the webview) checks WCAG 2.0/2.1 A and AA rules;
the test fails with every violation listed (rule, element, summary). At 1280×720 no screen
scrolls sideways and its primary action is on screen; at 2560×1440 lists grow and forms keep
a readable width. Each screen is photographed in each theme as `<screen>-light.png` /
`<screen>-dark.png` (1280×800), so `scripts/screenshots` can refresh docs/screenshots."""

import json

from selenium.common.exceptions import StaleElementReferenceException

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from conftest import ROOT
from test_desktop import PASSWORD, press, rows, shot, sign_in, step, tid, type_into, wait

AXE = (ROOT / "ui" / "node_modules" / "axe-core" / "axe.min.js").read_text()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SHOT_SIZE = (1280, 800)
SMALL = (1280, 720)
LARGE = (2560, 1440)


def axe_violations(driver):
    """axe-core's WCAG A/AA violations on the page as it is now, one line each."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(AXE)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
        ".then(r => done(JSON.stringify(r.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))})))))"
        ".catch(e => done(JSON.stringify({error: String(e)})));",
        WCAG_TAGS,
    )
    found = json.loads(result)
    assert not isinstance(found, dict), f"axe-core failed to run: {found}"
    return [f"{v['id']} ({v['help']}): {n['target']}: {n['summary']}" for v in found for n in v["nodes"]]


def settle(driver):
    """Waits until nothing on the page is still loading (aria-busy) and two frames are drawn."""
    wait(driver).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "[aria-busy='true']"))
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "requestAnimationFrame(() => requestAnimationFrame(() => done()));"
    )


def layout_problems(driver, primary):
    """Sideways scrolling of the page or the main area, and a primary action off screen."""
    m = driver.execute_script(
        "const s = document.scrollingElement, main = document.getElementById('main');"
        "const p = arguments[0] ? document.querySelector(arguments[0]) : null;"
        "const r = p ? p.getBoundingClientRect() : null;"
        "const bar = document.querySelector('[data-testid=\"status-bar\"]');"
        "return {inner: innerWidth, innerH: bar && bar.getBoundingClientRect().height > 0 ? bar.getBoundingClientRect().top : innerHeight, page: s.scrollWidth,"
        " main: main ? main.scrollWidth - main.clientWidth : 0,"
        " primary: r ? [r.left, r.top, r.right, r.bottom, r.width] : null};",
        primary,
    )
    problems = []
    if m["page"] > m["inner"]:
        problems.append(f"the page scrolls sideways: {m['page']}px wide in a {m['inner']}px window")
    if m["main"] > 0:
        problems.append(f"the main area scrolls sideways by {m['main']}px")
    if primary:
        if m["primary"] is None:
            problems.append(f"primary action {primary} missing")
        else:
            left, top, right, bottom, width = m["primary"]
            if width <= 0 or left < 0 or right > m["inner"] or top < 0 or bottom > m["innerH"]:
                problems.append(f"primary action {primary} is off screen at {m['primary']} (visible area {m['inner']}x{m['innerH']} above the status bar)")
    return problems


def to_patients(d):
    press(d, tid("nav-patients"))
    box = wait(d).until(EC.visibility_of_element_located(tid("patient-search")))
    # the last search is kept across screens: empty it, so the whole list shows
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    wait(d).until(lambda x: len(rows(x, "patient-row")) >= 27)


def to_register(d):
    to_patients(d)
    press(d, tid("btn-register-patient"))
    wait(d).until(EC.visibility_of_element_located(tid("reg-form")))


def to_chart(d):
    press(d, tid("nav-patients"))
    box = wait(d).until(EC.visibility_of_element_located(tid("patient-search")))
    box.clear()
    box.send_keys("mosc")
    wait(d).until(lambda x: len(rows(x, "patient-row")) == 1 and "Mosciski" in rows(x, "patient-row")[0].text)
    box.send_keys(Keys.ENTER)
    wait(d).until(EC.visibility_of_element_located(tid("chart")))
    wait(d).until(lambda x: len(rows(x, "vitals-row")) >= 1)


def to_vitals(d):
    to_chart(d)
    press(d, tid("btn-record-vitals"))
    wait(d).until(EC.visibility_of_element_located(tid("vitals-systolic_mmhg")))
    # abnormal values, so flags and the NEWS2 band are on the page
    for field, value in (("vitals-systolic_mmhg", "168"), ("vitals-heart_rate_bpm", "112"), ("vitals-spo2_pct", "91")):
        type_into(d, tid(field), value)
    wait(d).until(lambda x: x.find_element(*tid("vitals-flag-spo2_pct")).get_attribute("data-flag") == "low")


def to_schedule(d):
    press(d, tid("nav-schedule"))
    press(d, tid("schedule-view-day"))
    wait(d).until(lambda x: len(rows(x, "schedule-row")) >= 1)


def to_schedule_week(d):
    to_schedule(d)
    press(d, tid("schedule-view-week"))
    wait(d).until(lambda x: len(x.find_elements(*tid("grid-column-title"))) == 7)


def to_free_slots(d):
    to_schedule(d)
    press(d, tid("btn-find-slot"))
    press(d, tid("slot-find"))
    wait(d).until(lambda x: len(rows(x, "slot-result")) >= 1)


def leave_free_slots(d):
    press(d, tid("slot-close-dialog"))
    wait(d).until(lambda x: not rows(x, "slot-result"))


def to_edit_patient(d):
    to_chart(d)
    press(d, tid("btn-edit-patient"))
    wait(d).until(EC.visibility_of_element_located(tid("edit-phone")))


def to_move_dialog(d):
    to_schedule(d)
    # Read the id in the page: the grid re-renders as the feed arrives, so a
    # held element can go stale between finding it and reading it.
    appt_id = wait(d).until(lambda x: x.execute_script(
        'const b = document.querySelector(\'[data-testid="grid-appt"][draggable="true"]\');'
        ' return b ? b.dataset.appointmentId : null;'))

    def opened(x):
        try:
            b = x.find_element(By.CSS_SELECTOR, f'[data-testid="grid-appt"][data-appointment-id="{appt_id}"]')
            x.execute_script("arguments[0].focus();", b)
            x.switch_to.active_element.send_keys("m")
        except StaleElementReferenceException:
            return False
        return bool(x.find_elements(*tid("move-form")))
    wait(d).until(opened)


def leave_move_dialog(d):
    press(d, tid("move-keep"))
    wait(d).until(lambda x: not x.find_elements(*tid("move-form")))


def to_book(d):
    to_schedule(d)
    press(d, tid("btn-book-appointment"))
    wait(d).until(EC.visibility_of_element_located(tid("book-form")))


def nav_to(item, ready):
    def go(d):
        press(d, tid(item))
        wait(d).until(EC.visibility_of_element_located(tid(ready)))
    return go


def to_help(d):
    to_patients(d)
    press(d, tid("btn-help"))
    wait(d).until(EC.visibility_of_element_located(tid("help-dialog")))


def leave_help(d):
    press(d, tid("help-close"))
    wait(d).until(EC.invisibility_of_element_located(tid("help-dialog")))


def locked(d):
    found = d.find_elements(*tid("lock-screen"))
    return bool(found) and found[0].is_displayed()


def to_lock(d):
    press(d, tid("btn-lock"))
    wait(d).until(locked)


def leave_lock(d):
    type_into(d, tid("lock-password"), PASSWORD)
    press(d, tid("lock-submit"))
    wait(d).until(lambda x: not locked(x))


# (name, how to get there, primary action that must be on screen at 1280×720, how to leave)
SCREENS = [
    ("patients", to_patients, '[data-testid="btn-register-patient"]', None),
    ("register", to_register, '[data-testid="reg-save"]', None),
    ("chart", to_chart, '[data-testid="btn-record-vitals"]', None),
    ("vitals", to_vitals, '[data-testid="vitals-save"]', None),
    ("edit-patient", to_edit_patient, None, None),
    ("schedule", to_schedule, '[data-testid="btn-book-appointment"]', None),
    ("schedule-week", to_schedule_week, None, None),
    ("free-slots", to_free_slots, '[data-testid="slot-result"]', leave_free_slots),
    ("move-dialog", to_move_dialog, '[data-testid="move-save"]', leave_move_dialog),
    ("book", to_book, '[data-testid="book-save"]', None),
    ("review", nav_to("nav-review", "review"), None, None),
    ("waiting-room", nav_to("nav-flow", "flow-screen"), None, None),
    ("account", nav_to("nav-account", "account-screen"), '[data-testid="account-change-password"]', None),
    ("users", nav_to("nav-users", "users-screen"), None, None),
    ("clinic-settings", nav_to("nav-clinic", "clinic-screen"), '[data-testid="clinic-save"]', None),
    ("opening-hours", nav_to("nav-hours", "hours-screen"), '[data-testid="hours-clinic-week-save"]', None),
    ("audit-log", nav_to("nav-audit", "audit-screen"), None, None),
    ("settings", nav_to("nav-settings", "settings-screen"), '[data-testid="set-theme-dark"]', None),
    ("help", to_help, '[data-testid="help-close"]', leave_help),
    ("lock-screen", to_lock, '[data-testid="lock-submit"]', leave_lock),
]


def visit_all(driver, theme, screenshot_dir, failures, check_layout):
    for name, go, primary, leave in SCREENS:
        step(f"{name} ({theme})")
        if check_layout:
            driver.set_window_size(*SMALL)
        go(driver)
        settle(driver)
        assert driver.execute_script("return document.documentElement.dataset.theme") == theme
        if check_layout:
            failures.extend(f"{name} at 1280x720: {p}" for p in layout_problems(driver, primary))
            driver.set_window_size(*SHOT_SIZE)
            settle(driver)
        failures.extend(f"{name} ({theme}): {v}" for v in axe_violations(driver))
        shot(driver, screenshot_dir, f"{name}-{theme}")
        if leave:
            leave(driver)


def body_background(driver):
    return driver.execute_script("return getComputedStyle(document.body).backgroundColor")


def test_every_screen_passes_axe_in_both_themes_and_fits_the_window(workstation, screenshot_dir):
    driver = workstation("a11y").driver
    driver.set_window_size(*SHOT_SIZE)
    failures = []

    # the sign-in page: its Settings dialog sets the theme before anyone signs in
    wait(driver, 30).until(EC.visibility_of_element_located(tid("login-submit")))
    press(driver, tid("login-settings"))
    wait(driver).until(EC.visibility_of_element_located(tid("login-settings-dialog")))
    press(driver, tid("set-theme-light"))
    wait(driver).until(lambda d: d.execute_script("return document.documentElement.dataset.theme") == "light")
    failures.extend(f"login settings (light): {v}" for v in axe_violations(driver))
    shot(driver, screenshot_dir, "login-settings-light")
    press(driver, tid("login-settings-close"))
    settle(driver)
    failures.extend(f"login (light): {v}" for v in axe_violations(driver))
    driver.set_window_size(*SMALL)
    failures.extend(f"login at 1280x720: {p}" for p in layout_problems(driver, '[data-testid="login-submit"]'))
    driver.set_window_size(*SHOT_SIZE)
    shot(driver, screenshot_dir, "login-light")
    light_bg = body_background(driver)

    sign_in(driver, "admin")
    visit_all(driver, "light", screenshot_dir, failures, check_layout=True)

    # a large monitor: lists grow with the window, forms keep a readable width
    driver.set_window_size(*LARGE)
    to_patients(driver)
    settle(driver)
    size = driver.execute_script("return [innerWidth, innerHeight]")
    assert size[0] >= 2400, f"the window did not grow to 2560 wide (it is {size})"
    table = driver.execute_script("return document.querySelector('[data-testid=\"patient-row\"]').closest('table').getBoundingClientRect().width")
    assert table > 1800, f"the patient list stays {table}px wide on a 2560px window"
    failures.extend(f"patients at 2560x1440: {p}" for p in layout_problems(driver, '[data-testid="btn-register-patient"]'))
    to_register(driver)
    settle(driver)
    form = driver.execute_script("return document.querySelector('[data-testid=\"reg-form\"]').getBoundingClientRect().width")
    assert 600 < form <= 1100, f"the registration form is {form}px wide on a 2560px window"
    to_schedule(driver)
    settle(driver)
    failures.extend(f"schedule at 2560x1440: {p}" for p in layout_problems(driver, '[data-testid="btn-book-appointment"]'))
    shot(driver, screenshot_dir, "schedule-2560-light")
    driver.set_window_size(*SHOT_SIZE)

    # the dark theme, chosen on the Settings screen: drawn at once, announced to charts
    press(driver, tid("nav-settings"))
    wait(driver).until(EC.visibility_of_element_located(tid("settings-screen")))
    driver.execute_script(
        "window.__themeEvents = 0; window.addEventListener('medoffice-theme-changed', () => window.__themeEvents++);"
    )
    press(driver, tid("set-theme-dark"))
    wait(driver).until(lambda d: d.execute_script("return document.documentElement.dataset.theme") == "dark")
    assert driver.execute_script("return window.__themeEvents") == 1
    assert driver.execute_script("return getComputedStyle(document.documentElement).colorScheme") == "dark"
    assert body_background(driver) != light_bg
    assert "Dark" in driver.find_element(*tid("set-theme-saved")).text

    visit_all(driver, "dark", screenshot_dir, failures, check_layout=False)

    # signed out, the sign-in page keeps the dark theme
    press(driver, tid("btn-logout"))
    wait(driver).until(EC.visibility_of_element_located(tid("login-submit")))
    settle(driver)
    assert driver.execute_script("return document.documentElement.dataset.theme") == "dark"
    failures.extend(f"login (dark): {v}" for v in axe_violations(driver))
    shot(driver, screenshot_dir, "login-dark")
    # and so does a new start of the app (read before the first paint)
    driver.refresh()
    wait(driver, 30).until(EC.visibility_of_element_located(tid("login-submit")))
    assert driver.execute_script("return document.documentElement.dataset.theme") == "dark"

    assert not failures, "accessibility and layout problems:\n" + "\n".join(failures)


def test_settings_remember_server_clinic_and_units_with_errors_at_their_fields(workstation, server, screenshot_dir):
    driver = workstation("settings").driver
    wait(driver, 30).until(EC.visibility_of_element_located(tid("login-submit")))

    # from the sign-in page (Ctrl+, there too): a bad address and clinic code are refused next
    # to their fields
    ActionChains(driver).key_down(Keys.CONTROL).send_keys(",").key_up(Keys.CONTROL).perform()
    wait(driver).until(EC.visibility_of_element_located(tid("login-settings-dialog")))
    type_into(driver, tid("set-server-url"), "http://10.1.2.3:8080")
    type_into(driver, tid("set-tenant"), "Not a code!")
    press(driver, tid("set-signin-save"))
    wait(driver).until(lambda d: "unencrypted" in d.find_element(*tid("set-server-url-error")).text)
    assert "letters, digits or hyphens" in driver.find_element(*tid("set-tenant-error")).text
    assert driver.find_element(*tid("set-server-url")).get_attribute("aria-invalid") == "true"
    shot(driver, screenshot_dir, "settings-errors")
    # a good pair is saved, shown back, and put into the sign-in form
    type_into(driver, tid("set-server-url"), server + "/")
    type_into(driver, tid("set-tenant"), "Demo")
    press(driver, tid("set-signin-save"))
    wait(driver).until(lambda d: server in d.find_element(*tid("set-signin-saved")).text)
    assert driver.find_element(*tid("set-server-url-error")).text == ""
    press(driver, tid("login-settings-close"))
    assert driver.find_element(*tid("login-server-url")).get_attribute("value") == server
    assert driver.find_element(*tid("login-tenant")).get_attribute("value") == "demo"

    # kept by the client core: a new start of the app offers them
    driver.refresh()
    wait(driver, 30).until(EC.visibility_of_element_located(tid("login-submit")))
    assert driver.find_element(*tid("login-tenant")).get_attribute("value") == "demo"
    sign_in(driver, "nurse")

    # keyboard: the skip link is the first stop of the shell and takes the focus to the screen
    active = "return document.activeElement && (document.activeElement.dataset.testid || document.activeElement.id)"
    driver.execute_script("document.querySelector('[data-testid=\"btn-help\"]').focus()")
    ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    assert driver.execute_script(active) == "skip-link"
    wait(driver).until(lambda d: d.execute_script("return document.activeElement.getBoundingClientRect().top") >= 0)  # shown when focused
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    wait(driver).until(lambda d: d.execute_script("return document.getElementById('main').contains(document.activeElement)"))
    # a dialog keeps the focus inside while open and gives it back when closed
    driver.execute_script("document.querySelector('[data-testid=\"nav-account\"]').focus()")
    ActionChains(driver).send_keys("?").perform()
    wait(driver).until(EC.visibility_of_element_located(tid("help-dialog")))
    assert "Ctrl+," in driver.find_element(*tid("help-dialog")).text
    for _ in range(3):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        assert driver.execute_script("return document.getElementById('help-dialog').contains(document.activeElement)")
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    wait(driver).until(EC.invisibility_of_element_located(tid("help-dialog")))
    assert driver.execute_script(active) == "nav-account"

    # Ctrl+, opens Settings; units chosen there are the vitals form's
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.CONTROL, ",")
    wait(driver).until(EC.visibility_of_element_located(tid("settings-screen")))
    Select(driver.find_element(*tid("set-unit-temperature"))).select_by_value("F")
    Select(driver.find_element(*tid("set-unit-weight"))).select_by_value("lb")
    press(driver, tid("set-units-save"))
    wait(driver).until(lambda d: "°F" in d.find_element(*tid("set-units-saved")).text)
    # signed in, a new server applies at the next sign-in, and says so
    type_into(driver, tid("set-tenant"), "demo")
    press(driver, tid("set-signin-save"))
    wait(driver).until(lambda d: "next sign-in" in d.find_element(*tid("set-signin-saved")).text)
    # the idle lock refuses nonsense next to its field
    type_into(driver, tid("ws-idle-minutes"), "0")
    press(driver, tid("ws-idle-save"))
    wait(driver).until(lambda d: "between 1 and" in d.find_element(*tid("ws-idle-minutes-error")).text)
    type_into(driver, tid("ws-idle-minutes"), "15")
    press(driver, tid("ws-idle-save"))
    wait(driver).until(lambda d: "15 minutes" in d.find_element(*tid("set-idle-saved")).text)
    assert driver.execute_script("return localStorage.getItem('medoffice.idleLockMinutes')") == "15"

    press(driver, tid("nav-patients"))
    box = wait(driver).until(EC.visibility_of_element_located(tid("patient-search")))
    box.send_keys("mosc")
    wait(driver).until(lambda d: len(rows(d, "patient-row")) == 1)
    box.send_keys(Keys.ENTER)
    press(driver, tid("btn-record-vitals"))
    wait(driver).until(EC.visibility_of_element_located(tid("vitals-systolic_mmhg")))
    page = driver.find_element(*tid("vitals-form")).text
    assert "°F" in page and "lb" in page, "the vitals form uses the units chosen in Settings"


def test_my_patients_today_passes_axe_in_both_themes(workstation, screenshot_dir):
    """The nurse's landing screen, which the administrator does not have."""
    driver = workstation("a11y-nurse").driver
    driver.set_window_size(*SHOT_SIZE)
    sign_in(driver, "nurse", landing="today")
    failures = []
    for theme in ("light", "dark"):
        press(driver, tid("nav-settings"))
        wait(driver).until(EC.visibility_of_element_located(tid("settings-screen")))
        press(driver, tid(f"set-theme-{theme}"))
        wait(driver).until(lambda d: d.execute_script("return document.documentElement.dataset.theme") == theme)
        press(driver, tid("nav-today"))
        wait(driver).until(lambda d: len(rows(d, "today-row")) >= 1)
        settle(driver)
        failures.extend(f"today ({theme}): {v}" for v in axe_violations(driver))
        shot(driver, screenshot_dir, f"today-{theme}")
    assert not failures, "accessibility problems:\n" + "\n".join(failures)
