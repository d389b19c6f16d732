#!/usr/bin/env python3
"""Steady wrk load across reloads: what a client sees during graceful
restarts of mpmd, nginx and Apache httpd.

Every case runs a freshly started server under wrk for --duration seconds
(keep-alive and Connection: close variants) and reloads it once per
--interval: mpmd with `mpmctl -f CONF graceful` (the same MPM, or a
different MPM each time: the swap case), nginx with SIGHUP to its master,
Apache with SIGUSR1 (graceful) to its parent.  It counts wrk's socket
errors by kind and its non-2xx/3xx responses, the reloads and the reloads
that failed, and for mpmd how long `mpmctl graceful` took from being
issued to returning success.  Same servers, settings, pinning and
stopping by pid as bench.py; see README.md.
"""

import argparse
import datetime
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402
import report  # noqa: E402
import scenarios  # noqa: E402
import servers  # noqa: E402

DEFAULT_DURATION = 20       # seconds of wrk per run
DEFAULT_INTERVAL = 1.0      # seconds between two reloads
DEFAULT_PORT_BASE = 18180   # apart from bench.py's ports
MPMCTL_TIMEOUT = 60         # mpmctl bounds itself (drain bound + 15 s)
LOG_KEEP = 400              # error log lines kept per run in the JSON
LOG_SHOW = 40               # ... and printed for a run with errors
MPMD_LOG_LEVEL = "notice"   # mpmd logs each reload's outcome at notice

# The swap case starts on prefork and moves on to the next MPM of the
# cycle at every reload, each with its pool from conf/mpmd-MPM.conf.
SWAP_CYCLE = ["prefork", "threaded", "event"]
MPM_PROFILE = re.compile(r"mpmd-(%s)\.conf" % "|".join(SWAP_CYCLE))

# wrk modes: connections and headers (bench.py's close-1k is the same).
MODES = {
    "ka": {"conns": 32, "headers": []},
    "close": {"conns": 16, "headers": ["Connection: close"]},
}
MODE_NAMES = ["ka", "close"]


def _case(name, server, variant, how):
    """HOW: "mpmctl", or the signal sent to the server's master."""
    return {"name": name, "server": server, "variant": variant, "how": how}


CASES = [
    _case("mpm-prefork", "mpm-prefork", "graceful", "mpmctl"),
    _case("mpm-threaded", "mpm-threaded", "graceful", "mpmctl"),
    _case("mpm-event", "mpm-event", "graceful", "mpmctl"),
    _case("mpmd-swap", "mpm-prefork", "swap", "mpmctl"),
    _case("nginx", "nginx", "reload", signal.SIGHUP),
    _case("apache-event", "apache-event", "graceful", signal.SIGUSR1),
    _case("apache-prefork", "apache-prefork", "graceful", signal.SIGUSR1),
]
CASE_NAMES = [c["name"] for c in CASES]


def case(name):
    for c in CASES:
        if c["name"] == name:
            return c
    raise KeyError(name)


log = bench.log


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="wrk load across graceful reloads of mpmd, nginx and "
        "Apache httpd (see contrib/bench/README.md)")
    p.add_argument("-c", "--cases", default=",".join(CASE_NAMES),
                   help="comma-separated cases: %(default)s")
    p.add_argument("-m", "--modes", default=",".join(MODE_NAMES),
                   help="comma-separated wrk modes: %(default)s")
    p.add_argument("-d", "--duration", type=int, default=DEFAULT_DURATION,
                   help="seconds of wrk per run (default %(default)s)")
    p.add_argument("-i", "--interval", type=float, default=DEFAULT_INTERVAL,
                   help="seconds between reloads; 0 runs the same load "
                   "without any reload, a control (default %(default)s)")
    p.add_argument("-b", "--build",
                   default=os.environ.get("MPMD_BUILDDIR", "./build"),
                   help="mpmd build dir with mpmd, mpmctl and mpm-* "
                   "(default $MPMD_BUILDDIR or ./build)")
    p.add_argument("--json", metavar="FILE", help="write all results as "
                   "JSON (default: a time-stamped file in /tmp)")
    p.add_argument("--tsv", metavar="FILE",
                   help="also write all results as TSV")
    p.add_argument("--port-base", type=int, default=DEFAULT_PORT_BASE,
                   help="first port; case N listens on base+N")
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--client-cpu", type=int, default=1)
    p.add_argument("--workdir", help="work directory (default: a new "
                   "one in /tmp, removed at the end)")
    p.add_argument("--keep", action="store_true",
                   help="keep the work directory (configs and logs)")
    p.add_argument("--wrk", default=shutil.which("wrk") or "wrk")
    p.add_argument("--list", action="store_true",
                   help="list cases and modes and exit")
    opts = p.parse_args(argv)
    opts.cases = bench._names(opts.cases, CASE_NAMES, "case", p)
    opts.modes = bench._names(opts.modes, MODE_NAMES, "mode", p)
    opts.build = os.path.abspath(opts.build)
    if opts.duration < 2 or opts.interval < 0:
        p.error("--duration must be at least 2, --interval at least 0")
    # What bench.metadata() and scenarios.wrk_argv() read.
    opts.reps = 1
    opts.scenarios = ["reload-%s" % m for m in opts.modes]
    return opts


# -------------------------------------------------------------- servers

class ReloadServer(servers.Server):
    """A bench server whose mpmd config can be pointed at another MPM."""

    def __init__(self, c, port, workdir, env):
        super().__init__(servers.spec(c["server"]), port, workdir, env)
        self.dir = os.path.join(workdir, "servers", c["name"])

    def prepare(self):
        super().prepare()
        if self.spec["kind"] == "mpmd":
            self._edit(lambda text: re.sub(
                r"^LogLevel\s+\S+", "LogLevel " + MPMD_LOG_LEVEL, text,
                flags=re.M))

    def set_mpm(self, mpm):
        """Swap the MPM line, with that MPM's bench pool, in the config
        mpmd reads at the next graceful."""
        self._edit(lambda text: MPM_PROFILE.sub("mpmd-%s.conf" % mpm, text))

    def _edit(self, change):
        with open(self.conf) as f:
            text = change(f.read())
        tmp = self.conf + ".new"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.conf)   # mpmd never reads half a file

    def error_log(self):
        try:
            with open(self.log("error.log"), errors="replace") as f:
                return f.read().splitlines()
        except OSError:
            return []


# -------------------------------------------------------------- reloads

class MpmctlReload:
    """`mpmctl -f CONF graceful`, timed from exec to exit.  Success is
    exit status 0 with a confirmed outcome: mpmctl's fallback to a signal
    (no control socket) exits 0 but cannot confirm, and counts as failed."""

    def __init__(self, srv, c, opts):
        self.srv = srv
        self.argv = [os.path.join(opts.build, "mpmctl"), "-f", srv.conf,
                     "graceful"]
        self.cycle = None
        if c["variant"] == "swap":
            first = SWAP_CYCLE.index(srv.spec["mpm"])
            self.cycle = SWAP_CYCLE[first + 1:] + SWAP_CYCLE[:first + 1]
        self.count = 0

    def target(self):
        if self.cycle is None:
            return self.srv.spec["mpm"]
        return self.cycle[self.count % len(self.cycle)]

    def __call__(self):
        target = self.target()
        if self.cycle is not None:
            self.srv.set_mpm(target)
        self.count += 1
        t0 = time.monotonic()
        try:
            p = subprocess.run(self.argv, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT,
                               timeout=MPMCTL_TIMEOUT)
            rc, out = p.returncode, p.stdout.decode(errors="replace")
        except subprocess.TimeoutExpired:
            rc, out = None, "mpmctl killed after %d s" % MPMCTL_TIMEOUT
        ms = (time.monotonic() - t0) * 1e3
        ok = rc == 0 and "could not confirm" not in out
        return {"target": target, "ok": ok, "rc": rc, "ms": round(ms, 2),
                "output": out.strip()}


class SignalReload:
    """A signal to the master; the only failure it can see is a master
    that is gone."""

    def __init__(self, srv, c, opts):
        self.srv = srv
        self.sig = c["how"]

    def __call__(self):
        try:
            os.kill(self.srv.pid, self.sig)
            return {"target": None, "ok": True, "ms": None}
        except OSError as e:
            return {"target": None, "ok": False, "ms": None,
                    "output": str(e)}


def reloader(srv, c, opts):
    if c["how"] == "mpmctl":
        return MpmctlReload(srv, c, opts)
    return SignalReload(srv, c, opts)


def _wait(until, proc):
    """Sleep until the monotonic time UNTIL; False if PROC exits first."""
    while True:
        left = until - time.monotonic()
        if proc.poll() is not None:
            return False
        if left <= 0:
            return True
        time.sleep(min(left, servers.POLL))


def drive(wrk, reload, opts, t0):
    """Reload at t0 + k * interval, k = 1, 2, ... while wrk runs and the
    slot is before its end.  A reload that overruns its slot moves the
    next one to the following slot: never two at once."""
    events = []
    if opts.interval <= 0:
        return events
    slot = 1
    while t0 + slot * opts.interval < t0 + opts.duration:
        if not _wait(t0 + slot * opts.interval, wrk):
            break
        ev = reload()
        ev["at"] = round(time.monotonic() - t0, 3)
        events.append(ev)
        slot = int((time.monotonic() - t0) / opts.interval) + 1
    return events


# ------------------------------------------------------------------ run

def run_wrk(srv, mode, reload, opts):
    sc = dict(MODES[mode], path=scenarios.SMALL)
    argv = scenarios.wrk_argv(sc, srv.port, opts)
    wrk = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        t0 = time.monotonic()
        events = drive(wrk, reload, opts, t0)
        left = t0 + opts.duration + scenarios.WRK_GRACE - time.monotonic()
        out, _ = wrk.communicate(timeout=max(left, 1))
    finally:
        if wrk.poll() is None:
            wrk.kill()
            wrk.wait()
    out = out.decode(errors="replace")
    if wrk.returncode != 0:
        raise RuntimeError("wrk exited %d: %s" % (wrk.returncode, out[-500:]))
    return scenarios.parse_wrk(out), events, out


def summarize(r, events):
    """The run's numbers, flat (one value a key, for the TSV)."""
    keep = ["requests", "rps", "p50_ms", "p99_ms", "non2xx",
            "socket_errors"] + ["err_" + k for k in scenarios.SOCKET_ERRORS]
    out = {k: r[k] for k in keep}
    out["errors"] = r["socket_errors"] + r["non2xx"]
    out["reloads"] = len(events)
    out["reload_failures"] = sum(1 for e in events if not e["ok"])
    ms = [e["ms"] for e in events if e["ok"] and e["ms"] is not None]
    out["graceful_p50_ms"] = round(statistics.median(ms), 2) if ms else None
    out["graceful_max_ms"] = round(max(ms), 2) if ms else None
    return out


def one_run(c, mode, port, opts, env):
    entry = {"rep": 1, "server": c["name"], "scenario": "%s/%s" % (
        c["variant"] if opts.interval > 0 else "control", mode),
        "case": c["name"], "variant": c["variant"], "mode": mode}
    srv = ReloadServer(c, port, env["workdir"], env)
    tag = "%s %s" % (entry["server"], entry["scenario"])
    try:
        srv.start()
        r, events, out = run_wrk(srv, mode, reloader(srv, c, opts), opts)
        entry["result"] = summarize(r, events)
        entry["reloads"] = events
        if srv.proc.poll() is not None:
            entry["error"] = "server exited during the run"
        if entry["result"]["errors"] or entry["result"]["reload_failures"] \
                or "error" in entry:
            entry["wrk_output"] = out
        log("%s: %s" % (tag, brief(entry["result"])))
    except (servers.ServerError, RuntimeError, ValueError, OSError,
            subprocess.SubprocessError) as e:
        entry["error"] = str(e)
        log("%s: FAILED: %s" % (tag, e))
    finally:
        entry["error_log"] = srv.error_log()[-LOG_KEEP:]
        note = srv.stop()
        if note:
            log("%s: %s" % (tag, note.strip()))
        if not opts.keep:
            shutil.rmtree(srv.dir, ignore_errors=True)
    return entry


def brief(r):
    text = "%d requests, errors %d (connect %d read %d write %d timeout %d" \
        " non-2xx %d), reloads %d, failed %d" % (
            r["requests"], r["errors"], r["err_connect"], r["err_read"],
            r["err_write"], r["err_timeout"], r["non2xx"], r["reloads"],
            r["reload_failures"])
    if r["graceful_p50_ms"] is not None:
        text += ", graceful p50 %.0f ms max %.0f ms" % (
            r["graceful_p50_ms"], r["graceful_max_ms"])
    return text


# --------------------------------------------------------------- tables

# (column title, result key, format)
COLUMNS = [
    ("requests", "requests", "%.0f"),
    ("req/s", "rps", "%.0f"),
    ("p99 ms", "p99_ms", "%.2f"),
    ("connect", "err_connect", "%.0f"),
    ("read", "err_read", "%.0f"),
    ("write", "err_write", "%.0f"),
    ("timeout", "err_timeout", "%.0f"),
    ("non-2xx", "non2xx", "%.0f"),
    ("reloads", "reloads", "%.0f"),
    ("reload fail", "reload_failures", "%.0f"),
    ("graceful p50 ms", "graceful_p50_ms", "%.0f"),
    ("graceful max ms", "graceful_max_ms", "%.0f"),
]


def run_table(runs):
    rows = []
    for e in runs:
        name, variant = e["case"], e["scenario"].split("/")[0]
        if "result" not in e:
            rows.append([name, variant, e["mode"]] + ["-"] * len(COLUMNS))
            continue
        rows.append([name, variant, e["mode"]] + [
            report._fmt(e["result"].get(k), f, 1) for _, k, f in COLUMNS])
    head = ["case", "variant", "wrk"] + [c[0] for c in COLUMNS]
    return report._table(head, rows)


def latency_groups(runs):
    """{(variant, target MPM): [reload events]} of the mpmctl cases, both
    wrk modes together."""
    groups = {}
    for e in runs:
        for ev in e.get("reloads", ()):
            if ev["target"] is not None:
                key = (e["variant"], ev["target"])
                groups.setdefault(key, []).append(ev)
    return groups


def latency_table(runs):
    rows, out = [], {}
    for (variant, mpm), evs in sorted(latency_groups(runs).items()):
        ms = [ev["ms"] for ev in evs if ev["ok"]]
        p50 = statistics.median(ms) if ms else None
        top = max(ms) if ms else None
        out["%s/%s" % (variant, mpm)] = {
            "reloads": len(evs), "failed": len(evs) - len(ms),
            "p50_ms": p50, "max_ms": top}
        rows.append([variant, mpm, str(len(evs)), str(len(evs) - len(ms)),
                     report._fmt(p50, "%.0f", 1),
                     report._fmt(top, "%.0f", 1)])
    if not rows:
        return "", out
    head = ["variant", "to MPM", "reloads", "failed", "p50 ms", "max ms"]
    return report._table(head, rows), out


def details(e):
    """What to look at for an mpmd run with errors: wrk's report, the
    failed mpmctl calls and the error log's warnings and worse."""
    out = ["%s %s:" % (e["case"], e["scenario"])]
    if e.get("error"):
        out.append("  run: %s" % e["error"].splitlines()[0])
    for ev in e.get("reloads", ()):
        if not ev["ok"]:
            out.append("  mpmctl at %.1f s (to %s), exit %s: %s" % (
                ev["at"], ev["target"], ev["rc"], ev["output"]))
    out += ["  wrk: " + ln for ln in e.get("wrk_output", "").splitlines()]
    lines = [ln for ln in e.get("error_log", ())
             if "[mpmd:notice]" not in ln and ":info]" not in ln]
    out += ["  error.log: " + ln for ln in lines[-LOG_SHOW:]]
    return "\n".join(out)


def finish(opts, meta, runs):
    print()
    print("mpmd reload bench, %s: wrk %d s per run, %s; server on CPU %d, "
          "wrk on CPU %d" % (meta["date"], opts.duration,
                             "a reload every %g s" % opts.interval
                             if opts.interval > 0 else "no reloads (control)",
                             opts.server_cpu, opts.client_cpu))
    print("wrk: ka = -t1 -c%d, close = -t1 -c%d -H 'Connection: close'; "
          "GET %s" % (MODES["ka"]["conns"], MODES["close"]["conns"],
                      scenarios.SMALL))
    print()
    print(run_table(runs) if runs else "(no run completed)")
    print()
    table, lat = latency_table(runs)
    if table:
        print("mpmctl graceful, issued -> returned 0 (both wrk modes)")
        print(table)
        print()
    for e in runs:
        bad = e.get("error") or e.get("result", {}).get("errors") or \
            e.get("result", {}).get("reload_failures")
        if bad and servers.spec(case(e["case"])["server"])["kind"] == "mpmd":
            print(details(e))
            print()
        elif e.get("error"):
            print("error: %s %s: %s" % (e["case"], e["scenario"],
                                        e["error"].splitlines()[0]))
    path = opts.json or "/tmp/mpmd-reload-%s.json" % (
        datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    report.write_json(path, {"meta": meta, "runs": runs,
                             "graceful_latency": lat})
    print("results: %s" % path)
    if opts.tsv:
        report.write_tsv(opts.tsv, runs, {})
        print("results: %s" % opts.tsv)


# ----------------------------------------------------------------- main

def missing(c, build):
    """Why case C cannot run here, or None."""
    s = servers.spec(c["server"])
    why = servers.missing(s, build)
    if why or s["kind"] != "mpmd":
        return why
    need = ["mpmctl"]
    if c["variant"] == "swap":
        need += ["mpm-" + m for m in SWAP_CYCLE]
    for prog in need:
        if not os.access(os.path.join(build, prog), os.X_OK):
            return "%s not found" % os.path.join(build, prog)
    return None


def main(argv):
    opts = parse_args(argv)
    if opts.list:
        print("cases: " + " ".join(CASE_NAMES))
        print("modes: " + " ".join(MODE_NAMES))
        return 0
    bench.preflight(opts)
    chosen = []
    for name in opts.cases:
        why = missing(case(name), opts.build)
        if why:
            log("reload: skipping %s: %s" % (name, why))
        else:
            chosen.append(case(name))
    if not chosen:
        sys.exit("reload: no case to run")
    nofile = bench.raise_nofile()
    os.sched_setaffinity(0, {opts.client_cpu})
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, bench._on_signal)

    workdir = opts.workdir or tempfile.mkdtemp(prefix="mpmd-reload.")
    os.makedirs(workdir, exist_ok=True)
    user, group = bench.identity()
    env = {"workdir": workdir, "docroot": bench.make_docroot(workdir),
           "types": os.path.join(bench.SRCDIR, "conf", "mime.types"),
           "user": user, "group": group, "max_fds": nofile,
           "max_conns": min(bench.MAX_CONNS, nofile - bench.FD_RESERVE),
           "backlog": bench.BACKLOG,
           "mpmd_build": opts.build, "server_cpu": opts.server_cpu}
    meta = bench.metadata(opts, [servers.spec(c["server"]) for c in chosen],
                          nofile)
    meta.update(interval=opts.interval, cases=[c["name"] for c in chosen],
                modes=opts.modes)
    log("reload: %d cases x %d wrk modes of %d s, about %d min; work dir %s"
        % (len(chosen), len(opts.modes), opts.duration,
           len(chosen) * len(opts.modes) * (opts.duration + 5) // 60 + 1,
           workdir))
    runs, interrupted = [], None
    t0 = time.monotonic()
    try:
        for c in chosen:
            port = opts.port_base + CASE_NAMES.index(c["name"])
            for mode in opts.modes:
                runs.append(one_run(c, mode, port, opts, env))
    except (KeyboardInterrupt, bench.Interrupted) as e:
        interrupted = str(e) or "interrupted"
        log("reload: interrupted, servers stopped; partial results follow")
    finally:
        if not opts.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    meta["elapsed_seconds"] = round(time.monotonic() - t0)
    meta["interrupted"] = interrupted
    finish(opts, meta, runs)
    return 1 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
