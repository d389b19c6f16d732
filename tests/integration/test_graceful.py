"""Graceful restarts, MPM swaps and restarts of the real master under load
(TAP on stdout): no request may fail across a graceful restart, a bad
config or a failing worker binary changes nothing, a restart never
refuses a connection, and Listen lines come and go by graceful restart.
"""

import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import loadgen  # noqa: E402
import mpmdtest as t  # noqa: E402
from mpmdtest import active, ctl, eq, note, shown, true  # noqa: E402

SETTLE = 1.0            # load between two reloads
STORM_TIME = 3.0        # seconds of kill -USR1
STORM_INTERVAL = 0.2    # between two signals
STORM_MIN_RELOADS = 3   # successful reloads a storm must produce
QUIET_TIMEOUT = 15.0    # for reloads and drains to finish
FAIL_ROUNDS = 3         # failing graceful restarts in a row
RESTARTS = 3
RESTART_INTERVAL = 0.7
REAP_TIMEOUT = 3.0
REFUSE_TIMEOUT = 8.0    # a dropped Listen refuses within this
MIN_REQUESTS = 100      # a load that did less did not test anything

SWAP_ORDER = ("threaded", "event", "prefork")
POOL = [
    "StartServers 3", "MinSpareServers 2", "MaxSpareServers 8",
    "ThreadsPerChild 8", "MinSpareThreads 4", "MaxSpareThreads 32",
    "KeepAliveTimeout 5", "GracefulShutdownTimeout 10",
]
START_SERVERS = 3
# mpm-event with one loop per process accepts in the loop itself
ONE_LOOP_POOL = [
    "StartServers 3", "ServerLimit 8", "MinSpareServers 2",
    "MaxSpareServers 8", "ThreadsPerChild 1", "MinSpareThreads 1",
    "MaxSpareThreads 8", "MaxRequestWorkers 8",
    "KeepAliveTimeout 5", "GracefulShutdownTimeout 10",
]
SLOW_START_SERVERS = 16     # a reload that takes a while to be ready
READING = "graceful: reading "

READY_LINE = re.compile(r"^generation (\d+) \(MPM (\S+), (\d+) workers?\) "
                        r"ready in \d+ ms; (\d+) old workers? (draining|"
                        r"stopped)$")


# -------------------------------------------------------------- mpmctl

def quiet(srv):
    """Waits until nothing starts and nothing drains: one active
    generation, any other without workers (the master may keep the
    previous one listed, to roll back to). Returns the active one."""
    def settled():
        gens = t.generations(srv)
        busy = [g for g in gens if g[2] != "active" and g[3]]
        act = [g for g in gens if g[2] == "active"]
        return act if len(act) == 1 and not busy and \
            all(g[2] != "starting" for g in gens) else None
    return t.wait_for(settled, QUIET_TIMEOUT, "reloads and drains to end")


def exe(pid):
    try:
        return os.readlink("/proc/%d/exe" % pid)
    except OSError:
        return None


def check_exe(srv, mpm, gen_id=None):
    """Every worker of the active generation runs mpm-MPM."""
    gid, name, _, pids = active(srv)
    if gen_id is not None:
        eq(gid, gen_id, "active generation")
    eq(name, mpm, "MPM of generation %d" % gid)
    want = os.path.join(t.BUILDDIR, "mpm-" + mpm)
    exes = {p: exe(p) for p in pids}
    true(any(exes.values()), "no worker of generation %d left to look at"
         % gid)
    wrong = {p: e for p, e in exes.items() if e is not None and e != want}
    true(not wrong, "generation %d workers not running %s: %s"
         % (gid, want, wrong))
    return pids


def graceful_ok(srv, verb="graceful"):
    res = ctl(srv, verb)
    eq(res[0], 0, "mpmctl %s exit status\n%s\n%s" % (verb, shown(res),
                                                      srv.diag()))
    m = READY_LINE.match(res[1].strip())
    true(m, "mpmctl %s printed no 'generation N (MPM x, K workers) ready "
         "in X ms; M old workers ...' line\n%s" % (verb, shown(res)))
    return int(m.group(1)), m.group(2)


def write_atomic(srv):
    """The config, replaced in one rename: a reload never reads half."""
    tmp = srv.conf + ".new"
    with open(tmp, "w") as f:
        f.write(srv.config_text())
    os.replace(tmp, srv.conf)


def check_load(load, what):
    note("%s: %s" % (what, load.summary()))
    true(load.failed() == 0, "%s: requests failed\n%s" % (what,
                                                           load.report()))
    true(load.total_ok() >= MIN_REQUESTS, "%s: only %d requests in all"
         % (what, load.total_ok()))


# ------------------------------------------------ 1: swaps under load

def test_swaps_under_load():
    t.need_mpms("prefork", *SWAP_ORDER)
    with t.Server("prefork", POOL, tag="swap") as srv:
        srv.start()
        srv.wait_workers(START_SERVERS)
        check_exe(srv, "prefork")
        with loadgen.Load(srv.port, "/small.txt", t.SMALL_DATA) as load:
            time.sleep(SETTLE)
            for mpm in SWAP_ORDER:
                swap(srv, mpm)
                time.sleep(SETTLE)
        check_load(load, "prefork -> threaded -> event -> prefork")
        srv.stop()


def swap(srv, mpm):
    srv.mpm = mpm
    srv.write_config(srv.port)
    gid, name = graceful_ok(srv)
    eq(name, mpm, "MPM named by mpmctl graceful")
    check_exe(srv, mpm, gid)


def test_usr1_storm(pool):
    t.need_mpms("prefork", "event")
    with t.Server("event", pool, tag="storm") as srv:
        srv.start()
        srv.wait_workers(START_SERVERS)
        with loadgen.Load(srv.port, "/small.txt", t.SMALL_DATA) as load:
            sent = storm(srv)
            quiet(srv)
            time.sleep(SETTLE / 2)
        note("%d x kill -USR1 in %.0f s, MPM alternating event/prefork"
             % (sent, STORM_TIME))
        check_load(load, "kill -USR1 storm")
        true(srv.running(), "master died in the storm\n" + srv.diag())
        done = len(re.findall(r"graceful: generation \d+ \(MPM \S+, \d+ "
                              r"workers?\) ready", srv.error_text()))
        note("%d reloads succeeded" % done)
        true(done >= STORM_MIN_RELOADS, "only %d reloads succeeded\n%s"
             % (done, srv.diag()))
        srv.stop()


def storm(srv):
    sent = 0
    end = time.monotonic() + STORM_TIME
    while time.monotonic() < end:
        srv.mpm = "prefork" if srv.mpm == "event" else "event"
        write_atomic(srv)
        srv.proc.send_signal(signal.SIGUSR1)
        sent += 1
        time.sleep(STORM_INTERVAL)
    return sent


def test_usr1_not_lost():
    """A graceful asked for while another is still starting its workers
    must not be dropped: the config written last is the one served."""
    t.need_mpms("event", "prefork", "threaded")
    with t.Server("event", POOL, tag="twice") as srv:
        srv.start()
        srv.wait_workers(START_SERVERS)
        reads = srv.error_text().count(READING)
        srv.mpm = "threaded"
        srv.extra = POOL + ["StartServers %d" % SLOW_START_SERVERS]
        write_atomic(srv)
        srv.proc.send_signal(signal.SIGUSR1)
        t.wait_for(lambda: srv.error_text().count(READING) > reads,
                   REAP_TIMEOUT, "the first reload to begin", 0.001)
        srv.mpm = "prefork"
        srv.extra = list(POOL)
        write_atomic(srv)
        srv.proc.send_signal(signal.SIGUSR1)
        gens = quiet(srv)
        reads = srv.error_text().count(READING) - reads
        true(gens[0][1] == "prefork", "kill -USR1 (MPM threaded), then "
             "kill -USR1 (MPM prefork) while the first reload ran: "
             "generation %d runs %s; the master read its config %d "
             "time(s): the second signal was dropped\n%s"
             % (gens[0][0], gens[0][1], reads, srv.diag()))
        check_exe(srv, "prefork")
        srv.stop()


# ------------------------------------ 2, 3: bad configs change nothing

def test_bad_config():
    t.need_mpms("event")
    with t.Server("event", POOL, tag="badconf") as srv:
        srv.start()
        before = srv.wait_workers(START_SERVERS, exact=True)
        gid = active(srv)[0]
        line = t.break_config(srv)
        res = ctl(srv, "graceful")
        true(res[0] != 0, "mpmctl graceful on a bad config exit status\n"
             + shown(res))
        where = re.compile(r"mpmd\.conf:%d: \S" % line)
        true(where.search(res[2]), "no mpmd.conf:%d: in the output\n%s"
             % (line, shown(res)))
        if "still serving generation" not in res[2]:
            note("mpmctl refused the config by its own parse; the master "
                 "was not asked (no 'still serving generation N')")
        unchanged(srv, before, gid, "after a graceful on a bad config")
        srv.stop()


def unchanged(srv, before, gid, what):
    true(srv.running(), "master %s %s\n%s" % (t.master_state(srv), what,
                                               srv.diag()))
    eq(active(srv)[0], gid, "active generation %s" % what)

    def same():
        return srv.exec_workers() == before
    try:
        t.wait_for(same, REAP_TIMEOUT, "the worker set")
    except AssertionError:
        raise AssertionError("workers %s: %s, before %s\n%s"
                             % (what, srv.exec_workers(), before,
                                srv.diag()))
    t.assert_serving(srv, what)


def test_failing_worker():
    t.need_mpms("event")
    script = None
    with t.Server("event", POOL, tag="failmpm") as srv:
        srv.start()
        before = srv.wait_workers(START_SERVERS, exact=True)
        gid = active(srv)[0]
        script = os.path.join(srv.root, "mpm-exit1")
        with open(script, "w") as f:
            f.write("#!/bin/sh\nexit 1\n")
        os.chmod(script, 0o755)
        for n in range(FAIL_ROUNDS):
            for binary in (script, "/bin/false"):
                what = "failed graceful %d with MPM %s" % (n + 1, binary)
                fail_graceful(srv, binary, gid, what)
                unchanged(srv, before, gid, "after the " + what)
        srv.mpm = "event"
        srv.write_config(srv.port)
        srv.stop()


def fail_graceful(srv, binary, gid, what):
    srv.mpm = binary
    srv.write_config(srv.port)
    res = ctl(srv, "graceful")
    true(res[0] != 0, "%s: exit status\n%s" % (what, shown(res)))
    want = re.compile(r"generation \d+ \(MPM %s\) failed: .+; still serving "
                      r"generation %d \(MPM event\)" % (re.escape(binary),
                                                        gid))
    true(want.search(res[2]), "%s: no 'generation N (MPM %s) failed: ...; "
         "still serving generation %d (MPM event)'\n%s"
         % (what, binary, gid, shown(res)))


def test_signal_bad_config():
    t.need_mpms("event")
    with t.Server("event", POOL, tag="sigbad") as srv:
        srv.start()
        before = srv.wait_workers(START_SERVERS, exact=True)
        gid = active(srv)[0]
        line = t.break_config(srv)
        where = re.compile(r"(graceful|restart): configuration has errors, "
                           r"nothing changed[^\n]*\n[^\n]*\] \s*\S*mpmd\.conf:%d: \S"
                           % line)
        for sig in (signal.SIGUSR1, signal.SIGHUP):
            srv.proc.send_signal(sig)
            what = "after kill -%s with a bad config" % sig.name[3:]
            try:
                t.wait_for(lambda: len(where.findall(srv.error_text())) >
                           (sig == signal.SIGHUP), REAP_TIMEOUT,
                           "the error in the log")
            except AssertionError:
                raise AssertionError("no 'configuration has errors' with "
                                     "mpmd.conf:%d in the error log %s\n%s"
                                     % (line, what, srv.diag()))
            unchanged(srv, before, gid, what)
        srv.write_config(srv.port)
        srv.stop()


# ------------------------------------------- 4: restart never refuses

def test_restart_no_refused(mpm):
    with t.Server(mpm, POOL, tag="restart") as srv:
        srv.start()
        srv.wait_workers(START_SERVERS)
        with loadgen.Load(srv.port, "/small.txt", t.SMALL_DATA,
                          keepalive=0, oneshot=2) as load:
            time.sleep(RESTART_INTERVAL)
            for _ in range(RESTARTS):
                gid, _ = graceful_ok(srv, "restart")
                time.sleep(RESTART_INTERVAL)
        note("[%s] %d x mpmctl restart: %s" % (mpm, RESTARTS,
                                               load.summary()))
        cut = load.failed(loadgen.CUT)
        if cut:
            note("[%s] %d in-flight requests cut by the restart (reset or "
                 "closed before a response)" % (mpm, cut))
        eq(load.failed([loadgen.REFUSED]), 0, "connections refused\n"
           + load.report())
        eq(load.failed() - cut, 0, "requests failed (other than cut)\n"
           + load.report())
        true(load.total_ok() >= MIN_REQUESTS, "only %d requests"
             % load.total_ok())
        eq(active(srv)[0], gid, "active generation after the restarts")
        t.assert_serving(srv, "after the restarts")
        srv.stop()


# ------------------------------- 9: a Listen added, then dropped again

def test_listen_add_drop():
    t.need_mpms("event")
    with t.Server("event", POOL, tag="listen") as srv:
        srv.start()
        srv.wait_workers(START_SERVERS)
        port2 = t.free_port()
        extra = "Listen %s:%d" % (t.HOST, port2)
        with loadgen.Load(srv.port, "/small.txt", t.SMALL_DATA,
                          keepalive=1, oneshot=1, pause=0.002) as load:
            true(t.refused(port2), "port %d answers before it is added"
                 % port2)
            srv.extra.append(extra)
            srv.write_config(srv.port)
            graceful_ok(srv)
            r = t.get(port2, "/small.txt")
            eq((r.status, r.body), (200, t.SMALL_DATA), "GET on the added "
               "port %d" % port2)
            srv.extra.remove(extra)
            srv.write_config(srv.port)
            graceful_ok(srv)
            began = time.monotonic()
            try:
                t.wait_for(lambda: t.refused(port2), REFUSE_TIMEOUT,
                           "port %d to refuse" % port2)
            except AssertionError:
                raise AssertionError("port %d still accepts %.0f s after "
                                     "its Listen was dropped\n%s"
                                     % (port2, REFUSE_TIMEOUT, srv.diag()))
            note("dropped port refused after %.2f s"
                 % (time.monotonic() - began))
            time.sleep(SETTLE / 2)
        check_load(load, "first port across Listen add and drop")
        srv.stop()


def build():
    runner, mpms = t.mpm_runner()
    if not mpms:
        return runner
    runner.add("graceful swaps prefork -> threaded -> event -> prefork "
               "under load: zero failed requests, workers run each binary",
               test_swaps_under_load)
    runner.add("kill -USR1 several times a second under load: zero failed "
               "requests", test_usr1_storm, POOL)
    runner.add("the same with one event loop per process (ThreadsPerChild "
               "1): zero failed requests", test_usr1_storm, ONE_LOOP_POOL)
    runner.add("kill -USR1 twice a moment apart: the last config wins",
               test_usr1_not_lost)
    runner.add("mpmctl graceful on a bad config: non-zero, FILE:LINE, old "
               "workers untouched and serving", test_bad_config)
    runner.add("mpmctl graceful with a worker binary that fails at start: "
               "non-zero with the reason, old workers untouched and "
               "serving", test_failing_worker)
    runner.add("kill -USR1 and kill -HUP on a bad config: logged with "
               "FILE:LINE, master and workers untouched",
               test_signal_bad_config)
    for mpm in mpms:
        runner.add("[%s] mpmctl restart under a connect loop: no "
                   "connection refused" % mpm, test_restart_no_refused, mpm)
    runner.add("a Listen added by graceful serves; dropped by graceful it "
               "refuses; the first port never stops",
               test_listen_add_drop)
    return runner


if __name__ == "__main__":
    t.main(build())
