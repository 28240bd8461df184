"""The server's routes over snapshots, diffs, designs and reports on the
lab: snapshots now, after a queued scan, and on a schedule that follows the
test clock; diffs between them; designs; reports made now or kept,
answered with their own content type.  Each test starts its own server and
database; the lab is only read.
"""

import os

from lablib import wait_for
from test_api import is_error, scanned_db, server_factory  # noqa: F401 (fixtures)
from test_api_scans import write_clock


def test_snapshots_diff_designs_reports(lab, scanned_db, server_factory):
    srv = server_factory(scanned_db)
    tok = srv.login()
    env = lab.env_name
    vm = lab.vms[0]["uuid"]
    r = srv.request("POST", "/snapshots", token=tok, body={"env_name": env, "name": "before",
                                                           "note": "baseline"})
    assert r.status == 201, r
    assert r.json["name"] == "before" and r.json["note"] == "baseline"
    is_error(srv.request("POST", "/snapshots", token=tok, body={"env_name": env,
                                                               "name": "before"}), 409)
    is_error(srv.request("POST", "/snapshots", token=tok, body={"env_name": env,
                                                               "name": "bad name"}), 400)
    # A change, then the diff against the snapshot shows it.
    srv.request("PATCH", "/inventory", params={"env_name": env, "id": vm}, token=tok,
                body={"external": {"name": "renamed"}})
    d = srv.get("/diff", tok, env_name=env, a="before", b="live").json
    assert d["equal"] is False and d["summary"]["objects_changed"] == 1
    assert d["objects"]["changed"][0]["id"] == vm
    assert srv.get("/diff", tok, env_name=env, a="live", b="live").json["equal"] is True
    is_error(srv.get("/diff", tok, env_name=env, a="nosuch", b="live"), 400, "nosuch")
    # Pin, list, read, remove.
    r = srv.request("PATCH", "/snapshots", params={"env_name": env, "name": "before"},
                    token=tok, body={"pinned": True})
    assert r.status == 200 and r.json["pinned"] is True
    names = [s["name"] for s in srv.get("/snapshots", tok, env_name=env).json["snapshots"]]
    assert names == ["before"]
    assert srv.get("/snapshots", tok, env_name=env, name="before").json["note"] == "baseline"
    is_error(srv.get("/snapshots", tok, env_name=env, name="nosuch"), 404)
    # A snapshot after a fresh scan: queued, taken when the scan ends.
    r = srv.request("POST", "/snapshots", token=tok, body={"env_name": env, "name": "after",
                                                           "scan": True})
    assert r.status == 202, r
    sid = r.json["scan_id"]
    snap = wait_for(lambda: srv.get("/snapshots", tok, env_name=env, name="after").json
                    if srv.get("/snapshots", tok, env_name=env, name="after").status == 200
                    else None, timeout=60, what="the snapshot after the scan")
    assert snap["scan_id"] == sid
    # Designs: from a snapshot, from a document; drift is a diff.
    r = srv.request("POST", "/designs", token=tok, body={"env_name": env, "name": "golden",
                                                         "from": "before"})
    assert r.status == 201 and r.json["counts"]["objects"] > 0, r
    designs = srv.get("/designs", tok, env_name=env).json["designs"]
    assert [x["name"] for x in designs] == ["golden"]
    doc = srv.get("/designs", tok, env_name=env, name="golden").json["doc"]
    assert doc["objects"]
    r = srv.request("POST", "/designs", token=tok, body={
        "env_name": env, "name": "tiny", "text": "calipso_design: 1\nobjects:\n"
        "  - {id: host1, type: host}\nlinks: []\n"})
    assert r.status == 201, r
    is_error(srv.request("POST", "/designs", token=tok, body={
        "env_name": env, "name": "broken", "text": "calipso_design: [unclosed"}), 400)
    is_error(srv.request("POST", "/designs", token=tok, body={"env_name": env, "name": "x"}),
             400, "either 'from'")
    drift = srv.get("/diff", tok, env_name=env, a="design:golden", b="live").json
    assert drift["equal"] is False
    assert srv.request("DELETE", "/designs", params={"env_name": env, "name": "tiny"},
                       token=tok).status == 200
    # Reports: made now (not kept), or kept and read back.
    r = srv.get("/reports", tok, env_name=env, kind="diff", a="before", b="live", format="html")
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/html")
    assert "<html" in r.body.lower()
    r = srv.get("/reports", tok, env_name=env, kind="inventory", format="csv")
    assert r.headers["Content-Type"].startswith("text/csv") and "host1" in r.body
    assert srv.get("/reports", tok, env_name=env).json == {"reports": []}
    r = srv.request("POST", "/reports", token=tok, body={"env_name": env, "kind": "health",
                                                         "format": "json"})
    assert r.status == 201 and "content" not in r.json, r
    rid = r.json["id"]
    kept = srv.get("/reports", tok, env_name=env).json["reports"]
    assert [k["id"] for k in kept] == [rid]
    body = srv.get("/reports", tok, env_name=env, id=rid)
    assert body.headers["Content-Type"].startswith("application/json") and body.json
    is_error(srv.request("POST", "/reports", token=tok, body={"env_name": env, "kind": "diff",
                                                             "a": "nosuch", "b": "live"}), 400)
    assert srv.request("DELETE", "/reports", params={"env_name": env, "id": rid},
                       token=tok).status == 200
    is_error(srv.get("/reports", tok, env_name=env, id=rid), 404)
    assert srv.request("DELETE", "/snapshots", params={"env_name": env, "name": "after"},
                       token=tok).status == 200


def test_scheduled_snapshots_on_the_test_clock(lab, scanned_db, server_factory, tmp_path):
    env = lab.env_name
    clock = tmp_path / "clock"
    write_clock(clock, "2030-01-06T23:58:00Z")
    srv = server_factory(scanned_db, args=["--clock-file", str(clock)])
    tok = srv.login()
    # Sundays at midnight (UTC), and every 10 minutes after a scan.
    r = srv.request("POST", "/scheduled_snapshots", token=tok, body={
        "env_name": env, "cron": "0 0 * * 0", "name_prefix": "weekly", "pinned": True})
    assert r.status == 201, r
    weekly = r.json["scheduled_snapshot"]
    assert weekly["next_run"] == "2030-01-13T00:00:00.000000Z"
    r = srv.request("POST", "/scheduled_snapshots", token=tok, body={
        "env_name": env, "cron": "*/10 * * * *", "name_prefix": "change", "scan": True})
    change = r.json["scheduled_snapshot"]
    assert change["next_run"] == "2030-01-07T00:00:00.000000Z"
    is_error(srv.request("POST", "/scheduled_snapshots", token=tok, body={
        "env_name": env, "freq": "DAILY", "name_prefix": "bad prefix"}), 400)
    is_error(srv.request("POST", "/scheduled_snapshots", token=tok, body={
        "env_name": env, "freq": "DAILY", "clear": True}), 400, "unknown field 'clear'")
    lst = srv.get("/scheduled_snapshots", tok, env_name=env).json["scheduled_snapshots"]
    assert {s["id"] for s in lst} == {weekly["id"], change["id"]}
    # Scheduled scans and snapshots are told apart.
    assert srv.get("/scheduled_scans", tok, env_name=env).json == {"scheduled_scans": []}
    is_error(srv.get("/scheduled_scans", tok, env_name=env, id=weekly["id"]), 404)

    def names():
        return sorted(s["name"] for s in srv.get("/snapshots", tok, env_name=env).json[
            "snapshots"])
    write_clock(clock, "2030-01-07T00:00:02Z")
    wait_for(lambda: names() == ["change-20300107-0000"], timeout=60,
             what="the snapshot after the scheduled scan")
    write_clock(clock, "2030-01-13T00:00:01Z")
    # Six days later, the token (12 hours) has expired on the same clock.
    wait_for(lambda: srv.get("/health", tok).status == 401, timeout=10,
             what="the token to expire on the test clock")
    tok = srv.login()
    wait_for(lambda: "weekly-20300113-0000" in names(), timeout=30, what="the weekly snapshot")
    snap = srv.get("/snapshots", tok, env_name=env, name="weekly-20300113-0000").json
    assert snap["pinned"] is True
    s = srv.get("/scheduled_snapshots", tok, env_name=env, id=weekly["id"]).json
    assert s["runs"] == 1 and s["next_run"] == "2030-01-20T00:00:00.000000Z"
    # The change schedule ran once more (a missed run runs once), after a scan.
    wait_for(lambda: "change-20300113-0000" in names(), timeout=60, what="the second change")
    assert len([n for n in names() if n.startswith("change-")]) == 2
    assert os.path.exists(srv.db)
