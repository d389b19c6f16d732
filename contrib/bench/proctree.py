"""CPU time and memory of a server's whole process tree, read from /proc.

A server is measured as its master process plus every descendant alive at
the moment of the snapshot.  CPU is counted in clock ticks as
utime + stime + cutime + cstime of every process of the tree (fields 14-17
of /proc/PID/stat):

- utime/stime of a process already include its threads, live and exited;
- cutime/cstime of a process hold the times of the children it has reaped
  (and, recursively, what those children had reaped themselves).

So a worker that lives through the run is counted by its own utime/stime,
and one that exits is counted by its parent's cutime/cstime once reaped.
The difference between two snapshots is the CPU the server spent between
them, whatever processes came and went.  Not counted: a child whose parent
ignores SIGCHLD (auto-reaped children add nothing to cutime) and a process
that leaves the tree (double fork).  The reads are not atomic: a child
reaped between reading its stat and its parent's can be counted twice or
not at all, an error bounded by that child's own CPU.
"""

import os

CLK_TCK = os.sysconf("SC_CLK_TCK")

# Fields of /proc/PID/stat, 1-based as in proc(5), after "pid (comm)".
_FIELD_STATE = 3
_FIELD_PPID = 4
_FIELD_UTIME = 14
_FIELD_CSTIME = 17
_FIELD_STARTTIME = 22


def _stat_fields(pid):
    """Fields 3.. of /proc/PID/stat as a list (index 0 is field 3)."""
    with open("/proc/%d/stat" % pid, "rb") as f:
        data = f.read()
    # comm may contain spaces and parentheses: split after the last ')'.
    return data[data.rindex(b")") + 2:].split()


def _field(fields, number):
    return fields[number - _FIELD_STATE]


def _all_parents():
    """{pid: ppid} of every process on the machine."""
    parents = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            fields = _stat_fields(int(name))
        except (OSError, ValueError):
            continue  # exited while we looked
        parents[int(name)] = int(_field(fields, _FIELD_PPID))
    return parents


def tree(root):
    """Pids of ROOT and all its descendants, ROOT first."""
    children = {}
    for pid, ppid in _all_parents().items():
        children.setdefault(ppid, []).append(pid)
    if not os.path.exists("/proc/%d" % root):
        return []
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def identities(root):
    """[(pid, starttime)] of the tree: a pid is only signalled later if it
    still has the same start time, so a recycled pid is never hit."""
    out = []
    for pid in tree(root):
        start = start_time(pid)
        if start is not None:
            out.append((pid, start))
    return out


def start_time(pid):
    """Start time of a live process; None once it has exited (a zombie
    counts as exited: it can no longer be signalled)."""
    try:
        fields = _stat_fields(pid)
        if _field(fields, _FIELD_STATE) == b"Z":
            return None
        return int(_field(fields, _FIELD_STARTTIME))
    except (OSError, ValueError, IndexError):
        return None


def cpu_ticks(root):
    """utime+stime+cutime+cstime summed over the tree, in clock ticks."""
    total = 0
    for pid in tree(root):
        try:
            fields = _stat_fields(pid)
        except (OSError, ValueError):
            continue
        for n in range(_FIELD_UTIME, _FIELD_CSTIME + 1):
            total += int(_field(fields, n))
    return total


def cpu_seconds(root):
    return cpu_ticks(root) / CLK_TCK


def cpu_busy_ticks(cpu):
    """Ticks CPU has spent on anything but idle and iowait since boot
    (/proc/stat), whoever it was for: the server, other processes or
    interrupt work."""
    with open("/proc/stat") as f:
        for line in f:
            parts = line.split()
            if parts[0] == "cpu%d" % cpu:
                ticks = [int(x) for x in parts[1:]]
                # user nice system idle iowait irq softirq steal ...
                return sum(ticks[:8]) - ticks[3] - ticks[4]
    raise ValueError("cpu%d not in /proc/stat" % cpu)


def _kib_field(path, key):
    """Value in KiB of 'KEY:  N kB' in a /proc file, None if absent."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def memory(root):
    """{'rss_kib', 'pss_kib', 'procs'} summed over the tree.

    RSS is VmRSS of /proc/PID/status; pages shared between processes (the
    binary, libraries, copy-on-write memory of a prefork pool) count once
    per process.  PSS from smaps_rollup splits shared pages between their
    users and so adds up to what the tree really holds.
    """
    rss = pss = procs = 0
    for pid in tree(root):
        r = _kib_field("/proc/%d/status" % pid, "VmRSS")
        if r is None:
            continue  # exited, or a kernel thread
        procs += 1
        rss += r
        pss += _kib_field("/proc/%d/smaps_rollup" % pid, "Pss") or 0
    return {"rss_kib": rss, "pss_kib": pss, "procs": procs}


def open_files_limit(root):
    """Smallest soft RLIMIT_NOFILE over the tree (None if unreadable)."""
    low = None
    for pid in tree(root):
        try:
            with open("/proc/%d/limits" % pid) as f:
                for line in f:
                    if line.startswith("Max open files"):
                        soft = line.split()[3]
                        if soft.isdigit():
                            n = int(soft)
                            low = n if low is None else min(low, n)
        except OSError:
            continue
    return low
