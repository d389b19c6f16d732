"""The master: config test, -V, startup failures, the worker pool,
crash recovery and shutdown (TAP on stdout)."""

import os
import re
import shutil
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mpmdtest as t  # noqa: E402
from mpmdtest import eq, shown, true  # noqa: E402

CMD_TIMEOUT = 10
RESPAWN_TIMEOUT = 8.0
LOG_TIMEOUT = 3.0
REQ_INTERVAL = 0.1
POOL_SIZE = 3
POOL_SPARE = ["MinSpareServers 1", "MaxSpareServers %d" % POOL_SIZE]


def configtest(path):
    return t.run([t.MPMD, "-t", "-f", path], timeout=CMD_TIMEOUT)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def error_lines(err, fname, line):
    """Lines of ERR that are FNAME:LINE: messages."""
    pat = re.compile(r"(^|/)%s:%d: \S" % (re.escape(fname), line))
    return [ln for ln in err.splitlines() if pat.search(ln)]


# -------------------------------------------------------------- -t, -V

def test_syntax_ok():
    srv = t.Server(t.first_mpm(), tag="conftest")
    rc, out, err = configtest(srv.write_config())
    true("Syntax OK" in out, "no 'Syntax OK' on stdout\n"
         + shown((rc, out, err)))
    eq(rc, 0, "exit status\n" + shown((rc, out, err)))


def test_three_errors():
    srv = t.Server(t.first_mpm(), tag="bad")
    extra = write(os.path.join(srv.conf_dir, "extra-1.conf"),
                  "StartServers lots\n")
    bad = write(os.path.join(srv.conf_dir, "bad.conf"), "\n".join([
        "ServerRoot %s" % srv.root,                              # 1
        "NoSuchDirective on",                                    # 2
        "WorkerDir %s" % t.BUILDDIR,                             # 3
        "Include %s" % os.path.join(srv.conf_dir, "extra-*.conf"),  # 4
        "KeepAliveTimeout notanumber",                           # 5
        "MPM %s" % srv.mpm,                                      # 6
        "TypesConfig %s" % os.path.join(t.SRCDIR, "conf", "mime.types"),
    ]) + "\n")
    rc, out, err = configtest(bad)
    missing = [where for where, fname, line in (
        ("bad.conf:2", "bad.conf", 2), ("bad.conf:5", "bad.conf", 5),
        ("extra-1.conf:1", os.path.basename(extra), 1))
        if not error_lines(err, fname, line)]
    true(not missing, "no error for %s\n%s" % (", ".join(missing),
                                               shown((rc, out, err))))
    true("Syntax OK" not in out, "Syntax OK for a bad file")
    eq(rc, 1, "exit status\n" + shown((rc, out, err)))


def test_minimal_config():
    if not os.access(os.path.join(t.BUILDDIR, "mpm-event"), os.X_OK):
        t.skip("default MPM event is not built")
    srv = t.Server("event", tag="minimal")
    os.makedirs(srv.conf_dir, exist_ok=True)
    shutil.copy(os.path.join(t.SRCDIR, "conf", "mime.types"), srv.conf_dir)
    conf = write(os.path.join(srv.conf_dir, "minimal.conf"),
                 "ServerRoot %s\nWorkerDir %s\n" % (srv.root, t.BUILDDIR))
    rc, out, err = configtest(conf)
    true("Syntax OK" in out, "no 'Syntax OK'\n" + shown((rc, out, err)))
    eq(rc, 0, "exit status\n" + shown((rc, out, err)))


def test_named_errors():
    srv = t.Server(t.first_mpm(), tag="named")
    missing_dir = "/nonexistent-mpmd-test/htdocs"
    conf = write(os.path.join(srv.conf_dir, "named.conf"), "\n".join([
        "ServerRoot %s" % srv.root,                              # 1
        "WorkerDir %s" % t.BUILDDIR,                             # 2
        "MPM %s" % srv.mpm,                                      # 3
        "Frobnicate yes",                                        # 4
        "DocumentRoot %s" % missing_dir,                         # 5
        "TypesConfig %s" % os.path.join(t.SRCDIR, "conf", "mime.types"),
    ]) + "\n")
    rc, out, err = configtest(conf)
    unknown = error_lines(err, "named.conf", 4)
    docroot = error_lines(err, "named.conf", 5)
    true(any("Frobnicate" in ln for ln in unknown),
         "no named.conf:4 error naming Frobnicate\n" + shown((rc, out, err)))
    true(any(missing_dir in ln or "DocumentRoot" in ln for ln in docroot),
         "no named.conf:5 error about the DocumentRoot\n"
         + shown((rc, out, err)))
    eq(rc, 1, "exit status\n" + shown((rc, out, err)))


def test_version():
    rc, out, err = t.run([t.MPMD, "-V"], timeout=CMD_TIMEOUT)
    text = out + err
    eq(rc, 0, "exit status\n" + shown((rc, out, err)))
    lines = [ln for ln in text.splitlines() if ln.strip()]
    true(lines and re.search(r"mpmd\b.*\d+\.\d+", lines[0], re.I),
         "first line is not a version line\n" + text)
    true(re.search(r"sanitizers=(yes|no)", text),
         "build options (sanitizers=...) not shown\n" + text)
    true(re.search(r"WorkerDir\W+/\S+", text),
         "compiled-in WorkerDir not shown\n" + text)


# ------------------------------------------------------------ startup

def test_port_in_use():
    srv = t.Server(t.first_mpm(), tag="inuse")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blocker:
        blocker.bind((t.HOST, 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        srv.write_config(port)
        proc = srv.spawn()
        try:
            rc = proc.wait(t.START_TIMEOUT)
        except Exception:
            srv.kill()
            raise AssertionError("mpmd still running with its port taken\n"
                                 + srv.diag())
    text = t.read_text(srv.stderr) + t.read_text(srv.error_log)
    true(rc != 0, "exit status 0 with the port taken")
    true("%s:%d" % (t.HOST, port) in text,
         "no message naming %s:%d\n%s" % (t.HOST, port, srv.diag()))
    time.sleep(t.POLL_INTERVAL)
    t.reap_strays()
    left = t.stray_children()
    true(not left, "processes left behind: %s" % left)


def test_pid_file():
    with t.Server(t.first_mpm(), tag="pidfile") as srv:
        srv.start()
        got = t.wait_for(lambda: t.read_text(srv.pid_file).strip(), 2,
                         "the pid file")
        eq(got, str(srv.proc.pid), "pid file contents")
        srv.stop()


def test_start_servers():
    t.need_mpms("prefork")
    with t.Server("prefork", ["StartServers %d" % POOL_SIZE] + POOL_SPARE,
                  tag="pool") as srv:
        srv.start()
        srv.wait_workers(POOL_SIZE, exact=True)
        srv.stop()


# ------------------------------------------------- per MPM: kill, TERM

def pool_conf(mpm):
    return ["StartServers 2"] + (
        ["MinSpareServers 1", "MaxSpareServers 2"] if mpm == "prefork"
        else [])


def assert_serving(srv, what):
    try:
        r = t.get(srv.port, "/small.txt")
    except (OSError, AssertionError) as e:
        raise AssertionError("request failed %s: %s: %s\n%s"
                             % (what, type(e).__name__, e, srv.diag()))
    eq(r.status, 200, "status %s" % what)


def test_kill_worker(mpm):
    with t.Server(mpm, pool_conf(mpm), tag="kill") as srv:
        srv.start()
        kill_one(srv)
        srv.stop()


def kill_one(srv):
    before = srv.wait_workers(2)
    victim = before[0]
    assert_serving(srv, "before the kill")
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + RESPAWN_TIMEOUT
    fresh = []
    while not fresh:
        assert_serving(srv, "after killing worker %d" % victim)
        fresh = [p for p in srv.exec_workers() if p not in before]
        true(fresh or time.monotonic() < deadline,
             "no new worker %.0f s after SIGKILL of %d; workers %s\n%s"
             % (RESPAWN_TIMEOUT, victim, srv.worker_pids(), srv.diag()))
        time.sleep(REQ_INTERVAL)
    pat = re.compile(r"\b%d\b.*(signal 9\b|SIGKILL)|(signal 9\b|SIGKILL)"
                     r".*\b%d\b" % (victim, victim))

    def logged():
        return [ln for ln in srv.error_text().splitlines()
                if pat.search(ln)]
    try:
        t.wait_for(logged, LOG_TIMEOUT, "the log line")
    except AssertionError:
        raise AssertionError("no error-log line with pid %d and signal 9\n%s"
                             % (victim, srv.diag()))
    assert_serving(srv, "after the respawn")


def test_sigterm(mpm):
    with t.Server(mpm, pool_conf(mpm), tag="term") as srv:
        srv.start()
        term(srv)


def term(srv):
    workers = srv.wait_workers(1)
    t.wait_for(lambda: os.path.exists(srv.pid_file), 2, "the pid file")
    t0 = time.monotonic()
    srv.proc.send_signal(signal.SIGTERM)
    try:
        rc = srv.proc.wait(t.STOP_TIMEOUT)
    except Exception:
        srv.kill()
        raise AssertionError("master alive %.0f s after SIGTERM\n%s"
                             % (t.STOP_TIMEOUT, srv.diag()))
    took = time.monotonic() - t0
    left = t.wait_gone(workers, t.STOP_TIMEOUT)
    for pid in left:
        t.kill_pid(pid)
    true(not left, "workers %s alive after the master exited" % left)
    true(took < t.STOP_TIMEOUT, "stop took %.1f s" % took)
    eq(rc, 0, "master exit status after SIGTERM\n" + srv.diag())
    true(t.refused(srv.port), "port %d still accepts" % srv.port)
    true(not os.path.exists(srv.pid_file), "pid file %s left behind"
         % srv.pid_file)


# ------------------------------------------------------------ register

def build():
    runner, mpms = t.mpm_runner()
    if not mpms:
        return runner
    runner.add("mpmd -t on a good file: Syntax OK, exit 0", test_syntax_ok)
    runner.add("mpmd -t: FILE:LINE for 3 errors, Include'd too, exit 1",
               test_three_errors)
    runner.add("mpmd -t with only ServerRoot and WorkerDir: Syntax OK",
               test_minimal_config)
    runner.add("mpmd -t names an unknown directive and a missing "
               "DocumentRoot with their lines", test_named_errors)
    runner.add("mpmd -V: version, build options, WorkerDir", test_version)
    runner.add("port already bound: clear message, non-zero exit, nothing "
               "left", test_port_in_use)
    runner.add("foreground run writes the master's pid to PidFile",
               test_pid_file)
    runner.add("StartServers %d (prefork): %d workers" % (POOL_SIZE,
                                                          POOL_SIZE),
               test_start_servers)
    for mpm in mpms:
        runner.add("[%s] SIGKILL'd worker is logged and replaced, serving "
                   "throughout" % mpm, test_kill_worker, mpm)
        runner.add("[%s] SIGTERM: master and workers gone, port closed, "
                   "pid file removed" % mpm, test_sigterm, mpm)
    return runner


if __name__ == "__main__":
    t.main(build())
