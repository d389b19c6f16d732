#!/usr/bin/env python3
"""Key isolation against a compromised worker (SSLKeyIsolation on).

What an attacker with code execution in a worker could try, tried:

- as the workers' user, read the memory of every process of mpmd that is
  not root (workers and key processes), trace, stop or signal a key
  process: all refused, no key byte found (every MPM);
- from a worker's own socket to its key process (taken from the worker
  with pidfd_getfd, as root): raw RSA and decryption (the old protocol's
  operations), a wrong-length digest, an unknown key, an unknown scheme
  are refused; a real request gets a signature that verifies;
- a flood of requests from one worker that never reads the replies does
  not delay another worker's handshakes beyond FLOOD_DELAY;
- mpm-event with its key process stopped (SIGSTOP): plain and established
  TLS connections on the same event loop are served without delay, new
  handshakes fail at the handshake timeout, and work again after SIGCONT;
- KeyProcesses 2: both sign (their counts in /metrics), and `mpmd -t`
  refuses a missing KeyUser or one that is User.
"""
import array
import ctypes
import os
import re
import signal
import socket
import ssl
import struct
import subprocess
import threading
import time

import mpmdtest as t
import test_tls as tt
from mpmdtest import eq, note, true

SYS_PIDFD_GETFD = 438  # x86_64 and aarch64 alike (the unified numbers)
KEYOP_VERSION = 2
ECDSA, RSA_PSS, RSA_PKCS1 = 1, 2, 3
SHA256, SHA384, SHA512 = 1, 2, 3
OK, REFUSED = 0, 1
REQ = struct.Struct("<HBBII64s")  # struct keyop_req
REP_HEAD = struct.Struct("<HHI")  # struct keyop_rep before its sig
V1_REQ = struct.Struct("<HHIIiI")  # the old raw operations' header
V1_RSA_ENCRYPT, V1_RSA_DECRYPT, RSA_NO_PADDING = 2, 3, 3
REPLY_TIMEOUT = 5.0
# What a flood or a stopped key process may add to another request: a
# stalled loop would add seconds; a sanitizer on a loaded machine, tenths
SANITIZED = t.sanitized()
FLOOD_DELAY = 0.3 if SANITIZED else 0.1
FLOOD_SECONDS = 3.0
FLOOD_SAMPLES = 20  # signatures another worker asks for during the flood
LOOKUP_TIMEOUT = 0.5  # for the worker that took a connection
STALL_DELAY = 0.3 if SANITIZED else 0.1
STALL_SECONDS = 2.5
STALL_HANDSHAKES = 3
TICKET_LIFETIME = 120
HANDSHAKE_TIMEOUT = 2
LATE_SLACK = 1.5
BACK_WITHIN = 1.0   # after SIGCONT, a handshake succeeds within this
PROBE_PYTHON = "/usr/bin/python3"  # Debian's: readable by the workers' user
WORKER_USER = "nobody"

# Run as the workers' user: for each pid, what reading its memory, tracing
# and signalling it gave, and any needle found. argv: hex needles, pids.
PROBE = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
needles = [bytes.fromhex(h) for h in sys.argv[1].split(",")]
for pid in map(int, sys.argv[2:]):
    out = []
    try:
        with open("/proc/%d/maps" % pid) as f:
            maps = f.read().splitlines()
        out.append("maps readable")
    except OSError as e:
        maps = []
        out.append("maps: " + e.strerror)
    try:
        fd = os.open("/proc/%d/mem" % pid, os.O_RDONLY)
        out.append("mem opened")
        for line in maps:
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
            if line.split()[1][0] != "r" or hi - lo > 1 << 28:
                continue
            try:
                data = os.pread(fd, hi - lo, lo)
            except OSError:
                continue
            out += ["FOUND %d bytes" % len(n) for n in needles if n in data]
        os.close(fd)
    except OSError as e:
        out.append("mem: " + e.strerror)
    r = libc.ptrace(16, pid, 0, 0)  # PTRACE_ATTACH
    out.append("ptrace: " + ("attached" if r == 0 else
                             os.strerror(ctypes.get_errno())))
    if r == 0:
        libc.ptrace(17, pid, 0, 0)  # PTRACE_DETACH
    try:
        os.kill(pid, 0)
        out.append("signal: allowed")
    except OSError as e:
        out.append("signal: " + e.strerror)
    print("%d\t%s" % (pid, "; ".join(out)), flush=True)
"""

SERVER_CONF = [ln for ln in tt.MAIN_CONF if not ln.startswith("KeyProcesses")]


def need_root(why="the attacker's view needs a worker's user and "
              "pidfd_getfd"):
    if not t.is_root():
        t.skip(why + ": run as root")


def key_server(mpm, extra, tag):
    return t.LazyServer(mpm, SERVER_CONF + list(extra), tag, tt.TLSServer)


def metric(srv, name, labels):
    text = t.get(srv.port, "/metrics").body.decode()
    m = re.search(r"^%s\{%s\} (\d+)$" % (re.escape(name), re.escape(labels)),
                  text, re.M)
    return int(m.group(1)) if m else None


# --------------------------------------- 1: reading, tracing, signalling

def probe_as_worker_user(pids, secrets):
    """{pid: what the workers' user got} for each of PIDS."""
    if not os.access(PROBE_PYTHON, os.X_OK):
        t.skip("%s (Debian's python3) is not there to run as %s"
               % (PROBE_PYTHON, WORKER_USER))
    needles = ",".join(v.hex() for v in secrets.values())
    res = subprocess.run(
        ["setpriv", "--reuid=" + WORKER_USER, "--regid=nogroup",
         "--clear-groups", PROBE_PYTHON, "-c", PROBE, needles] +
        [str(p) for p in pids], capture_output=True, text=True,
        timeout=60)
    eq(res.returncode, 0, "the probe as %s (stderr %r)"
       % (WORKER_USER, res.stderr[-500:]))
    return {int(p): what for p, what in
            (ln.split("\t", 1) for ln in res.stdout.splitlines())}


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        return re.search(r"^%s:\s+(.*)$" % key, f.read(), re.M).group(1)


def test_worker_user_reads_nothing(c):
    need_root()
    srv = c.main.get()
    secrets = tt.key_secrets(srv)
    tt.sign_some(srv)
    keys = tt.key_pids(srv)
    eq(len(keys), 2, "key processes (KeyProcesses 2) in mpmctl status")
    workers = [p for p in srv.exec_workers() if p not in keys]
    true(workers, "no worker")
    seen = probe_as_worker_user(workers + keys, secrets)
    for pid in workers + keys:
        role = "key process" if pid in keys else "worker"
        what = seen.get(pid, "not probed")
        note("%s %d, as %s: %s" % (role, pid, WORKER_USER, what))
        true("FOUND" not in what, "key bytes in %s %d read as %s: %s"
             % (role, pid, WORKER_USER, what))
        true("mem: Permission denied" in what and "maps: Permission "
             "denied" in what, "%s %d: its memory is readable as %s: %s"
             % (role, pid, WORKER_USER, what))
        true("ptrace: Operation not permitted" in what,
             "%s %d traced by %s: %s" % (role, pid, WORKER_USER, what))
        eq(os.stat("/proc/%d/mem" % pid).st_uid, 0,
           "owner of /proc/%d/mem (a non-dumpable %s)" % (pid, role))
        eq(proc_status(pid, "Seccomp"), "2", "seccomp mode of %s %d"
           % (role, pid))
    for pid in keys:
        true("signal: Operation not permitted" in seen[pid],
             "key process %d can be signalled by %s: %s"
             % (pid, WORKER_USER, seen[pid]))
        uid = int(proc_status(pid, "Uid").split()[0])
        wuid = int(proc_status(workers[0], "Uid").split()[0])
        true(uid not in (0, wuid), "key process %d runs as uid %d (the "
             "workers' is %d)" % (pid, uid, wuid))
    # the control: read as root, the key is in a key process and the scan
    # finds it, so "nothing found" above is the permission's doing
    found, how = tt.scan_memory(keys[0], secrets)
    true(any(f.startswith("ECDSA scalar") for f in found),
         "even root finds no ECDSA scalar in key process %d (%s): the "
         "needles are wrong" % (keys[0], how))


# ------------------------------------ 2: a worker's socket, stolen

def key_socket_of(worker, key_pids):
    """A duplicate of WORKER's socket to its key process, taken from it
    with pidfd_getfd: what code running in the worker holds."""
    inodes = set()
    for kp in key_pids:
        for fd in os.listdir("/proc/%d/fd" % kp):
            link = os.readlink("/proc/%d/fd/%s" % (kp, fd))
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    out = subprocess.run(["ss", "-xpn"], capture_output=True, text=True,
                         timeout=10).stdout
    for line in out.splitlines():
        f = line.split()
        m = re.search(r'pid=%d,fd=(\d+)\)' % worker, line)
        if len(f) >= 8 and f[0] == "u_seq" and m and f[7] in inodes:
            libc = ctypes.CDLL(None, use_errno=True)
            pidfd = os.pidfd_open(worker)
            try:
                fd = libc.syscall(SYS_PIDFD_GETFD, pidfd, int(m.group(1)), 0)
            finally:
                os.close(pidfd)
            true(fd >= 0, "pidfd_getfd: %s"
                 % os.strerror(ctypes.get_errno()))
            return socket.socket(fileno=fd)
    raise AssertionError("no socket of worker %d reaches a key process %s"
                         % (worker, key_pids))


def request(scheme, hash_, key, digest):
    return REQ.pack(KEYOP_VERSION, scheme, hash_, key, len(digest),
                    digest.ljust(64, b"\0"))


def ask(sock, packet):
    """PACKET with a new reply socket: (status, signature)."""
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with mine, theirs:
        sock.sendmsg([packet], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                 array.array("i", [theirs.fileno()]))])
        theirs.close()
        mine.settimeout(REPLY_TIMEOUT)
        rep = mine.recv(8192)
    version, status, n = REP_HEAD.unpack_from(rep)
    eq(version, KEYOP_VERSION, "reply version")
    eq(len(rep), REP_HEAD.size + n, "reply length")
    return status, rep[REP_HEAD.size:]


def dropped(sock, packet):
    """PACKET, which the key process must answer by closing the socket."""
    sock.send(packet)
    sock.settimeout(REPLY_TIMEOUT)
    try:
        return sock.recv(64) == b""
    except ConnectionResetError:
        return True


def verifies(srv, digest, sig):
    d = os.path.join(srv.root, "digest.bin")
    s = os.path.join(srv.root, "sig.bin")
    with open(d, "wb") as f:
        f.write(digest)
    with open(s, "wb") as f:
        f.write(sig)
    res = subprocess.run(["openssl", "pkeyutl", "-verify", "-certin",
                          "-inkey", srv.file("localhost.pem"), "-in", d,
                          "-sigfile", s], capture_output=True, text=True,
                         timeout=tt.OPENSSL_TIMEOUT)
    return res.returncode == 0


def signed_server(lazy):
    """LAZY's server after a signature with each key on each worker:
    (server, its key processes, its workers)."""
    need_root()
    srv = lazy.get()
    tt.sign_some(srv)
    keys = tt.key_pids(srv)
    workers = [p for p in srv.exec_workers() if p not in keys]
    true(len(workers) >= 2, "two workers to steal from: %s" % workers)
    return srv, keys, workers


def test_oracle_refused(c):
    srv, keys, workers = signed_server(c.oracle)
    digest = os.urandom(32)
    with key_socket_of(workers[0], keys) as sock:
        st, sig = ask(sock, request(ECDSA, SHA256, 0, digest))
        eq(st, OK, "a real ECDSA request's status")
        true(verifies(srv, digest, sig), "the signature does not verify "
             "with the certificate's key")
        cases = [
            ("a wrong-length digest", request(ECDSA, SHA256, 0, digest[:31])),
            ("a digest longer than its hash",
             request(ECDSA, SHA256, 0, digest + digest)),
            ("an unknown key index", request(ECDSA, SHA256, 7, digest)),
            ("raw RSA (no scheme)", request(0, SHA256, 1, digest)),
            ("decryption (scheme 4)", request(4, SHA256, 1, digest)),
            ("ECDSA with the RSA key", request(ECDSA, SHA256, 1, digest)),
            ("an unknown hash", request(RSA_PSS, 9, 1, digest)),
        ]
        for what, packet in cases:
            st, sig = ask(sock, packet)
            true(st == REFUSED and sig == b"", "%s: status %d, %d bytes "
                 "back" % (what, st, len(sig)))
        raw = V1_REQ.pack(1, V1_RSA_ENCRYPT, 1, 1, RSA_NO_PADDING, 256)
        true(dropped(sock, raw + os.urandom(256)), "a raw RSA private "
             "encrypt in the old protocol was not refused")
    with key_socket_of(workers[1], keys) as sock:
        raw = V1_REQ.pack(1, V1_RSA_DECRYPT, 2, 1, RSA_NO_PADDING, 256)
        true(dropped(sock, raw + os.urandom(256)), "an RSA private "
             "decrypt in the old protocol was not refused")
    t.wait_for(lambda: len(re.findall(r"malformed key request",
                                      srv.error_text())) >= 1, 3,
               "the key process to log the malformed requests")
    t.wait_for(lambda: (metric(srv, "mpmd_key_refused_total",
                               'key_process="1"') or 0) >= len(cases), 3,
               "/metrics to count %d refusals" % len(cases))
    note("refused: %s; old-protocol raw RSA and decryption: socket closed"
         % ", ".join(w for w, _ in cases))


# ------------------------------------------------------ 3: a flood

def timed_handshake(srv):
    """(seconds or None when it failed, the worker that took it, what
    failed) for one new TLS connection. Which worker took it is looked up
    once the ClientHello is out (the kernel defers the accept until data
    comes), inside the time measured: the same for every sample."""
    with socket.create_connection((t.HOST, srv.tls_port),
                                  timeout=t.IO_TIMEOUT) as raw, \
            srv.client_ctx.wrap_socket(raw, server_hostname="localhost",
                                       do_handshake_on_connect=False) as tls:
        t0 = time.monotonic()
        tls.setblocking(False)
        early = None
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        except OSError as e:  # an alert back already: a fast failure
            early = "%s: %s" % (type(e).__name__, e)
        pid = t.serving_pid(srv.tls_port, tls.getsockname()[1],
                            srv.worker_pids(), timeout=LOOKUP_TIMEOUT)
        if early:
            return None, pid, early
        try:
            tls.settimeout(t.IO_TIMEOUT)
            tls.do_handshake()
            took = time.monotonic() - t0
            tls.sendall(t.request("GET", "/small.txt",
                                  [("Connection", "close")]))
            true(tls.recv(64).startswith(b"HTTP/1.1 200"), "GET over TLS")
        except (OSError, AssertionError) as e:
            return None, pid, "%s: %s" % (type(e).__name__, e)
    return took, pid, None


def timed_sign(sock):
    """Seconds for a signature asked on SOCK (a worker's key socket)."""
    t0 = time.monotonic()
    st, _ = ask(sock, request(ECDSA, SHA256, 0, os.urandom(32)))
    eq(st, OK, "a signature's status")
    return time.monotonic() - t0


def flood(sock, seconds):
    """A process that sends valid requests on SOCK for SECONDS, replies
    never read; it writes how many it sent to the pipe it returns."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid:
        os.close(wfd)
        return pid, rfd
    sent, end = 0, time.monotonic() + seconds
    packet = request(ECDSA, SHA256, 0, os.urandom(32))
    try:
        while time.monotonic() < end:
            mine, theirs = socket.socketpair(socket.AF_UNIX,
                                             socket.SOCK_SEQPACKET)
            try:
                sock.sendmsg([packet], [(socket.SOL_SOCKET,
                                         socket.SCM_RIGHTS, array.array(
                                             "i", [theirs.fileno()]))],
                             socket.MSG_DONTWAIT)
                sent += 1
            except BlockingIOError:
                time.sleep(0.0005)
            finally:
                mine.close()
                theirs.close()
        os.write(wfd, str(sent).encode())
    finally:
        os._exit(0)


def test_flood(c):
    srv, keys, workers = signed_server(c.flood)
    base = [timed_handshake(srv) for _ in range(10)]
    true(all(b[0] is not None for b in base), "handshakes before the "
         "flood failed: %s" % [b[2] for b in base if b[2]])
    base = [b[0] for b in base]
    victim, other = workers[0], workers[1]
    with key_socket_of(victim, keys) as sock, \
            key_socket_of(other, keys) as other_sock:
        base_sign = [timed_sign(other_sock) for _ in range(FLOOD_SAMPLES)]
        child, pipe = flood(sock, FLOOD_SECONDS)
        others, own, failed, signs = [], [], [], []
        end = time.monotonic() + FLOOD_SECONDS - 0.2
        try:
            time.sleep(0.3)
            while time.monotonic() < end:
                signs += [timed_sign(other_sock) for _ in range(3)]
                took, pid, err = timed_handshake(srv)
                if pid in (victim, None):  # None: it failed before the look
                    own.append(err or "%.1f ms" % (took * 1000))
                elif err is not None:
                    failed.append("worker %s: %s" % (pid, err))
                else:
                    others.append(took)
        finally:
            os.waitpid(child, 0)
            with os.fdopen(pipe, "rb") as f:
                sent = [int(f.read() or 0)]
    note("flood: %d requests sent from worker %d's socket; handshakes on "
         "other workers %d, max %.1f ms (before the flood max %.1f ms); on "
         "the flooding worker itself: %s" % (
             sent[0], victim, len(others), max(others or [0]) * 1000,
             max(base) * 1000, own[:6]))
    true(not failed, "handshakes on other workers failed during the "
         "flood: %s" % failed[:5])
    note("worker %d's own signatures during the flood: %d, max %.1f ms "
         "(before: max %.1f ms)" % (other, len(signs), max(signs) * 1000,
                                    max(base_sign) * 1000))
    true(sent[0] > 1000, "the flood sent only %d requests" % sent[0])
    true(len(signs) >= FLOOD_SAMPLES, "only %d signatures for worker %d "
         "during the flood" % (len(signs), other))
    slow = [x for x in signs if x > max(base_sign) + FLOOD_DELAY]
    true(not slow, "worker %d's signatures delayed beyond %.0f ms by the "
         "flood: %s" % (other, FLOOD_DELAY * 1000,
                        ["%.1f ms" % (x * 1000) for x in slow][:5]))
    slow = [x for x in others if x > max(base) + FLOOD_DELAY]
    true(not slow, "handshakes on other workers delayed beyond %.0f ms by "
         "the flood: %s" % (FLOOD_DELAY * 1000,
                            ["%.1f ms" % (x * 1000) for x in slow]))
    t.wait_for(lambda: (metric(srv, "mpmd_key_unread_total",
                               'key_process="1"') or 0) > 0, 3,
               "/metrics to count the replies the flooder did not read")
    true(re.search(r"does not take its replies", srv.error_text()),
         "the key process did not log the unread replies")


# ------------------------------------ 4: a stopped key process, event

def timed_get(cl):
    t0 = time.monotonic()
    r = cl.exchange(t.request("GET", "/small.txt"))
    eq(r.status, 200, "GET on a kept-alive connection")
    return time.monotonic() - t0


def new_plain_get(srv):
    t0 = time.monotonic()
    r = t.get(srv.port, "/small.txt")
    eq(r.status, 200, "GET on a new plain connection")
    return time.monotonic() - t0


def try_handshake(srv, out):
    t0 = time.monotonic()
    try:
        with t.Client(srv.tls("localhost"),
                      timeout=HANDSHAKE_TIMEOUT + LATE_SLACK * 2):
            out.append((True, time.monotonic() - t0, "handshake done"))
    except (OSError, t.ProtocolError) as e:
        out.append((False, time.monotonic() - t0, type(e).__name__))


def test_stalled_key_process(c):
    srv = c.stall.get()
    key = tt.key_pids(srv)
    eq(len(key), 1, "key processes")
    key = key[0]
    eq(len([p for p in srv.worker_pids() if p != key]), 1,
       "workers (one, with one event loop)")
    with t.Client(srv.tls("localhost")) as tls_cl, \
            t.Client(srv.port) as plain_cl:
        base = [timed_get(tls_cl), timed_get(plain_cl), new_plain_get(srv)]
        os.kill(key, signal.SIGSTOP)
        try:
            t.wait_for(lambda: t.proc_stat(key)[0] == "T", 3,
                       "the key process to stop")
            tries, threads = [], []
            for _ in range(STALL_HANDSHAKES):
                th = threading.Thread(target=try_handshake,
                                      args=(srv, tries), daemon=True)
                th.start()
                threads.append(th)
            time.sleep(0.2)
            lat = []
            end = time.monotonic() + STALL_SECONDS
            while time.monotonic() < end:
                lat += [timed_get(tls_cl), timed_get(plain_cl),
                        new_plain_get(srv)]
                time.sleep(0.05)
            for th in threads:
                th.join(HANDSHAKE_TIMEOUT + LATE_SLACK * 3)
        finally:
            os.kill(key, signal.SIGCONT)
    note("key process stopped: %d requests on the same loop, max %.1f ms "
         "(before: max %.1f ms); new handshakes: %s" % (
             len(lat), max(lat) * 1000, max(base) * 1000,
             ["%s after %.2f s" % (w, d) for _, d, w in tries]))
    slow = [x for x in lat if x > max(base) + STALL_DELAY]
    true(not slow, "requests delayed beyond %.0f ms while the key process "
         "was stopped: %s" % (STALL_DELAY * 1000,
                              ["%.1f ms" % (x * 1000) for x in slow][:5]))
    eq(len(tries), STALL_HANDSHAKES, "handshakes that ended")
    true(all(not ok for ok, _, _ in tries), "a handshake succeeded with "
         "the key process stopped: %s" % tries)
    true(all(HANDSHAKE_TIMEOUT - 0.3 <= d <= HANDSHAKE_TIMEOUT + LATE_SLACK
             for _, d, _ in tries), "handshakes did not end at the "
         "handshake timeout (%d s): %s" % (HANDSHAKE_TIMEOUT, tries))
    t0 = time.monotonic()
    r = t.wait_for(lambda: ok_handshake(srv), BACK_WITHIN + 2,
                   "a handshake after SIGCONT")
    took = time.monotonic() - t0
    note("after SIGCONT: a handshake in %.2f s" % took)
    true(r and took <= BACK_WITHIN, "handshakes came back after %.2f s"
         % took)
    t.assert_serving(srv, "after the key process came back")


def ok_handshake(srv):
    try:
        r, _ = tt.tls_get(srv)
        return r.status == 200
    except (OSError, t.ProtocolError):
        return False


# --------------------------------------- 5: two key processes, -t

def test_spread(c):
    srv = c.spread.get()
    keys = tt.key_pids(srv)
    eq(len(keys), 2, "key processes in mpmctl status")
    before = [metric(srv, "mpmd_key_signatures_total",
                     'key_process="%d"' % i) or 0 for i in (1, 2)]
    tt.sign_some(srv)  # each worker, each key
    t.wait_for(lambda: all(
        (metric(srv, "mpmd_key_signatures_total", 'key_process="%d"' % i)
         or 0) > before[i - 1] for i in (1, 2)), 5,
        "/metrics to show both key processes signing")
    after = [metric(srv, "mpmd_key_signatures_total",
                    'key_process="%d"' % i) for i in (1, 2)]
    note("signatures per key process: %s (workers %s)"
         % (after, srv.worker_pids()))


def test_ticket_lifetime(c):
    """SSLSessionTicketLifetime: the master rotates at it, and a ticket's
    lifetime hint is the two rotations its key is kept for."""
    srv = c.spread.get()
    t.wait_for(lambda: re.search(r"session-ticket keys rotate every %d s"
                                 % TICKET_LIFETIME, srv.error_text()), 3,
               "the master to log the rotation interval")
    for flag in ("-tls1_2", "-tls1_3"):
        rc, out, _ = tt.s_client(srv, flag, "-servername", "localhost")
        m = re.search(r"TLS session ticket lifetime hint: (\d+)", out)
        true(m, "%s: no ticket lifetime hint in:\n%s" % (flag, out[-800:]))
        eq(int(m.group(1)), 2 * TICKET_LIFETIME,
           "%s: the ticket lifetime hint" % flag)
    note("rotation every %d s; tickets hinted to live %d s" % (
        TICKET_LIFETIME, 2 * TICKET_LIFETIME))


def test_key_user_checked():
    need_root("KeyUser is checked where a root master switches to it")
    srv = tt.TLSServer(t.first_mpm(), tag="keyuser")
    srv.write_config()
    base = srv.config_text()
    for extra, want in [
            ("KeyUser no-such-user-here",
             r"KeyUser: no user 'no-such-user-here' for the key processes: "
             r"create it \(adduser --system"),
            ("KeyUser nobody", r"KeyUser nobody is User too"),
            ("KeyUser root", r"KeyUser: key processes must not run as "
             r"root")]:
        with open(srv.conf, "w") as f:
            f.write(base + extra + "\n")
        rc, out, err = t.run([t.MPMD, "-t", "-f", srv.conf], timeout=10)
        line = len((base + extra).splitlines())
        true(rc == 1 and re.search(r"%s:%d: %s" % (re.escape(srv.conf),
                                                     line, want), err + out),
             "%s: mpmd -t said (rc %d) %r" % (extra, rc, err + out))
    note("KeyUser missing, User's, root: FILE:LINE errors at -t")


class Ctx:
    def __init__(self, mpm):
        self.main = key_server(mpm, ["KeyProcesses 2"], "keys")

    def lazies(self):
        return (self.main,)


class OnceCtx:
    def __init__(self):
        self.oracle = key_server("event", ["KeyProcesses 1",
                                           "StartServers 2",
                                           "MetricsPath /metrics"], "oracle")
        self.flood = key_server("event", ["KeyProcesses 1", "StartServers 2",
                                          "MetricsPath /metrics"], "flood")
        self.stall = key_server("event", [
            "KeyProcesses 1", "StartServers 1", "ServerLimit 1",
            "ThreadsPerChild 1", "MinSpareThreads 1", "MaxSpareThreads 1",
            "KeepAliveTimeout 30"], "stall")
        self.spread = key_server("prefork", [
            "KeyProcesses 2", "StartServers 4", "MetricsPath /metrics",
            "SSLSessionTicketLifetime %d" % TICKET_LIFETIME], "spread")

    def lazies(self):
        return (self.oracle, self.flood, self.stall, self.spread)


def stop_all(ctx):
    for lazy in ctx.lazies():
        lazy.stop()


TESTS = [
    ("as the workers' user: no memory, no ptrace, no signal of a key "
     "process; seccomp on; no key bytes", test_worker_user_reads_nothing),
    ("servers stop", stop_all),
]


def build():
    runner, mpms = t.mpm_runner()
    for mpm in mpms:
        runner.add_for_mpm(mpm, TESTS, Ctx(mpm))
    if "event" in mpms:
        once = OnceCtx()
        runner.add("a worker's key socket: raw RSA, decryption, bad digests "
                   "and keys refused; a real request signs", test_oracle_refused,
                   once)
        runner.add("a flood from one worker's socket, replies unread: other "
                   "workers' handshakes within %d ms" % (FLOOD_DELAY * 1000),
                   test_flood, once)
        runner.add("mpm-event, key process stopped: the loop serves on, new "
                   "handshakes fail at the timeout, back after SIGCONT",
                   test_stalled_key_process, once)
        runner.add("KeyProcesses 2: both sign (/metrics)", test_spread, once)
        runner.add("SSLSessionTicketLifetime: rotation and ticket lifetime",
                   test_ticket_lifetime, once)
        runner.add("servers stop", stop_all, once)
    if mpms:
        runner.add("mpmd -t: KeyUser missing, User's or root: FILE:LINE",
                   test_key_user_checked)
    return runner


if __name__ == "__main__":
    t.main(build())
