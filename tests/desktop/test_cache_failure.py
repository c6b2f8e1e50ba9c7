"""A computer that cannot write its local copy of the clinic's records (a full or failing disk)
says so in the status bar, with what to do, and never as "offline": the cache files get the
kernel's immutable flag (chattr +i stops even root) while the app runs, and a patient registered
at another workstation arrives that this one cannot store."""

import subprocess
from pathlib import Path

from test_admin import rest
from test_desktop import PASSWORD, shot, sign_in, tid, wait


def connection_text(driver):
    return driver.find_element(*tid("status-connection")).text


def test_a_cache_that_cannot_be_written_is_said_as_such_not_as_offline(workstation, server, screenshot_dir):
    ws = workstation("disk")
    driver = ws.driver
    sign_in(driver, "reception")
    wait(driver, 30).until(lambda d: connection_text(d) == "Online")
    caches = list((ws.home / "medoffice").rglob("cache-*.sqlite"))
    assert caches, f"no cache under {ws.home}"
    files = [p for c in caches for p in (c, Path(f"{c}-wal")) if p.exists()]
    flagged = []
    try:
        for f in files:
            subprocess.run(["chattr", "+i", str(f)], check=True, capture_output=True)
            flagged.append(f)
        # another workstation registers a patient; the live change reaches this one, which
        # cannot store it
        token = rest(server, "POST", "/api/v1/auth/login", {"tenant": "demo", "username": "admin", "password": PASSWORD})["access_token"]
        rest(server, "POST", "/api/v1/patients", {"given_name": "Imogen", "family_name": "Disk", "date_of_birth": "1984-03-02", "sex": "female"}, token)
        wait(driver, 30).until(lambda d: connection_text(d) == "Cannot save on this computer")
        # the bar shows the start of it (ellipsis); the whole sentence is its text and title
        problem = driver.find_element(*tid("status-problem")).get_attribute("textContent")
        assert "Free disk space or ask IT" in problem, problem
        assert "Nothing was lost" in problem, problem
        assert "Offline" not in connection_text(driver)
        assert driver.find_element(*tid("status-bar")).get_attribute("data-state") == "cache_failed"
        shot(driver, screenshot_dir, "cache-failed")
    finally:
        for f in flagged:
            subprocess.run(["chattr", "-i", str(f)], capture_output=True)
