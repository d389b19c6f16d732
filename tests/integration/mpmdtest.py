"""Harness for the mpmd end-to-end tests: a TAP runner, a Server fixture
that runs the real master on a free loopback port, and a raw HTTP client
(plain, or TLS through a TLSPort).

Python 3 standard library only. Everything is bounded: sockets carry
timeouts, waits have deadlines, each test runs under an alarm, and every
process started here is tracked by pid and killed on the way out.
"""

import atexit
import ctypes
import hashlib
import os
import random
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import traceback

BUILDDIR = os.path.abspath(os.environ.get("MPMD_BUILDDIR", "."))
SRCDIR = os.path.abspath(os.environ.get("MPMD_SRCDIR", BUILDDIR))
MPMD = os.path.join(BUILDDIR, "mpmd")
MPMCTL = os.path.join(BUILDDIR, "mpmctl")
KNOWN_MPMS = ("prefork", "threaded", "event")

HOST = "127.0.0.1"
START_TIMEOUT = 10.0    # master up and answering
STOP_TIMEOUT = 8.0      # SIGTERM to exit
IO_TIMEOUT = 5.0        # one response
CLOSE_TIMEOUT = 3.0     # server closing a connection it gave up on
TEST_TIMEOUT = 45       # alarm for any single test
CTL_TIMEOUT = 30        # mpmctl waits for the outcome, bounded by this
STATE_TIMEOUT = 3.0     # a master mpmctl cannot reach, to exit
PORT_RETRIES = 4        # new port when the chosen one got taken
LOG_TAIL_LINES = 30
STDERR_TAIL_LINES = 60  # room for a sanitizer report
MAX_HEAD = 65536        # bound on a response head we accept
RECV_CHUNK = 65536
POLL_INTERVAL = 0.05

PR_SET_CHILD_SUBREAPER = 36

BIG_SIZE = 1 << 20
SMALL_SIZE = 1024
FIXED_MTIME = 1577836800  # Wed, 01 Jan 2020 00:00:00 GMT
FIXED_MTIME_TEXT = "Wed, 01 Jan 2020 00:00:00 GMT"

# a generation in `mpmctl status`: id, MPM, state, worker count, pids
GEN_LINE = re.compile(r"^generation (\d+): MPM (\S+), (active|draining|"
                      r"starting), age \S+, (\d+) workers?:([\d ]*)$")
IMF_FIXDATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}:\d{2} GMT$")


# ---------------------------------------------------------------- TAP

class Skip(Exception):
    pass


class TestTimeout(Exception):
    pass


def skip(reason):
    raise Skip(reason)


def _alarm(signum, frame):
    raise TestTimeout("test exceeded %d s" % TEST_TIMEOUT)


def note(text):
    """TEXT as TAP diagnostics, every line behind '# '."""
    for line in str(text).splitlines():
        print("# " + line, flush=True)


class Runner:
    """Runs registered tests in order and prints TAP."""

    def __init__(self):
        self.tests = []

    def add(self, name, fn, *args):
        self.tests.append((name, fn, args))

    def add_for_mpm(self, mpm, tests, arg):
        """Each (name, fn) of TESTS, named after MPM, called with ARG."""
        for name, fn in tests:
            self.add("[%s] %s" % (mpm, name), fn, arg)

    def test(self, name):
        def deco(fn):
            self.add(name, fn)
            return fn
        return deco

    def run(self):
        print("1..%d" % len(self.tests), flush=True)
        failed = 0
        signal.signal(signal.SIGALRM, _alarm)
        for n, (name, fn, args) in enumerate(self.tests, 1):
            if not self._run_one(n, name, fn, args):
                failed += 1
        cleanup()
        return 1 if failed else 0

    def _run_one(self, n, name, fn, args):
        signal.alarm(TEST_TIMEOUT)
        try:
            fn(*args)
        except Skip as e:
            signal.alarm(0)
            print("ok %d - %s # SKIP %s" % (n, name, e), flush=True)
            return True
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # a failing test must not end the run
            signal.alarm(0)
            print("not ok %d - %s" % (n, name), flush=True)
            note(traceback.format_exc())
            return False
        finally:
            signal.alarm(0)
            reap_strays()
        print("ok %d - %s" % (n, name), flush=True)
        return True


def main(runner):
    sys.exit(runner.run())


def bail_if_unbuilt():
    """Without the master binary nothing can run: say so in TAP."""
    if os.access(MPMD, os.X_OK):
        return
    print("1..1")
    print("not ok 1 - mpmd binary present")
    note("no executable %s (set MPMD_BUILDDIR)" % MPMD)
    sys.exit(1)


def mpms():
    """MPMs under test: MPMD_MPMS, else every worker binary built."""
    env = os.environ.get("MPMD_MPMS", "").strip()
    if env:
        return [m.strip() for m in env.split(",") if m.strip()]
    return [m for m in KNOWN_MPMS
            if os.access(os.path.join(BUILDDIR, "mpm-" + m), os.X_OK)]


def need_mpms(*names):
    """Skips the test unless every MPM named is under test."""
    missing = [m for m in names if m not in mpms()]
    if missing:
        skip("MPM %s not built or not selected" % ", ".join(missing))


def first_mpm():
    """The MPM for a test that needs any one: prefork when it is under
    test, else the first that is."""
    m = mpms()
    return "prefork" if "prefork" in m else m[0]


def mpm_runner():
    """A Runner and the MPMs under test; with none built, the Runner
    already holds one failing test that says so."""
    runner = Runner()
    bail_if_unbuilt()
    built = mpms()
    if not built:
        runner.add("a worker binary is built", lambda: true(
            False, "no mpm-* in %s" % BUILDDIR))
    return runner, built


def sanitized():
    """True when this build runs under ASan+UBSan (mpmd -V says so):
    every process is two to three times slower."""
    try:
        out = subprocess.run([MPMD, "-V"], capture_output=True, text=True,
                             timeout=IO_TIMEOUT).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "sanitizers=yes" in out


def is_root():
    return os.geteuid() == 0


# ------------------------------------------------------ assert helpers

def eq(got, want, what):
    if got != want:
        raise AssertionError("%s: expected %r, got %r" % (what, want, got))


def true(cond, what):
    if not cond:
        raise AssertionError(what)


def wait_for(pred, timeout, what, interval=POLL_INTERVAL):
    """Polls PRED until it returns a true value; fails after TIMEOUT."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1f s waiting for %s"
                                 % (timeout, what))
        time.sleep(interval)


# -------------------------------------------------- process bookkeeping

_servers = []
_popens = []


def _owned(pid):
    """True when a Popen we hold has not collected PID yet."""
    return any(p.pid == pid and p.returncode is None for p in _popens)


def _become_subreaper():
    """Orphaned workers of a dead master get reparented to us, so none
    can escape the cleanup."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def proc_stat(pid):
    """(state, ppid) of PID, or None when it does not exist."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    rest = data[data.rindex(")") + 2:].split()
    return rest[0], int(rest[1])


def cpu_seconds(pid):
    """User plus system CPU time of PID, all its threads, in seconds;
    0.0 once it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    rest = data[data.rindex(")") + 2:].split()
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")


def alive(pid):
    st = proc_stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def children_of(ppid):
    """Live (non-zombie) children of PPID."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        st = proc_stat(int(d))
        if st and st[1] == ppid and st[0] not in ("Z", "X"):
            out.append(int(d))
    return sorted(out)


def stray_children():
    """Children of this process that no Popen owns (adopted orphans)."""
    return [p for p in children_of(os.getpid()) if not _owned(p)]


def reap_strays():
    for d in os.listdir("/proc"):
        if not d.isdigit() or _owned(int(d)):
            continue
        st = proc_stat(int(d))
        if st and st[1] == os.getpid() and st[0] == "Z":
            try:
                os.waitpid(int(d), os.WNOHANG)
            except ChildProcessError:
                pass


def exe_of(pid):
    """The binary PID runs, or, for a non-dumpable process of ours that
    only root may look into (a key process), the argv[0] it was given;
    None when it is gone."""
    try:
        return os.readlink("/proc/%d/exe" % pid)
    except PermissionError:
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                return f.read().split(b"\0")[0].decode(errors="replace")
        except OSError:
            return None
    except OSError:
        return None


def _identity(pid):
    """(exe, cmdline) of PID, None when it is gone."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmdline = f.read()
    except OSError:
        return None
    exe = exe_of(pid)
    return (exe, cmdline) if exe is not None else None


def wait_gone(pids, timeout):
    """The pids of PIDS still alive after TIMEOUT."""
    deadline = time.monotonic() + timeout
    while True:
        reap_strays()
        left = [p for p in pids if alive(p)]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(POLL_INTERVAL)


def kill_pid(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def cleanup():
    """Kills whatever is still running, by pid, and removes temp dirs."""
    for s in list(_servers):
        s.kill()
    for pid in stray_children():
        kill_pid(pid)
    time.sleep(POLL_INTERVAL)
    reap_strays()
    if os.environ.get("MPMD_KEEP_TMP"):
        return
    for s in list(_servers):
        shutil.rmtree(s.root, ignore_errors=True)
    _servers.clear()


def _on_signal(signum, frame):
    raise SystemExit(128 + signum)


_become_subreaper()
atexit.register(cleanup)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGHUP, _on_signal)


# ---------------------------------------------------------- test data

def _big_data():
    return random.Random(0x6d706d64).randbytes(BIG_SIZE)


BIG_DATA = _big_data()
BIG_SHA256 = hashlib.sha256(BIG_DATA).hexdigest()
SMALL_DATA = bytes((b"0123456789abcdef" * (SMALL_SIZE // 16))[:SMALL_SIZE])
INDEX_FALLBACK = (b"<!DOCTYPE html>\n<html><head><title>mpmd</title></head>"
                  b"<body><p>It works.</p></body></html>\n")

# name -> bytes, beneath the document root
FILES = {
    "small.txt": SMALL_DATA,
    "big.bin": BIG_DATA,
    "style.css": b"body { color: black; }\n",
    "app.js": b"console.log('mpmd');\n",
    "image.png": b"\x89PNG\r\n\x1a\n" + bytes(range(64)),
    "data.json": b'{"mpmd": true}\n',
    "blob.zzq9": b"unknown extension\n",
    "UPPER.PNG": b"\x89PNG\r\n\x1a\nupper",
    "a b.txt": b"space in the name\n",
    "100%.txt": b"percent in the name\n",
    "caf\u00e9.txt": b"utf-8 in the name\n",
    "secret": b"never to be served through a smuggled request\n",
    "sub/index.html": b"<!DOCTYPE html><title>sub</title><p>sub index</p>\n",
    "sub/other.txt": b"other\n",
    "noindex/file.txt": b"a directory without index.html\n",
}
SYMLINKS = {
    "passwd-link": "/etc/passwd",
    "escape-link": "../" * 12 + "etc/passwd",
    "inside-link.txt": "small.txt",
}


def populate_docroot(docroot):
    src = os.path.join(SRCDIR, "htdocs")
    if os.path.isdir(src):
        shutil.copytree(src, docroot, symlinks=True, dirs_exist_ok=True)
    os.makedirs(docroot, exist_ok=True)
    index = os.path.join(docroot, "index.html")
    if not os.path.exists(index):
        with open(index, "wb") as f:
            f.write(INDEX_FALLBACK)
    for name, data in FILES.items():
        path = os.path.join(docroot, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    for name, target in SYMLINKS.items():
        os.symlink(target, os.path.join(docroot, name))
    os.utime(os.path.join(docroot, "small.txt"), (FIXED_MTIME, FIXED_MTIME))
    _open_up(docroot)


def _open_up(top):
    """0755 dirs and 0644 files so workers running as nobody can read;
    symlinks are skipped (chmod would follow one to /etc/passwd)."""
    os.chmod(top, 0o755)
    for d, dirs, files in os.walk(top):
        for name in dirs + files:
            p = os.path.join(d, name)
            if os.path.islink(p):
                continue
            os.chmod(p, 0o755 if os.path.isdir(p) else 0o644)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def tail(path, n=LOG_TAIL_LINES):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError as e:
        return "(%s: %s)" % (path, e.strerror)
    return "\n".join(lines[-n:]) if lines else "(%s is empty)" % path


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


# ------------------------------------------------------------- server

class Server:
    """One master with its own ServerRoot, config and loopback port."""

    def __init__(self, mpm, extra=(), tag="server"):
        self.mpm = mpm
        self.extra = list(extra)
        self.tag = tag
        self.root = tempfile.mkdtemp(prefix="mpmd-%s-%s-" % (tag, mpm))
        self.conf_dir = os.path.join(self.root, "conf")
        self.logs = os.path.join(self.root, "logs")
        self.docroot = os.path.join(self.root, "htdocs")
        self.conf = os.path.join(self.conf_dir, "mpmd.conf")
        self.error_log = os.path.join(self.logs, "error.log")
        self.access_log = os.path.join(self.logs, "access.log")
        self.pid_file = os.path.join(self.logs, "mpmd.pid")
        self.stdout = os.path.join(self.root, "master.stdout")
        self.stderr = os.path.join(self.root, "master.stderr")
        self.proc = None
        self.port = None
        self.seen_workers = set()
        os.mkdir(self.conf_dir, 0o700)
        os.mkdir(self.logs, 0o755)
        populate_docroot(self.docroot)
        _servers.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()

    # --- config
    def config_text(self):
        lines = [
            "# written by tests/integration/mpmdtest.py",
            "ServerRoot %s" % self.root,
            "WorkerDir %s" % BUILDDIR,
            "MPM %s" % self.mpm,
            "Listen %s:%d" % (HOST, self.port),
            "PidFile logs/mpmd.pid",
            "ControlSocket logs/mpmd.sock",
            "ErrorLog logs/error.log",
            "LogLevel info",
            "CustomLog logs/access.log combined",
            "DocumentRoot htdocs",
            "DirectoryIndex index.html",
            "TypesConfig %s" % os.path.join(SRCDIR, "conf", "mime.types"),
        ]
        if is_root():
            lines += ["User nobody", "Group nogroup"]
        return "\n".join(lines + self.extra) + "\n"

    def write_config(self, port=None):
        self.port = port if port is not None else free_port()
        with open(self.conf, "w") as f:
            f.write(self.config_text())
        return self.conf

    # --- lifecycle
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def spawn(self, args=("-D", "FOREGROUND"), wrapper=(), **kw):
        """The master on this config, run through WRAPPER (a command
        that execs its arguments) when given; KW go to Popen."""
        out = open(self.stdout, "ab")
        err = open(self.stderr, "ab")
        try:
            self.proc = subprocess.Popen(
                list(wrapper) + [MPMD] + list(args) + ["-f", self.conf],
                stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                cwd=self.root, **kw)
        finally:
            out.close()
            err.close()
        _popens.append(self.proc)
        return self.proc

    def start(self, probe=True, timeout=START_TIMEOUT, wrapper=()):
        """Starts the master (through WRAPPER, as spawn() does); returns
        once a request gets an answer."""
        for _ in range(PORT_RETRIES):
            self.write_config()
            self.spawn(wrapper=wrapper)
            if self._wait_ready(timeout, probe):
                if probe:
                    self.wait_active(timeout)
                return self
        raise AssertionError("port in use %d times in a row\n%s"
                             % (PORT_RETRIES, self.diag()))

    def _wait_ready(self, timeout, probe):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if self._port_was_taken():
                    self.proc = None
                    return False
                raise AssertionError(
                    "mpmd exited with %s during startup\n%s"
                    % (self.proc.returncode, self.diag()))
            if self._answers(deadline, probe):
                return True
            time.sleep(POLL_INTERVAL)
        pid = self.proc.pid
        self.kill()
        raise AssertionError("mpmd (pid %d) not answering on %s:%d after "
                             "%.0f s\n%s" % (pid, HOST, self.port, timeout,
                                             self.diag()))

    def wait_active(self, timeout=START_TIMEOUT):
        """Answering is not yet steady state: the master may still wait
        for the rest of the generation's READY. Polls `mpmctl status`
        until a generation is active; without a usable mpmctl, returns."""
        if not os.access(MPMCTL, os.X_OK):
            return
        active = re.compile(r"^generation \d+: .*\bactive\b", re.M)
        deadline = time.monotonic() + timeout
        while True:
            rc, out, err = run([MPMCTL, "-f", self.conf, "status"],
                               timeout=timeout)
            if rc != 0 or active.search(out):
                return
            if time.monotonic() >= deadline:
                raise AssertionError("no active generation after %.0f s:\n"
                                     "%s\n%s" % (timeout, out, self.diag()))
            time.sleep(POLL_INTERVAL)

    def _port_was_taken(self):
        text = read_text(self.stderr) + read_text(self.error_log)
        return re.search(r"in use|EADDRINUSE", text, re.I) is not None

    def _answers(self, deadline, probe):
        try:
            with socket.create_connection((HOST, self.port),
                                          timeout=0.5) as s:
                if not probe:
                    return True
                s.settimeout(max(0.1, deadline - time.monotonic()))
                s.sendall(b"HEAD / HTTP/1.0\r\n\r\n")
                return s.recv(16).startswith(b"HTTP/")
        except OSError:
            return False

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM; a master that needs SIGKILL is a failure."""
        if not self.running():
            return None
        workers = self.worker_pids()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("master ignored SIGTERM for %.0f s, killed"
                                 " with SIGKILL\n%s" % (timeout, self.diag()))
        left = wait_gone(workers, timeout)
        if left:
            for pid in left:
                kill_pid(pid)
            raise AssertionError("workers %s still alive %.0f s after the "
                                 "master exited" % (left, timeout))
        return rc

    def kill(self):
        """Unconditional SIGKILL of the master and every worker seen."""
        pids = set(self.seen_workers)
        if self.running():
            pids.update(children_of(self.proc.pid))
            self.proc.kill()
        if self.proc is not None:
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        for pid in pids:
            if alive(pid):
                kill_pid(pid)

    # --- inspection
    def worker_pids(self):
        """Children of the master (they are the workers)."""
        if not self.running():
            return []
        pids = children_of(self.proc.pid)
        self.seen_workers.update(pids)
        return pids

    def exec_workers(self):
        """Workers that have exec'd their binary (not mid-fork): exe or
        command line differ from the master's."""
        master = _identity(self.proc.pid) if self.running() else None
        return [p for p in self.worker_pids()
                if master and _identity(p) not in (None, master)]

    def wait_workers(self, n, timeout=START_TIMEOUT, exact=False):
        def enough():
            w = self.exec_workers()
            ok = len(w) == n if exact else len(w) >= n
            return w if ok else None
        try:
            return wait_for(enough, timeout, "%d workers" % n)
        except AssertionError:
            raise AssertionError("wanted %s%d exec'd workers, have %s\n%s"
                                 % ("" if exact else ">= ", n,
                                    self.exec_workers(), self.diag()))

    def error_text(self):
        return read_text(self.error_log)

    def access_text(self):
        return read_text(self.access_log)

    def diag(self):
        return ("ServerRoot %s\n--- tail of %s:\n%s\n--- master stderr:\n%s"
                % (self.root, self.error_log, tail(self.error_log),
                   tail(self.stderr, STDERR_TAIL_LINES)))

    def connect(self, timeout=IO_TIMEOUT):
        return Client(self.port, timeout)


class LazyServer:
    """A Server shared by several tests, started on first use; a start
    failure fails every test that needs it, with the reason. CLS is the
    Server class to make (a subclass, for a server with more to it)."""

    def __init__(self, mpm, extra=(), tag="server", cls=None):
        self.mpm = mpm
        self.extra = extra
        self.tag = tag
        self.cls = cls or Server
        self.srv = None
        self.error = None

    def get(self):
        if self.error:
            raise AssertionError("%s server did not start (see the first "
                                 "failure): %s" % (self.tag, self.error))
        if self.srv is None:
            srv = self.cls(self.mpm, self.extra, self.tag)
            try:
                srv.start()
            except BaseException as e:
                self.error = str(e).split("\n")[0]
                srv.kill()
                raise
            self.srv = srv
        return self.srv

    def stop(self):
        if self.srv is not None:
            return self.srv.stop()
        return None


# -------------------------------------------------------------- client

class ProtocolError(AssertionError):
    pass


class Response:
    def __init__(self, version, status, reason, headers, body, head):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers  # [(name, value)] in order
        self.body = body
        self.head = head

    def header(self, name):
        vals = self.all(name)
        return vals[0] if vals else None

    def all(self, name):
        n = name.lower()
        return [v for k, v in self.headers if k.lower() == n]

    def tokens(self, name):
        return [t.strip().lower() for v in self.all(name)
                for t in v.split(",") if t.strip()]

    def closes(self):
        return "close" in self.tokens("Connection")

    def __repr__(self):
        return "<%d %s, %d body bytes>" % (self.status, self.reason,
                                          len(self.body))


def _no_body(method, status):
    return (method == "HEAD" or 100 <= status < 200 or status in (204, 304))


class TLSPort(int):
    """A port that speaks TLS: an int (so "%d" % port still works) that
    carries the client's ssl.SSLContext and the name to verify. Client,
    fetch() and get() given one speak TLS, so a test written for plain
    HTTP runs over TLS unchanged when handed a TLSPort."""

    def __new__(cls, port, context, server_hostname="localhost"):
        self = int.__new__(cls, port)
        self.context = context
        self.server_hostname = server_hostname
        return self


def tls_client_context(cafile):
    """A client context that verifies against CAFILE (a test CA) and
    checks the host name, as a browser would."""
    return ssl.create_default_context(cafile=cafile)


class Client:
    """One client connection. Keeps unread bytes for pipelining. TLS is an
    ssl.SSLContext to speak TLS with (the handshake is done here, checking
    SERVER_HOSTNAME); by default a TLSPort's."""

    def __init__(self, port, timeout=IO_TIMEOUT, tls=None,
                 server_hostname=None):
        tls = tls or getattr(port, "context", None)
        name = server_hostname or getattr(port, "server_hostname",
                                          "localhost")
        self.sock = socket.create_connection((HOST, int(port)),
                                             timeout=timeout)
        if tls is not None:
            try:
                self.sock = tls.wrap_socket(self.sock, server_hostname=name)
            except BaseException:
                self.sock.close()
                raise
        self.timeout = timeout
        self.buf = b""
        self.eof = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        """Reads more into buf; False on EOF. Raises TimeoutError."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no data from the server")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(RECV_CHUNK)
        except socket.timeout:
            raise TimeoutError("no data from the server") from None
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def _need(self, n, deadline, what):
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise ProtocolError("connection closed in %s (%d of %d "
                                    "bytes)" % (what, len(self.buf), n))

    def read_response(self, method="GET", timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > MAX_HEAD:
                raise ProtocolError("response head over %d bytes" % MAX_HEAD)
            if not self._fill(deadline):
                raise ProtocolError("connection closed before a complete "
                                    "response head; got %r" % self.buf[:200])
        end = self.buf.index(b"\r\n\r\n")
        head = self.buf[:end]
        self.buf = self.buf[end + 4:]
        version, status, reason, headers = parse_head(head)
        r = Response(version, status, reason, headers, b"", head)
        if not _no_body(method, status):
            r.body = self._read_body(r, deadline)
        return r

    def _read_body(self, r, deadline):
        te = r.tokens("Transfer-Encoding")
        if te:
            eq(te, ["chunked"], "response Transfer-Encoding")
            return self._read_chunked(deadline)
        cls = r.all("Content-Length")
        if cls:
            true(len(set(cls)) == 1 and cls[0].isdigit(),
                 "bad response Content-Length %r" % cls)
            n = int(cls[0])
            self._need(n, deadline, "the response body")
            body, self.buf = self.buf[:n], self.buf[n:]
            return body
        while self._fill(deadline):
            pass
        body, self.buf = self.buf, b""
        return body

    def _read_chunked(self, deadline):
        body = b""
        while True:
            while b"\r\n" not in self.buf:
                if not self._fill(deadline):
                    raise ProtocolError("closed inside a chunked body")
            line, self.buf = self.buf.split(b"\r\n", 1)
            size = int(line.split(b";")[0], 16)
            if size == 0:
                self._need(2, deadline, "the last chunk")
                self.buf = self.buf[2:]
                return body
            self._need(size + 2, deadline, "a chunk")
            body += self.buf[:size]
            self.buf = self.buf[size + 2:]

    def read_rest(self, timeout=CLOSE_TIMEOUT):
        """Everything until EOF: (bytes, closed). closed is False when the
        server kept the connection open for TIMEOUT."""
        deadline = time.monotonic() + timeout
        try:
            while self._fill(deadline):
                pass
        except TimeoutError:
            data, self.buf = self.buf, b""
            return data, False
        except ConnectionResetError:
            pass
        data, self.buf = self.buf, b""
        return data, True

    def closed_within(self, timeout=CLOSE_TIMEOUT):
        """True when the server closes with nothing more sent; fails if it
        sends more bytes."""
        data, closed = self.read_rest(timeout)
        true(data == b"", "unexpected bytes after the response: %r"
             % data[:300])
        return closed

    def exchange(self, data, method="GET"):
        self.send(data)
        return self.read_response(method)


def parse_head(head):
    """Strict parse of what the server sent: CRLF only, a valid status
    line, well-formed fields."""
    lines = head.split(b"\r\n")
    for ln in lines:
        if b"\n" in ln or b"\r" in ln:
            raise ProtocolError("bare CR or LF in the response head: %r"
                                % head[:500])
    m = re.match(rb"^(HTTP/1\.[01]) ([1-5]\d\d) ([\x20-\x7e]*)$", lines[0])
    if not m:
        raise ProtocolError("bad status line %r" % lines[0][:200])
    headers = []
    for ln in lines[1:]:
        name, sep, value = ln.partition(b":")
        if not sep or not re.match(rb"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", name):
            raise ProtocolError("bad response header line %r" % ln[:200])
        headers.append((name.decode("ascii"),
                        value.strip(b" \t").decode("latin-1")))
    return (m.group(1).decode(), int(m.group(2)),
            m.group(3).decode("latin-1"), headers)


def request(method, target, headers=(), body=b"", version="HTTP/1.1",
            host="localhost"):
    """Builds request bytes. TARGET may be str or bytes; HEADERS a list of
    (name, value) or a dict."""
    if isinstance(target, str):
        target = target.encode("latin-1")
    out = [method.encode() + b" " + target + b" " + version.encode()]
    if host is not None:
        out.append(b"Host: " + host.encode())
    items = headers.items() if isinstance(headers, dict) else headers
    for k, v in items:
        out.append(k.encode("latin-1") + b": " + v.encode("latin-1"))
    if body and not any(k.lower() in ("content-length", "transfer-encoding")
                        for k, _ in items):
        out.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(out) + b"\r\n\r\n" + body


def fetch(port, method, target, headers=(), body=b"", version="HTTP/1.1"):
    """One request on a new connection; returns the response."""
    hdrs = list(headers.items() if isinstance(headers, dict) else headers)
    with Client(port) as c:
        return c.exchange(request(method, target, hdrs, body, version),
                          method)


def get(port, target, headers=()):
    return fetch(port, "GET", target, headers)


SMUGGLED = b"GET /secret HTTP/1.1\r\nHost: x\r\n\r\n"


def check_malformed(c, raw, statuses):
    """RAW with SMUGGLED behind it on a new connection to C.port() (C is
    a test context: anything with a port() method): the response must
    have one of STATUSES, nothing may answer SMUGGLED, the server must
    close, and the next connection must be served. Returns the status."""
    with Client(c.port()) as cl:
        cl.send(raw + SMUGGLED)
        try:
            r = cl.read_response()
        except ConnectionResetError:
            raise AssertionError("connection reset before a response "
                                 "(no lingering close?)")
        true(r.status in statuses, "status %d, want %s (body %r)"
             % (r.status, sorted(statuses), r.body[:120]))
        rest, closed = cl.read_rest()
    true(b"HTTP/1." not in rest, "bytes after the bad request were answered"
         " as a request: %r" % rest[:300])
    eq(rest, b"", "bytes after the error response")
    true(closed, "connection still open %.0f s after a %d"
         % (CLOSE_TIMEOUT, r.status))
    eq(get(c.port(), "/small.txt").status, 200, "next connection")
    return r.status


def refused(port):
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


def check_date(value, what="Date"):
    true(value is not None and IMF_FIXDATE.match(value),
         "%s is not an IMF-fixdate: %r" % (what, value))


def popen(args, **kw):
    """A command with captured output, started and its pid tracked;
    KW may replace the streams."""
    streams = dict(stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE)
    streams.update(kw)
    p = subprocess.Popen(args, **streams)
    _popens.append(p)
    return p


def run(args, timeout=10, **kw):
    """A short command with captured output, its pid tracked."""
    p = popen(args, **kw)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise AssertionError("%s did not finish within %d s" % (args, timeout))
    return p.returncode, out.decode("utf-8", "replace"), \
        err.decode("utf-8", "replace")


# ------------------------------------------------ mpmctl and the master

def ctl(srv, verb, timeout=CTL_TIMEOUT, conf=None):
    """mpmctl VERB for SRV (or CONF): (exit status, stdout, stderr)."""
    return run([MPMCTL, "-f", conf or srv.conf, verb], timeout=timeout)


def shown(res):
    """An (exit status, stdout, stderr) result, for a failure message."""
    rc, out, err = res
    if out and not out.endswith("\n"):
        out += "\n"
    return "exit %s\n--- stdout:\n%s--- stderr:\n%s" % (rc, out, err)


def ctl_conf(srv):
    """A config that stays valid, for mpmctl status: mpmctl reads its
    config before it asks, and some tests break the master's on purpose.
    Only ControlSocket matters, and it never changes."""
    path = os.path.join(srv.conf_dir, "ctl.conf")
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(srv.config_text())
    return path


def master_state(srv):
    """'exited with status N' or 'still running', waiting a little."""
    try:
        return "exited with status %d" % srv.proc.wait(STATE_TIMEOUT)
    except subprocess.TimeoutExpired:
        return "still running"


def status(srv):
    """`mpmctl status`, which must succeed: (0, stdout, stderr)."""
    res = ctl(srv, "status", conf=ctl_conf(srv))
    if res[0] != 0:
        raise AssertionError("mpmctl status failed (master %s)\n%s\n%s"
                             % (master_state(srv), shown(res), srv.diag()))
    return res


def parse_generations(text):
    """[(id, mpm, state, [pids])] from the text of mpmctl status."""
    out = []
    for line in text.splitlines():
        m = GEN_LINE.match(line)
        if m:
            out.append((int(m.group(1)), m.group(2), m.group(3),
                        [int(p) for p in m.group(5).split()]))
    return out


def generations(srv):
    """[(id, mpm, state, [pids])] from mpmctl status; at least one."""
    res = status(srv)
    out = parse_generations(res[1])
    true(out, "no generation line in mpmctl status\n" + shown(res))
    return out


def active(srv):
    """The one active generation in mpmctl status."""
    gens = [g for g in generations(srv) if g[2] == "active"]
    eq(len(gens), 1, "active generations in mpmctl status")
    return gens[0]


def break_config(srv):
    """Writes SRV's config with a bad value at the end; returns the
    line number of that value."""
    text = srv.config_text() + "KeepAliveTimeout soon\n"
    with open(srv.conf, "w") as f:
        f.write(text)
    return text.count("\n")


def assert_serving(srv, what):
    """GET /small.txt on SRV's port answers 200 with the file."""
    r = get(srv.port, "/small.txt")
    eq((r.status, r.body == SMALL_DATA), (200, True),
       "GET /small.txt %s" % what)


# ------------------------------------------------------- connections

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLMSG_ERROR = 2
DIAG_NOCOOKIE = 0xffffffff
DIAG_ALL_STATES = 0xfff


def _tcp_inode(local_port, remote_port):
    """The inode of the loopback TCP socket LOCAL_PORT -> REMOTE_PORT, 0
    while it waits in an accept queue, None when there is none. Asks the
    kernel for that one socket (sock_diag): /proc/net/tcp lists every
    TIME_WAIT socket of a busy machine and takes long to read."""
    addr = socket.inet_aton(HOST) + bytes(12)
    sockid = (struct.pack("!HH", local_port, remote_port) + addr + addr +
              struct.pack("=III", 0, DIAG_NOCOOKIE, DIAG_NOCOOKIE))
    req = struct.pack("=BBBBI", socket.AF_INET, socket.IPPROTO_TCP, 0, 0,
                      DIAG_ALL_STATES) + sockid
    msg = struct.pack("=IHHII", 16 + len(req), SOCK_DIAG_BY_FAMILY, 1, 1,
                      0) + req
    with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM,
                       NETLINK_SOCK_DIAG) as s:
        s.settimeout(IO_TIMEOUT)
        s.sendto(msg, (0, 0))
        data = s.recv(RECV_CHUNK)
    if struct.unpack_from("=H", data, 4)[0] == NLMSG_ERROR:
        return None
    # inet_diag_msg: 4 bytes, the socket id (ports first), 4 words, inode
    sport, dport = struct.unpack_from("!HH", data, 16 + 4)
    if (sport, dport) != (local_port, remote_port):
        return None  # the listener, which the lookup falls back to
    return str(struct.unpack_from("=I", data, 16 + 68)[0])


def serving_pid(server_port, client_port, pids, timeout=IO_TIMEOUT):
    """Which of PIDS holds the server end of the loopback connection from
    CLIENT_PORT to SERVER_PORT (None when none took it within TIMEOUT):
    the worker a connection went to."""
    deadline = time.monotonic() + timeout
    while True:
        inode = _tcp_inode(server_port, client_port)
        target = "socket:[%s]" % inode
        for pid in pids if inode not in (None, "0") else ():
            try:
                fds = os.listdir("/proc/%d/fd" % pid)
            except OSError:
                continue
            for fd in fds:
                try:
                    if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == target:
                        return pid
                except OSError:
                    pass
        if time.monotonic() >= deadline:
            return None
        time.sleep(POLL_INTERVAL / 5)
