"""TLS of the real server, once per MPM (TAP on stdout).

Every server here listens twice: plain HTTP on srv.port and
`Listen ... https` on srv.tls_port, with certificates of a test CA made
with the openssl CLI into its ServerRoot (an ECDSA P-256 leaf for
localhost, the default, and an RSA-2048 leaf for other.test, by SNI).
The real clients `curl` and `openssl s_client` check what a user sees;
test_http.py's own cases and its MALFORMED battery run again over TLS
through mpmdtest.TLSPort. Sessions resume across workers, generations
and MPMs; a renewed certificate is taken by `mpmctl graceful` and a bad
key refused; no worker's memory holds a private key; the key process
dies under load and comes back.
"""

import array
import atexit
import contextlib
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mpmdtest as t  # noqa: E402
import test_http as h  # noqa: E402
from mpmdtest import eq, note, shown, true  # noqa: E402

HANDSHAKE_TIMEOUT = 2
EARLY_SLACK = 0.2       # closed this much before the timeout is too early
LATE_SLACK = 1.5        # and this much after it too late (ASan in CI)
DEFER_ACCEPT = 1.0      # a silent connection is accepted after this
DRIP_INTERVAL = 0.3     # a ClientHello a byte at a time
OPENSSL_TIMEOUT = 10    # one openssl or curl run
RESUMES = 5             # -sess_in runs in a row
START_SERVERS = 2
FAIL_FAST = 2.5         # a handshake without a key process ends by then
KEYS_BACK = 1.0         # a killed key process is replaced within this
STOP_TIMEOUT = 3.0      # for a SIGSTOP to take
RECOVER = 0.5           # after which handshakes must succeed again
BACKOFF_SLACK = 0.3     # a successor later than the logged delay plus this
SUCCESSOR_AGE = 0.1     # a successor killed this long after it showed
PROBE_THREADS = 3
BIG_REGION = 1 << 30    # memory regions larger than this are not read
READ_CHUNK = 1 << 22
PAGEMAP_BATCH = 1 << 16  # pagemap entries a read
TLS_DIR = "tls"

SERIAL_LOCALHOST = 0x1001
SERIAL_OTHER = 0x2001
SERIAL_RENEWED = 0x1002  # and up, one a renewal
RENEWALS = 4
NEW_CONNECTIONS = 3     # checked after each renewal

PLAIN_SENTENCE = (b"This port speaks HTTPS: a plain HTTP request was sent "
                  b"to it.")
CLOSE_REQ = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"

# the HTTP cases over the main server's plain port are test_http.py's own
MAIN_CONF = [ln for ln in h.MAIN_CONF
             if not ln.startswith("RequestReadTimeout")] + [
    "RequestReadTimeout handshake=%d header=%d body=%d"
    % (HANDSHAKE_TIMEOUT, h.HEADER_TIMEOUT, h.HEADER_TIMEOUT),
    "StartServers %d" % START_SERVERS,
    "KeyProcesses 1",  # the spread over several: test_keys.py
]


# ------------------------------------------------------------ the CA

CA_EXT = """basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
"""
LEAF_EXT = """basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=%s
"""
EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
RSA_KEY = ["-newkey", "rsa:2048"]
LEAVES = {  # name -> key options, subject name, subjectAltName, serial
    "localhost": (EC_KEY, "localhost", "DNS:localhost,IP:127.0.0.1",
                  SERIAL_LOCALHOST),
    "other": (RSA_KEY, "other.test", "DNS:other.test", SERIAL_OTHER),
}

_pki = []


def openssl(*args):
    """openssl ARGS, which must succeed; its stdout."""
    rc, out, err = t.run(["openssl"] + list(args), timeout=OPENSSL_TIMEOUT)
    true(rc == 0, "openssl %s: exit %d\n%s" % (" ".join(args), rc, err))
    return out


def make_leaf(d, name, serial, out=None):
    """A leaf NAME (of LEAVES) signed by the CA in D, with SERIAL, into
    OUT.pem and OUT.key in D (OUT: NAME)."""
    opts, cn, san, _ = LEAVES[name]
    out = out or name
    ext = os.path.join(d, out + ".ext")
    with open(ext, "w") as f:
        f.write(LEAF_EXT % san)
    csr = os.path.join(d, out + ".csr")
    openssl("req", "-new", *opts, "-nodes", "-keyout",
            os.path.join(d, out + ".key"), "-out", csr, "-subj", "/CN=" + cn)
    openssl("x509", "-req", "-in", csr, "-CA", os.path.join(d, "ca.pem"),
            "-CAkey", os.path.join(d, "ca.key"), "-set_serial", str(serial),
            "-days", "2", "-extfile", ext, "-out", os.path.join(d, out +
                                                                ".pem"))


def make_pki(d):
    """The test CA (key, self-signed certificate) and both leaves in D."""
    ext = os.path.join(d, "ca.ext")
    with open(ext, "w") as f:
        f.write(CA_EXT)
    key, csr = os.path.join(d, "ca.key"), os.path.join(d, "ca.csr")
    openssl("req", "-new", *EC_KEY, "-nodes", "-keyout", key, "-out", csr,
            "-subj", "/CN=mpmd test CA")
    openssl("x509", "-req", "-in", csr, "-signkey", key, "-days", "2",
            "-extfile", ext, "-out", os.path.join(d, "ca.pem"))
    for name, (_, _, _, serial) in LEAVES.items():
        make_leaf(d, name, serial)


def pki_master():
    """The CA and leaves, made once a run (the RSA key takes a while);
    each server copies them into its ServerRoot."""
    if not _pki:
        d = tempfile.mkdtemp(prefix="mpmd-tls-ca-")
        atexit.register(shutil.rmtree, d, True)
        make_pki(d)
        _pki.append(d)
    return _pki[0]


# ------------------------------------------------------------ servers

class TLSServer(t.Server):
    """A Server with a second, https, Listen (tls_port) and the test CA's
    leaves in ServerRoot/tls: localhost (ECDSA, the default) then
    other.test (RSA)."""

    def __init__(self, mpm, extra=(), tag="tls"):
        super().__init__(mpm, extra, tag)
        self.tls_port = None
        self.tls_dir = os.path.join(self.root, TLS_DIR)
        shutil.copytree(pki_master(), self.tls_dir)
        self.ca = os.path.join(self.tls_dir, "ca.pem")
        self.client_ctx = t.tls_client_context(self.ca)

    def write_config(self, port=None):
        while self.tls_port in (None, port, self.port):
            self.tls_port = t.free_port()
        return super().write_config(port)

    def config_text(self):
        lines = ["Listen %s:%d https" % (t.HOST, self.tls_port)]
        for name in LEAVES:
            lines += ["SSLCertificateFile %s/%s.pem" % (TLS_DIR, name),
                      "SSLCertificateKeyFile %s/%s.key" % (TLS_DIR, name)]
        return super().config_text() + "\n".join(lines) + "\n"

    def tls(self, name="localhost"):
        """The https port, as a TLSPort that asks for NAME by SNI."""
        return t.TLSPort(self.tls_port, self.client_ctx, name)

    def file(self, name):
        return os.path.join(self.tls_dir, name)

    def cert_line(self, name="localhost"):
        """The line number of NAME's SSLCertificateFile in the config."""
        want = "SSLCertificateFile %s/%s.pem" % (TLS_DIR, name)
        lines = self.config_text().splitlines()
        return lines.index(want) + 1

    def key_line(self, name="localhost"):
        """The line number of NAME's SSLCertificateKeyFile (a key's
        errors are reported there)."""
        want = "SSLCertificateKeyFile %s/%s.key" % (TLS_DIR, name)
        lines = self.config_text().splitlines()
        return lines.index(want) + 1

    def rewrite(self):
        """The config written again, same ports, in one rename."""
        tmp = self.conf + ".tmp"
        with open(tmp, "w") as f:
            f.write(self.config_text())
        os.replace(tmp, self.conf)


class Ctx(h.Ctx):
    """test_http.py's context, its servers ours: port() is the main
    server's https port, so test_http.py's cases run over TLS."""

    def __init__(self, mpm):
        super().__init__(mpm)
        self.main = t.LazyServer(mpm, MAIN_CONF, "tls", TLSServer)
        self.notickets = t.LazyServer(mpm, ["SSLSessionTickets off"],
                                      "notickets", TLSServer)
        # an old connection stays idle across reloads and new handshakes,
        # which take seconds under a sanitizer on a loaded machine
        self.renew = t.LazyServer(mpm, ["KeepAliveTimeout 30"], "renew",
                                  TLSServer)
        self.inworkers = t.LazyServer(mpm, ["SSLKeyIsolation off"],
                                      "keysinworkers", TLSServer)
        self.plain = h.Ctx(mpm)
        self.plain.main = self.main
        self.sessions = {}
        self.key_deaths = []

    def port(self):
        return self.main.get().tls()

    def srv(self):
        return self.main.get()

    def lazies(self):
        return (self.main, self.notickets, self.renew, self.inworkers)


# ------------------------------------------------------------ clients

def s_client(srv, *args, data=CLOSE_REQ, bind=None, wait=None):
    """openssl s_client to SRV's https port with ARGS, verifying against
    the test CA; DATA is its input (the connection then ends with the
    server's close). With BIND (a local port) WAIT(port) runs once it is
    connected and before DATA is sent. (exit status, output, WAIT's)."""
    cmd = ["openssl", "s_client", "-connect",
           "%s:%d" % (t.HOST, srv.tls_port), "-CAfile", srv.ca,
           "-verify_return_error", "-ign_eof"] + list(args)
    if bind:
        cmd += ["-bind", "%s:%d" % (t.HOST, bind)]
    p = t.popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen = wait(bind) if wait else None
    try:
        out, _ = p.communicate(data, timeout=OPENSSL_TIMEOUT)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        raise AssertionError("%s: no end in %d s; output:\n%s"
                             % (" ".join(cmd), OPENSSL_TIMEOUT,
                                out.decode("utf-8", "replace")))
    return p.returncode, out.decode("utf-8", "replace"), seen


def session_line(out):
    """'New' or 'Reused', from s_client's 'New, TLSv1.3, Cipher is ...'."""
    m = re.search(r"^(New|Reused), (TLSv[\d.]+)", out, re.M)
    return m.group(1) if m else None


def subject_cn(out):
    m = re.search(r"^subject=.*CN ?= ?([^,/\n]+)", out, re.M)
    return m.group(1).strip() if m else None


def tls_get(srv, name="localhost", target="/small.txt"):
    """One GET over a new TLS connection (SNI NAME): (response, the
    server certificate as Python's ssl gives it)."""
    with t.Client(srv.tls(name)) as cl:
        cert = cl.sock.getpeercert()
        r = cl.exchange(t.request("GET", target, [("Connection", "close")]))
    return r, cert


def all_stopped(pids):
    """True when every thread of every one of PIDS is stopped."""
    for pid in pids:
        try:
            tids = os.listdir("/proc/%d/task" % pid)
        except FileNotFoundError:
            continue
        for tid in tids:
            try:
                with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                    state = f.read().rpartition(")")[2].split()[0]
            except (FileNotFoundError, ProcessLookupError):
                continue
            if state not in ("T", "t"):
                return False
    return True


@contextlib.contextmanager
def stopped(pids):
    """PIDS stopped (SIGSTOP, SIGCONT on the way out): none of them takes
    a connection meanwhile. Waits until each thread is stopped, for one
    still in epoll_wait would be woken for a connection it cannot take."""
    try:
        for pid in pids:
            t.kill_pid(pid, signal.SIGSTOP)
        t.wait_for(lambda: all_stopped(pids), STOP_TIMEOUT,
                   "workers %s to stop" % pids, 0.005)
        yield
    finally:
        for pid in pids:
            t.kill_pid(pid, signal.SIGCONT)


def on_each_worker(srv, fn):
    """FN(pid) for each worker of SRV while every other one is stopped,
    so that the connections FN makes go to that one: {pid: what FN
    returned}."""
    workers = sorted(p for g in t.generations(srv) for p in g[3])
    true(workers, "no worker in mpmctl status")
    out = {}
    for pid in workers:
        with stopped([p for p in workers if p != pid]):
            out[pid] = fn(pid)
    return out


def handshakes_on(srv, pid):
    """A GET over TLS with each certificate (so each key signs), on new
    connections that worker PID must take: the statuses."""
    statuses = []
    for name in ("localhost", "other.test"):
        with t.Client(srv.tls(name)) as cl:
            took = t.serving_pid(srv.tls_port, cl.sock.getsockname()[1],
                                 srv.worker_pids())
            eq(took, pid, "worker that took the connection")
            r = cl.exchange(t.request("GET", "/small.txt",
                                      [("Connection", "close")]))
            statuses.append(r.status)
    return statuses


def key_pids(srv):
    """Every key process `mpmctl status` names."""
    m = re.search(r"^  tls: .*keys in key processes \(KeyUser [^:]+:(.*)\)$",
                  t.status(srv)[1], re.M)
    return [int(p) for p in re.findall(r"pid (\d+)", m.group(1))] if m \
        else []


def the_key_pid(srv):
    pids = key_pids(srv)
    eq(len(pids), 1, "key processes in mpmctl status")
    return pids[0]


# ------------------------------------------------- 1: certificates

def test_curl(c):
    srv = c.srv()
    out = os.path.join(srv.root, "curl.out")
    rc, so, err = t.run([
        "curl", "-sS", "--fail", "--max-time", "5", "--cacert", srv.ca,
        "--resolve", "localhost:%d:%s" % (srv.tls_port, t.HOST),
        "-o", out, "-w", "%{http_version} %{ssl_verify_result}",
        "https://localhost:%d/" % srv.tls_port], timeout=OPENSSL_TIMEOUT)
    eq(rc, 0, "curl exit status (stderr %r)" % err)
    eq(so, "1.1 0", "curl's HTTP version and verify result")
    with open(out, "rb") as f:
        eq(f.read(), c.docfile("index.html"), "body curl got")


def test_s_client_versions(c):
    srv = c.srv()
    for version, flag in (("TLSv1.2", "-tls1_2"), ("TLSv1.3", "-tls1_3")):
        rc, out, _ = s_client(srv, flag, "-servername", "localhost")
        what = "s_client %s\n%s" % (flag, out[-3000:])
        eq(rc, 0, "exit status of " + what)
        true("Verify return code: 0 (ok)" in out, "no verify OK: " + what)
        true(re.search(r"^(New|Reused), %s," % re.escape(version), out,
                       re.M), "not %s: %s" % (version, what))
        true("HTTP/1.1 200 OK" in out, "no 200 over it: " + what)


def test_tls11_refused(c):
    # SECLEVEL=0 so that this client does offer TLS 1.1: the refusal
    # must be the server's
    rc, out, _ = s_client(c.srv(), "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0",
                          "-servername", "localhost")
    true(rc != 0, "s_client -tls1_1 succeeded\n" + out[-3000:])
    true(re.search(r"alert protocol version|unsupported protocol", out),
         "no protocol version refusal\n" + out[-3000:])
    true("HTTP/1.1" not in out, "answered over TLS 1.1")


def test_alpn(c):
    for offer in ("http/1.1", "h2,http/1.1"):
        rc, out, _ = s_client(c.srv(), "-alpn", offer, "-servername",
                              "localhost")
        eq(rc, 0, "s_client -alpn %s exit status\n%s" % (offer, out[-3000:]))
        true(re.search(r"^ALPN protocol: http/1\.1$", out, re.M),
             "ALPN offered %s: http/1.1 not selected\n%s"
             % (offer, out[-3000:]))


def test_sni(c):
    srv = c.srv()
    rows = [(["-servername", "other.test"], "other.test", "RSA"),
            (["-servername", "localhost"], "localhost", "ECDSA"),
            (["-noservername"], "localhost", "ECDSA")]
    for args, want, sig in rows:
        rc, out, _ = s_client(srv, *args, "-verify_hostname", want)
        what = "s_client %s\n%s" % (" ".join(args), out[-3000:])
        eq(rc, 0, "exit status of " + what)
        eq(subject_cn(out), want, "certificate subject CN for " + what)
        true("Verify return code: 0 (ok)" in out, "no verify OK: " + what)
        m = re.search(r"^Peer signature type: (\S+)$", out, re.M)
        true(m and m.group(1).startswith(sig), "not signed with %s: %s"
             % (sig, what))
    # the same through Python's ssl: the serials
    for name, serial in (("other.test", SERIAL_OTHER),
                         ("localhost", SERIAL_LOCALHOST)):
        r, cert = tls_get(srv, name)
        eq(r.status, 200, "GET with SNI %s" % name)
        eq(int(cert["serialNumber"], 16), serial, "serial for SNI %s" % name)


# ------------------------------------------------ 2: plain on https

def test_plain_to_https(c):
    srv = c.srv()
    with t.Client(srv.tls_port) as cl:
        cl.send(t.request("GET", "/small.txt") + t.SMUGGLED)
        r = cl.read_response()
        eq(r.status, 400, "status of plain HTTP to the https port")
        true(PLAIN_SENTENCE in r.body, "body %r lacks %r"
             % (r.body[:300], PLAIN_SENTENCE))
        true(r.closes(), "no Connection: close on the 400")
        true(cl.closed_within(), "connection left open after the 400, or "
             "a second request answered")
    t.assert_serving(srv, "after plain HTTP on the https port")


# ------------------------------------- 3: test_http.py over TLS

OVER_TLS = [
    h.test_get_root, h.test_head_root, h.test_big_file, h.test_content_types,
    h.test_404, h.test_traversal, h.test_encoded_names, h.test_dir_redirect,
    h.test_dir_index, h.test_dir_noindex, h.test_methods,
    h.test_post_then_get, h.test_range_first, h.test_range_suffix,
    h.test_range_open, h.test_range_big, h.test_range_unsatisfiable,
    h.test_inm, h.test_ims, h.test_keepalive_five, h.test_http10_close,
    h.test_http10_keepalive, h.test_pipeline_three, h.test_expect_continue,
    h.test_slow_client,
]
HTTP_NAMES = {fn: name for name, fn in h.TESTS}


def check_malformed_both(c, raw, statuses):
    """A MALFORMED row over plain, then over TLS: the same status."""
    plain = t.check_malformed(c.plain, raw, statuses)
    over = t.check_malformed(c, raw, statuses)
    eq(over, plain, "status over TLS vs over plain")


# ------------------------------------------- 4: handshake timeout

def closes_after(port, parts, interval):
    """Connects, sends PARTS INTERVAL apart (then nothing): seconds until
    the server closed, and what it sent."""
    got = b""
    with socket.create_connection((t.HOST, port), timeout=10) as s:
        t0 = time.monotonic()
        deadline = t0 + HANDSHAKE_TIMEOUT + DEFER_ACCEPT + LATE_SLACK + 3
        parts = list(parts)
        while time.monotonic() < deadline:
            if parts:
                try:
                    s.sendall(parts.pop(0))
                except (BrokenPipeError, ConnectionResetError):
                    return time.monotonic() - t0, got
            wait = interval if parts else deadline - time.monotonic()
            ready, _, _ = select.select([s], [], [], max(0, wait))
            if not ready:
                continue
            try:
                data = s.recv(4096)
            except ConnectionResetError:
                data = b""
            if not data:
                return time.monotonic() - t0, got
            got += data
    raise AssertionError("still open after %.1f s" % (deadline - t0))


def client_hello():
    """The bytes of a real ClientHello for localhost."""
    out = ssl.MemoryBIO()
    obj = ssl.create_default_context().wrap_bio(
        ssl.MemoryBIO(), out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def test_handshake_timeout(c):
    srv = c.srv()
    hello = client_hello()
    true(len(hello) > 100, "no ClientHello to cut (%d bytes)" % len(hello))
    cases = [  # name, parts, interval, earliest, latest
        ("silent", [], 0, HANDSHAKE_TIMEOUT,
         HANDSHAKE_TIMEOUT + DEFER_ACCEPT),
        ("half a ClientHello", [hello[:len(hello) // 2]], 0,
         HANDSHAKE_TIMEOUT, HANDSHAKE_TIMEOUT),
        ("a ClientHello a byte every %.1f s" % DRIP_INTERVAL,
         [hello[i:i + 1] for i in range(len(hello) - 1)], DRIP_INTERVAL,
         HANDSHAKE_TIMEOUT, HANDSHAKE_TIMEOUT + DRIP_INTERVAL),
    ]
    results = {}

    def one(name, parts, interval):
        try:
            results[name] = closes_after(srv.tls_port, parts, interval)
        except Exception as e:  # noqa: B902 - reported below
            results[name] = e

    threads = [threading.Thread(target=one, args=row[:3], daemon=True)
               for row in cases]
    for th in threads:
        th.start()
    for th in threads:
        th.join(HANDSHAKE_TIMEOUT + DEFER_ACCEPT + LATE_SLACK + 5)
    bad = []
    for name, _, _, early, late in cases:
        res = results.get(name)
        if not isinstance(res, tuple):
            bad.append("%s: %r" % (name, res))
            continue
        took, got = res
        note("%s: closed after %.2f s (%d bytes: %r)"
             % (name, took, len(got), got[:16]))
        if took < early - EARLY_SLACK or took > late + LATE_SLACK:
            bad.append("%s: closed after %.2f s, want %.1f..%.1f s"
                       % (name, took, early - EARLY_SLACK, late + LATE_SLACK))
        if got and not got.startswith(b"\x15\x03"):
            bad.append("%s: sent %r, not a TLS alert" % (name, got[:40]))
    true(not bad, "; ".join(bad))
    t.assert_serving(srv, "after the stalled handshakes")


# ------------------------------------------------ 5: resumption

def sess_file(srv, flag):
    return os.path.join(srv.root, "session%s.pem" % flag)


def owner_of(srv):
    """For s_client's WAIT: the worker that took the connection from a
    local port."""
    return lambda port: t.serving_pid(srv.tls_port, port, srv.worker_pids())


def first_session(srv, flag):
    """A full handshake that saves its session: its 'New'/'Reused', the
    file, the worker that made the session."""
    path = sess_file(srv, flag)
    rc, out, pid = s_client(srv, flag, "-servername", "localhost",
                            "-sess_out", path, bind=t.free_port(),
                            wait=owner_of(srv))
    eq(rc, 0, "s_client %s -sess_out exit status\n%s" % (flag, out[-3000:]))
    return session_line(out), path, pid


def resume_run(srv, flag, path, n):
    """N s_client -sess_in PATH in a row: [(New/Reused, the worker pid
    that took it)]."""
    out = []
    for _ in range(n):
        rc, text, pid = s_client(srv, flag, "-servername", "localhost",
                                 "-sess_in", path, bind=t.free_port(),
                                 wait=owner_of(srv))
        true(rc == 0 and "HTTP/1.1 200 OK" in text,
             "s_client %s -sess_in: exit %d\n%s" % (flag, rc, text[-3000:]))
        out.append((session_line(text), pid))
    return out


def check_reused(runs, what):
    lines = [line for line, _ in runs]
    true(all(line == "Reused" for line in lines),
         "%s: %s (want Reused every time)" % (what, lines))


def test_resume_workers(c):
    """The worker that made the session is stopped (SIGSTOP, SIGCONT
    after) while the session is resumed: other workers must do it."""
    srv = c.srv()
    for flag in ("-tls1_3", "-tls1_2"):
        line, path, issuer = first_session(srv, flag)
        eq(line, "New", "first s_client %s" % flag)
        true(os.path.exists(path), "s_client %s wrote no session" % flag)
        true(issuer, "no worker found holding the first connection")
        with stopped([issuer]):
            runs = resume_run(srv, flag, path, RESUMES)
        check_reused(runs, "s_client %s -sess_in" % flag)
        owners = sorted({p for _, p in runs if p})
        note("%s: session made by worker %d, resumed %d times while it was "
             "stopped, Reused each time, by workers %s"
             % (flag, issuer, len(runs), owners))
        true(owners and issuer not in owners, "resumptions went to %s, "
             "want workers other than %d" % (owners, issuer))
        c.sessions[flag] = path


def drained(srv, before):
    """Waits until the generations of BEFORE have no worker left."""
    def done():
        return all(not pids for gid, _, _, pids in t.generations(srv)
                   if gid in before)
    t.wait_for(done, 15, "the old generation to drain")


def resume_in_new_generation(c, what):
    srv = c.srv()
    gid, mpm, _, pids = t.active(srv)
    for flag in ("-tls1_3", "-tls1_2"):
        true(flag in c.sessions, "no session from the resumption test")
        runs = resume_run(srv, flag, c.sessions[flag], 2)
        check_reused(runs, "%s: s_client %s -sess_in" % (what, flag))
        strays = [p for _, p in runs if p not in pids]
        true(not strays, "%s: workers %s are not of generation %d %s"
             % (what, strays, gid, pids))
        note("%s %s: Reused by generation %d (MPM %s) workers %s"
             % (what, flag, gid, mpm, sorted({p for _, p in runs})))
    return mpm


def graceful(srv):
    res = t.ctl(srv, "graceful")
    eq(res[0], 0, "mpmctl graceful exit status\n%s\n%s"
       % (shown(res), srv.diag()))
    return res


def test_resume_graceful(c):
    srv = c.srv()
    before = {g[0] for g in t.generations(srv)}
    graceful(srv)
    drained(srv, before)
    resume_in_new_generation(c, "after mpmctl graceful")


def swap_target(mpm):
    """Another MPM: one under test, else any other built."""
    built = [m for m in t.KNOWN_MPMS
             if os.access(os.path.join(t.BUILDDIR, "mpm-" + m), os.X_OK)]
    for m in t.mpms() + built:
        if m != mpm:
            return m
    t.skip("no MPM other than %s is built to swap to" % mpm)


def test_resume_swap(c):
    srv = c.srv()
    other = swap_target(srv.mpm)
    before = {g[0] for g in t.generations(srv)}
    old = srv.mpm
    srv.mpm = other
    srv.rewrite()
    try:
        graceful(srv)
    except AssertionError:
        srv.mpm = old
        srv.rewrite()
        raise
    drained(srv, before)
    got = resume_in_new_generation(c, "after the swap %s -> %s"
                                   % (old, other))
    eq(got, other, "MPM of the active generation")


def test_notickets(c):
    srv = c.notickets.get()
    for flag in ("-tls1_3", "-tls1_2"):
        line, path, _ = first_session(srv, flag)
        eq(line, "New", "first s_client %s" % flag)
        if not os.path.exists(path):
            note("%s: the server issued no session to save" % flag)
            continue
        runs = resume_run(srv, flag, path, RESUMES)
        lines = [ln for ln, _ in runs]
        true(all(ln == "New" for ln in lines), "SSLSessionTickets off, "
             "s_client %s -sess_in: %s (want New every time)"
             % (flag, lines))
        note("%s: New %d times, workers %s" % (flag, len(runs),
                                               sorted({p for _, p in runs})))


# ------------------------------------------------ 6: renewal

def replace_file(src, dst):
    """DST replaced by a copy of SRC in one rename."""
    tmp = dst + ".tmp"
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def graceful_fails(srv, what, keyfile):
    res = t.ctl(srv, "graceful")
    text = res[1] + res[2]
    true(res[0] != 0, "mpmctl graceful with %s exited 0\n%s"
         % (what, shown(res)))
    where = "%s:%d: SSLCertificateKeyFile: " % (os.path.basename(srv.conf),
                                                 srv.key_line())
    true(where in text, "mpmctl graceful with %s does not name the "
         "SSLCertificateKeyFile line (%s)\n%s" % (what, where, shown(res)))
    true(keyfile in text, "mpmctl graceful with %s does not name %s\n%s"
         % (what, keyfile, shown(res)))
    note("%s: %s" % (what, [ln for ln in text.splitlines()
                            if where in ln][0].strip()))


def test_renewal(c):
    srv = c.renew.get()
    key, cert = srv.file("localhost.key"), srv.file("localhost.pem")
    stale = []
    with t.Client(srv.tls()) as old:
        eq(int(old.sock.getpeercert()["serialNumber"], 16), SERIAL_LOCALHOST,
           "serial before the renewal")
        r = old.exchange(t.request("GET", "/small.txt"))
        eq((r.status, r.closes()), (200, False), "keep-alive GET before")
        for i in range(RENEWALS):
            serial = SERIAL_RENEWED + i
            make_leaf(srv.tls_dir, "localhost", serial, out="renewed")
            replace_file(srv.file("renewed.key"), key)
            replace_file(srv.file("renewed.pem"), cert)
            graceful(srv)
            seen = []
            for _ in range(NEW_CONNECTIONS):
                r, peer = tls_get(srv)
                eq(r.status, 200, "GET on a new connection")
                seen.append(int(peer["serialNumber"], 16))
            if seen != [serial] * NEW_CONNECTIONS:
                stale.append("renewal %d: new connections after mpmctl "
                             "graceful saw serials %s, want %d every time"
                             % (i + 1, seen, serial))
            if i:
                continue
            answers = 0
            while answers < 3:
                r = old.exchange(t.request("GET", "/small.txt"))
                answers += 1
                true(r.status == 200 and r.body == t.SMALL_DATA,
                     "old connection after the renewal: %r" % r)
                if r.closes():
                    break
            true(r.closes(), "old connection: %d answers, none with "
                 "Connection: close" % answers)
            true(old.closed_within(), "old connection left open after "
                 "Connection: close")
            note("old connection: %d answers after the renewal, then "
                 "closed" % answers)
    true(not stale, "; ".join(stale))


def test_bad_key(c):
    srv = c.renew.get()
    key = srv.file("localhost.key")
    good = srv.file("good.key")
    shutil.copyfile(key, good)
    want = int(openssl("x509", "-in", srv.file("localhost.pem"), "-noout",
                       "-serial").strip().split("=")[1], 16)
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-out", srv.file("wrong.key"))
    with open(srv.file("garbage.key"), "w") as f:
        f.write("this is not a private key\n")
    try:
        for bad, what in (("wrong.key", "a key that is not the cert's"),
                          ("garbage.key", "a garbage key file")):
            replace_file(srv.file(bad), key)
            graceful_fails(srv, what, key)
            r, peer = tls_get(srv)
            eq((r.status, int(peer["serialNumber"], 16)), (200, want),
               "status and serial of a new connection after %s" % what)
    finally:
        replace_file(good, key)
    graceful(srv)
    eq(int(tls_get(srv)[1]["serialNumber"], 16), want, "serial at the end")


# ------------------------------------------- 7: keys in memory

def key_secrets(srv):
    """Form name -> bytes of the private keys, to look for."""
    ec = openssl("pkey", "-in", srv.file("localhost.key"), "-text",
                 "-noout")
    m = re.search(r"^priv:\s*\n((?:\s+[0-9a-f:]+\n)+)", ec, re.M)
    true(m, "no priv: in openssl pkey's text\n" + ec)
    scalar = bytes.fromhex(re.sub(r"[\s:]", "", m.group(1)))
    scalar = scalar.lstrip(b"\0").rjust(32, b"\0")
    rsa = openssl("pkey", "-in", srv.file("other.key"), "-text", "-noout")
    m = re.search(r"^prime1:\s*\n((?:\s+[0-9a-f:]+\n)+)", rsa, re.M)
    true(m, "no prime1: in openssl pkey's text\n" + rsa)
    prime = bytes.fromhex(re.sub(r"[\s:]", "", m.group(1))).lstrip(b"\0")
    pems = {}
    for name in ("localhost", "other"):
        with open(srv.file(name + ".key"), "rb") as f:
            pems[name] = f.read().strip()
    eq(len(scalar), 32, "length of the P-256 scalar")
    return {
        "ECDSA scalar, big-endian": scalar,
        "ECDSA scalar, byte-reversed (BIGNUM limbs)": scalar[::-1],
        "ECDSA key file PEM": pems["localhost"],
        "RSA prime p, big-endian": prime,
        "RSA prime p, byte-reversed (BIGNUM limbs)": prime[::-1],
        "RSA key file PEM": pems["other"],
    }


def readable_regions(pid):
    out = []
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            fields = line.split()
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            name = fields[5] if len(fields) > 5 else ""
            if fields[1][0] == "r" and name not in ("[vvar]", "[vsyscall]"):
                out.append((lo, hi, name))
    return out


def resident_runs(pagemap, lo, hi):
    """The runs of pages of [LO, HI) that are in memory or swapped out,
    from /proc/PID/pagemap (open as PAGEMAP): [(start, end)]. The rest
    was never touched and reads as zeros."""
    page = os.sysconf("SC_PAGE_SIZE")
    runs, start = [], None
    for first in range(lo // page, hi // page, PAGEMAP_BATCH):
        n = min(PAGEMAP_BATCH, hi // page - first)
        entries = array.array("Q", os.pread(pagemap, n * 8, first * 8))
        for i, entry in enumerate(entries):
            if entry >> 62:  # present (bit 63) or swapped (bit 62)
                if start is None:
                    start = (first + i) * page
            elif start is not None:
                runs.append((start, (first + i) * page))
                start = None
    if start is not None:
        runs.append((start, hi))
    return runs


def scan_memory(pid, secrets):
    """Which SECRETS are in PID's memory: {form: [where]}, and a line on
    what was read."""
    found = {}
    read = skipped = 0
    longest = max(len(v) for v in secrets.values())
    try:
        fd = os.open("/proc/%d/mem" % pid, os.O_RDONLY)
        pagemap = os.open("/proc/%d/pagemap" % pid, os.O_RDONLY)
    except PermissionError as e:
        t.skip("cannot read the memory of pid %d: %s" % (pid, e))
    try:
        for lo, hi, name in readable_regions(pid):
            if hi - lo > BIG_REGION:
                skipped += 1  # a sanitizer's shadow, TiBs of it
                continue
            for rlo, rhi in resident_runs(pagemap, lo, hi):
                tail = b""
                for off in range(rlo, rhi, READ_CHUNK):
                    try:
                        chunk = os.pread(fd, min(READ_CHUNK, rhi - off), off)
                    except OSError:
                        break
                    read += len(chunk)
                    data = tail + chunk
                    for form, value in secrets.items():
                        if value in data:
                            found.setdefault(form, []).append(
                                "%s@%x" % (name or "anon", off))
                    tail = chunk[-(longest - 1):]
    finally:
        os.close(fd)
        os.close(pagemap)
    return found, "%.1f MiB resident read, %d huge regions skipped" % (
        read / 1048576.0, skipped)


def sign_some(srv):
    """Handshakes with both keys on every worker before a scan."""
    done = on_each_worker(srv, lambda pid: handshakes_on(srv, pid))
    bad = {p: st for p, st in done.items() if st != [200, 200]}
    true(not bad, "GETs over TLS before the scan: %s" % bad)


def need_root():
    if not t.is_root():
        t.skip("reading other processes' memory takes root")


def scan_server(srv, secrets, keys):
    """{pid: found} for the workers of SRV and its key processes KEYS."""
    workers = [p for p in srv.exec_workers() if p not in keys]
    true(workers, "no worker to look into")
    result = {}
    for pid in workers + keys:
        found, how = scan_memory(pid, secrets)
        result[pid] = found
        role = "key process" if pid in keys else "worker"
        note("%s %d (%s): %s" % (role, pid, how, "; ".join(
            "%s at %s" % (f, ", ".join(w[:3])) for f, w in sorted(
                found.items())) or "no secret found"))
    return workers, result


def test_key_process_status(c):
    srv = c.srv()
    text = t.status(srv)[1]
    m = re.search(r"^  tls: (\d+) certificates?, keys in key processes "
                  r"\(KeyUser [^:]+: pid (\d+)\)$", text, re.M)
    true(m, "no tls line naming the key process:\n" + text)
    eq(int(m.group(1)), len(LEAVES), "certificates in mpmctl status")
    pid = int(m.group(2))
    eq(t.proc_stat(pid)[1] if t.proc_stat(pid) else None, srv.proc.pid,
       "parent of the key process %d" % pid)
    true(t.exe_of(pid) in (os.path.join(t.BUILDDIR, "mpmd-keys"),
                           "mpmd-keys"),
         "key process binary: %s" % t.exe_of(pid))
    true(pid not in [p for g in t.generations(srv) for p in g[3]],
         "the key process %d is listed as a worker" % pid)
    if t.is_root():
        with open("/proc/%d/status" % pid) as f:
            uids = re.search(r"^Uid:\s+(.*)$", f.read(), re.M).group(1)
        true("0" not in uids.split(), "key process runs with uid 0: %s"
             % uids)


def test_keys_not_in_workers(c):
    need_root()
    srv = c.srv()
    secrets = key_secrets(srv)
    sign_some(srv)
    keys = key_pids(srv)
    true(keys, "no key process in mpmctl status")
    workers, result = scan_server(srv, secrets, keys)
    leaks = {p: sorted(result[p]) for p in workers if result[p]}
    true(not leaks, "private key bytes in workers: %s" % leaks)
    for kind in ("ECDSA scalar", "RSA prime p"):
        true(any(f.startswith(kind) for p in keys for f in result[p]),
             "the %s is not found even in the key process %s: the search "
             "does not work" % (kind, keys))


def test_keys_in_workers_when_off(c):
    need_root()
    srv = c.inworkers.get()
    text = t.status(srv)[1]
    true(re.search(r"^  tls: \d+ certificates?, keys in the workers$", text,
                   re.M), "no 'keys in the workers' line:\n" + text)
    secrets = key_secrets(srv)
    sign_some(srv)
    workers, result = scan_server(srv, secrets, [])
    true(any(f.startswith("ECDSA scalar") for p in workers
             for f in result[p]),
         "with SSLKeyIsolation off no worker of %s holds the ECDSA scalar: "
         "the search cannot see a key in a worker" % workers)


# ------------------------------------------ 8: the key process dies

class Prober:
    """Threads that each make TLS connections in a loop (handshake, GET,
    closed), recording every attempt: (start, end, ok, name, error)."""

    def __init__(self, srv, names):
        self.srv = srv
        self.halt = threading.Event()
        self.lock = threading.Lock()
        self.attempts = []
        self.threads = [threading.Thread(target=self._run, args=(n,),
                                         daemon=True) for n in names]

    def __enter__(self):
        for th in self.threads:
            th.start()
        return self

    def __exit__(self, *exc):
        self.halt.set()
        for th in self.threads:
            th.join(t.IO_TIMEOUT * 2)
        true(not any(th.is_alive() for th in self.threads),
             "TLS probe threads did not stop")

    def _run(self, name):
        while not self.halt.is_set():
            t0 = time.monotonic()
            err = None
            try:
                r, _ = tls_get(self.srv, name)
                if r.status != 200:
                    err = "status %d" % r.status
            except Exception as e:  # noqa: B902 - every outcome is recorded
                err = "%s: %s" % (type(e).__name__, e)
            with self.lock:
                self.attempts.append((t0, time.monotonic(), err is None,
                                      name, err))
            self.halt.wait(0.01)

    def between(self, lo, hi, ended=False):
        """Attempts started in [LO, HI); with ENDED, also ended by HI."""
        with self.lock:
            return [a for a in self.attempts if lo <= a[0] < hi and
                    (not ended or a[1] < hi)]


def new_key_process(srv, old):
    """A child of the master running mpmd-keys that is not OLD, or None."""
    want = (os.path.join(t.BUILDDIR, "mpmd-keys"), "mpmd-keys")
    for pid in t.children_of(srv.proc.pid):
        if pid != old and t.exe_of(pid) in want:
            return pid
    return None


def logged_delay(srv, pid):
    """The delay the master said it would replace the key process PID
    after (0: at once), from its error log line on PID's death."""
    pat = (r"key process pid %d \(generation \d+, \d+ of \d+\) killed by "
           r"signal 9 "
           r"\(SIGKILL\); (?:crashes repeat, replacing it in (\d+) ms|"
           r"replacing it)" % pid)
    m = t.wait_for(lambda: re.search(pat, srv.error_text()), 3,
                   "the error log to say: key process pid %d ... killed by "
                   "signal 9" % pid)
    return int(m.group(1) or 0) / 1000.0


def kill_keys(srv, pid):
    """SIGKILL to the key process PID: (when, its successor, when that
    was seen as a new mpmd-keys child of the master, watched closely, for
    `mpmctl status` takes a while under a sanitizer)."""
    k = time.monotonic()
    t.kill_pid(pid, signal.SIGKILL)
    new = t.wait_for(lambda: new_key_process(srv, pid), KEYS_BACK * 5,
                     "a new mpmd-keys child of the master", 0.005)
    return k, new, time.monotonic()


def test_key_process_killed(c):
    srv = c.srv()
    master = srv.proc.pid
    first = the_key_pid(srv)
    deaths = []  # (pid, killed at, successor, successor seen at)
    with Prober(srv, ["localhost", "other.test"] * (PROBE_THREADS // 2) +
                ["localhost"] * (PROBE_THREADS % 2)) as load:
        time.sleep(RECOVER)
        deaths.append((first,) + kill_keys(srv, first))
        t.wait_for(lambda: key_pids(srv) == [deaths[0][2]], KEYS_BACK * 5,
                   "mpmctl status to name the key process %d"
                   % deaths[0][2])
        time.sleep(RECOVER * 2)
        # Two more deaths within the crash window: each successor comes
        # after a backoff, so there is a while with no key process at all.
        # The third dies SUCCESSOR_AGE after it showed.
        for i in range(2):
            time.sleep(SUCCESSOR_AGE if i else 0)
            pid = deaths[-1][2]
            deaths.append((pid,) + kill_keys(srv, pid))
        time.sleep(RECOVER * 2)
        end = time.monotonic()
    true(srv.running() and srv.proc.pid == master, "the master is gone")
    delays = [logged_delay(srv, d[0]) for d in deaths]
    c.key_deaths = list(zip(deaths, delays))
    eq(key_pids(srv), [deaths[-1][2]], "key process in mpmctl status")
    chain = " -> ".join(str(d[0]) for d in deaths) + " -> %d" % deaths[-1][2]
    note("key processes %s; logged delays %s s, successors seen after %s s"
         % (chain, delays, ["%.2f" % (d[3] - d[1]) for d in deaths]))
    down = [a for d in deaths for a in load.between(d[1], d[3])]
    note("%d handshakes, %d while a key process was being replaced (%d of "
         "them failed, the slowest took %.2f s)" % (
             len(load.attempts), len(down), len([a for a in down
                                                 if not a[2]]),
             max([a[1] - a[0] for a in down] or [0])))
    k1 = deaths[0][1]
    slow = [a for a in load.attempts if a[1] - a[0] >= FAIL_FAST]
    true(not slow, "handshakes that took >= %.1f s: %s" % (FAIL_FAST, [
        "%.2f s from %+.2f s: %s" % (a[1] - a[0], a[0] - k1, a[4])
        for a in slow[:5]]))
    true(down, "no handshake was tried while the key process was down")
    after = load.between(deaths[0][3] + RECOVER, deaths[1][1], True) + \
        load.between(deaths[-1][3] + RECOVER, end)
    failed = [a for a in after if not a[2]]
    true(after and not failed, "%d of %d handshakes made %.1f s after a "
         "key process was back failed: %s" % (
             len(failed), len(after), RECOVER,
             [("%+.2f s" % (a[0] - k1), a[3], a[4]) for a in failed[:5]]))
    before = load.between(0, k1, True)
    true(before and all(a[2] for a in before), "handshakes before the kill "
         "failed: %s" % [a[4] for a in before if not a[2]][:5])
    t.assert_serving(srv, "after the key process was killed")
    try:
        done = on_each_worker(srv, lambda pid: handshakes_on(srv, pid))
    except (AssertionError, OSError) as e:
        raise AssertionError("a worker cannot do a handshake with the new "
                             "key process: %s: %s" % (type(e).__name__, e))
    note("after the kills, each worker did a handshake per key: %s" % done)
    took = deaths[0][3] - deaths[0][1]
    true(took <= KEYS_BACK, "key process %d killed: its successor came "
         "after %.2f s, want <= %.1f s"
         % (first, took, KEYS_BACK))


def test_key_process_backoff(c):
    """The deaths after the first come within the crash window: the
    master says it replaces the key process after a delay (TLS is down
    meanwhile); it must keep to that delay."""
    true(c.key_deaths, "no key process deaths from the test before")
    late = ["pid %d: logged 'replacing it in %d ms', replaced after %d ms"
            % (d[0], delay * 1000, (d[3] - d[1]) * 1000)
            for d, delay in c.key_deaths[1:]
            if d[3] - d[1] > delay + BACKOFF_SLACK]
    true(not late, "key process replaced later than the master said "
         "(more than %.1f s late): %s" % (BACKOFF_SLACK, "; ".join(late)))


# ------------------------------------------------- 9: mpmd -t

def mpmd_t(srv, text):
    with open(srv.conf, "w") as f:
        f.write(text)
    return t.run([t.MPMD, "-t", "-f", srv.conf], timeout=OPENSSL_TIMEOUT)


def test_config_check():
    srv = TLSServer(t.first_mpm(), tag="conftest")
    srv.write_config()
    rc, out, err = mpmd_t(srv, srv.config_text())
    eq(rc, 0, "mpmd -t on a good TLS config\n%s" % shown((rc, out, err)))
    base = t.Server.config_text(srv) + "Listen 8443 https\n"
    res = mpmd_t(srv, base)
    where = "%s:%d:" % (os.path.basename(srv.conf), base.count("\n"))
    true(res[0] != 0, "mpmd -t passed https without a certificate\n"
         + shown(res))
    true(where in res[1] + res[2], "mpmd -t does not say %s\n%s"
         % (where, shown(res)))
    true("SSLCertificateFile" in res[1] + res[2], "mpmd -t does not say "
         "SSLCertificateFile is missing\n" + shown(res))
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-out", srv.file("wrong.key"))
    text = srv.config_text().replace(
        "SSLCertificateKeyFile %s/localhost.key" % TLS_DIR,
        "SSLCertificateKeyFile %s/wrong.key" % TLS_DIR)
    res = mpmd_t(srv, text)
    where = "%s:%d: SSLCertificateKeyFile: " % (os.path.basename(srv.conf),
                                                 srv.key_line())
    true(res[0] != 0, "mpmd -t passed a key that is not the cert's\n"
         + shown(res))
    true(where in res[1] + res[2] and srv.file("wrong.key") in
         res[1] + res[2], "mpmd -t does not say %s and name %s\n%s"
         % (where, srv.file("wrong.key"), shown(res)))
    note("mpmd -t: " + (res[1] + res[2]).strip().splitlines()[0])


# ------------------------------------------------- the end

def test_still_serving(c):
    srv = c.srv()
    r, _ = tls_get(srv, "localhost", "/")
    eq((r.status, r.body), (200, c.docfile("index.html")), "final GET / "
       "over TLS")


def test_logs_clean(c):
    for lazy in c.lazies():
        if lazy.srv is not None:
            h.check_logs_clean(lazy.srv)


def stop_error(lazy):
    """Why LAZY's server (if it ran) did not stop cleanly on SIGTERM with
    its workers and key process, or None."""
    try:
        lazy.stop()
    except AssertionError as e:
        return "%s: %s" % (lazy.tag, e)
    return None


def test_stop(c):
    errs = [e for e in map(stop_error, c.lazies()) if e]
    true(not errs, "\n".join(errs))


# ------------------------------------------------------------ register

TESTS = [
    ("curl --cacert verifies and fetches / over https", test_curl),
    ("s_client TLS 1.2 and 1.3: verify OK, HTTP/1.1 answers",
     test_s_client_versions),
    ("s_client -tls1_1 is refused", test_tls11_refused),
    ("ALPN http/1.1 selected", test_alpn),
    ("SNI other.test -> the RSA cert; localhost, none -> the default",
     test_sni),
    ("plain HTTP to the https port -> 400 that says so, closed",
     test_plain_to_https),
    ("mpmctl status names the key process; it is mpmd-keys, unprivileged",
     test_key_process_status),
]
TESTS += [("over TLS: " + HTTP_NAMES[fn], fn) for fn in OVER_TLS]
TESTS += [("over TLS: malformed: %s -> the status it gets over plain, "
           "closed" % name,
           lambda c, raw=raw, st=st: check_malformed_both(c, raw, st))
          for name, raw, st in h.MALFORMED]
TESTS += [
    ("stalled handshakes closed after handshake=%d" % HANDSHAKE_TIMEOUT,
     test_handshake_timeout),
    ("no private key bytes in any worker's memory, found in the key "
     "process", test_keys_not_in_workers),
    ("SSLKeyIsolation off: the key is found in a worker",
     test_keys_in_workers_when_off),
    ("key process killed under load: back within %.0f s, handshakes fail "
     "fast meanwhile" % KEYS_BACK, test_key_process_killed),
    ("key process dying again: replaced after the delay the master logs",
     test_key_process_backoff),
    ("renewed certificate: connections right after mpmctl graceful get "
     "it; the old connection is still answered",
     test_renewal),
    ("a bad key fails graceful with FILE:LINE, the old cert stays",
     test_bad_key),
    ("SSLSessionTickets off: New every time", test_notickets),
    ("sessions resume on other workers (TLS 1.3, 1.2)", test_resume_workers),
    ("sessions resume after mpmctl graceful", test_resume_graceful),
    ("sessions resume after an MPM swap", test_resume_swap),
    ("still serving over TLS", test_still_serving),
    ("error logs and master stderr free of emerg/crit/sanitizer/crash "
     "lines", test_logs_clean),
    ("servers stop on SIGTERM", test_stop),
]


def build():
    """Every test per MPM under test, then the config checks once."""
    runner, mpms = t.mpm_runner()
    for mpm in mpms:
        runner.add_for_mpm(mpm, TESTS, Ctx(mpm))
    if mpms:
        runner.add("mpmd -t: https without a certificate, a key not the "
                   "cert's: FILE:LINE", test_config_check)
    return runner


if __name__ == "__main__":
    t.main(build())
