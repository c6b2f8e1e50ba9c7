"""Fixtures of the desktop end-to-end tests.

A private PostgreSQL cluster, the real server loaded with the demo clinic (Synthea sample),
and the real desktop app (the built Tauri binary) in its WebKitGTK webview, driven over
WebDriver through tauri-driver. Run under Xvfb (scripts/test does). Screenshots of each step go
to $MEDOFFICE_SCREENSHOT_DIR (default .run/screenshots).
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.options import ArgOptions

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "debug"
SCREENSHOTS = Path(os.environ.get("MEDOFFICE_SCREENSHOT_DIR", ROOT / ".run" / "screenshots"))
# "dark" (scripts/screenshots): workstations start in that theme and step pictures get the suffix
SCREENSHOT_THEME = os.environ.get("MEDOFFICE_SCREENSHOT_THEME", "")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not versions:
        raise RuntimeError("PostgreSQL binaries not found (apt-get install postgresql)")
    return versions[-1].parent


def as_postgres(cmd):
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="session")
def database():
    """A throw-away cluster; yields the URL of its `medoffice` database."""
    tmp = Path(tempfile.mkdtemp(prefix="medoffice-desktop-pg-"))
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres", "postgres")
    port = free_port()
    data = tmp / "data"
    bin_ = pg_bin()
    subprocess.run(as_postgres([str(bin_ / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]), check=True, capture_output=True)
    opts = f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(as_postgres([str(bin_ / "pg_ctl"), "-D", str(data), "-l", str(tmp / "pg.log"), "-w", "-o", opts, "start"]), check=True, capture_output=True)
    subprocess.run(as_postgres([str(bin_ / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "medoffice"]), check=True)
    try:
        yield f"postgres://postgres@127.0.0.1:{port}/medoffice"
    finally:
        subprocess.run(as_postgres([str(bin_ / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]), capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def server(database):
    """The real server with the demo clinic; yields its base URL."""
    # every workstation of the suite signs in from 127.0.0.1: lift the per-address sign-in limit
    env = {**os.environ, "DATABASE_URL": database, "MEDOFFICE_JWT_SECRET": os.urandom(32).hex(),
           "MEDOFFICE_AUTH_RATE_PER_MINUTE": "1000000", "MEDOFFICE_AUTH_RATE_BURST": "100000"}
    demo = subprocess.run([str(TARGET / "medoffice-server"), "demo", "--dir", str(ROOT / "data" / "synthea-ma27"), "--without-hours", "--iso-dates"], env=env, cwd=ROOT, capture_output=True, text=True)
    if demo.returncode != 0:
        raise RuntimeError(f"loading the demo clinic failed:\n{demo.stdout}\n{demo.stderr}")
    port = free_port()
    log = open(tempfile.mktemp(prefix="medoffice-server-", suffix=".log"), "w")
    proc = subprocess.Popen([str(TARGET / "medoffice-server"), "serve", "--bind", f"127.0.0.1:{port}"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/health", timeout=1)
            break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        raise RuntimeError(f"server did not start; see {log.name}")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def tauri_driver_path() -> str:
    found = shutil.which("tauri-driver") or str(Path.home() / ".cargo" / "bin" / "tauri-driver")
    if not Path(found).exists():
        raise RuntimeError("tauri-driver not installed (cargo install tauri-driver --locked)")
    return found


class Workstation:
    """One desktop app instance with its own home, cache and keyring namespace."""

    def __init__(self, server_url: str, name: str, extra_env: dict | None = None, application: Path | None = None):
        """`application` is the app to start: the debug build by default, the installed one in
        tests/packaging."""
        self.home = Path(tempfile.mkdtemp(prefix=f"medoffice-ws-{name}-"))
        self.port = free_port()
        env = {
            **os.environ,
            "HOME": str(self.home),
            "XDG_DATA_HOME": str(self.home / "data"),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_CACHE_HOME": str(self.home / "cache"),
            "MEDOFFICE_DATA_DIR": str(self.home / "medoffice"),
            "MEDOFFICE_SERVER_URL": server_url,
            "MEDOFFICE_KEYRING_SERVICE": f"medoffice-desktop-test-{name}-{os.getpid()}",
            **(extra_env or {}),
        }
        self.log = open(self.home / "tauri-driver.log", "w")
        self.driver_proc = subprocess.Popen(
            [tauri_driver_path(), "--port", str(self.port), "--native-port", str(free_port())],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    break
            time.sleep(0.05)
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": str(application or TARGET / "medoffice-desktop")})
        started = time.monotonic()
        # tauri-driver can drop the very first connection while WebKitWebDriver starts
        for attempt in range(3):
            try:
                self.driver = webdriver.Remote(command_executor=f"http://127.0.0.1:{self.port}", options=options)
                break
            except Exception:
                if attempt == 2:
                    raise
                time.sleep(1)
        self.start_seconds = time.monotonic() - started
        self.driver.implicitly_wait(0)
        if SCREENSHOT_THEME:
            # scripts/screenshots --dark: every scenario again in the dark theme (the app's own
            # setting, as Settings stores it), to photograph each step in it
            self.driver.execute_script("localStorage.setItem('medoffice.theme', arguments[0]);", SCREENSHOT_THEME)
            self.driver.refresh()

    def close(self):
        try:
            self.driver.quit()
        finally:
            self.driver_proc.terminate()
            self.driver_proc.wait(timeout=10)
            self.log.close()
            if os.environ.get("MEDOFFICE_KEEP_WORKSTATIONS"):
                print(f"kept {self.home}")
            else:
                shutil.rmtree(self.home, ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, "report_" + report.when, report)
    return report


@pytest.fixture
def workstation(server, request):
    opened = []

    def open_one(name: str, server_url: str | None = None, env: dict | None = None) -> Workstation:
        """A workstation; `server_url` points it elsewhere than the server (e.g. a proxy); `env`
        adds to its environment (e.g. libfaketime's, for a wrong clock)."""
        ws = Workstation(server_url or server, name, env)
        ws.name = name
        opened.append(ws)
        return ws

    yield open_one
    failed = getattr(request.node, "report_call", None)
    for ws in opened:
        if failed is not None and failed.failed:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            try:
                ws.driver.get_screenshot_as_file(str(SCREENSHOTS / f"failure-{ws.name}.png"))
            except Exception:
                pass
        ws.close()


@pytest.fixture(scope="session")
def screenshot_dir():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
