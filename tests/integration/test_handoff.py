"""Reloads that close no connection (TAP on stdout): GracefulHandoff passes
an idle keep-alive connection to the new generation, across MPM swaps and
with the bytes the old worker had read already; GracefulProbe has the new
generation answer a real GET before the old one drains, and rolls a
broken config back with the status it saw.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mpmdtest as t  # noqa: E402
from mpmdtest import active, ctl, eq, note, shown, true  # noqa: E402

RELOADS = 10
POOL = [
    "StartServers 2", "MinSpareServers 1", "MaxSpareServers 8",
    "ThreadsPerChild 4", "MinSpareThreads 2", "MaxSpareThreads 16",
    "KeepAliveTimeout 30", "MaxKeepAliveRequests 1000",
    "GracefulShutdownTimeout 10",
]
DRAIN_TIMEOUT = 12.0


def reload_to(srv, mpm, extra=()):
    """mpmctl graceful to MPM (and EXTRA lines), which must succeed;
    returns the new active generation."""
    srv.mpm = mpm
    srv.extra = POOL + list(extra)
    srv.write_config(srv.port)
    res = ctl(srv, "graceful")
    true(res[0] == 0, "mpmctl graceful to %s\n%s\n%s"
         % (mpm, shown(res), srv.diag()))
    return active(srv)


def local_port(client):
    return client.sock.getsockname()[1]


def served_by(srv, client, gen):
    """The worker holding CLIENT's connection is one of GEN's."""
    pid = t.serving_pid(srv.port, local_port(client), gen[3])
    true(pid is not None, "the connection is held by a worker of "
         "generation %d %s\n%s" % (gen[0], gen[3], srv.diag()))


def ask(client, what):
    r = client.exchange(t.request("GET", "/small.txt"))
    eq((r.status, r.body == t.SMALL_DATA, r.closes()), (200, True, False),
       "GET /small.txt on the kept connection %s" % what)


def test_keepalive_across_reloads():
    """One keep-alive connection carries a request after each of RELOADS
    graceful restarts, every one a swap to another MPM: never closed,
    same client port, held each time by a worker of the new generation."""
    mpms = t.mpms()
    srv = t.Server(mpms[0], extra=POOL, tag="handoff").start()
    try:
        client = srv.connect()
        port = local_port(client)
        ask(client, "before any reload")
        for i in range(RELOADS):
            mpm = mpms[(i + 1) % len(mpms)]
            gen = reload_to(srv, mpm)
            eq(gen[1], mpm, "MPM of the new generation")
            ask(client, "after reload %d (to %s)" % (i + 1, mpm))
            served_by(srv, client, gen)
            eq(local_port(client), port, "the client's port")
        note("%d reloads across %s, one connection" % (RELOADS, mpms))
        client.close()
        srv.stop()
    finally:
        srv.kill()


def test_read_ahead():
    """Half a request is read by the old generation, the rest comes after
    the graceful restart: the new one answers the whole request."""
    srv = t.Server(t.first_mpm(), extra=POOL, tag="handoff").start()
    try:
        client = srv.connect()
        ask(client, "before the reload")
        client.send(b"GET /small.txt HTTP/1.1\r\nHost: x\r\n")
        gen = reload_to(srv, srv.mpm)
        client.send(b"User-Agent: test_handoff\r\n\r\n")
        r = client.read_response()
        eq((r.status, r.body == t.SMALL_DATA), (200, True),
           "the request begun before the reload")
        served_by(srv, client, gen)
        client.close()
        srv.stop()
    finally:
        srv.kill()


def test_handoff_off():
    """GracefulHandoff off: the old generation keeps the connection and
    closes it after its next response (the behaviour handoff replaces)."""
    srv = t.Server(t.first_mpm(), extra=POOL + ["GracefulHandoff off"],
                   tag="handoff").start()
    try:
        client = srv.connect()
        ask(client, "before the reload")
        old = active(srv)
        reload_to(srv, srv.mpm, ["GracefulHandoff off"])
        r = client.exchange(t.request("GET", "/small.txt"))
        eq((r.status, r.closes()), (200, True),
           "the old generation's answer after the reload, with close")
        true(client.closed_within(), "the old generation closes it")
        true(not t.wait_gone(old[3], DRAIN_TIMEOUT),
             "the old workers exit once their connection is done")
        srv.stop()
    finally:
        srv.kill()


def test_probe():
    """GracefulProbe /small.txt: a good reload passes it; a config whose
    DocumentRoot lacks the file is rolled back with the 404 it got, the
    old generation still active and serving."""
    srv = t.Server(t.first_mpm(), extra=POOL + ["GracefulProbe /small.txt"],
                   tag="probe").start()
    try:
        gen = reload_to(srv, srv.mpm, ["GracefulProbe /small.txt"])
        hollow = os.path.join(srv.root, "hollow")
        os.mkdir(hollow)
        srv.extra = POOL + ["GracefulProbe /small.txt",
                            "DocumentRoot %s" % hollow]
        srv.write_config(srv.port)
        res = ctl(srv, "graceful")
        true(res[0] != 0, "graceful with a broken site\n" + shown(res))
        true("GracefulProbe GET /small.txt on an http listener was "
             "answered 404" in res[2], "mpmctl says what the probe got\n"
             + shown(res))
        eq(active(srv)[0], gen[0], "the active generation after the "
           "rollback")
        t.assert_serving(srv, "after the probe rolled back")
        srv.stop()
    finally:
        srv.kill()


def build():
    runner = t.Runner()
    t.bail_if_unbuilt()
    if not t.mpms():
        return runner
    runner.add("a keep-alive connection carries requests across %d graceful "
               "restarts and MPM swaps, never closed" % RELOADS,
               test_keepalive_across_reloads)
    runner.add("bytes read before the reload go with the connection",
               test_read_ahead)
    runner.add("GracefulHandoff off: the old generation closes after its "
               "next answer", test_handoff_off)
    runner.add("GracefulProbe: a good reload passes, a 404 rolls back and "
               "mpmctl prints it", test_probe)
    return runner


if __name__ == "__main__":
    t.main(build())
