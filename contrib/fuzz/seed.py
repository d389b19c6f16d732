#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets, contrib/fuzz/corpus/TARGET/.

  contrib/fuzz/seed.py          rewrite corpus/ from the sources below
  contrib/fuzz/seed.py --check  exit 1 when corpus/ is not what they give

http, uri, conf and range seeds are the rows of the unit test tables
(tests/unit/check_*.c), read with a small C string-literal evaluator that
knows the tables' macros; conf adds conf/mpmd.conf.in, serialized.conf (what
conf_serialize() gives for it) and a few hand-written files; ipc seeds are
the messages master, worker and mpmctl exchange, built from protocol/ipc.h.
Each file is named by the SHA-1 of its bytes, as libFuzzer names its own.
"""

import hashlib
import pathlib
import re
import shutil
import struct
import sys

HERE = pathlib.Path(__file__).resolve().parent
TOP = HERE.parents[1]
CORPUS = HERE / "corpus"
UNIT = TOP / "tests" / "unit"

# fuzz_http.c: limits by the low 2 bits of byte 0, the cut by the rest
HTTP_LIMITS = {"NULL": 0, "lim_default": 0, "lim_small": 1, "lim_body": 2,
               "lim_big": 3}
HTTP_CUT_HALF = 32 << 2  # the split run cuts the request about in half
URI_OUT_BIG = 0xFF  # fuzz_uri.c: byte 0 of 0xff is a 4096-byte buffer
NOWHERE = "/nonexistent-mpmd-fuzz"  # fuzz_conf.c: FUZZ_NOWHERE
FUZZ_MTIME = 946684800  # fuzz_range.c and check_static.c: the mtime
FUZZ_NOW = FUZZ_MTIME + 7200  # check_static.c: the server's clock
HELLO_SIZE = 12  # check_static.c: hello.txt, "hello world\n"

TOKEN = re.compile(r"""
    (?P<comment>/\*.*?\*/|//[^\n]*)
  | (?P<string>"(?:\\.|[^"\\\n])*")
  | (?P<char>'(?:\\.|[^'\\\n])+')
  | (?P<ident>[A-Za-z_]\w*)
  | (?P<number>\d[\w.]*)
  | (?P<punct>\#\#|[^\s\w])
  | (?P<space>\s+)
""", re.S | re.X)
DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(\w+)(\(([\w\s,]*)\))?(.*)$")
ESCAPES = {"n": 10, "r": 13, "t": 9, "0": 0, "a": 7, "b": 8, "f": 12,
           "v": 11, "e": 27, "\\": 92, '"': 34, "'": 39, "?": 63}


def tokenize(text):
    out = []
    for m in TOKEN.finditer(text):
        kind = m.lastgroup
        if kind not in ("comment", "space"):
            out.append((kind, m.group()))
    return out


def unescape(literal):
    """The bytes of one C string literal, quotes included in LITERAL."""
    s, out, i = literal[1:-1], bytearray(), 0
    while i < len(s):
        c = s[i]
        i += 1
        if c != "\\":
            out += c.encode()
            continue
        c = s[i]
        if c == "x":
            m = re.match(r"[0-9a-fA-F]+", s[i + 1:])
            out.append(int(m.group(), 16) & 0xFF)
            i += 1 + len(m.group())
        elif c in "01234567":
            m = re.match(r"[0-7]{1,3}", s[i:])
            out.append(int(m.group(), 8) & 0xFF)
            i += len(m.group())
        else:
            out.append(ESCAPES[c])
            i += 1
    return bytes(out)


class Source:
    """One C file: its #defines, and its tokens without the directives."""

    def __init__(self, path):
        text = path.read_text()
        text = re.sub(r"\\\n", " ", text)
        self.macros = {}
        body = []
        for line in text.split("\n"):
            m = DEFINE.match(line)
            if m:
                params = None
                if m.group(2) is not None:
                    params = [p.strip() for p in m.group(3).split(",")]
                self.macros[m.group(1)] = (params, tokenize(m.group(4)))
            body.append("" if line.lstrip().startswith("#") else line)
        self.tokens = tokenize("\n".join(body))

    def expand(self, toks, seen=frozenset()):
        out, i = [], 0
        while i < len(toks):
            kind, val = toks[i]
            i += 1
            if kind != "ident" or val not in self.macros or val in seen:
                out.append((kind, val))
                continue
            params, body = self.macros[val]
            if params is None:
                out += self.expand(body, seen | {val})
                continue
            args, i = call_args(toks, i)
            out += self.expand(substitute(body, params, args), seen | {val})
        return out

    def string(self, toks):
        """The first string expression in TOKS, as bytes, or None."""
        toks = self.expand(toks)
        start = next((i for i, t in enumerate(toks) if t[0] == "string"), None)
        if start is None:
            return None
        out = b""
        for kind, val in toks[start:]:
            if kind != "string":
                break
            out += unescape(val)
        return out

    def value(self, toks):
        """A field: None for NULL, bytes for a string, else a number."""
        if [v for _, v in toks] == ["NULL"]:
            return None
        s = self.string(toks)
        if s is not None:
            return s
        expr = " ".join(v for _, v in self.expand(toks))
        expr = re.sub(r"(\d+)[uUlL]+", r"\1", expr)
        if not re.fullmatch(r"[\d\s+*()-]+", expr):
            return expr
        return eval(expr)  # digits and + - * ( ) only

    def test_of(self, i):
        """The START_TEST that TOKENS[I] is in, or None."""
        for j in range(i, 1, -1):
            if self.tokens[j - 2][1] == "START_TEST":
                return self.tokens[j][1]
            if self.tokens[j][1] == "END_TEST":
                return None
        return None

    def tables(self):
        """(struct name or None, rows as token lists, start) of each table."""
        t = self.tokens
        for i in range(2, len(t) - 3):
            if [v for _, v in t[i:i + 4]] != ["[", "]", "=", "{"]:
                continue
            name = t[i - 2][1] if t[i - 3][1] == "struct" else None
            end = group_end(t, i + 3)
            yield name, split_rows(t[i + 4:end]), i


def group_end(toks, i):
    """Index of the bracket that closes the one at TOKS[I]."""
    depth = 0
    for j in range(i, len(toks)):
        if toks[j][1] in "({[":
            depth += 1
        elif toks[j][1] in ")}]":
            depth -= 1
            if depth == 0:
                return j
    raise ValueError("unbalanced brackets")


def call_args(toks, i):
    """The arguments of a call whose '(' is TOKS[I]; and the index after."""
    end = group_end(toks, i)
    args, cur, depth = [], [], 0
    for tok in toks[i + 1:end]:
        if tok[1] == "," and depth == 0:
            args.append(cur)
            cur = []
            continue
        depth += tok[1] in "({[" and 1 or tok[1] in ")}]" and -1 or 0
        cur.append(tok)
    args.append(cur)
    return args, end + 1


def substitute(body, params, args):
    out, i = [], 0
    while i < len(body):
        kind, val = body[i]
        if val == "#" and i + 1 < len(body) and body[i + 1][1] in params:
            arg = args[params.index(body[i + 1][1])]
            text = " ".join(v for _, v in arg).replace("\\", "\\\\")
            out.append(("string", '"' + text.replace('"', '\\"') + '"'))
            i += 2
            continue
        out += args[params.index(val)] if val in params else [(kind, val)]
        i += 1
    return out


def split_rows(toks):
    """The top-level elements of an initializer list."""
    rows, cur, depth = [], [], 0
    for tok in toks:
        if tok[1] == "," and depth == 0:
            if cur:
                rows.append(cur)
            cur = []
            continue
        depth += tok[1] in "({[" and 1 or tok[1] in ")}]" and -1 or 0
        cur.append(tok)
    if cur:
        rows.append(cur)
    return rows


def raw_arg(src, row):
    """The string in RAW(...) of a row, if it has one."""
    for i, (_, val) in enumerate(row):
        if val == "RAW":
            args, _ = call_args(row, i + 1)
            return src.string(args[0])
    return None


def number(tok):
    return int(re.match(r"\d+", tok[1]).group()) if tok[0] == "number" \
        else None


# --- http: every request row of check_http.c

def http_limits_of(src, start):
    """The limits that run_reject_rows() gets after the table at START."""
    t = src.tokens
    for i in range(start, len(t)):
        if t[i][1] == "END_TEST":
            break
        if t[i][1] == "run_reject_rows":
            args, _ = call_args(t, i + 1)
            return HTTP_LIMITS[args[-1][-1][1]]
    return 0


def http_seeds():
    src = Source(UNIT / "check_http.c")
    for name, rows, start in src.tables():
        if name not in ("accept_row", "reject_row", "body_row"):
            continue
        lim = http_limits_of(src, start)
        for row in rows:
            raw = raw_arg(src, row) if name != "accept_row" \
                else src.string(row)
            if name == "body_row":
                lim = HTTP_LIMITS[row[-2][1]]  # the last field, before '}'

            yield bytes([HTTP_CUT_HALF | lim]) + raw
    t = src.tokens
    for i in range(len(t) - 4):
        if [v for _, v in t[i:i + 4]] == ["raw", "[", "]", "="]:
            yield bytes([HTTP_CUT_HALF]) + src.string(t[i + 4:i + 40])


# --- uri: targets and escaped paths of check_uri.c

def uri_seeds():
    src = Source(UNIT / "check_uri.c")
    for name, rows, _ in src.tables():
        for row in rows:
            s = src.string(row)
            k = next(i for i, t in enumerate(row) if t[0] == "string")
            # the other tables give the size of OUT after the string
            size = None if name == "path_row" else number(row[k + 2])
            yield bytes([URI_OUT_BIG if size is None else size]) + s


# --- range: size, clock, Range, If-Range, If-None-Match, If-Modified-Since

# check_static.c's validators, which fuzz_range.c's fake file has too
DATES = {"{lm}": "Sat, 01 Jan 2000 00:00:00 GMT",
         "{old}": "Fri, 31 Dec 1999 23:00:00 GMT",
         "{new}": "Sat, 01 Jan 2000 01:00:00 GMT",
         "{future}": "Sat, 01 Jan 2000 03:00:00 GMT"}


def etag(size):
    return '"%x.%x-%x"' % (FUZZ_MTIME, 0, size)


def range_seed(size, now=FUZZ_NOW, rng="", if_range="", inm="", ims=""):
    fields = "\n".join((rng, if_range, inm, ims)).rstrip("\n")
    return struct.pack("<QQ", size, now) + fields.encode("latin-1")


def header(request, name):
    m = re.search(r"\r\n" + name + r": ([^\r]*)\r\n", request, re.I)
    if m is None:
        return ""
    value = m.group(1).replace("{etag}", etag(HELLO_SIZE))
    for placeholder, date in DATES.items():
        value = value.replace(placeholder, date)
    return value


def text(value):
    return "" if value is None else value.decode("latin-1")


def cond_seeds(src):
    """check_static.c: ranges, If-None-Match lists, the conditionals."""
    for name, rows, start in src.tables():
        test = src.test_of(start)
        for row in rows:
            f = [src.value(v) for v in split_rows(row[1:-1])]
            if name == "range_case":
                yield range_seed(f[2], rng=text(f[1]))
            elif name == "etag_case":
                yield range_seed(HELLO_SIZE, inm=text(f[1]))
            elif test == "test_not_modified":
                yield range_seed(HELLO_SIZE, inm=text(f[1]), ims=text(f[2]))
            elif test == "test_if_range":
                yield range_seed(HELLO_SIZE, f[2], "bytes=0-4", text(f[1]))


def request_seeds(src):
    """check_conn.c: the requests with a Range or a conditional."""
    for name, rows, _ in src.tables():
        for row in rows:
            s = src.string(row)
            if name != "case_" or s is None or \
                    not re.search(rb"\r\n(If-|Range)", s):
                continue
            yield range_seed(HELLO_SIZE, FUZZ_NOW, *(header(
                s.decode("latin-1"), h) for h in (
                    "Range", "If-Range", "If-None-Match",
                    "If-Modified-Since")))


def range_seeds():
    yield from cond_seeds(Source(UNIT / "check_static.c"))
    yield from request_seeds(Source(UNIT / "check_conn.c"))
    dates = Source(UNIT / "check_http.c")
    for _, rows, _ in dates.tables():
        for row in rows:
            s = dates.string(row)
            if s is not None and re.match(rb"[A-Z][a-z]{2}", s) and \
                    re.search(rb"[0-9]", s):
                d = s.decode("latin-1")
                yield range_seed(HELLO_SIZE, FUZZ_NOW, "bytes=0-4", d, "", d)


# --- conf: the shipped file, its serialization, test rows, a few more

CONF_EXTRA = [
    "Include " + NOWHERE + "/conf.d/*.conf\n",
    "Include " + NOWHERE + "/missing.conf\n",
    "Include conf.d/*.conf\n",
    'ServerRoot "' + NOWHERE + '"\nInclude "' + NOWHERE + '/a b/*"\n',
    "Listen 80\nBogus 1\nTimeout 0\n# fine\nKeepAlive maybe\nListen 80\n"
    "DocumentRoot /nonexistent\nMinSpareThreads 500\n",
    "MPM prefork\nStartServers 4\nServerLimit 16\nMinSpareServers 2\n"
    "MaxSpareServers 6\nMaxRequestWorkers 16\nKeepAlive Off\n",
    "MPM threaded\nThreadsPerChild 8\nMaxRequestWorkers 64\n"
    "ServerLimit 8\nListen [::1]:8080\nListen 127.0.0.1:8081\n",
    'DocumentRoot "/srv/my docs"\r\nDirectoryIndex "a b.html" "q\\"t" '
    '"b\\\\s" a#b "#c" \\\n  index.htm\r\n',
    "ServerStatus /server-status\nStatusAllow 10.0.0.0/8 ::1 "
    "2001:db8::/32\nLogLevel debug\nCustomLog /var/log/a common\n",
    "AddType text/x-foo foo FOO .bar\nAddType application/x-y y\n"
    "TypesConfig " + NOWHERE + "/mime.types\n",
    "RequestReadTimeout header=10 body=30\nLimitRequestBody 0\n"
    "LimitRequestLine 256\nLimitRequestFields 1000\n",
    "User \\\n\"nobody\\\"\nGroup \"no\"group\n\x00\nDirectoryIndex x\n",
]


def conf_text(src, row):
    s = src.string(row)
    return None if s is None else s.replace(b"@", NOWHERE.encode())


def conf_seeds():
    yield (TOP / "conf" / "mpmd.conf.in").read_bytes()
    yield (HERE / "serialized.conf").read_bytes()
    for text in CONF_EXTRA:
        yield text.encode("latin-1")
    src = Source(UNIT / "check_conf.c")
    for name, rows, _ in src.tables():
        if name not in ("value_row", "error_row"):
            continue
        for row in rows:
            s = conf_text(src, row)
            if s:
                yield s


# --- ipc: struct ipc_hdr {u16 version, u16 type, u32 len} and payload

IPC = {"HELLO": 1, "READY": 2, "FATAL": 3, "SETUP": 64, "CONFIG": 65,
       "FDS": 66, "GRACEFUL_STOP": 67, "STOP": 68, "REOPEN_LOGS": 69,
       "CTL_REQUEST": 128, "CTL_REPLY": 192}


def ipc(kind, payload=b"", version=1, length=None):
    n = len(payload) if length is None else length
    return struct.pack("<HHI", version, IPC[kind], n) + payload


def ipc_seeds():
    config = (HERE / "serialized.conf").read_bytes()
    yield ipc("HELLO", struct.pack("<II32s", 1, 4242, b"event"))
    yield ipc("HELLO", struct.pack("<II32s", 1, 4243, b"prefork"))
    yield ipc("READY")
    yield ipc("FATAL", b"DocumentRoot /srv/www: Permission denied")
    yield ipc("SETUP", struct.pack("<5I", 0, 1, 1, 64, len(config)))
    yield ipc("SETUP", struct.pack("<5I", 3, 7, 64, 4096, 1 << 22))
    yield ipc("CONFIG", config)
    yield ipc("CONFIG", config[:1000])
    for kind in ("FDS", "GRACEFUL_STOP", "STOP", "REOPEN_LOGS"):
        yield ipc(kind)
    for verb in range(1, 7):
        yield ipc("CTL_REQUEST", struct.pack("<I", verb))
    yield ipc("CTL_REPLY", struct.pack("<I", 1) +
              b"mpmd 0.1.0, pid 2564, up 6s\ngeneration 1: MPM prefork\n")
    yield ipc("CTL_REPLY", struct.pack("<I", 0) + b"no such verb")
    # rejected: version, length, unknown type
    yield ipc("READY", version=2)
    yield ipc("HELLO", struct.pack("<II32s", 1, 1, b"x"), length=39)
    yield struct.pack("<HHI", 1, 200, 0)


# --- proxy: what a balancer sends first, then what follows it

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"
PROXY_AFTER = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return ~crc & 0xFFFFFFFF


def proxy_v2(cmd, fam, addrs=b"", tlvs=b"", crc=False):
    """A v2 header: CMD (0 LOCAL, 1 PROXY), FAM (family << 4 | transport),
    the address block, TLVs, and a CRC32c TLV over all of it if CRC."""
    body = addrs + tlvs + (b"\x03\x00\x04" + bytes(4) if crc else b"")
    head = V2_SIG + bytes([0x20 | cmd, fam]) + struct.pack(">H", len(body))
    whole = head + body
    if crc:
        whole = whole[:-4] + struct.pack(">I", crc32c(whole))
    return whole


def proxy_seeds():
    tcp4 = bytes([192, 0, 2, 1, 198, 51, 100, 2]) + struct.pack(">HH",
                                                                 56324, 443)
    tcp6 = (bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [1]) +
            bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [2]) +
            struct.pack(">HH", 12345, 80))
    noop = b"\x04\x00\x02ab"
    for line in (b"PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n",
                 b"PROXY TCP6 2001:db8::1 2001:db8::2 12345 80\r\n",
                 b"PROXY UNKNOWN\r\n",
                 b"PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
                 b"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
                 b"PROXY TCP4 192.0.2.1 198.51.100.2 56324\r\n",
                 b"PROXY TCP4 256.0.2.1 198.51.100.2 1 2\r\n"):
        yield line
        yield line + PROXY_AFTER
    for hdr in (proxy_v2(0, 0x00), proxy_v2(0, 0x11, tcp4),
                proxy_v2(1, 0x11, tcp4), proxy_v2(1, 0x21, tcp6),
                proxy_v2(1, 0x11, tcp4, noop), proxy_v2(1, 0x11, tcp4,
                                                        crc=True),
                proxy_v2(1, 0x21, tcp6, noop, crc=True),
                proxy_v2(1, 0x31, bytes(216)), proxy_v2(1, 0x12, tcp4),
                proxy_v2(1, 0x00)):
        yield hdr
        yield hdr + PROXY_AFTER
        yield hdr + b"\x16\x03\x01\x00\x05hello"  # a TLS record follows
    yield PROXY_AFTER
    yield b"\x16\x03\x01\x02\x00\x01"


TARGETS = {"http": http_seeds, "uri": uri_seeds, "range": range_seeds,
           "conf": conf_seeds, "ipc": ipc_seeds, "proxy": proxy_seeds}


def corpus():
    """{target: {file name: bytes}}"""
    out = {}
    for target, seeds in TARGETS.items():
        out[target] = {hashlib.sha1(s).hexdigest(): s for s in seeds()}
    return out


def on_disk():
    return {d.name: {f.name: f.read_bytes() for f in d.iterdir()}
            for d in CORPUS.iterdir() if d.is_dir()} \
        if CORPUS.is_dir() else {}


def main():
    want = corpus()
    if sys.argv[1:] == ["--check"]:
        if on_disk() != want:
            print("seed.py: contrib/fuzz/corpus/ is stale: run "
                  "contrib/fuzz/seed.py", file=sys.stderr)
            return 1
        return 0
    if sys.argv[1:]:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    shutil.rmtree(CORPUS, ignore_errors=True)
    for target, files in want.items():
        (CORPUS / target).mkdir(parents=True)
        for name, data in files.items():
            (CORPUS / target / name).write_bytes(data)
        print("%s: %d seeds" % (target, len(files)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
