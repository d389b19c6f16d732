"""Status and metrics of the real master (TAP on stdout): /server-status?auto
key for key as Apache 2.4 prints it, scoreboard letters under load, totals
that never go backwards across a graceful restart, an MPM swap and a
SIGKILLed worker, MetricsPath that `promtool check metrics` accepts, Debian's
prometheus-apache-exporter reading mpmd as it reads Apache, and
`mpmctl status --json`.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mpmdtest as t  # noqa: E402
import loadgen  # noqa: E402
from mpmdtest import ctl, eq, note, shown, true  # noqa: E402

STATUS = "/server-status"
METRICS = "/metrics"
START_SERVERS = 2
THREADS = 4
BASE = [
    "ServerStatus %s" % STATUS, "MetricsPath %s" % METRICS,
    "StartServers %d" % START_SERVERS, "ServerLimit 8",
    "ThreadsPerChild %d" % THREADS, "MinSpareThreads %d" % THREADS,
    "MaxSpareThreads %d" % (4 * THREADS), "MaxRequestWorkers 32",
    "MinSpareServers 2", "MaxSpareServers 6", "KeepAliveTimeout 10",
    "GracefulShutdownTimeout 5",
]
REQUESTS = 25            # requests between two readings of the totals
LOAD_TIME = 1.5          # seconds of load while sampling the scoreboard
SAMPLE_PAUSE = 0.02
HOLD_TIMEOUT = 5.0       # a held connection shows up on the board by then
RECOVER_TIMEOUT = 15.0   # a killed worker replaced, a reload settled
EXPORTER_TIMEOUT = 10.0
PROMTOOL_TIMEOUT = 20

# Apache 2.4.71's ?auto for its event MPM, as the apache2 package on the
# Debian machines this runs on prints it, in its order.
APACHE_KEYS = [
    "ServerVersion", "ServerMPM", "Server Built", "CurrentTime",
    "RestartTime", "ParentServerConfigGeneration",
    "ParentServerMPMGeneration", "ServerUptimeSeconds", "ServerUptime",
    "Load1", "Load5", "Load15", "Total Accesses", "Total kBytes",
    "Total Duration", "CPUUser", "CPUSystem", "CPUChildrenUser",
    "CPUChildrenSystem", "CPULoad", "Uptime", "ReqPerSec", "BytesPerSec",
    "BytesPerReq", "DurationPerReq", "BusyWorkers", "GracefulWorkers",
    "IdleWorkers", "Processes", "Stopping", "ConnsTotal",
    "ConnsAsyncWaitIO", "ConnsAsyncWriting", "ConnsAsyncKeepAlive",
    "ConnsAsyncClosing", "Scoreboard",
]
MPMD_KEYS = ["Generations", "ReloadsOK", "ReloadsFailed", "WorkerCrashes",
             "WorkerRestarts", "Handoffs"]
LETTERS = set("_SRWKLCG.")
# Totals that must never go backwards within one master's life.
MONOTONIC = ["Total Accesses", "Total kBytes", "Total Duration", "CPUUser",
             "CPUSystem", "ReloadsOK", "WorkerCrashes"]


# ------------------------------------------------------------ helpers

def auto_text(srv):
    r = t.get(srv.port, STATUS + "?auto")
    eq(r.status, 200, "GET %s?auto" % STATUS)
    return r.body.decode("latin-1")


def parse_auto(text):
    """[(key, value)] in order; the first line (the host) is left out."""
    pairs = []
    for line in text.splitlines()[1:]:
        key, sep, value = line.partition(":")
        true(sep, "not a 'Key: value' line: %r" % line)
        pairs.append((key, value.strip()))
    return pairs


def auto(srv):
    return dict(parse_auto(auto_text(srv)))


def number(d, key):
    return float(d[key])


def fire(port, n, path="/small.txt"):
    """N requests on one keep-alive connection, each a 200."""
    with t.Client(port) as c:
        for i in range(n):
            r = c.exchange(t.request("GET", path))
            eq(r.status, 200, "GET %s #%d" % (path, i))


def status_json(srv):
    res = t.run([t.MPMCTL, "-f", t.ctl_conf(srv), "status", "--json"])
    eq(res[0], 0, "mpmctl status --json\n" + shown(res))
    try:
        return json.loads(res[1])
    except ValueError as e:
        raise AssertionError("mpmctl status --json is not JSON: %s\n%s"
                             % (e, shown(res)))


def active_workers(srv):
    gens = [g for g in status_json(srv)["generations"]
            if g["state"] == "active"]
    eq(len(gens), 1, "active generations in mpmctl status --json")
    return gens[0]


class Totals:
    """The totals as last read; each reading must be at least the last
    and at least what was requested since."""

    def __init__(self, srv):
        self.srv = srv
        self.last = None

    def check(self, what, made=0):
        now = auto(self.srv)
        if self.last is not None:
            for key in MONOTONIC:
                true(number(now, key) >= number(self.last, key),
                     "%s: %s went from %s to %s"
                     % (what, key, self.last[key], now[key]))
            true(number(now, "Total Accesses") >=
                 number(self.last, "Total Accesses") + made,
                 "%s: Total Accesses %s, was %s, %d requests since"
                 % (what, now["Total Accesses"],
                    self.last["Total Accesses"], made))
        note("%s: Total Accesses %s, kBytes %s, Duration %s ms, CPU %s+%s"
             % (what, now["Total Accesses"], now["Total kBytes"],
                now["Total Duration"], now["CPUUser"], now["CPUSystem"]))
        self.last = now
        return now


def graceful(srv, mpm=None):
    if mpm is not None:
        srv.mpm = mpm
    srv.write_config(srv.port)
    res = ctl(srv, "graceful")
    eq(res[0], 0, "mpmctl graceful\n%s\n%s" % (shown(res), srv.diag()))


def wait_drained(srv):
    """Only the active generation left in mpmctl status."""
    t.wait_for(lambda: len(status_json(srv)["generations"]) == 1,
               RECOVER_TIMEOUT, "old generations gone")


# ------------------------------------------------- 1: Apache's ?auto keys

def test_auto_keys(mpm):
    with t.Server(mpm, BASE, tag="keys") as srv:
        srv.start()
        fire(srv.port, 3)
        text = auto_text(srv)
        pairs = parse_auto(text)
        keys = [k for k, _ in pairs]
        eq(keys[:len(APACHE_KEYS)], APACHE_KEYS, "Apache's keys, in order")
        for k in MPMD_KEYS:
            true(k in keys[len(APACHE_KEYS):], "no %s after Apache's keys"
                 % k)
        d = dict(pairs)
        eq(d["ServerMPM"], mpm, "ServerMPM")
        true(re.match(r"^mpmd/\d+\.\d+\.\d+$", d["ServerVersion"]),
             "ServerVersion %r" % d["ServerVersion"])
        true(number(d, "Total Accesses") >= 3, "Total Accesses")
        true(number(d, "Processes") >= START_SERVERS, "Processes")
        true(set(d["Scoreboard"]) <= LETTERS, "Scoreboard letters %r"
             % d["Scoreboard"])
        true("W" in d["Scoreboard"], "the request for the status itself "
             "shows as W: %r" % d["Scoreboard"])
        eq(d["Generation[1]MPM"], mpm, "Generation[1]MPM")
        for k in ("Load1", "CPUUser", "CPULoad", "ReqPerSec",
                  "DurationPerReq"):
            float(d[k])  # numbers, as Apache prints them
        srv.stop()


# -------------------------------------------- 2: letters under load

def held_connections(port):
    """An idle kept-alive connection and one with half a request head."""
    idle = t.Client(port)
    eq(idle.exchange(t.request("GET", "/small.txt")).status, 200,
       "the kept-alive request")
    half = t.Client(port)
    half.send(b"GET /small.txt HTTP/1.1\r\nHost: x\r\n")
    return idle, half


def sample_letters(srv, seconds):
    """Scoreboard letters seen while a load runs, and the readings."""
    seen, readings = set(), []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        d = auto(srv)
        seen |= set(d["Scoreboard"])
        readings.append(d)
        time.sleep(SAMPLE_PAUSE)
    return seen, readings


def test_letters_under_load(mpm):
    with t.Server(mpm, BASE, tag="letters") as srv:
        srv.start()
        idle, half = held_connections(srv.port)
        try:
            if mpm == "event":
                # No thread waits on them: counted as Apache's event MPM
                # counts its asynchronous connections.
                t.wait_for(lambda: (lambda d: number(
                    d, "ConnsAsyncKeepAlive") >= 1 and number(
                    d, "ConnsAsyncWaitIO") >= 1)(auto(srv)),
                    HOLD_TIMEOUT, "the held connections in ConnsAsync*")
            else:
                t.wait_for(lambda: {"K", "R"} <= set(
                    auto(srv)["Scoreboard"]), HOLD_TIMEOUT,
                    "K and R for the held connections")
            with loadgen.Load(srv.port, "/small.txt", t.SMALL_DATA) as load:
                seen, readings = sample_letters(srv, LOAD_TIME)
        finally:
            idle.close()
            half.close()
        note("[%s] letters seen under load: %s; %s"
             % (mpm, "".join(sorted(seen)), load.summary()))
        true(seen <= LETTERS, "unknown letters %r" % (seen - LETTERS))
        true({"W"} <= seen, "no W under load")
        if mpm != "event":
            true({"K", "R"} <= seen, "no K or R under load: %r" % seen)
        busy = max(number(d, "BusyWorkers") for d in readings)
        true(busy >= 1, "BusyWorkers never above 0 under load")
        true(len({d["Scoreboard"] for d in readings}) > 1,
             "the Scoreboard line never changed under load")
        eq(load.failed(), 0, "failed requests\n" + load.report())
        srv.stop()


# ------------------------------------ 3: totals that never go backwards

def kill_busy_worker(srv):
    """SIGKILL an active worker that counted requests, by the pid mpmctl
    status --json gives; returns it."""
    gen = active_workers(srv)
    counted = [w for w in gen["workers"]
               if w["state"] == "ready" and w.get("requests", 0) > 0]
    true(counted, "no worker with requests in %r" % gen)
    pid = counted[0]["pid"]
    true(pid in srv.worker_pids(), "pid %d from mpmctl status is not a "
         "child of the master" % pid)
    os.kill(pid, signal.SIGKILL)
    true(not t.wait_gone([pid], RECOVER_TIMEOUT), "pid %d survived "
         "SIGKILL" % pid)
    return pid


def test_totals_monotonic():
    t.need_mpms("prefork", "event")
    with t.Server("prefork", BASE, tag="totals") as srv:
        srv.start()
        totals = Totals(srv)
        fire(srv.port, REQUESTS)
        totals.check("start")
        fire(srv.port, REQUESTS)
        graceful(srv)
        wait_drained(srv)
        totals.check("graceful restart", REQUESTS)
        fire(srv.port, REQUESTS)
        graceful(srv, "event")
        wait_drained(srv)
        d = totals.check("swap to event", REQUESTS)
        eq(d["ServerMPM"], "event", "ServerMPM after the swap")
        eq(d["ParentServerMPMGeneration"], "2", "reloads that swapped "
           "generations")
        for _ in range(4):  # over new connections: several workers count
            fire(srv.port, REQUESTS // 4 + 1)
        crashes = number(totals.last, "WorkerCrashes")
        pid = kill_busy_worker(srv)
        t.wait_for(lambda: number(auto(srv), "WorkerCrashes") > crashes,
                   RECOVER_TIMEOUT, "the crash of pid %d counted" % pid)
        d = totals.check("SIGKILL of worker %d" % pid, REQUESTS)
        true(number(d, "WorkerCrashes") >= crashes + 1, "WorkerCrashes")
        t.assert_serving(srv, "after the SIGKILL")
        srv.stop()


# ------------------------------------------------------- 4: promtool

def metrics_text(srv):
    r = t.get(srv.port, METRICS)
    eq(r.status, 200, "GET %s" % METRICS)
    eq(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8",
       "Content-Type of the metrics")
    return r.body.decode("utf-8")


def metric(text, sample):
    m = re.search(r"^%s (\S+)$" % re.escape(sample), text, re.M)
    true(m, "no sample %s" % sample)
    return float(m.group(1))


def test_promtool():
    promtool = shutil.which("promtool")
    if promtool is None:
        t.skip("promtool not installed (Debian package prometheus)")
    mpm = t.first_mpm()
    with t.Server(mpm, BASE, tag="promtool") as srv:
        srv.start()
        fire(srv.port, REQUESTS)
        graceful(srv)
        text = metrics_text(srv)
        p = t.popen([promtool, "check", "metrics"], stdin=subprocess.PIPE)
        out, err = p.communicate(text.encode(), timeout=PROMTOOL_TIMEOUT)
        eq((p.returncode, out + err), (0, b""), "promtool check metrics")
        true(metric(text, "mpmd_requests_total") >= REQUESTS,
             "mpmd_requests_total")
        eq(metric(text, 'mpmd_reloads_total{verb="graceful",result="ok"}'),
           1, "graceful reloads")
        true(metric(text, 'mpmd_request_duration_seconds_count') >= REQUESTS,
             "the duration histogram counts the requests")
        true(re.search(r'^mpmd_generation_requests_total\{generation="2",'
                       r'mpm="%s"\} \d+$' % mpm, text, re.M),
             "no requests series of generation 2")
        r = t.get(srv.port, METRICS)
        true(metric(r.body.decode(), "mpmd_requests_total") >
             metric(text, "mpmd_requests_total"), "the counter moved")
        srv.stop()


# ------------------------------------------ 5: prometheus-apache-exporter

def exporter_flags(exe):
    """The listen flag this exporter has: --web.listen-address (newer
    releases) or --telemetry.address (Debian 12's 0.12)."""
    res = t.run([exe, "--help"])
    text = res[1] + res[2]
    return ("--web.listen-address" if "--web.listen-address" in text
            else "--telemetry.address")


def exporter_metrics(port):
    def scrape():
        try:
            with socket.create_connection((t.HOST, port), timeout=1):
                pass
        except OSError:
            return None
        r = t.get(port, "/metrics")
        return r.body.decode() if r.status == 200 else None
    return t.wait_for(scrape, EXPORTER_TIMEOUT, "the exporter on port %d"
                      % port)


def test_apache_exporter():
    exe = shutil.which("prometheus-apache-exporter") or \
        shutil.which("apache_exporter")
    if exe is None:
        t.skip("prometheus-apache-exporter not installed")
    mpm = "event" if "event" in t.mpms() else t.first_mpm()
    with t.Server(mpm, BASE, tag="exporter") as srv:
        srv.start()
        fire(srv.port, REQUESTS)
        port = t.free_port()
        p = t.popen([exe, "--scrape_uri=http://%s:%d%s?auto"
                     % (t.HOST, srv.port, STATUS),
                     "%s=%s:%d" % (exporter_flags(exe), t.HOST, port)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            text = exporter_metrics(port)
        finally:
            p.terminate()
            try:
                p.wait(t.STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        series = [ln for ln in text.splitlines() if ln.startswith("apache_")]
        note("prometheus-apache-exporter on mpmd (%s):\n%s"
             % (mpm, "\n".join(series)))
        eq(metric(text, "apache_up"), 1, "apache_up")
        true(metric(text, "apache_accesses_total") >= REQUESTS,
             "apache_accesses_total")
        true(metric(text, 'apache_scoreboard{state="idle"}') >= 1,
             "an idle worker on the scoreboard")
        true(metric(text, 'apache_scoreboard{state="reply"}') >= 1,
             "the status request's own worker, sending")
        for state in ("total", "writing", "keepalive", "closing"):
            metric(text, 'apache_connections{state="%s"}' % state)
        true(re.search(r'^apache_info\{mpm="%s",version="mpmd/' % mpm, text,
                       re.M), "apache_info names mpmd and its MPM")
        true("apache_exporter_scrape_failures_total" not in text or
             metric(text, "apache_exporter_scrape_failures_total") == 0,
             "scrape failures")
        srv.stop()


# ------------------------------------------------ 6: mpmctl status --json

def test_status_json():
    mpm = t.first_mpm()
    with t.Server(mpm, BASE, tag="json") as srv:
        srv.start()
        fire(srv.port, 3)
        graceful(srv)
        s = status_json(srv)
        note("mpmctl status --json:\n" + json.dumps(s, indent=1)[:3000])
        for key in ("version", "pid", "started", "uptime_s", "config",
                    "stopping", "generations", "reloads", "counts"):
            true(key in s, "no %r in %r" % (key, sorted(s)))
        eq(s["pid"], srv.proc.pid, "pid")
        eq(s["config"], srv.conf, "config")
        active = [g for g in s["generations"] if g["state"] == "active"]
        eq(len(active), 1, "active generations")
        g = active[0]
        eq((g["id"], g["mpm"]), (2, mpm), "the active generation")
        for key in ("age_ms", "processes", "workers", "connections",
                    "requests", "crashes"):
            true(key in g, "no %r in the generation" % key)
        pids = sorted(w["pid"] for w in g["workers"])
        true(pids and set(pids) <= set(srv.worker_pids()),
             "worker pids %s are not the master's children %s"
             % (pids, srv.worker_pids()))
        for w in g["workers"]:
            true(w["state"] in ("starting", "ready", "draining", "stopping"),
                 "worker state %r" % w["state"])
        verbs = [(r["verb"], r["outcome"]) for r in s["reloads"]]
        eq(verbs[:2], [("graceful", "ok"), ("start", "ok")], "reloads")
        true(isinstance(s["reloads"][0]["duration_ms"], int) and
             s["reloads"][0]["duration_ms"] >= 0, "duration_ms")
        res = t.run([t.MPMCTL, "-f", t.ctl_conf(srv), "graceful", "--json"])
        eq(res[0], 2, "--json with another verb is a usage error\n"
           + shown(res))
        srv.stop()


def build():
    runner, mpms = t.mpm_runner()
    if not mpms:
        return runner
    for mpm in mpms:
        runner.add("[%s] ?auto: every key of Apache 2.4's, in its order, "
                   "then mpmd's" % mpm, test_auto_keys, mpm)
    for mpm in mpms:
        runner.add("[%s] Scoreboard letters under load: W, and K and R "
                   "for held connections (event: ConnsAsync*)" % mpm,
                   test_letters_under_load, mpm)
    runner.add("totals never go backwards: graceful restart, MPM swap, a "
               "SIGKILLed worker", test_totals_monotonic)
    runner.add("MetricsPath: promtool check metrics says nothing",
               test_promtool)
    runner.add("prometheus-apache-exporter reads mpmd: apache_up 1, "
               "accesses, scoreboard, connections", test_apache_exporter)
    runner.add("mpmctl status --json parses and has the fields",
               test_status_json)
    return runner


if __name__ == "__main__":
    t.main(build())
