"""Hardening of the real server (TAP on stdout), one or more tests per
item of the issue, each asserting what a user would notice: out of file
descriptors a worker neither spins nor floods its log; no client byte
forges an error-log line; the access log is written promptly;
MaxConnectionsPerChild retires workers; one endless pipeline does not
starve other clients; dotfiles are 404; a date validator in the second of
the response is weak; RequestReadTimeout takes MinRate; event hands over
every connection it accepts; and three races an operator hits.

Python 3 standard library only. Every load is bounded in count and time,
every socket has a timeout, and only processes started here are killed.
"""

import os
import re
import secrets
import select
import selectors
import socket
import stat
import sys
import threading
import time
import urllib.parse
from email.utils import formatdate

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mpmdtest as t  # noqa: E402
from mpmdtest import ctl, eq, note, request, shown, true  # noqa: E402

# 1. out of file descriptors
NOFILE = 64                 # prlimit --nofile=NOFILE:NOFILE
HELD = 70                   # clients that each send one byte and wait
FD_SETTLE = 0.5             # the worker takes what it can
FD_WINDOW = 2.0             # then CPU and log growth are measured
FD_CPU_BOUND = 0.3          # seconds of CPU in FD_WINDOW
FD_LOG_BOUND = 4            # error-log lines in FD_WINDOW
EMFILE_LINE = "accept4: Too many open files: not accepting for 250 ms"
FORCE_EMFILE = "MaxOpenConnectionsPerChild 1000"

# 2. error-log injection
FORGED_STAMP = "[Sat Dec 05 00:00:00.000000 2026]"
EVIL_NAME = "evil\n%s [mpm-event:emerg] [pid 1] forged" % FORGED_STAMP
LOG_WAIT = 3.0

# 3. access log
PROMPT_LOG = 0.3            # the line is in the file this soon
LATE_LOOK = 2.0             # for the message: was it there later?

# 4. MaxConnectionsPerChild
RECYCLE_AFTER = 5
RECYCLE_CONNS = 15
RECYCLE_RETIRED = 2         # retirements at least

# 5. pipelining starvation
PIPE_BATCH = 20000          # client A pipelines batches of this many ...
PIPE_TIME = 3.0             # ... for this long, on one connection
PIPE_BOUND = 20.0           # A stops after this, answered or not
PIPE_RECV = 1 << 20         # A reads fast: the server never waits
OTHER_REQUESTS = 5          # client B, each on a new connection
OTHER_PAUSE = 0.05
OTHER_BOUND = 1.0           # B's worst latency
OTHER_TIMEOUT = 10.0

# 6. dotfiles
DOTFILES = {
    ".htpasswd": b"admin:$apr1$not-for-you\n",
    ".git/config": b"[core]\n\trepositoryformatversion = 0\n",
    "sub/.hidden": b"hidden\n",
    ".well-known/acme.txt": b"acme challenge\n",
}
HIDDEN_TARGETS = ("/.htpasswd", "/.git/config", "/sub/.hidden",
                  "/%2Ehtpasswd")

# 7. If-Range
FRESH_TRIES = 3             # a second boundary may fall between
HOUR = 3600

# 8. RequestReadTimeout with MinRate
HEADER_MIN, HEADER_MAX, MIN_RATE = 2, 6, 100
RATE_CONF = ["RequestReadTimeout header=%d-%d,MinRate=%d"
             % (HEADER_MIN, HEADER_MAX, MIN_RATE)]
DRIP_INTERVAL = 0.5         # the slowloris sends a byte this often
DRIP_BOUND = 3.5            # and is cut before this
DRIP_FLOOR = 1.5            # but not before this
DRIP_GIVEUP = 6.0
PAD = 1150                  # the steady client's padding header ...
PIECE = 100                 # ... sent this many bytes ...
PIECE_INTERVAL = 0.25       # ... this often (400 bytes/s)

# 9. event handoffs
BURST = 300
BURST_BOUND = 20.0
HANDOFF_LOOPS = 4

# 11. races
RACE_TRIES = 5              # until one graceful lands in the start
RACE_CONF = ["StartServers 8"]
SOCKET_WAIT = 0.005
QUEUED = "graceful: queued until the reload in progress ends"


def pool(mpm, start, limit, threads=1):
    """A small pool: START processes, at most LIMIT, of THREADS threads
    (prefork: one or two idle processes)."""
    conf = ["StartServers %d" % start, "ServerLimit %d" % limit]
    if mpm == "prefork":
        return conf + ["MinSpareServers 1", "MaxSpareServers 2"]
    return conf + ["ThreadsPerChild %d" % threads, "MinSpareThreads 1",
                   "MaxSpareThreads %d" % threads]


def finish(srv):
    """No crash logged, and a clean SIGTERM stop."""
    bad = [ln for ln in srv.error_text().splitlines()
           if re.search(r"killed by signal|core dumped|Sanitizer", ln)]
    true(not bad, "crash lines in the error log:\n" + "\n".join(bad[:10]))
    srv.stop()


def close_quietly(socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


class Ctx:
    """The servers shared by the tests of one MPM."""

    def __init__(self, mpm):
        self.mpm = mpm
        self.main = t.LazyServer(mpm, (), "harden")
        self.log = t.LazyServer(mpm, (), "accesslog")
        self.dot = t.LazyServer(mpm, ["ServeDotFiles On"], "dotfiles")
        self.rate = t.LazyServer(mpm, RATE_CONF, "minrate")

    def lazies(self):
        return (self.main, self.log, self.dot, self.rate)


# ------------------------------------------------ 1. out of file descriptors

def hold_clients(port, n):
    """N connections, each having sent one byte of a request."""
    socks = []
    try:
        for _ in range(n):
            s = socket.create_connection((t.HOST, port), timeout=t.IO_TIMEOUT)
            socks.append(s)
            s.sendall(b"G")
    except BaseException:
        close_quietly(socks)
        raise
    return socks


class Sample:
    """CPU of each worker and the size of the error log, now."""

    def __init__(self, srv):
        self.cpu = {p: t.cpu_seconds(p) for p in srv.worker_pids()}
        self.log_size = os.path.getsize(srv.error_log)
        self.at = time.monotonic()

    def cpu_since(self, before):
        """CPU the workers alive now used since BEFORE."""
        return sum(v - before.cpu.get(p, 0.0) for p, v in self.cpu.items())


def log_since(srv, sample):
    """The error-log lines written since SAMPLE."""
    with open(srv.error_log, "rb") as f:
        f.seek(sample.log_size)
        return f.read().decode("utf-8", "replace").splitlines()


def out_of_fds(srv):
    """Starts SRV under prlimit --nofile, holds HELD clients and measures
    FD_WINDOW: (held sockets, CPU seconds, new error-log lines)."""
    srv.start(wrapper=["prlimit", "--nofile=%d:%d" % (NOFILE, NOFILE)])
    socks = hold_clients(srv.port, HELD)
    try:
        time.sleep(FD_SETTLE)
        before = Sample(srv)
        time.sleep(FD_WINDOW)
        after = Sample(srv)
        cpu = after.cpu_since(before)
        lines = log_since(srv, before)
    except BaseException:
        close_quietly(socks)
        raise
    note("[%s] nofile %d, %d clients: workers %s used %.2f s CPU in %.1f s;"
         " %d error-log lines (%d bytes)"
         % (srv.mpm, NOFILE, HELD, sorted(after.cpu), cpu,
            after.at - before.at, len(lines),
            after.log_size - before.log_size))
    return socks, cpu, lines


def check_quiet(mpm, cpu, lines):
    shown_lines = "\n".join(lines[:5])
    true(cpu < FD_CPU_BOUND, "[%s] workers used %.2f s CPU in %.1f s with "
         "%d clients held under nofile %d (bound %.1f s); log:\n%s"
         % (mpm, cpu, FD_WINDOW, HELD, NOFILE, FD_CPU_BOUND, shown_lines))
    true(len(lines) <= FD_LOG_BOUND, "[%s] %d error-log lines in %.1f s "
         "(bound %d), first:\n%s" % (mpm, len(lines), FD_WINDOW,
                                     FD_LOG_BOUND, shown_lines))


def fd_pool(mpm):
    """One process with one thread; prefork may start a second."""
    return pool(mpm, 1, 2 if mpm == "prefork" else 1)


def test_fd_limit(mpm):
    with t.Server(mpm, fd_pool(mpm), "nofile") as srv:
        socks, cpu, lines = out_of_fds(srv)
        try:
            check_quiet(mpm, cpu, lines)
        finally:
            close_quietly(socks)
        finish(srv)


def test_fd_emfile(mpm):
    with t.Server(mpm, fd_pool(mpm) + [FORCE_EMFILE], "emfile") as srv:
        socks, cpu, lines = out_of_fds(srv)
        try:
            check_quiet(mpm, cpu, lines)
            warned = [ln for ln in lines if EMFILE_LINE in ln]
            # prefork and threaded hold one connection a thread: only
            # event reaches the fd limit.
            if mpm == "event":
                true(warned, "no '%s' in the error log; tail:\n%s"
                     % (EMFILE_LINE, t.tail(srv.error_log, 10)))
            true(len(warned) <= FD_WINDOW + 1, "%d '%s' lines in %.1f s"
                 % (len(warned), EMFILE_LINE, FD_WINDOW))
        finally:
            close_quietly(socks)
        r = t.get(srv.port, "/")
        eq(r.status, 200, "GET / once the %d clients closed" % HELD)
        finish(srv)


# ----------------------------------------------- 2. error-log injection

def test_log_injection(c):
    """A socket file (opening it fails with ENXIO: a 500, and the worker
    logs the path) whose name holds a newline and a forged log line. It
    is made with mknod: bind() takes no path as long as the docroot's."""
    srv = c.main.get()
    path = os.path.join(srv.docroot, EVIL_NAME)
    os.mknod(path, stat.S_IFSOCK | 0o666)
    try:
        target = "/" + urllib.parse.quote(EVIL_NAME)
        r = t.get(srv.port, target)
        eq(r.status, 500, "GET %s (a socket file: ENXIO)" % target)

        def logged():
            return [ln for ln in srv.error_text().splitlines()
                    if "evil" in ln]
        evil = t.wait_for(logged, LOG_WAIT, "the open failure in the log")
    finally:
        os.unlink(path)
    forged = [ln for ln in srv.error_text().splitlines()
              if ln.startswith(FORGED_STAMP)]
    true(not forged, "a client forged an error-log line:\n"
         + "\n".join(forged))
    eq(len(evil), 1, "error-log lines that mention the file")
    true("evil\\n" + FORGED_STAMP in evil[0], "the newline is not escaped "
         "as \\n in %r" % evil[0])


# --------------------------------------------------- 3. access log

def test_access_log_prompt(c):
    """On a server of its own: a line logged earlier could have set off a
    flush that takes this one along."""
    srv = c.log.get()
    probe = "/small.txt?probe=%s" % secrets.token_hex(8)
    r = t.get(srv.port, probe, {"Connection": "close"})
    eq(r.status, 200, "GET %s" % probe)
    answered = time.monotonic()
    want = '"GET %s HTTP/1.1" 200 ' % probe

    def logged():
        return want in srv.access_text()
    try:
        t.wait_for(logged, PROMPT_LOG, "the access-log line", interval=0.01)
    except AssertionError:
        later = False
        try:
            later = t.wait_for(logged, LATE_LOOK, "the line")
        except AssertionError:
            pass
        raise AssertionError("no %r in %s within %.1f s of the response "
                             "(%s %.1f s later)"
                             % (want, srv.access_log, PROMPT_LOG,
                                "there" if later else "still missing",
                                time.monotonic() - answered))


# ------------------------------------------- 4. MaxConnectionsPerChild

def test_recycle(mpm):
    conf = pool(mpm, 1, 2) + ["MaxConnectionsPerChild %d" % RECYCLE_AFTER]
    with t.Server(mpm, conf, "recycle") as srv:
        srv.start()
        first = set(srv.wait_workers(1))
        seen = set(first)
        for i in range(RECYCLE_CONNS):
            r = t.get(srv.port, "/", {"Connection": "close"})
            eq(r.status, 200, "connection %d" % (i + 1))
            seen.update(srv.worker_pids())

        def retired():
            n = len(re.findall(r" retired$", srv.error_text(), re.M))
            return n if n >= RECYCLE_RETIRED else None
        try:
            n = t.wait_for(retired, LOG_WAIT, "retirements")
        except AssertionError:
            raise AssertionError(
                "fewer than %d 'retired' lines after %d connections with "
                "MaxConnectionsPerChild %d; worker pids seen: %s (first %s)"
                "\n%s" % (RECYCLE_RETIRED, RECYCLE_CONNS, RECYCLE_AFTER,
                          sorted(seen), sorted(first), srv.diag()))
        note("[%s] %d retirements, worker pids seen %s"
             % (mpm, n, sorted(seen)))
        true(len(seen) >= len(first) + RECYCLE_RETIRED,
             "worker pids seen %s: fewer than %d new ones"
             % (sorted(seen), RECYCLE_RETIRED))
        finish(srv)


# ------------------------------------------- 5. pipelining starvation

class Pipeliner:
    """Client A: one connection, batches of PIPE_BATCH pipelined requests
    written as fast as the socket takes them for PIPE_TIME by one thread,
    the responses counted by another."""

    def __init__(self, port):
        self.sock = socket.create_connection((t.HOST, port),
                                             timeout=PIPE_BOUND)
        self.started = time.monotonic()
        self.deadline = self.started + PIPE_BOUND
        self.sent = 0
        self.writing = True
        self.answered = 0
        self.ok = 0
        self.errors = []
        self.first = threading.Event()
        self.ended = None
        self.threads = [threading.Thread(target=self._run, args=(fn,),
                                         daemon=True)
                        for fn in (self._write, self._read)]
        for th in self.threads:
            th.start()

    def _run(self, fn):
        try:
            fn()
        except (OSError, ValueError) as e:
            self.errors.append("%s: %s" % (fn.__name__, e))
        finally:
            self.first.set()

    def _write(self):
        batch = request("GET", "/small.txt") * PIPE_BATCH
        try:
            while time.monotonic() - self.started < PIPE_TIME:
                self.sock.sendall(batch)
                self.sent += PIPE_BATCH
        finally:
            self.writing = False

    def _read(self):
        heads = Counter(b"\r\n\r\n")
        oks = Counter(b"HTTP/1.1 200 ")
        buf = bytearray(PIPE_RECV)
        while ((self.writing or self.answered < self.sent) and
               time.monotonic() < self.deadline):
            n = self.sock.recv_into(buf)
            if not n:
                raise ValueError("closed after %d responses" % self.answered)
            data = bytes(buf[:n])
            self.answered = heads.feed(data)
            self.ok = oks.feed(data)
            if self.answered:
                self.first.set()
        self.ended = time.monotonic()

    def running(self):
        return self.ended is None

    def finish(self):
        for th in self.threads:
            th.join(max(0.0, self.deadline - time.monotonic()) + 1)
        self.sock.close()


class Counter:
    """Occurrences of PATTERN in a stream fed in pieces."""

    def __init__(self, pattern):
        self.pattern = pattern
        self.tail = b""
        self.n = 0

    def feed(self, data):
        buf = self.tail + data
        self.n += buf.count(self.pattern)
        self.tail = buf[-(len(self.pattern) - 1):]
        return self.n


def timed_root(port):
    """Seconds a GET / on a new connection takes; it must be a 200."""
    began = time.monotonic()
    with t.Client(port, timeout=OTHER_TIMEOUT) as cl:
        r = cl.exchange(request("GET", "/"))
    eq(r.status, 200, "client B's GET /")
    return time.monotonic() - began


def test_pipeline_starvation(mpm):
    # One event loop; two threads or processes for the others, so that
    # client B has somewhere to go.
    conf = {"event": pool(mpm, 1, 1), "threaded": pool(mpm, 1, 1, 2),
            "prefork": pool(mpm, 2, 2)}[mpm]
    with t.Server(mpm, conf + ["MaxKeepAliveRequests 0"], "pipeline") as srv:
        srv.start()
        a = Pipeliner(srv.port)
        try:
            true(a.first.wait(OTHER_TIMEOUT), "no response to A's pipeline")
            true(not a.errors, "client A: %s" % a.errors)
            took, during = [], 0
            for _ in range(OTHER_REQUESTS):
                busy = a.running()
                took.append(timed_root(srv.port))
                during += busy and a.running()
                time.sleep(OTHER_PAUSE)
        finally:
            a.finish()
        spent = (a.ended or time.monotonic()) - a.started
        note("[%s] client A: %d of %d pipelined answered in %.2f s; client "
             "B: %s s (%d of %d while A ran)"
             % (mpm, a.answered, a.sent, spent,
                " ".join("%.3f" % x for x in took), during, len(took)))
        true(not a.errors, "client A: %s" % a.errors)
        true(a.sent >= PIPE_BATCH, "client A sent nothing")
        eq((a.answered, a.ok), (a.sent, a.sent),
           "client A's responses (all, 200s) within %.0f s" % PIPE_BOUND)
        true(max(took) < OTHER_BOUND, "client B waited %.2f s (bound %.1f s)"
             " beside a pipeline of %d requests" % (max(took), OTHER_BOUND,
                                                    a.sent))
        finish(srv)


# ----------------------------------------------------------- 6. dotfiles

def put_files(srv, files):
    for name, data in files.items():
        path = os.path.join(srv.docroot, name)
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o644)


def test_dotfiles(c):
    srv = c.main.get()
    put_files(srv, DOTFILES)
    missing = t.get(srv.port, "/no-such-file")
    eq(missing.status, 404, "a missing file")
    bad = []
    for target in HIDDEN_TARGETS:
        r = t.get(srv.port, target)
        if (r.status, r.body) != (404, missing.body):
            bad.append("%s: %d %r" % (target, r.status, r.body[:60]))
    true(not bad, "not a missing file's 404: " + "; ".join(bad))
    r = t.get(srv.port, "/.well-known/acme.txt")
    eq((r.status, r.body), (200, DOTFILES[".well-known/acme.txt"]),
       "GET /.well-known/acme.txt")


def test_dotfiles_served(c):
    srv = c.dot.get()
    put_files(srv, DOTFILES)
    r = t.get(srv.port, "/.htpasswd")
    eq((r.status, r.body), (200, DOTFILES[".htpasswd"]),
       "GET /.htpasswd with ServeDotFiles On")


# -------------------------------------------------------- 7. If-Range

def if_range(srv, name, mtime):
    """A file NAME with mtime MTIME, asked for bytes 0-1 If-Range its
    date: (response, that date)."""
    path = os.path.join(srv.docroot, name)
    with open(path, "wb") as f:
        f.write(t.SMALL_DATA)
    os.chmod(path, 0o644)
    os.utime(path, (mtime, mtime))
    date = formatdate(mtime, usegmt=True)
    r = t.get(srv.port, "/" + name, {"Range": "bytes=0-1",
                                     "If-Range": date})
    return r, date


def test_if_range_fresh(c):
    """Written in the second of the response: a weak validator, so the
    range is ignored (RFC 9110 8.8.2.2, 13.1.5)."""
    srv = c.main.get()
    for attempt in range(FRESH_TRIES):
        time.sleep(1.02 - time.time() % 1)  # early in a second
        r, date = if_range(srv, "fresh%d.txt" % attempt, int(time.time()))
        if r.header("Date") == date:
            eq(r.status, 200, "If-Range with the Last-Modified of a file "
               "written in the second of the response (Date %s)" % date)
            eq(r.body, t.SMALL_DATA, "body of the 200")
            return
        note("attempt %d: Date %s after Last-Modified %s, again"
             % (attempt + 1, r.header("Date"), date))
    raise AssertionError("never answered in the second the file was "
                         "written, in %d attempts" % FRESH_TRIES)


def test_if_range_old(c):
    srv = c.main.get()
    r, date = if_range(srv, "old.txt", int(time.time()) - HOUR)
    eq(r.status, 206, "If-Range with the Last-Modified of an hour-old file")
    eq(r.body, t.SMALL_DATA[:2], "body of the 206")
    eq(r.header("Content-Range"), "bytes 0-1/%d" % t.SMALL_SIZE,
       "Content-Range")


# -------------------------------------- 8. RequestReadTimeout MinRate

def drip(port):
    """Slowloris: the request line, then a header byte every
    DRIP_INTERVAL. (seconds until answered or closed, status or None)."""
    trickle = b"X-Slow: " + b"a" * int(DRIP_GIVEUP / DRIP_INTERVAL + 1)
    with t.Client(port, timeout=DRIP_GIVEUP) as cl:
        began = time.monotonic()
        cl.send(b"GET / HTTP/1.1\r\n")
        for i in range(len(trickle)):
            if time.monotonic() - began > DRIP_GIVEUP:
                return time.monotonic() - began, "still open"
            if select.select([cl.sock], [], [], DRIP_INTERVAL)[0]:
                break
            try:
                cl.send(trickle[i:i + 1])
            except (BrokenPipeError, ConnectionResetError):
                break
        took = time.monotonic() - began
        try:
            return took, cl.read_response(timeout=t.CLOSE_TIMEOUT).status
        except (t.ProtocolError, ConnectionResetError):
            return took, None


def steady(port):
    """A long head at PIECE bytes every PIECE_INTERVAL: (seconds it
    took to send, status)."""
    head = request("GET", "/", {"X-Pad": "p" * PAD})
    with t.Client(port, timeout=t.IO_TIMEOUT) as cl:
        began = time.monotonic()
        for off in range(0, len(head), PIECE):
            if off:
                time.sleep(PIECE_INTERVAL)
            cl.send(head[off:off + PIECE])
        took = time.monotonic() - began
        return took, cl.read_response().status


def in_thread(fn, *args):
    """Runs FN(*ARGS) in a thread; returns a join() for its result."""
    out = {}

    def run():
        try:
            out["value"] = fn(*args)
        except Exception as e:  # reported by join()
            out["error"] = e
    th = threading.Thread(target=run, daemon=True)
    th.start()

    def join():
        th.join(DRIP_GIVEUP + t.IO_TIMEOUT)
        true(not th.is_alive(), "%s still running" % fn.__name__)
        if "error" in out:
            raise out["error"]
        return out["value"]
    return join


def test_min_rate(c):
    port = c.rate.get().port
    slow = in_thread(drip, port)
    fast = in_thread(steady, port)
    slow_took, slow_status = slow()
    fast_took, fast_status = fast()
    note("[%s] %s: slowloris cut after %.2f s (%s); %d-byte head at %d "
         "bytes/s took %.2f s, got %s"
         % (c.mpm, RATE_CONF[0], slow_took, slow_status, PAD,
            PIECE / PIECE_INTERVAL, fast_took, fast_status))
    true(slow_status in (408, None), "slowloris got %s" % slow_status)
    true(DRIP_FLOOR <= slow_took < DRIP_BOUND, "slowloris cut after %.2f s"
         " (header=%d: want %.1f..%.1f s)" % (slow_took, HEADER_MIN,
                                               DRIP_FLOOR, DRIP_BOUND))
    true(fast_took > HEADER_MIN, "the steady head took only %.2f s"
         % fast_took)
    eq(fast_status, 200, "a head sent at %d bytes/s in %.2f s"
       % (PIECE / PIECE_INTERVAL, fast_took))


# --------------------------------------------------- 9. event handoffs

def burst(port, n, tag):
    """N connections opened at once, each sending one GET with
    Connection: close: the status each got (None: no complete answer)."""
    sel = selectors.DefaultSelector()
    state = {}
    try:
        for i in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex((t.HOST, port))
            state[s] = [request("GET", "/small.txt?%s=%d" % (tag, i),
                                {"Connection": "close"}), b""]
            sel.register(s, selectors.EVENT_WRITE)
        deadline = time.monotonic() + BURST_BOUND
        open_ = n
        while open_ and time.monotonic() < deadline:
            for key, _ in sel.select(deadline - time.monotonic()):
                open_ -= burst_step(sel, key.fileobj, state[key.fileobj])
        return [burst_status(st[1]) for st in state.values()]
    finally:
        sel.close()
        close_quietly(state)


def burst_step(sel, s, st):
    """Writes the request or reads; 1 when S is done."""
    try:
        if st[0]:
            st[0] = st[0][s.send(st[0]):]
            if not st[0]:
                sel.modify(s, selectors.EVENT_READ)
            return 0
        data = s.recv(t.RECV_CHUNK)
    except BlockingIOError:
        return 0
    except OSError:
        data = b""
    if data:
        st[1] += data
        return 0
    sel.unregister(s)
    return 1


def burst_status(data):
    m = re.match(rb"HTTP/1\.1 (\d{3}) ", data)
    return int(m.group(1)) if m and b"\r\n\r\n" in data else None


def test_event_handoffs():
    t.need_mpms("event")
    with t.Server("event", pool("event", 1, 1, HANDOFF_LOOPS),
                  "handoff") as srv:
        srv.start()
        tag = "burst%s" % secrets.token_hex(4)
        began = time.monotonic()
        got = burst(srv.port, BURST, tag)
        took = time.monotonic() - began

        def lines():
            return srv.access_text().count("?%s=" % tag)
        try:
            t.wait_for(lambda: lines() >= BURST, LOG_WAIT, "log lines")
        except AssertionError:
            pass
        counts = {}
        for status in got:
            counts[status] = counts.get(status, 0) + 1
        note("%d connections at once: statuses %s in %.2f s; %d access-log "
             "lines" % (BURST, counts, took, lines()))
        eq(counts, {200: BURST}, "statuses of %d connections" % BURST)
        eq(lines(), BURST, "access-log lines")
        finish(srv)


# ------------------------------------------------------------ 11. races

def test_graceful_at_start():
    """mpmctl graceful while the start still settles waits for it; tried
    until one got there in time (the master says it queued it)."""
    mpm = t.first_mpm()
    for attempt in range(1, RACE_TRIES + 1):
        with t.Server(mpm, RACE_CONF, "race") as srv:
            srv.write_config()
            sock = os.path.join(srv.logs, "mpmd.sock")
            srv.spawn()
            t.wait_for(lambda: os.path.exists(sock) or not srv.running(),
                       t.START_TIMEOUT, "the control socket",
                       interval=SOCKET_WAIT)
            true(srv.running(), "mpmd exited: %s\n%s"
                 % (srv.proc.returncode, srv.diag()))
            res = ctl(srv, "graceful")
            eq(res[0], 0, "attempt %d: mpmctl graceful right after the "
               "start\n%s" % (attempt, shown(res)))
            t.assert_serving(srv, "after the graceful")
            queued = QUEUED in srv.error_text()
            finish(srv)
        note("attempt %d: graceful %s" % (attempt, "queued behind the start"
                                          if queued else "after the start"))
        if queued:
            return


def test_one_thread_event():
    """ThreadsPerChild 1 for event needs no MaxRequestWorkers."""
    t.need_mpms("event")
    conf = ["ThreadsPerChild 1", "StartServers 2", "MinSpareThreads 1",
            "MaxSpareThreads 2"]
    with t.Server("event", conf, "onethread") as srv:
        res = t.run([t.MPMD, "-t", "-f", srv.write_config()])
        eq(res[0], 0, "mpmd -t with ThreadsPerChild 1\n" + shown(res))
        true("Syntax OK" in res[1], "no Syntax OK\n" + shown(res))
        srv.start()
        t.assert_serving(srv, "with ThreadsPerChild 1")
        finish(srv)


def test_group_root():
    if not t.is_root():
        t.skip("not root: the workers' Group is not used")
    srv = t.Server(t.first_mpm(), ["Group root"], "grouproot")
    conf = srv.write_config()
    line = srv.config_text().splitlines().index("Group root") + 1
    res = t.run([t.MPMD, "-t", "-f", conf])
    true(res[0] != 0 and "Syntax OK" not in res[1],
         "mpmd -t accepted Group root\n" + shown(res))
    where = "%s:%d: " % (conf, line)
    true(any(ln.startswith(where) and "group root" in ln
             for ln in res[2].splitlines()),
         "no '%s... group root ...' message\n%s" % (where, shown(res)))


# ------------------------------------------------------------ register

PER_MPM = [
    ("1. under nofile %d, %d clients holding one byte: no spin, no log "
     "flood" % (NOFILE, HELD), test_fd_limit),
    ("1. %s under nofile %d: EMFILE paused and logged once a second, "
     "then serving" % (FORCE_EMFILE, NOFILE), test_fd_emfile),
    ("4. MaxConnectionsPerChild %d: workers retire, every connection "
     "served" % RECYCLE_AFTER, test_recycle),
    ("5. %.0f s of pipelined requests do not starve another client"
     % PIPE_TIME, test_pipeline_starvation),
]
SHARED = [
    ("2. a newline in a logged path cannot forge an error-log line",
     test_log_injection),
    ("3. the access-log line of a closed connection is written within "
     "%.1f s" % PROMPT_LOG, test_access_log_prompt),
    ("6. dotfiles are a missing file's 404, /.well-known/ is served",
     test_dotfiles),
    ("6. ServeDotFiles On serves /.htpasswd", test_dotfiles_served),
    ("7. If-Range with a date in the response's second -> 200",
     test_if_range_fresh),
    ("7. If-Range with an hour-old date -> 206", test_if_range_old),
    ("8. RequestReadTimeout MinRate: slowloris cut, steady sender served",
     test_min_rate),
]


def build():
    runner, mpms = t.mpm_runner()
    for mpm in mpms:
        runner.add_for_mpm(mpm, PER_MPM, mpm)
        ctx = Ctx(mpm)
        runner.add_for_mpm(mpm, SHARED, ctx)
        for lazy in ctx.lazies():
            runner.add("[%s] the %s server stops on SIGTERM"
                       % (mpm, lazy.tag), lazy.stop)
    runner.add("[event] 9. %d connections at once on ThreadsPerChild %d: "
               "every one answered and logged" % (BURST, HANDOFF_LOOPS),
               test_event_handoffs)
    runner.add("11a. mpmctl graceful right after the start exits 0",
               test_graceful_at_start)
    runner.add("11b. event with ThreadsPerChild 1 and no MaxRequestWorkers"
               " passes -t and serves", test_one_thread_event)
    runner.add("11c. mpmd -t refuses Group root at its FILE:LINE",
               test_group_root)
    return runner


if __name__ == "__main__":
    t.main(build())
