"""The server's scan queue and scheduler: scans queued through the API run
on the lab and their objects appear in /inventory; one scan per environment
at a time, progress while running, aborting a pending one, links- and
cliques-only scans; a scheduled every-minute scan runs twice while a test
moves the server's clock (--clock-file), a run missed while the server was
down runs once at start; killing the server (SIGKILL) during a scan and
restarting marks that scan failed and loses nothing; SIGTERM lets a running
scan finish.

A slow scan comes from an environment whose OVSDB remote is a unix socket
this test listens on and never answers (the scan waits for its 5 s
timeout); the socket is in the test's tmp dir and closed at the end.
"""

import json
import os
import socket
import threading

import pytest

from lablib import calipso, wait_for
from test_api import is_error, scanned_db, server_factory  # noqa: F401 (fixtures)

FINAL = ("completed", "completed_with_errors", "failed", "aborted")


class SilentOvsdb:
    """A unix socket that accepts connections and never answers."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(16)
        self.conns = []
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                c, _ = self.sock.accept()
                self.conns.append(c)
            except OSError:
                continue

    def close(self):
        self.stop = True
        self.thread.join(5)
        for c in self.conns:
            c.close()
        self.sock.close()
        os.unlink(self.path)


@pytest.fixture
def slow_env(lab, scanned_db, tmp_path):
    """Environment "sv-slow": the lab's first host, with an OVSDB that
    never answers.  Yields its name."""
    ovs = SilentOvsdb(tmp_path / "silent-ovsdb.sock")
    cfg = tmp_path / "slow.json"
    cfg.write_text(json.dumps({"hosts": [{"name": "slowhost", "netns": lab.hosts[0]["netns"],
                                          "ovsdb": "unix:" + ovs.path}]}))
    calipso("env", "add", "sv-slow", "--config", str(cfg), db=scanned_db, json_out=False)
    try:
        yield "sv-slow"
    finally:
        ovs.close()


def scan_of(srv, token, env, sid):
    r = srv.get("/scans", token, env_name=env, id=sid)
    assert r.status == 200, r
    return r.json


def wait_scan(srv, token, env, sid, statuses=FINAL, timeout=60):
    return wait_for(lambda: (lambda s: s if s["status"] in statuses else None)(
        scan_of(srv, token, env, sid)), timeout=timeout, what=f"scan {sid} to be {statuses}")


def queue(srv, token, **body):
    r = srv.request("POST", "/scans", body=body, token=token)
    assert r.status == 201, r
    return r.json["id"]


def test_scan_through_the_api(lab, db_path, server_factory):
    calipso("env", "add", lab.env_name, "--config", lab.env_file, db=db_path, json_out=False)
    srv = server_factory(db_path)
    tok = srv.login()
    env = lab.env_name
    assert srv.get("/inventory", tok, env_name=env).json == {"objects": []}
    sid = queue(srv, tok, env_name=env, log_level="info")
    scan = wait_scan(srv, tok, env, sid)
    assert scan["status"] == "completed", scan
    assert scan["request"]["log_level"] == "info"
    assert scan["start_timestamp"] and scan["end_timestamp"]
    assert "progress" not in scan
    objs = srv.get("/inventory", tok, env_name=env, page_size=10000).json["objects"]
    assert {o["id"] for o in objs if o["type"] == "instance"} == {v["uuid"] for v in lab.vms}
    assert {o["id"] for o in objs if o["type"] == "host"} == {h["name"] for h in lab.hosts}
    assert scan["result"]["counts"]["objects"]["added"] == len(objs)
    msgs = [m["message"] for m in srv.get("/messages", tok, env_name=env).json["messages"]]
    assert f"scan {sid} queued by admin" in msgs and f"scan {sid} completed" in msgs
    # Links only: nothing discovered, links recomputed from the objects.
    sid = queue(srv, tok, env_name=env, scan_only_links=True)
    scan = wait_scan(srv, tok, env, sid)
    assert scan["status"] == "completed", scan
    assert scan["result"]["counts"]["links"]["unchanged"] > 0
    assert "sources" not in scan["result"]
    # Cliques only.
    sid = queue(srv, tok, env_name=env, scan_only_cliques=True)
    scan = wait_scan(srv, tok, env, sid)
    assert scan["status"] == "completed", scan
    assert scan["result"]["counts"]["cliques"]["focal_points"] >= len(lab.vms)
    # A scan from an object down is recorded as such.
    sid = queue(srv, tok, env_name=env, object_id="host1")
    wait_scan(srv, tok, env, sid)
    assert [s["id"] for s in srv.get("/scans", tok, env_name=env,
                                     base_object="host1").json["scans"]] == [sid]


def test_one_scan_per_environment_progress_and_abort(lab, scanned_db, slow_env,
                                                     server_factory):
    srv = server_factory(scanned_db)
    tok = srv.login()
    first = queue(srv, tok, env_name=slow_env)
    running = wait_scan(srv, tok, slow_env, first, statuses=("running",), timeout=10)
    # The pipeline waits for the silent OVSDB: its step is visible.
    prog = wait_for(lambda: scan_of(srv, tok, slow_env, first).get("progress"), timeout=5,
                    what="progress")
    assert prog["step"] in ("ovsdb", "slowhost", "netlink"), prog
    assert running["started"]
    second = queue(srv, tok, env_name=slow_env)
    third = queue(srv, tok, env_name=slow_env)
    # Another environment is not held up meanwhile.
    other = queue(srv, tok, env_name=lab.env_name)
    assert wait_scan(srv, tok, lab.env_name, other)["status"] in ("completed",
                                                                   "completed_with_errors")
    assert scan_of(srv, tok, slow_env, second)["status"] == "pending"
    # Only a pending scan can be aborted.
    is_error(srv.request("DELETE", "/scans", params={"env_name": slow_env, "id": first},
                         token=tok), 409, "running")
    r = srv.request("DELETE", "/scans", params={"env_name": slow_env, "id": third}, token=tok)
    assert r.status == 200, r
    assert scan_of(srv, tok, slow_env, third)["status"] == "aborted"
    is_error(srv.request("DELETE", "/scans", params={"env_name": lab.env_name, "id": third},
                         token=tok), 404)
    done = wait_scan(srv, tok, slow_env, first, timeout=30)
    assert done["status"] == "completed_with_errors", done
    assert any(s["name"] == "ovsdb" and s["status"] == "error"
               for s in done["result"]["sources"])
    # The second runs after the first, never beside it.
    sec = wait_scan(srv, tok, slow_env, second, timeout=30)
    assert sec["start_timestamp"] >= done["end_timestamp"]
    assert scan_of(srv, tok, slow_env, third)["status"] == "aborted"


def write_clock(path, when):
    tmp = str(path) + ".tmp"
    with open(tmp, "w") as f:
        f.write(when + "\n")
    os.replace(tmp, path)


def schedule_scans(srv, token, env, sched_id):
    return [s for s in srv.get("/scans", token, env_name=env, page_size=1000).json["scans"]
            if s["request"].get("schedule_id") == sched_id]


def test_scheduled_scan_runs_every_minute_on_the_test_clock(lab, scanned_db, server_factory,
                                                            tmp_path):
    env = lab.env_name
    clock = tmp_path / "clock"
    write_clock(clock, "2030-01-07T10:00:30Z")
    srv = server_factory(scanned_db, args=["--clock-file", str(clock)], sub="a")
    password = srv.admin_password
    tok = srv.login()
    r = srv.request("POST", "/scheduled_scans", token=tok,
                    body={"env_name": env, "cron": "* * * * *", "clear": False})
    assert r.status == 201, r
    sched = r.json["scheduled_scan"]
    sid = sched["id"]
    assert sched["next_run"] == "2030-01-07T10:01:00.000000Z"
    assert sched["scheduled_timestamp"] == sched["next_run"]
    weekly = srv.request("POST", "/scheduled_scans", token=tok, body={
        "env_name": env, "freq": "WEEKLY", "timezone": "Europe/Paris"}).json["scheduled_scan"]
    # Monday 2030-01-07: next Sunday midnight in Paris is Saturday 23:00 UTC.
    assert weekly["next_run"] == "2030-01-12T23:00:00.000000Z"
    assert weekly["freq"] == "WEEKLY" and weekly["cron"] == "0 0 * * 0"
    assert schedule_scans(srv, tok, env, sid) == []

    for n, now, nxt in ((1, "2030-01-07T10:01:05Z", "2030-01-07T10:02:00.000000Z"),
                        (2, "2030-01-07T10:02:05Z", "2030-01-07T10:03:00.000000Z")):
        write_clock(clock, now)
        got = wait_for(lambda: (lambda l: l if len(l) == n else None)(
            schedule_scans(srv, tok, env, sid)), timeout=15, what=f"scheduled scan {n}")
        wait_scan(srv, tok, env, got[0]["id"])
        s = srv.get("/scheduled_scans", tok, env_name=env, id=sid).json
        assert s["runs"] == n and s["next_run"] == nxt, s
        assert s["last_run"] == now.replace("Z", ".000000Z")
        assert s["last_scan_id"] == got[0]["id"]
    scans = schedule_scans(srv, tok, env, sid)
    assert len(scans) == 2 and all(s["status"] in ("completed", "completed_with_errors")
                                   for s in scans)
    assert srv.get("/scheduled_scans", tok, env_name=env, id=weekly["id"]).json["runs"] == 0
    msgs = [m["message"] for m in srv.get("/messages", tok, env_name=env).json["messages"]]
    assert sum(1 for m in msgs if m.startswith(f"scheduled scan {sid} queued scan")) == 2

    # Down for 27 minutes: the missed runs make one run at start.
    srv.stop()
    write_clock(clock, "2030-01-07T10:30:10Z")
    srv = server_factory(scanned_db, args=["--clock-file", str(clock)], sub="b")
    tok = srv.login("admin", password)
    got = wait_for(lambda: (lambda l: l if len(l) == 3 else None)(
        schedule_scans(srv, tok, env, sid)), timeout=15, what="the missed run")
    wait_scan(srv, tok, env, got[0]["id"])
    s = srv.get("/scheduled_scans", tok, env_name=env, id=sid).json
    assert s["runs"] == 3 and s["next_run"] == "2030-01-07T10:31:00.000000Z", s
    assert len(schedule_scans(srv, tok, env, sid)) == 3

    # Tokens expire on the same clock; a disabled schedule does not run.
    r = srv.request("PUT", "/scheduled_scans", params={"env_name": env, "id": sid}, token=tok,
                    body={"env_name": env, "cron": "* * * * *", "enabled": False})
    assert r.status == 200 and r.json["enabled"] is False, r
    write_clock(clock, "2030-01-08T10:31:30Z")
    wait_for(lambda: srv.get("/health", tok).status == 401, timeout=10,
             what="the token to expire on the test clock")
    tok = srv.login("admin", password)
    assert len(schedule_scans(srv, tok, env, sid)) == 3
    r = srv.request("DELETE", "/scheduled_scans", params={"env_name": env, "id": sid}, token=tok)
    assert r.status == 200
    is_error(srv.get("/scheduled_scans", tok, env_name=env, id=sid), 404)


def test_kill_during_a_scan_and_restart(lab, scanned_db, slow_env, server_factory, tmp_path):
    env = lab.env_name
    srv = server_factory(scanned_db, sub="a")
    tok = srv.login()
    before = srv.get("/inventory", tok, env_name=env, page_size=10000).json["objects"]
    sched = srv.request("POST", "/scheduled_scans", token=tok,
                        body={"env_name": env, "freq": "DAILY"}).json["scheduled_scan"]
    doomed = queue(srv, tok, env_name=slow_env)
    waiting = queue(srv, tok, env_name=slow_env)
    wait_for(lambda: scan_of(srv, tok, slow_env, doomed).get("progress"), timeout=10,
             what="the scan to be running")
    srv.proc.kill()
    srv.proc.wait(10)

    again = server_factory(scanned_db, sub="b")
    tok = again.login("admin", srv.admin_password)  # users survived; no new admin
    assert again.admin_password is None
    failed = scan_of(again, tok, slow_env, doomed)
    assert failed["status"] == "failed", failed
    assert "interrupted" in failed["result"]["error"]
    assert failed["end_timestamp"]
    msgs = [m["message"] for m in again.get("/messages", tok, env_name=slow_env).json["messages"]]
    assert any(m.startswith(f"scan {doomed} failed: interrupted") for m in msgs), msgs
    # The queued scan was kept and now runs.
    assert wait_scan(again, tok, slow_env, waiting, timeout=40)["status"] == \
        "completed_with_errors"
    # Nothing else was lost: the inventory, the schedule, its next run.
    after = again.get("/inventory", tok, env_name=env, page_size=10000).json["objects"]
    assert sorted(o["id"] for o in after) == sorted(o["id"] for o in before)
    s = again.get("/scheduled_scans", tok, env_name=env, id=sched["id"]).json
    assert s["next_run"] == sched["next_run"] and s["cron"] == "0 0 * * *"


def test_sigterm_lets_a_running_scan_finish(lab, scanned_db, slow_env, server_factory):
    srv = server_factory(scanned_db)
    tok = srv.login()
    sid = queue(srv, tok, env_name=slow_env)
    wait_for(lambda: scan_of(srv, tok, slow_env, sid).get("progress"), timeout=10,
             what="the scan to be running")
    assert srv.stop(timeout=40) == 0
    again = server_factory(scanned_db)
    tok = again.login("admin", srv.admin_password)
    done = scan_of(again, tok, slow_env, sid)
    assert done["status"] == "completed_with_errors", done
