#!/usr/bin/env python3
"""Desktop figures: launch to login screen, and idle memory, of the built Tauri app.

Run by scripts/bench-desktop under Xvfb and a fresh keyctl session (see there). Each run starts
the real app binary through tauri-driver (WebDriver, as tests/desktop does), in a scratch HOME:

  login   empty data folder: time from asking WebDriver for a session (which launches the app) to
          the login form's submit button being displayed; then idle CPU and RSS.
  cache   a prepared data folder (crates/client/examples/bench_workstation.rs: N patients in the
          cache, a resumable session, server unreachable): time to the first patient row of the
          Patients screen (the app resumed the session and searched the cache); then RSS.

Idle CPU: user + system time of the app and its WebKit processes over the --idle window (after
2 s to settle), as a percentage of one core.
Memory: VmRSS and Pss (smaps_rollup) of the app process and of each WebKit child it spawned,
read from /proc after the idle wait. RSS counts shared libraries once per process, so the sum
of RSS overstates; Pss shares them out and its sum is the honest total.
Prints a JSON document on stdout and a human summary on stderr.
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children() -> dict:
    out = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        out.setdefault(ppid, []).append((int(d.name), comm))
    return out


def descendants(pid: int) -> list:
    tree, out, todo = children(), [], [pid]
    while todo:
        p = todo.pop()
        for c, comm in tree.get(p, []):
            out.append((c, comm))
            todo.append(c)
    return out


def kib(path: Path, field: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def kind_of(comm: str):
    if comm.startswith("medoffice"):
        return "app"
    if comm.startswith("WebKitWebProces"):
        return "WebKitWebProcess"
    if comm.startswith("WebKitNetworkPr"):
        return "WebKitNetworkProcess"
    if comm.startswith("WebKit") and comm != "WebKitWebDriver":
        return comm
    return None  # tauri-driver, WebKitWebDriver: the measuring harness, not the app


def cpu_ticks(driver_pid: int) -> dict:
    """CPU time (clock ticks, user + system, all threads) of the app and its WebKit processes."""
    ticks = {}
    for pid, comm in descendants(driver_pid):
        kind = kind_of(comm)
        if kind is None:
            continue
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[11], fields[12]: utime, stime (proc(5) fields 14 and 15)
        ticks[kind] = ticks.get(kind, 0) + int(fields[11]) + int(fields[12])
    return ticks


def memory(driver_pid: int) -> dict:
    """RSS and PSS (MiB) of the app and its WebKit processes, by kind."""
    kinds = {}
    for pid, comm in descendants(driver_pid):
        kind = kind_of(comm)
        if kind is None:
            continue
        k = kinds.setdefault(kind, {"rss_mib": 0.0, "pss_mib": 0.0, "count": 0})
        k["rss_mib"] += kib(Path(f"/proc/{pid}/status"), "VmRSS") / 1024
        k["pss_mib"] += kib(Path(f"/proc/{pid}/smaps_rollup"), "Pss") / 1024
        k["count"] += 1
    kinds["total"] = {
        "rss_mib": sum(v["rss_mib"] for v in kinds.values()),
        "pss_mib": sum(v["pss_mib"] for v in kinds.values()),
        "count": sum(v["count"] for v in kinds.values()),
    }
    return kinds


def one_run(app: str, data_dir, selector: str, idle: float, keyring: str) -> dict:
    home = Path(tempfile.mkdtemp(prefix="medoffice-bench-desktop-"))
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "MEDOFFICE_DATA_DIR": str(data_dir or home / "medoffice"),
        "MEDOFFICE_KEYRING_SERVICE": keyring,
        "RUST_LOG": "warn",
    }
    port = free_port()
    log = open(home / "tauri-driver.log", "w")
    driver_proc = subprocess.Popen(
        [shutil.which("tauri-driver") or str(Path.home() / ".cargo/bin/tauri-driver"), "--port", str(port), "--native-port", str(free_port())],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    driver = None
    try:
        for _ in range(200):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.02)
        time.sleep(0.2)
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": app})
        t0 = time.monotonic()
        driver = webdriver.Remote(command_executor=f"http://127.0.0.1:{port}", options=options)
        t_session = time.monotonic() - t0
        deadline = t0 + 60
        while True:
            els = driver.find_elements(By.CSS_SELECTOR, selector)
            if els and els[0].is_displayed():
                break
            if time.monotonic() > deadline:
                shot = Path(tempfile.gettempdir()) / "bench-desktop-timeout.png"
                driver.get_screenshot_as_file(str(shot))
                raise RuntimeError(f"{selector} not shown within 60 s (screen: {shot})")
            time.sleep(0.01)
        t_visible = time.monotonic() - t0
        # idle: nobody touches it; CPU over the idle window (after 2 s for the screen to settle)
        time.sleep(2)
        before, t_before = cpu_ticks(driver_proc.pid), time.monotonic()
        time.sleep(idle)
        after, t_after = cpu_ticks(driver_proc.pid), time.monotonic()
        hz = os.sysconf("SC_CLK_TCK")
        idle_cpu = {k: 100 * (after.get(k, 0) - before.get(k, 0)) / hz / (t_after - t_before) for k in after}
        idle_cpu["total"] = sum(idle_cpu.values())
        mem = memory(driver_proc.pid)
        return {"session_s": t_session, "visible_s": t_visible, "memory": mem, "idle_cpu_percent": idle_cpu}
    finally:
        if driver is not None:
            driver.quit()
        driver_proc.terminate()
        driver_proc.wait(timeout=10)
        log.close()
        shutil.rmtree(home, ignore_errors=True)


def summary(values: list) -> dict:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": values,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--idle", type=float, default=10.0)
    ap.add_argument("--cache-dir", help="prepared data folder (bench_workstation); omit to skip")
    ap.add_argument("--keyring-service", default="medoffice-bench")
    args = ap.parse_args()
    scenarios = [("login", None, '[data-testid="login-submit"]', f"medoffice-bench-empty-{os.getpid()}")]
    if args.cache_dir:
        scenarios.append(("cache", args.cache_dir, '[data-testid="patient-row"]', args.keyring_service))
    result = {"app": args.app, "idle_s": args.idle, "scenarios": {}}
    for name, data_dir, selector, keyring in scenarios:
        runs = [one_run(args.app, data_dir, selector, args.idle, keyring) for _ in range(args.runs)]
        kinds = sorted({k for r in runs for k in r["memory"]})
        result["scenarios"][name] = {
            "until": selector,
            "visible_s": summary([r["visible_s"] for r in runs]),
            "session_s": summary([r["session_s"] for r in runs]),
            "idle_cpu_percent": {
                k: summary([r["idle_cpu_percent"].get(k, 0.0) for r in runs])
                for k in sorted({k for r in runs for k in r["idle_cpu_percent"]})
            },
            "memory": {
                k: {
                    "rss_mib": summary([r["memory"].get(k, {}).get("rss_mib", 0.0) for r in runs]),
                    "pss_mib": summary([r["memory"].get(k, {}).get("pss_mib", 0.0) for r in runs]),
                    "processes": max(r["memory"].get(k, {}).get("count", 0) for r in runs),
                }
                for k in kinds
            },
        }
        s = result["scenarios"][name]
        v = s["visible_s"]
        print(f"{name}: {selector} visible after {v['median']:.2f} s median ({v['min']:.2f}–{v['max']:.2f}, {args.runs} runs)", file=__import__("sys").stderr)
        for k, m in s["memory"].items():
            c = s["idle_cpu_percent"].get(k, {"median": 0.0})
            print(f"  {k:<22} RSS {m['rss_mib']['median']:7.1f} MiB ({m['rss_mib']['min']:.1f}–{m['rss_mib']['max']:.1f})  PSS {m['pss_mib']['median']:7.1f} MiB  x{m['processes']}  idle CPU {c['median']:.2f} % of a core", file=__import__("sys").stderr)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
