"""Accounts, administration and the audit log in the real app. A clinic of its own (so the demo
clinic the other tests use is left as it was), with its administrator and three patients.
The administrator creates a nurse, who gets a temporary password; the nurse signs in on a second
workstation, must choose her own password first (a wrong current password is refused next to
its field), then works and opens a patient's chart. The administrator's audit log, filtered by
that patient, shows the nurse opening the chart, and exports it as CSV. The administrator
deactivates the nurse, whose app is signed out at once. The administrator turns on two-factor
sign-in for herself (codes computed with pyotp), makes it the clinic's rule, and signs in again
with a code. Every new screen is photographed."""

import csv
import json
import os
import subprocess
import time
import urllib.request

import pyotp
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from conftest import ROOT, TARGET
from test_desktop import in_app, press, rows, shot, step, tid, type_into, wait

TENANT = "hillside"
ADMIN = "ada.admin"
ADMIN_PASSWORD = "hillside admin password 1"
NURSE = "nina.nurse"
NURSE_PASSWORD = "river stone lamp 42"


def rest(base, method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")


@pytest.fixture(scope="module")
def clinic(database, server):
    """The clinic `hillside` (New York time) with its administrator and a few patients."""
    env = {**os.environ, "DATABASE_URL": database, "MEDOFFICE_NEW_PASSWORD": ADMIN_PASSWORD}
    cli = str(TARGET / "medoffice-server")
    for args in (
        ["create-tenant", "--code", TENANT, "--name", "Hillside Family Clinic", "--time-zone", "America/New_York"],
        ["create-user", "--tenant", TENANT, "--username", ADMIN, "--full-name", "Ada Lovelace", "--role", "admin"],
    ):
        done = subprocess.run([cli, *args], env=env, cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, f"{args[0]} failed:\n{done.stdout}\n{done.stderr}"
    token = rest(server, "POST", "/api/v1/auth/login", {"tenant": TENANT, "username": ADMIN, "password": ADMIN_PASSWORD})["access_token"]
    for given, family, born, sex in (
        ("Marisol", "Mosciski", "1971-05-02", "female"),
        ("Tobias", "Reinhardt", "1958-11-23", "male"),
        ("Aiko", "Tanabe", "1990-02-14", "female"),
    ):
        rest(server, "POST", "/api/v1/patients", {"given_name": given, "family_name": family, "date_of_birth": born, "sex": sex}, token)
    return TENANT


def fill_login(driver, username, password):
    wait(driver, 30).until(EC.visibility_of_element_located(tid("login-submit")))
    for field, value in (("login-tenant", TENANT), ("login-username", username), ("login-password", password)):
        type_into(driver, tid(field), value)
    press(driver, tid("login-submit"))


def in_shell(driver):
    # nurses land on "My patients today": this test starts from the patient search
    in_app(driver, "patients")


def text(driver, testid):
    return driver.find_element(*tid(testid)).text


def save_dialog(title, path, seconds=30):
    """Answers the system's save dialog (GTK's file chooser, a window of its own that WebDriver
    cannot reach) as a person would: its name field has the focus; type the whole path, Enter."""
    deadline = time.monotonic() + seconds
    while True:
        found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title], capture_output=True, text=True).stdout.split()
        if found:
            break
        assert time.monotonic() < deadline, f"no save dialog titled {title!r}"
        time.sleep(0.2)
    win = found[-1]
    subprocess.run(["xdotool", "windowfocus", "--sync", win], check=True)
    time.sleep(0.5)  # the chooser fills its name field once shown
    subprocess.run(["xdotool", "key", "--clearmodifiers", "ctrl+a"], check=True)
    subprocess.run(["xdotool", "type", "--delay", "20", str(path)], check=True)
    subprocess.run(["xdotool", "key", "Return"], check=True)


def next_totp(secret, after_step):
    """A code of a 30-second step later than `after_step` (a code is good once)."""
    while int(time.time() // 30) <= after_step:
        time.sleep(0.5)
    return pyotp.TOTP(secret).now(), int(time.time() // 30)


def test_staff_accounts_audit_and_two_factor(clinic, workstation, screenshot_dir):
    office = workstation("office")
    admin = office.driver
    fill_login(admin, ADMIN, ADMIN_PASSWORD)
    in_shell(admin)

    # ---- a new nurse, with a temporary password shown once
    press(admin, tid("nav-users"))
    wait(admin).until(lambda d: len(rows(d, "user-row")) == 1)
    press(admin, tid("users-add"))
    type_into(admin, tid("new-user-username"), NURSE)
    type_into(admin, tid("new-user-full_name"), "Nina Okafor")
    Select(admin.find_element(*tid("new-user-role"))).select_by_value("nurse")
    press(admin, tid("new-user-save"))
    temp = wait(admin).until(EC.visibility_of_element_located(tid("temp-password"))).text.strip()
    assert len(temp) >= 10
    assert "must change it at their first sign-in" in text(admin, "created-dialog")
    shot(admin, screenshot_dir, "user-created")
    press(admin, tid("created-dialog-close"))
    nurse_row = (By.CSS_SELECTOR, f'[data-testid="user-row"][data-username="{NURSE}"]')
    wait(admin).until(EC.visibility_of_element_located(nurse_row))
    nurse_id = admin.find_element(*nurse_row).get_attribute("data-user-id")
    assert "temporary password" in admin.find_element(*nurse_row).text
    shot(admin, screenshot_dir, "users")

    # ---- the nurse signs in on her workstation and must choose her own password first
    exam = workstation("exam")
    nurse = exam.driver
    fill_login(nurse, NURSE, temp)
    wait(nurse, 30).until(EC.visibility_of_element_located(tid("pw-form")))
    assert not nurse.find_elements(*tid("shell"))
    type_into(nurse, tid("pw-current"), "not the temporary one")
    type_into(nurse, tid("pw-new"), NURSE_PASSWORD)
    type_into(nurse, tid("pw-repeat"), NURSE_PASSWORD)
    press(nurse, tid("pw-save"))
    # the server's answer, next to the field it concerns
    wait(nurse).until(lambda d: d.find_element(*tid("pw-current-error")).text.strip() != "")
    assert nurse.find_element(*tid("pw-current")).get_attribute("aria-invalid") == "true"
    shot(nurse, screenshot_dir, "change-password")
    type_into(nurse, tid("pw-current"), temp)
    press(nurse, tid("pw-save"))
    in_shell(nurse)
    step("nurse signed in with her own password")

    # ---- she works: opens a patient's chart (read from her workstation's cache)
    search = nurse.find_element(*tid("patient-search"))
    search.send_keys("mosc")
    wait(nurse).until(lambda d: len(rows(d, "patient-row")) == 1 and "Mosciski" in rows(d, "patient-row")[0].text)
    patient_id = rows(nurse, "patient-row")[0].get_attribute("data-patient-id")
    search.send_keys(Keys.ENTER)
    wait(nurse).until(EC.visibility_of_element_located(tid("chart")))

    # ---- the audit log, filtered by that patient, shows her read
    press(admin, tid("nav-audit"))
    wait(admin).until(EC.visibility_of_element_located(tid("audit-table")))
    type_into(admin, tid("audit-patient"), "mosc")
    wait(admin).until(lambda d: len(rows(d, "audit-patient-option")) == 1)
    admin.find_element(*tid("audit-patient")).send_keys(Keys.ENTER)
    wait(admin).until(EC.visibility_of_element_located(tid("audit-patient-chosen")))

    def nurse_read_shown(d):
        press(d, tid("audit-apply"))
        found = rows(d, "audit-row")
        return (
            found
            and all(r.get_attribute("data-patient-id") == patient_id for r in found)
            and any(r.get_attribute("data-action") == "patient.chart_open" and r.get_attribute("data-user-id") == nurse_id for r in found)
        )

    wait(admin, 30).until(nurse_read_shown)
    read = next(r for r in rows(admin, "audit-row") if r.get_attribute("data-user-id") == nurse_id)
    assert "Opened patient chart" in read.text and "Nina Okafor" in read.text
    # only what was done to the record (not the audit reads of this search)
    Select(admin.find_element(*tid("audit-action"))).select_by_value("patient.*")
    press(admin, tid("audit-apply"))
    wait(admin).until(lambda d: rows(d, "audit-row") and all(r.get_attribute("data-action").startswith("patient.") for r in rows(d, "audit-row")))
    assert any(r.get_attribute("data-user-id") == nurse_id for r in rows(admin, "audit-row"))
    shot(admin, screenshot_dir, "audit-log")

    # ---- exported as CSV to a file the administrator chooses in the system's save dialog
    target = office.home / "nurse-reads.csv"
    press(admin, tid("audit-export"))
    save_dialog("Export the audit log", target)
    done = wait(admin).until(EC.visibility_of_element_located(tid("audit-export-done")))
    assert str(target) in done.text
    with open(target, newline="") as f:
        exported = list(csv.DictReader(f))
    assert exported and any(r.get("action") == "patient.chart_open" and r.get("username") == NURSE for r in exported)

    # ---- deactivated: her app is signed out at once
    press(admin, tid("nav-users"))
    press(admin, (By.CSS_SELECTOR, f'[data-testid="user-row"][data-username="{NURSE}"] [data-testid="user-deactivate"]'))
    assert "ends their sessions now" in text(admin, "active-dialog-text")
    press(admin, tid("active-dialog-confirm"))
    wait(admin).until(lambda d: d.find_element(*nurse_row).get_attribute("data-active") == "false")
    wait(nurse, 60).until(EC.visibility_of_element_located(tid("login-notice")))
    assert "deactivated" in text(nurse, "login-notice")
    assert not nurse.find_elements(*tid("shell"))
    shot(nurse, screenshot_dir, "signed-out-deactivated")

    # ---- two-factor sign-in for the administrator herself
    press(admin, tid("nav-account"))
    wait(admin).until(lambda d: text(d, "account-totp-state") == "Off")
    shot(admin, screenshot_dir, "account")
    press(admin, tid("account-totp-setup"))
    wait(admin).until(EC.visibility_of_element_located(tid("totp-qr")))
    secret = admin.find_element(*tid("totp-secret")).get_attribute("data-secret")
    shot(admin, screenshot_dir, "totp-setup")
    code, used = next_totp(secret, -1)
    type_into(admin, tid("totp-code"), code)
    press(admin, tid("totp-confirm"))
    wait(admin).until(EC.visibility_of_element_located(tid("recovery-codes")))
    assert len(rows(admin, "recovery-code")) == 10
    shot(admin, screenshot_dir, "recovery-codes")
    press(admin, tid("recovery-continue"))
    wait(admin).until(lambda d: text(d, "account-totp-state") == "On")

    # ---- the clinic's rule: administrators must use it; the plan's limits are shown
    press(admin, tid("nav-clinic"))
    wait(admin).until(EC.visibility_of_element_located(tid("clinic-form")))
    assert text(admin, "clinic-code") == TENANT
    press(admin, tid("clinic-require-admin-totp"))
    press(admin, tid("clinic-save"))
    wait(admin).until(lambda d: "Clinic settings saved." in d.find_element(*tid("toasts")).text)
    shot(admin, screenshot_dir, "clinic-settings")

    # ---- signing in again needs a code (the one used to confirm is spent: the next one)
    press(admin, tid("btn-logout"))
    fill_login(admin, ADMIN, ADMIN_PASSWORD)
    wait(admin, 30).until(EC.visibility_of_element_located(tid("login-totp")))
    shot(admin, screenshot_dir, "totp-login")
    code, used = next_totp(secret, used)
    type_into(admin, tid("login-totp"), code)
    press(admin, tid("login-submit"))
    in_shell(admin)
    assert admin.find_elements(*tid("nav-audit"))
