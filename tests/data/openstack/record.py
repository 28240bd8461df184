#!/usr/bin/python3
"""record.py CLOUDS_YAML CLOUD [OUTDIR] - records real Keystone, Nova and
Neutron responses from the lab cloud (lab/openstack/oslab.py) for the unit
tests of the OpenStack client (tests/unit/test_openstack.c).

Each response is stored as OUTDIR/<name>.json (the body as the service sent
it) and indexed in OUTDIR/index.json with its method, path, status and, for
the token, the X-Subject-Token header replaced by a fixed value.  Bodies are
kept as they are, except that the token id and the admin password never
appear (the password is only in the request, which is not stored).
Pages are recorded with small limits so that pagination (`*_links` with a
`marker`) is in the data.
"""
import json
import os
import sys
import urllib.error
import urllib.request

import yaml


def main():
    path, cloud = sys.argv[1], sys.argv[2]
    out = sys.argv[3] if len(sys.argv) > 3 else os.path.dirname(os.path.abspath(__file__))
    c = yaml.safe_load(open(path))["clouds"][cloud]
    a = c["auth"]
    index = []

    def save(name, method, url, status, body, headers=None):
        with open(os.path.join(out, name + ".json"), "wb") as f:
            f.write(body)
        index.append({"name": name, "method": method, "path": url.split("//", 1)[1]
                      .split("/", 1)[1], "status": status, "headers": headers or {}})

    def call(method, url, body=None, token=None, extra=None):
        req = urllib.request.Request(url, data=body, method=method)
        req.add_header("Accept", "application/json")
        if body:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("X-Auth-Token", token)
        for k, v in (extra or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers

    auth = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": a["username"], "domain": {"name": a["user_domain_name"]},
        "password": a["password"]}}}, "scope": {"project": {
            "name": a["project_name"], "domain": {"name": a["project_domain_name"]}}}}}
    ks = a["auth_url"].rstrip("/")
    st, body, hdr = call("POST", ks + "/auth/tokens", json.dumps(auth).encode())
    token = hdr["X-Subject-Token"]
    save("token", "POST", ks + "/auth/tokens", st, body,
         {"X-Subject-Token": "gAAAA-recorded-token"})
    bad = json.loads(json.dumps(auth))
    bad["auth"]["identity"]["password"]["user"]["password"] = "wrong"
    st, body, _ = call("POST", ks + "/auth/tokens", json.dumps(bad).encode())
    save("token_401", "POST", ks + "/auth/tokens", st, body)
    cat = {s["type"]: next(e["url"] for e in s["endpoints"] if e["interface"] == "public")
           for s in json.loads(open(os.path.join(out, "token.json")).read())["token"]["catalog"]}
    nova, neutron = cat["compute"].rstrip("/"), cat["network"].rstrip("/")
    mv = {"OpenStack-API-Version": "compute 2.60", "X-OpenStack-Nova-API-Version": "2.60"}

    def pages(name, base, path, key, limit, extra=None):
        url = f"{base}{path}{'&' if '?' in path else '?'}limit={limit}"
        n = 0
        while True:
            st, body, _ = call("GET", url, token=token, extra=extra)
            save(f"{name}_p{n}", "GET", url, st, body)
            doc = json.loads(body)
            nxt = [l["href"] for l in doc.get(key + "_links", []) if l["rel"] == "next"]
            if not nxt or n > 20:
                break
            marker = nxt[0].split("marker=")[1].split("&")[0]
            url = f"{base}{path}{'&' if '?' in path else '?'}limit={limit}&marker={marker}"
            n += 1

    for name, path, key in (("regions", "/regions", "regions"),
                            ("projects", "/projects", "projects")):
        st, body, _ = call("GET", ks + path, token=token)
        save(name, "GET", ks + path, st, body)
    pages("servers", nova, "/servers/detail?all_tenants=1", "servers", 2, mv)
    pages("hypervisors", nova, "/os-hypervisors/detail", "hypervisors", 1, mv)
    pages("flavors", nova, "/flavors/detail?is_public=None", "flavors", 1000, mv)
    for name, path in (("services", "/os-services"),
                       ("availability_zones", "/os-availability-zone/detail"),
                       ("aggregates", "/os-aggregates")):
        st, body, _ = call("GET", nova + path, token=token, extra=mv)
        save(name, "GET", nova + path, st, body)
    for key, limit in (("networks", 2), ("subnets", 1000), ("ports", 3), ("routers", 1000),
                       ("floatingips", 1000), ("agents", 1000), ("segments", 1000)):
        pages(key, neutron, f"/v2.0/{key}", key, limit)
    st, body, _ = call("GET", nova + "/servers/00000000-0000-0000-0000-000000000000",
                       token=token, extra=mv)
    save("nova_404", "GET", nova + "/servers/00000000-0000-0000-0000-000000000000", st, body)
    st, body, _ = call("GET", neutron + "/v2.0/networks/00000000-0000-0000-0000-000000000000",
                       token=token)
    save("neutron_404", "GET", neutron + "/v2.0/networks/0000", st, body)
    st, body, _ = call("GET", nova + "/servers/detail", token="expired-or-revoked", extra=mv)
    save("nova_401", "GET", nova + "/servers/detail", st, body)
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
    # The token id must not be in what we keep.
    for e in index:
        data = open(os.path.join(out, e["name"] + ".json"), "rb").read()
        assert token.encode() not in data, e["name"]
        assert a["password"].encode() not in data, e["name"]
    print(f"{len(index)} responses recorded in {out}")


if __name__ == "__main__":
    main()
