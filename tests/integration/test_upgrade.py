"""`mpmctl upgrade` on the real master (TAP on stdout): the mpmd installed
at the master's own path replaces it under load with nothing lost, the
pid in PidFile and the one systemd is told follow it, and every way the
new binary can fail leaves the old master serving, with mpmctl saying why.

The master runs from a copy of the build's mpmd in a directory of its own,
as a package would install it; a test replaces that file (by rename, as
dpkg does) with another build, a script or a fake successor.
"""

import array
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import loadgen  # noqa: E402
import mpmdtest as t  # noqa: E402
from mpmdtest import ctl, eq, note, shown, true  # noqa: E402

SUCCESSOR = os.path.join(t.BUILDDIR, "tests", "hostile", "successor")
UPGRADES = 3            # under load, one a second
SETTLE = 1.0
UPGRADE_TIMEOUT = 60    # mpmctl upgrade bounds itself at 45 s
GONE_TIMEOUT = 15.0     # the old master drains its workers, then exits
HELLO_TIMEOUT = 5       # the master's bound on a silent new binary
NOTIFY_TIMEOUT = 10.0
POOL = [
    "StartServers 2", "MinSpareServers 1", "MaxSpareServers 8",
    "ThreadsPerChild 8", "MinSpareThreads 4", "MaxSpareThreads 32",
    "KeepAliveTimeout 10", "GracefulShutdownTimeout 10",
]
UPGRADED = re.compile(r"^upgraded: mpmd (.+), pid (\d+) -> mpmd (.+), pid "
                      r"(\d+) in (\d+) ms: ")


class Installed:
    """A copy of mpmd in a directory of its own, run through a wrapper
    that execs it, so the master's /proc/self/exe is that path."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mpmd-sbin-")
        self.path = os.path.join(self.dir, "mpmd")
        self.install(t.MPMD)

    def _replace(self, write):
        tmp = self.path + ".new"
        write(tmp)
        os.chmod(tmp, 0o755)
        os.rename(tmp, self.path)

    def install(self, binary):
        self._replace(lambda tmp: shutil.copyfile(binary, tmp))

    def install_script(self, body):
        def write(tmp):
            with open(tmp, "w") as f:
                f.write("#!/bin/sh\n" + body + "\n")
        self._replace(write)

    def remove(self):
        os.unlink(self.path)

    def wrapper(self):
        return ["/bin/sh", "-c", 'b=$1; shift 2; exec "$b" "$@"', "sh",
                self.path]

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def master_pid(srv):
    with open(srv.pid_file) as f:
        return int(f.read())


def start(mpm, inst, extra=()):
    srv = t.Server(mpm, extra=POOL + list(extra), tag="upgrade")
    srv.start(wrapper=inst.wrapper())
    return srv


def stop_successor(srv, pid):
    """SIGTERM to a master that is not SRV's Popen (one an upgrade
    started); it and its workers must go."""
    if pid == srv.proc.pid:
        srv.stop()
        return
    workers = t.children_of(pid)
    t.kill_pid(pid, signal.SIGTERM)
    left = t.wait_gone([pid] + workers, t.STOP_TIMEOUT)
    for p in left:
        t.kill_pid(p)
    true(not left, "master %d and its workers still alive %.0f s after "
         "SIGTERM: %s" % (pid, t.STOP_TIMEOUT, left))


def upgrade(srv):
    """mpmctl upgrade, which must succeed: (old pid, new pid, ms)."""
    res = ctl(srv, "upgrade", timeout=UPGRADE_TIMEOUT)
    m = UPGRADED.match(res[1])
    true(res[0] == 0 and m, "mpmctl upgrade\n%s\n%s"
         % (shown(res), srv.diag()))
    old, new = int(m.group(2)), int(m.group(4))
    eq(master_pid(srv), new, "PidFile after the upgrade")
    true(t.alive(new), "the new master, pid %d, is alive" % new)
    return old, new, int(m.group(5))


def status_pid(srv):
    res = t.status(srv)
    m = re.match(r"^mpmd (.+), pid (\d+), up ", res[1])
    true(m, "first line of mpmctl status\n" + shown(res))
    return int(m.group(2)), m.group(1)


def build_version():
    rc, out, err = t.run([t.MPMD, "-V"])
    m = re.match(r"^mpmd version (.+)$", out.splitlines()[0])
    true(rc == 0 and m, "mpmd -V: %s %s" % (out, err))
    return m.group(1)


# ---------------------------------------------------------------- tests

def test_upgrade_under_load(mpm):
    """UPGRADES upgrades a second apart under keep-alive and
    new-connection load: nothing fails, the pid moves on each time, the
    old master drains and exits, and one keep-alive connection opened
    before the first is still the same connection after the last."""
    inst = Installed()
    srv = start(mpm, inst)
    pid = srv.proc.pid
    try:
        version = build_version()
        eq(status_pid(srv), (pid, version), "mpmctl status before")
        keep = srv.connect()
        eq(keep.exchange(t.request("GET", "/small.txt")).status, 200,
           "keep-alive connection before the upgrades")
        took = []
        with loadgen.Load(srv.port, "/small.txt", t.SMALL_DATA) as load:
            for _ in range(UPGRADES):
                time.sleep(SETTLE)
                old, new, ms = upgrade(srv)
                eq(old, pid, "the pid the upgrade replaced")
                took.append(ms)
                r = keep.exchange(t.request("GET", "/small.txt"))
                eq((r.status, r.closes()), (200, False),
                   "the keep-alive connection after upgrade %d -> %d"
                   % (old, new))
                left = t.wait_gone([old], GONE_TIMEOUT)
                true(not left, "old master %d still alive %.0f s after "
                     "the upgrade\n%s" % (old, GONE_TIMEOUT, srv.diag()))
                pid = new
            time.sleep(SETTLE)
        note(load.summary())
        note("mpmctl upgrade to success: %s ms" % took)
        true(load.failed() == 0, "requests failed across %d upgrades:\n%s"
             "\n%s" % (UPGRADES, load.report(), srv.diag()))
        true(load.total_ok() > 0, "the load made no request")
        eq(status_pid(srv), (pid, version), "mpmctl status after")
        handed = re.findall(r"upgrade: mpmd (.+?), pid \d+ handed over to "
                            r"mpmd (.+?), pid (\d+) in", srv.error_text())
        eq(len(handed), UPGRADES, "'handed over' lines in the error log")
        eq(handed[-1], (version, version, str(pid)), "the last of them")
        keep.close()
    finally:
        stop_successor(srv, pid)
        inst.cleanup()


def expect_failure(srv, inst, pid, reason):
    """mpmctl upgrade fails with REASON; PID serves on as before."""
    keep = srv.connect()
    eq(keep.exchange(t.request("GET", "/small.txt")).status, 200,
       "keep-alive connection before the failed upgrade")
    res = ctl(srv, "upgrade", timeout=UPGRADE_TIMEOUT)
    true(res[0] != 0, "mpmctl upgrade succeeded\n" + shown(res))
    true(re.search(reason, res[2]), "mpmctl's reason matches %r\n%s"
         % (reason, shown(res)))
    true(re.search(r"still serving as mpmd .*, pid %d" % pid, res[2])
         or "refused" in res[2], "mpmctl names the master that serves on\n"
         + shown(res))
    eq(master_pid(srv), pid, "PidFile after the failed upgrade")
    eq(status_pid(srv)[0], pid, "pid in mpmctl status")
    t.assert_serving(srv, "after the failed upgrade")
    eq(keep.exchange(t.request("GET", "/small.txt")).status, 200,
       "the keep-alive connection after the failed upgrade")
    keep.close()
    t.reap_strays()


FAILURES = [
    ("missing binary", None,
     r"upgrade refused: .*/mpmd: No such file or directory"),
    ("a binary that exits at once", "exit 1",
     r"exited with status 1 before it served|closed its socket"),
    ("a binary that never answers", "exec sleep 60",
     r"did not say HELLO within %d s" % HELLO_TIMEOUT),
    ("another upgrade protocol version", 'exec "%s" skew',
     r"speaks upgrade protocol \d+, this one \d+"),
    ("a new master that crashes after HELLO", 'exec "%s" crash',
     r"killed by signal 6 \(SIGABRT\)"),
    ("a new master that sends garbage", 'exec "%s" garbage',
     r"protocol error"),
]


def test_upgrade_failures():
    """Each way the new binary fails: mpmctl exits non-zero with the
    reason, and the old master's pid, workers and connections serve on.
    Then a bad config under the new binary: FILE:LINE. Last, an upgrade
    to the real build still works."""
    if not os.access(SUCCESSOR, os.X_OK):
        t.skip("tests/hostile/successor is not built")
    inst = Installed()
    srv = start(t.first_mpm(), inst)
    pid = srv.proc.pid
    try:
        for what, body, reason in FAILURES:
            note(what)
            if body is None:
                inst.remove()
            else:
                inst.install_script(body % SUCCESSOR if "%s" in body
                                    else body)
            expect_failure(srv, inst, pid, reason)
        note("a config the new binary refuses")
        inst.install(t.MPMD)
        line = t.break_config(srv)
        expect_failure(srv, inst, pid, r"mpmd\.conf:%d: " % line)
        srv.write_config(srv.port)
        true(pid not in [c for c in t.children_of(pid)
                         if t._identity(c) and "successor" in
                         t._identity(c)[0]], "no fake successor left")
        old, pid, _ = upgrade(srv)
        true(not t.wait_gone([old], GONE_TIMEOUT),
             "old master exits after the good upgrade")
        t.assert_serving(srv, "after the good upgrade")
    finally:
        stop_successor(srv, pid)
        inst.cleanup()


def _receive(sock, deadline):
    """One sd_notify datagram: (sender pid, {KEY: VALUE})."""
    sock.settimeout(max(0.1, deadline - time.monotonic()))
    size = array.array("i", [0, 0, 0]).itemsize * 3
    data, anc, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(size))
    pid = None
    for level, kind, blob in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = array.array("i", blob[:size])[0]
    pairs = dict(line.split("=", 1) for line in
                 data.decode().splitlines() if "=" in line)
    return pid, pairs


def wait_notify(sock, key, what):
    deadline = time.monotonic() + NOTIFY_TIMEOUT
    seen = []
    while time.monotonic() < deadline:
        try:
            pid, pairs = _receive(sock, deadline)
        except socket.timeout:
            break
        seen.append((pid, pairs))
        if key in pairs:
            return pid, pairs
    raise AssertionError("no %s (%s) from mpmd within %.0f s; got %s"
                         % (key, what, NOTIFY_TIMEOUT, seen))


def test_upgrade_notify():
    """Under systemd (NOTIFY_SOCKET): the old master names the new one
    with MAINPID=, the new one then says READY=1 itself, and a reload by
    SIGHUP (Type=notify-reload) is answered by the new pid."""
    inst = Installed()
    tmp = tempfile.mkdtemp(prefix="mpmd-notify-")
    path = os.path.join(tmp, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    os.environ["NOTIFY_SOCKET"] = path
    try:
        srv = start(t.first_mpm(), inst)
    finally:
        del os.environ["NOTIFY_SOCKET"]
    pid = srv.proc.pid
    try:
        eq(wait_notify(sock, "READY", "start")[0], pid, "READY=1 sender")
        old, pid, _ = upgrade(srv)
        sender, pairs = wait_notify(sock, "MAINPID", "upgrade")
        eq((sender, pairs["MAINPID"]), (old, str(pid)),
           "MAINPID= sent by the old master, naming the new one")
        eq(wait_notify(sock, "READY", "after the upgrade")[0], pid,
           "READY=1 sender after the upgrade")
        os.kill(pid, signal.SIGHUP)
        eq(wait_notify(sock, "RELOADING", "SIGHUP")[0], pid,
           "RELOADING=1 sender")
        sender, pairs = wait_notify(sock, "READY", "after SIGHUP")
        eq(sender, pid, "READY=1 sender after SIGHUP")
        true("succeeded" in pairs.get("STATUS", ""),
             "STATUS after SIGHUP: %s" % pairs)
    finally:
        stop_successor(srv, pid)
        sock.close()
        shutil.rmtree(tmp, ignore_errors=True)
        inst.cleanup()


# A sample line of the Prometheus text format: name{labels} value
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


def totals(srv):
    """Every _total sample of /metrics that no generation label ties to
    one master's generations: {(name, labels): value}."""
    res = t.get(srv.port, "/metrics")
    eq(res.status, 200, "GET /metrics")
    out = {}
    for line in res.body.decode().splitlines():
        m = SAMPLE.match(line)
        if m and m.group(1).endswith("_total") and \
                "generation=" not in (m.group(2) or ""):
            out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def reload_lines(srv):
    """The lines under "recent reloads:" of mpmctl status."""
    text = t.status(srv)[1]
    return text.split("recent reloads:\n", 1)[1].splitlines()


def crash_a_worker(srv):
    """SIGSEGV to a worker of the active generation: one crash in the
    master's accounting."""
    victim = t.active(srv)[3][0]
    os.kill(victim, signal.SIGSEGV)
    t.wait_for(lambda: not t.alive(victim), t.STOP_TIMEOUT, "crashed worker")


def test_upgrade_keeps_counts(mpm):
    """Counters, the reload history and the crash accounting go to the
    new master: no _total series of /metrics goes down across the
    upgrade, and mpmctl status still lists the reloads before it."""
    inst = Installed()
    srv = start(mpm, inst, ["MetricsPath /metrics"])
    pid = srv.proc.pid
    try:
        for _ in range(20):
            eq(t.get(srv.port, "/index.html").status, 200, "GET")
        for _ in range(2):
            res = ctl(srv, "graceful")
            eq(res[0], 0, "graceful\n" + shown(res))
        crash_a_worker(srv)
        t.wait_for(lambda: totals(srv).get(
            ("mpmd_worker_crashes_total", ""), 0) >= 1, t.STOP_TIMEOUT,
            "the crash counted")
        before_reloads = reload_lines(srv)
        before = totals(srv)
        true(before.get(("mpmd_requests_total", ""), 0) >= 20,
             "requests counted before: %s" % before)
        _, pid, _ = upgrade(srv)
        after = totals(srv)
        lower = ["%s%s %s -> %s" % (k[0], k[1], before[k], after.get(k))
                 for k in sorted(before)
                 if k not in after or after[k] < before[k]]
        true(not lower, "_total series that went down or vanished:\n"
             + "\n".join(lower))
        after_reloads = reload_lines(srv)
        missing = [x for x in before_reloads if x not in after_reloads]
        true(not missing, "reloads before the upgrade no longer listed:\n"
             + "\n".join(missing) + "\n--- after:\n"
             + "\n".join(after_reloads))
        true(re.search(r" upgrade ok: ", after_reloads[0]),
             "the upgrade is not the newest reload:\n"
             + "\n".join(after_reloads))
        eq(len(after_reloads), len(before_reloads) + 1,
           "reloads listed after the upgrade")
    finally:
        stop_successor(srv, pid)
        inst.cleanup()


def build():
    runner = t.Runner()
    t.bail_if_unbuilt()
    mpms = t.mpms()
    for mpm in mpms:
        runner.add("[%s] %d upgrades under keep-alive and new-connection "
                   "load: nothing fails, the pid follows, a keep-alive "
                   "connection survives" % (mpm, UPGRADES),
                   test_upgrade_under_load, mpm)
    if mpms:
        runner.add("each failure of the new binary leaves the old master "
                   "serving, and mpmctl says why", test_upgrade_failures)
        runner.add("systemd: MAINPID= names the new master, which answers "
                   "READY=1 and SIGHUP", test_upgrade_notify)
        runner.add("[%s] counters, reload history and crash accounting "
                   "survive: no _total goes down, status lists the reloads "
                   "before" % mpms[0], test_upgrade_keeps_counts, mpms[0])
    return runner


if __name__ == "__main__":
    t.main(build())
