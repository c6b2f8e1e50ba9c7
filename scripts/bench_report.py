#!/usr/bin/env python3
"""Writes BENCHMARKS.md from the JSON lines of `medoffice-load` (called by scripts/bench).

usage: bench_report.py RESULTS.jsonl COMMANDS.txt POSTGRES_VERSION MODE > BENCHMARKS.md
"""
import datetime
import json
import os
import platform
import re
import subprocess
import sys


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return ""


def machine(pg_version):
    cpu = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read())
    cores = sh("nproc")
    mem = re.search(r"MemTotal:\s*(\d+)", open("/proc/meminfo").read())
    osr = re.search(r'PRETTY_NAME="(.*)"', open("/etc/os-release").read())
    return [
        ("CPU", f"{cpu.group(1) if cpu else '?'}, {cores} cores available"),
        ("Memory", f"{int(mem.group(1)) / 1048576:.1f} GiB" if mem else "?"),
        ("OS", f"{osr.group(1) if osr else '?'}, kernel {platform.release()}"),
        ("Disk", sh("df -h --output=source,fstype,size . | tail -1")),
        ("PostgreSQL", f"{pg_version} (private cluster, default durability: fsync on, synchronous_commit on; shared_buffers 512MB, max_connections 300)"),
        ("Rust", sh("rustc --version")),
        ("Commit", sh("git rev-parse --short HEAD") + (" (with local changes)" if sh("git status --porcelain") else "")),
        ("Date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
    ]


def ms(x):
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def main():
    results_path, commands_path, pg_version, mode = sys.argv[1:5]
    rows = []
    for line in open(results_path):
        line = line.strip()
        if line.startswith("{"):
            rows.append(json.loads(line))
    commands = [c.strip() for c in open(commands_path) if c.strip()]
    by = lambda name: [r for r in rows if r.get("scenario") == name]
    o = []
    p = o.append
    p("# medoffice benchmarks\n")
    p("Figures of today's code on this machine, written by `scripts/bench`"
      + (" --quick (small sizes)" if mode == "--quick" else "") + ". They are measurements, not pass/fail "
      "limits: compare ratios between sizes and between runs on the same machine. The load generator "
      "(`medoffice-load`, crate `crates/bench`) runs on the same 2 cores as PostgreSQL and the servers, "
      "so every figure includes the cost of generating the load.\n")
    p("## Machine\n")
    p("| | |\n|---|---|")
    for k, v in machine(pg_version):
        p(f"| {k} | {v} |")
    p("")
    p("## How it was run\n")
    p("```sh\nscripts/bench" + (" --quick" if mode == "--quick" else "") + "\n```\n")
    p("It builds `medoffice-server` and `medoffice-load` in release, starts a fresh private PostgreSQL "
      "cluster and two server processes (`127.0.0.1:18080`, `127.0.0.1:18081`) on it, generates the "
      "clinics, and runs, in this order:\n")
    p("```")
    for c in commands:
        p(c)
    p("```\n")
    p("Each command prints one JSON object per scenario (`.run/bench/results.jsonl`); the tables below "
      "are those objects. Latencies are nearest-rank percentiles in milliseconds.\n")
    settled = os.path.join(os.path.dirname(commands_path), "commands.txt.settle")
    if os.path.exists(settled):
        waits = [l.strip().removeprefix("settle: ") for l in open(settled) if l.strip()]
        p("Before each cold sync and each group of scenarios the script waits for the audit sealer to chain "
          "every entry written so far (the servers chain them after commit; a first sync of 100,000 patients "
          "leaves about a million), then checkpoints, so no scenario pays for the one before it: "
          + "; ".join(waits) + ".\n")

    gen = by("generate")
    if gen:
        p("## Data sets\n")
        p("Seeded (`--seed`), bulk-loaded with `medoffice-load generate` (see `crates/bench/src/generate.rs`: "
          "the rows bypass the per-row revision trigger, which would make a million-row load quadratic, "
          "and the clinic's revision counter is set to the last revision used).\n")
        p("| clinic | patients | vitals sets | appointments | revision | load time (s) |\n|---|---:|---:|---:|---:|---:|")
        for g in gen:
            r = g["result"]
            p(f"| {g['tenant']} | {r['patients']:,} | {r['vitals']:,} | {r['appointments']:,} | {r['revision']:,} | {r['seconds']:.1f} |")
        p("")

    cs = by("cold-sync")
    if cs:
        p("## Cold sync: a new workstation joins\n")
        p("A real client core (SQLite cache, WAL, `synchronous=FULL`) signs in to a quiet clinic; time from "
          "sign-in until its cursor equals the server's revision and its row counts equal the server's.\n")
        p("| clinic | patients | vitals | appointments | rows | time (s) | rows/s | cache size (MiB) | bytes/row |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in cs:
            a = r["params"]
            e = r["extra"]
            p(f"| {a['tenant']} | {a['patients']:,} | {a['vitals']:,} | {a['appointments']:,} | {r['operations']:,} | {r['elapsed_s']:.1f} | {r['throughput_per_s']:,.0f} | {e['cache_mib']} | {e['bytes_per_row']} |")
        if len(cs) > 1:
            f, l = cs[0], cs[-1]
            p(f"\n**Scaling:** {l['operations'] / f['operations']:.1f}× the rows took {l['elapsed_s'] / f['elapsed_s']:.1f}× the time "
              f"({f['throughput_per_s']:,.0f} → {l['throughput_per_s']:,.0f} rows/s); cache size grows linearly with the rows.")
        p("")

    rs = by("write-spread")
    if rs:
        p("## Write throughput spread over clinics\n")
        p("The same writes as above, spread over clinics `spread-001` … `spread-NNN` (200 patients each) at once, "
          "K workstations in each: how the aggregate rate scales from 1 to 100 clinics, and the slowest and "
          "fastest clinic's own rate.\n")
        p("| clinics | clients each | ops | errors | sets/s (all) | slowest / fastest clinic, sets/s | p50 | p99 |")
        p("|---:|---:|---:|---:|---:|---|---:|---:|")
        for r in rs:
            l, e, pr = r["latency"], r["extra"], r["params"]
            p(f"| {pr['clinics']} | {pr['clients_per_clinic']} | {r['operations']:,} | {r['errors']} | "
              f"{r['throughput_per_s']:,.0f} | {e['per_clinic_min_per_s']:,.1f} / {e['per_clinic_max_per_s']:,.1f} | "
              f"{ms(l['p50_ms'])} | {ms(l['p99_ms'])} |")
        p("")

    for name, title, what in [
        ("write", "Write throughput: vitals sets recorded concurrently",
         "N workstations, each with its own connection, recording vitals sets (`POST /api/v1/patients/{id}/vitals`) "
         "as fast as the server answers, all in one clinic. One clinic's writes take its revision counter one "
         "transaction at a time (DESIGN.md, sync invariant 1); the sets recorded meanwhile commit together in the "
         "next transaction (group commit, crates/server/src/clinical/batch.rs)."),
        ("read", "Read throughput: patient search and chart loads",
         "N workstations; 40 % patient searches by family-name prefix, 60 % chart loads (the patient, their "
         "vitals and their appointments, three requests in parallel), in the largest clinic. Every chart read "
         "also writes an audit-log row."),
    ]:
        rs = by(name)
        if not rs:
            continue
        p(f"## {title}\n")
        p(what + "\n")
        extra_cols = name == "read"
        head = "| clients | ops | errors | ops/s | p50 | p95 | p99 | max |"
        if extra_cols:
            head += " search p50 / p99 | chart p50 / p99 |"
        p(head)
        p("|" + "---:|" * (head.count("|") - 1))
        for r in rs:
            l = r["latency"]
            line = f"| {r['params']['clients']} | {r['operations']:,} | {r['errors']} | {r['throughput_per_s']:,.0f} | {ms(l['p50_ms'])} | {ms(l['p95_ms'])} | {ms(l['p99_ms'])} | {ms(l['max_ms'])} |"
            if extra_cols:
                per = r["extra"]["per_operation"]
                s, c = per.get("search", {}), per.get("chart", {})
                line += f" {ms(s.get('p50_ms', 0))} / {ms(s.get('p99_ms', 0))} | {ms(c.get('p50_ms', 0))} / {ms(c.get('p99_ms', 0))} |"
            p(line)
        if len(rs) > 1:
            f, l = rs[0], rs[-1]
            p(f"\n**Scaling:** from {f['params']['clients']} to {l['params']['clients']} clients, throughput ×{l['throughput_per_s'] / max(f['throughput_per_s'], 0.1):.1f}, "
              f"p50 ×{l['latency']['p50_ms'] / max(f['latency']['p50_ms'], 0.001):.1f}, p99 ×{l['latency']['p99_ms'] / max(f['latency']['p99_ms'], 0.001):.1f}.")
        p("")

    for name, title, what in [
        ("propagation", "Propagation latency: one writer, K listeners, one server",
         "One writer records a vitals set every 20 ms (each sent on schedule) while K listeners are connected. "
         "Latency: from the write being sent to the listener having it. **workstation-core** listeners are real "
         "client cores (SQLite cache, sync engine): a write has arrived when the cache's cursor passes its revision. "
         "**raw-websocket** listeners are plain WebSocket subscribers that parse each pushed `changes` page and look "
         "for the written id: at K = 100 and 500 a real SQLite cache per listener would measure 500 fsyncs per write "
         "on one disk, not the server. `missed` must be 0."),
        ("fanout", "Fan-out across processes: writer on one server, listeners on the other",
         "As above, with the writer on the server at :18080 and the raw WebSocket listeners on the server at :18081: "
         "the change travels through PostgreSQL NOTIFY to the other process's listener, which reads the feed page "
         "and pushes it."),
    ]:
        rs = by(name)
        if not rs:
            continue
        p(f"## {title}\n")
        p(what + "\n")
        p("| listeners | kind | writes | errors | missed | deliveries | p50 | p95 | p99 | max | write answer p50 / p99 |")
        p("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rs:
            l, a, e = r["latency"], r["params"], r["extra"]
            w = e["write_answer"]
            p(f"| {a['listeners']} | {a['listener_kind']} | {r['operations']} | {r['errors']} | {r['missed']} | {e['deliveries']:,} | {ms(l['p50_ms'])} | {ms(l['p95_ms'])} | {ms(l['p99_ms'])} | {ms(l['max_ms'])} | {ms(w['p50_ms'])} / {ms(w['p99_ms'])} |")
        raw = [r for r in rs if r["params"]["listener_kind"] == "raw-websocket"]
        if len(raw) > 1:
            f, l = raw[0], raw[-1]
            p(f"\n**Scaling (raw):** {l['params']['listeners'] // max(f['params']['listeners'], 1)}× the listeners: p50 {ms(f['latency']['p50_ms'])} → {ms(l['latency']['p50_ms'])} ms, "
              f"p99 {ms(f['latency']['p99_ms'])} → {ms(l['latency']['p99_ms'])} ms ({l['extra']['deliveries'] / max(l['elapsed_s'], 0.001):,.0f} deliveries/s at the largest).")
        p("")

    od = by("outbox-drain")
    if od:
        p("## Outbox drain: work entered offline, sent after reconnection\n")
        p("A real client core behind a switchable loopback proxy: online, it registers 20 patients; the link goes "
          "down; N vitals sets are recorded offline (each committed to SQLite before it counts as saved); the "
          "link comes back. The engine's reconnect wait (its backoff, up to 15 s ± 25 %) is reported apart from "
          "the drain, which runs from reconnection until the outbox is empty.\n")
        p("| mutations | errors | entry (s) | entry per set (ms) | reconnect wait (s) | drain (s) | drained/s |\n|---:|---:|---:|---:|---:|---:|---:|")
        for r in od:
            e = r["extra"]
            p(f"| {r['params']['mutations']:,} | {r['errors']} | {e['entry_s']:.1f} | {e['entry_per_mutation_ms']:.2f} | {e['reconnect_wait_s']:.1f} | {e['drain_s']:.2f} | {r['throughput_per_s']:,.0f} |")
        if len(od) > 1:
            f, l = od[0], od[-1]
            p(f"\n**Scaling:** {l['operations'] / f['operations']:.0f}× the mutations drained in {l['elapsed_s'] / max(f['elapsed_s'], 0.001):.1f}× the time.")
        p("")

    run_dir = os.path.dirname(os.path.dirname(os.path.abspath(results_path)))
    micro = os.path.join(run_dir, "bench-micro.txt")
    if os.path.exists(micro):
        p("## Hot paths inside the client and model (criterion, `scripts/bench-micro`)\n")
        p("| benchmark | median |\n|---|---:|")
        # criterion names each benchmark on a "Benchmarking <name>" line before its figures; a
        # name can hold any character, and its comparison with a previous run ("change:",
        # "Performance has regressed.") follows the figures with a second "time:" line
        name = None
        for line in open(micro):
            m = re.match(r"^Benchmarking (.*?)(: (Warming up|Collecting|Analyzing|Start|Complete).*)?$", line.rstrip("\n"))
            if m:
                name = m.group(1)
                continue
            m = re.search(r"time:\s+\[\S+ \S+ (\S+ \S+) \S+ \S+\]", line)
            if m and name:
                p(f"| {name} | {m.group(1)} |")
                name = None
        p("")
    sbs_dir = os.path.join(run_dir, "side-by-side")
    sizes = sorted({f.split("-")[0] for f in os.listdir(sbs_dir)} if os.path.isdir(sbs_dir) else [],
                   key=lambda n: int(n[1:]) if n[1:].isdigit() else 0)
    if sizes:
        p("## Side by side with the seed design (`scripts/bench-side-by-side`)\n")
        p("The design this server replaced (bench/seed000: FastAPI, asyncpg, a `pg_notify` trigger) and this "
          "server, each on a fresh PostgreSQL cluster with default durability, driven by the same load generator "
          "(bench/seed000/load.py, 32 clients, 15 s per phase) in one run. Write: POST a vital-sign set for a "
          "random patient. Read: search by a two-letter name prefix, 20 per page. CPU in cores of the 2, per "
          "process (app, PostgreSQL, load generator); only the ratio of one run means anything.\n")
        p("| patients | phase | seed req/s (p99) | medoffice req/s (p99) | ratio | seed CPU app / pg / load | medoffice CPU app / pg / load |")
        p("|---:|---|---:|---:|---:|---|---|")
        for size in sizes:
            try:
                a = json.load(open(os.path.join(sbs_dir, f"{size}-peer.json")))
                b = json.load(open(os.path.join(sbs_dir, f"{size}-medoffice.json")))
            except (OSError, ValueError):
                continue
            for ph in ("write", "read"):
                if ph not in a or ph not in b:
                    continue
                ra, rb = a[ph], b[ph]
                cpu = lambda r: f"{r.get('app_cpu_cores')} / {r.get('pg_cpu_cores')} / {r.get('loadgen_cpu_cores')}"
                ratio = (rb.get("rps") or 0) / (ra.get("rps") or 1)
                p(f"| {int(size[1:]):,} | {ph} | {ra.get('rps'):,} ({ra.get('p99_ms')} ms) | "
                  f"{rb.get('rps'):,} ({rb.get('p99_ms')} ms) | {ratio:.2f}× | {cpu(ra)} | {cpu(rb)} |")
        p("")
    desktop = os.path.join(run_dir, "bench-desktop.json")
    if os.path.exists(desktop):
        d = json.load(open(desktop))
        p("## The desktop app under Xvfb (`scripts/bench-desktop`)\n")
        p(f"App: `{os.path.basename(d['app'])}` ({'debug' if '/debug/' in d['app'] else 'release'} build); memory after {d['idle_s']:.0f} s idle, "
          "idle CPU over that wait (WebKit's default compositing; `WEBKIT_DISABLE_COMPOSITING_MODE=1` cuts it where "
          "OpenGL is software, see [docs/bench/desktop.md](docs/bench/desktop.md)).\n")
        p("| launch until | visible after (median, range) | app RSS | WebKit processes RSS | total PSS | idle CPU, all processes |\n|---|---:|---:|---:|---:|---:|")
        for key, sc in d["scenarios"].items():
            v, mem = sc["visible_s"], sc["memory"]
            web = sum(x["rss_mib"]["median"] for k, x in mem.items() if k.startswith("WebKit"))
            total_pss = sum(x["pss_mib"]["median"] for k, x in mem.items() if k != "total")
            idle = sc.get("idle_cpu_percent", {}).get("total")
            idle_text = f"{idle['median']:.1f} % of a core" if idle else "not measured"
            p(f"| {key}: `{sc['until']}` | {v['median']:.2f} s ({v['min']:.2f}–{v['max']:.2f}) | "
              f"{mem['app']['rss_mib']['median']:.0f} MiB | {web:.0f} MiB | {total_pss:.0f} MiB | {idle_text} |")
        p("")

    # what is measured elsewhere, and what was made faster (hand-written: it compares commits)
    p("## Inside the desktop, and the desktop itself\n")
    p("- Hot paths inside the client and the model (criterion): [docs/bench/micro.md](docs/bench/micro.md) "
      "(`scripts/bench-micro`) — applying a 1,000-change feed page, local search at 100,000 patients, "
      "validation, serialisation.")
    p("- The desktop app under Xvfb: [docs/bench/desktop.md](docs/bench/desktop.md) (`scripts/bench-desktop`) — "
      "launch to the login screen, launch to a resumed 100,000-patient cache, idle memory of the app and its "
      "WebKit processes.\n")
    p("## What was made faster\n")
    p("- **Local patient search at 100,000 patients** (what the receptionist feels on every keystroke), "
      "`cargo bench -p medoffice-client --bench cache -- search_100k` before and after: 137–255 ms → 0.9–20 ms for "
      "names, phone digits, MRNs and no-match (SQLite walked the whole name index in order because "
      "`LIKE '% garc%'` cannot use one; now each typed word is a range scan on a word table, digits and MRNs scan a "
      "narrow index). Details and the query plans: [docs/bench/micro.md](docs/bench/micro.md).")
    p("- **Outbox drain** (10,000 offline vitals, release build, `cargo test --release -p medoffice-e2e --test "
      "faults -- --nocapture ten_thousand`): 36.0 s and 33.1 s → 16.4–20.5 s. The sqlx statement log showed the "
      "cost was round trips (about 0.5 ms each, nine per set), not query work: a push now commits its batch in one "
      "transaction with a savepoint per mutation, answers replays from one lookup, ends one savepoint and opens "
      "the next in one round trip, and reads a new set's replay check, birth date and clinic time zone in one query.")
    p("- **The server against the seed design** (issue 13), `scripts/bench-side-by-side` before and after: writes "
      "0.51× → 2.12× the seed design at 10,000 patients and 0.50× → 1.94× at 100,000 (a clinic's concurrent "
      "sets commit together, crates/server/src/clinical/batch.rs); searches 0.21× → 0.97× and 0.06× → 1.57× "
      "(`LIKE '% ma%'` is not leakproof, so under row-level security PostgreSQL filtered every patient of the "
      "clinic before it; a word prefix is now a range of `patient_words`, leakproof `>=`/`<` on a `COLLATE "
      "\"C\"` column beside `tenant_id`, with the page order in the same index). Change notifications left the "
      "commit (a `NOTIFY` takes a database-wide lock through the commit's flush). Cold sync of 100,000 patients "
      "135 → 108 s. Every step, kept or reverted, and what stands in the way: "
      "[docs/bench/side-by-side.md](docs/bench/side-by-side.md).")
    p("- **Short searches and the clinic's counters** (issue 13, 2026-12-07), `scripts/bench-side-by-side` before "
      "and after: a search of one to three letters reads `patient_name_prefixes` (migration 0021), where each "
      "prefix's patients are one index range already in page order, instead of sorting every word entry of the "
      "prefix: 1.51–1.63× → 2.29× the seed design at 100,000 patients and 1.01–1.03× → 1.16× at 10,000. A clinic's "
      "revision and MRN counters moved from the `tenants` row (referenced by seventeen tables: 62 µs a stamp) to "
      "`tenant_counters` (20 µs): +6.5 % writes over three paired runs. Details: "
      "[docs/bench/side-by-side.md](docs/bench/side-by-side.md).")
    p("- **The audit sealer under stale statistics** (issue 13, 2026-12-07, migration 0023): an ANALYZE taken while "
      "a first sync's entries waited made each sealer pass scan the whole log (a sequential scan to list the clinics, "
      "then the primary key from the first entry), every 200 ms in every server process, until the next ANALYZE. "
      "On a database built like this one, 1.5 million entries analysed while waiting chained in 858 s against 105 s "
      "with fresh statistics; with the clinics found by walking the index of unchained entries and each clinic's "
      "entries read in that index's order, about 10,500 a second under the same statistics. "
      "`tests/tests/audit.rs` counts the tuples a pass reads. It did not make the suite's drain faster (the next "
      "entry did): "
      "[docs/bench/side-by-side.md](docs/bench/side-by-side.md).")
    p("- **The outbox drain inside the suite** (issue 13, 2026-12-07, migration 0024 and `sync::record_vitals_run`): "
      "the new-set pre-check is a function whose only plan is the primary key (a pooled connection that had planned "
      "it for a clinic the statistics did not know walked a large clinic's every set per new set), and a pushed run "
      "of new sets goes in one insert, one audit insert and one insert of their answers instead of seven round trips "
      "a set. The suite's own figure: 1,000 / 10,000 sets drained in 12.4 / 128.7 s in the run at 6a59fc4, 0.46 / "
      "5.8 s in the run at 82655fd (both 2026-12-07; that run was slower than the one before on scenarios the change "
      "does not touch, reads with one client 75.6/s against 175, so compare its figures within it). A shorter script "
      "(its own clinics, not the suite's), cut to generation, `write-spread` and the drain, run on both binaries "
      "alternately (old, new, new, old): drain 8.0 / 15.3 s and 10.1 / 17.0 s before, 0.56 / 5.8 s and "
      "0.48 / 5.1 s after; writes over 1 / 10 / 100 / 100×3 clinics 209 / 506 / 454 / 522 and 218 / 503 / 426 / "
      "465 sets/s before, 330 / 691 / 634 / 735 and 292 / 588 / 459 / 559 after (the single set's path lost a "
      "round trip). Details: [docs/bench/side-by-side.md](docs/bench/side-by-side.md).")
    p("- **A new workstation's first sync** (issue 13, 2026-12-08, migration 0025 and the client's pull). Its "
      "audit: a download from revision 0 is audited once, as it begins, one `sync.full_download` entry per "
      "patient, and its pages add entries only for records newer than that; before, each page wrote one entry per "
      "patient it carried, about one entry per record (369,261 for a 30,000-patient clinic), and chaining them was "
      "most of PostgreSQL's time. The workstation: it reads the feed on a task of its own and writes the pages it "
      "has read together, up to 10,000 changes and about a second a transaction, off the runtime's worker (the next "
      "page's request had waited in the worker's own slot until each write ended). One script on each build, "
      "30,000 patients: 80.1 s (before) → 62.8 s (audit); then on the same set-up held open, the sync run again: "
      "55.3 s (off the worker) → 28.7 s (written together, 10,000 a transaction, before the one-second bound); "
      "100,000 patients with all of it, 175.9 s. The suite's own figure, 100,000 patients: 341 s in the run at "
      "82655fd, this run's in the cold-sync table above. Details: "
      "[docs/bench/side-by-side.md](docs/bench/side-by-side.md).")
    p("- **Tried and not kept** (medoffice alone under the same load generator, docs/bench/side-by-side.md): taking the revision counter last by writing the audit entry "
      "first (688 → 434 sets/s: the audit row's foreign-key lock on the clinic's row, which another writer is "
      "updating, makes a MultiXact on every write); forcing generic plans (777 → 710 searches/s); a group's sets "
      "and their audit entries in one statement (no change past the noise).\n")
    print("\n".join(o))


main()
