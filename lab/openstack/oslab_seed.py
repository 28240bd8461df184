#!/usr/bin/python3
"""oslab_seed.py STEP DIR [ARG] - the parts of oslab.py that talk to the
OpenStack APIs, through one openstacksdk process per step (each `openstack`
CLI call costs seconds of start-up).  Credentials come from OS_* variables
that oslab.py sets; openstacksdk is told not to read the environment itself
so that the project asked for is the project used.

  identity   service project, service users, catalog endpoints
  ready      wait for the agents, compute services and hypervisors of ARG
             (a JSON list of host names)
  resources  projects, an availability zone, an aggregate, a flavor, an
             image, networks, subnets, a router, ports and servers pinned to
             hosts; ids recorded in DIR/state.json
  active     wait for every server port and the DHCP and router ports to be
             ACTIVE
"""
import json
import os
import sys
import time

import openstack

P = None


def conn(project="admin"):
    e = os.environ
    return openstack.connect(
        auth_url=e["OS_AUTH_URL"], username=e["OS_USERNAME"], password=e["OS_PASSWORD"],
        project_name=project, user_domain_name="Default", project_domain_name="Default",
        region_name="RegionOne", interface="public", identity_api_version="3",
        load_envvars=False, load_yaml_config=False)


def wait(cond, timeout, what):
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            v = cond()
            if v:
                return v
        except Exception as ex:  # not ready yet
            last = ex
        time.sleep(1)
    raise SystemExit(f"oslab_seed: timed out waiting for {what} (last: {last})")


def state_load(d):
    with open(f"{d}/state.json") as f:
        return json.load(f)


def state_save(d, st):
    with open(f"{d}/state.json.tmp", "w") as f:
        json.dump(st, f, indent=1)
    os.replace(f"{d}/state.json.tmp", f"{d}/state.json")


def identity(d):
    c = conn()
    ports = {"placement": 18778, "image": 19292, "network": 19696, "compute": 18774}
    names = {"placement": "placement", "image": "glance", "network": "neutron",
             "compute": "nova"}
    svc_project = c.identity.find_project("service") or c.identity.create_project(
        name="service", domain_id="default", description="services")
    admin_role = c.identity.find_role("admin")
    for stype, port in ports.items():
        user = c.identity.find_user(names[stype]) or c.identity.create_user(
            name=names[stype], password=os.environ["OS_PASSWORD"], domain_id="default")
        c.identity.assign_project_role_to_user(svc_project, user, admin_role)
        svc = next((s for s in c.identity.services() if s.type == stype), None) or \
            c.identity.create_service(name=names[stype], type=stype)
        have = {e.interface for e in c.identity.endpoints(service_id=svc.id)}
        url = f"http://127.0.0.1:{port}" + ("/v2.1" if stype == "compute" else "")
        for iface in ("public", "internal", "admin"):
            if iface not in have:
                c.identity.create_endpoint(service_id=svc.id, interface=iface, url=url,
                                           region_id="RegionOne")


def ready(d, hosts):
    c = conn()

    def agents_ok():
        al = list(c.network.agents())
        want = {(h, "Open vSwitch agent") for h in hosts}
        want |= {(hosts[0], "DHCP agent"), (hosts[0], "L3 agent")}
        have = {(a.host, a.agent_type) for a in al if a.is_alive}
        return want <= have
    wait(agents_ok, 300, f"Neutron agents of {hosts}")

    def computes_ok():
        sv = [s for s in c.compute.services() if s.binary == "nova-compute"]
        return {s.host for s in sv if s.state == "up"} >= set(hosts)
    wait(computes_ok, 300, f"nova-compute on {hosts}")


def resources(d, hosts):
    st = state_load(d)
    c = conn()
    admin_role = c.identity.find_role("admin")
    admin_user = c.identity.find_user("admin")
    projects = {}
    for name in ("demo1", "demo2"):
        p = c.identity.find_project(name) or c.identity.create_project(
            name=name, domain_id="default", description=f"tenant {name}")
        c.identity.assign_project_role_to_user(p, admin_user, admin_role)
        projects[name] = p.id
    # Hypervisors must be known to the API (cell host mapping) first.
    wait(lambda: {h.name for h in c.compute.hypervisors()} >= {h["name"] for h in hosts},
         300, "hypervisors")
    h1, h2 = hosts[0]["name"], hosts[1]["name"]
    az2 = hosts[1]["az"]
    agg = c.compute.find_aggregate(f"{az2}-agg") or c.compute.create_aggregate(
        name=f"{az2}-agg", availability_zone=az2)
    if h2 not in (agg.hosts or []):
        c.compute.add_host_to_aggregate(agg, h2)
    c.compute.set_aggregate_metadata(agg, {"purpose": "calipso-tests"})
    flavor = c.compute.find_flavor("os.tiny") or c.compute.create_flavor(
        name="os.tiny", vcpus=1, ram=64, disk=1)
    image = c.image.find_image("os-tiny")
    if not image:
        image = c.image.create_image(name="os-tiny", disk_format="raw", container_format="bare",
                                     data=b"\0" * 1024, visibility="public")
    ext = c.network.find_network("ext-net") or c.network.create_network(
        name="ext-net", is_router_external=True, provider_network_type="flat",
        provider_physical_network="physnet1")
    if not c.network.find_subnet("ext-sub"):
        c.network.create_subnet(name="ext-sub", network_id=ext.id, ip_version=4,
                                cidr="172.31.253.0/24", gateway_ip="172.31.253.1",
                                is_dhcp_enabled=False)
    nets = {}
    for name, proj, cidr in (("net1", "demo1", "10.11.0.0/24"), ("net2", "demo2", "10.12.0.0/24")):
        cp = conn(proj)
        n = cp.network.find_network(name) or cp.network.create_network(name=name)
        s = cp.network.find_subnet(f"{name}-sub") or cp.network.create_subnet(
            name=f"{name}-sub", network_id=n.id, ip_version=4, cidr=cidr)
        nets[name] = {"id": n.id, "subnet": s.id, "project": proj, "prefixlen": 24}
    c1 = conn("demo1")
    r = c1.network.find_router("router1")
    if not r:
        r = c1.network.create_router(name="router1",
                                     external_gateway_info={"network_id": ext.id})
        c1.network.add_interface_to_router(r, subnet_id=nets["net1"]["subnet"])
    servers = []
    plan = [("vm1", "demo1", "net1", h1, "nova", False),
            ("vm2", "demo1", "net1", h2, az2, True),
            ("vm3", "demo2", "net2", h2, az2, False),
            ("vm4", "demo2", "net2", h1, "nova", False)]
    for name, proj, net, host, az, hybrid in plan:
        cp = conn(proj)
        srv = cp.compute.find_server(name)
        if not srv:
            port = cp.network.create_port(network_id=nets[net]["id"], name=f"{name}-port")
            srv = cp.compute.create_server(name=name, flavor_id=flavor.id, image_id=image.id,
                                           networks=[{"port": port.id}],
                                           availability_zone=f"{az}:{host}")
            srv = cp.compute.wait_for_server(srv, status="ACTIVE", wait=300)
        port = next(iter(cp.network.ports(device_id=srv.id)))
        servers.append({"name": name, "id": srv.id, "host": host, "project": proj,
                        "network": nets[net]["id"], "port_id": port.id,
                        "mac": port.mac_address, "ip": port.fixed_ips[0]["ip_address"],
                        "prefixlen": nets[net]["prefixlen"], "hybrid": hybrid})
    st["projects"] = projects
    st["networks"] = [ext.id] + [v["id"] for v in nets.values()]
    st["routers"] = [r.id]
    st["servers"] = servers
    state_save(d, st)


def active(d, timeout=240):
    st = state_load(d)
    c = conn()

    def ports_ok():
        ports = list(c.network.ports())
        down = [p.id for p in ports if p.status != "ACTIVE" and (
            p.device_owner.startswith("compute:") or
            p.device_owner in ("network:dhcp", "network:router_interface"))]
        return not down
    wait(ports_ok, timeout, "server, DHCP and router ports ACTIVE")
    for n in st["networks"][1:]:
        wait(lambda: os.path.exists(f"/run/netns/qdhcp-{n}"), 120, f"qdhcp-{n}")
    for r in st["routers"]:
        wait(lambda: os.path.exists(f"/run/netns/qrouter-{r}"), 120, f"qrouter-{r}")


def main():
    step, d = sys.argv[1], sys.argv[2]
    arg = json.loads(sys.argv[3]) if len(sys.argv) > 3 else None
    if step == "identity":
        identity(d)
    elif step == "ready":
        ready(d, arg)
    elif step == "resources":
        resources(d, arg)
    elif step == "active":
        active(d, arg or 240)
    else:
        raise SystemExit(f"unknown step {step}")


if __name__ == "__main__":
    main()
