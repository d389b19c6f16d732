#!/usr/bin/env python3
"""A master facing hostile workers.

Each case puts a worker binary built to attack the master
(tests/hostile/hostile.c, one behaviour per name) into a new generation
with `mpmctl graceful` while a real generation serves a steady load, and
then swaps back to the real MPM. Throughout, the master must stay up,
answer its control socket within STATUS_MAX, keep the load free of
failures, log the cause once (not once per message) and back off.
"""

import os
import json
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

import loadgen
import mpmdtest as t

HOSTILE = os.path.join(t.BUILDDIR, "tests", "hostile", "hostile")

STATUS_MAX = 0.1        # mpmctl status answers within this, always ...
SANITIZED_STATUS_MAX = 0.25  # ... or this with ASan+UBSan on a 2-core box
PROBE_EVERY = 0.05      # seconds between two status probes
SETTLE = 1.0            # after the hostile graceful, before swapping back
DRAIN_BOUND = 3         # GracefulShutdownTimeout of the test server
LINES_PER_PID = 4       # spawn, cause, kill, exit: never one per message
BIG_TYPES = 8000        # AddType lines: a config beyond a socket buffer
LOAD_PAUSE = 0.002      # steady load that leaves the master some CPU



def ipc_version():
    """IPC_VERSION as protocol/ipc.h says: a stale copy here would only
    measure how fast the master refuses us."""
    with open(os.path.join(t.SRCDIR, "protocol", "ipc.h")) as f:
        return int(re.search(r"^#define IPC_VERSION\s+(\d+)", f.read(),
                             re.M).group(1))


# The control socket's wire format (protocol/ipc.h, protocol/ctl.h).
IPC_VERSION = ipc_version()
IPC_CTL_REQUEST = 128
IPC_CTL_REPLY = 192
CTL_STATUS = 1
IPC_HDR = struct.Struct("<HHI")

BASE = [
    "StartServers 2", "ThreadsPerChild 4", "MinSpareThreads 4",
    "MaxSpareThreads 16", "MinSpareServers 1", "MaxSpareServers 4",
    "GracefulShutdownTimeout %d" % DRAIN_BOUND,
    "ServerStatus /server-status",
]


def ask_status(path):
    """One status request on the control socket, as mpmctl sends it;
    returns how long the answer took."""
    started = time.monotonic()
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(t.IO_TIMEOUT)
        s.connect(path)
        s.send(IPC_HDR.pack(IPC_VERSION, IPC_CTL_REQUEST, 4) +
               struct.pack("<I", CTL_STATUS))
        reply = s.recv(1 << 17)
    took = time.monotonic() - started
    version, kind, _ = IPC_HDR.unpack_from(reply)
    if (version, kind) != (IPC_VERSION, IPC_CTL_REPLY):
        raise AssertionError("not a CTL_REPLY: %r" % reply[:16])
    return took


def probe_main(path):
    """The probe process: asks every PROBE_EVERY until stdin closes, then
    prints the count, the slowest answer and the failures."""
    halt = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), halt.set()),
                     daemon=True).start()
    probes, slowest, failures = 0, 0.0, []
    deadline = time.monotonic() + loadgen.MAX_RUN
    while not halt.wait(PROBE_EVERY) and time.monotonic() < deadline:
        try:
            slowest = max(slowest, ask_status(path))
            probes += 1
        except (OSError, AssertionError, struct.error) as e:
            failures.append("%s: %s" % (type(e).__name__, e))
    print(json.dumps({"probes": probes, "slowest": slowest,
                      "failures": failures[:5]}))


class StatusProbe:
    """Probes the master's control socket from a process of its own, so
    that the load's threads cannot delay the measurement."""

    def __init__(self, srv):
        self.path = os.path.join(srv.logs, "mpmd.sock")
        self.result = None
        self.proc = None

    def __enter__(self):
        self.proc = t.popen([sys.executable, os.path.abspath(__file__),
                             "--probe", self.path],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        return self

    def __exit__(self, *exc):
        out, err = self.proc.communicate(b"", timeout=t.IO_TIMEOUT)
        self.result = json.loads(out or b"{}")
        if err:
            self.result.setdefault("failures", []).append(
                "probe stderr: " + err.decode(errors="replace")[-1500:])

    def summary(self):
        r = self.result or {}
        return "status slowest %.1f ms of %d probes" % (
            r.get("slowest", 0) * 1000, r.get("probes", 0))

    def check(self, what):
        r = self.result or {}
        t.true(not r.get("failures"), "%s: status probes failed: %s"
               % (what, "; ".join(r.get("failures", []))))
        t.true(r.get("probes", 0) > 0, "%s: no status probe ran" % what)
        bound = SANITIZED_STATUS_MAX if t.sanitized() else STATUS_MAX
        t.true(r["slowest"] < bound, "%s: %s, more than %.0f ms"
               % (what, self.summary(), bound * 1000))


class Ctx:
    def __init__(self):
        self.srv = None
        self.dir = tempfile.mkdtemp(prefix="mpmd-hostile-bin-")
        self.big_types = None

    def server(self):
        if self.srv is None:
            if not os.access(HOSTILE, os.X_OK):
                t.skip("%s is not built" % HOSTILE)
            t.need_mpms("event")
            self.srv = t.Server("event", BASE, tag="hostile").start()
        return self.srv

    def binary(self, kind):
        """HOSTILE under the name that selects KIND."""
        path = os.path.join(self.dir, "hostile-" + kind)
        if not os.path.exists(path):
            os.symlink(HOSTILE, path)
        os.chmod(self.dir, 0o755)
        return path

    def types(self):
        """A mime.types whose AddType lines make a config of megabytes."""
        if self.big_types is None:
            self.big_types = os.path.join(self.dir, "big.types")
            with open(self.big_types, "w") as f:
                for i in range(BIG_TYPES):
                    f.write("application/x-mpmd-test-%d e%d\n" % (i, i))
        return self.big_types


def configure(srv, mpm, extra=()):
    srv.mpm = mpm
    srv.extra = BASE + list(extra)
    srv.write_config(srv.port)


def hostile_pids(srv, since):
    """Pids the master spawned for hostile binaries after log offset SINCE."""
    text = srv.error_text()[since:]
    return set(int(p) for p in re.findall(
        r"worker pid (\d+) \(generation \d+, slot \d+\)", text))


def lines_about(text, pid):
    return [line for line in text.splitlines()
            if re.search(r"\bpid %d\b" % pid, line)]


def attack(ctx, kind, cause, promoted=False, extra=(), wait=SETTLE):
    """Puts hostile-KIND in a new generation and swaps back to event.

    CAUSE: the regex the master's log must show. PROMOTED: the hostile
    workers pass the handshake and become active for a moment; else the
    graceful must fail and leave the old generation untouched."""
    srv = ctx.server()
    t.assert_serving(srv, "before hostile-%s" % kind)
    since = len(srv.error_text())
    before = t.active(srv)
    with StatusProbe(srv) as probe, \
            loadgen.Load(srv.port, "/small.txt", t.SMALL_DATA,
                         keepalive=2, oneshot=2, pause=LOAD_PAUSE) as load:
        # A generation that never serves must not be handed the old one's
        # idle connections: handoff trusts the generation it hands to.
        configure(srv, ctx.binary(kind),
                  list(extra) + (["GracefulHandoff off"] if promoted else []))
        res = t.ctl(srv, "graceful")
        time.sleep(wait)
        configure(srv, "event")
        back = t.ctl(srv, "graceful")
        time.sleep(DRAIN_BOUND + 1 if promoted else 0.5)
    text = srv.error_text()[since:]
    what = "hostile-%s" % kind
    t.note("%s: graceful exit %d; %s; %s"
           % (what, res[0], load.summary(), probe.summary()))
    t.true(srv.running(), "%s: the master died\n%s" % (what, srv.diag()))
    if not promoted:
        t.true(res[0] != 0, "%s: graceful succeeded\n%s" % (what,
                                                           t.shown(res)))
    t.eq(back[0], 0, "%s: graceful back to event\n%s" % (what, t.shown(back)))
    t.true(re.search(cause, text), "%s: no %r in the error log:\n%s"
           % (what, cause, text[-3000:]))
    probe.check(what)
    t.eq(load.failed(), 0, "%s: failed requests\n%s" % (what, load.report()))
    for pid in hostile_pids(srv, since) - set(before[3]):
        about = lines_about(text, pid)
        t.true(len(about) <= LINES_PER_PID, "%s: %d log lines about pid %d"
               ":\n%s" % (what, len(about), pid, "\n".join(about[:20])))
    t.assert_serving(srv, "after hostile-%s" % kind)
    return text


# ---------------------------------------------------------------- cases

def test_garbage(ctx):
    attack(ctx, "garbage", r"killing worker pid \d+ .*: (header announces|"
           r"protocol version|short message|unknown message type)")


def test_oversized(ctx):
    attack(ctx, "oversized", r"killing worker pid \d+ .*: truncated message")


def test_fds(ctx):
    attack(ctx, "fds", r"killing worker pid \d+ .*: HELLO carries 2 "
           r"unexpected fds")


def test_out_of_order(ctx):
    attack(ctx, "early", r"killing worker pid \d+ .*: unexpected READY")


def test_wrong_direction(ctx):
    attack(ctx, "wrongway", r"killing worker pid \d+ .*: STOP is not a "
           r"message the worker sends")


def test_flood(ctx):
    text = attack(ctx, "flood", r"killing worker pid \d+ .*: a second FATAL")
    floods = len(re.findall(r": flood$", text, re.M))
    t.true(floods <= 2, "%d FATAL lines logged for 2 flooders" % floods)


def test_deaf(ctx):
    attack(ctx, "deaf", r"killing worker pid \d+ .*: its channel went unread "
           r"for 2 s", extra=["TypesConfig %s" % ctx.types()], wait=3.0)


def test_scribbler(ctx):
    """Garbage over the whole scoreboard, and it ignores every stop: the
    master and the real workers read it as untrusted numbers."""
    srv = ctx.server()
    text = attack(ctx, "scribbler", r"killing worker pid \d+ .*: did not "
                  r"exit within its bound", promoted=True)
    r = t.get(srv.port, "/server-status?auto")
    t.eq(r.status, 200, "server-status after the scribbler")
    t.true("Total Accesses:" in r.body.decode("latin-1"), "status body")
    t.true("graceful: generation" in text, "no graceful result logged")


def test_crash_loop(ctx):
    """Ready, then gone at once, every time: backoff, then a rollback as
    soon as none of its workers is left."""
    attack(ctx, "crasher", r"rolled back to generation \d+ \(MPM event\)",
           promoted=True, wait=2.0)


def test_stopped_mid_drain(ctx):
    """SIGSTOP on GRACEFUL_STOP: the drain bound ends it, nothing waits."""
    attack(ctx, "stopper", r"killing worker pid \d+ .*: did not exit within "
           r"its bound", promoted=True)


def test_stop(ctx):
    if ctx.srv is not None:
        ctx.srv.stop()


def build():
    runner = t.Runner()
    ctx = Ctx()
    for name, fn in (
            ("garbage bytes on the channel: killed, graceful fails",
             test_garbage),
            ("an oversized packet: killed", test_oversized),
            ("fds passed with HELLO: killed, fds closed", test_fds),
            ("READY before HELLO: killed", test_out_of_order),
            ("a master's message from a worker: killed",
             test_wrong_direction),
            ("a FATAL flood: killed at the second, logged once", test_flood),
            ("a worker that never reads: killed after 2 s, master never "
             "blocks", test_deaf),
            ("garbage over the whole scoreboard: master and status pages "
             "unharmed", test_scribbler),
            ("exit right after READY, in a loop: backoff and rollback",
             test_crash_loop),
            ("SIGSTOP mid-drain: killed at GracefulShutdownTimeout",
             test_stopped_mid_drain),
            ("the master stops cleanly after all of it", test_stop)):
        runner.add(name, fn, ctx)
    return runner


if __name__ == "__main__":
    if sys.argv[1:2] == ["--probe"]:
        probe_main(sys.argv[2])
    else:
        t.main(build())
