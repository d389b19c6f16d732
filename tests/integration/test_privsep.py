"""Privilege separation, seen from /proc: workers run as nobody/nogroup
with no capabilities, NoNewPrivs, and only the fds the master hands them.
Needs root; otherwise every test is reported as skipped (TAP on stdout)."""

import grp
import os
import pwd
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mpmdtest as t  # noqa: E402
from mpmdtest import eq, true  # noqa: E402

WORKERS = 2
CAP_SETS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")
NO_CAPS = "0000000000000000"
MAX_SHOWN = 12


def status(path):
    """/proc/.../status as a dict of field -> list of words."""
    out = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = value.split()
    return out


def task_statuses(pid):
    """Status of every thread of PID: [(tid, dict)]."""
    out = []
    for tid in sorted(os.listdir("/proc/%d/task" % pid)):
        try:
            out.append((tid, status("/proc/%d/task/%s/status" % (pid, tid))))
        except FileNotFoundError:
            pass
    return out


def fds(pid):
    """{fd: link target} of PID."""
    out = {}
    d = "/proc/%d/fd" % pid
    for name in os.listdir(d):
        try:
            out[int(name)] = os.readlink(os.path.join(d, name))
        except FileNotFoundError:
            pass
    return out


class Ctx:
    def __init__(self, mpm):
        self.mpm = mpm
        self.lazy = t.LazyServer(mpm, ["StartServers %d" % WORKERS],
                                 "privsep")

    def workers(self):
        return self.lazy.get().wait_workers(WORKERS)


def ids():
    return pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid


def test_identity(c):
    uid, gid = ids()
    bad = []
    for pid in c.workers():
        for tid, st in task_statuses(pid):
            if st["Uid"] != [str(uid)] * 4:
                bad.append("%d/%s Uid %s" % (pid, tid, st["Uid"]))
            if st["Gid"] != [str(gid)] * 4:
                bad.append("%d/%s Gid %s" % (pid, tid, st["Gid"]))
            if not set(st.get("Groups", [])) <= {str(gid)}:
                bad.append("%d/%s Groups %s" % (pid, tid, st["Groups"]))
    true(uid != 0 and gid != 0, "nobody/nogroup resolve to 0")
    true(not bad, "; ".join(bad))


def test_caps(c):
    bad = []
    for pid in c.workers():
        for tid, st in task_statuses(pid):
            for cap in CAP_SETS:
                if st.get(cap) != [NO_CAPS]:
                    bad.append("%d/%s %s %s" % (pid, tid, cap, st.get(cap)))
            if st.get("NoNewPrivs") != ["1"]:
                bad.append("%d/%s NoNewPrivs %s" % (pid, tid,
                                                    st.get("NoNewPrivs")))
    true(not bad, "; ".join(bad))


def test_exe(c):
    want = os.path.join(t.BUILDDIR, "mpm-" + c.mpm)
    srv = c.lazy.get()
    for pid in srv.worker_pids():
        got = os.readlink("/proc/%d/exe" % pid)
        eq(os.path.realpath(got), os.path.realpath(want),
           "/proc/%d/exe" % pid)


def test_std_fds(c):
    srv = c.lazy.get()
    log = os.path.realpath(srv.error_log)
    for pid in c.workers():
        f = fds(pid)
        eq(f.get(0), "/dev/null", "worker %d fd 0" % pid)
        eq(f.get(1), "/dev/null", "worker %d fd 1" % pid)
        eq(f.get(2), log, "worker %d fd 2" % pid)


def allowed_fd(target, srv, table):
    """What a worker may hold: its logs, /dev/null, the docroot, sockets,
    the scoreboard memfd, anon inodes (eventpoll, eventfd), and pipes
    whose both ends it holds itself (made after exec: not a leak)."""
    exact = {"/dev/null", os.path.realpath(srv.error_log),
             os.path.realpath(srv.access_log),
             os.path.realpath(srv.docroot)}
    if target.startswith("pipe:["):
        return list(table.values()).count(target) == 2
    return target in exact or target.startswith(
        ("socket:[", "/memfd:", "anon_inode:"))


def test_fd_kinds(c):
    srv = c.lazy.get()
    conf_dir = os.path.realpath(srv.conf_dir) + "/"
    bad = []
    for pid in c.workers():
        table = fds(pid)
        for fd, target in sorted(table.items()):
            if target.startswith(conf_dir) or target == srv.conf:
                bad.append("%d fd %d -> %s (config!)" % (pid, fd, target))
            elif not allowed_fd(target, srv, table):
                bad.append("%d fd %d -> %s" % (pid, fd, target))
    more = " (and %d more)" % (len(bad) - MAX_SHOWN) if len(bad) > \
        MAX_SHOWN else ""
    true(not bad, "unexpected fds: " + "; ".join(bad[:MAX_SHOWN]) + more)


def test_private_root(c):
    srv = c.lazy.get()
    st = os.stat(srv.root)
    eq(stat.S_IMODE(st.st_mode), 0o700, "ServerRoot mode")
    eq(st.st_uid, 0, "ServerRoot owner")
    eq(stat.S_IMODE(os.stat(srv.docroot).st_mode), 0o755, "docroot mode")
    r = t.get(srv.port, "/")
    eq(r.status, 200, "GET / with a 0700 ServerRoot")
    r = t.get(srv.port, "/sub/other.txt")
    eq(r.status, 200, "GET /sub/other.txt with a 0700 ServerRoot")


def test_master_root(c):
    srv = c.lazy.get()
    st = status("/proc/%d/status" % srv.proc.pid)
    eq(st["Uid"][:2], ["0", "0"], "master real/effective uid")


def test_stop(c):
    c.lazy.stop()


TESTS = [
    ("workers run as nobody/nogroup, no other groups", test_identity),
    ("workers hold no capabilities and have NoNewPrivs", test_caps),
    ("/proc/PID/exe is the worker binary", test_exe),
    ("worker fds 0 and 1 are /dev/null, 2 the error log", test_std_fds),
    ("worker fds: only logs, docroot, sockets, memfd, anon inodes",
     test_fd_kinds),
    ("ServerRoot 0700: GET / still 200 through the docroot fd",
     test_private_root),
    ("the master still runs as root", test_master_root),
    ("server stops on SIGTERM", test_stop),
]


def not_root(c):
    t.skip("not root")


def build():
    runner, mpms = t.mpm_runner()
    for mpm in mpms:
        ctx = Ctx(mpm)
        for name, fn in TESTS:
            runner.add("[%s] %s" % (mpm, name),
                       fn if t.is_root() else not_root, ctx)
    return runner


if __name__ == "__main__":
    t.main(build())
