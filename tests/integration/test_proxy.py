"""The PROXY protocol on "Listen ... proxy" listeners, once per MPM (TAP
on stdout): raw v1 and v2 headers name the client the access log and
StatusAllow see; a connection without a valid header is closed with no
answer; a plain listener takes a PROXY line for a bad request; https
proxy listeners read the header before the ClientHello; a keep-alive
connection handed to a new generation or a new master (mpmctl upgrade)
keeps its client; a real HAProxy in front (send-proxy, send-proxy-v2,
with a CRC32c, and TCP passthrough of TLS) brings curl's own loopback
address into the log; two nodes behind HAProxy restarted one after the
other (mpmctl graceful on A, then B) fail no request of a steady load.
"""

import json
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import loadgen  # noqa: E402
import mpmdtest as t  # noqa: E402
import test_upgrade as tu  # noqa: E402
from mpmdtest import eq, note, true  # noqa: E402
from test_http import check_logs_clean  # noqa: E402

HANDSHAKE_TIMEOUT = 2     # RequestReadTimeout handshake=: the header's time
CLOSE_WAIT = HANDSHAKE_TIMEOUT + 3.0
LOG_WAIT = 3.0            # an access-log line to appear
HAPROXY_WAIT = 10.0       # HAProxy up and its servers UP
HAPROXY_STOP = 5.0
DRAIN_WAIT = 15.0         # the old generation gone after a graceful
NODE_SETTLE = 1.0         # load on a node before and after its graceful
MIN_LOAD = 100            # requests a load that tested anything did
# A node's pool: HAProxy keeps idle connections to each node, and each
# holds a prefork process for up to KeepAliveTimeout
NODE_CONF = ["StartServers 8", "MinSpareServers 8", "MaxSpareServers 32",
             "KeepAliveTimeout 5"]
STATUS_NET = "10.9.0.0/16"
REFUSED = "PROXY protocol: closed the connection from 127.0.0.1:"

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"
V2_LOCAL = 0x20
V2_PROXY = 0x21
V2_TCP4 = 0x11
V2_TCP6 = 0x21
TLV_NOOP = 0x04

# each curl through HAProxy binds a loopback address of its own
CLIENT_V1 = "127.0.0.7"
CLIENT_V2 = "127.0.0.8"
CLIENT_CRC = "127.0.0.9"
CLIENT_TLS = "127.0.0.10"


def v1(src, dst="127.0.0.1", sport=40000, dport=80, proto=None):
    proto = proto or ("TCP6" if ":" in src else "TCP4")
    return ("PROXY %s %s %s %d %d\r\n" % (proto, src, dst, sport,
                                         dport)).encode()


def v2(src=None, dst="127.0.0.1", sport=40000, dport=80, cmd=V2_PROXY,
       tlvs=b""):
    """A v2 header; SRC None: family UNSPEC, no addresses."""
    if src is None:
        body, fam = b"", 0
    elif ":" in src:
        body = (socket.inet_pton(socket.AF_INET6, src) +
                socket.inet_pton(socket.AF_INET6, dst) +
                struct.pack("!HH", sport, dport))
        fam = V2_TCP6
    else:
        body = (socket.inet_aton(src) + socket.inet_aton(dst) +
                struct.pack("!HH", sport, dport))
        fam = V2_TCP4
    body += tlvs
    return V2_SIG + struct.pack("!BBH", cmd, fam, len(body)) + body


def tlv(kind, value):
    return struct.pack("!BH", kind, len(value)) + value


class Wrapped(t.Client):
    """A t.Client on a socket already connected (and maybe TLS)."""

    def __init__(self, sock, timeout=t.IO_TIMEOUT):
        self.sock = sock
        self.timeout = timeout
        self.buf = b""
        self.eof = False


def make_cert(dirname):
    """A self-signed ECDSA certificate for localhost: (cert, key)."""
    cert = os.path.join(dirname, "proxy-test.crt")
    key = os.path.join(dirname, "proxy-test.key")
    rc, out, err = t.run(["openssl", "req", "-x509", "-newkey", "ec",
                          "-pkeyopt", "ec_paramgen_curve:prime256v1",
                          "-nodes", "-keyout", key, "-out", cert, "-days",
                          "2", "-subj", "/CN=localhost"], timeout=30)
    eq(rc, 0, "openssl req\n" + err)
    os.chmod(key, 0o600)
    return cert, key


class ProxyServer(t.Server):
    """The harness's server (its plain Listen answers the readiness probe)
    plus a proxy listener and an https proxy listener on ports of their
    own, picked again with the main one on each start attempt."""

    def __init__(self, mpm, tag="proxy", extra=()):
        self.pport = self.sport = None
        super().__init__(mpm, [
            "RequestReadTimeout handshake=%d header=10 body=10"
            % HANDSHAKE_TIMEOUT,
            "GracefulShutdownTimeout 20",
            "ServerStatus /server-status",
            "StatusAllow %s" % STATUS_NET,
        ] + list(extra), tag=tag)
        self.cert, self.key = make_cert(self.conf_dir)

    def write_config(self, port=None):
        self.pport, self.sport = t.free_port(), t.free_port()
        return super().write_config(port)

    def config_text(self):
        return super().config_text() + "\n".join([
            "Listen %s:%d proxy" % (t.HOST, self.pport),
            "Listen %s:%d https proxy" % (t.HOST, self.sport),
            "SSLCertificateFile %s" % self.cert,
            "SSLCertificateKeyFile %s" % self.key,
        ]) + "\n"


class Ctx:
    def __init__(self, mpm):
        self.mpm = mpm
        self.srv = None
        self.error = None

    def get(self):
        if self.error:
            raise AssertionError("proxy server did not start: " + self.error)
        if self.srv is None:
            try:
                self.srv = ProxyServer(self.mpm, extra=[
                    "KeepAliveTimeout 30"]).start()
            except BaseException as e:
                self.error = str(e).split("\n")[0]
                raise
        return self.srv


def token():
    return "tok%d" % time.monotonic_ns()


def log_lines(srv, tok, n=1):
    """The access-log lines that carry TOK, once there are N."""
    def found():
        got = [ln for ln in srv.access_text().splitlines() if tok in ln]
        return got if len(got) >= n else None
    return t.wait_for(found, LOG_WAIT, "%d access-log lines with %s"
                      % (n, tok))


def client_of(line):
    return line.split(" ", 1)[0]


def get_req(path):
    return t.request("GET", path)


def proxied_get(srv, header, path, port=None):
    """HEADER, then GET PATH, on one connection to the proxy listener."""
    with t.Client(port or srv.pport) as c:
        c.send(header + get_req(path))
        return c.read_response()


# ------------------------------------------------------------ raw headers

def check_client(c, header, want):
    srv = c.get()
    tok = token()
    r = proxied_get(srv, header, "/small.txt?" + tok)
    eq((r.status, r.body), (200, t.SMALL_DATA), "GET after the header")
    line = log_lines(srv, tok)[0]
    eq(client_of(line), want, "%%h in %r" % line)


def test_v1_tcp4(c):
    check_client(c, v1("10.9.1.1"), "10.9.1.1")


def test_v1_tcp6(c):
    check_client(c, v1("2001:db8::42", "2001:db8::1"), "2001:db8::42")


def test_v1_unknown(c):
    check_client(c, b"PROXY UNKNOWN\r\n", t.HOST)


def test_v2_tcp4(c):
    check_client(c, v2("10.9.2.2"), "10.9.2.2")


def test_v2_tcp6_tlvs(c):
    check_client(c, v2("2001:db8::43", "2001:db8::1",
                       tlvs=tlv(TLV_NOOP, b"\0" * 5) + tlv(0x01, b"h2")),
                 "2001:db8::43")


def test_v2_local(c):
    check_client(c, v2("10.9.3.3", cmd=V2_LOCAL), t.HOST)


def test_v2_unspec(c):
    check_client(c, v2(None), t.HOST)


def test_split_keepalive(c):
    """The header in two segments, then two requests on the connection."""
    srv = c.get()
    tok = token()
    hdr = v1("10.9.4.4")
    with t.Client(srv.pport) as cl:
        cl.send(hdr[:9])
        time.sleep(0.2)
        cl.send(hdr[9:] + get_req("/small.txt?a" + tok)[:5])
        time.sleep(0.2)
        cl.send(get_req("/small.txt?a" + tok)[5:])
        eq(cl.read_response().status, 200, "first request")
        eq(cl.exchange(get_req("/small.txt?b" + tok)).status, 200,
           "second request")
    lines = log_lines(srv, tok, 2)
    eq([client_of(ln) for ln in lines], ["10.9.4.4"] * 2, "%h of both")


def refused_count(srv):
    return srv.error_text().count(REFUSED)


def check_closed(srv, data, what, wait=t.CLOSE_TIMEOUT):
    before = refused_count(srv)
    with t.Client(srv.pport) as cl:
        if data:
            cl.send(data)
        true(cl.closed_within(wait), "%s: still open after %.0f s"
             % (what, wait))
    t.wait_for(lambda: refused_count(srv) > before, LOG_WAIT,
               "an info line '%s...' for %s" % (REFUSED, what))


def test_garbage_closed(c):
    srv = c.get()
    tok = token()
    check_closed(srv, get_req("/small.txt?" + tok), "an HTTP request "
                 "without a header")
    check_closed(srv, b"PROXY TCP4 10.9.0.1 127.0.0.1 0800 80\r\n" +
                 get_req("/small.txt?" + tok), "a bad port")
    check_closed(srv, V2_SIG + b"\x22\x11\x00\x0c" + b"\0" * 12,
                 "an unknown v2 command")
    check_closed(srv, b"PROXY TCP4 10.9.0.1 127.0.0.1 1 80" + b" " * 80,
                 "a v1 line without CRLF")
    true(tok not in srv.access_text(), "a refused request was logged")


def test_missing_header_times_out(c):
    srv = c.get()
    began = time.monotonic()
    check_closed(srv, b"", "no header at all", CLOSE_WAIT)
    check_closed(srv, b"PROXY TCP4 10.9.", "half a header", CLOSE_WAIT)
    note("closed %.1f s after connecting (handshake=%d)"
         % ((time.monotonic() - began) / 2, HANDSHAKE_TIMEOUT))


def test_plain_listener_400(c):
    srv = c.get()
    for hdr in (v1("10.9.5.5"), v2("10.9.5.5")):
        with t.Client(srv.port) as cl:
            r = cl.exchange(hdr + get_req("/small.txt"))
            eq(r.status, 400, "PROXY header on a plain listener")
            true(cl.closed_within(), "open after the 400")


def test_status_allow(c):
    srv = c.get()
    cases = [
        (srv.pport, v1("10.9.6.6"), 200),
        (srv.pport, v2("10.9.6.7"), 200),
        (srv.pport, v1("192.0.2.1"), 403),
        (srv.pport, v2("10.9.6.6", cmd=V2_LOCAL), 403),
        (srv.port, b"", 403),
    ]
    for port, hdr, want in cases:
        r = proxied_get(srv, hdr, "/server-status?auto", port)
        eq(r.status, want, "status page for %r on port %d" % (hdr, port))


HELD_CLIENT = "192.0.2.77"
STATUS_CLIENT = "10.9.6.6"   # within StatusAllow


def status_page(srv, query=""):
    r = proxied_get(srv, v1(STATUS_CLIENT), "/server-status" + query)
    eq(r.status, 200, "status page%s" % query)
    return r.body.decode()


def held_rows(srv):
    """The ?json rows that show HELD_CLIENT, or None."""
    try:
        d = json.loads(status_page(srv, "?json"))
    except ValueError as e:
        raise AssertionError("?json is not JSON: %s" % e)
    rows = [r for r in d["request_slots"] if r["client"] == HELD_CLIENT]
    return rows or None


def test_status_clients(c):
    srv = c.get()
    # an mpm-event loop is busy only in an event: its idle row shows the
    # client it served last, so one held connection per loop it may have
    n = 4 if c.mpm == "event" else 1
    held = [t.Client(srv.pport) for _ in range(n)]
    try:
        for h in held:
            h.send(v1(HELD_CLIENT) +
                   b"GET /small.txt HTTP/1.1\r\nHost: localhost\r\n")
        rows = t.wait_for(lambda: held_rows(srv), LOG_WAIT,
                          "%s in ?json request_slots" % HELD_CLIENT)
        want = "_" if c.mpm == "event" else "R"
        eq(rows[0]["state"], want, "the held request slot's state")
        true("<td>%s</td>" % HELD_CLIENT in status_page(srv),
             "%s in the HTML page" % HELD_CLIENT)
        true(HELD_CLIENT not in status_page(srv, "?auto"),
             "?auto names no client")
    finally:
        for h in held:
            h.close()


def tls_client(srv, header):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    sock = socket.create_connection((t.HOST, srv.sport),
                                    timeout=t.IO_TIMEOUT)
    sock.sendall(header)
    return Wrapped(ctx.wrap_socket(sock, server_hostname="localhost"))


def test_https_proxy(c):
    srv = c.get()
    tok = token()
    for hdr, want in ((v1("10.9.7.7"), "10.9.7.7"),
                      (v2("2001:db8::77", "2001:db8::1"), "2001:db8::77"),
                      (v2("10.9.7.8", cmd=V2_LOCAL), t.HOST)):
        with tls_client(srv, hdr) as cl:
            r = cl.exchange(get_req("/small.txt?%s-%s" % (tok, want)))
            eq((r.status, r.body), (200, t.SMALL_DATA), "GET over TLS")
        line = log_lines(srv, "%s-%s" % (tok, want))[0]
        eq(client_of(line), want, "%%h in %r" % line)


def test_https_proxy_no_header(c):
    srv = c.get()
    before = refused_count(srv)
    true(not t.refused(srv.sport), "https proxy port refuses")
    try:
        with tls_client(srv, b"") as cl:
            cl.exchange(get_req("/small.txt"))
        raise AssertionError("a TLS session without a PROXY header")
    except (ssl.SSLError, ConnectionError, t.ProtocolError, OSError):
        pass
    t.wait_for(lambda: refused_count(srv) > before, LOG_WAIT,
               "the refusal of a bare ClientHello in the error log")


def check_survives(srv, client, what, hand_over):
    """A proxied keep-alive connection from CLIENT, then HAND_OVER(), after
    which another process serves it: its next request is answered on the
    same connection, and both are logged with CLIENT."""
    tok = token()
    with t.Client(srv.pport) as cl:
        eq(cl.exchange(v1(client) + get_req("/small.txt?a" + tok)).status,
           200, "before the " + what)
        hand_over()
        r = cl.exchange(get_req("/small.txt?b" + tok))
        eq((r.status, r.body), (200, t.SMALL_DATA), "after the %s, on the "
           "same connection" % what)
    lines = log_lines(srv, tok, 2)
    eq([client_of(ln) for ln in lines], [client] * 2,
       "%%h before and after the %s" % what)


def test_handoff_keeps_client(c):
    """An idle proxied connection survives a graceful restart, adopted by
    a worker of the new generation, with its client."""
    srv = c.get()

    def graceful():
        old = t.active(srv)[3]
        res = t.ctl(srv, "graceful")
        eq(res[0], 0, "mpmctl graceful\n" + t.shown(res))
        left = t.wait_gone(old, DRAIN_WAIT)
        true(not left, "old workers %s still alive, holding the "
             "connection?\n%s" % (left, srv.diag()))
    check_survives(srv, "10.9.8.8", "graceful restart", graceful)


def test_upgrade_keeps_client(c):
    """mpmctl upgrade: an idle proxied connection goes to the new master's
    workers with its client, and they read no header on it."""
    inst = tu.Installed()
    srv = ProxyServer(c.mpm, "proxy-upgrade", ["KeepAliveTimeout 30"])
    pids = []

    def upgrade():
        old, new, _ = tu.upgrade(srv)
        pids.append(new)
        true(not t.wait_gone([old], DRAIN_WAIT), "the old master, pid %d, "
             "still alive\n%s" % (old, srv.diag()))
    try:
        srv.start(wrapper=inst.wrapper())
        check_survives(srv, "10.9.10.10", "upgrade", upgrade)
        check_logs_clean(srv)
    finally:
        if pids:
            tu.stop_successor(srv, pids[0])
        srv.kill()
        inst.cleanup()


# ------------------------------------------------------------- HAProxy

def find_tool(name):
    return shutil.which(name, path=os.environ.get("PATH", "") +
                        ":/usr/sbin:/sbin")


HAPROXY_CFG = """global
    maxconn 200
defaults
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    timeout check 2s
frontend fe_v1
    mode http
    bind 127.0.0.1:{hp_v1}
    default_backend be_v1
frontend fe_v2
    mode http
    bind 127.0.0.1:{hp_v2}
    default_backend be_v2
frontend fe_crc
    mode http
    bind 127.0.0.1:{hp_crc}
    default_backend be_crc
frontend fe_tls
    mode tcp
    bind 127.0.0.1:{hp_tls}
    default_backend be_tls
backend be_v1
    mode http
    option httpchk
    http-check send meth GET uri /small.txt?haproxy-check-v1
    server mpmd 127.0.0.1:{pport} send-proxy check inter 300ms
backend be_v2
    mode http
    option httpchk
    http-check send meth GET uri /small.txt?haproxy-check-v2
    server mpmd 127.0.0.1:{pport} send-proxy-v2 check inter 300ms
backend be_crc
    mode http
    server mpmd 127.0.0.1:{pport} send-proxy-v2 proxy-v2-options crc32c
backend be_tls
    mode tcp
    server mpmd 127.0.0.1:{sport} send-proxy-v2 check inter 300ms
"""


class HAProxy:
    """haproxy -f CFG -db with CFG formatted from PORTS plus a free port
    for each name in FRONTENDS; stopped (by its pid) on the way out."""

    def __init__(self, cfg, ports, frontends):
        self.dir = tempfile.mkdtemp(prefix="mpmd-haproxy-")
        self.ports = dict(ports)
        self.ports.update((name, t.free_port()) for name in frontends)
        self.cfg = os.path.join(self.dir, "haproxy.cfg")
        with open(self.cfg, "w") as f:
            f.write(cfg.format(**self.ports))
        self.out = os.path.join(self.dir, "haproxy.out")
        self.proc = None

    def __enter__(self):
        with open(self.out, "wb") as out:
            self.proc = t.popen([find_tool("haproxy"), "-f", self.cfg, "-db"],
                                stdout=out, stderr=subprocess.STDOUT)
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(HAPROXY_STOP)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(HAPROXY_STOP)
        shutil.rmtree(self.dir, ignore_errors=True)

    def diag(self):
        return "--- haproxy output:\n" + t.tail(self.out)


def need_tools():
    for tool in ("haproxy", "curl"):
        if find_tool(tool) is None:
            t.skip("%s is not installed (Debian package %s)" % (tool, tool))


def curl(url, interface, extra=()):
    rc, out, err = t.run([find_tool("curl"), "-sS", "--max-time", "5",
                          "--interface", interface, "-o", "/dev/null",
                          "-w", "%{http_code}"] + list(extra) + [url],
                         timeout=15)
    return out.strip() if rc == 0 else "curl exit %d: %s" % (rc, err.strip())


def through(hp, key, interface, srv, scheme="http"):
    """curl from INTERFACE through HAProxy's frontend KEY (retried while
    HAProxy starts): the access log's line names INTERFACE."""
    tok = token()
    url = "%s://127.0.0.1:%d/small.txt?%s" % (scheme, hp.ports[key], tok)
    extra = ["-k"] if scheme == "https" else []
    last = []

    def ok():
        last[:] = [curl(url, interface, extra)]
        return last[0] == "200"
    try:
        t.wait_for(ok, HAPROXY_WAIT, "200 from curl %s via HAProxy" % url)
    except AssertionError as e:
        raise AssertionError("%s: last answer %s\n%s\n%s"
                             % (e, last, hp.diag(), srv.diag()))
    line = log_lines(srv, tok)[-1]
    note("%s via HAProxy %s: %s" % (interface, key, line))
    eq(client_of(line), interface, "%%h in %r" % line)


def health_checks(srv, tag):
    """HAProxy's checks of backend be_TAG have come and been logged."""
    def seen():
        return [ln for ln in srv.access_text().splitlines()
                if "haproxy-check-" + tag in ln]
    lines = t.wait_for(seen, HAPROXY_WAIT, "a %s health check" % tag)
    note("HAProxy %s health check: %s" % (tag, lines[-1]))
    eq(client_of(lines[-1]), t.HOST, "%h of a health check")


def test_haproxy(c):
    need_tools()
    srv = c.get()
    before = refused_count(srv)
    with HAProxy(HAPROXY_CFG, dict(pport=srv.pport, sport=srv.sport),
                 ("hp_v1", "hp_v2", "hp_crc", "hp_tls")) as hp:
        through(hp, "hp_v1", CLIENT_V1, srv)
        through(hp, "hp_v2", CLIENT_V2, srv)
        through(hp, "hp_crc", CLIENT_CRC, srv)
        through(hp, "hp_tls", CLIENT_TLS, srv, "https")
        health_checks(srv, "v1")
        health_checks(srv, "v2")
        true(hp.proc.poll() is None, "haproxy exited\n" + hp.diag())
    eq(refused_count(srv), before, "connections refused while HAProxy ran "
       "(its checks and requests must all carry valid headers)\n"
       + t.tail(srv.error_log))


TWO_NODES_CFG = """global
    maxconn 200
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    timeout check 2s
frontend www
    bind 127.0.0.1:{hp}
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk
    http-check send meth GET uri /small.txt?haproxy-check
    server a 127.0.0.1:{a} send-proxy-v2 check inter 300ms
    server b 127.0.0.1:{b} send-proxy-v2 check inter 300ms
"""


def load_lines(srv):
    return srv.access_text().count('"GET /small.txt HTTP/1.1" 200 ')


def test_two_nodes_graceful(c):
    """The README's procedure: mpmctl graceful on node A, then on B, with
    HAProxy left alone, under a steady load through it."""
    need_tools()
    nodes = [ProxyServer(c.mpm, "node-" + n, NODE_CONF).start()
             for n in "ab"]
    ports = dict(a=nodes[0].pport, b=nodes[1].pport)
    with HAProxy(TWO_NODES_CFG, ports, ("hp",)) as hp:
        for node in nodes:
            t.wait_for(lambda: "haproxy-check" in node.access_text(),
                       HAPROXY_WAIT, "HAProxy's check of %s\n%s"
                       % (node.tag, hp.diag()))
        with loadgen.Load(hp.ports["hp"], "/small.txt", t.SMALL_DATA,
                          keepalive=3, oneshot=2, pause=0.002) as load:
            time.sleep(NODE_SETTLE)
            for node in nodes:
                served = load_lines(node)
                old = t.active(node)[3]
                res = t.ctl(node, "graceful")
                eq(res[0], 0, "mpmctl graceful on %s\n%s"
                   % (node.tag, t.shown(res)))
                true(not t.wait_gone(old, DRAIN_WAIT), "old workers of %s "
                     "still alive\n%s" % (node.tag, node.diag()))
                time.sleep(NODE_SETTLE)
                true(load_lines(node) > served, "%s served nothing of the "
                     "load across its graceful restart" % node.tag)
        true(hp.proc.poll() is None, "haproxy exited\n" + hp.diag())
    note("[%s] graceful on node A, then B, behind HAProxy: %s"
         % (c.mpm, load.summary()))
    eq(load.failed(), 0, "requests failed\n" + load.report())
    true(load.total_ok() >= MIN_LOAD, "only %d requests" % load.total_ok())
    for node in nodes:
        check_logs_clean(node)
        node.stop()


def test_stop(c):
    if c.srv is not None:
        check_logs_clean(c.srv)
        c.srv.stop()


TESTS = [
    ("v1 TCP4 header: %h is its client", test_v1_tcp4),
    ("v1 TCP6 header: %h is its client", test_v1_tcp6),
    ("v1 UNKNOWN: %h is the proxy's address", test_v1_unknown),
    ("v2 TCP4 header: %h is its client", test_v2_tcp4),
    ("v2 TCP6 header with TLVs: %h is its client", test_v2_tcp6_tlvs),
    ("v2 LOCAL (health check): %h is the proxy's address", test_v2_local),
    ("v2 UNSPEC: %h is the proxy's address", test_v2_unspec),
    ("header in two segments, two keep-alive requests, both logged with "
     "its client", test_split_keepalive),
    ("no valid header: closed without an answer, an info line logged",
     test_garbage_closed),
    ("no header, half a header: closed at RequestReadTimeout handshake=",
     test_missing_header_times_out),
    ("a PROXY header on a plain listener is a bad request: 400",
     test_plain_listener_400),
    ("StatusAllow matches the client the header names",
     test_status_allow),
    ("the status page shows the client a PROXY header names",
     test_status_clients),
    ("https proxy: the header before the ClientHello names the client",
     test_https_proxy),
    ("https proxy: a ClientHello without a header is refused",
     test_https_proxy_no_header),
    ("graceful restart: the adopted keep-alive connection keeps its "
     "client", test_handoff_keeps_client),
    ("mpmctl upgrade: the keep-alive connection the new master's workers "
     "adopt keeps its client", test_upgrade_keeps_client),
    ("HAProxy send-proxy, send-proxy-v2 (+crc32c), TCP-mode TLS: %h is "
     "curl's own address", test_haproxy),
    ("two nodes behind HAProxy, mpmctl graceful on A then B under load: "
     "no request fails", test_two_nodes_graceful),
    ("error log clean; the server stops on SIGTERM", test_stop),
]


def build():
    runner, mpms = t.mpm_runner()
    for mpm in mpms:
        runner.add_for_mpm(mpm, TESTS, Ctx(mpm))
    return runner


if __name__ == "__main__":
    t.main(build())
