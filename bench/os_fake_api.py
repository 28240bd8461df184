#!/usr/bin/python3
"""os_fake_api.py - a simulated OpenStack cloud on 127.0.0.1 for the
OpenStack discovery benchmark (bench/openstack_bench.py).

Shapes are the responses recorded from the lab cloud (tests/data/openstack/);
volume is generated: by default 1,000 hypervisors, 20,000 servers, 60,000
ports, 2,000 networks and subnets, 500 routers, 2,200 agents, 200 projects.
Keystone issues tokens with a catalog pointing here; Nova and Neutron answer
their list calls with limit/marker pagination and `*_links` next links, as
the real services do.  Any other request is a 404, and every request is
counted (GET /_stats), so that a client making one request per object shows.

    os_fake_api.py [--port 0] [--servers N --ports N --hypervisors N]
prints "PORT <n>" on stdout once listening.
"""
import argparse
import copy
import http.server
import json
import os
import socketserver
import sys
import threading
import uuid
from urllib.parse import parse_qs, urlparse

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                    "openstack")


def first(name, key):
    with open(os.path.join(DATA, name)) as f:
        return json.load(f)[key][0]


def uid(kind, i):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"calipso-bench/{kind}/{i}"))


class Cloud:
    def __init__(self, a):
        self.lists = {}
        self.stats = {"requests": 0, "tokens": 0, "not_found": 0}
        self.lock = threading.Lock()
        proj = [uid("project", i) for i in range(a.projects)]
        hosts = [f"cmp{i:04d}" for i in range(a.hypervisors)]
        net_t, sub_t, port_t = first("networks_p0.json", "networks"), \
            first("subnets_p0.json", "subnets"), first("ports_p0.json", "ports")
        srv_t, hyp_t = first("servers_p0.json", "servers"), \
            first("hypervisors_p0.json", "hypervisors")
        agent_t, router_t = first("agents_p0.json", "agents"), first("routers_p0.json", "routers")
        nets, subs, ports, servers, hyps, agents, routers = [], [], [], [], [], [], []
        for i in range(a.networks):
            n = copy.deepcopy(net_t)
            n.update(id=uid("net", i), name=f"net{i}", tenant_id=proj[i % len(proj)],
                     project_id=proj[i % len(proj)], subnets=[uid("sub", i)])
            n["provider:network_type"] = "vxlan"
            n["provider:segmentation_id"] = 1000 + i
            n["provider:physical_network"] = None
            nets.append(n)
            s = copy.deepcopy(sub_t)
            s.update(id=uid("sub", i), name=f"sub{i}", network_id=n["id"],
                     cidr=f"10.{i // 256}.{i % 256}.0/24", tenant_id=n["tenant_id"],
                     project_id=n["tenant_id"])
            subs.append(s)
        for i in range(a.hypervisors):
            h = copy.deepcopy(hyp_t)
            h.update(id=uid("hyp", i), hypervisor_hostname=hosts[i], host_ip=f"192.0.{i // 250}.{i % 250}")
            h["service"] = {"host": hosts[i], "id": uid("svc", i), "disabled_reason": None}
            hyps.append(h)
            ag = copy.deepcopy(agent_t)
            ag.update(id=uid("agent", i), host=hosts[i], agent_type="Open vSwitch agent",
                      binary="neutron-openvswitch-agent")
            agents.append(ag)
        for i in range(a.servers):
            s = copy.deepcopy(srv_t)
            net = nets[i % len(nets)]
            s.update(id=uid("server", i), name=f"vm{i}", tenant_id=net["tenant_id"])
            s["OS-EXT-SRV-ATTR:host"] = hosts[i % len(hosts)]
            s["OS-EXT-SRV-ATTR:hypervisor_hostname"] = hosts[i % len(hosts)]
            s["addresses"] = {net["name"]: [{"addr": f"10.0.{i // 250 % 250}.{i % 250}",
                                             "version": 4, "OS-EXT-IPS:type": "fixed"}]}
            servers.append(s)
        for i in range(a.ports):
            p = copy.deepcopy(port_t)
            net = nets[i % len(nets)]
            p.update(id=uid("port", i), network_id=net["id"], tenant_id=net["tenant_id"],
                     project_id=net["tenant_id"], mac_address="fa:16:3e:%02x:%02x:%02x" % (
                         i >> 16 & 255, i >> 8 & 255, i & 255), status="ACTIVE",
                     fixed_ips=[{"subnet_id": uid("sub", i % len(nets)),
                                 "ip_address": f"10.1.{i // 250 % 250}.{i % 250}"}])
            if i < a.servers:
                p.update(device_id=servers[i]["id"], device_owner="compute:nova")
                p["binding:host_id"] = servers[i]["OS-EXT-SRV-ATTR:host"]
            elif i < a.servers + len(nets):
                p.update(device_id=uid("dhcp", i), device_owner="network:dhcp")
                p["binding:host_id"] = hosts[i % 3]
            else:
                p.update(device_id="", device_owner="")
                p["binding:host_id"] = ""
            ports.append(p)
        for i in range(a.routers):
            r = copy.deepcopy(router_t)
            r.update(id=uid("router", i), name=f"router{i}", tenant_id=proj[i % len(proj)],
                     project_id=proj[i % len(proj)])
            routers.append(r)
        for i, kind in enumerate(("DHCP agent", "L3 agent")):
            for k in range(100):
                ag = copy.deepcopy(agent_t)
                ag.update(id=uid(kind, k), host=hosts[k], agent_type=kind,
                          binary="neutron-" + kind.split()[0].lower() + "-agent")
                agents.append(ag)
        with open(os.path.join(DATA, "projects.json")) as f:
            pt = json.load(f)["projects"][0]
        projects = [dict(pt, id=p, name=f"project{i}") for i, p in enumerate(proj)]
        with open(os.path.join(DATA, "services.json")) as f:
            svc_t = json.load(f)["services"][0]
        services = [dict(svc_t, id=uid("svc", i), host=h, binary="nova-compute", zone="nova")
                    for i, h in enumerate(hosts)]
        azs = [{"zoneName": "nova", "zoneState": {"available": True},
                "hosts": {h: {"nova-compute": {"available": True, "active": True}}
                          for h in hosts}}]
        with open(os.path.join(DATA, "flavors_p0.json")) as f:
            flavors = json.load(f)["flavors"]
        for name, key, items in (
                ("identity/v3/projects", "projects", projects),
                ("identity/v3/regions", "regions", [{"id": "RegionOne", "description": "",
                                                     "parent_region_id": None}]),
                ("compute/v2.1/servers/detail", "servers", servers),
                ("compute/v2.1/os-hypervisors/detail", "hypervisors", hyps),
                ("compute/v2.1/os-services", "services", services),
                ("compute/v2.1/os-availability-zone/detail", "availabilityZoneInfo", azs),
                ("compute/v2.1/os-aggregates", "aggregates", []),
                ("compute/v2.1/flavors/detail", "flavors", flavors),
                ("network/v2.0/networks", "networks", nets),
                ("network/v2.0/subnets", "subnets", subs),
                ("network/v2.0/ports", "ports", ports),
                ("network/v2.0/routers", "routers", routers),
                ("network/v2.0/floatingips", "floatingips", []),
                ("network/v2.0/agents", "agents", agents),
                ("network/v2.0/segments", "segments", [])):
            # Serialised once: a page is a join of slices.
            enc = [json.dumps(x, separators=(",", ":")) for x in items]
            self.lists[name] = {"key": key, "enc": enc,
                                "index": {x["id"]: i for i, x in enumerate(items) if "id" in x}}
        with open(os.path.join(DATA, "token.json")) as f:
            self.token = json.load(f)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body, headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        cloud = self.server.cloud
        n = int(self.headers.get("Content-Length", 0))
        self.rfile.read(n)
        with cloud.lock:
            cloud.stats["requests"] += 1
            cloud.stats["tokens"] += 1
        if self.path != "/identity/v3/auth/tokens":
            return self.reply(404, '{"error": {"message": "not found"}}')
        t = copy.deepcopy(cloud.token)
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        for svc in t["token"]["catalog"]:
            for ep in svc["endpoints"]:
                ep["url"] = f"{base}/{svc['type']}" + {"compute": "/v2.1",
                                                       "identity": "/v3"}.get(svc["type"], "")
        t["token"]["expires_at"] = "2099-01-01T00:00:00.000000Z"
        self.reply(201, json.dumps(t), [("X-Subject-Token", "bench-token")])

    def do_GET(self):
        cloud = self.server.cloud
        u = urlparse(self.path)
        with cloud.lock:
            cloud.stats["requests"] += 1
        if u.path == "/_stats":
            return self.reply(200, json.dumps(cloud.stats))
        if self.headers.get("X-Auth-Token") != "bench-token":
            return self.reply(401, '{"error": {"code": 401, "message": "no token"}}')
        lst = cloud.lists.get(u.path.lstrip("/"))
        if not lst:
            with cloud.lock:
                cloud.stats["not_found"] += 1
            return self.reply(404, '{"itemNotFound": {"message": "not a list call"}}')
        q = parse_qs(u.query)
        enc = lst["enc"]
        start = 0
        if "marker" in q:
            start = lst["index"][q["marker"][0]] + 1
        limit = int(q["limit"][0]) if "limit" in q else len(enc)
        end = min(len(enc), start + limit)
        body = '{"%s":[%s]' % (lst["key"], ",".join(enc[start:end]))
        if "limit" in q and end < len(enc):
            marker = json.loads(enc[end - 1])["id"]
            body += ',"%s_links":[{"rel":"next","href":"http://127.0.0.1/%s?limit=%d&marker=%s"}]' \
                % (lst["key"], u.path.lstrip("/"), limit, marker)
        self.reply(200, body + "}")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--servers", type=int, default=20000)
    ap.add_argument("--ports", type=int, default=60000)
    ap.add_argument("--hypervisors", type=int, default=1000)
    ap.add_argument("--networks", type=int, default=2000)
    ap.add_argument("--routers", type=int, default=500)
    ap.add_argument("--projects", type=int, default=200)
    a = ap.parse_args()
    srv = Server(("127.0.0.1", a.port), Handler)
    srv.cloud = Cloud(a)
    print(f"PORT {srv.server_address[1]}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
