"""Idle keep-alive connections and single probe requests.

IdleClients opens N connections to a server, sends one keep-alive GET on
each, reads the complete response and then leaves the connection open and
silent: what a server holds for a browser between two clicks.  It is one
non-blocking epoll loop, so 10,000 connections cost one process.

A server that serves a connection with a thread or a process for as long
as it stays open (prefork, worker/threaded) answers only as many as it has
workers; the rest wait in the listen queue.  The client stops when every
connection is answered or when no new response has arrived for
stall_timeout seconds, and reports how many it holds.
"""

import errno
import selectors
import socket
import time

RECV_CHUNK = 65536
MAX_HEAD = 16384          # a response head bigger than this is an error
DEFAULT_WINDOW = 256      # connections in flight (connecting or waiting)
DEFAULT_STALL = 2.0       # seconds without a response: give up on the rest
DEFAULT_DEADLINE = 60.0   # bound on the whole opening phase
PROBE_TIMEOUT = 2.0       # a probe slower than this has failed


def request(path, keepalive=True):
    conn = "keep-alive" if keepalive else "close"
    return ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: mpmd-bench\r\n"
            "Connection: %s\r\n\r\n" % (path, conn)).encode()


def response_complete(buf):
    """(done, status): status is None until the head has arrived; done once
    Content-Length bytes of body are in.  Raises ValueError on junk."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        if len(buf) > MAX_HEAD:
            raise ValueError("response head over %d bytes" % MAX_HEAD)
        return False, None
    lines = buf[:end].split(b"\r\n")
    parts = lines[0].split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        raise ValueError("bad status line %r" % lines[0][:80])
    status = int(parts[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length is None:
        raise ValueError("response without Content-Length")
    return len(buf) - end - 4 >= length, status


class _Conn:
    __slots__ = ("sock", "buf", "state")

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.state = "connecting"


class IdleClients:
    """Holds up to N answered keep-alive connections; close() ends them."""

    def __init__(self, port, n, path, window=DEFAULT_WINDOW,
                 stall_timeout=DEFAULT_STALL, deadline=DEFAULT_DEADLINE):
        self.port = port
        self.n = n
        self.req = request(path)
        self.window = window
        self.stall_timeout = stall_timeout
        self.deadline = deadline
        self.held = []
        self.failed = 0
        self.non200 = 0
        self.first_error = None
        self.open_seconds = 0.0
        self._sel = selectors.DefaultSelector()
        self._pending = 0
        self._started = 0

    def open(self):
        """Run the opening phase; returns the number of connections held."""
        t0 = time.monotonic()
        last_progress = t0
        try:
            while len(self.held) + self.failed < self.n:
                self._launch()
                now = time.monotonic()
                if (now - last_progress > self.stall_timeout
                        or now - t0 > self.deadline):
                    break
                if self._poll(0.1):
                    last_progress = time.monotonic()
        finally:
            self.open_seconds = time.monotonic() - t0
            self._drop_pending()
        return len(self.held)

    def _launch(self):
        while self._pending < self.window and self._started < self.n:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            self._started += 1
            err = s.connect_ex(("127.0.0.1", self.port))
            if err not in (0, errno.EINPROGRESS):
                self._fail(s, None, "connect: %s" % errno.errorcode.get(err))
                continue
            self._sel.register(s, selectors.EVENT_WRITE, _Conn(s))
            self._pending += 1

    def _poll(self, timeout):
        """One epoll round; True if some response completed."""
        progress = False
        for key, _ in self._sel.select(timeout):
            c = key.data
            try:
                if c.state == "connecting":
                    self._connected(c)
                elif self._readable(c):
                    progress = True
            except (OSError, ValueError) as e:
                self._fail(c.sock, c, str(e))
        return progress

    def _connected(self, c):
        err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            raise OSError(err, "connect: %s" % errno.errorcode.get(err))
        c.sock.sendall(self.req)  # tiny: fits in an empty send buffer
        c.state = "reading"
        self._sel.modify(c.sock, selectors.EVENT_READ, c)

    def _readable(self, c):
        data = c.sock.recv(RECV_CHUNK)
        if not data:
            raise OSError(errno.ECONNRESET, "closed before the response")
        c.buf += data
        done, status = response_complete(c.buf)
        if not done:
            return False
        self._sel.unregister(c.sock)
        self._pending -= 1
        c.buf = b""
        if status != 200:
            self.non200 += 1
        self.held.append(c.sock)
        return True

    def _fail(self, sock, c, why):
        if c is not None:
            self._sel.unregister(sock)
            self._pending -= 1
        sock.close()
        self.failed += 1
        if self.first_error is None:
            self.first_error = why

    def _drop_pending(self):
        """Close what is still connecting or waiting: it is not held."""
        for key in list(self._sel.get_map().values()):
            self._sel.unregister(key.fileobj)
            key.fileobj.close()
        self._pending = 0

    def close(self):
        for s in self.held:
            s.close()
        self.held = []
        self._sel.close()


def probe(port, path, timeout=PROBE_TIMEOUT):
    """One GET on a new connection; (seconds, status) or (None, error)."""
    t0 = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port),
                                      timeout=timeout) as s:
            s.sendall(request(path, keepalive=False))
            buf = b""
            while True:
                data = s.recv(RECV_CHUNK)
                if not data:
                    raise OSError("closed before the response")
                buf += data
                done, status = response_complete(buf)
                if done:
                    return time.monotonic() - t0, status
    except (OSError, ValueError) as e:
        return None, str(e)
