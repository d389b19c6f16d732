"""What an administrator meets first (TAP on stdout): mpmctl start waits
until the first generation serves and prints its state, or says why it
did not come up; mpmd -t and mpmctl graceful give one message for one
mistake, at its line, in words; counts are in words ("1 worker").
"""

import os
import re
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mpmdtest as t  # noqa: E402
from mpmdtest import ctl, eq, shown, true  # noqa: E402

START_SERVERS = 4
GONE_TIMEOUT = 10.0


def run_mpmd_t(conf):
    return t.run([t.MPMD, "-t", "-f", conf], timeout=t.CTL_TIMEOUT)


class Daemon(t.Server):
    """A master started by mpmctl start: it detaches, so it is found and
    ended through its PidFile."""

    def pid(self):
        try:
            with open(self.pid_file) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def ctl_start(self):
        self.write_config()
        return ctl(self, "start")

    def kill(self):
        pid = self.pid()
        if pid is not None and t.alive(pid):
            workers = t.children_of(pid)
            os.kill(pid, signal.SIGKILL)
            for w in workers:
                if t.alive(w):
                    t.kill_pid(w)
        super().kill()

    def stop_daemon(self):
        pid = self.pid()
        res = ctl(self, "stop")
        eq(res[0], 0, "mpmctl stop\n" + shown(res))
        if pid is not None:
            true(not t.wait_gone([pid], GONE_TIMEOUT),
                 "master %d still runs after mpmctl stop" % pid)


# ------------------------------------------------------- mpmctl start

def test_start_waits(mpm):
    """The state printed is the first generation serving with every one
    of its StartServers ready, and a request is served at once."""
    with Daemon(mpm, ["StartServers %d" % START_SERVERS,
                      "MinSpareServers %d" % START_SERVERS,
                      "MaxSpareServers %d" % (START_SERVERS * 2)],
                tag="start") as srv:
        res = srv.ctl_start()
        try:
            eq(res[0], 0, "mpmctl start\n" + shown(res))
            m = re.search(r"^generation 1: MPM %s, active, age \S+, "
                          r"(\d+) workers?:([\d ]*)$" % mpm, res[1], re.M)
            true(m, "no active generation 1 in what start printed\n"
                 + shown(res))
            eq(int(m.group(1)), START_SERVERS, "workers start printed")
            pids = [int(p) for p in m.group(2).split()]
            eq(len(pids), START_SERVERS, "pids start printed")
            true(all(t.alive(p) for p in pids), "a printed pid is gone")
            true(re.search(r"^  \S+ \S+ start ok: generation 1 ", res[1],
                           re.M),
                 "no 'start ok' among the reloads\n" + shown(res))
            eq(t.get(srv.port, "/index.html").status, 200,
               "GET right after mpmctl start")
        finally:
            srv.stop_daemon()


def test_start_fails(mpm):
    """Workers that cannot start: mpmctl start exits non-zero and says
    why, and no master is left behind."""
    with Daemon(mpm, ["MPM /bin/false"], tag="startfail") as srv:
        res = srv.ctl_start()
        true(res[0] != 0, "mpmctl start succeeded\n" + shown(res))
        true("nothing is serving" in res[2] and "exited with status 1"
             in res[2], "mpmctl start did not say why\n" + shown(res))
        pid = srv.pid()
        true(pid is None or not t.wait_gone([pid], GONE_TIMEOUT),
             "a master is left after a failed start")


def test_start_config_error(mpm):
    """A config error: its FILE:LINE on stderr, non-zero, nothing runs."""
    with Daemon(mpm, ["KeepAliveTimeout soon"], tag="startconf") as srv:
        res = srv.ctl_start()
        true(res[0] != 0, "mpmctl start succeeded\n" + shown(res))
        line = len(srv.config_text().splitlines())
        true("%s:%d: KeepAliveTimeout: 'soon' is not a number"
             % (srv.conf, line) in res[2], "no FILE:LINE\n" + shown(res))
        eq(srv.pid(), None, "a pid file after a refused start")


# ------------------------------------------------------------ messages

def one_line(res, want, what):
    lines = [x for x in res[2].splitlines() if x.strip()]
    eq(len(lines), 1, "%s: one mistake, one message\n%s"
       % (what, shown(res)))
    eq(lines[0], want, what)


def test_typo_one_message(mpm):
    """mpmd -t on a typo of DocumentRoot, whose default it leaves in
    place and missing: one message, at the typo's line."""
    with t.Server(mpm, tag="typo") as srv:
        os.rename(srv.docroot, os.path.join(srv.root, "site"))
        conf = srv.write_config()
        text = srv.config_text().replace("DocumentRoot htdocs",
                                         "DocumentRot site")
        with open(conf, "w") as f:
            f.write(text)
        line = text.splitlines().index("DocumentRot site") + 1
        res = run_mpmd_t(conf)
        true(res[0] != 0, "mpmd -t accepted a typo")
        one_line(res, "%s:%d: unknown directive 'DocumentRot': did you "
                 "mean DocumentRoot?" % (conf, line), "mpmd -t")


def test_graceful_one_message(mpm):
    """mpmctl graceful with a typo: refused with that one line, the old
    generation serving on."""
    with t.Server(mpm, tag="gracefultypo") as srv:
        srv.start()
        ctl_conf = t.ctl_conf(srv)
        text = srv.config_text().replace("DocumentRoot htdocs",
                                         "DocumentRot htdocs")
        with open(srv.conf, "w") as f:
            f.write(text)
        line = text.splitlines().index("DocumentRot htdocs") + 1
        res = ctl(srv, "graceful", conf=ctl_conf)
        true(res[0] != 0, "graceful accepted a typo\n" + shown(res))
        errors = [x.strip() for x in res[2].splitlines()
                  if x.startswith("  ")]
        eq(errors, ["%s:%d: unknown directive 'DocumentRot': did you mean "
                    "DocumentRoot?" % (srv.conf, line)],
           "the errors graceful printed")
        eq(t.get(srv.port, "/index.html").status, 200, "still serving")
        srv.stop()


def test_missing_certificate(mpm):
    """A certificate that is not there: the directive, the path and the
    system's words at its line, no OpenSSL error code."""
    with t.Server(mpm, tag="nocert") as srv:
        missing = os.path.join(srv.root, "missing.pem")
        srv.extra = ["Listen %s:%d https" % (t.HOST, t.free_port()),
                     "SSLCertificateFile %s" % missing]
        conf = srv.write_config()
        line = len(srv.config_text().splitlines())
        res = run_mpmd_t(conf)
        one_line(res, "%s:%d: SSLCertificateFile: %s: No such file or "
                 "directory" % (conf, line, missing), "mpmd -t")


def test_default_names_no_line_0(mpm):
    """An empty config: Syntax OK where this build is installed, else
    each error says it is the compiled-in default, never line 0."""
    with t.Server(mpm, tag="empty") as srv:
        conf = os.path.join(srv.conf_dir, "empty.conf")
        open(conf, "w").close()
        res = run_mpmd_t(conf)
        if res[0] == 0:
            eq(res[1].strip(), "Syntax OK", "mpmd -t on an empty config")
            return
        for x in res[2].splitlines():
            true(not x.startswith(conf + ":0:"), "line 0: " + x)
            true(x.startswith(conf + ": ") and
                 x.endswith("(a compiled-in default: the file does not "
                            "set it)"), "not said to be a default: " + x)


def test_plurals(mpm):
    """One worker is '1 worker' in mpmctl status and in the reload
    result graceful prints."""
    with t.Server(mpm, ["StartServers 1", "MinSpareServers 1",
                        "MaxSpareServers 2", "MinSpareThreads 1",
                        "MaxSpareThreads 64"], tag="plural") as srv:
        srv.start()
        srv.wait_workers(1)
        res = ctl(srv, "status")
        eq(res[0], 0, "status\n" + shown(res))
        true(re.search(r", 1 worker: \d+$", res[1], re.M),
             "no '1 worker:' in status\n" + shown(res))
        true("1 workers" not in res[1], "'1 workers'\n" + shown(res))
        res = ctl(srv, "graceful")
        eq(res[0], 0, "graceful\n" + shown(res))
        true(re.search(r"\(MPM \S+, 1 worker\) ready", res[1]),
             "no '(MPM x, 1 worker) ready'\n" + shown(res))
        srv.stop()


TESTS = [
    ("mpmctl start waits for every StartServers worker, prints the "
     "state, serves at once", test_start_waits),
    ("mpmctl start of workers that cannot run: non-zero, says why",
     test_start_fails),
    ("mpmctl start of a broken config: FILE:LINE, non-zero",
     test_start_config_error),
    ("mpmd -t: one typo, one message at its line", test_typo_one_message),
    ("mpmctl graceful: one typo, one message, still serving",
     test_graceful_one_message),
    ("mpmd -t: a missing certificate in words at its line",
     test_missing_certificate),
    ("mpmd -t: a compiled-in default's error names no line 0",
     test_default_names_no_line_0),
    ("status and graceful: '1 worker'", test_plurals),
]


def build():
    runner, mpms = t.mpm_runner()
    if not mpms:
        return runner
    runner.add_for_mpm(mpms[0], TESTS, mpms[0])
    for mpm in mpms[1:]:  # what differs by MPM: the pool, its counts
        runner.add_for_mpm(mpm, TESTS[:1] + TESTS[-1:], mpm)
    return runner


if __name__ == "__main__":
    t.main(build())
