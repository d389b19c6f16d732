#!/usr/bin/env python3
"""TLS: mpmd's event MPM (SSLKeyIsolation on and off) against nginx and
Apache httpd's event MPM, all with the same ECDSA P-256 certificate.

Four scenarios, each per CPU-second of the server's whole process tree
(for mpmd that includes the key process, a child of the master):

  hs-full    openssl s_time -new: a full handshake per connection
  hs-resume  openssl s_time -reuse: resumed handshakes (session tickets)
  ka-1k      wrk over https, keep-alive GETs of a 1 KiB file
  ka-1m      wrk over https, keep-alive GETs of a 1 MiB file

s_time fetches /1k.html with HTTP/1.0 on each connection (-www): a TLS 1.3
client only learns its session ticket by reading after the handshake,
without which -reuse could resume nothing.  Same pinning, templates,
docroot and stopping by pid as bench.py (server on CPU 0, clients and
this script on CPU 1); see README.md, section TLS.
"""

import argparse
import datetime
import os
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402
import proctree  # noqa: E402
import report  # noqa: E402
import scenarios  # noqa: E402
import servers  # noqa: E402

DEFAULT_DURATION = 5        # seconds per client run
DEFAULT_REPS = 3
DEFAULT_CLIENTS = 4         # s_time processes at once
DEFAULT_WARMUP = 1          # seconds of handshakes before measuring
DEFAULT_PORT_BASE = 18280   # plain ports (readiness); apart from the others
TLS_OFFSET = 50             # the https port of case i is base + 50 + i
CLIENT_GRACE = 30           # seconds past -d before a client is killed
TLS_READY_TIMEOUT = 10.0
SMALL, BIG = scenarios.SMALL, scenarios.BIG

log = bench.log


def _case(name, server, isolation=None, keyprocs=1):
    return {"name": name, "server": server, "isolation": isolation,
            "keyprocs": keyprocs}


CASES = [
    _case("mpmd-iso", "mpm-event", "on"),
    _case("mpmd-iso2", "mpm-event", "on", keyprocs=2),
    _case("mpmd-noiso", "mpm-event", "off"),
    _case("nginx", "nginx"),
    _case("apache-event", "apache-event"),
]
CASE_NAMES = [c["name"] for c in CASES]
TLS_TEMPLATE = {"mpmd": "tls-mpmd.conf.in", "nginx": "tls-nginx.conf.in",
                "apache": "tls-apache.conf.in"}


def _sc(name, kind, **kw):
    return dict(name=name, kind=kind, **kw)


SCENARIOS = [
    _sc("hs-full", "s_time", mode="-new", unit="hs"),
    _sc("hs-resume", "s_time", mode="-reuse", unit="hs"),
    _sc("ka-1k", "wrk", conns=64, path=SMALL, unit="req"),
    _sc("ka-1m", "wrk", conns=8, path=BIG, unit="MiB"),
]
SCENARIO_NAMES = [s["name"] for s in SCENARIOS]


def scenario(name):
    return next(s for s in SCENARIOS if s["name"] == name)


def case(name):
    return next(c for c in CASES if c["name"] == name)


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="TLS benchmark: mpmd (event, SSLKeyIsolation on/off) "
        "against nginx and Apache event (see contrib/bench/README.md)")
    p.add_argument("-c", "--cases", default=",".join(CASE_NAMES),
                   help="comma-separated: %(default)s")
    p.add_argument("-S", "--scenarios", default=",".join(SCENARIO_NAMES),
                   help="comma-separated: %(default)s")
    p.add_argument("-d", "--duration", type=int, default=DEFAULT_DURATION,
                   help="seconds per client run (default %(default)s)")
    p.add_argument("-r", "--reps", type=int, default=DEFAULT_REPS,
                   help="repetitions (default %(default)s)")
    p.add_argument("-b", "--build",
                   default=os.environ.get("MPMD_BUILDDIR", "./build"),
                   help="mpmd build dir (default $MPMD_BUILDDIR or ./build)")
    p.add_argument("--json", metavar="FILE", help="all results as JSON "
                   "(default: a time-stamped file in /tmp)")
    p.add_argument("--port-base", type=int, default=DEFAULT_PORT_BASE)
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--client-cpu", type=int, default=1)
    p.add_argument("--workdir", help="work directory (default: a new one "
                   "in /tmp, removed at the end)")
    p.add_argument("--keep", action="store_true",
                   help="keep the work directory (configs, logs, the key)")
    p.add_argument("--wrk", default=shutil.which("wrk") or "wrk")
    p.add_argument("--openssl", default=shutil.which("openssl") or "openssl")
    p.add_argument("--warmup", type=int, default=DEFAULT_WARMUP,
                   help="seconds of unmeasured full handshakes after each "
                   "start (default %(default)s)")
    p.add_argument("--clients", type=int, default=DEFAULT_CLIENTS,
                   help="s_time processes at once, each one connection at "
                   "a time (default %(default)s)")
    p.add_argument("-k", "--key", choices=sorted(KEY_TYPES), default="ec",
                   help="the certificate's key: ec (P-256) or rsa (2048) "
                   "(default %(default)s)")
    p.add_argument("--tls13", action="store_true",
                   help="clients offer TLS 1.3 only (s_time -tls1_3)")
    p.add_argument("--list", action="store_true",
                   help="list cases and scenarios and exit")
    opts = p.parse_args(argv)
    opts.cases = bench._names(opts.cases, CASE_NAMES, "case", p)
    opts.scenarios = bench._names(opts.scenarios, SCENARIO_NAMES,
                                  "scenario", p)
    opts.build = os.path.abspath(opts.build)
    if opts.duration < 1 or opts.reps < 1 or opts.clients < 1:
        p.error("--duration, --reps and --clients must be at least 1")
    return opts


# ------------------------------------------------------------ the key

KEY_TYPES = {"ec": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
             "rsa": ["-newkey", "rsa:2048"]}
KEY_NAMES = {"ec": "ECDSA P-256", "rsa": "RSA-2048"}


def make_certificate(workdir, openssl, kind="ec"):
    """A self-signed certificate for localhost (ECDSA P-256 or RSA-2048)
    and its key, made with the openssl CLI; every server loads these two
    files."""
    d = os.path.join(workdir, "tls")
    os.makedirs(d, exist_ok=True)
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    argv = [openssl, "req", "-x509"] + KEY_TYPES[kind] + ["-nodes",
            "-keyout", key, "-out", cert, "-days", "2",
            "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    if p.returncode != 0:
        sys.exit("tls: openssl req failed: %s" % p.stdout.decode()[-500:])
    os.chmod(key, 0o600)    # read by each server's privileged part only
    os.chmod(cert, 0o644)
    return cert, key


# ------------------------------------------------------------ servers

class TlsServer(servers.Server):
    """A bench server with a second, https, listener on tls_port; the
    plain one answers the harness's readiness probe."""

    def __init__(self, c, port, tls_port, workdir, env):
        super().__init__(servers.spec(c["server"]), port, workdir, env)
        self.case = c
        self.name = c["name"]
        self.tls_port = tls_port
        self.dir = os.path.join(workdir, "servers", c["name"])

    def _values(self):
        v = super()._values()
        v.update(TLS_PORT=self.tls_port, CERT=self.env["cert"],
                 KEY=self.env["key"],
                 ISOLATION=self.case["isolation"] or "",
                 KEYPROCS=self.case["keyprocs"])
        return v

    def prepare(self):
        super().prepare()
        kind = self.spec["kind"]
        extra = servers.render(TLS_TEMPLATE[kind], self._values())
        with open(self.conf) as f:
            text = f.read()
        if kind == "nginx":     # a server block inside http { }
            end = text.rstrip().rindex("}")
            text = text[:end] + extra + text[end:]
        else:
            text += "\n" + extra
        with open(self.conf, "w") as f:
            f.write(text)

    def start(self):
        if not servers.port_free(self.tls_port):
            raise servers.ServerError("port %d is in use" % self.tls_port)
        super().start()
        self._wait_tls()

    def _wait_tls(self):
        ctx = ssl.create_default_context(cafile=self.env["cert"])
        deadline = time.monotonic() + TLS_READY_TIMEOUT
        why = None
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.tls_port),
                                              timeout=2) as s:
                    with ctx.wrap_socket(s, server_hostname="localhost"):
                        return
            except (OSError, ssl.SSLError) as e:
                why = e
            time.sleep(servers.POLL * 2)
        raise servers.ServerError("%s: no TLS handshake on port %d in %.0f s"
                                  " (%s)\n%s" % (self.name, self.tls_port,
                                                 TLS_READY_TIMEOUT, why,
                                                 self.diagnostics()))


# ------------------------------------------------------------ clients

def client_argv(sc, srv, opts):
    pin = ["taskset", "-c", str(opts.client_cpu)]
    if sc["kind"] == "s_time":
        return pin + [opts.openssl, "s_time", "-connect",
                      "127.0.0.1:%d" % srv.tls_port, sc["mode"],
                      "-www", SMALL, "-time", str(opts.duration)] + (
                          ["-tls1_3"] if opts.tls13 else [])
    return pin + [opts.wrk, "-t1", "-c%d" % sc["conns"],
                  "-d%ds" % opts.duration, "--timeout",
                  scenarios.WRK_TIMEOUT, "--latency",
                  "https://127.0.0.1:%d%s" % (srv.tls_port, sc["path"])]


def parse_s_time(out):
    """Connections, wall seconds and how many resumed, from s_time's
    output: one progress letter a connection ('r' resumed, '*' TLS 1.2
    or later, full), then 'N connections in S real seconds'."""
    m = re.search(r"(\d+) connections in (\d+) real seconds", out)
    if not m:
        raise ValueError("no connection count in s_time output: %s"
                         % out[-300:])
    # The progress line(s) come before the first "connections in" line.
    head = out[:out.index("connections in")]
    letters = "".join(re.findall(r"^[r*t3]+$", head, re.M))
    return {"conns": int(m.group(1)), "client_seconds": int(m.group(2)),
            "resumed": letters.count("r"), "full": letters.count("*"),
            "errors": len(re.findall(r"^ERROR", out, re.M))}


def keys_cpu_ns(root):
    """CPU nanoseconds of the tree's key processes (mpmd-keys), from
    /proc/PID/task/*/schedstat (time on a CPU, in ns: finer than the
    clock ticks of /proc/PID/stat).  It lives through a run, so the
    difference of two readings is what it spent between them; it is
    part of the tree and already in cpu_seconds."""
    total = 0
    for pid in proctree.tree(root):
        try:
            with open("/proc/%d/comm" % pid) as f:
                if f.read().strip() != "mpmd-keys":
                    continue
            for tid in os.listdir("/proc/%d/task" % pid):
                with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                    total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total


def _run_clients(argv, n, timeout):
    """N copies of ARGV at once; [(exit status, output)].  Each is killed
    if still running TIMEOUT seconds after the start."""
    procs = [subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT) for _ in range(n)]
    deadline = time.monotonic() + timeout
    outs = []
    try:
        for p in procs:
            out, _ = p.communicate(timeout=max(deadline - time.monotonic(),
                                               1))
            outs.append((p.returncode, out.decode(errors="replace")))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return outs


def tree_cpu_ns(root):
    """(ns, tasks): CPU time of every thread of every process of the tree
    from /proc/PID/task/TID/schedstat, and the set of those threads.  If
    the set is the same at both ends of a run, no thread came or went and
    the difference is the tree's CPU time to the nanosecond; otherwise
    the caller uses proctree's clock ticks, which count reaped children
    too."""
    total, tasks = 0, set()
    for pid in proctree.tree(root):
        try:
            tids = os.listdir("/proc/%d/task" % pid)
        except OSError:
            continue
        for tid in tids:
            try:
                with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                    total += int(f.read().split()[0])
                tasks.add((pid, int(tid)))
            except (OSError, ValueError, IndexError):
                continue
    return total, tasks


def run(sc, srv, opts):
    argv = client_argv(sc, srv, opts)
    busy0 = proctree.cpu_busy_ticks(opts.server_cpu)
    client0 = scenarios._children_cpu()
    keys0 = keys_cpu_ns(srv.pid)
    ns0, tasks0 = tree_cpu_ns(srv.pid)
    cpu0 = proctree.cpu_seconds(srv.pid)
    t0 = time.monotonic()
    n = opts.clients if sc["kind"] == "s_time" else 1
    outs = _run_clients(argv, n, opts.duration + CLIENT_GRACE)
    wall = time.monotonic() - t0
    ticks = proctree.cpu_seconds(srv.pid) - cpu0
    ns1, tasks1 = tree_cpu_ns(srv.pid)
    keys = (keys_cpu_ns(srv.pid) - keys0) / 1e9
    exact = tasks0 == tasks1
    cpu = (ns1 - ns0) / 1e9 if exact else ticks
    client = scenarios._children_cpu() - client0
    busy = (proctree.cpu_busy_ticks(opts.server_cpu) - busy0) / \
        proctree.CLK_TCK
    for rc, out in outs:
        if rc != 0:
            raise RuntimeError("%s exited %d: %s" % (
                os.path.basename(argv[3]), rc, out[-500:]))
    if sc["kind"] == "s_time":
        r = {"count": 0, "resumed": 0, "full": 0, "errors": 0}
        for _, out in outs:
            st = parse_s_time(out)
            st["count"] = st.pop("conns")
            for k in r:
                r[k] += st[k]
    else:
        out = outs[0][1]
        w = scenarios.parse_wrk(out)
        r = {"count": w["requests"], "p50_ms": w["p50_ms"],
             "p99_ms": w["p99_ms"], "errors": w["socket_errors"] +
             w["non2xx"]}
        if sc["unit"] == "MiB":
            r["mib"] = w["requests"] * bench.BIG_SIZE / (1 << 20)
    amount = r.get("mib", r["count"])
    if sc["unit"] == "hs" and r["count"]:
        r["keys_us_per_hs"] = round(keys * 1e6 / r["count"], 1)
        r["cpu_us_per_hs"] = round(cpu * 1e6 / r["count"], 1)
    r.update(cpu_seconds=round(cpu, 4), cpu_ticks_seconds=round(ticks, 3),
             cpu_from="schedstat" if exact else "stat ticks",
             keys_cpu_seconds=round(keys, 4),
             wall_seconds=round(wall, 3),
             rate=round(amount / wall, 1) if wall > 0 else None,
             per_cpu_s=round(amount / cpu, 1) if cpu > 0 else None,
             cpu_share=round(cpu / wall, 3) if wall > 0 else None,
             client_share=round(client / wall, 3) if wall > 0 else None,
             other_share=round(max(busy - cpu, 0) / wall, 3)
             if wall > 0 else None)
    srv.access_log_bytes(truncate=True)
    return r


# ------------------------------------------------------------ one run

def one_case(c, rep, opts, env, runs):
    i = CASE_NAMES.index(c["name"])
    srv = TlsServer(c, opts.port_base + i, opts.port_base + TLS_OFFSET + i,
                    env["workdir"], env)
    tag = "[rep %d/%d] %s" % (rep, opts.reps, c["name"])
    try:
        try:
            srv.start()
            warm_up(srv, opts)
        except (servers.ServerError, subprocess.SubprocessError) as e:
            runs.append({"rep": rep, "server": c["name"], "scenario": "-",
                         "error": "start: %s" % e})
            log("%s: %s" % (tag, e))
            return
        for name in opts.scenarios:
            sc = scenario(name)
            entry = {"rep": rep, "server": c["name"], "scenario": name}
            runs.append(entry)
            try:
                entry["result"] = run(sc, srv, opts)
                log("%s %s: %s" % (tag, name, brief(sc, entry["result"])))
            except (RuntimeError, ValueError, OSError,
                    subprocess.SubprocessError) as e:
                entry["error"] = str(e)
                log("%s %s: FAILED: %s" % (tag, name, e))
            if srv.proc.poll() is not None:
                log("%s: server died\n%s" % (tag, srv.diagnostics()))
                break
    finally:
        note = srv.stop()
        if note:
            log("%s: %s" % (tag, note.strip()))
        if not opts.keep:
            shutil.rmtree(srv.dir, ignore_errors=True)


def warm_up(srv, opts):
    """WARMUP seconds of full handshakes, not measured: the first
    handshakes of a fresh server (and of its key process) pay for page
    faults and lazily built tables that a running server has behind it."""
    if opts.warmup <= 0:
        return
    argv = client_argv(scenario("hs-full"), srv, opts)
    argv[argv.index("-time") + 1] = str(opts.warmup)
    for rc, out in _run_clients(argv, opts.clients,
                                opts.warmup + CLIENT_GRACE):
        if rc != 0:
            raise servers.ServerError("warm-up s_time exited %d: %s" % (
                rc, out[-300:]))


def brief(sc, r):
    text = "%.0f %s/s, %s %s/cpu-s, cpu %.0f%%" % (
        r["rate"] or 0, sc["unit"], r["per_cpu_s"], sc["unit"],
        100 * (r["cpu_share"] or 0))
    if r.get("keys_us_per_hs"):
        text += " (key process %.0f µs/hs)" % r["keys_us_per_hs"]
    if sc["kind"] == "s_time":
        text += ", %d resumed of %d" % (r["resumed"], r["count"])
    return text + ", errors %d" % r["errors"]


# ------------------------------------------------------------ report

KEYS = ["rate", "per_cpu_s", "cpu_share", "other_share", "client_share",
        "keys_cpu_seconds", "errors", "count", "resumed", "p99_ms",
        "cpu_us_per_hs", "keys_us_per_hs"]


def medians(runs):
    """{(case, scenario): {key: median over reps}}"""
    groups = {}
    for e in runs:
        if "result" in e:
            groups.setdefault((e["server"], e["scenario"]), []).append(
                e["result"])
    out = {}
    for k, rs in groups.items():
        m = {"reps": len(rs)}
        for key in KEYS:
            vals = [r[key] for r in rs if r.get(key) is not None]
            m[key] = statistics.median(vals) if vals else None
        out[k] = m
    return out


PAIRS = [("mpmd-iso", "nginx"), ("mpmd-iso", "apache-event"),
         ("mpmd-iso2", "nginx"), ("mpmd-noiso", "nginx"),
         ("mpmd-noiso", "apache-event"), ("mpmd-iso", "mpmd-noiso"),
         ("mpmd-iso2", "mpmd-iso")]


def _pair_name(a, b):
    short = {("mpmd-iso", "mpmd-noiso"): "iso/noiso",
             ("mpmd-iso2", "mpmd-iso"): "iso2/iso"}
    return short.get((a, b), "%s/%s" % (a, b))


def ratios(med, opts):
    """mpmd/anchor of per_cpu_s (above 1: mpmd does more per CPU-second),
    and the isolation's cost per full handshake in server CPU µs."""
    out = {}
    for sc in opts.scenarios:
        row = {}
        for mine, anchor in PAIRS:
            a = med.get((mine, sc), {}).get("per_cpu_s")
            b = med.get((anchor, sc), {}).get("per_cpu_s")
            row[_pair_name(mine, anchor)] = round(a / b, 3) \
                if a and b else None
        a = med.get(("mpmd-iso", sc), {}).get("per_cpu_s")
        b = med.get(("mpmd-noiso", sc), {}).get("per_cpu_s")
        if a and b and scenario(sc)["unit"] == "hs":
            row["isolation_us"] = round(1e6 / a - 1e6 / b, 1)
        out[sc] = row
    return out


def ratio_spread(runs, opts):
    """{scenario: {pair: (lowest, highest)}} of the ratios each
    repetition gives on its own: how much of a median ratio is noise."""
    by = {(e["rep"], e["server"], e["scenario"]): e["result"]["per_cpu_s"]
          for e in runs if "result" in e}
    reps = sorted({k[0] for k in by})
    out = {}
    for sc in opts.scenarios:
        for a, b in PAIRS:
            vals = [by[(r, a, sc)] / by[(r, b, sc)] for r in reps
                    if by.get((r, a, sc)) and by.get((r, b, sc))]
            if vals:
                out.setdefault(sc, {})[_pair_name(a, b)] = (
                    round(min(vals), 2), round(max(vals), 2))
    return out


def isolation_per_rep(runs):
    """The isolation cost of each repetition on its own (server µs per
    handshake, on - off): how far the median can be trusted."""
    by = {}
    for e in runs:
        if "result" in e and e["server"] in ("mpmd-iso", "mpmd-noiso"):
            by[(e["rep"], e["scenario"], e["server"])] = \
                e["result"]["per_cpu_s"]
    out = {}
    for (rep, sc, srv), v in by.items():
        if srv != "mpmd-iso" or scenario(sc)["unit"] != "hs":
            continue
        off = by.get((rep, sc, "mpmd-noiso"))
        if v and off:
            out.setdefault(sc, []).append(round(1e6 / v - 1e6 / off, 1))
    return out


COLUMNS = [("rate", "rate", "%.0f"), ("per cpu-s", "per_cpu_s", "%.0f"),
           ("cpu%", "cpu_share", "%.0f"), ("other%", "other_share", "%.0f"),
           ("client%", "client_share", "%.0f"),
           ("µs/hs", "cpu_us_per_hs", "%.0f"),
           ("keys µs/hs", "keys_us_per_hs", "%.0f"),
           ("resumed", "resumed", "%.0f"), ("of", "count", "%.0f"),
           ("p99 ms", "p99_ms", "%.2f"), ("errors", "errors", "%.0f")]
PCT = {"cpu_share", "other_share", "client_share"}


def tables(med, opts, names):
    out = []
    for sc in opts.scenarios:
        s = scenario(sc)
        rows = []
        for n in names:
            m = med.get((n, sc))
            if m is None:
                rows.append([n] + ["-"] * len(COLUMNS))
                continue
            rows.append([n] + [report._fmt(m.get(k), f, 100 if k in PCT
                                           else 1) for _, k, f in COLUMNS])
        head = ["server"] + [t if t not in ("rate", "per cpu-s") else
                             "%s %s" % (s["unit"], "/s" if t == "rate"
                                        else "/cpu-s")
                             for t, _, _ in COLUMNS]
        out.append("%s: %s" % (sc, describe(s, opts)))
        out.append(report._table(head, rows))
        out.append("")
    return "\n".join(out)


def describe(s, opts):
    if s["kind"] == "s_time":
        return "openssl s_time %s -www %s -time %d, %d at once" % (
            s["mode"], SMALL, opts.duration, opts.clients)
    return "wrk -t1 -c%d -d%ds https://...%s, keep-alive" % (
        s["conns"], opts.duration, s["path"])


def ratio_table(rat, opts):
    cols = ["mpmd-iso/nginx", "mpmd-iso2/nginx", "mpmd-iso/apache-event",
            "mpmd-noiso/nginx", "mpmd-noiso/apache-event", "iso/noiso",
            "iso2/iso", "isolation_us"]
    rows = [[sc] + [report._fmt(rat[sc].get(c), "%.2f" if c !=
                                "isolation_us" else "%.0f", 1)
                    for c in cols] for sc in opts.scenarios]
    head = ["scenario"] + [c if c != "isolation_us" else "isolation µs/hs"
                           for c in cols]
    return report._table(head, rows)


def finish(opts, meta, runs, names):
    med = medians(runs)
    rat = ratios(med, opts)
    per_rep = isolation_per_rep(runs)
    spread = ratio_spread(runs, opts)
    print()
    print("mpmd TLS bench, %s, %d rep(s) of %d s, medians; server on CPU "
          "%d, clients on CPU %d; %s, %s" % (
              meta["date"], opts.reps, opts.duration, opts.server_cpu,
              opts.client_cpu, KEY_NAMES[opts.key], meta.get("tls", "")))
    print()
    print(tables(med, opts, names))
    print("ratios of work per server CPU-second (above 1: mpmd does more); "
          "isolation µs/hs: server CPU per handshake, on - off")
    print(ratio_table(rat, opts))
    for sc in opts.scenarios:
        if spread.get(sc):
            print("by repetition, lowest-highest, %s: %s" % (sc, ", ".join(
                "%s %.2f-%.2f" % (k, lo, hi)
                for k, (lo, hi) in spread[sc].items())))
    for sc, vals in sorted(per_rep.items()):
        print("isolation µs/hs by repetition, %s: %s" % (
            sc, " ".join("%.0f" % v for v in vals)))
    print()
    for e in runs:
        if "error" in e:
            print("error: rep %s %s %s: %s" % (e["rep"], e["server"],
                                               e["scenario"],
                                               e["error"].splitlines()[0]))
    path = opts.json or "/tmp/mpmd-tls-%s.json" % (
        datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    report.write_json(path, {
        "meta": meta, "runs": runs,
        "medians": [dict(server=k[0], scenario=k[1], **v)
                    for k, v in sorted(med.items())],
        "ratios": rat, "ratio_spread": spread,
        "isolation_us_by_rep": per_rep})
    print("results: %s" % path)


# ------------------------------------------------------------ main

def main(argv):
    opts = parse_args(argv)
    if opts.list:
        print("cases:     " + " ".join(CASE_NAMES))
        print("scenarios: " + " ".join(SCENARIO_NAMES))
        return 0
    bench.preflight(opts)
    if not shutil.which(opts.openssl):
        sys.exit("tls: %s not found (apt-get install openssl)" % opts.openssl)
    chosen = []
    for name in opts.cases:
        c = case(name)
        s = servers.spec(c["server"])
        why = servers.missing(s, opts.build)
        if not why and s["kind"] == "mpmd" and not os.access(
                os.path.join(opts.build, "mpmd-keys"), os.X_OK):
            why = "%s/mpmd-keys not found" % opts.build
        if not why and s["kind"] == "apache" and not os.access(
                os.path.join(servers.APACHE_MODULES, "mod_ssl.so"), os.R_OK):
            why = "mod_ssl.so not found"
        if why:
            log("tls: skipping %s: %s" % (name, why))
        else:
            chosen.append(c)
    if not chosen:
        sys.exit("tls: no case to run")
    nofile = bench.raise_nofile()
    os.sched_setaffinity(0, {opts.client_cpu})
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, bench._on_signal)

    workdir = opts.workdir or tempfile.mkdtemp(prefix="mpmd-tls.")
    os.makedirs(workdir, exist_ok=True)
    user, group = bench.identity()
    cert, key = make_certificate(workdir, opts.openssl, opts.key)
    env = {"workdir": workdir, "docroot": bench.make_docroot(workdir),
           "types": os.path.join(bench.SRCDIR, "conf", "mime.types"),
           "user": user, "group": group, "max_fds": nofile,
           "max_conns": min(bench.MAX_CONNS, nofile - bench.FD_RESERVE),
           "backlog": bench.BACKLOG, "mpmd_build": opts.build,
           "server_cpu": opts.server_cpu, "cert": cert, "key": key}
    opts.servers = [c["server"] for c in chosen]
    meta = bench.metadata(opts, [servers.spec(c["server"]) for c in chosen],
                          nofile)
    meta.update(cases=[c["name"] for c in chosen],
                tls=ssl.OPENSSL_VERSION)
    per = len(opts.scenarios) * (opts.duration + 1) + 6
    log("tls: %d cases x %d scenarios x %d reps, about %d min; work dir %s"
        % (len(chosen), len(opts.scenarios), opts.reps,
           opts.reps * len(chosen) * per // 60 + 1, workdir))
    runs, interrupted = [], None
    t0 = time.monotonic()
    try:
        for rep in range(1, opts.reps + 1):
            # Every other repetition in reverse order: a case is not always
            # the one that runs first (or right after the same neighbour).
            order = chosen if rep % 2 else chosen[::-1]
            for c in order:
                one_case(c, rep, opts, env, runs)
    except (KeyboardInterrupt, bench.Interrupted) as e:
        interrupted = str(e) or "interrupted"
        log("tls: interrupted, servers stopped; partial results follow")
    finally:
        if not opts.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    meta["elapsed_seconds"] = round(time.monotonic() - t0)
    meta["interrupted"] = interrupted
    finish(opts, meta, runs, [c["name"] for c in chosen])
    return 1 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
