"""Operating the real master (TAP on stdout): graceful-stop under a slow
download, kill -9 of the master, a worker crash storm, reopen-logs after a
rename, mpmctl status and its fallbacks, systemd readiness messages and
socket activation.
"""

import hashlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mpmdtest as t  # noqa: E402
from mpmdtest import ctl, eq, note, shown, true  # noqa: E402

HUGE_NAME = "huge.bin"
HUGE_SIZE = 32 << 20
READ_STEP = 256 << 10       # the slow reader takes this much ...
READ_PAUSE = 0.02           # ... then sleeps this long
PROBE_TIMEOUT = 3.0         # a new client during a drain waits this long
EXIT_TIMEOUT = 5.0
ORPHAN_DRAIN = 3            # GracefulShutdownTimeout with the master killed
ORPHAN_MARGIN = 2.0
STORM_KILLS = 6             # workers killed as they come up ...
STORM_PAUSE = 0.3           # ... looking for them this often ...
STORM_BOUND = 10.0          # ... for at most this long
RECOVER_TIMEOUT = 20.0
LOG_TIMEOUT = 3.0
QUIET_TIMEOUT = 15.0
LOG_BEFORE, LOG_BETWEEN, LOG_AFTER = 10, 5, 20
NOTIFY_TIMEOUT = 10.0
MONOTONIC_SLACK = 30.0      # seconds MONOTONIC_USEC may be off by
START_SERVERS = 3


def wait_exit(proc, timeout, what):
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError("%s: still running after %.0f s"
                             % (what, timeout))


# ---------------------------------------------------- a slow download

_huge = None


def huge_data():
    global _huge
    if _huge is None:
        data = random.Random(0x68756765).randbytes(HUGE_SIZE)
        _huge = (data, hashlib.sha256(data).hexdigest())
    return _huge


def put_huge(srv):
    path = os.path.join(srv.docroot, HUGE_NAME)
    with open(path, "wb") as f:
        f.write(huge_data()[0])
    os.chmod(path, 0o644)


class SlowDownload:
    """GET /huge.bin read READ_STEP at a time with a pause in between."""

    def __init__(self, port):
        self.sock = socket.create_connection((t.HOST, port),
                                             timeout=t.IO_TIMEOUT)
        self.sock.sendall(t.request("GET", "/" + HUGE_NAME))
        self.sha = hashlib.sha256()
        self.got = 0
        self.length = None
        self._head()

    def _head(self):
        buf = b""
        while b"\r\n\r\n" not in buf:
            true(len(buf) < t.MAX_HEAD, "response head too long")
            data = self.sock.recv(t.RECV_CHUNK)
            true(data, "closed before the response head: %r" % buf[:200])
            buf += data
        head, rest = buf.split(b"\r\n\r\n", 1)
        _, status, _, headers = t.parse_head(head)
        eq(status, 200, "status of GET /%s" % HUGE_NAME)
        lengths = [v for k, v in headers if k.lower() == "content-length"]
        eq(lengths, [str(HUGE_SIZE)], "Content-Length")
        self.length = HUGE_SIZE
        self._take(rest)

    def _take(self, data):
        self.sha.update(data)
        self.got += len(data)

    def step(self):
        """One READ_STEP (less at the end); False once EOF or done."""
        want = min(READ_STEP, self.length - self.got)
        while want > 0:
            data = self.sock.recv(min(want, t.RECV_CHUNK))
            if not data:
                return False
            self._take(data)
            want -= len(data)
        time.sleep(READ_PAUSE)
        return self.got < self.length

    def finish(self):
        """Reads to the end; (bytes received, body intact)."""
        try:
            while self.step():
                pass
        finally:
            self.sock.close()
        return self.got, self.sha.hexdigest() == huge_data()[1]


def check_download(dl, what):
    got, intact = dl.finish()
    eq(got, HUGE_SIZE, "bytes of the %d MiB download %s"
       % (HUGE_SIZE >> 20, what))
    true(intact, "the download %s has the right length but wrong bytes"
         % what)


# ---------------------------------------------- 5: graceful-stop drains

def test_graceful_stop_download(mpm):
    with t.Server(mpm, ["StartServers 2", "GracefulShutdownTimeout 60"],
                  tag="gstop") as srv:
        put_huge(srv)
        srv.start()
        workers = srv.wait_workers(2)
        dl, stopper = begin_graceful_stop(srv)
        began = time.monotonic()
        true(srv.running(), "master exited with a download in flight")
        check_download(dl, "across graceful-stop")
        note("[%s] download done %.1f s after graceful-stop"
             % (mpm, time.monotonic() - began))
        end_graceful_stop(srv, stopper, workers)


def begin_graceful_stop(srv):
    """A slow download under way, then mpmctl graceful-stop, which
    answers only once the master has exited."""
    dl = SlowDownload(srv.port)
    dl.step()
    stopper = t.popen([t.MPMCTL, "-f", srv.conf, "graceful-stop"])
    t.wait_for(lambda: "graceful-stop: draining" in srv.error_text(),
               LOG_TIMEOUT, "graceful-stop in the error log")
    return dl, stopper


def end_graceful_stop(srv, stopper, workers):
    out, err = stopper.communicate(timeout=t.CTL_TIMEOUT)
    res = (stopper.returncode, out.decode(), err.decode())
    eq(res[0], 0, "mpmctl graceful-stop exit status\n" + shown(res))
    true("mpmd stopped" in res[1], "no 'mpmd stopped'\n" + shown(res))
    wait_exit(srv.proc, EXIT_TIMEOUT, "master after graceful-stop")
    true(t.refused(srv.port), "port %d answers after graceful-stop"
         % srv.port)
    left = t.wait_gone(workers, EXIT_TIMEOUT)
    true(not left, "workers %s outlived the master" % left)


def probe(port):
    """What a new client sees: 'refused', 'answered N', or how it failed."""
    try:
        with t.Client(port, timeout=PROBE_TIMEOUT) as c:
            return "answered %d" % c.exchange(t.request(
                "GET", "/small.txt")).status
    except ConnectionRefusedError:
        return "refused"
    except TimeoutError:
        return ("connected, then no answer for %.0f s (held in the listen "
                "queue)" % PROBE_TIMEOUT)
    except (OSError, t.ProtocolError) as e:
        return "connected, then %s" % e


def test_graceful_stop_new_client():
    """Draining is no reason to hold new clients in a listen queue that
    nobody accepts from: they must be refused (or served)."""
    t.need_mpms("event")
    with t.Server("event", ["StartServers 2", "GracefulShutdownTimeout 60"],
                  tag="gstop") as srv:
        put_huge(srv)
        srv.start()
        workers = srv.wait_workers(2)
        dl, stopper = begin_graceful_stop(srv)
        seen = probe(srv.port)
        check_download(dl, "across graceful-stop")
        end_graceful_stop(srv, stopper, workers)
        # A handshake completed in the moment between the master closing
        # its copy of the socket and the last worker closing its own is
        # reset when the socket closes (as with any server closing a
        # listening socket): a prompt failure, not a held client.
        true(seen == "refused" or seen.startswith("answered") or
             "reset" in seen,
             "a client connecting during the graceful-stop drain: %s"
             % seen)
        if "reset" in seen:
            note("probe during graceful-stop: %s" % seen)


# ----------------------------------------------- 6: master killed -9

def test_master_killed(mpm):
    conf = ["StartServers 2", "GracefulShutdownTimeout %d" % ORPHAN_DRAIN,
            "KeepAliveTimeout 30"]
    with t.Server(mpm, conf, tag="orphan") as srv:
        srv.start()
        workers = srv.wait_workers(2)
        idle = srv.connect()
        eq(idle.exchange(t.request("GET", "/small.txt")).status, 200,
           "GET on the connection left idle")
        srv.proc.kill()
        srv.proc.wait()
        began = time.monotonic()
        left = t.wait_gone(workers, ORPHAN_DRAIN + ORPHAN_MARGIN)
        idle.close()
        true(not left, "workers %s still alive %.0f s after kill -9 of the "
             "master (GracefulShutdownTimeout %d)\n%s"
             % (left, ORPHAN_DRAIN + ORPHAN_MARGIN, ORPHAN_DRAIN,
                srv.diag()))
        note("[%s] orphaned workers gone %.1f s after the master"
             % (mpm, time.monotonic() - began))


# ------------------------------------------------- 7: a crash storm

def storm(srv):
    """SIGKILL workers as they come up, every STORM_PAUSE, until
    STORM_KILLS are dead. Returns the pids killed."""
    killed = []
    end = time.monotonic() + STORM_BOUND
    while len(killed) < STORM_KILLS and time.monotonic() < end:
        victims = srv.exec_workers()[:STORM_KILLS - len(killed)]
        for pid in victims:
            t.kill_pid(pid)
        killed += victims
        time.sleep(STORM_PAUSE)
    return killed


def test_crash_storm():
    mpm = t.first_mpm()
    conf = ["StartServers %d" % START_SERVERS, "MinSpareServers 1",
            "MaxSpareServers %d" % START_SERVERS, "MinSpareThreads 1"]
    with t.Server(mpm, conf, tag="storm") as srv:
        srv.start()
        srv.wait_workers(START_SERVERS)
        began = time.monotonic()
        killed = storm(srv)
        last = time.monotonic()
        note("killed %d workers in %.1f s" % (len(killed), last - began))
        eq(len(killed), STORM_KILLS, "workers killed within %.0f s"
           % STORM_BOUND)
        delays = [int(d) for d in re.findall(r"replacing it in (\d+) ms",
                                             srv.error_text())]
        note("backoff delays logged (ms): %s" % delays)
        true(delays, "no 'replacing it in N ms' backoff in the error log\n"
             + srv.diag())
        try:
            srv.wait_workers(START_SERVERS, timeout=RECOVER_TIMEOUT)
        except AssertionError:
            raise AssertionError("pool not back at %d workers %.0f s after "
                                 "the storm (backoffs logged: %s ms)\n%s"
                                 % (START_SERVERS, RECOVER_TIMEOUT, delays,
                                    srv.diag()))
        t.assert_serving(srv, "after the crash storm")
        note("pool back %.1f s after the last kill"
             % (time.monotonic() - last))
        srv.stop()


# ------------------------------------------------- 8: reopen-logs

def fire(port, tag, n):
    for i in range(n):
        r = t.get(port, "/small.txt?%s=%d" % (tag, i))
        eq(r.status, 200, "GET %s %d" % (tag, i))


def count_lines(path, tag):
    return len([ln for ln in t.read_text(path).splitlines()
                if "?%s=" % tag in ln])


def wait_lines(path, want, what):
    def enough():
        return sum(count_lines(path, tag) for tag in want) >= \
            sum(want.values())
    try:
        t.wait_for(enough, LOG_TIMEOUT, what)
    except AssertionError:
        pass
    got = {tag: count_lines(path, tag) for tag in want}
    eq(got, want, "request lines in %s" % what)


def test_reopen_logs(mpm):
    with t.Server(mpm, ["StartServers 2"], tag="rotate") as srv:
        srv.start()
        srv.wait_workers(2)
        fire(srv.port, "before", LOG_BEFORE)
        wait_lines(srv.access_log, {"before": LOG_BEFORE}, "access.log")
        old_access = srv.access_log + ".1"
        old_error = srv.error_log + ".1"
        os.rename(srv.access_log, old_access)
        os.rename(srv.error_log, old_error)
        fire(srv.port, "between", LOG_BETWEEN)
        res = ctl(srv, "reopen-logs")
        eq(res[0], 0, "mpmctl reopen-logs exit status\n" + shown(res))
        fire(srv.port, "after", LOG_AFTER)
        wait_lines(srv.access_log, {"before": 0, "between": 0,
                                    "after": LOG_AFTER}, "the new access.log")
        wait_lines(old_access, {"before": LOG_BEFORE, "between": LOG_BETWEEN,
                                "after": 0}, "the renamed access.log")
        true("logs reopened" in srv.error_text(), "no 'logs reopened' in "
             "the new error.log\n" + srv.diag())
        true("logs reopened" not in t.read_text(old_error),
             "'logs reopened' went to the renamed error.log")
        srv.stop()


# ------------------------------------ 10: status, and no master at all

def test_status_draining():
    t.need_mpms("event")
    with t.Server("event", ["StartServers 2", "GracefulShutdownTimeout 60"],
                  tag="status") as srv:
        put_huge(srv)
        srv.start()
        srv.wait_workers(2)
        gens = t.generations(srv)
        eq([(g[0], g[2]) for g in gens], [(1, "active")], "generations "
           "before the graceful")
        dl = SlowDownload(srv.port)
        dl.step()
        res = ctl(srv, "graceful")
        eq(res[0], 0, "mpmctl graceful\n" + shown(res))
        text = t.status(srv)[1]
        states = {g[0]: g[2] for g in t.parse_generations(text)}
        eq(states, {1: "draining", 2: "active"}, "generations while the "
           "download runs, from:\n" + text)
        true(re.search(r"^  connections: \d+", text, re.M),
             "no '  connections: N' line\n" + text)
        true(re.search(r"^recent reloads:\n  .* graceful ok: generation 2 ",
                       text, re.M), "no 'graceful ok' for generation 2 "
             "under 'recent reloads:'\n" + text)
        note("mpmctl status while draining:\n" + text)
        check_download(dl, "across a graceful restart")

        def drained():
            return [g[0] for g in t.generations(srv) if g[3]] == [2]
        t.wait_for(drained, QUIET_TIMEOUT, "generation 1 to lose its "
                   "last worker")
        stop_and_check(srv)


def stop_and_check(srv):
    res = ctl(srv, "stop")
    eq(res[0], 0, "mpmctl stop exit status\n" + shown(res))
    true("mpmd stopped" in res[1], "no 'mpmd stopped'\n" + shown(res))
    wait_exit(srv.proc, EXIT_TIMEOUT, "master after mpmctl stop")
    for verb in ("status", "graceful", "stop"):
        res = ctl(srv, verb)
        true(res[0] != 0, "mpmctl %s with no master: exit status\n%s"
             % (verb, shown(res)))
        true("not running" in res[2], "mpmctl %s with no master does not "
             "say 'not running'\n%s" % (verb, shown(res)))


def test_no_control_socket():
    t.need_mpms("event")
    with t.Server("event", ["StartServers 2"], tag="nosock") as srv:
        srv.start()
        srv.wait_workers(2)
        os.unlink(os.path.join(srv.logs, "mpmd.sock"))
        res = ctl(srv, "graceful")
        eq(res[0], 0, "mpmctl graceful without a control socket\n"
           + shown(res))
        true(re.search(r"SIGUSR1 to mpmd pid %d.*could not confirm"
                       % srv.proc.pid, res[1]), "mpmctl does not say it "
             "signalled pid %d and could not confirm\n%s"
             % (srv.proc.pid, shown(res)))
        t.wait_for(lambda: re.search(r"graceful: generation 2 .* ready",
                                     srv.error_text()), LOG_TIMEOUT,
                   "generation 2 in the error log")
        t.assert_serving(srv, "after the signalled graceful")
        srv.stop()


# ------------------------------------------------ 11: systemd notify

class NotifySocket:
    """An AF_UNIX datagram socket standing in for systemd's."""

    def __init__(self, abstract=False):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.dir = None
        if abstract:
            name = "mpmd-test-%d-%d" % (os.getpid(), random.getrandbits(32))
            self.sock.bind("\0" + name)
            self.env = "@" + name
        else:
            self.dir = tempfile.mkdtemp(prefix="mpmd-notify-")
            self.env = os.path.join(self.dir, "notify")
            self.sock.bind(self.env)
        self.seen = []

    def next(self, timeout=NOTIFY_TIMEOUT):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096).decode("utf-8", "replace")
        except socket.timeout:
            raise AssertionError("no sd_notify message within %.0f s; so "
                                 "far: %r" % (timeout, self.seen))
        self.seen.append(data)
        return dict(ln.split("=", 1) for ln in data.split("\n")
                    if "=" in ln)

    def expect(self, key, what):
        msg = self.next()
        true(msg.get(key) == "1", "%s: expected %s=1, got %r (all so far: "
             "%r)" % (what, key, msg, self.seen))
        return msg

    def close(self):
        self.sock.close()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)


def start_notified(srv, notify):
    os.environ["NOTIFY_SOCKET"] = notify.env
    try:
        srv.start()
    finally:
        del os.environ["NOTIFY_SOCKET"]


def check_reload(notify, what, ok):
    msg = notify.expect("RELOADING", what)
    usec = int(msg.get("MONOTONIC_USEC", "-1"))
    true(abs(usec / 1e6 - time.monotonic()) < MONOTONIC_SLACK,
         "%s: MONOTONIC_USEC=%d is not CLOCK_MONOTONIC now (%.0f s)"
         % (what, usec, time.monotonic()))
    msg = notify.expect("READY", what + ", after RELOADING=1")
    status = msg.get("STATUS", "")
    true(("failed" in status) != ok, "%s: STATUS=%r does not say %s"
         % (what, status, "it succeeded" if ok else "it failed"))


def test_notify():
    t.need_mpms("event")
    notify = NotifySocket()
    try:
        with t.Server("event", ["StartServers 2"], tag="notify") as srv:
            start_notified(srv, notify)
            notify.expect("READY", "start")
            res = ctl(srv, "graceful")
            eq(res[0], 0, "mpmctl graceful\n" + shown(res))
            check_reload(notify, "graceful", True)
            t.break_config(srv)
            srv.proc.send_signal(signal.SIGUSR1)
            check_reload(notify, "kill -USR1 on a bad config", False)
            srv.write_config(srv.port)
            res = ctl(srv, "stop")
            eq(res[0], 0, "mpmctl stop\n" + shown(res))
            notify.expect("STOPPING", "stop")
            note("sd_notify messages: %r" % notify.seen)
    finally:
        notify.close()


def test_notify_abstract():
    t.need_mpms("event")
    notify = NotifySocket(abstract=True)
    try:
        with t.Server("event", ["StartServers 1"], tag="notify") as srv:
            start_notified(srv, notify)
            notify.expect("READY", "start, NOTIFY_SOCKET=" + notify.env)
            srv.stop()
            notify.expect("STOPPING", "SIGTERM")
    finally:
        notify.close()


# ---------------------------------------------- 12: socket activation

def onto_fd3(fd):
    """In the child before exec: FD becomes an inheritable fd 3."""
    if fd == 3:
        os.set_inheritable(fd, True)
    else:
        os.dup2(fd, 3)


def spawn_activated(srv, lsock):
    """mpmd with LSOCK as fd 3, LISTEN_FDS=1 and LISTEN_PID its own pid."""
    script = 'LISTEN_PID=$$ LISTEN_FDS=1; export LISTEN_PID LISTEN_FDS; ' \
             'exec "$@"'
    srv.spawn(wrapper=["/bin/sh", "-c", script, "sh"], close_fds=False,
              preexec_fn=lambda: onto_fd3(lsock.fileno()))


def test_socket_activation():
    t.need_mpms("event")
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        lsock.bind((t.HOST, 0))
        lsock.listen(16)
        port = lsock.getsockname()[1]
        with t.Server("event", ["StartServers 2"], tag="activate") as srv:
            srv.write_config(port)
            spawn_activated(srv, lsock)
            lsock.close()
            t.wait_for(lambda: srv.exec_workers() or not srv.running(),
                       t.START_TIMEOUT, "workers")
            true(srv.running(), "mpmd exited: %s\n%s"
                 % (srv.proc.returncode, srv.diag()))
            t.assert_serving(srv, "on the socket passed as fd 3")
            want = "adopted socket %s:%d from systemd" % (t.HOST, port)
            true(want in srv.error_text() + t.read_text(srv.stderr),
                 "no '%s' in the error log or on stderr\n%s"
                 % (want, srv.diag()))
            if want not in srv.error_text():
                note("'%s' is on the master's stderr only, not in ErrorLog"
                     % want)
            res = ctl(srv, "graceful")
            eq(res[0], 0, "mpmctl graceful\n" + shown(res))
            t.assert_serving(srv, "after a graceful restart")
            srv.stop()
            true(t.refused(port), "port %d answers after the stop" % port)
    finally:
        lsock.close()


def build():
    runner, mpms = t.mpm_runner()
    if not mpms:
        return runner
    for mpm in mpms:
        runner.add("[%s] graceful-stop: a %d MiB download to a slow reader "
                   "completes, then the port refuses and the master is gone"
                   % (mpm, HUGE_SIZE >> 20), test_graceful_stop_download,
                   mpm)
    for mpm in mpms:
        runner.add("[%s] kill -9 of the master: no worker left after "
                   "GracefulShutdownTimeout %d" % (mpm, ORPHAN_DRAIN),
                   test_master_killed, mpm)
    runner.add("[event] graceful-stop: a client connecting during the "
               "drain is refused, not held", test_graceful_stop_new_client)
    runner.add("crash storm: backoff logged, pool back and serving",
               test_crash_storm)
    for mpm in mpms:
        runner.add("[%s] reopen-logs after a rename: every request line in "
                   "exactly one file" % mpm, test_reopen_logs, mpm)
    runner.add("mpmctl status shows the old generation draining, then "
               "gone; without a master mpmctl says so, non-zero",
               test_status_draining)
    runner.add("mpmctl without a control socket signals through PidFile "
               "and says it could not confirm", test_no_control_socket)
    runner.add("sd_notify: READY, RELOADING then READY (ok and failed), "
               "STOPPING", test_notify)
    runner.add("sd_notify to an abstract socket ('@' NOTIFY_SOCKET)",
               test_notify_abstract)
    runner.add("socket activation: LISTEN_FDS=1 socket adopted and served",
               test_socket_activation)
    return runner


if __name__ == "__main__":
    t.main(build())
