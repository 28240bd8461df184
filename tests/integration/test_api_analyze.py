"""GET /search and GET /impact on the lab, through src/analyze, checked
against the CLI's `calipso impact` on the same database.  The server and
its database are the test's own; the lab is only read.
"""

from lablib import calipso
from test_api import is_error, scanned_db, server_factory  # noqa: F401 (fixtures)


def test_search_and_impact(lab, scanned_db, server_factory):
    srv = server_factory(scanned_db)
    tok = srv.login()
    env = lab.env_name
    vm = lab.vms[0]
    hits = srv.get("/search", tok, env_name=env, text=vm["name"]).json["results"]
    assert hits[0]["id"] == vm["uuid"] and hits[0]["type"] == "instance", hits[:2]
    hits = srv.get("/search", tok, env_name=env, text=vm["mac"], type="vnic").json["results"]
    assert hits and all(h["type"] == "vnic" for h in hits)
    assert len(srv.get("/search", tok, env_name=env, text="a", page_size=3).json["results"]) <= 3
    is_error(srv.get("/search", tok, env_name=env), 400, "'text' is required")
    is_error(srv.get("/search", tok, env_name="sv-nowhere", text="x"), 400, "unknown environment")
    # The NIC every clique of host1 goes through.
    pnic = "host1:host_pnic:eth0"
    imp = srv.get("/impact", tok, env_name=env, id=pnic).json
    want = calipso("impact", pnic, db=scanned_db, env_name=env).json
    assert imp["cliques"] == want["cliques"] and imp["cliques"] > 0
    assert imp["by_host"] == want["by_host"]
    down = srv.get("/impact", tok, env_name=env, id=pnic, what_if="down").json
    assert down == calipso("impact", pnic, "--what-if", "down", db=scanned_db,
                           env_name=env).json
    is_error(srv.get("/impact", tok, env_name=env, id=pnic, what_if="up"), 400, "one of")
    r = srv.get("/impact", tok, env_name=env, id="sv-no-such-object")
    assert r.status in (404, 400), r
