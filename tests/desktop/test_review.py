"""Offline work that comes back for review, in the real app. A front-desk workstation reaches the
server only through a TCP proxy this test controls (loopback only). While the proxy is off, the
receptionist changes a patient's phone and books a visit; meanwhile an administrator, through the
REST API, changes the same phone and books the same provider and time. When the proxy is back,
the workstation's status bar shows two items to review; on the Review screen the receptionist
keeps her phone number and rebooks the refused visit to a free time, and the server ends with
both. Then two records with the same name and date of birth show up as a possible duplicate. Last,
the receptionist signs in while the server is away (an offline unlock), edits, and is asked to
sign in again to send it once the server is back."""

import datetime as dt
import json
import socket
import threading
import uuid
import urllib.parse
import urllib.request
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from test_desktop import PASSWORD, only_row_is, press, rows, shot, sign_in, step, tid, type_into, wait


class Proxy:
    """A TCP proxy on 127.0.0.1 to `target_url`. Offline: every open connection is cut and new
    ones are refused (the port is closed); online: it listens on the same port again."""

    def __init__(self, target_url: str):
        u = urllib.parse.urlparse(target_url)
        self.target = (u.hostname, u.port)
        self.lock = threading.Lock()
        self.conns: set[socket.socket] = set()
        self.listener: socket.socket | None = None
        self.port = 0
        self._listen()
        self.url = f"http://127.0.0.1:{self.port}"

    def _listen(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(64)
        self.port = s.getsockname()[1]
        self.listener = s
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def _accept(self, listener: socket.socket):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed: offline
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                if self.listener is not listener:
                    client.close()
                    upstream.close()
                    continue
                self.conns.update((client, upstream))
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._cut(src, dst)

    def _cut(self, *socks: socket.socket):
        for s in socks:
            with self.lock:
                self.conns.discard(s)
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def offline(self):
        with self.lock:
            listener, self.listener = self.listener, None
            conns = list(self.conns)
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
            except OSError:
                pass
            listener.close()
        self._cut(*conns)

    def online(self):
        with self.lock:
            if self.listener is not None:
                return
        self._listen()

    def close(self):
        self.offline()


class Rest:
    """Another user of the clinic, straight through the server's REST API."""

    def __init__(self, base: str, username: str):
        self.base = base
        self.token = None
        answer = self.call("POST", "/api/v1/auth/login", {"tenant": "demo", "username": username, "password": PASSWORD})
        self.token = answer["access_token"]
        self.user = answer["user"]

    def call(self, method: str, path: str, body=None):
        req = urllib.request.Request(self.base + path, method=method, data=None if body is None else json.dumps(body).encode())
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")


def listing(answer):
    """The rows of a list answer (`{"data": [...], "meta": ...}`)."""
    return answer["data"] if isinstance(answer, dict) else answer


def utc(day: dt.date, hh: int, mm: int, tz: ZoneInfo) -> str:
    return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=tz).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def no_toasts(driver):
    """Waits until the confirmations have faded, so a screenshot shows the screen itself."""
    wait(driver, 15).until(lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-testid="toasts"] .toast'))


def inside(outer: str, inner: str):
    """A locator for `inner` within the first `outer` card."""
    return (By.CSS_SELECTOR, f'[data-testid="{outer}"] [data-testid="{inner}"]')


def text_of(driver, locator):
    """The element's text, read in one step (a re-render between find and read is retried)."""
    return wait(driver).until(lambda d: d.find_element(*locator).text or None)


def card(driver, testid: str):
    found = driver.find_elements(*tid(testid))
    return found[0] if found else None


@pytest.fixture
def proxy(server):
    """Requested before `workstation`, so it is closed after a failing test's screenshot."""
    p = Proxy(server)
    yield p
    p.close()


def test_offline_changes_come_back_for_review(proxy, workstation, server, screenshot_dir):
    admin = Rest(server, "admin")
    tz = ZoneInfo(admin.user["tenant"]["time_zone"])
    tomorrow = dt.datetime.now(tz).date() + dt.timedelta(days=1)
    kim = next(u for u in listing(admin.call("GET", "/api/v1/users")) if "Kim" in u["full_name"])
    patient = next(p for p in listing(admin.call("GET", "/api/v1/patients?q=mosc&limit=5")) if p["family_name"].startswith("Mosc"))
    other = next(p for p in listing(admin.call("GET", "/api/v1/patients?limit=10")) if p["id"] != patient["id"])

    site = workstation("site", server_url=proxy.url).driver
    sign_in(site, "reception")
    search = site.find_element(*tid("patient-search"))
    search.send_keys("mosc")
    wait(site).until(lambda d: only_row_is(d, "Mosc"))
    search.send_keys(Keys.ENTER)
    wait(site).until(EC.visibility_of_element_located(tid("chart")))

    # the link goes down: the workstation works on from its cache
    proxy.offline()
    wait(site, 30).until(lambda d: d.find_element(*tid("status-bar")).get_attribute("data-state") == "offline")
    step("workstation offline")

    # edit the phone number
    press(site, tid("btn-edit-patient"))
    phone = wait(site).until(EC.visibility_of_element_located(tid("edit-phone")))
    phone.clear()
    phone.send_keys("+1 617 555 0101")
    shot(site, screenshot_dir, "edit-patient")
    press(site, tid("edit-save"))
    wait(site).until(EC.visibility_of_element_located(tid("chart")))
    wait(site).until(lambda d: "+1 617 555 0101" in d.find_element(*tid("demographics")).text)

    # book Dr. Kim tomorrow at 11:00
    press(site, tid("btn-book-appointment"))
    wait(site).until(EC.visibility_of_element_located(tid("book-patient-selected")))
    Select(site.find_element(*tid("book-provider"))).select_by_value(kim["id"])
    site.execute_script(
        "const el = arguments[0]; el.value = arguments[1]; el.dispatchEvent(new Event('input', {bubbles: true}));",
        site.find_element(*tid("book-date")), tomorrow.isoformat())
    for field, value in (("book-time", "11:00"), ("book-duration", "20")):
        el = site.find_element(*tid(field))
        el.clear()
        el.send_keys(value)
    site.find_element(*tid("book-reason")).send_keys("Blood pressure check")
    press(site, tid("book-save"))
    wait(site).until(EC.invisibility_of_element_located(tid("book-form")))
    wait(site).until(lambda d: int(d.find_element(*tid("status-pending")).get_attribute("data-count")) == 2)
    step("two changes queued offline")

    # meanwhile, on the server: the same phone changed (sent as a workstation sends it, so the
    # server knows who wrote it), the same provider and time booked
    current = admin.call("GET", f"/api/v1/patients/{patient['id']}")
    pushed = admin.call("POST", "/api/v1/sync/push", {"mutations": [{
        "mutation_id": str(uuid.uuid4()), "entity": "patient", "op": "update", "id": patient["id"],
        "base_revision": current["revision"], "data": {"phone": "+1 617 555 0199"}}]})
    assert pushed["results"][0]["status"] == "applied", pushed
    theirs = admin.call("POST", "/api/v1/appointments", {
        "patient_id": other["id"], "provider_id": kim["id"], "starts_at": utc(tomorrow, 11, 0, tz),
        "duration_minutes": 30, "kind": "follow_up", "reason": "Booked at the front desk"})

    # the link comes back: both come back for review
    proxy.online()
    wait(site, 60).until(lambda d: (lambda b: b if b.is_displayed() and b.get_attribute("data-count") == "2" else None)(d.find_element(*tid("status-review"))))
    step("two items to review")
    press(site, tid("status-review"))
    wait(site).until(EC.visibility_of_element_located(tid("review")))
    wait(site).until(lambda d: (c := card(d, "review-conflict")) is not None and c.get_attribute("data-field") == "phone")
    assert text_of(site, inside("review-conflict", "conflict-mine")) == "+1 617 555 0101"
    assert text_of(site, inside("review-conflict", "conflict-theirs")) == "+1 617 555 0199"
    assert "changed by Alex Morgan" in text_of(site, inside("review-conflict", "conflict-theirs-meta"))
    wait(site).until(lambda d: (c := card(d, "review-refused")) is not None and c.get_attribute("data-entity") == "appointment")
    # the booking that holds the slot is named, in clinic time
    wait(site).until(lambda d: "11:00–11:30" in d.find_element(*tid("refused-clash")).text)
    no_toasts(site)
    shot(site, screenshot_dir, "review")

    # keep my phone number
    press(site, inside("review-conflict", "conflict-keep-mine"))
    wait(site).until(lambda d: card(d, "review-conflict") is None)

    # rebook: first into the same taken slot (refused at once, naming it), then a free time
    rebook_time = inside("review-refused", "rebook-time")
    rebook_save = inside("review-refused", "rebook-save")
    type_into(site, rebook_time, "11:10")
    press(site, rebook_save)
    wait(site).until(lambda d: "clashes with 11:00–11:30" in d.find_element(*tid("rebook-error")).text)
    # the doctor's next free times are offered (from the moment the card shows, and still
    # after the refusal); one click fills the form in
    wait(site).until(lambda d: d.find_elements(*tid("rebook-offer")))
    assert "Kim" in text_of(site, tid("rebook-offers"))
    first = text_of(site, tid("rebook-offer"))
    press(site, tid("rebook-offer"))
    picked = site.find_element(*rebook_time).get_attribute("value")
    assert picked and first.endswith(picked), (first, picked)
    type_into(site, rebook_time, "11:30")
    press(site, rebook_save)
    wait(site, 30).until(EC.visibility_of_element_located(tid("review-empty")))
    wait(site, 30).until(lambda d: not d.find_element(*tid("status-review")).is_displayed())
    wait(site, 30).until(lambda d: d.find_element(*tid("status-pending")).get_attribute("data-count") == "0")

    # the server has my phone number and the visit at the new time; theirs is untouched
    assert admin.call("GET", f"/api/v1/patients/{patient['id']}")["phone"] == "+1 617 555 0101"
    day = admin.call("GET", "/api/v1/appointments?" + urllib.parse.urlencode({
        "from": utc(tomorrow, 0, 0, tz), "to": utc(tomorrow + dt.timedelta(days=1), 0, 0, tz), "provider_id": kim["id"]}))
    day = listing(day)
    mine = [a for a in day if a["patient_id"] == patient["id"]]
    assert [a["starts_at"].replace("+00:00", "Z") for a in mine] == [utc(tomorrow, 11, 30, tz)], day
    assert any(a["id"] == theirs["id"] and a["starts_at"].replace("+00:00", "Z") == utc(tomorrow, 11, 0, tz) for a in day)
    no_toasts(site)
    shot(site, screenshot_dir, "review-resolved")

    # two records with the same name and date of birth, registered elsewhere: a possible
    # duplicate, which the receptionist opens and marks as two people
    twins = [admin.call("POST", "/api/v1/patients", {
        "given_name": "Hanna", "family_name": "Lindqvist", "date_of_birth": "1990-05-05", "sex": "female", "phone": phone})
        for phone in ("+1 617 555 0111", "+1 617 555 0122")]
    pair = (By.CSS_SELECTOR, '[data-testid="review-duplicate"] [data-patient-id]')
    wait(site, 30).until(lambda d: {e.get_attribute("data-patient-id") for e in d.find_elements(*pair)} == {t["id"] for t in twins})
    wait(site).until(lambda d: d.find_element(*tid("status-review")).get_attribute("data-count") == "1")
    shot(site, screenshot_dir, "review-duplicate")
    press(site, inside("review-duplicate", "duplicate-dismiss"))
    wait(site).until(EC.visibility_of_element_located(tid("review-empty")))
    wait(site).until(lambda d: not d.find_element(*tid("status-review")).is_displayed())

    # signed out, then signed in while the server is away: the session is offline (said so) and
    # has no refresh token, so when the server is back the person is asked to sign in again to
    # send what was entered meanwhile; nothing is dropped
    proxy.offline()
    wait(site, 30).until(lambda d: d.find_element(*tid("status-bar")).get_attribute("data-state") == "offline")
    press(site, tid("btn-logout"))
    password = wait(site).until(EC.visibility_of_element_located(tid("login-password")))
    password.send_keys(PASSWORD)
    press(site, tid("login-submit"))
    wait(site, 30).until(lambda d: any("Signed in offline" in t.text for t in d.find_elements(By.CSS_SELECTOR, '[data-testid="toasts"] .toast')))
    search = site.find_element(*tid("patient-search"))
    search.send_keys("mosc")
    wait(site).until(lambda d: only_row_is(d, "Mosc"))
    search.send_keys(Keys.ENTER)
    press(site, tid("btn-edit-patient"))
    email = wait(site).until(EC.visibility_of_element_located(tid("edit-email")))
    email.send_keys("maynard.mosciski@example.org")
    press(site, tid("edit-save"))
    wait(site).until(lambda d: d.find_element(*tid("status-pending")).get_attribute("data-count") == "1")
    proxy.online()
    again = wait(site, 60).until(lambda d: (lambda b: b if b.is_displayed() else None)(d.find_element(*tid("status-signin"))))
    assert again.text == "Sign in again to send 1 change"
    no_toasts(site)
    shot(site, screenshot_dir, "sign-in-again")
    press(site, tid("status-signin"))
    dialog = wait(site).until(EC.visibility_of_element_located(tid("relogin-dialog")))
    dialog.find_element(*tid("login-password")).send_keys(PASSWORD)
    press(site, (By.CSS_SELECTOR, '[data-testid="relogin-dialog"] [data-testid="login-submit"]'))
    wait(site, 30).until(lambda d: d.find_element(*tid("status-pending")).get_attribute("data-count") == "0")
    wait(site, 30).until(lambda d: not d.find_element(*tid("status-signin")).is_displayed())
    assert admin.call("GET", f"/api/v1/patients/{patient['id']}")["email"] == "maynard.mosciski@example.org"
