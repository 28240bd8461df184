"""`calipso serve`: every route, with and without tokens; the original API's
parameters, paging and errors; bad input; the OpenAPI document against what
is served; users, roles and login throttling; PATCH of external attributes;
connection tests; TLS; static UI files; metrics, health and the access log.

Each test starts its own server on 127.0.0.1 (a free port, --listen
127.0.0.1:0) with its own database, stops it with SIGTERM (or kills it) and
removes what it made.  Tests that need an inventory scan the session lab
(conftest.py) first; they only read it.

The helpers here (Server, scanned_db) are also used by test_api_scans.py.
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time

import pytest

from lablib import calipso, calipso_bin, wait_for

# ---------------------------------------------------------------------------
# A server process and its client.


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    @property
    def error(self):
        return (self.json or {}).get("error", {}).get("message", "")

    def __repr__(self):
        return f"HTTP {self.status}: {self.body[:2000]!r}"


class Server:
    """`calipso --db DB serve --listen 127.0.0.1:0 ...` and a client."""

    def __init__(self, db, tmp_path, args=(), tls=False):
        self.db = str(db)
        self.dir = tmp_path
        self.args = list(args)
        self.tls = tls
        self.proc = None
        self.port = None
        self.admin_password = None
        self.access_log = str(tmp_path / "access.log")
        self.stderr_path = str(tmp_path / "serve.stderr")

    def start(self, timeout=20):
        argv = [calipso_bin(), "--db", self.db, "serve", "--listen", "127.0.0.1:0",
                "--access-log", self.access_log, "--ui-dir", ""] + self.args
        env = dict(os.environ)
        env.pop("CALIPSO_DB", None)
        self.stderr = open(self.stderr_path, "a")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.stderr, text=True,
                                     env=env)
        deadline = time.monotonic() + timeout
        lines = []
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            m = re.search(r"password (\S+)$", line.strip())
            if m:
                self.admin_password = m.group(1)
            m = re.search(r"listening on https?://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                return self
        self.kill()
        raise AssertionError(f"calipso serve did not start: {''.join(lines)}\n{self.log()}")

    def log(self):
        try:
            with open(self.stderr_path) as f:
                return f.read()[-6000:]
        except OSError:
            return ""

    def stop(self, timeout=30):
        """SIGTERM, then the exit status."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self.kill()

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        if getattr(self, "stderr", None):
            self.stderr.close()
            self.stderr = None

    def conn(self, timeout=30):
        if self.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                               context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, params=None, body=None, token=None, raw=None,
                headers=None, timeout=30):
        """One request on a new connection.  params: dict or list of pairs
        (encoded); body: JSON-encoded; raw: bytes sent as they are."""
        if params:
            from urllib.parse import urlencode
            path = path + "?" + urlencode(params)
        h = dict(headers or {})
        if token:
            h["X-Auth-Token"] = token
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        c = self.conn(timeout)
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            return Reply(r.status, dict(r.getheaders()), r.read().decode("utf-8", "replace"))
        finally:
            c.close()

    def get(self, path, token, **params):
        return self.request("GET", path, params=params, token=token)

    def login(self, user="admin", password=None, expires_in=None):
        body = {"auth": {"methods": ["credentials"],
                         "credentials": {"username": user,
                                         "password": password or self.admin_password}}}
        if expires_in:
            body["expires_in"] = expires_in
        r = self.request("POST", "/auth/tokens", body=body)
        assert r.status == 201, r
        return r.json["token"]

    def add_user(self, token, name, roles, password="p4ssword-" + "x" * 4):
        r = self.request("POST", "/users", token=token,
                         body={"name": name, "password": password, "roles": roles})
        assert r.status == 201, r
        return self.login(name, password)


def is_error(r, status, part=""):
    """The reply has the original API's error shape, this status, and a
    message with `part`."""
    assert r.status == status, r
    assert set(r.json["error"]) == {"message", "code", "title"}, r
    assert r.json["error"]["code"] == str(status), r
    assert part in r.json["error"]["message"], r
    return True


@pytest.fixture
def server_factory(tmp_path):
    """Starts servers (stopped at the end, killed if they do not stop)."""
    made = []

    def make(db, args=(), tls=False, sub=None):
        d = tmp_path / (sub or f"srv{len(made)}")
        d.mkdir(exist_ok=True)
        s = Server(db, d, args=args, tls=tls)
        made.append(s)
        return s.start()
    yield make
    for s in made:
        try:
            s.stop(timeout=20)
        finally:
            s.kill()
    # Under ASan/UBSan ($CALIPSO_BIN from a sanitizer build), any report
    # fails the test that ran the server.
    for s in made:
        log = s.log()
        for mark in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            assert mark not in log, f"sanitizer report from calipso serve:\n{log}"


@pytest.fixture
def scanned_db(lab, db_path):
    """A database with the lab scanned once (environment "lab")."""
    calipso("env", "add", lab.env_name, "--config", lab.env_file, db=db_path, json_out=False)
    calipso("scan", db=db_path, env_name=lab.env_name, expect=(0, 4))
    return db_path


@pytest.fixture
def srv(scanned_db, server_factory):
    return server_factory(scanned_db)


@pytest.fixture
def admin(srv):
    return srv.login()


# ---------------------------------------------------------------------------
# Every route, every kind of caller.

# (method, path) -> (query, body) of a request valid for environment "lab"
# that an admin may make; "{vm}" and "{host}" are replaced with lab objects.
def route_requests(lab, password="x"):
    vm = lab.vms[0]["uuid"]
    env = lab.env_name
    return {
        ("POST", "/auth/tokens"): ({}, {"auth": {"methods": ["credentials"], "credentials": {
            "username": "admin", "password": password}}}),
        ("GET", "/inventory"): ({"env_name": env, "id": "host1"}, None),
        ("PATCH", "/inventory"): ({"env_name": env, "id": "host1"},
                                  {"external": {"name": "node-1"}}),
        ("GET", "/links"): ({"env_name": env}, None),
        ("GET", "/cliques"): ({"env_name": env, "id": vm}, None),
        ("GET", "/clique_types"): ({}, None),
        ("POST", "/clique_types"): ({}, {"id": "sv-test-type", "focal_point_type": "host",
                                         "link_types": ["host_pnic-network"]}),
        ("PUT", "/clique_types"): ({}, {"id": "sv-test-type", "focal_point_type": "host",
                                        "link_types": ["host_pnic-network"]}),
        ("DELETE", "/clique_types"): ({"id": "sv-test-type"}, None),
        ("GET", "/clique_constraints"): ({}, None),
        ("GET", "/messages"): ({"env_name": env}, None),
        ("GET", "/scans"): ({"env_name": env}, None),
        ("POST", "/scans"): ({}, {"env_name": env}),
        ("DELETE", "/scans"): ({"env_name": env, "id": "999999"}, None),
        ("GET", "/scheduled_scans"): ({"env_name": env}, None),
        ("POST", "/scheduled_scans"): ({}, {"env_name": env, "freq": "WEEKLY"}),
        ("PUT", "/scheduled_scans"): ({"env_name": env, "id": "999999"},
                                      {"env_name": env, "freq": "DAILY"}),
        ("DELETE", "/scheduled_scans"): ({"env_name": env, "id": "999999"}, None),
        ("GET", "/environment_configs"): ({"name": env}, None),
        ("POST", "/environment_configs"): ({}, {"name": "sv-other", "hosts": [
            {"name": "h9", "netns": "sv-none"}]}),
        ("PUT", "/environment_configs"): ({"name": "sv-other"}, {"name": "sv-other", "hosts": [
            {"name": "h9", "netns": "sv-none2"}]}),
        ("DELETE", "/environment_configs"): ({"name": "sv-gone"}, None),
        ("GET", "/connection_tests"): ({"env_name": env}, None),
        ("POST", "/connection_tests"): ({}, {"env_name": env, "test_targets": ["netns"]}),
        ("GET", "/auth/tokens"): ({}, None),
        ("DELETE", "/auth/tokens"): ({}, None),
        ("GET", "/users"): ({}, None),
        ("POST", "/users"): ({}, {"name": "sv-u", "password": "long-enough-1"}),
        ("PUT", "/users"): ({"name": "sv-u"}, {"roles": []}),
        ("DELETE", "/users"): ({"name": "sv-nobody"}, None),
        ("GET", "/constants"): ({"name": "object_types"}, None),
        ("GET", "/aggregates"): ({"type": "environment", "env_name": env}, None),
        ("GET", "/health"): ({}, None),
        ("GET", "/metrics"): ({}, None),
        ("GET", "/openapi.json"): ({}, None),
        ("GET", "/search"): ({"env_name": env, "text": "vm1"}, None),
        ("GET", "/impact"): ({"env_name": env, "id": "host1:host_pnic:eth0"}, None),
        ("GET", "/snapshots"): ({"env_name": env}, None),
        ("POST", "/snapshots"): ({}, {"env_name": env, "name": "sv-snap"}),
        ("PATCH", "/snapshots"): ({"env_name": env, "name": "sv-snap"}, {"pinned": True}),
        ("DELETE", "/snapshots"): ({"env_name": env, "name": "sv-nosnap"}, None),
        ("GET", "/diff"): ({"env_name": env, "a": "live", "b": "live"}, None),
        ("GET", "/designs"): ({"env_name": env}, None),
        ("POST", "/designs"): ({}, {"env_name": env, "name": "sv-d", "from": "live"}),
        ("DELETE", "/designs"): ({"env_name": env, "name": "sv-nodesign"}, None),
        ("GET", "/reports"): ({"env_name": env}, None),
        ("POST", "/reports"): ({}, {"env_name": env, "kind": "health", "format": "json"}),
        ("DELETE", "/reports"): ({"env_name": env, "id": "999999"}, None),
        ("GET", "/scheduled_snapshots"): ({"env_name": env}, None),
        ("POST", "/scheduled_snapshots"): ({}, {"env_name": env, "freq": "WEEKLY"}),
        ("PUT", "/scheduled_snapshots"): ({"env_name": env, "id": "999999"},
                                          {"env_name": env, "freq": "DAILY"}),
        ("DELETE", "/scheduled_snapshots"): ({"env_name": env, "id": "999999"}, None),
    }

# Routes a user with only view-env/edit-env of another environment must be
# refused (403).  Others are not about an environment (constants, the
# caller's own token, the API document) or list only what the user may see.
ENV_ROUTES = {("GET", "/inventory"), ("PATCH", "/inventory"), ("GET", "/links"),
              ("GET", "/cliques"), ("GET", "/messages"), ("GET", "/scans"), ("POST", "/scans"),
              ("DELETE", "/scans"), ("GET", "/scheduled_scans"), ("POST", "/scheduled_scans"),
              ("PUT", "/scheduled_scans"), ("DELETE", "/scheduled_scans"),
              ("GET", "/environment_configs"), ("GET", "/connection_tests"),
              ("POST", "/connection_tests"), ("GET", "/aggregates"), ("GET", "/search"),
              ("GET", "/impact"), ("GET", "/snapshots"), ("POST", "/snapshots"),
              ("PATCH", "/snapshots"), ("DELETE", "/snapshots"), ("GET", "/diff"),
              ("GET", "/designs"), ("POST", "/designs"), ("DELETE", "/designs"),
              ("GET", "/reports"), ("POST", "/reports"), ("DELETE", "/reports"),
              ("GET", "/scheduled_snapshots"), ("POST", "/scheduled_snapshots"),
              ("PUT", "/scheduled_snapshots"), ("DELETE", "/scheduled_snapshots")}
ADMIN_ROUTES = {("POST", "/clique_types"), ("PUT", "/clique_types"),
                ("DELETE", "/clique_types"), ("POST", "/environment_configs"),
                ("PUT", "/environment_configs"), ("DELETE", "/environment_configs"),
                ("GET", "/users"), ("POST", "/users"), ("PUT", "/users"), ("DELETE", "/users"),
                ("GET", "/metrics")}
EDIT_ROUTES = {("PATCH", "/inventory"), ("POST", "/scans"), ("DELETE", "/scans"),
               ("POST", "/scheduled_scans"), ("PUT", "/scheduled_scans"),
               ("DELETE", "/scheduled_scans"), ("POST", "/connection_tests"),
               ("POST", "/snapshots"), ("PATCH", "/snapshots"), ("DELETE", "/snapshots"),
               ("POST", "/designs"), ("DELETE", "/designs"), ("POST", "/reports"),
               ("DELETE", "/reports"), ("POST", "/scheduled_snapshots"),
               ("PUT", "/scheduled_snapshots"), ("DELETE", "/scheduled_snapshots")}


def served_routes(srv, token):
    doc = srv.get("/openapi.json", token).json
    return {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}


def send(srv, route, reqs, token):
    query, body = reqs[route]
    return srv.request(route[0], route[1], params=query, body=body, token=token)


def test_every_route_refuses_callers_without_the_right_token(lab, srv, admin):
    routes = served_routes(srv, admin)
    reqs = route_requests(lab)
    public = {("POST", "/auth/tokens")}
    assert routes - public <= set(reqs), f"routes without a test request: {routes - set(reqs)}"
    # A revoked token, an expired one, a forged one.
    revoked = srv.login()
    assert srv.request("DELETE", "/auth/tokens", token=revoked).status == 200
    expired = srv.login(expires_in=1)
    wait_for(lambda: srv.get("/health", expired).status == 401, timeout=5,
             what="the 1-second token to expire")
    other = srv.add_user(admin, "sv-other-env", ["edit-env:elsewhere"])
    viewer = srv.add_user(admin, "sv-viewer", ["view-env:" + lab.env_name])
    editor = srv.add_user(admin, "sv-editor", ["edit-env:" + lab.env_name])
    for route in sorted(routes - public):
        if route == ("DELETE", "/auth/tokens"):
            continue  # revokes the caller's token: below
        for token, why in ((None, "no token"), (revoked, "revoked"), (expired, "expired"),
                           ("0" * 64, "unknown"), ("not-a-token", "malformed")):
            r = send(srv, route, reqs, token)
            assert r.status == 401, f"{route} with a {why} token: {r!r}"
            assert is_error(r, 401)
        r = send(srv, route, reqs, other)
        if route in ENV_ROUTES or route in ADMIN_ROUTES:
            assert r.status == 403, f"{route} by another environment's user: {r!r}"
            assert is_error(r, 403)
        else:
            assert r.status == 200, f"{route} by any user: {r!r}"
        r = send(srv, route, reqs, viewer)
        if route in EDIT_ROUTES or route in ADMIN_ROUTES:
            assert r.status == 403, f"{route} by a viewer: {r!r}"
        else:
            assert r.status in (200, 201), f"{route} by a viewer: {r!r}"
        if route in EDIT_ROUTES:
            r = send(srv, route, reqs, editor)
            assert r.status not in (401, 403), f"{route} by an editor: {r!r}"
    # Revoking one's token needs a valid one, whoever one is.
    for token, why in ((None, "no token"), (revoked, "revoked"), (expired, "expired"),
                       ("0" * 64, "unknown")):
        is_error(srv.request("DELETE", "/auth/tokens", token=token), 401)
    for name in ("sv-other-env", "sv-viewer"):
        tok = srv.login(name, "p4ssword-xxxx")
        assert srv.request("DELETE", "/auth/tokens", token=tok).status == 200
        is_error(srv.get("/auth/tokens", tok), 401, "revoked")
    # And the admin gets through everywhere (the token last: DELETE
    # /auth/tokens revokes it).
    for route in sorted(routes - public - {("DELETE", "/auth/tokens")}):
        r = send(srv, route, reqs, admin)
        assert r.status not in (401, 403, 405), f"{route} by the admin: {r!r}"
        assert r.status < 500, f"{route} by the admin: {r!r}"
    # Authorization: Bearer is the same as X-Auth-Token.
    r = srv.request("GET", "/health", headers={"Authorization": "Bearer " + admin})
    assert r.status == 200, r


def test_openapi_lists_exactly_the_served_routes(lab, srv, admin):
    doc = srv.get("/openapi.json", admin).json
    assert doc["openapi"].startswith("3.")
    assert doc["components"]["securitySchemes"]["token"]["name"] == "X-Auth-Token"
    routes = served_routes(srv, admin)
    reqs = route_requests(lab, srv.admin_password)
    for route in routes:
        r = send(srv, route, reqs, admin if route != ("DELETE", "/auth/tokens") else
                 srv.login())
        assert "no such resource" not in r.error and r.status != 405, f"{route}: {r!r}"
    # Methods a documented path does not have: 405 with Allow.
    for path in {p for _, p in routes}:
        documented = {m for m, p in routes if p == path}
        for m in {"GET", "POST", "PUT", "PATCH", "DELETE"} - documented:
            r = srv.request(m, path, token=admin, body={} if m != "GET" else None)
            assert is_error(r, 405), (m, path)
            assert set(r.headers["Allow"].split(", ")) == documented
    # Paths that are not served at all.
    candidates = ["/snapshot", "/inventory/host1", "/users/admin", "/", "/api", "/scan",
                  "/link", "/scheduled_snapshot", "/v1/inventory", "/inventory.json"]
    for path in candidates:
        if any(p == path for _, p in routes):
            continue
        r = srv.get(path, admin)
        assert is_error(r, 404, "no such resource"), path
    # Every documented query parameter is accepted by its route (no 400
    # "unknown query parameter").
    for path, ops in doc["paths"].items():
        for m, op in ops.items():
            for p in op["parameters"]:
                if "{name}" in p["name"]:
                    continue
                r = srv.request(m.upper(), path, params={p["name"]: "x"}, token=admin,
                                body={} if op.get("requestBody") else None)
                assert "unknown query parameter" not in r.error, (m, path, p["name"], r)


# ---------------------------------------------------------------------------
# The original API's parameters and errors.

def test_inventory_parameters(lab, srv, admin):
    env = lab.env_name
    live = calipso("show", db=srv.db, env_name=env).json
    r = srv.get("/inventory", admin, env_name=env, id="host1")
    assert r.status == 200 and r.json["id"] == "host1" and r.json["type"] == "host"
    is_error(srv.get("/inventory", admin, env_name=env, id="no-such-object"), 404,
             "no-such-object")
    is_error(srv.get("/inventory", admin, env_name="sv-nowhere"), 400, "unknown environment")
    is_error(srv.get("/inventory", admin), 400, "'env_name' is required")
    is_error(srv.get("/inventory", admin, env_name=env, colour="red"), 400,
             "unknown query parameter 'colour'")
    is_error(srv.get("/inventory", admin, env_name=env, page="abc"), 400, "integer")
    is_error(srv.get("/inventory", admin, env_name=env, page="-1"), 400, "between")
    is_error(srv.get("/inventory", admin, env_name=env, page_size="0"), 400, "between")
    is_error(srv.get("/inventory", admin, env_name=env, sub_tree="maybe"), 400, "true or false")
    is_error(srv.get("/inventory", admin, env_name=env, type="spaceship"), 400, "one of")
    is_error(srv.get("/inventory", admin, env_name=env, at="next tuesday"), 400, "time")
    is_error(srv.request("GET", "/inventory?env_name=lab&id=%zz", token=admin), 400,
             "malformed query string")
    is_error(srv.request("GET", "/inventory?env_name=lab&env_name=x", token=admin), 400,
             "more than once")
    # All objects, in pages that do not overlap and cover everything.
    all_ids = sorted(o["id"] for o in live)
    seen = []
    for page in range(100):
        r = srv.get("/inventory", admin, env_name=env, page=page, page_size=7)
        assert r.status == 200, r
        if not r.json["objects"]:
            break
        seen += [o["id"] for o in r.json["objects"]]
    assert sorted(seen) == all_ids
    # An empty page is an empty list, not a 404.
    r = srv.get("/inventory", admin, env_name=env, page=1000, page_size=10)
    assert r.status == 200 and r.json == {"objects": []}
    # type, parent_id, parent_path (+ sub_tree), id_path.
    hosts = srv.get("/inventory", admin, env_name=env, type="host").json["objects"]
    assert sorted(o["id"] for o in hosts) == sorted(o["id"] for o in live if o["type"] == "host")
    host1 = next(o for o in live if o["id"] == "host1")
    kids = srv.get("/inventory", admin, env_name=env, parent_id="host1").json["objects"]
    assert sorted(o["id"] for o in kids) == sorted(o["id"] for o in live
                                                   if o.get("parent_id") == "host1")
    children = srv.get("/inventory", admin, env_name=env,
                       parent_path=host1["id_path"]).json["objects"]
    assert sorted(o["id"] for o in children) == sorted(o["id"] for o in kids)
    below = srv.get("/inventory", admin, env_name=env, parent_path=host1["id_path"],
                    sub_tree="true").json["objects"]
    want = sorted(o["id"] for o in live if o["id_path"].startswith(host1["id_path"] + "/"))
    assert sorted(o["id"] for o in below) == want and len(want) > len(children)
    exact = srv.get("/inventory", admin, env_name=env, id_path=host1["id_path"]).json
    assert [o["id"] for o in exact["objects"]] == ["host1"]
    # The name glob, the host.
    vms = srv.get("/inventory", admin, env_name=env, type="instance", name="vm1*").json
    assert {o["name"] for o in vms["objects"]} == {v["name"] for v in lab.vms
                                                    if v["name"].startswith("vm1")}


def test_links_messages_scans_parameters(lab, srv, admin):
    env = lab.env_name
    links = calipso("links", db=srv.db, env_name=env).json
    r = srv.get("/links", admin, env_name=env, page_size=10000)
    assert sorted(l["id"] for l in r.json["links"]) == sorted(l["id"] for l in links)
    one = links[0]
    r = srv.get("/links", admin, env_name=env, id=one["id"])
    assert r.status == 200 and r.json["id"] == one["id"]
    is_error(srv.get("/links", admin, env_name=env, id="a|b|c"), 404, "a|b|c")
    lt = "vnic-vconnector"
    r = srv.get("/links", admin, env_name=env, link_type=lt)
    assert sorted(l["id"] for l in r.json["links"]) == sorted(
        l["id"] for l in links if l["link_type"] == lt)
    is_error(srv.get("/links", admin, env_name=env, link_type="vm-teapot"), 400, "one of")
    net = next(l for l in links if (l.get("attributes") or {}).get("network"))
    netname = net["attributes"]["network"]
    r = srv.get("/links", admin, **{"env_name": env, "attributes:network": netname})
    assert r.json["links"] and all(l["attributes"]["network"] == netname
                                   for l in r.json["links"])
    assert len(r.json["links"]) == sum(1 for l in links
                                       if (l.get("attributes") or {}).get("network") == netname)
    r = srv.get("/links", admin, env_name=env, source_id=one["source_id"])
    assert all(l["source_id"] == one["source_id"] for l in r.json["links"]) and r.json["links"]
    is_error(srv.get("/links", admin, env_name=env, state="sideways"), 400, "one of")
    # Scans: the CLI's scan is there; filters and errors.
    r = srv.get("/scans", admin, env_name=env)
    assert r.status == 200 and r.json["scans"][0]["status"] in ("completed",
                                                                 "completed_with_errors")
    sid = r.json["scans"][0]["id"]
    r = srv.get("/scans", admin, env_name=env, id=sid)
    assert r.json["id"] == sid and r.json["environment"] == env
    is_error(srv.get("/scans", admin, env_name=env, id="999999"), 404)
    is_error(srv.get("/scans", admin, env_name=env, id="x"), 400, "integer")
    is_error(srv.get("/scans", admin, env_name=env, status="sleeping"), 400, "one of")
    assert srv.get("/scans", admin, env_name=env, status="failed").json == {"scans": []}
    # Messages: the API writes some when a scan is queued.
    r = srv.request("POST", "/scans", body={"env_name": env}, token=admin)
    assert r.status == 201
    queued = r.json["id"]
    # The scan writes a message when it starts and one when it ends: read
    # them once it has ended, so that the list no longer grows.
    wait_for(lambda: srv.get("/scans", admin, env_name=env, id=queued).json["status"]
             in ("completed", "completed_with_errors", "failed"), timeout=120,
             what=f"scan {queued} to end")
    msgs = wait_for(lambda: srv.get("/messages", admin, env_name=env).json["messages"],
                    what="messages")
    assert len(msgs) >= 2
    assert all(m["environment"] == env and m["source_system"] == "Calipso" for m in msgs)
    m = msgs[0]
    assert srv.get("/messages", admin, env_name=env, id=m["id"]).json["id"] == m["id"]
    is_error(srv.get("/messages", admin, env_name=env, id="99999999"), 404)
    is_error(srv.get("/messages", admin, env_name=env, level="loud"), 400, "one of")
    r = srv.get("/messages", admin, env_name=env, start_time="2100-01-01T00:00:00Z")
    assert r.json == {"messages": []}
    r = srv.get("/messages", admin, env_name=env, end_time="2100-01-01T00:00:00+02:00")
    assert len(r.json["messages"]) == len(msgs)
    is_error(srv.get("/messages", admin), 400, "'env_name' is required")
    # Constants and aggregates.
    r = srv.get("/constants", admin, name="object_types")
    types = {d["value"] for d in r.json["data"]}
    assert {"host", "vnic", "vconnector", "vedge", "otep", "host_pnic"} <= types
    host = next(d for d in r.json["data"] if d["value"] == "host")
    assert any(a["name"] == "host_type" for a in host["attributes"])
    is_error(srv.get("/constants", admin, name="colours"), 400, "one of")
    counts = calipso("show", db=srv.db, env_name=env).json
    r = srv.get("/aggregates", admin, type="environment", env_name=env)
    assert r.json["aggregates"]["object_types"]["host"] == sum(1 for o in counts
                                                                if o["type"] == "host")
    is_error(srv.get("/aggregates", admin, type="environment"), 400, "env_name")
    is_error(srv.get("/aggregates", admin), 400, "'type' is required")
    r = srv.get("/aggregates", admin, type="message")
    assert r.json["aggregates"]["environments"][env] >= len(msgs)


def test_cliques_and_types(lab, srv, admin):
    env = lab.env_name
    vm = lab.vms[0]
    r = srv.get("/cliques", admin, env_name=env, id=vm["uuid"])
    assert r.status == 200, r
    assert r.json["focal_point"] == vm["uuid"] and r.json["nodes"] and r.json["links"]
    same = srv.get("/cliques", admin, env_name=env, focal_point_object_id=vm["uuid"]).json
    assert same["nodes"] == r.json["nodes"]
    is_error(srv.get("/cliques", admin, env_name=env, id="host1:vnic:nothing"), 404)
    lst = srv.get("/cliques", admin, env_name=env, focal_point_type="instance").json["cliques"]
    assert {c["id"] for c in lst} == {v["uuid"] for v in lab.vms}
    types = srv.get("/clique_types", admin).json["clique_types"]
    assert any(t["focal_point_type"] == "instance" for t in types)
    t0 = types[0]
    assert srv.get("/clique_types", admin, id=t0["id"]).json["id"] == t0["id"]
    is_error(srv.get("/clique_types", admin, id="sv-none"), 404)
    body = {"id": "sv-type", "focal_point_type": "host", "link_types": ["host_pnic-network"]}
    assert srv.request("POST", "/clique_types", body=body, token=admin).status == 201
    is_error(srv.request("POST", "/clique_types", body=body, token=admin), 409)
    is_error(srv.request("POST", "/clique_types", token=admin,
                         body={"id": "sv-type2", "focal_point_type": "host",
                               "link_types": ["host_pnic-network"], "colour": "red"}),
             400, "colour")
    assert srv.request("DELETE", "/clique_types", params={"id": "sv-type"},
                       token=admin).status == 200
    cons = srv.get("/clique_constraints", admin).json["clique_constraints"]
    assert {c["id"] for c in cons} == {t["id"] for t in types}


# ---------------------------------------------------------------------------
# Bad input: clear 4xx, and the server stays up.

def test_bad_input_gets_clear_errors_and_the_server_stays_up(lab, srv, admin):
    env = lab.env_name
    is_error(srv.request("POST", "/scans", raw=b'{"env_name": "lab",', token=admin), 400,
             "malformed JSON")
    is_error(srv.request("POST", "/scans", raw=b'{"env_name":"a","env_name":"b"}', token=admin),
             400, "malformed JSON")
    is_error(srv.request("POST", "/scans", raw=b"[1, 2]", token=admin), 400, "JSON object")
    is_error(srv.request("POST", "/scans", raw=b"", token=admin), 400, "needs a JSON body")
    is_error(srv.request("POST", "/scans", body={"env_name": env, "turbo": True}, token=admin),
             400, "unknown field 'turbo'")
    is_error(srv.request("POST", "/scans", body={"env_name": env, "clear": "yes"}, token=admin),
             400, "'clear'")
    is_error(srv.request("POST", "/scans", body={"env_name": env, "scan_only_links": True,
                                                "scan_only_cliques": True}, token=admin),
             400, "at most one")
    is_error(srv.request("POST", "/scans", body={"env_name": env, "object_id": "nope"},
                         token=admin), 400, "nope")
    is_error(srv.request("POST", "/scans", body={"env_name": "sv-nowhere"}, token=admin), 400,
             "unknown environment")
    for cron, part in (("61 * * * *", "minute"), ("* * *", "3 fields"),
                       ("0 0 30 2 *", "never matches"), ("@sometimes", "shorthand")):
        is_error(srv.request("POST", "/scheduled_scans", body={"env_name": env, "cron": cron},
                             token=admin), 400, part)
    is_error(srv.request("POST", "/scheduled_scans", body={"env_name": env, "cron": "* * * * *",
                                                          "timezone": "Mars/Base"},
                         token=admin), 400, "Mars/Base")
    is_error(srv.request("POST", "/scheduled_scans", body={"env_name": env}, token=admin), 400,
             "either 'freq'")
    is_error(srv.request("POST", "/scheduled_scans", body={"env_name": env, "freq": "SOMETIMES"},
                         token=admin), 400, "one of")
    is_error(srv.request("PATCH", "/inventory", params={"env_name": env, "id": "host1"},
                         body={"external": {"bad key!": 1}}, token=admin), 400, "bad key!")
    is_error(srv.request("PATCH", "/inventory", params={"env_name": env, "id": "host1"},
                         body={"external": {"k": {"nested": 1}}}, token=admin), 400, "'k'")
    is_error(srv.request("GET", "/health", raw=b"{}", token=admin), 400, "takes no body")
    # A body over the limit (1 MiB by default): read, dropped, 413.
    big = b'{"env_name": "' + b"x" * (2 << 20) + b'"}'
    is_error(srv.request("POST", "/scans", raw=big, token=admin), 413, "larger than")
    # One declared far over it: refused before it is read.
    c = srv.conn()
    c.putrequest("POST", "/scans")
    c.putheader("Content-Length", str(500 << 20))
    c.putheader("X-Auth-Token", admin)
    c.endheaders()
    r = c.getresponse()
    assert r.status == 413 and "larger than" in json.loads(r.read())["error"]["message"]
    c.close()
    # A chunked body without a length that does not end: cut off.
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"POST /scans HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n" % 65536 + b"x" * 65536 + b"\r\n"
    sent = 0
    with pytest.raises(OSError):
        while sent < (256 << 20):
            s.sendall(chunk)
            sent += 65536
    assert sent < (64 << 20), sent
    s.close()
    # Garbage instead of HTTP, a half request left hanging.
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"\x00\x01\x02 not http\r\n\r\n")
    s.settimeout(1)
    try:
        s.recv(4096)  # libmicrohttpd may answer 400, or wait for its timeout
    except socket.timeout:
        pass
    s.close()
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
    assert srv.get("/health", admin).status == 200
    s.close()
    assert srv.get("/health", admin).status == 200
    assert srv.proc.poll() is None


# ---------------------------------------------------------------------------
# Users, roles, throttling.

def test_login_throttling(srv, admin):
    r = srv.request("POST", "/users", token=admin,
                    body={"name": "sv-mallory", "password": "right-password", "roles": []})
    assert r.status == 201
    bad = {"auth": {"methods": ["credentials"],
                    "credentials": {"username": "sv-mallory", "password": "wrong-password"}}}
    for _ in range(5):
        is_error(srv.request("POST", "/auth/tokens", body=bad), 401, "authentication failed")
    r = srv.request("POST", "/auth/tokens", body=bad)
    assert is_error(r, 429, "too many failed logins")
    assert int(r.headers["Retry-After"]) > 0
    good = {"auth": {"methods": ["credentials"],
                     "credentials": {"username": "sv-mallory", "password": "right-password"}}}
    is_error(srv.request("POST", "/auth/tokens", body=good), 429)
    # Another user is not locked out; an unknown user gets the same answer
    # as a wrong password.
    assert srv.login() is not None
    r = srv.request("POST", "/auth/tokens", body={"auth": {
        "methods": ["credentials"], "credentials": {"username": "sv-ghost", "password": "x" * 9}}})
    is_error(r, 401, "wrong user name or password")
    is_error(srv.request("POST", "/auth/tokens", body={"auth": {"methods": ["kerberos"]}}), 400,
             "one of")
    is_error(srv.request("POST", "/auth/tokens", body={"auth": {"methods": ["credentials"]}}),
             400, "needs credentials")
    # A token buys a fresh one.
    r = srv.request("POST", "/auth/tokens", body={"auth": {"methods": ["token"], "token": admin}})
    assert r.status == 201 and r.json["token"] != admin and r.json["method"] == "token"


def test_users_and_roles(lab, srv, admin):
    env = lab.env_name
    viewer = srv.add_user(admin, "sv-view", ["view-env:" + env])
    r = srv.get("/auth/tokens", viewer)
    assert r.json["user"] == "sv-view" and r.json["roles"] == ["view-env:" + env]
    assert srv.get("/inventory", viewer, env_name=env, id="host1").status == 200
    is_error(srv.request("POST", "/scans", body={"env_name": env}, token=viewer), 403,
             "edit-env:" + env)
    names = [e["name"] for e in srv.get("/environment_configs", viewer).json[
        "environment_configs"]]
    assert names == [env]
    nobody = srv.add_user(admin, "sv-none", [])
    assert srv.get("/environment_configs", nobody).json == {"environment_configs": []}
    health = srv.get("/health", nobody).json
    assert health["environments"] == {} and health["version"]
    # Roles change at once; a new password revokes the user's tokens.
    r = srv.request("PUT", "/users", params={"name": "sv-view"}, token=admin,
                    body={"roles": ["edit-env:" + env]})
    assert r.status == 200 and r.json["roles"] == ["edit-env:" + env]
    assert srv.request("POST", "/scans", body={"env_name": env}, token=viewer).status == 201
    r = srv.request("PUT", "/users", params={"name": "sv-view"}, token=admin,
                    body={"password": "brand-new-pass"})
    assert r.status == 200
    is_error(srv.get("/health", viewer), 401, "revoked")
    assert srv.login("sv-view", "brand-new-pass")
    users = srv.get("/users", admin).json["users"]
    assert {u["name"] for u in users} >= {"admin", "sv-view", "sv-none"}
    assert all("password" not in json.dumps(u) for u in users)
    is_error(srv.request("POST", "/users", token=admin,
                         body={"name": "sv-view", "password": "another-pass"}), 409)
    is_error(srv.request("POST", "/users", token=admin,
                         body={"name": "bad name", "password": "another-pass"}), 400)
    is_error(srv.request("POST", "/users", token=admin,
                         body={"name": "sv-x", "password": "short"}), 400, "password")
    is_error(srv.request("POST", "/users", token=admin,
                         body={"name": "sv-x", "password": "long-enough", "roles": ["god"]}),
             400, "god")
    is_error(srv.request("DELETE", "/users", params={"name": "admin"}, token=admin), 409)
    assert srv.request("DELETE", "/users", params={"name": "sv-none"}, token=admin).status == 200
    is_error(srv.get("/health", nobody), 401)
    is_error(srv.request("DELETE", "/users", params={"name": "sv-none"}, token=admin), 404)


def test_cli_users(db_path, server_factory):
    # Scripted install: users before the first serve; no admin is made.
    calipso("user", "add", "ops", "--role", "admin", db=db_path, json_out=False,
            input="ops-password-1\n")
    r = calipso("user", "add", "ops", "--role", "admin", db=db_path, json_out=False,
                input="ops-password-1\n", expect=2)
    assert "exists" in r.stderr
    calipso("user", "add", "view1", "--role", "view-env:lab", db=db_path, json_out=False,
            input="view-password\n")
    calipso("user", "add", "x", "--role", "root", db=db_path, json_out=False, input="pw\n",
            expect=2)
    calipso("user", "add", "y", "--password", "secret-on-argv", db=db_path, json_out=False,
            expect=2)
    users = calipso("user", "list", db=db_path).json
    assert [u["name"] for u in users] == ["ops", "view1"]
    assert users[1]["roles"] == ["view-env:lab"]
    srv = server_factory(db_path)
    assert srv.admin_password is None
    tok = srv.login("ops", "ops-password-1")
    calipso("user", "passwd", "ops", db=db_path, json_out=False, input="ops-password-2\n")
    is_error(srv.get("/health", tok), 401, "revoked")
    tok = srv.login("ops", "ops-password-2")
    calipso("user", "roles", "view1", "edit-env:lab", db=db_path, json_out=False)
    assert srv.get("/users", tok, name="view1").json["roles"] == ["edit-env:lab"]
    calipso("user", "rm", "view1", db=db_path, json_out=False)
    calipso("user", "rm", "view1", db=db_path, json_out=False, expect=3)
    # The access log has users, never a token or a password.
    srv.stop()
    with open(srv.access_log) as f:
        lines = [json.loads(line) for line in f]
    assert lines and all({"time", "method", "path", "status", "duration_ms"} <= set(l)
                         for l in lines)
    assert any(l["user"] == "ops" and l["path"] == "/users" for l in lines if "user" in l)
    text = json.dumps(lines)
    assert tok not in text and "ops-password" not in text


def test_first_admin_is_created_once(db_path, server_factory):
    srv = server_factory(db_path)
    assert srv.admin_password and len(srv.admin_password) >= 20
    tok = srv.login()
    assert srv.get("/auth/tokens", tok).json["admin"] is True
    srv.stop()
    again = server_factory(db_path)
    assert again.admin_password is None
    assert again.login("admin", srv.admin_password)


# ---------------------------------------------------------------------------
# External attributes, connection tests, environments.

def test_patch_external_attributes_survive_a_rescan(lab, srv, admin):
    env = lab.env_name
    vm = lab.vms[0]["uuid"]
    # Read first (the answer is cached), then changed: the next read is new.
    assert "external" not in srv.get("/inventory", admin, env_name=env, id=vm).json
    r = srv.request("PATCH", "/inventory", params={"env_name": env, "id": vm}, token=admin,
                    body={"external": {"name": "web-frontend-1", "ticket": "CHG-42"}})
    assert r.status == 200, r
    assert srv.get("/inventory", admin, env_name=env, id=vm).json["external"] == r.json[
        "external"]
    assert r.json["external"] == {"name": "web-frontend-1", "ticket": "CHG-42"}
    is_error(srv.request("PATCH", "/inventory", params={"env_name": env, "id": "nope"},
                         token=admin, body={"external": {"a": 1}}), 404, "nope")
    history = calipso("history", vm, db=srv.db, env_name=env).json
    assert len(history) >= 2 and history[-1]["doc"]["external"]["name"] == "web-frontend-1"
    # A scan through the API rebuilds the object from the sources and keeps them.
    sid = srv.request("POST", "/scans", body={"env_name": env}, token=admin).json["id"]
    wait_for(lambda: srv.get("/scans", admin, env_name=env, id=sid).json["status"] in (
        "completed", "completed_with_errors"), timeout=60, what="the scan")
    obj = srv.get("/inventory", admin, env_name=env, id=vm).json
    assert obj["external"] == {"name": "web-frontend-1", "ticket": "CHG-42"}
    # And a CLI scan too.
    calipso("scan", db=srv.db, env_name=env, expect=(0, 4))
    obj = srv.get("/inventory", admin, env_name=env, id=vm).json
    assert obj["external"]["ticket"] == "CHG-42"
    r = srv.request("PATCH", "/inventory", params={"env_name": env, "id": vm}, token=admin,
                    body={"external": {"ticket": None}})
    assert r.json["external"] == {"name": "web-frontend-1"}


def test_connection_tests(lab, srv, admin, tmp_path):
    env = lab.env_name
    r = srv.request("POST", "/connection_tests", body={"env_name": env}, token=admin)
    assert r.status == 201, r
    res = r.json["result"]
    assert res["passed"] is True, res
    got = {(x["host"], x["target"]) for x in res["results"]}
    for h in lab.hosts:
        assert (h["name"], "netns") in got and (h["name"], "ovsdb") in got
    assert all(x["status"] == "ok" for x in res["results"] if x["target"] == "ovsdb")
    assert srv.get("/connection_tests", admin, env_name=env, id=r.json["id"]).json["result"] == res
    # An environment whose targets are gone: each failure is said.
    cfg = {"name": "sv-broken", "hosts": [
        {"name": "h1", "netns": "sv-no-such-ns", "ovsdb": f"unix:{tmp_path}/none.sock",
         "libvirt": f"test://{tmp_path}/none.xml"}]}
    assert srv.request("POST", "/environment_configs", body=cfg, token=admin).status == 201
    is_error(srv.request("POST", "/environment_configs", body=cfg, token=admin), 409)
    bad = cfg | {"hosts": [{"name": "h1", "colour": "red"}]}
    is_error(srv.request("PUT", "/environment_configs", params={"name": "sv-broken"},
                         body=bad, token=admin), 400, "colour")
    r = srv.request("POST", "/connection_tests", body={"env_name": "sv-broken"}, token=admin)
    res = r.json["result"]
    assert res["passed"] is False
    by = {x["target"]: x for x in res["results"]}
    assert by["netns"]["status"] == "failed" and "sv-no-such-ns" in by["netns"]["detail"]
    assert by["ovsdb"]["status"] == "failed" and "none.sock" in by["ovsdb"]["detail"]
    assert by["libvirt"]["status"] == "failed"
    r = srv.request("POST", "/connection_tests", body={"env_name": "sv-broken",
                                                      "test_targets": ["netns"]}, token=admin)
    assert [x["target"] for x in r.json["result"]["results"]] == ["netns"]
    is_error(srv.request("POST", "/connection_tests", body={"env_name": env,
                                                           "test_targets": ["AMQP"]},
                         token=admin), 400, "AMQP")
    assert srv.request("DELETE", "/environment_configs", params={"name": "sv-broken"},
                       token=admin).status == 200
    is_error(srv.get("/environment_configs", admin, name="sv-broken"), 404)


# ---------------------------------------------------------------------------
# Health, metrics, TLS, the UI's files, shutdown.

def test_health_and_metrics(lab, srv, admin):
    env = lab.env_name
    h = srv.get("/health", admin).json
    assert h["status"] == "ok" and re.match(r"\d+\.\d+\.\d+", h["version"])
    last = h["environments"][env]
    assert last["last_scan"]["status"] in ("completed", "completed_with_errors")
    assert {(s["host"], s["source"]) for s in last["sources"]} >= {
        (x["name"], "netlink") for x in lab.hosts}
    sid = srv.request("POST", "/scans", body={"env_name": env}, token=admin).json["id"]
    wait_for(lambda: srv.get("/scans", admin, env_name=env, id=sid).json["status"] != "pending"
             and srv.get("/scans", admin, env_name=env, id=sid).json["status"] != "running",
             timeout=60, what="the scan")
    for _ in range(3):
        srv.get("/inventory", admin, env_name=env, id="host1")
    text = srv.get("/metrics", admin).body
    m = re.search(r'calipso_http_requests_total\{route="/inventory",method="GET",code="2xx"\} '
                  r'(\d+)', text)
    assert m and int(m.group(1)) >= 3, text
    assert re.search(r'calipso_http_request_duration_seconds_bucket\{route="/inventory",'
                     r'method="GET",le="\+Inf"\} \d+', text)
    assert re.search(r'calipso_scan_duration_seconds_count\{environment="%s"\} 1' % env, text)
    assert re.search(r'calipso_scans_total\{environment="%s",status="complete' % env, text)
    counts = {}
    for o in calipso("show", db=srv.db, env_name=env).json:
        counts[o["type"]] = counts.get(o["type"], 0) + 1
    for t, n in counts.items():
        assert f'calipso_inventory_objects{{environment="{env}",type="{t}"}} {n}' in text
    assert "calipso_scans_pending 0" in text
    # The second and third reads of host1 came from the cache.
    hits = int(re.search(r"^calipso_cache_hits_total (\d+)$", text, re.M).group(1))
    assert hits >= 2, text


def test_tls(db_path, server_factory, tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    srv = server_factory(db_path, args=["--tls-cert", str(cert), "--tls-key", str(key)],
                         tls=True)
    tok = srv.login()
    assert srv.get("/health", tok).status == 200
    # Plain HTTP on the TLS port gets no HTTP answer.
    plain = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    try:
        plain.request("GET", "/health", headers={"X-Auth-Token": tok})
        status = plain.getresponse().status
    except (OSError, http.client.HTTPException):
        status = None
    finally:
        plain.close()
    assert status is None


def test_static_ui_files(db_path, server_factory, tmp_path):
    ui = tmp_path / "dist"
    (ui / "assets").mkdir(parents=True)
    (ui / "index.html").write_text("<!doctype html><title>Calipso</title>")
    (ui / "assets" / "app.js").write_text("console.log('hi')")
    (ui / "assets" / "style.css").write_text("body{}")
    (ui / ".secret").write_text("no")
    (tmp_path / "outside.txt").write_text("no")
    os.symlink(tmp_path / "outside.txt", ui / "escape.txt")
    srv = server_factory(db_path, args=["--ui-dir", str(ui)])
    for path, ctype, body in (("/", "text/html", "<!doctype html>"),
                              ("/index.html", "text/html", "<!doctype html>"),
                              ("/assets/app.js", "text/javascript", "console.log"),
                              ("/assets/style.css", "text/css", "body{}")):
        r = srv.request("GET", path)
        assert r.status == 200 and r.headers["Content-Type"].startswith(ctype), (path, r)
        assert r.body.startswith(body)
    assert srv.request("HEAD", "/assets/app.js").status == 200
    for path in ("/.secret", "/assets/../../outside.txt", "/escape.txt", "/missing.js",
                 "/assets/", "/%2e%2e/outside.txt"):
        r = srv.request("GET", path)
        assert r.status == 404, (path, r)
    # The API is still the API, and still needs a token.
    is_error(srv.request("GET", "/inventory", params={"env_name": "x"}), 401)


def accepted_connections(srv):
    """Connections the server process has accepted (ss shows the owner of
    accepted sockets only)."""
    out = subprocess.run(["ss", "-tnpH", "state", "established", "sport", "=",
                          f":{srv.port}"], capture_output=True, text=True).stdout
    return sum(1 for line in out.splitlines() if f"pid={srv.proc.pid}," in line)


def test_graceful_shutdown_finishes_requests(db_path, server_factory):
    if not shutil.which("ss"):
        pytest.skip("ss (iproute2) is not installed")
    srv = server_factory(db_path)
    body = json.dumps({"auth": {"methods": ["credentials"], "credentials": {
        "username": "admin", "password": srv.admin_password}}}).encode()
    req = (b"POST /auth/tokens HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
           b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
    socks = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(3)]
    for s in socks:
        s.sendall(req)
    # Logins hash a password (Argon2id): they are still running when the
    # signal comes, once the server has accepted the connections.
    wait_for(lambda: accepted_connections(srv) == 3, timeout=5, what="3 accepted connections")
    srv.proc.send_signal(signal.SIGTERM)
    for s in socks:
        s.settimeout(30)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        assert data.startswith(b"HTTP/1.1 201"), data[:200]
    assert srv.proc.wait(30) == 0
    # Once it has stopped, nothing listens.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()


@pytest.mark.skipif(not os.environ.get("CALIPSO_TEST_PG_URI"),
                    reason="CALIPSO_TEST_PG_URI is not set (scripts/pg-test-server.sh)")
def test_postgresql_store(lab, server_factory):
    base = os.environ["CALIPSO_TEST_PG_URI"]
    schema = f"sv_api_{os.getpid()}"
    subprocess.run(["psql", base, "-q", "-c", f"DROP SCHEMA IF EXISTS {schema} CASCADE; "
                    f"CREATE SCHEMA {schema};"], check=True, capture_output=True)
    uri = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    try:
        calipso("env", "add", lab.env_name, "--config", lab.env_file, db=uri, json_out=False)
        srv = server_factory(uri)
        tok = srv.login()
        sid = srv.request("POST", "/scans", body={"env_name": lab.env_name}, token=tok).json["id"]
        wait_for(lambda: srv.get("/scans", tok, env_name=lab.env_name, id=sid).json["status"]
                 in ("completed", "completed_with_errors"), timeout=60, what="the scan")
        r = srv.get("/inventory", tok, env_name=lab.env_name, type="instance")
        assert {o["id"] for o in r.json["objects"]} == {v["uuid"] for v in lab.vms}
        srv.stop()
    finally:
        subprocess.run(["psql", base, "-q", "-c", f"DROP SCHEMA IF EXISTS {schema} CASCADE;"],
                       capture_output=True)
