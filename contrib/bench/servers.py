"""The servers under test: how each is configured, started and stopped.

Every server gets its own directory (conf/, logs/, run/) under the bench
work directory, a config rendered from a template in conf/ beside this file
and its own loopback port.  It is started in the foreground under
`taskset -c CPU`, so the master and every process or thread it creates run
on that CPU, in a session of its own so that a Ctrl-C reaches only the
harness, which then stops the server itself.  Stopping is by pid: SIGTERM
to the master, then SIGKILL to whatever is left of the tree recorded
before, each pid checked against its start time first.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import time

import idle
import proctree

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "conf")
APACHE_MODULES = "/usr/lib/apache2/modules"

START_TIMEOUT = 15.0    # from exec to the first 200
SETTLE_QUIET = 1.0      # the tree's process count unchanged this long...
SETTLE_TIMEOUT = 10.0   # ...or give up waiting for a prefork pool
STOP_TIMEOUT = 10.0     # SIGTERM to exit of the master
REAP_TIMEOUT = 5.0      # the rest of the tree after the master is gone
POLL = 0.05
LOG_TAIL = 15

READY_PATH = "/1k.html"


class ServerError(Exception):
    pass


def _spec(name, kind, template, mpm=None, evented=False, pair=None):
    return {"name": name, "kind": kind, "template": template, "mpm": mpm,
            "evented": evented, "pair": pair,
            "opens_logs_unprivileged": kind == "lighttpd"}


# pair: the anchor a mpmd MPM is compared with one to one.
# opens_logs_unprivileged: the server drops privileges before it opens its
# logs and pid file (lighttpd does), so logs/ and run/ belong to its user.
SPECS = [
    _spec("mpm-prefork", "mpmd", "mpmd.conf.in", "prefork",
          pair="apache-prefork"),
    _spec("mpm-threaded", "mpmd", "mpmd.conf.in", "threaded",
          pair="apache-worker"),
    _spec("mpm-event", "mpmd", "mpmd.conf.in", "event", evented=True,
          pair="apache-event"),
    _spec("nginx", "nginx", "nginx.conf.in", evented=True),
    _spec("lighttpd", "lighttpd", "lighttpd.conf.in", evented=True),
    _spec("apache-event", "apache", "apache.conf.in", "event", evented=True),
    _spec("apache-worker", "apache", "apache.conf.in", "worker"),
    _spec("apache-prefork", "apache", "apache.conf.in", "prefork"),
]
NAMES = [s["name"] for s in SPECS]


def spec(name):
    for s in SPECS:
        if s["name"] == name:
            return s
    raise KeyError(name)


def binary(s, mpmd_build):
    """Path of the program that runs server spec S."""
    if s["kind"] == "mpmd":
        return os.path.join(mpmd_build, "mpmd")
    return {"nginx": "/usr/sbin/nginx", "lighttpd": "/usr/sbin/lighttpd",
            "apache": "/usr/sbin/apache2"}[s["kind"]]


def missing(s, mpmd_build):
    """Why server S cannot run here, or None."""
    need = [(binary(s, mpmd_build), os.X_OK)]
    if s["kind"] == "mpmd":
        need.append((os.path.join(mpmd_build, "mpm-" + s["mpm"]), os.X_OK))
    elif s["kind"] == "apache":
        need.append((os.path.join(APACHE_MODULES,
                                  "mod_mpm_%s.so" % s["mpm"]), os.R_OK))
    for path, mode in need:
        if not os.access(path, mode):
            return "%s not found" % path
    return None


def version(s, mpmd_build):
    """One line naming the server's version (for the results' metadata)."""
    flag = "-V" if s["kind"] == "mpmd" else "-v"
    try:
        out = subprocess.run([binary(s, mpmd_build), flag],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, timeout=5).stdout
    except (OSError, subprocess.SubprocessError) as e:
        return "unknown (%s)" % e
    lines = out.decode(errors="replace").strip().splitlines()
    return lines[0] if lines else "unknown"


def render(template, values):
    """TEMPLATE text with every @NAME@ replaced; an unknown name is an
    error rather than a silently broken config."""
    def sub(m):
        if m.group(1) not in values:
            raise ServerError("%s: no value for @%s@" % (template, m.group(1)))
        return str(values[m.group(1)])
    with open(os.path.join(TEMPLATES, template)) as f:
        return re.sub(r"@([A-Z][A-Z_]*)@", sub, f.read())


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Server:
    """One run of one server: configure, start, measure, stop."""

    def __init__(self, s, port, workdir, env):
        self.spec = s
        self.name = s["name"]
        self.port = port
        self.env = env
        self.dir = os.path.join(workdir, "servers", self.name)
        self.proc = None
        self.pid = None
        self.conf = None
        self.members = []   # (pid, start time) of the tree after start

    # ---------------------------------------------------------- config

    def _values(self):
        e = self.env
        return {"PORT": self.port, "ROOT": self.dir, "DOCROOT": e["docroot"],
                "CONFDIR": TEMPLATES, "TYPES": e["types"],
                "USER": e["user"], "GROUP": e["group"],
                "MAX_FDS": e["max_fds"], "MAX_CONNS": e["max_conns"],
                "HALF_FDS": e["max_fds"] // 2,
                "BACKLOG": e["backlog"], "MPM": self.spec["mpm"] or "",
                "WORKERDIR": e["mpmd_build"],
                "APACHE_MODULES": APACHE_MODULES}

    def prepare(self):
        """Fresh directories and the rendered config."""
        shutil.rmtree(self.dir, ignore_errors=True)
        for sub in ("conf", "logs", "run"):
            os.makedirs(os.path.join(self.dir, sub))
        os.chmod(self.dir, 0o755)
        if self.spec["opens_logs_unprivileged"] and os.geteuid() == 0:
            for sub in ("logs", "run"):
                shutil.chown(os.path.join(self.dir, sub), self.env["user"],
                             self.env["group"])
        self.conf = os.path.join(self.dir, "conf",
                                 self.spec["template"][:-len(".in")])
        with open(self.conf, "w") as f:
            f.write(render(self.spec["template"], self._values()))

    def argv(self):
        prog = binary(self.spec, self.env["mpmd_build"])
        kind = self.spec["kind"]
        if kind == "mpmd":
            return [prog, "-D", "FOREGROUND", "-f", self.conf]
        if kind == "nginx":
            return [prog, "-p", self.dir + "/", "-e", self.log("error.log"),
                    "-c", self.conf]
        if kind == "lighttpd":
            return [prog, "-D", "-f", self.conf]
        return [prog, "-d", self.dir, "-f", self.conf, "-DFOREGROUND"]

    def log(self, name):
        return os.path.join(self.dir, "logs", name)

    # ---------------------------------------------------------- start

    def start(self):
        if not port_free(self.port):
            raise ServerError("port %d is in use" % self.port)
        self.prepare()
        out = open(os.path.join(self.dir, "logs", "stdout.log"), "wb")
        argv = ["taskset", "-c", str(self.env["server_cpu"])] + self.argv()
        try:
            # taskset execs the server: the pid is the server's master.
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=subprocess.STDOUT,
                                         cwd=self.dir, start_new_session=True)
        finally:
            out.close()
        self.pid = self.proc.pid
        self._wait_ready()
        self._settle()
        self.members = proctree.identities(self.pid)

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        why = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError("%s exited with status %d at start\n%s" % (
                    self.name, self.proc.returncode, self.diagnostics()))
            secs, status = idle.probe(self.port, READY_PATH, timeout=1.0)
            if secs is not None and status == 200:
                return
            why = "status %s" % status if secs is not None else status
            time.sleep(POLL * 2)
        raise ServerError("%s not ready after %.0f s (%s)\n%s" % (
            self.name, START_TIMEOUT, why, self.diagnostics()))

    def _settle(self):
        """Wait for a pool that forks at start (prefork) to be complete."""
        deadline = time.monotonic() + SETTLE_TIMEOUT
        count, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            n = len(proctree.tree(self.pid))
            if n != count:
                count, since = n, time.monotonic()
            elif time.monotonic() - since >= SETTLE_QUIET:
                return
            time.sleep(POLL * 2)

    # ---------------------------------------------------------- stop

    def stop(self):
        """SIGTERM the master, wait, then SIGKILL what remains of the
        tree.  Returns a note when something had to be killed."""
        if self.proc is None:
            return None
        note = None
        # The tree now and as it was after start: children orphaned by a
        # master that died are no longer below it but still ours to stop.
        members = set(proctree.identities(self.pid)) | set(self.members)
        if self.proc.poll() is None:
            _signal(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                note = "%s ignored SIGTERM for %.0f s: killed" % (
                    self.name, STOP_TIMEOUT)
                _signal(self.pid, signal.SIGKILL)
                self.proc.wait(STOP_TIMEOUT)
        left = _wait_gone(members, REAP_TIMEOUT)
        if left:
            note = (note or "") + " %s left %d processes: killed" % (
                self.name, len(left))
            for pid, _ in left:
                _signal(pid, signal.SIGKILL)
        self.proc = None
        self.members = []
        return note

    # ---------------------------------------------------------- logs

    def access_log_bytes(self, truncate=False):
        """Size of the access log; truncate it to keep /tmp small."""
        path = self.log("access.log")
        try:
            size = os.path.getsize(path)
            if truncate:
                os.truncate(path, 0)
        except OSError:
            return 0
        return size

    def diagnostics(self):
        out = []
        for name in ("stdout.log", "error.log"):
            try:
                with open(self.log(name), errors="replace") as f:
                    lines = f.read().splitlines()[-LOG_TAIL:]
            except OSError:
                continue
            out += ["  %s: %s" % (name, line) for line in lines]
        return "\n".join(out)


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _alive(members):
    return [(pid, st) for pid, st in members
            if proctree.start_time(pid) == st]


def _wait_gone(members, timeout):
    deadline = time.monotonic() + timeout
    left = _alive(members)
    while left and time.monotonic() < deadline:
        time.sleep(POLL)
        left = _alive(members)
    return left
