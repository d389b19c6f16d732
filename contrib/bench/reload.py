#!/usr/bin/env python3
"""Steady wrk load across reloads: what a client sees during graceful
restarts of mpmd, nginx and Apache httpd.

Every case runs a freshly started server under wrk for --duration seconds
(keep-alive and Connection: close variants) and reloads it once per
--interval: mpmd with `mpmctl -f CONF graceful` (the same MPM, or a
different MPM each time: the swap case; GracefulHandoff on or off) or
`mpmctl -f CONF upgrade` (a new master from the binary at its path),
nginx with SIGHUP to its master or the USR2 + QUIT binary upgrade,
Apache with SIGUSR1 (graceful) to its parent.  It counts wrk's socket
errors by kind and its non-2xx/3xx responses, the reloads and the reloads
that failed, how long a reload took from being issued to the new
generation or master serving (mpmctl's exit with 0; nginx's new master
with a worker), and under keep-alive load the connections the server
closed: every connect() wrk makes, counted by strace, less the ones it
opens at the start.  Same servers, settings, pinning and stopping by pid
as bench.py; see README.md.
"""

import argparse
import ctypes
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
import idle  # noqa: E402
import proctree  # noqa: E402
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
UPGRADE_WAIT = 10.0         # nginx USR2: to a new master with a worker...
OLDBIN_WAIT = 10.0          # ...and after QUIT, to the old master's exit
PR_SET_CHILD_SUBREAPER = 36

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
# Modes whose connections are counted (strace): under Connection: close
# every request opens one, by the client's choice.
COUNT_MODES = ["ka"]


def _case(name, server, variant, how, conf=()):
    """HOW: "mpmctl" (its verb from VARIANT: upgrade, else graceful),
    "nginx-upgrade" (USR2, then QUIT to the old master), or the signal
    sent to the server's master.  CONF: lines added to the config."""
    return {"name": name, "server": server, "variant": variant, "how": how,
            "conf": list(conf)}


CASES = [
    _case("mpm-prefork", "mpm-prefork", "graceful", "mpmctl"),
    _case("mpm-threaded", "mpm-threaded", "graceful", "mpmctl"),
    _case("mpm-event", "mpm-event", "graceful", "mpmctl"),
    _case("mpm-event-nohandoff", "mpm-event", "nohandoff", "mpmctl",
          ["GracefulHandoff off"]),
    _case("mpmd-swap", "mpm-prefork", "swap", "mpmctl"),
    _case("mpmd-upgrade", "mpm-event", "upgrade", "mpmctl"),
    _case("nginx", "nginx", "reload", signal.SIGHUP),
    _case("nginx-upgrade", "nginx", "upgrade", "nginx-upgrade"),
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
    p.add_argument("--strace", default=shutil.which("strace") or "",
                   help="strace that counts wrk's connect() calls under "
                   "keep-alive load; '' to count nothing (default: "
                   "%(default)s)")
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

def _reap(pid):
    """Collect PID if it is a child of ours that has exited: an upgraded
    master's successor is re-parented to this script (a subreaper)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _running(ident):
    """IDENT (pid, start time) is alive and no zombie; reaps it if not."""
    _reap(ident[0])
    return proctree.start_time(ident[0]) == ident[1]


def _wait_exit(idents, timeout):
    """Wait until none of IDENTS runs; those still running."""
    deadline = time.monotonic() + timeout
    while True:
        left = [i for i in idents if _running(i)]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(servers.POLL)


def _ident(pid):
    st = proctree.start_time(pid)
    return (pid, st) if st is not None else None


def _children(pid):
    """Pids whose parent is PID."""
    return [p for p in proctree.tree(pid) if p != pid]


class ReloadServer(servers.Server):
    """A bench server whose mpmd config can be pointed at another MPM,
    and whose master may be replaced (an upgrade): the harness follows
    the master through the pid file and stops the current one by pid."""

    def __init__(self, c, port, workdir, env):
        super().__init__(servers.spec(c["server"]), port, workdir, env)
        self.dir = os.path.join(workdir, "servers", c["name"])
        self.case = c
        # nginx's USR2 is ignored by a master whose parent is the one it
        # started with (the new binary must not upgrade while the old one
        # lives): the upgrade case runs nginx as a daemon, as deployed.
        self.daemon = self.spec["kind"] == "nginx" and \
            c["how"] == "nginx-upgrade"
        self.master = None      # (pid, start time) of the current master
        self.former = []        # masters an upgrade replaced

    def prepare(self):
        super().prepare()
        if self.spec["kind"] == "mpmd":
            self._edit(lambda text: re.sub(
                r"^LogLevel\s+\S+", "LogLevel " + MPMD_LOG_LEVEL, text,
                flags=re.M))
        if self.case["conf"]:
            self._edit(lambda text: text + "\n# reload.py, case %s\n%s\n" % (
                self.case["name"], "\n".join(self.case["conf"])))
        if self.daemon:
            self._edit(lambda text: re.sub(r"^daemon off;", "daemon on;",
                                           text, flags=re.M))

    def pid_file(self):
        name = {"mpmd": "mpmd.pid", "nginx": "nginx.pid",
                "apache": "httpd.pid"}[self.spec["kind"]]
        return os.path.join(self.dir, "run", name)

    def read_pid(self, path=None):
        try:
            with open(path or self.pid_file()) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _wait_ready(self):
        if not self.daemon:
            super()._wait_ready()
            self.master = _ident(self.pid)
            return
        # taskset -> nginx, which forks the master (on the same CPU) and
        # exits 0; the master writes the pid file, then serves.
        try:
            rc = self.proc.wait(servers.START_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise servers.ServerError("nginx did not daemonize in %.0f s"
                                      % servers.START_TIMEOUT)
        if rc != 0:
            raise servers.ServerError("nginx exited with status %d at "
                                      "start\n%s" % (rc, self.diagnostics()))
        deadline = time.monotonic() + servers.START_TIMEOUT
        while time.monotonic() < deadline:
            pid = self.read_pid()
            if pid and _ident(pid):
                secs, status = idle.probe(self.port, servers.READY_PATH,
                                          timeout=1.0)
                if secs is not None and status == 200:
                    self.pid = pid
                    self.master = _ident(pid)
                    return
            time.sleep(servers.POLL * 2)
        raise servers.ServerError("nginx daemon not serving after %.0f s\n%s"
                                  % (servers.START_TIMEOUT,
                                     self.diagnostics()))

    def follow(self, pid):
        """PID is the master now (an upgrade replaced the one before)."""
        ident = _ident(pid)
        if ident is None:
            raise ValueError("new master pid %d is not running" % pid)
        if self.master is not None:
            self.former.append(self.master)
        self.master = ident

    def running(self):
        return self.master is not None and _running(self.master)

    def stop(self):
        if self.proc is None:
            return None
        if not self.former and not self.daemon:
            return super().stop()   # the master is the process we started
        note = None
        members = set(self.members) | set(self.former)
        if self.master is not None:
            members |= set(proctree.identities(self.master[0]))
            if _running(self.master):
                servers._signal(self.master[0], signal.SIGTERM)
                if _wait_exit([self.master], servers.STOP_TIMEOUT):
                    note = "%s: master %d ignored SIGTERM for %.0f s: " \
                        "killed" % (self.name, self.master[0],
                                    servers.STOP_TIMEOUT)
                    servers._signal(self.master[0], signal.SIGKILL)
        if self.proc.poll() is None:    # the first master, still draining
            servers._signal(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(servers.STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                servers._signal(self.proc.pid, signal.SIGKILL)
                self.proc.wait(servers.STOP_TIMEOUT)
        members.discard(None)
        members = {m for m in members if m[0] != self.proc.pid}
        left = _wait_exit(members, servers.REAP_TIMEOUT)
        if left:
            note = (note or "") + " %s left %d processes: killed" % (
                self.name, len(left))
            for pid, _ in left:
                servers._signal(pid, signal.SIGKILL)
            _wait_exit(left, servers.REAP_TIMEOUT)
        self.proc = None
        self.members = []
        return note

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

UPGRADED = re.compile(r"^upgraded: mpmd .+?, pid (\d+) -> mpmd .+?, pid "
                      r"(\d+) in (\d+) ms", re.M)


class MpmctlReload:
    """`mpmctl -f CONF graceful` (or `upgrade`), timed from exec to exit.
    Success is exit status 0 with a confirmed outcome: mpmctl's fallback
    to a signal (no control socket) exits 0 but cannot confirm, and
    counts as failed.  After an upgrade the pid mpmctl names must be the
    one in PidFile; the harness follows it."""

    def __init__(self, srv, c, opts):
        self.srv = srv
        self.verb = "upgrade" if c["variant"] == "upgrade" else "graceful"
        self.argv = [os.path.join(opts.build, "mpmctl"), "-f", srv.conf,
                     self.verb]
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
        ev = {"target": target, "ok": ok, "rc": rc, "ms": round(ms, 2),
              "output": out.strip()}
        if ok and self.verb == "upgrade":
            m = UPGRADED.search(out)
            pid = self.srv.read_pid()
            if not m or pid != int(m.group(2)):
                ev["ok"] = False
                ev["output"] += " [reload.py: PidFile says %s]" % pid
            else:
                ev["old_pid"], ev["new_pid"] = int(m.group(1)), pid
                ev["server_ms"] = int(m.group(3))
                try:
                    self.srv.follow(pid)
                except ValueError as e:
                    ev["ok"], ev["output"] = False, str(e)
        return ev


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


class NginxUpgrade:
    """nginx's binary upgrade: USR2 to the master (from its pid file); it
    renames the pid file to nginx.pid.oldbin and execs its binary, which
    writes nginx.pid and starts its worker with the inherited listening
    sockets.  Timed from USR2 to that new master having a worker (both
    generations accept until the old one is told to stop); then QUIT to
    the old master, which finishes its requests and exits (waited for,
    bounded, before the next reload: it removes nginx.pid.oldbin)."""

    def __init__(self, srv, c, opts):
        self.srv = srv

    def __call__(self):
        srv = self.srv
        ev = {"target": None, "ok": False, "ms": None}
        old = srv.master
        oldbin = srv.pid_file() + ".oldbin"
        if old is None or srv.read_pid() != old[0]:
            ev["output"] = "pid file %s names %s, not master %s" % (
                srv.pid_file(), srv.read_pid(), old and old[0])
            return ev
        t0 = time.monotonic()
        try:
            os.kill(old[0], signal.SIGUSR2)
        except OSError as e:
            ev["output"] = "USR2: %s" % e
            return ev
        new = None
        while time.monotonic() - t0 < UPGRADE_WAIT:
            if os.path.exists(oldbin):
                pid = srv.read_pid()
                if pid and pid != old[0] and _children(pid):
                    new = pid
                    break
            time.sleep(0.002)
        ms = (time.monotonic() - t0) * 1e3
        if new is None:
            ev["output"] = "no new master with a worker %.0f s after USR2 " \
                "(nginx.pid %s, oldbin %s)" % (
                    UPGRADE_WAIT, srv.read_pid(), os.path.exists(oldbin))
            return ev
        ev.update(ms=round(ms, 2), old_pid=old[0], new_pid=new)
        try:
            srv.follow(new)
            os.kill(old[0], signal.SIGQUIT)
        except (OSError, ValueError) as e:
            ev["output"] = "after USR2: %s" % e
            return ev
        left = _wait_exit([old], OLDBIN_WAIT)
        ev["old_gone_ms"] = round((time.monotonic() - t0) * 1e3, 2)
        if left:
            ev["output"] = "old master %d still running %.0f s after QUIT" % (
                old[0], OLDBIN_WAIT)
            return ev
        ev["ok"] = True
        return ev


def reloader(srv, c, opts):
    if c["how"] == "mpmctl":
        return MpmctlReload(srv, c, opts)
    if c["how"] == "nginx-upgrade":
        return NginxUpgrade(srv, c, opts)
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

def traced(argv, trace, opts):
    """ARGV (taskset -c CPU wrk ...) with wrk run by strace, which writes
    a line to TRACE for each connect() of any of wrk's threads.  With a
    seccomp filter strace stops wrk for connect() only: a keep-alive run,
    which connects a few dozen times, runs at full speed."""
    return argv[:3] + [opts.strace, "-f", "-qq", "--seccomp-bpf",
                       "-e", "trace=connect", "-e", "signal=none",
                       "-o", trace] + argv[3:]


def count_connects(trace, port):
    """connect() calls to PORT made by wrk's load threads.  wrk's main
    thread connects once to check the address before it starts them (the
    first line: strace's first tracee is wrk's main thread); its lines
    are left out."""
    tag = "htons(%d)" % port
    main, n = None, 0
    with open(trace, errors="replace") as f:
        for line in f:
            parts = line.split(None, 1)
            if len(parts) < 2 or not parts[1].startswith("connect("):
                continue
            if main is None:
                main = parts[0]
            if parts[0] != main and tag in parts[1]:
                n += 1
    return n


def run_wrk(srv, mode, reload, opts):
    sc = dict(MODES[mode], path=scenarios.SMALL)
    argv = scenarios.wrk_argv(sc, srv.port, opts)
    trace = None
    if mode in COUNT_MODES and opts.strace:
        trace = os.path.join(srv.dir, "logs", "wrk-connect.strace")
        argv = traced(argv, trace, opts)
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
    r = scenarios.parse_wrk(out)
    r["conns"] = sc["conns"]
    r["opened"] = count_connects(trace, srv.port) if trace else None
    return r, events, out


def summarize(r, events):
    """The run's numbers, flat (one value a key, for the TSV)."""
    keep = ["requests", "rps", "p50_ms", "p99_ms", "non2xx",
            "socket_errors"] + ["err_" + k for k in scenarios.SOCKET_ERRORS]
    out = {k: r[k] for k in keep}
    out["errors"] = r["socket_errors"] + r["non2xx"]
    out["reloads"] = len(events)
    out["reload_failures"] = sum(1 for e in events if not e["ok"])
    ms = [e["ms"] for e in events if e["ok"] and e["ms"] is not None]
    out["reload_p50_ms"] = round(statistics.median(ms), 2) if ms else None
    out["reload_max_ms"] = round(max(ms), 2) if ms else None
    ms = [e["server_ms"] for e in events if e["ok"] and "server_ms" in e]
    out["server_p50_ms"] = statistics.median(ms) if ms else None
    out["server_max_ms"] = max(ms) if ms else None
    # Connections the server closed: each one wrk reopens, whether after
    # a response with Connection: close or after a read or write error.
    out["conns_opened"] = r["opened"]
    out["server_closed"] = None
    out["closed_per_reload"] = None
    if r["opened"] is not None:
        out["server_closed"] = r["opened"] - r["conns"]
        if events:
            out["closed_per_reload"] = round(
                out["server_closed"] / len(events), 2)
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
        if not srv.running():
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
    if r["reload_p50_ms"] is not None:
        text += ", reload p50 %.0f ms max %.0f ms" % (
            r["reload_p50_ms"], r["reload_max_ms"])
    if r["server_closed"] is not None:
        text += ", server closed %d connections (%s a reload)" % (
            r["server_closed"], r["closed_per_reload"])
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
    ("reload p50 ms", "reload_p50_ms", "%.0f"),
    ("reload max ms", "reload_max_ms", "%.0f"),
    ("opened", "conns_opened", "%.0f"),
    ("closed/reload", "closed_per_reload", "%.2f"),
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
    """mpmctl's times; for upgrades also the time the old master reports
    (fork of the new one to its confirmation), which leaves out mpmctl's
    own start and its wait for the client CPU."""
    rows, out = [], {}
    for (variant, mpm), evs in sorted(latency_groups(runs).items()):
        ms = [ev["ms"] for ev in evs if ev["ok"]]
        p50 = statistics.median(ms) if ms else None
        top = max(ms) if ms else None
        srv = [ev["server_ms"] for ev in evs if ev["ok"] and "server_ms" in ev]
        s50 = statistics.median(srv) if srv else None
        smax = max(srv) if srv else None
        out["%s/%s" % (variant, mpm)] = {
            "reloads": len(evs), "failed": len(evs) - len(ms),
            "p50_ms": p50, "max_ms": top,
            "server_p50_ms": s50, "server_max_ms": smax}
        rows.append([variant, mpm, str(len(evs)), str(len(evs) - len(ms)),
                     report._fmt(p50, "%.0f", 1),
                     report._fmt(top, "%.0f", 1),
                     report._fmt(s50, "%.0f", 1),
                     report._fmt(smax, "%.0f", 1)])
    if not rows:
        return "", out
    head = ["variant", "to MPM", "reloads", "failed", "p50 ms", "max ms",
            "master p50 ms", "master max ms"]
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
        print("mpmctl graceful/upgrade, issued -> returned 0 (both wrk "
              "modes); master: what an upgraded master reports")
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


def subreaper():
    """Become the parent of orphans in our tree: an upgrade leaves the new
    master (mpmd or nginx) without its parent, the old master, and the
    nginx upgrade case daemonizes.  They are then ours to reap (by pid,
    in ReloadServer.stop) rather than zombies for the machine's init."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        log("reload: prctl(PR_SET_CHILD_SUBREAPER): %s" %
            os.strerror(ctypes.get_errno()))


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
    if opts.strace and not shutil.which(opts.strace):
        sys.exit("reload: %s not found (apt-get install strace, or "
                 "--strace '' to count no connections)" % opts.strace)
    if not opts.strace:
        log("reload: no strace: server-closed connections are not counted")
    nofile = bench.raise_nofile()
    os.sched_setaffinity(0, {opts.client_cpu})
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, bench._on_signal)
    subreaper()

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
