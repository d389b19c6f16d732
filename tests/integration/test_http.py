"""HTTP behaviour of the real server, once per MPM (TAP on stdout)."""

import hashlib
import os
import re
import sys
import time
from email.utils import formatdate

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mpmdtest as t  # noqa: E402
from mpmdtest import eq, note, true, request  # noqa: E402
from mpmdtest import SMUGGLED, check_malformed  # noqa: E402,F401

LIMIT_LINE = 1024
LIMIT_FIELD = 1024
LIMIT_FIELDS = 30
LIMIT_BODY = 100000
HEADER_TIMEOUT = 2
KA_TIMEOUT = 1
KA_MAX = 3
SLOW_BOUND = 5.0

MAIN_CONF = [
    "LimitRequestLine %d" % LIMIT_LINE,
    "LimitRequestFieldSize %d" % LIMIT_FIELD,
    "LimitRequestFields %d" % LIMIT_FIELDS,
    "LimitRequestBody %d" % LIMIT_BODY,
    "RequestReadTimeout header=%d body=%d" % (HEADER_TIMEOUT, HEADER_TIMEOUT),
]
KA_CONF = [
    "MaxKeepAliveRequests %d" % KA_MAX,
    "KeepAliveTimeout %d" % KA_TIMEOUT,
]
NOKA_CONF = ["KeepAlive Off"]

PASSWD_MARK = b"root:x:0:0"


class Ctx:
    def __init__(self, mpm):
        self.mpm = mpm
        self.main = t.LazyServer(mpm, MAIN_CONF, "http")
        self.ka = t.LazyServer(mpm, KA_CONF, "ka")
        self.noka = t.LazyServer(mpm, NOKA_CONF, "noka")

    def port(self):
        return self.main.get().port

    def docfile(self, name):
        with open(os.path.join(self.main.get().docroot, name), "rb") as f:
            return f.read()


# ---------------------------------------------------------- static files

def test_get_root(c):
    r = t.get(c.port(), "/")
    eq(r.status, 200, "status")
    eq(r.body, c.docfile("index.html"), "body of /")
    ctype = r.header("Content-Type") or ""
    true(re.match(r"^text/html\s*(;\s*charset=[\w-]+\s*)?$", ctype, re.I),
         "Content-Type %r" % ctype)
    eq(r.header("Content-Length"), str(len(r.body)), "Content-Length")
    t.check_date(r.header("Date"))
    t.check_date(r.header("Last-Modified"), "Last-Modified")
    true(r.header("Server"), "no Server header")
    true(re.match(r'^"[^"]+"$', r.header("ETag") or ""),
         "ETag %r is not a strong entity tag" % r.header("ETag"))
    eq(r.header("Accept-Ranges"), "bytes", "Accept-Ranges")
    eq(r.version, "HTTP/1.1", "response version")


def test_head_root(c):
    want = t.get(c.port(), "/")
    with t.Client(c.port()) as cl:
        cl.send(request("HEAD", "/") + request("GET", "/small.txt"))
        r = cl.read_response("HEAD")
        nxt = cl.read_response()
    eq(r.status, 200, "HEAD status")
    for h in ("Content-Type", "Content-Length", "Last-Modified", "ETag",
              "Accept-Ranges"):
        eq(r.header(h), want.header(h), "HEAD %s vs GET" % h)
    t.check_date(r.header("Date"))
    true(r.header("Server"), "no Server header")
    eq(nxt.status, 200, "GET pipelined after HEAD (HEAD sent a body?)")
    eq(nxt.body, t.SMALL_DATA, "body after HEAD")


def test_curl(c):
    out = os.path.join(c.main.get().root, "curl.out")
    rc, _, err = t.run(["curl", "-sf", "--max-time", "5", "-o", out,
                        "http://%s:%d/" % (t.HOST, c.port())])
    eq(rc, 0, "curl exit status (stderr %r)" % err)
    with open(out, "rb") as f:
        eq(f.read(), c.docfile("index.html"), "body curl got")


def test_big_file(c):
    r = t.get(c.port(), "/big.bin")
    eq(r.status, 200, "status")
    eq(r.header("Content-Length"), str(t.BIG_SIZE), "Content-Length")
    eq(hashlib.sha256(r.body).hexdigest(), t.BIG_SHA256, "sha256 of body")


# the worker's cache trusts a check for 1 s; the rest is polling and load
CHANGE_SEEN_WITHIN = 2.5 if t.sanitized() else 1.5
CHANGE_POLL = 0.1  # on one connection: within MaxKeepAliveRequests


def test_small_file_changes(c):
    """Small files are answered from memory, checked against the file at
    most once a second: a change shows within that, on the same
    connection (so the same thread and its cache), and no answer mixes
    the old file's ETag and length with the new one's bytes."""
    path = os.path.join(c.main.get().docroot, "changing.txt")
    with open(path, "wb") as f:
        f.write(b"first version\n")
    time.sleep(1.2)  # settled: now the worker keeps it in memory
    etags = {}

    def fetch(cl):
        cl.send(request("GET", "/changing.txt"))
        r = cl.read_response()
        if r.status == 200:
            eq(r.header("Content-Length"), str(len(r.body)),
               "Content-Length of the body sent")
            etags.setdefault(r.header("ETag"), r.body)
            eq(etags[r.header("ETag")], r.body, "the body of ETag %s"
               % r.header("ETag"))
        return r

    def until(cl, want, what):
        t0 = time.monotonic()
        while time.monotonic() - t0 < CHANGE_SEEN_WITHIN:
            r = fetch(cl)
            if (r.status, r.body) == want:
                return time.monotonic() - t0
            time.sleep(CHANGE_POLL)
        raise AssertionError("%s: not served within %.1f s" % (
            what, CHANGE_SEEN_WITHIN))

    with t.Client(c.port()) as cl:
        for _ in range(2):
            eq(fetch(cl).body, b"first version\n", "body before the change")
        with open(path, "wb") as f:
            f.write(b"secnd version\n")  # same length, same second
        took = [until(cl, (200, b"secnd version\n"), "a rewrite")]
        tmp = path + ".new"
        with open(tmp, "wb") as f:
            f.write(b"third\n")
        os.rename(tmp, path)
        took.append(until(cl, (200, b"third\n"), "a rename over it"))
        os.unlink(path)
        r = None
        t0 = time.monotonic()
        while time.monotonic() - t0 < CHANGE_SEEN_WITHIN:
            r = fetch(cl)
            if r.status == 404:
                break
            time.sleep(CHANGE_POLL)
        eq(r.status, 404, "status after removal")
        took.append(time.monotonic() - t0)
    note("changes served after %s s" % ", ".join("%.2f" % x for x in took))


def test_content_types(c):
    rows = [
        ("/style.css", r"^text/css\b"),
        ("/app.js", r"^(application|text)/(x-)?javascript\b"),
        ("/image.png", r"^image/png$"),
        ("/UPPER.PNG", r"^image/png$"),
        ("/data.json", r"^application/json\b"),
        ("/blob.zzq9", r"^application/octet-stream$"),
    ]
    bad = []
    for path, want in rows:
        r = t.get(c.port(), path)
        ctype = r.header("Content-Type") or ""
        if r.status != 200 or not re.match(want, ctype, re.I):
            bad.append("%s: %d %r, want %s" % (path, r.status, ctype, want))
        elif r.body != t.FILES[path[1:]]:
            bad.append("%s: wrong body" % path)
    true(not bad, "; ".join(bad))


def test_404(c):
    r = t.get(c.port(), "/no-such-file.txt")
    eq(r.status, 404, "status")
    t.check_date(r.header("Date"))
    true(r.header("Server"), "no Server header")
    true(re.match(r"^text/html", r.header("Content-Type") or ""),
         "error Content-Type %r" % r.header("Content-Type"))
    true(b"404" in r.body or b"Not Found" in r.body,
         "error body %r" % r.body[:200])
    eq(r.closes(), False, "404 closed the connection")


def test_traversal(c):
    bad = []
    for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
                 "/..%2f..%2fetc/passwd", "/passwd-link", "/escape-link",
                 "/sub/../../../etc/passwd"):
        r = t.get(c.port(), path)
        if PASSWD_MARK in r.body:
            bad.append("%s served /etc/passwd" % path)
        elif r.status != 404:
            bad.append("%s: %d, want 404" % (path, r.status))
    true(not bad, "; ".join(bad))


def test_symlink_inside(c):
    r = t.get(c.port(), "/inside-link.txt")
    eq(r.status, 200, "status")
    eq(r.body, t.SMALL_DATA, "body")


def test_encoded_names(c):
    rows = [("/a%20b.txt", "a b.txt"), ("/100%25.txt", "100%.txt"),
            ("/caf%C3%A9.txt", "caf\u00e9.txt"),
            ("/sub/%6Fther.txt", "sub/other.txt")]
    bad = []
    for target, name in rows:
        r = t.get(c.port(), target)
        if r.status != 200 or r.body != t.FILES[name]:
            bad.append("%s: %d" % (target, r.status))
    true(not bad, "; ".join(bad))


def test_dir_redirect(c):
    r = t.get(c.port(), "/sub")
    eq(r.status, 301, "status for /sub")
    loc = r.header("Location") or ""
    true(re.match(r"^(https?://[^/]+)?/sub/$", loc), "Location %r" % loc)
    r = t.get(c.port(), "/sub?a=1&b=2")
    eq(r.status, 301, "status for /sub?a=1&b=2")
    loc = r.header("Location") or ""
    true(re.match(r"^(https?://[^/]+)?/sub/\?a=1&b=2$", loc),
         "Location %r drops or mangles the query" % loc)


def test_dir_index(c):
    r = t.get(c.port(), "/sub/")
    eq(r.status, 200, "status")
    eq(r.body, t.FILES["sub/index.html"], "DirectoryIndex body")
    true(re.match(r"^text/html", r.header("Content-Type") or ""),
         "Content-Type %r" % r.header("Content-Type"))


def test_dir_noindex(c):
    r = t.get(c.port(), "/noindex/")
    eq(r.status, 403, "status")
    true(b"file.txt" not in r.body, "403 body lists the directory")


def test_methods(c):
    bad = []
    for m in ("POST", "PUT", "DELETE"):
        r = t.fetch(c.port(), m, "/small.txt", body=b"x=1")
        allow = [a.strip() for a in ",".join(r.all("Allow")).split(",")]
        if r.status != 405 or "GET" not in allow or "HEAD" not in allow:
            bad.append("%s: %d Allow %r" % (m, r.status, r.all("Allow")))
    true(not bad, "; ".join(bad))


def test_post_then_get(c):
    body = b"field=" + b"v" * 200
    with t.Client(c.port()) as cl:
        cl.send(request("POST", "/small.txt", body=body) +
                request("GET", "/small.txt"))
        r1 = cl.read_response()
        eq(r1.status, 405, "POST status")
        r2 = cl.read_response()
    eq(r2.status, 200, "GET after a POST with a body")
    eq(r2.body, t.SMALL_DATA, "GET body")


# ------------------------------------------------- ranges, conditionals

def _range(c, spec):
    return t.get(c.port(), "/small.txt", {"Range": spec})


def test_range_first(c):
    r = _range(c, "bytes=0-99")
    eq(r.status, 206, "status")
    eq(r.header("Content-Range"), "bytes 0-99/%d" % t.SMALL_SIZE,
       "Content-Range")
    eq(r.body, t.SMALL_DATA[:100], "body")
    eq(r.header("Content-Length"), "100", "Content-Length")


def test_range_suffix(c):
    r = _range(c, "bytes=-10")
    eq(r.status, 206, "status")
    eq(r.header("Content-Range"), "bytes %d-%d/%d" % (
        t.SMALL_SIZE - 10, t.SMALL_SIZE - 1, t.SMALL_SIZE), "Content-Range")
    eq(r.body, t.SMALL_DATA[-10:], "body")


def test_range_open(c):
    r = _range(c, "bytes=100-")
    eq(r.status, 206, "status")
    eq(r.header("Content-Range"), "bytes 100-%d/%d" % (
        t.SMALL_SIZE - 1, t.SMALL_SIZE), "Content-Range")
    eq(r.body, t.SMALL_DATA[100:], "body")


def test_range_big(c):
    off = t.BIG_SIZE // 2
    r = t.get(c.port(), "/big.bin", {"Range": "bytes=%d-%d" % (off, off + 9)})
    eq(r.status, 206, "status")
    eq(r.body, t.BIG_DATA[off:off + 10], "body")


def test_range_unsatisfiable(c):
    r = _range(c, "bytes=%d-%d" % (t.SMALL_SIZE * 2, t.SMALL_SIZE * 3))
    eq(r.status, 416, "status")
    eq(r.header("Content-Range"), "bytes */%d" % t.SMALL_SIZE,
       "Content-Range")


def test_inm(c):
    etag = t.get(c.port(), "/small.txt").header("ETag")
    true(etag, "no ETag")
    with t.Client(c.port()) as cl:
        cl.send(request("GET", "/small.txt", {"If-None-Match": etag}) +
                request("GET", "/small.txt", {"If-None-Match": '"nope"'}))
        r = cl.read_response()
        nxt = cl.read_response()
    eq(r.status, 304, "If-None-Match with the ETag")
    eq(r.header("ETag"), etag, "ETag on 304")
    t.check_date(r.header("Date"))
    eq(nxt.status, 200, "next response (304 sent a body?) / other ETag")
    eq(nxt.body, t.SMALL_DATA, "body after the 304")


def test_ims(c):
    r = t.get(c.port(), "/small.txt")
    eq(r.header("Last-Modified"), t.FIXED_MTIME_TEXT, "Last-Modified")
    future = formatdate(time.time() + 86400, usegmt=True)
    older = formatdate(t.FIXED_MTIME - 86400, usegmt=True)
    bad = []
    # A date later than the server's clock is invalid: ignored, as Apache
    # does (a 304 for it would cache the file until that date).
    for since, want in ((t.FIXED_MTIME_TEXT, 304), (future, 200),
                        (older, 200)):
        r = t.get(c.port(), "/small.txt", {"If-Modified-Since": since})
        if r.status != want:
            bad.append("If-Modified-Since %s: %d, want %d"
                       % (since, r.status, want))
        elif want == 304 and r.body:
            bad.append("304 with a body")
    true(not bad, "; ".join(bad))


# ---------------------------------------------------------- keep-alive

def test_keepalive_five(c):
    with t.Client(c.port()) as cl:
        for i in range(5):
            r = cl.exchange(request("GET", "/small.txt"))
            eq(r.status, 200, "status of request %d" % (i + 1))
            eq(r.body, t.SMALL_DATA, "body of request %d" % (i + 1))
            eq(r.closes(), False, "Connection: close on request %d" % (i + 1))


def test_http10_close(c):
    with t.Client(c.port()) as cl:
        r = cl.exchange(request("GET", "/small.txt", version="HTTP/1.0",
                                host=None))
        eq(r.status, 200, "status")
        eq(r.body, t.SMALL_DATA, "body")
        true(cl.closed_within(), "HTTP/1.0 connection left open")


def test_http10_keepalive(c):
    with t.Client(c.port()) as cl:
        req = request("GET", "/small.txt", {"Connection": "keep-alive"},
                      version="HTTP/1.0", host=None)
        r = cl.exchange(req)
        eq(r.status, 200, "status")
        true("keep-alive" in r.tokens("Connection"),
             "Connection %r" % r.all("Connection"))
        r = cl.exchange(req)
        eq(r.status, 200, "second request on the HTTP/1.0 connection")


def test_pipeline_three(c):
    paths = ["/small.txt", "/style.css", "/data.json"]
    with t.Client(c.port()) as cl:
        cl.send(b"".join(request("GET", p) for p in paths))
        for p in paths:
            r = cl.read_response()
            eq(r.status, 200, "status of %s" % p)
            eq(r.body, t.FILES[p[1:]], "body of %s (out of order?)" % p)


def test_max_keepalive(c):
    port = c.ka.get().port
    with t.Client(port) as cl:
        for i in range(1, KA_MAX + 1):
            r = cl.exchange(request("GET", "/small.txt"))
            eq(r.status, 200, "status of request %d" % i)
            eq(r.closes(), i == KA_MAX, "Connection: close on request %d" % i)
        true(cl.closed_within(), "socket open after the last allowed request")


def test_keepalive_off(c):
    with t.Client(c.noka.get().port) as cl:
        r = cl.exchange(request("GET", "/small.txt"))
        eq(r.status, 200, "status")
        true(r.closes(), "no Connection: close with KeepAlive Off")
        true(cl.closed_within(), "socket left open with KeepAlive Off")


def test_keepalive_timeout(c):
    with t.Client(c.ka.get().port) as cl:
        eq(cl.exchange(request("GET", "/small.txt")).status, 200, "status")
        t0 = time.monotonic()
        closed = cl.closed_within(KA_TIMEOUT + 3)
        took = time.monotonic() - t0
    true(closed, "idle connection still open %.1f s after the response"
         % took)
    true(took >= KA_TIMEOUT * 0.5, "closed after %.2f s, before "
         "KeepAliveTimeout %d" % (took, KA_TIMEOUT))


# ------------------------------------------------------------ malformed

H = b"Host: x\r\n"
MALFORMED = [
    # name, raw request (SMUGGLED is appended), acceptable statuses
    ("space before colon", b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", {400}),
    ("obs-fold", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\r\n  b\r\n\r\n", {400}),
    ("bare LF after a header", b"GET / HTTP/1.1\r\nHost: x\nX-A: a\r\n\r\n",
     {400}),
    ("bare LF line ends", b"GET / HTTP/1.1\nHost: x\n\n", {400}),
    ("NUL in a header", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\x00b\r\n\r\n",
     {400}),
    ("CTL in a header", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\x01b\r\n\r\n",
     {400}),
    ("Content-Length with Transfer-Encoding",
     b"POST /small.txt HTTP/1.1\r\n" + H + b"Content-Length: 5\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", {400}),
    ("two different Content-Length",
     b"POST /small.txt HTTP/1.1\r\n" + H + b"Content-Length: 5\r\n"
     b"Content-Length: 6\r\n\r\nhello", {400}),
    # answering 405 first and closing on the bad chunk is also sound
    ("invalid chunk size",
     b"POST /small.txt HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n"
     b"\r\nzz\r\nhello\r\n0\r\n\r\n", {400, 405}),
    ("HTTP/1.1 without Host", b"GET / HTTP/1.1\r\n\r\n", {400}),
    ("two Host fields", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
     {400}),
    ("HTTP/2.0 request line", b"GET / HTTP/2.0\r\n" + H + b"\r\n", {505}),
    ("request line over LimitRequestLine",
     b"GET /" + b"a" * (LIMIT_LINE * 2) + b" HTTP/1.1\r\n" + H + b"\r\n",
     {414}),
    ("field over LimitRequestFieldSize",
     b"GET / HTTP/1.1\r\n" + H + b"X-Long: " + b"b" * (LIMIT_FIELD * 2) +
     b"\r\n\r\n", {431}),
    ("more fields than LimitRequestFields",
     b"GET / HTTP/1.1\r\n" + H + b"".join(
         b"X-F%d: v\r\n" % i for i in range(LIMIT_FIELDS + 10)) + b"\r\n",
     {431}),
    ("Content-Length over LimitRequestBody",
     b"POST /small.txt HTTP/1.1\r\n" + H +
     b"Content-Length: %d\r\n\r\n" % (LIMIT_BODY * 2), {413}),
    ("Transfer-Encoding: gzip",
     b"POST /small.txt HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip\r\n\r\n",
     {501}),
    ("byte 0x80 in the target", b"GET /\x80 HTTP/1.1\r\n" + H + b"\r\n",
     {400}),
]


# --------------------------------------------------- timeouts, expect

def test_slow_client(c):
    with t.Client(c.port(), timeout=SLOW_BOUND + 2) as cl:
        t0 = time.monotonic()
        cl.send(b"GET /small.txt HT")
        r = cl.read_response(timeout=SLOW_BOUND + 1)
        took = time.monotonic() - t0
        eq(r.status, 408, "status")
        true(cl.closed_within(), "connection open after 408")
    true(took <= SLOW_BOUND, "408 after %.1f s (header timeout %d s)"
         % (took, HEADER_TIMEOUT))
    true(took >= HEADER_TIMEOUT * 0.5, "408 after only %.2f s" % took)


def test_silent_client(c):
    """Connected, never a byte: accepted after TCP_DEFER_ACCEPT's second
    at most, then closed by the header timeout like any slow client."""
    with t.Client(c.port(), timeout=SLOW_BOUND + 2) as cl:
        t0 = time.monotonic()
        true(cl.closed_within(SLOW_BOUND + 1), "silent connection still "
             "open after %.1f s" % (SLOW_BOUND + 1))
        took = time.monotonic() - t0
    true(HEADER_TIMEOUT * 0.5 <= took <= SLOW_BOUND,
         "closed after %.1f s (header timeout %d s)" % (took, HEADER_TIMEOUT))


def test_expect_continue(c):
    body = b"0123456789"
    head = request("POST", "/small.txt", {"Content-Length": str(len(body)),
                                         "Expect": "100-continue"})
    with t.Client(c.port()) as cl:
        cl.send(head)
        try:
            r = cl.read_response(timeout=3)
        except TimeoutError:
            raise AssertionError("neither 100 Continue nor a final status "
                                 "within 3 s")
        if r.status == 100:
            cl.send(body)
            r = cl.read_response()
            eq(r.status, 405, "final status after 100 Continue")
        else:
            eq(r.status, 405, "final status without 100 Continue")
            if r.closes():
                true(cl.closed_within(), "Connection: close but left open")
                return
            cl.send(body)
        if r.closes():
            true(cl.closed_within(), "Connection: close but left open")
            return
        r = cl.exchange(request("GET", "/small.txt"))
        eq(r.status, 200, "GET after the 100-continue POST")
        eq(r.body, t.SMALL_DATA, "body")


# ------------------------------------------------------------ logging

ACCESS_RE = re.compile(
    r'^(\S+) (\S+) (\S+) \[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] '
    r'"(.*)" (\d{3}) (\d+|-) "(.*)" "(.*)"$')


def test_access_log(c):
    srv = c.main.get()
    tok = "tok%d" % time.monotonic_ns()
    ref = "http://referer.test/" + tok
    ua = "mpmd-integ/1.0 (" + tok + ")"
    r = t.get(srv.port, "/small.txt?q=" + tok, {"Referer": ref,
                                               "User-Agent": ua})
    eq(r.status, 200, "status")

    def lines():
        return [ln for ln in srv.access_text().splitlines() if tok in ln]
    found = t.wait_for(lines, 3, "the access-log line")
    eq(len(found), 1, "access-log lines for one request")
    m = ACCESS_RE.match(found[0])
    true(m, "not Combined Log Format: %r" % found[0])
    got = m.groups()
    eq(got[0], t.HOST, "%h")
    eq(got[4], "GET /small.txt?q=%s HTTP/1.1" % tok, "%r")
    eq(got[5], "200", "%>s")
    eq(got[6], str(t.SMALL_SIZE), "%b")
    eq(got[7], ref, "Referer")
    eq(got[8], ua, "User-Agent")


BAD_LOG = re.compile(r"\[[^\]\s]*:(emerg|alert|crit)\]|AddressSanitizer|"
                     r"LeakSanitizer|runtime error:|signal (4|6|7|8|11)\b|"
                     r"SIG(SEGV|ABRT|BUS|ILL|FPE)")


def check_logs_clean(srv):
    bad = [ln for ln in srv.error_text().splitlines() if BAD_LOG.search(ln)]
    true(not bad, "error log of %s:\n%s" % (srv.tag, "\n".join(bad[:20])))
    text = t.read_text(srv.stderr)
    true(not BAD_LOG.search(text), "master stderr of %s:\n%s"
         % (srv.tag, t.tail(srv.stderr)))


def test_still_serving(c):
    r = t.get(c.port(), "/")
    eq(r.status, 200, "final GET /")
    eq(r.body, c.docfile("index.html"), "final body")


def test_logs_clean(c):
    for lazy in (c.main, c.ka, c.noka):
        if lazy.srv is not None:
            check_logs_clean(lazy.srv)


def test_stop(c):
    errs = []
    for lazy in (c.main, c.ka, c.noka):
        try:
            lazy.stop()
        except AssertionError as e:
            errs.append(str(e))
    true(not errs, "\n".join(errs))


# ------------------------------------------------------------ register

TESTS = [
    ("GET / serves index.html with the expected headers", test_get_root),
    ("HEAD / has GET's headers and no body", test_head_root),
    ("curl -sf fetches /", test_curl),
    ("1 MiB file arrives intact", test_big_file),
    ("a changed small file is served new within a second, never mixed",
     test_small_file_changes),
    ("Content-Type by extension", test_content_types),
    ("404 for a missing file", test_404),
    ("404 for every way out of the docroot", test_traversal),
    ("symlink inside the docroot is served", test_symlink_inside),
    ("percent-encoded file names", test_encoded_names),
    ("directory without slash -> 301, query kept", test_dir_redirect),
    ("directory with slash -> DirectoryIndex", test_dir_index),
    ("directory without index -> 403", test_dir_noindex),
    ("POST/PUT/DELETE -> 405 with Allow", test_methods),
    ("POST with a body then GET pipelined", test_post_then_get),
    ("Range bytes=0-99 -> 206", test_range_first),
    ("Range bytes=-10 -> 206", test_range_suffix),
    ("Range bytes=100- -> 206", test_range_open),
    ("Range inside the 1 MiB file", test_range_big),
    ("Range beyond the end -> 416", test_range_unsatisfiable),
    ("If-None-Match with the ETag -> 304", test_inm),
    ("If-Modified-Since equal -> 304, older or future -> 200", test_ims),
    ("5 requests on one keep-alive connection", test_keepalive_five),
    ("HTTP/1.0 without keep-alive is closed", test_http10_close),
    ("HTTP/1.0 with Connection: keep-alive stays open",
     test_http10_keepalive),
    ("3 pipelined GETs answered in order", test_pipeline_three),
    ("MaxKeepAliveRequests 3 closes after the third", test_max_keepalive),
    ("KeepAlive Off -> Connection: close", test_keepalive_off),
]
TESTS += [("malformed: %s -> %s, closed" % (name, "/".join(
    str(s) for s in sorted(st))),
    lambda c, raw=raw, st=st: check_malformed(c, raw, st))
    for name, raw, st in MALFORMED]
TESTS += [
    ("slow client gets 408 and is closed", test_slow_client),
    ("a client that sends nothing is closed after the header timeout",
     test_silent_client),
    ("idle keep-alive closed after KeepAliveTimeout", test_keepalive_timeout),
    ("Expect: 100-continue", test_expect_continue),
    ("access log has a Combined line", test_access_log),
    ("still serving after all of the above", test_still_serving),
    ("servers stop on SIGTERM", test_stop),
    ("error logs and master stderr free of emerg/crit/sanitizer/crash "
     "lines", test_logs_clean),
]


def build():
    runner, mpms = t.mpm_runner()
    for mpm in mpms:
        runner.add_for_mpm(mpm, TESTS, Ctx(mpm))
    return runner


if __name__ == "__main__":
    t.main(build())
