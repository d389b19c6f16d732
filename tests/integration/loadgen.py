"""A bounded load generator for the graceful-restart tests.

Client threads request one URL in a loop until stopped: some keep one
connection alive across requests (reconnecting only when the server says
Connection: close), others open a new connection per request. Nothing is
retried: every attempt either is a complete 200 with the expected body or
is counted as a failure, by kind, with the first few described.

Python 3 standard library only; every socket operation has a timeout and
every thread ends at stop() or at its own deadline.
"""

import errno
import socket
import threading
import time

import mpmdtest as t

MAX_DETAILS = 20        # failures described in full
MAX_RUN = 120.0         # no load runs longer than this, stop() or not
JOIN_TIMEOUT = 2 * t.IO_TIMEOUT + 1

# Kinds of failure, by what the client saw.
REFUSED = "refused"         # connect() got ECONNREFUSED
RESET = "reset"             # ECONNRESET/EPIPE on an established connection
EOF = "eof"                 # closed before a complete response
TIMEOUT = "timeout"         # no complete response within IO_TIMEOUT
BAD = "bad-response"        # a response, but not the 200 and body we want
OTHER = "other"
CUT = (RESET, EOF)          # an in-flight request cut by the server


def classify(exc):
    if isinstance(exc, ConnectionRefusedError):
        return REFUSED
    if isinstance(exc, (ConnectionResetError, BrokenPipeError)):
        return RESET
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return TIMEOUT
    if isinstance(exc, t.ProtocolError):
        return EOF if "closed" in str(exc) else BAD
    if isinstance(exc, AssertionError):
        return BAD
    if isinstance(exc, OSError) and exc.errno == errno.ECONNREFUSED:
        return REFUSED
    if isinstance(exc, OSError) and exc.errno in (errno.ECONNRESET,
                                                  errno.EPIPE):
        return RESET
    return OTHER


class Load:
    """KEEPALIVE + ONESHOT threads against PORT, each asking for PATH and
    expecting BODY. PAUSE seconds between two requests of one thread."""

    def __init__(self, port, path, body, keepalive=3, oneshot=3, pause=0.0):
        self.port = port
        self.path = path
        self.body = body
        self.pause = pause
        self.lock = threading.Lock()
        self.halt = threading.Event()
        self.ok = {"keepalive": 0, "oneshot": 0}
        self.closes = 0         # keep-alive responses with Connection: close
        self.failures = {}      # kind -> count
        self.details = []       # (seconds since start, mode, kind, text)
        self.started = None
        self.threads = [threading.Thread(target=self._keepalive, daemon=True)
                        for _ in range(keepalive)]
        self.threads += [threading.Thread(target=self._oneshot, daemon=True)
                         for _ in range(oneshot)]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.started = time.monotonic()
        for th in self.threads:
            th.start()
        return self

    def stop(self):
        self.halt.set()
        for th in self.threads:
            th.join(JOIN_TIMEOUT)
        stuck = [th for th in self.threads if th.is_alive()]
        t.true(not stuck, "%d load threads did not stop" % len(stuck))
        return self

    def running(self):
        return (not self.halt.is_set() and
                time.monotonic() - self.started < MAX_RUN)

    # --- bookkeeping
    def _good(self, mode):
        with self.lock:
            self.ok[mode] += 1

    def _bad(self, mode, exc):
        kind = classify(exc)
        with self.lock:
            self.failures[kind] = self.failures.get(kind, 0) + 1
            if len(self.details) < MAX_DETAILS:
                self.details.append((time.monotonic() - self.started, mode,
                                     kind, "%s: %s" % (type(exc).__name__,
                                                       exc)))

    def total_ok(self):
        with self.lock:
            return sum(self.ok.values())

    def failed(self, kinds=None):
        with self.lock:
            return sum(n for k, n in self.failures.items()
                       if kinds is None or k in kinds)

    def summary(self):
        with self.lock:
            fails = ", ".join("%s %d" % kv for kv in
                              sorted(self.failures.items())) or "none"
            return ("%d requests ok (%d keep-alive, %d new-connection; %d "
                    "keep-alive reconnects on Connection: close), failures: "
                    "%s" % (sum(self.ok.values()), self.ok["keepalive"],
                            self.ok["oneshot"], self.closes, fails))

    def report(self):
        """The summary and the first failures, one a line."""
        lines = [self.summary()]
        with self.lock:
            lines += ["  at %.2f s %s: %s: %s" % d for d in self.details]
        return "\n".join(lines)

    # --- clients
    def _check(self, r):
        if r.status != 200:
            raise AssertionError("status %d %s" % (r.status, r.reason))
        if r.body != self.body:
            raise AssertionError("body of %d bytes differs from the %d "
                                 "expected" % (len(r.body), len(self.body)))

    def _keepalive(self):
        req = t.request("GET", self.path)
        conn = None
        while self.running():
            try:
                if conn is None:
                    conn = t.Client(self.port)
                r = conn.exchange(req)
                self._check(r)
                self._good("keepalive")
                if r.closes():
                    with self.lock:
                        self.closes += 1
                    conn.close()
                    conn = None
            except Exception as e:  # noqa: B902 - every failure is counted
                self._bad("keepalive", e)
                if conn is not None:
                    conn.close()
                    conn = None
            self.halt.wait(self.pause)
        if conn is not None:
            conn.close()

    def _oneshot(self):
        req = t.request("GET", self.path, [("Connection", "close")])
        while self.running():
            try:
                with t.Client(self.port) as conn:
                    self._check(conn.exchange(req))
                self._good("oneshot")
            except Exception as e:  # noqa: B902 - every failure is counted
                self._bad("oneshot", e)
            self.halt.wait(self.pause)
