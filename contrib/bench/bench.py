#!/usr/bin/env python3
"""Benchmark every mpmd MPM against lighttpd, nginx and Apache httpd.

One box, wrk on loopback: the server under test is pinned to one CPU
(its whole process tree), wrk and this script to another.  Every
repetition runs every server through every scenario, so slow drifts of a
shared machine spread over all servers alike; the tables show medians
over the repetitions and ratios mpmd/anchor.  See README.md.
"""

import argparse
import datetime
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import report  # noqa: E402
import scenarios  # noqa: E402
import servers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(os.path.dirname(HERE))

DEFAULT_DURATION = 8        # seconds per wrk run
DEFAULT_REPS = 3
DEFAULT_PORT_BASE = 18080
DEFAULT_IDLE_STALL = 2.0
NOFILE_WANT = 65535         # RLIMIT_NOFILE here and for the servers; the
                            # largest value lighttpd's server.max-fds takes
MAX_CONNS = 32000           # nginx worker_connections at most
FD_RESERVE = 256            # descriptors a server needs beside connections
BACKLOG = 511               # every server's listen backlog
SMALL_SIZE = 1024
BIG_SIZE = 1 << 20
# Rough seconds per server and repetition beyond the wrk runs: start,
# settle, idle scenarios, stop.  Only for the time estimate.
OVERHEAD_ESTIMATE = 8


class Interrupted(Exception):
    pass


def _on_signal(signum, frame):
    raise Interrupted("signal %d" % signum)


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="wrk benchmark of the mpmd MPMs against lighttpd, "
        "nginx and Apache httpd (see contrib/bench/README.md)")
    p.add_argument("-s", "--servers", default=",".join(servers.NAMES),
                   help="comma-separated servers (default: all that are "
                   "installed): %(default)s")
    p.add_argument("-S", "--scenarios", default=",".join(scenarios.NAMES),
                   help="comma-separated scenarios: %(default)s")
    p.add_argument("-d", "--duration", type=int, default=DEFAULT_DURATION,
                   help="seconds per wrk run (default %(default)s)")
    p.add_argument("-r", "--reps", type=int, default=DEFAULT_REPS,
                   help="repetitions (default %(default)s)")
    p.add_argument("-b", "--build",
                   default=os.environ.get("MPMD_BUILDDIR", "./build"),
                   help="mpmd build dir with mpmd and mpm-* (default "
                   "$MPMD_BUILDDIR or ./build)")
    p.add_argument("--json", metavar="FILE",
                   help="write all results as JSON (default: a "
                   "time-stamped file in /tmp)")
    p.add_argument("--tsv", metavar="FILE",
                   help="also write all results as TSV")
    p.add_argument("--port-base", type=int, default=DEFAULT_PORT_BASE,
                   help="first port; server N listens on base+N")
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--client-cpu", type=int, default=1)
    p.add_argument("--idle-stall", type=float, default=DEFAULT_IDLE_STALL,
                   help="idle scenarios: give up on the unanswered "
                   "connections after this many seconds without a "
                   "response (default %(default)s)")
    p.add_argument("--workdir", help="work directory (default: a new "
                   "one in /tmp, removed at the end)")
    p.add_argument("--keep", action="store_true",
                   help="keep the work directory (configs and logs)")
    p.add_argument("--wrk", default=shutil.which("wrk") or "wrk")
    p.add_argument("--list", action="store_true",
                   help="list servers and scenarios and exit")
    opts = p.parse_args(argv)
    opts.servers = _names(opts.servers, servers.NAMES, "server", p)
    opts.scenarios = _names(opts.scenarios, scenarios.NAMES, "scenario", p)
    opts.build = os.path.abspath(opts.build)
    if opts.duration < 1 or opts.reps < 1:
        p.error("--duration and --reps must be at least 1")
    return opts


def _names(text, known, what, p):
    names = [n.strip() for n in text.split(",") if n.strip()]
    for n in names:
        if n not in known:
            p.error("unknown %s '%s' (known: %s)" % (what, n,
                                                     ", ".join(known)))
    return names


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- setup

def raise_nofile():
    """Raise RLIMIT_NOFILE, inherited by wrk and the servers: 10,000 idle
    connections need 10,000 descriptors on each side."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, NOFILE_WANT)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def make_docroot(workdir):
    """The same files for every server, world-readable: workers run as
    nobody.  Fixed contents, so every run serves identical bytes."""
    root = os.path.join(workdir, "htdocs")
    os.makedirs(root, exist_ok=True)
    line = b"mpmd bench: the same bytes for every server.\n"
    files = {"1k.html": SMALL_SIZE, "1m.bin": BIG_SIZE,
             "index.html": SMALL_SIZE}
    for name, size in files.items():
        body = (line * (size // len(line) + 1))[:size]
        with open(os.path.join(root, name), "wb") as f:
            f.write(body)
        os.chmod(os.path.join(root, name), 0o644)
    os.chmod(root, 0o755)
    os.chmod(workdir, 0o755)
    return root


def identity():
    if os.geteuid() != 0:
        import grp
        import pwd
        return (pwd.getpwuid(os.geteuid()).pw_name,
                grp.getgrgid(os.getegid()).gr_name)
    return "nobody", "nogroup"


def select_servers(opts):
    chosen, skipped = [], []
    for name in opts.servers:
        s = servers.spec(name)
        why = servers.missing(s, opts.build)
        if why:
            skipped.append((name, why))
        else:
            chosen.append(s)
    return chosen, skipped


def preflight(opts):
    for tool in ("taskset", opts.wrk):
        if not shutil.which(tool):
            sys.exit("bench: %s not found (apt-get install wrk util-linux)"
                     % tool)
    cpus = os.sched_getaffinity(0)
    for cpu in (opts.server_cpu, opts.client_cpu):
        if cpu not in cpus:
            sys.exit("bench: CPU %d is not available (have %s)" % (
                cpu, sorted(cpus)))
    if opts.server_cpu == opts.client_cpu:
        sys.exit("bench: server and client need different CPUs")


def metadata(opts, chosen, nofile):
    def out(argv):
        try:
            return subprocess.run(argv, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, timeout=5,
                                  stdin=subprocess.DEVNULL
                                  ).stdout.decode().strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f
                        if ln.startswith("model name")), "")
    except OSError:
        pass
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "host": platform.node(), "kernel": platform.release(), "cpu": cpu,
        "ncpu": os.cpu_count(), "nofile": nofile,
        "mpmd_build": opts.build,
        "mpmd_git": out(["git", "-C", SRCDIR, "describe", "--always",
                         "--dirty"]),
        "wrk": opts.wrk, "duration": opts.duration, "reps": opts.reps,
        "server_cpu": opts.server_cpu, "client_cpu": opts.client_cpu,
        "scenarios": opts.scenarios,
        "servers": {s["name"]: servers.version(s, opts.build)
                    for s in chosen},
    }


# ------------------------------------------------------------------ run

def one_server(s, port, rep, opts, env, runs):
    """Every scenario of one repetition on server S; the server is
    restarted before a scenario that wants a fresh one."""
    srv = servers.Server(s, port, env["workdir"], env)
    tag = "[rep %d/%d] %s" % (rep, opts.reps, s["name"])
    used = False
    try:
        for name in opts.scenarios:
            sc = scenarios.scenario(name)
            if not scenarios.applies(sc, s):
                continue
            entry = {"rep": rep, "server": s["name"], "scenario": name}
            runs.append(entry)
            if used and sc["fresh"]:
                _stopped(srv, tag)
            if srv.proc is None:
                try:
                    srv.start()
                except servers.ServerError as e:
                    entry["error"] = "start: %s" % e
                    log("%s: %s" % (tag, e))
                    return
            used = True
            try:
                entry["result"] = scenarios.run(sc, srv, opts)
                log("%s %s: %s" % (tag, name, summary(entry["result"])))
            except (RuntimeError, ValueError, OSError,
                    subprocess.SubprocessError) as e:
                entry["error"] = str(e)
                log("%s %s: FAILED: %s" % (tag, name, e))
            if srv.proc.poll() is not None:
                log("%s: server died\n%s" % (tag, srv.diagnostics()))
                srv.stop()
    finally:
        _stopped(srv, tag)
        if not opts.keep:
            shutil.rmtree(srv.dir, ignore_errors=True)


def _stopped(srv, tag):
    note = srv.stop()
    if note:
        log("%s: %s" % (tag, note.strip()))


def summary(r):
    if "rps" in r:
        return ("%.0f req/s, %s req/cpu-s, cpu %.0f%%, p50 %.2f ms, "
                "p99 %.2f ms, errors %d" % (
                    r["rps"], r["req_per_cpu_s"], 100 * (r["cpu_share"] or 0),
                    r["p50_ms"] or 0, r["p99_ms"] or 0, r["errors"]))
    text = "held %d/%d, RSS %.1f -> %.1f MiB, %s KiB/conn" % (
        r["held"], r["requested"], r["rss_before_kib"] / 1024,
        r["rss_after_kib"] / 1024, r["kib_per_conn"])
    if r["held"] < r["requested"]:
        text += " (nofile %s; %s)" % (r["nofile"], r["first_error"] or
                                      "no answer in time")
    if "probe_p50_ms" in r:
        text += ", probe p50 %s ms max %s ms, %d failed" % (
            r["probe_p50_ms"], r["probe_max_ms"], r["probe_failed"])
    return text


def estimate(opts, n):
    nwrk = sum(1 for s in opts.scenarios
               if scenarios.scenario(s)["kind"] == "wrk")
    return opts.reps * n * (nwrk * (opts.duration + 1) + OVERHEAD_ESTIMATE)


def main(argv):
    opts = parse_args(argv)
    if opts.list:
        print("servers:   " + " ".join(servers.NAMES))
        print("scenarios: " + " ".join(scenarios.NAMES))
        return 0
    preflight(opts)
    chosen, skipped = select_servers(opts)
    for name, why in skipped:
        log("bench: skipping %s: %s" % (name, why))
    if not chosen:
        sys.exit("bench: no server to run")
    nofile = raise_nofile()
    os.sched_setaffinity(0, {opts.client_cpu})
    # SIGINT too: a shell may start us with it ignored (background job).
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)

    workdir = opts.workdir or tempfile.mkdtemp(prefix="mpmd-bench.")
    os.makedirs(workdir, exist_ok=True)
    user, group = identity()
    env = {"workdir": workdir, "docroot": make_docroot(workdir),
           "types": os.path.join(SRCDIR, "conf", "mime.types"),
           "user": user, "group": group, "max_fds": nofile,
           "max_conns": min(MAX_CONNS, nofile - FD_RESERVE),
           "backlog": BACKLOG,
           "mpmd_build": opts.build, "server_cpu": opts.server_cpu}
    meta = metadata(opts, chosen, nofile)
    meta["skipped"] = dict(skipped)
    log("bench: %d servers x %d scenarios x %d reps, about %d min; "
        "work dir %s" % (len(chosen), len(opts.scenarios), opts.reps,
                         estimate(opts, len(chosen)) // 60 + 1, workdir))
    runs, interrupted = [], None
    t0 = time.monotonic()
    try:
        for rep in range(1, opts.reps + 1):
            for s in chosen:
                port = opts.port_base + servers.NAMES.index(s["name"])
                one_server(s, port, rep, opts, env, runs)
    except (KeyboardInterrupt, Interrupted) as e:
        interrupted = str(e) or "interrupted"
        for r in runs:
            if "result" not in r and "error" not in r:
                r["error"] = "interrupted"
        log("bench: interrupted, servers stopped; partial results follow")
    finally:
        if not opts.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    meta["elapsed_seconds"] = round(time.monotonic() - t0)
    meta["interrupted"] = interrupted
    finish(opts, meta, runs, [s["name"] for s in chosen])
    return 1 if interrupted else 0


def finish(opts, meta, runs, names):
    med = report.medians(runs)
    rows = report.ratios(med)
    print()
    print("mpmd bench, %s, %d rep(s) of %d s, medians; server on CPU %d, "
          "wrk on CPU %d" % (meta["date"], opts.reps, opts.duration,
                             opts.server_cpu, opts.client_cpu))
    print()
    print(report.scenario_tables(med, names, opts.scenarios, opts))
    table = report.ratio_table(rows)
    if table:
        print("ratios mpmd/anchor (throughput: >1 is mpmd faster; latency "
              "and memory: <1 is mpmd better)")
        print(table)
        print()
    errors = [r for r in runs if "error" in r]
    for r in errors:
        print("error: rep %s %s %s: %s" % (r["rep"], r["server"],
                                           r["scenario"],
                                           r["error"].splitlines()[0]))
    path = opts.json or "/tmp/mpmd-bench-%s.json" % (
        datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    report.write_json(path, {"meta": meta, "runs": runs, "medians": med,
                             "ratios": rows})
    print("results: %s" % path)
    if opts.tsv:
        report.write_tsv(opts.tsv, runs, med)
        print("results: %s" % opts.tsv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
