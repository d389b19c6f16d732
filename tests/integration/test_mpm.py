"""The concurrency models end to end (TAP on stdout): many idle keep-alive
connections on one event thread, slow readers and slow senders beside
ordinary clients, pool growth under load and shrink after it,
MaxConnectionsPerChild recycling, and the same answers from every MPM.

Python 3 standard library only. Loads are small (the machine may have two
cores), every wait has a deadline, and only processes this script started
are ever killed, by pid, through the harness.
"""

import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mpmdtest as t  # noqa: E402
from mpmdtest import eq, true, request  # noqa: E402

# Bounds a client must see its answer within.
PROMPT = 1.0            # idle-connection and slow-sender tests (the issue)
OTHER_BOUND = 2.0       # one request beside a stalled slow reader

# 1. idle keep-alive connections on mpm-event
IDLE_CONNS = 200
SEQ_REQUESTS = 50
REUSE_REQUESTS = 10
LONG_KEEPALIVE = 60     # seconds: held connections must outlive a test
EVENT_EXTRA_THREADS = 2  # besides the loop threads: main and acceptor

# 2. slow reader
HUGE_NAME = "huge.bin"
HUGE_MIN = 8 << 20      # at least this, and well above the socket buffers
TCP_WMEM = "/proc/sys/net/ipv4/tcp_wmem"
SLOW_RCVBUF = 4096
STALL_SETTLE = 0.5      # lets the server fill both socket buffers
OTHERS = 20
HUGE_READ_TIMEOUT = 20.0

# 3. slow sender
TRICKLE_INTERVAL = 0.1
HEADER_TIMEOUT = 20
MIN_OVERLAP = 10        # other requests served while the head trickles

# 4. pools
POOL_GROW_TIMEOUT = 10.0
POOL_OBSERVE = 2.5      # keep watching for overshoot once grown
POOL_SHRINK_TIMEOUT = 20.0
HOLD_TIMEOUT = 20.0     # every held connection answered
RETIRE_GAP = 0.5        # least time between two retirements (one a second)

# 5. recycling
RECYCLE_AFTER = 5
RECYCLE_CONNS = 20

SINGLE_EVENT = [
    "ThreadsPerChild 1", "StartServers 1", "ServerLimit 1",
    "MaxRequestWorkers 1", "MinSpareThreads 1", "MaxSpareThreads 1",
]
# Per MPM: a pool where one stalled client leaves room for the others.
SLOW_READER_CONF = {
    "event": SINGLE_EVENT,
    "threaded": ["ThreadsPerChild 2", "StartServers 1", "ServerLimit 4",
                 "MaxRequestWorkers 8"],
    # ThreadsPerChild means nothing to prefork, but the validator still
    # demands ThreadsPerChild <= MaxRequestWorkers (reported).
    "prefork": ["StartServers 2", "ServerLimit 8", "MaxRequestWorkers 8",
                "ThreadsPerChild 1"],
}

PREFORK_POOL = {
    "mpm": "prefork", "per": 1, "start": 1, "spare_min": 1, "spare_max": 2,
    "limit": 8, "workers": 8, "hold": 6, "grown": 7,
}
THREADED_POOL = {
    "mpm": "threaded", "per": 4, "start": 1, "spare_min": 2, "spare_max": 6,
    "limit": 4, "workers": 16, "hold": 10, "grown": 3,
}

CRASH_LOG = re.compile(r"\[[^\]\s]*:(emerg|alert|crit)\]|killed by signal|"
                       r"exited with status [1-9]|core dumped|"
                       r"AddressSanitizer|LeakSanitizer|runtime error:")


def check_no_crash(srv):
    bad = [ln for ln in srv.error_text().splitlines()
           if CRASH_LOG.search(ln)]
    true(not bad, "crash lines in %s:\n%s" % (srv.error_log,
                                               "\n".join(bad[:20])))
    true(not CRASH_LOG.search(t.read_text(srv.stderr)),
         "crash lines on master stderr:\n" + t.tail(srv.stderr))


def finish(srv):
    """The end of every test: no crash logged, a clean SIGTERM stop."""
    check_no_crash(srv)
    srv.stop()
    check_no_crash(srv)


def timed_get(port, target="/small.txt", bound=PROMPT, what="request"):
    """GET on a new connection, answered correctly within BOUND."""
    start = time.monotonic()
    r = t.get(port, target)
    took = time.monotonic() - start
    eq(r.status, 200, "%s status" % what)
    if target == "/small.txt":
        eq(r.body, t.SMALL_DATA, "%s body" % what)
    true(took < bound, "%s took %.3f s (bound %.1f s)" % (what, took, bound))
    return took


def timed_exchange(client, bound, what):
    start = time.monotonic()
    r = client.exchange(request("GET", "/small.txt"))
    took = time.monotonic() - start
    eq(r.status, 200, "%s status" % what)
    eq(r.body, t.SMALL_DATA, "%s body" % what)
    true(not r.closes(), "%s: server closed a keep-alive connection" % what)
    true(took < bound, "%s took %.3f s (bound %.1f s)" % (what, took, bound))


def threads_of(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def check_event_threads(srv, per_child, conns):
    """Idle connections cost no thread: one process with its fixed set."""
    pids = srv.worker_pids()
    eq(len(pids), 1, "worker processes with ServerLimit 1")
    n = threads_of(pids[0])
    true(0 < n <= per_child + EVENT_EXTRA_THREADS, "mpm-event pid %d has "
         "%d threads with %d idle connections open (ThreadsPerChild %d)"
         % (pids[0], n, conns, per_child))


def close_all(clients):
    for c in clients:
        try:
            c.close()
        except OSError:
            pass


# ------------------------------------------ 1. idle keep-alive on event

def test_event_idle_keepalive():
    t.need_mpms("event")
    conf = SINGLE_EVENT + ["KeepAliveTimeout %d" % LONG_KEEPALIVE,
                           "MaxKeepAliveRequests 0"]
    with t.Server("event", conf, "idle") as srv:
        srv.start()
        idle = []
        try:
            for i in range(IDLE_CONNS):
                c = srv.connect()
                idle.append(c)
                timed_exchange(c, t.IO_TIMEOUT, "idle connection %d" % i)
            check_event_threads(srv, 1, IDLE_CONNS)
            for i in range(SEQ_REQUESTS):
                timed_get(srv.port, what="new connection %d of %d with %d "
                          "idle open" % (i + 1, SEQ_REQUESTS, IDLE_CONNS))
            step = IDLE_CONNS // REUSE_REQUESTS
            for i in range(0, IDLE_CONNS, step):
                timed_exchange(idle[i], PROMPT,
                               "second request on idle connection %d" % i)
        finally:
            close_all(idle)
        timed_get(srv.port, what="request after closing the idle ones")
        finish(srv)


# --------------------------------------------------- 2. slow reader

def huge_size():
    """Bigger than anything the kernel can buffer between the server's
    send queue and a small client receive buffer."""
    try:
        with open(TCP_WMEM) as f:
            wmem_max = int(f.read().split()[2])
    except (OSError, ValueError, IndexError):
        wmem_max = 0
    return max(HUGE_MIN, 2 * wmem_max + HUGE_MIN // 2)


def write_huge(srv, size):
    path = os.path.join(srv.docroot, HUGE_NAME)
    chunk = t.BIG_DATA
    with open(path, "wb") as f:
        left = size
        while left > 0:
            part = chunk[:left]
            f.write(part)
            left -= len(part)
    os.chmod(path, 0o644)


def stalled_reader(port):
    """A connection that asked for the huge file and reads nothing."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SLOW_RCVBUF)
    s.settimeout(t.IO_TIMEOUT)
    s.connect((t.HOST, port))
    s.sendall(request("GET", "/" + HUGE_NAME,
                      [("Connection", "close")]))
    return s


def drain(sock, timeout):
    """Reads to EOF; returns (head, body length)."""
    deadline = time.monotonic() + timeout
    data = bytearray()
    head = None
    body = 0
    while True:
        left = deadline - time.monotonic()
        true(left > 0, "slow reader: no EOF within %.0f s (%d body bytes)"
             % (timeout, body))
        sock.settimeout(left)
        chunk = sock.recv(t.RECV_CHUNK)
        if not chunk:
            return head, body
        if head is None:
            data += chunk
            if b"\r\n\r\n" in data:
                head, rest = bytes(data).split(b"\r\n\r\n", 1)
                body = len(rest)
                data = None
        else:
            body += len(chunk)


def test_slow_reader(mpm):
    size = huge_size()
    with t.Server(mpm, SLOW_READER_CONF[mpm], "slowread") as srv:
        write_huge(srv, size)
        srv.start()
        slow = stalled_reader(srv.port)
        try:
            time.sleep(STALL_SETTLE)
            for i in range(OTHERS):
                timed_get(srv.port, bound=OTHER_BOUND,
                          what="request %d of %d beside a stalled %d-byte "
                          "download" % (i + 1, OTHERS, size))
            head, got = drain(slow, HUGE_READ_TIMEOUT)
        finally:
            slow.close()
        true(head is not None and head.startswith(b"HTTP/1.1 200 "),
             "slow reader's response head: %r" % (head or b"")[:200])
        eq(got, size, "bytes the slow reader finally received")
        finish(srv)


# --------------------------------------------------- 3. slow sender

class Trickler(threading.Thread):
    """Sends one request head a byte at a time, then reads the answer."""

    def __init__(self, port, raw):
        super().__init__(daemon=True)
        self.port = port
        self.raw = raw
        self.response = None
        self.error = None

    def run(self):
        try:
            with t.Client(self.port, HEADER_TIMEOUT) as c:
                for i in range(len(self.raw)):
                    c.send(self.raw[i:i + 1])
                    time.sleep(TRICKLE_INTERVAL)
                self.response = c.read_response()
        except Exception as e:  # noqa: B902 - reported by the main thread
            self.error = e


def test_slow_sender():
    t.need_mpms("event")
    conf = SINGLE_EVENT + ["RequestReadTimeout header=%d body=%d"
                           % (HEADER_TIMEOUT, HEADER_TIMEOUT)]
    raw = request("GET", "/small.txt")
    with t.Server("event", conf, "slowsend") as srv:
        srv.start()
        slow = Trickler(srv.port, raw)
        slow.start()
        served = 0
        while slow.is_alive():
            timed_get(srv.port, what="request %d while a head arrives one "
                      "byte every %.1f s" % (served + 1, TRICKLE_INTERVAL))
            served += 1
        slow.join()
        true(slow.error is None, "slow sender: %r" % slow.error)
        eq(slow.response.status, 200, "slow sender's status")
        eq(slow.response.body, t.SMALL_DATA, "slow sender's body")
        true(served >= MIN_OVERLAP, "only %d requests served during the "
             "%.1f s trickle" % (served, len(raw) * TRICKLE_INTERVAL))
        finish(srv)


# ---------------------------------------------------------- 4. pools

def pool_conf(p):
    if p["mpm"] == "prefork":
        spare = ["MinSpareServers %d" % p["spare_min"],
                 "MaxSpareServers %d" % p["spare_max"]]
    else:
        spare = ["MinSpareThreads %d" % p["spare_min"],
                 "MaxSpareThreads %d" % p["spare_max"]]
    return spare + [
        "ThreadsPerChild %d" % p["per"],
        "StartServers %d" % p["start"],
        "ServerLimit %d" % p["limit"],
        "MaxRequestWorkers %d" % p["workers"],
        "KeepAliveTimeout %d" % LONG_KEEPALIVE,
        "MaxKeepAliveRequests 0",
    ]


def pool_settled(p):
    """Processes left once idle: the pool retires one process at a time
    while it holds more than MaxSpare idle slots (rounded up to a whole
    process) and more than StartServers processes."""
    n = p["limit"]
    while n > p["start"] and n * p["per"] > p["spare_max"] + p["per"] - 1:
        n -= 1
    return n


class Watch:
    """Samples the process count; remembers the peak and the history."""

    def __init__(self, srv):
        self.srv = srv
        self.peak = 0
        self.history = []   # (time, count) at each change
        self.gaps = []      # time since the sample before each change
        self.last = None

    def sample(self):
        n = len(self.srv.worker_pids())
        now = time.monotonic()
        self.peak = max(self.peak, n)
        if not self.history or self.history[-1][1] != n:
            self.history.append((round(now, 2), n))
            self.gaps.append(now - self.last if self.last else 0.0)
        self.last = now
        return n

    def until(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        while True:
            n = self.sample()
            if pred(n):
                return n
            if time.monotonic() >= deadline:
                raise AssertionError("timed out after %.0f s waiting for %s;"
                                     " process counts (time, n): %s\n%s"
                                     % (timeout, what, self.history,
                                        self.srv.diag()))
            time.sleep(t.POLL_INTERVAL)

    def mark(self):
        """Index of the next change, for looking at what follows."""
        return len(self.history)

    def during(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.sample()
            time.sleep(t.POLL_INTERVAL)


def check_gradual(w, since):
    """The pool retires idle processes one at a time, a tick apart: no
    drop by more than one, no two drops closer than RETIRE_GAP."""
    first = max(since - 1, 0)
    changes = w.history[first:]
    for i, ((_, n0), (_, n1)) in enumerate(zip(changes, changes[1:])):
        gap = w.gaps[first + i + 1]
        true(n1 >= n0 or n0 - n1 == 1, "%d processes retired at once (%d "
             "-> %d between two samples %.0f ms apart); history %s"
             % (n0 - n1, n0, n1, gap * 1000, w.history))
    drops = [tm for (_, n0), (tm, n1) in zip(changes, changes[1:])
             if n1 < n0]
    for a, b in zip(drops, drops[1:]):
        true(b - a >= RETIRE_GAP, "two retirements %.2f s apart; history %s"
             % (b - a, w.history))


def hold(srv, n):
    """N keep-alive connections, each with a request sent (answered once
    a process or thread takes it)."""
    clients = []
    for _ in range(n):
        c = srv.connect(HOLD_TIMEOUT)
        c.send(request("GET", "/small.txt"))
        clients.append(c)
    return clients


def check_held(clients):
    for i, c in enumerate(clients):
        r = c.read_response(timeout=HOLD_TIMEOUT)
        eq(r.status, 200, "held connection %d status" % i)
        true(not r.closes(), "held connection %d was closed" % i)


def test_pool(p):
    t.need_mpms(p["mpm"])
    with t.Server(p["mpm"], pool_conf(p), "pool") as srv:
        srv.start()
        w = Watch(srv)
        clients = hold(srv, p["hold"])
        try:
            w.until(lambda n: n >= p["grown"], POOL_GROW_TIMEOUT,
                    ">= %d processes with %d connections held"
                    % (p["grown"], p["hold"]))
            check_held(clients)
            w.during(POOL_OBSERVE)
        finally:
            close_all(clients)
        true(w.peak <= p["limit"], "%d processes, above ServerLimit %d; "
             "history %s" % (w.peak, p["limit"], w.history))
        released = w.mark()
        settled = pool_settled(p)
        w.until(lambda n: n <= settled, POOL_SHRINK_TIMEOUT,
                "<= %d processes after the load" % settled)
        w.during(POOL_OBSERVE)
        check_gradual(w, released)
        true(w.sample() >= p["start"], "fewer than StartServers processes;"
             " history %s" % w.history)
        true(w.peak <= p["limit"], "%d processes, above ServerLimit %d; "
             "history %s" % (w.peak, p["limit"], w.history))
        timed_get(srv.port, what="request after the pool shrank")
        finish(srv)


# ------------------------------------------------------ 5. recycling

def test_recycle():
    t.need_mpms("prefork")
    conf = ["MaxConnectionsPerChild %d" % RECYCLE_AFTER, "StartServers 2",
            "MinSpareServers 1", "MaxSpareServers 2", "ServerLimit 2",
            "MaxRequestWorkers 2", "ThreadsPerChild 1"]
    with t.Server("prefork", conf, "recycle") as srv:
        srv.start()
        before = set(srv.wait_workers(2))
        seen = set(before)
        for i in range(RECYCLE_CONNS):
            r = t.get(srv.port, "/small.txt")
            eq(r.status, 200, "connection %d status" % (i + 1))
            eq(r.body, t.SMALL_DATA, "connection %d body" % (i + 1))
            seen.update(srv.worker_pids())
        after = set(srv.worker_pids())
        # Two processes of at most 5 connections each cannot have
        # served 20: both of the first ones must be gone.
        true(not (before & after), "workers %s survived %d connections "
             "with MaxConnectionsPerChild %d (now %s)"
             % (sorted(before & after), RECYCLE_CONNS, RECYCLE_AFTER,
                sorted(after)))
        true(len(seen) > len(before), "no new worker pid seen")
        retired = [ln for ln in srv.error_text().splitlines()
                   if "retired" in ln]
        true(retired, "no 'retired' line in the error log\n" + srv.diag())
        finish(srv)


# ------------------------------------------------ 6. same answers

SAME_REQUESTS = [
    ("GET /", "GET", "/", ()),
    ("HEAD /", "HEAD", "/", ()),
    ("404", "GET", "/no-such-file.html", ()),
    ("301", "GET", "/sub", ()),
    ("range", "GET", "/small.txt", (("Range", "bytes=100-199"),)),
    ("416", "GET", "/small.txt", (("Range", "bytes=%d-" % (t.SMALL_SIZE *
                                                          4)),)),
    ("304", "GET", "/small.txt", (("If-Modified-Since",
                                   t.FIXED_MTIME_TEXT),)),
    ("405", "POST", "/", ()),
]
SAME_EXPECT = {"GET /": 200, "HEAD /": 200, "404": 404, "301": 301,
               "range": 206, "416": 416, "304": 304, "405": 405}
VOLATILE = ("date",)


def answer(port, method, target, headers):
    r = t.fetch(port, method, target, list(headers),
                b"x" if method == "POST" else b"")
    hdrs = [(k.lower(), v) for k, v in r.headers if k.lower() not in VOLATILE]
    return r.status, hdrs, r.body


def collect(srv):
    out = {}
    for name, method, target, headers in SAME_REQUESTS:
        out[name] = answer(srv.port, method, target, headers)
        eq(out[name][0], SAME_EXPECT[name], "%s on %s" % (name, srv.mpm))
    return out


def diff(a, b):
    return ("\n  only in the first: %s\n  only in the second: %s"
            % (sorted(set(a) - set(b)), sorted(set(b) - set(a))))


def test_same_answers():
    mpms = t.mpms()
    if len(mpms) < 2:
        t.skip("fewer than two MPMs built or selected")
    # One ServerRoot for all, so each file has the same inode and mtime.
    srv = t.Server(mpms[0], tag="same")
    got = {}
    for mpm in mpms:
        srv.mpm = mpm
        srv.start()
        got[mpm] = collect(srv)
        finish(srv)
    first = mpms[0]
    bad = []
    for mpm in mpms[1:]:
        for name, *_ in SAME_REQUESTS:
            a, b = got[first][name], got[mpm][name]
            if a[0] != b[0]:
                bad.append("%s: status %d on %s, %d on %s"
                           % (name, a[0], first, b[0], mpm))
            if a[1] != b[1]:
                bad.append("%s: headers differ between %s and %s:%s"
                           % (name, first, mpm, diff(a[1], b[1])))
            if a[2] != b[2]:
                bad.append("%s: bodies differ between %s and %s (%d vs %d "
                           "bytes)" % (name, first, mpm, len(a[2]),
                                       len(b[2])))
    true(not bad, "\n".join(bad))


# ------------------------------------------------------------ register

def build():
    runner, mpms = t.mpm_runner()
    if not mpms:
        return runner
    runner.add("[event] %d idle keep-alive connections on one thread; new "
               "and reused connections answered within %.0f s"
               % (IDLE_CONNS, PROMPT), test_event_idle_keepalive)
    for mpm in mpms:
        runner.add("[%s] a stalled reader of a huge file does not block %d "
                   "other requests" % (mpm, OTHERS), test_slow_reader, mpm)
    runner.add("[event] a head trickling in a byte every %.1f s does not "
               "delay others" % TRICKLE_INTERVAL, test_slow_sender)
    for p in (PREFORK_POOL, THREADED_POOL):
        runner.add("[%s] pool grows to >= %d processes for %d held "
                   "connections, stays <= %d, shrinks to %d"
                   % (p["mpm"], p["grown"], p["hold"], p["limit"],
                      pool_settled(p)), test_pool, p)
    runner.add("[prefork] MaxConnectionsPerChild %d recycles workers over "
               "%d connections" % (RECYCLE_AFTER, RECYCLE_CONNS),
               test_recycle)
    runner.add("every MPM gives the same status, headers and body",
               test_same_answers)
    return runner


if __name__ == "__main__":
    t.main(build())
