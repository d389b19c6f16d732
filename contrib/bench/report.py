"""Medians over the repetitions, the tables, the ratios and the files."""

import json
import statistics

import scenarios
import servers

# (column title, result key, format, scale)
WRK_COLUMNS = [
    ("req/s", "rps", "%.0f", 1),
    ("req/cpu-s", "req_per_cpu_s", "%.0f", 1),
    ("cpu%", "cpu_share", "%.0f", 100),
    ("other%", "other_share", "%.0f", 100),
    ("wrk cpu%", "client_share", "%.0f", 100),
    ("p50 ms", "p50_ms", "%.2f", 1),
    ("p99 ms", "p99_ms", "%.2f", 1),
    ("errors", "errors", "%.0f", 1),
]
IDLE_COLUMNS = [
    ("held", "held", "%.0f", 1),
    ("procs", "procs", "%.0f", 1),
    ("RSS before MiB", "rss_before_kib", "%.1f", 1 / 1024),
    ("RSS after MiB", "rss_after_kib", "%.1f", 1 / 1024),
    ("KiB/conn", "kib_per_conn", "%.2f", 1),
    ("PSS KiB/conn", "pss_kib_per_conn", "%.2f", 1),
]
PROBE_COLUMNS = [
    ("probe p50 ms", "probe_p50_ms", "%.2f", 1),
    ("probe max ms", "probe_max_ms", "%.2f", 1),
    ("probe fail", "probe_failed", "%.0f", 1),
]

# (scenario, key, label, higher is better)
RATIO_METRICS = [
    ("ka-1k", "rps", "req/s", True),
    ("ka-1k", "req_per_cpu_s", "req/cpu-s", True),
    ("ka-1k", "p99_ms", "p99", False),
    ("close-1k", "rps", "req/s", True),
    ("close-1k", "req_per_cpu_s", "req/cpu-s", True),
    ("close-1k", "p99_ms", "p99", False),
    ("ka-1m", "rps", "req/s", True),
    ("ka-1m", "req_per_cpu_s", "req/cpu-s", True),
    ("ka-1m", "p99_ms", "p99", False),
    ("idle-5k", "kib_per_conn", "KiB/conn", False),
    ("idle-10k", "kib_per_conn", "KiB/conn", False),
    ("idle-10k", "probe_p50_ms", "probe p50", False),
]
MPMD = ["mpm-prefork", "mpm-threaded", "mpm-event"]


# -------------------------------------------------------------- medians

def medians(runs):
    """{server: {scenario: {key: median}}} over the successful runs."""
    groups = {}
    for r in runs:
        if "result" in r:
            key = (r["server"], r["scenario"])
            groups.setdefault(key, []).append(r["result"])
    out = {}
    for (server, sc), results in groups.items():
        m = {"reps": len(results)}
        for key in results[0]:
            vals = [x[key] for x in results
                    if isinstance(x.get(key), (int, float))
                    and not isinstance(x.get(key), bool)]
            if vals:
                m[key] = statistics.median(vals)
        out.setdefault(server, {})[sc] = m
    return out


def _eligible(m, sc, key):
    """An idle result only counts when every connection was held (a
    per-connection figure over 64 held connections is not comparable),
    a probe latency only when no probe failed."""
    if m is None:
        return False
    if scenarios.scenario(sc)["kind"] != "idle":
        return True
    if key.startswith("probe_") and m.get("probe_failed"):
        return False
    return m.get("held") == m.get("requested")


def _value(med, server, sc, key):
    m = med.get(server, {}).get(sc)
    if not _eligible(m, sc, key):
        return None
    return m.get(key)


def _ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def ratios(med):
    """One row per RATIO_METRICS entry that has data."""
    anchors = [s["name"] for s in servers.SPECS if s["kind"] != "mpmd"]
    rows = []
    for sc, key, label, higher in RATIO_METRICS:
        vals = {a: _value(med, a, sc, key) for a in anchors}
        vals = {a: v for a, v in vals.items() if v is not None}
        best = None
        if vals:
            pick = max if higher else min
            best = pick(vals, key=vals.get)
        row = {"scenario": sc, "metric": key, "label": label,
               "higher_is_better": higher, "best_anchor": best,
               "best_value": vals.get(best), "vs_best": {}, "vs_pair": {}}
        for name in MPMD:
            v = _value(med, name, sc, key)
            row["vs_best"][name] = _ratio(v, vals.get(best))
            pair = servers.spec(name)["pair"]
            row["vs_pair"][name] = _ratio(v, _value(med, pair, sc, key))
        if any(v is not None for v in row["vs_best"].values()) or best:
            rows.append(row)
    return rows


# --------------------------------------------------------------- tables

def _fmt(v, fmt, scale):
    if v is None:
        return "-"
    return fmt % (v * scale)


def _table(head, rows):
    widths = [max(len(str(r[i])) for r in [head] + rows)
              for i in range(len(head))]
    line = lambda r: "  ".join(  # noqa: E731
        str(c).ljust(w) if i == 0 else str(c).rjust(w)
        for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([line(head)] + [line(r) for r in rows])


def _describe(sc, opts):
    if sc["kind"] == "wrk":
        hdr = " -H '%s'" % sc["headers"][0] if sc["headers"] else ""
        return "GET %s, wrk -t1 -c%d -d%ds%s" % (
            sc["path"], sc["conns"], opts.duration, hdr)
    text = "%d idle keep-alive connections" % sc["conns"]
    if sc["probes"]:
        text += ", %d timed GETs while they are held" % sc["probes"]
    return text


def scenario_tables(med, server_names, scenario_names, opts):
    out = []
    for name in scenario_names:
        sc = scenarios.scenario(name)
        cols = WRK_COLUMNS if sc["kind"] == "wrk" else IDLE_COLUMNS
        if sc.get("probes"):
            cols = cols + PROBE_COLUMNS
        rows = []
        for server in server_names:
            m = med.get(server, {}).get(name)
            if m is None:
                continue
            rows.append([server] + [_fmt(m.get(k), f, s)
                                    for _, k, f, s in cols])
        if rows:
            out.append("%s: %s" % (name, _describe(sc, opts)))
            out.append(_table(["server"] + [c[0] for c in cols], rows))
            out.append("")
    return "\n".join(out)


def ratio_table(rows):
    if not rows:
        return ""
    head = ["scenario", "metric", "best anchor"]
    head += ["%s/best" % n for n in MPMD]
    head += ["%s/%s" % (n, servers.spec(n)["pair"]) for n in MPMD]
    body = []
    for r in rows:
        best = "-"
        if r["best_anchor"]:
            best = "%s %s" % (r["best_anchor"], _short(r["best_value"]))
        cells = [r["scenario"], r["label"], best]
        cells += [_fmt(r["vs_best"][n], "%.2f", 1) for n in MPMD]
        cells += [_fmt(r["vs_pair"][n], "%.2f", 1) for n in MPMD]
        body.append(cells)
    return _table(head, body)


def _short(v):
    return "%.0f" % v if v >= 100 else "%.2f" % v


# ---------------------------------------------------------------- files

def write_json(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")


def write_tsv(path, runs, med):
    """Long format, one value a line: rep, server, scenario, key, value."""
    with open(path, "w") as f:
        f.write("rep\tserver\tscenario\tkey\tvalue\n")
        for r in runs:
            for k, v in sorted(r.get("result", {}).items()):
                f.write("%s\t%s\t%s\t%s\t%s\n" % (
                    r["rep"], r["server"], r["scenario"], k, v))
            if "error" in r:
                f.write("%s\t%s\t%s\terror\t%s\n" % (
                    r["rep"], r["server"], r["scenario"],
                    r["error"].replace("\t", " ").replace("\n", " | ")))
        for server in sorted(med):
            for sc in sorted(med[server]):
                for k, v in sorted(med[server][sc].items()):
                    f.write("median\t%s\t%s\t%s\t%s\n" % (server, sc, k, v))
