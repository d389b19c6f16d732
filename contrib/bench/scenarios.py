"""The scenarios: what is sent to a server and what is measured.

Request scenarios run wrk pinned to the client CPU and read the server's
CPU time over its process tree just before wrk starts and just after it
exits.  Idle scenarios hold many keep-alive connections open and read the
server's memory before and after; idle-10k also times requests made while
the connections are held.
"""

import re
import resource
import statistics
import subprocess
import time

import idle
import proctree

WRK_TIMEOUT = "5s"          # wrk's own per-request timeout
WRK_GRACE = 30              # seconds past -d before wrk itself is killed
SETTLE = 0.5                # seconds for a server to finish its closes
PROBES = 20                 # timed requests while connections are held
PROBE_GIVE_UP = 3           # failed probes after which the rest are skipped

SMALL = "/1k.html"
BIG = "/1m.bin"

# wrk's "Socket errors:" line, in its order.
SOCKET_ERRORS = ("connect", "read", "write", "timeout")


def _wrk(name, conns, path, headers=()):
    return {"name": name, "kind": "wrk", "conns": conns, "path": path,
            "headers": list(headers), "fresh": False}


def _idle(name, conns, probes, evented_only):
    # fresh: run on a newly started server, so that "before" is the same
    # state for every server and no earlier scenario's memory is reused.
    return {"name": name, "kind": "idle", "conns": conns, "probes": probes,
            "evented_only": evented_only, "fresh": True}


SCENARIOS = [
    _wrk("ka-1k", 64, SMALL),
    _wrk("close-1k", 16, SMALL, ["Connection: close"]),
    _wrk("ka-1m", 8, BIG),
    _idle("idle-5k", 5000, 0, False),
    _idle("idle-10k", 10000, PROBES, True),
]
NAMES = [s["name"] for s in SCENARIOS]


def scenario(name):
    for s in SCENARIOS:
        if s["name"] == name:
            return s
    raise KeyError(name)


def applies(sc, server_spec):
    """idle-10k is for servers that keep idle connections without a
    thread or process each: mpm-event and the event-driven anchors."""
    return not sc.get("evented_only") or server_spec["evented"]


def run(sc, server, opts):
    if sc["kind"] == "wrk":
        return run_wrk(sc, server, opts)
    return run_idle(sc, server, opts)


# ------------------------------------------------------------------ wrk

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not m:
        raise ValueError("latency %r" % text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(out):
    """The numbers of a `wrk --latency` report."""
    r = {}
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h)", out)
    if not m:
        raise ValueError("no request count in wrk output")
    r["requests"] = int(m.group(1))
    r["wrk_seconds"] = _ms(m.group(2) + m.group(3)) / 1e3
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    r["rps"] = float(m.group(1)) if m else 0.0
    for pct in ("50", "75", "90", "99"):
        m = re.search(r"^\s+%s%%\s+(\S+)" % pct, out, re.M)
        r["p%s_ms" % pct] = _ms(m.group(1)) if m else None
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                  r"timeout (\d+)", out)
    counts = [int(x) for x in m.groups()] if m else [0] * len(SOCKET_ERRORS)
    for kind, n in zip(SOCKET_ERRORS, counts):
        r["err_" + kind] = n
    r["socket_errors"] = sum(counts)
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    return r


def wrk_argv(sc, port, opts):
    argv = ["taskset", "-c", str(opts.client_cpu), opts.wrk, "-t1",
            "-c%d" % sc["conns"], "-d%ds" % opts.duration,
            "--timeout", WRK_TIMEOUT, "--latency"]
    for h in sc["headers"]:
        argv += ["-H", h]
    return argv + ["http://127.0.0.1:%d%s" % (port, sc["path"])]


def _children_cpu():
    """CPU seconds of this script's reaped children: wrk, once waited."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_wrk(sc, server, opts):
    argv = wrk_argv(sc, server.port, opts)
    busy0 = proctree.cpu_busy_ticks(opts.server_cpu)
    client0 = _children_cpu()
    cpu0 = proctree.cpu_seconds(server.pid)
    t0 = time.monotonic()
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT,
                       timeout=opts.duration + WRK_GRACE)
    wall = time.monotonic() - t0
    cpu = proctree.cpu_seconds(server.pid) - cpu0
    client = _children_cpu() - client0
    busy = (proctree.cpu_busy_ticks(opts.server_cpu) - busy0) / \
        proctree.CLK_TCK
    out = p.stdout.decode(errors="replace")
    if p.returncode != 0:
        raise RuntimeError("wrk exited %d: %s" % (p.returncode, out[-500:]))
    r = parse_wrk(out)
    r["cpu_seconds"] = round(cpu, 3)
    r["wall_seconds"] = round(wall, 3)
    r["cpu_share"] = round(cpu / wall, 3) if wall > 0 else None
    # wrk's own CPU: near 100% means the client set the pace.
    r["client_share"] = round(client / wall, 3) if wall > 0 else None
    # What else ran on the server's CPU: other processes of the machine
    # and interrupt work not charged to the server.  High: a noisy run.
    r["other_share"] = round(max(busy - cpu, 0) / wall, 3) if wall > 0 \
        else None
    r["req_per_cpu_s"] = round(r["requests"] / cpu, 1) if cpu > 0 else None
    r["errors"] = r["socket_errors"] + r["non2xx"]
    r["log_bytes"] = server.access_log_bytes(truncate=True)
    return r


# ----------------------------------------------------------------- idle

def _probes(port, n):
    """N timed GETs; after PROBE_GIVE_UP failures the rest count as failed
    without being sent (each may cost a full timeout)."""
    times, failed, why = [], 0, None
    for _ in range(n):
        if failed >= PROBE_GIVE_UP:
            return times, n - len(times), why
        secs, status = idle.probe(port, SMALL)
        if secs is None or status != 200:
            failed += 1
            why = why or (status if secs is None else "status %s" % status)
        else:
            times.append(secs * 1e3)
    return times, failed, why


def run_idle(sc, server, opts):
    n = sc["conns"]
    time.sleep(SETTLE)
    before = proctree.memory(server.pid)
    clients = idle.IdleClients(server.port, n, SMALL,
                               stall_timeout=opts.idle_stall)
    try:
        held = clients.open()
        time.sleep(SETTLE)
        after = proctree.memory(server.pid)
        times, pfail, pwhy = _probes(server.port, sc["probes"])
        r = {"requested": n, "held": held, "failed": clients.failed,
             "non200": clients.non200, "first_error": clients.first_error,
             "open_seconds": round(clients.open_seconds, 3),
             "rss_before_kib": before["rss_kib"],
             "rss_after_kib": after["rss_kib"],
             "pss_before_kib": before["pss_kib"],
             "pss_after_kib": after["pss_kib"],
             "procs": after["procs"],
             "nofile": proctree.open_files_limit(server.pid)}
    finally:
        clients.close()
    d = after["rss_kib"] - before["rss_kib"]
    r["kib_per_conn"] = round(d / held, 2) if held else None
    d = after["pss_kib"] - before["pss_kib"]
    r["pss_kib_per_conn"] = round(d / held, 2) if held else None
    if sc["probes"]:
        r["probe_ok"] = len(times)
        r["probe_failed"] = pfail
        r["probe_error"] = pwhy
        r["probe_p50_ms"] = round(statistics.median(times), 3) if times \
            else None
        r["probe_max_ms"] = round(max(times), 3) if times else None
    time.sleep(SETTLE)
    r["log_bytes"] = server.access_log_bytes(truncate=True)
    return r
