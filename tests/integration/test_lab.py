"""test_lab.py - the lab's own tests: what lab/lab.py builds is really there
and really carries traffic, and up/down/status behave (idempotent, crash
recovery, nothing left behind, nothing else touched).

Most tests read the session lab (conftest `lab`); the life-cycle tests build
small labs of their own under derived prefixes and always remove them.
"""

import hashlib
import ipaddress
import json
import os
import signal
import time

import pytest

import lablib
from lablib import (calipso, calipso_bin, ip_json, lab_cli, labmod, ns_run, ovs_json,
                    virsh, virsh_domain, virsh_domains, virsh_dumpxml, wait_for)


def _vxlan_tx(ns, dev):
    return ip_json(ns, "-s", "link", "show", "dev", dev)[0]["stats64"]["tx"]["packets"]


def _marker_pids(prefix):
    """Live processes carrying the lab's owner marker."""
    marker = f"{labmod.OWNER_VAR}={prefix}".encode()
    return {int(d) for d in os.listdir("/proc")
            if d.isdigit() and labmod.proc_environ_has(int(d), marker) and labmod.pid_alive(int(d))}


def _leftovers(prefix):
    return {"namespaces": [n for n in labmod.netns_list() if labmod.is_owned_netns(prefix, n)],
            "processes": sorted(_marker_pids(prefix)),
            "run_dir": os.path.exists(labmod.run_dir(prefix))}


def _nothing_left(prefix):
    return _leftovers(prefix) == {"namespaces": [], "processes": [], "run_dir": False}


@pytest.fixture
def own_prefix(lab, request):
    """A prefix for a throwaway lab, removed after the test whatever happens."""
    prefixes = []

    def make(suffix):
        p = f"{lab.prefix}{suffix}"
        prefixes.append(p)
        return p
    yield make
    for p in prefixes:
        labmod.down(p)


# ---------------------------------------------------------------------------
# What the session lab contains.

def test_environment_file(lab):
    env = lab.environment
    assert set(env) == {"name", "hosts", "switches", "pnic_names"}
    assert env["name"] == lab.prefix  # not "cl": the env name is the prefix
    assert env["pnic_names"] == ["eth0", "eth1"]
    assert env["switches"] == [{"name": "fabric", "netns": f"{lab.prefix}-fabric"}]
    assert [h["name"] for h in env["hosts"]] == \
            [f"host{i}" for i in range(1, len(env["hosts"]) + 1)]
    present = labmod.netns_list()
    for i, h in enumerate(env["hosts"], 1):
        assert h == {"name": f"host{i}", "netns": f"{lab.prefix}-h{i}",
                     "ovsdb": f"unix:/run/calipso-lab/{lab.prefix}/host{i}/ovs/db.sock",
                     "libvirt": f"test:///run/calipso-lab/{lab.prefix}/host{i}/libvirt.xml"}
        assert h["netns"] in present
        # The OVSDB of that entry is that host's own.
        ovs = ovs_json(h["ovsdb"], "Open_vSwitch")
        assert ovs[0]["external_ids"]["hostname"] == h["name"]
    assert f"{lab.prefix}-fabric" in present


def test_underlay_wiring(lab):
    fab = f"{lab.prefix}-fabric"
    ports = {l["ifname"]: l for l in ip_json(fab, "link", "show", "master", "br-fabric")}
    for i, h in enumerate(lab.hosts, 1):
        for nic in ("eth0", "eth1"):
            assert ports[f"h{i}-{nic}"]["operstate"] == "UP"
        links = {l["ifname"]: l for l in ip_json(h["netns"], "-d", "link", "show")}
        assert links["eth0"]["linkinfo"]["info_kind"] == "veth"
        addrs = ip_json(h["netns"], "-4", "addr", "show", "dev", "eth0")[0]["addr_info"]
        assert [f"{a['local']}/{a['prefixlen']}" for a in addrs] == [h["eth0_ip"]]
        # The OVS underlay address is on br-phy, and eth1 has none.
        addrs = ip_json(h["netns"], "-4", "addr", "show", "dev", "br-phy")[0]["addr_info"]
        assert [f"{a['local']}/{a['prefixlen']}" for a in addrs] == [h["eth1_ip"]]
        assert ip_json(h["netns"], "-4", "addr", "show", "dev", "eth1") == []


def test_interface_names_fit_and_exist(lab):
    """Every device the plan names exists where the plan puts it, and no
    name is longer than the kernel allows."""
    for h in lab.hosts:
        names = {l["ifname"] for l in ip_json(h["netns"], "link", "show")}
        want = {"eth0", "eth1", "br-phy", "br-int", "br-tun"}
        for n in lab.networks:
            if n["kind"] == "linuxbridge":
                want |= {n["bridge"], n["vxlan_dev"]}
        for vm in lab.find_vms(host=h["name"]):
            want |= {vm["tap"]} | {vm[k] for k in ("qbr", "qvb", "qvo") if k in vm}
        if h["name"] == "host1":
            want |= {n["dhcp"]["tap"] for n in lab.networks}
            want |= {i["tap"] for r in lab.state["routers"] for i in r["interfaces"]}
        assert want <= names, f"missing in {h['netns']}: {sorted(want - names)}"
        assert all(len(n) <= 15 for n in names)
    for n in lab.networks:
        names = {l["ifname"] for l in ip_json(n["dhcp"]["netns"], "link", "show")}
        assert n["dhcp"]["ns_dev"] in names


def test_vms_are_unnamed_namespaces_with_hostnames(lab):
    named = {labmod.netns_inode(n) for n in labmod.netns_list()}
    for vm in lab.vms:
        ino = labmod.proc_netns_inode(vm["pid"])
        assert ino == vm["netns_inode"] and ino not in named
        assert ns_run(vm["pid"], "hostname").stdout.strip() == vm["name"]
        eth0 = ip_json(vm["pid"], "link", "show", "dev", "eth0")[0]
        assert eth0["address"] == vm["mac"] and eth0["mtu"] == 1450
        tap = ip_json(vm["host_netns"], "link", "show", "dev", vm["tap"])[0]
        assert tap["address"] == vm["tap_mac"]
        assert tap.get("master") == vm["bridge"] or vm["plug"] == "direct"


def test_dhcp_leases(lab):
    for vm in lab.vms:
        net = lab.network(vm["network"])
        with open(os.path.join(net["dhcp"]["dir"], "leases")) as f:
            leases = {l.split()[1]: l.split()[2] for l in f if l.strip()}
        assert leases.get(vm["mac"]) == vm["ip"], f"{vm['name']}: dnsmasq leases {leases}"
        addrs = ip_json(vm["pid"], "-4", "addr", "show", "dev", "eth0")[0]["addr_info"]
        assert [(a["local"], a["prefixlen"]) for a in addrs] == [(vm["ip"], 24)]
        with open(vm["lease_file"]) as f:
            rec = json.load(f)
        assert rec["server"] == net["dhcp"]["ip"] and rec["ip"] == vm["ip"]
        routes = ip_json(vm["pid"], "-4", "route", "show", "default")
        if net["gateway"]:
            assert [r["gateway"] for r in routes] == [net["gateway"]]
        else:
            assert routes == []


def test_dnsmasq_confined(lab):
    """dnsmasq binds to its ns- device only and serves no DNS."""
    for n in lab.networks:
        pid = next(p["pid"] for p in lab.state["processes"]
                   if p["kind"] == "dnsmasq" and p["name"] == n["name"])
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = f.read().split(b"\0")
        assert b"--port=0" in args and b"--no-resolv" in args and b"--no-hosts" in args
        assert f"--interface={n['dhcp']['ns_dev']}".encode() in args
        assert labmod.proc_netns_inode(pid) == labmod.netns_inode(n["dhcp"]["netns"])
        socks = ns_run(n["dhcp"]["netns"], "cat", "/proc/net/tcp", "/proc/net/tcp6").stdout
        assert len(socks.strip().splitlines()) <= 2  # only the two header lines


def test_kernel_vxlan_devices(lab):
    for h in lab.hosts:
        others = {o["eth0_ip"].split("/")[0] for o in lab.hosts if o is not h}
        for n in [n for n in lab.networks if n["kind"] == "linuxbridge"]:
            link = ip_json(h["netns"], "-d", "link", "show", "dev", n["vxlan_dev"])[0]
            info = link["linkinfo"]["info_data"]
            assert link["linkinfo"]["info_kind"] == "vxlan"
            assert info["id"] == n["vni"] and info["port"] == 4789
            assert info["local"] == h["eth0_ip"].split("/")[0]
            assert "group" not in info  # no multicast
            assert link["master"] == n["bridge"]
            fdb = json.loads(ns_run(h["netns"], "bridge", "-j", "fdb", "show", "dev",
                                    n["vxlan_dev"]).stdout)
            flood = {e["dst"] for e in fdb if e["mac"] == "00:00:00:00:00:00"}
            assert flood == others


def test_ping_across_hosts_over_kernel_vxlan(lab):
    a = lab.find_vms(host="host1", network="net1")[0]
    for other in lab.hosts[1:]:
        b = lab.find_vms(host=other["name"], network="net1")[0]
        before = _vxlan_tx("%s-h1" % lab.prefix, "vxlan-101")
        assert wait_for(lambda: lab.ping(a, b["ip"]), 10, f"{a['name']} -> {b['name']}")
        assert lab.ping(a, b["ip"], count=3)
        # The echo requests left host1 through its VXLAN device.
        assert _vxlan_tx(f"{lab.prefix}-h1", "vxlan-101") >= before + 3
    # An address nobody has does not answer: the check can fail.
    assert not lab.ping(a, "10.101.0.250")


def test_router_forwards_between_networks(lab):
    a = lab.find_vms(host="host1", network="net1")[0]
    b = lab.find_vms(host=lab.hosts[-1]["name"], network="net2")[0]
    router = lab.state["routers"][0]
    assert ns_run(router["netns"], "sysctl", "-n", "net.ipv4.ip_forward").stdout.strip() == "1"
    addrs = {a_["local"] for l in ip_json(router["netns"], "-4", "addr", "show")
             for a_ in l["addr_info"]}
    assert {"10.101.0.1", "10.102.0.1"} <= addrs
    assert wait_for(lambda: lab.ping(a, b["ip"]), 10, "ping through the router")
    # Turning forwarding off in the qrouter breaks it: the path is the router.
    ns_run(router["netns"], "sysctl", "-q", "-w", "net.ipv4.ip_forward=0")
    try:
        assert not lab.ping(a, b["ip"], count=2)
    finally:
        ns_run(router["netns"], "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
    assert wait_for(lambda: lab.ping(a, b["ip"]), 10, "ping after restoring forwarding")


def test_ovs_bridges_and_tunnels(lab):
    for h in lab.hosts:
        db = h["ovs"]["ovsdb"]
        bridges = {b["name"]: b for b in ovs_json(db, "Bridge")}
        assert set(bridges) == {"br-int", "br-tun", "br-phy"}
        assert all(b["datapath_type"] == "netdev" for b in bridges.values())
        ifaces = {i["name"]: i for i in ovs_json(db, "Interface")}
        assert ifaces["patch-tun"]["options"] == {"peer": "patch-int"}
        assert ifaces["patch-int"]["options"] == {"peer": "patch-tun"}
        tunnels = {n: i for n, i in ifaces.items() if i["type"] == "vxlan"}
        want = {}
        for o in lab.hosts:
            if o is h:
                continue
            rip = o["eth1_ip"].split("/")[0]
            want["vxlan-" + ipaddress.ip_address(rip).packed.hex()] = {
                    "remote_ip": rip, "local_ip": h["eth1_ip"].split("/")[0],
                    "key": "103", "dst_port": "4789"}
        assert {n: i["options"] for n, i in tunnels.items()} == want
        assert all(not i.get("error") for i in ifaces.values()), \
                {n: i["error"] for n, i in ifaces.items() if i.get("error")}
        route = ns_run(h["netns"], "ovs-appctl", "-t", f"{h['ovs']['dir']}/ovs-vswitchd.ctl",
                       "ovs/route/show").stdout
        assert "172.31.251.0/24 dev br-phy" in route


def test_ovs_vm_ports_external_ids(lab):
    for vm in lab.vms:
        if vm["plug"] == "linuxbridge":
            continue
        db = lab.host(vm["host"])["ovs"]["ovsdb"]
        iface = ovs_json(db, "Interface", vm["ovs_port"])[0]
        assert iface["external_ids"] == {"iface-id": vm["port_id"], "attached-mac": vm["mac"],
                                         "iface-status": "active", "vm-uuid": vm["uuid"]}
        port = ovs_json(db, "Port", vm["ovs_port"])[0]
        assert port["tag"] == 1
        assert port["other_config"]["segmentation_id"] == "103"
        brint = ovs_json(db, "Bridge", "br-int")[0]
        assert port["_uuid"] in brint["ports"]
        # The record in state.json agrees with OVSDB.
        rec = [p for p in lab.state["ovs_ports"]
               if p["host"] == vm["host"] and p["port"] == vm["ovs_port"]]
        assert len(rec) == 1 and rec[0]["external_ids"] == iface["external_ids"]
    dhcp = lab.network("net3")["dhcp"]
    iface = ovs_json(lab.host("host1")["ovs"]["ovsdb"], "Interface", dhcp["tap"])[0]
    assert iface["external_ids"]["iface-id"] == dhcp["port_id"]


def test_hybrid_plumbing(lab):
    for vm in lab.find_vms(plug="hybrid"):
        ns = vm["host_netns"]
        members = {l["ifname"] for l in ip_json(ns, "link", "show", "master", vm["qbr"])}
        assert members == {vm["tap"], vm["qvb"]}
        qvb = ip_json(ns, "-d", "link", "show", "dev", vm["qvb"])[0]
        assert qvb["linkinfo"]["info_kind"] == "veth" and qvb["link"] == vm["qvo"]
    for vm in lab.find_vms(plug="direct"):
        # A direct VM's tap is in no Linux bridge (OVS owns it).
        assert "master" not in ip_json(vm["host_netns"], "link", "show", "dev", vm["tap"])[0]


def test_ping_across_hosts_over_ovs_tunnels(lab):
    h1 = lab.host("host1")
    for other in lab.hosts[1:]:
        for src_plug, dst_plug in (("hybrid", "direct"), ("direct", "hybrid")):
            a = lab.find_vms(host="host1", plug=src_plug)[0]
            b = lab.find_vms(host=other["name"], plug=dst_plug)[0]
            assert wait_for(lambda: lab.ping(a, b["ip"]), 10, f"{a['name']} -> {b['name']}")
        # The datapath pushed VXLAN headers (VNI 0x67) towards that host.
        rip = other["eth1_ip"].split("/")[0]

        def pushed():
            lab.ping(a, b["ip"])
            flows = ns_run(h1["netns"], "ovs-appctl", "-t",
                           f"{h1['ovs']['dir']}/ovs-vswitchd.ctl", "dpctl/dump-flows").stdout
            return [f for f in flows.splitlines()
                    if "tnl_push" in f and f"dst={rip}" in f and "vni=0x67" in f]
        assert wait_for(pushed, 10, f"a tnl_push flow to {rip}")


def test_libvirt_files(lab):
    for h in lab.hosts:
        uri = h["libvirt"]
        vms = lab.find_vms(host=h["name"])
        assert sorted(virsh_domains(uri)) == sorted(v["name"] for v in vms)
        for vm in vms:
            assert virsh(uri, "domstate", vm["name"]).stdout.strip() == "running"
            assert f"<uuid>{vm['uuid']}</uuid>" in virsh_dumpxml(uri, vm["name"])
            dom = virsh_domain(uri, vm["name"])
            assert dom.findtext("name") == vm["name"]
            assert int(dom.findtext("vcpu")) == 1 and int(dom.findtext("memory")) > 0
            itfs = dom.findall("devices/interface")
            assert len(itfs) == 1
            itf = itfs[0]
            assert itf.get("type") == "bridge"
            assert itf.find("mac").get("address") == vm["mac"]
            assert itf.find("target").get("dev") == vm["tap"]
            assert itf.find("source").get("bridge") == vm["bridge"]
            assert itf.find("model").get("type") == "virtio"
            vp = itf.find("virtualport")
            if vm["plug"] == "direct":
                assert vp.get("type") == "openvswitch"
                assert vp.find("parameters").get("interfaceid") == vm["port_id"]
            else:
                assert vp is None


def test_status_cli_reports_healthy(lab):
    cp = lab_cli("status", "--prefix", lab.prefix, "--json", check=False)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    res = json.loads(cp.stdout)
    assert res["healthy"] and res["complete"] and not res["problems"]
    assert len(res["leases"]) == len(lab.vms) and all(l["ok"] for l in res["leases"])
    checks = [c["check"] for c in res["connectivity"]]
    others = len(lab.hosts) - 1
    assert checks.count("linuxbridge-vxlan") == others
    assert checks.count("ovs-vxlan") == 2 * others
    assert checks.count("router") >= 1
    assert all(c["ok"] for c in res["connectivity"])
    assert all(r["ok"] for r in res["ovs_routes"])
    text = lab_cli("status", "--prefix", lab.prefix).stdout
    assert text.startswith(f"lab {lab.prefix}: healthy")


def test_state_records_everything(lab):
    st = lab.state
    assert st["complete"] and st["steps"][-1] == "check"
    present = labmod.netns_list()
    assert set(st["namespaces"]) <= set(present)
    kinds = {}
    for p in st["processes"]:
        assert labmod.pid_alive(p["pid"], p["start"]), p
        kinds[p["kind"]] = kinds.get(p["kind"], 0) + 1
    n = len(lab.hosts)
    assert kinds == {"ovsdb-server": n, "ovs-vswitchd": n, "dnsmasq": 3, "vm": 4 * n,
                     "udhcpc": 4 * n}
    # Every process carrying the lab's marker is one the state knows.
    recorded = {p["pid"] for p in st["processes"]}
    assert _marker_pids(lab.prefix) == recorded
    assert {v["vni"] for v in st["networks"]} == {101, 102, 103}


# ---------------------------------------------------------------------------
# Life cycle, on labs of their own.

def _root_snapshot():
    """What of the root namespace the lab must never change."""
    links = {l["ifname"]: (l.get("address"), l["mtu"], tuple(l["flags"]))
             for l in json.loads(lablib.run(["ip", "-j", "link", "show"]).stdout)}
    addrs = sorted((a["ifname"], x["local"], x["prefixlen"])
                   for a in json.loads(lablib.run(["ip", "-j", "addr", "show"]).stdout)
                   for x in a.get("addr_info", []))
    routes = lablib.run(["ip", "-j", "route", "show", "table", "all"]).stdout
    sysctls = {}
    for k in ("net/ipv4/ip_forward", "net/ipv4/conf/all/arp_ignore",
              "net/ipv4/conf/all/arp_announce"):
        with open(f"/proc/sys/{k}") as f:
            sysctls[k] = f.read()
    etc = {}
    for p in ("/etc/resolv.conf", "/etc/hosts", "/etc/hostname"):
        try:
            st = os.stat(p)
            with open(p, "rb") as f:
                etc[p] = (st.st_mtime_ns, hashlib.sha256(f.read()).hexdigest())
        except OSError:
            etc[p] = None
    return links, addrs, routes, sysctls, etc


def test_up_is_idempotent_and_down_leaves_nothing(lab, own_prefix):
    p = own_prefix("a")
    root_before = _root_snapshot()
    t = time.monotonic()
    st1 = labmod.up(p, hosts=2, ovs=False)
    up_s = time.monotonic() - t
    assert labmod.status(p)["healthy"]
    env = json.load(open(labmod.env_path(p)))
    assert all("ovsdb" not in h for h in env["hosts"])
    assert all(p_["kind"] not in ("ovsdb-server", "ovs-vswitchd") for p_ in st1["processes"])
    # A second up changes nothing: same processes (pid and start time).
    t = time.monotonic()
    st2 = labmod.up(p, hosts=2, ovs=False)
    again_s = time.monotonic() - t
    assert st2["processes"] == st1["processes"]
    # Other options rebuild it.
    st3 = labmod.up(p, hosts=2, ovs=True)
    assert {x["pid"] for x in st3["processes"]}.isdisjoint({x["pid"] for x in st1["processes"]})
    assert not any(labmod.pid_alive(x["pid"], x["start"]) for x in st1["processes"])
    assert labmod.status(p)["healthy"]
    pids = [x["pid"] for x in st3["processes"]]
    t = time.monotonic()
    summary = labmod.down(p)
    down_s = time.monotonic() - t
    assert _nothing_left(p), _leftovers(p)
    assert not any(labmod.pid_alive(x) for x in pids)
    assert set(summary["namespaces"]) == set(st3["namespaces"])
    # The root namespace and /etc are as they were, and the session lab is
    # untouched by another prefix's down.
    assert _root_snapshot() == root_before
    assert labmod.status(lab.prefix)["healthy"]
    print(f"lab timings: up {up_s:.2f}s, up again {again_s:.2f}s, down {down_s:.2f}s")
    # down of a lab that is not there is fine, and removes nothing.
    assert labmod.down(p)["namespaces"] == []


@pytest.mark.parametrize("step", ["ovs", "leases"])
def test_up_recovers_from_a_crash(lab, own_prefix, step):
    p = own_prefix("c")
    env = dict(os.environ, **{labmod.CRASH_VAR: step})
    cp = lab_cli("up", "--prefix", p, "--hosts", "2", "-q", env=env, check=False)
    assert cp.returncode == 99, cp.stderr  # the simulated crash
    half = labmod.load_state(p)
    assert not half["complete"] and half["steps"][-1] == step
    left = _leftovers(p)
    assert left["namespaces"] and left["processes"]
    st_cli = lab_cli("status", "--prefix", p, "--no-ping", check=False)
    assert st_cli.returncode == 1 and "not completely built" in st_cli.stdout
    # up cleans the half-built lab first: no process of the crashed run
    # survives, and every live process is one the new state records.
    cp = lab_cli("up", "--prefix", p, "--hosts", "2", "-q", check=False)
    assert cp.returncode == 0, cp.stderr
    st = labmod.load_state(p)
    assert st["complete"]
    assert not set(left["processes"]) & _marker_pids(p)
    assert _marker_pids(p) == {x["pid"] for x in st["processes"]}
    assert labmod.status(p)["healthy"]
    labmod.down(p)
    assert _nothing_left(p), _leftovers(p)


@pytest.mark.parametrize("step", ["namespaces", "dhcp", "vms"])
def test_down_from_a_half_built_lab(lab, own_prefix, step):
    p = own_prefix("h")
    env = dict(os.environ, **{labmod.CRASH_VAR: step})
    cp = lab_cli("up", "--prefix", p, "--hosts", "2", "-q", env=env, check=False)
    assert cp.returncode == 99, cp.stderr
    assert _leftovers(p)["namespaces"]
    cp = lab_cli("down", "--prefix", p, "-q")
    assert _nothing_left(p), _leftovers(p)


def test_down_without_state_file(lab, own_prefix):
    """Even with state.json lost, the prefix and the owner marker find
    everything."""
    p = own_prefix("s")
    labmod.up(p, hosts=2, ovs=True)
    os.unlink(labmod.state_path(p))
    labmod.down(p)
    assert _nothing_left(p), _leftovers(p)


def test_status_detects_breakage_and_up_repairs(lab, own_prefix):
    p = own_prefix("b")
    st = labmod.up(p, hosts=2, ovs=True)
    # Cut host2's kernel-VXLAN underlay cable: the cross-host ping fails.
    fab = f"{p}-fabric"
    lablib.run(["ip", "-n", fab, "link", "set", "h2-eth0", "down"])
    res = labmod.status(p)
    assert not res["healthy"]
    bad = [c for c in res["connectivity"] if not c["ok"]]
    assert [c["check"] for c in bad] == ["linuxbridge-vxlan"] or \
            {c["check"] for c in bad} == {"linuxbridge-vxlan", "router"}
    lablib.run(["ip", "-n", fab, "link", "set", "h2-eth0", "up"])
    wait_for(lambda: labmod.status(p)["healthy"], 15, "status healthy again",
             interval=0.5)
    # Kill a dnsmasq: status names it; up rebuilds the lab.
    dm = next(x for x in st["processes"] if x["kind"] == "dnsmasq" and x["name"] == "net1")
    os.kill(dm["pid"], signal.SIGKILL)
    wait_for(lambda: not labmod.pid_alive(dm["pid"]), 5, "dnsmasq gone")
    cp = lab_cli("status", "--prefix", p, "--no-ping", check=False)
    assert cp.returncode == 1 and f"dnsmasq net1 (pid {dm['pid']}) is not running" in cp.stdout
    st2 = labmod.up(p, hosts=2, ovs=True)
    assert labmod.pid_alive(next(x["pid"] for x in st2["processes"] if x["kind"] == "dnsmasq"))
    assert labmod.status(p)["healthy"]


def test_scale_objects(lab, own_prefix):
    p = own_prefix("x")
    st = labmod.up(p, hosts=2, ovs=True,
                   scale={"namespaces": 3, "interfaces": 31, "ovs_ports": 20})
    objs = st["scale_objects"]
    assert objs["namespaces"] == [f"{p}-s1", f"{p}-s2", f"{p}-s3"]
    total = sum(len([l for l in ip_json(ns, "link", "show") if l["ifname"] != "lo"])
                for ns in objs["namespaces"])
    assert total == 31
    db = st["hosts"][0]["ovs"]["ovsdb"]
    extra = [i for i in ovs_json(db, "Interface")
             if i["type"] == "internal" and i["external_ids"].get("iface-id")]
    assert len(extra) == 20
    assert all(i["name"].startswith("tap") and len(i["name"]) == 14 for i in extra)
    labmod.down(p)
    assert _nothing_left(p), _leftovers(p)


def test_prefix_validation():
    for bad in ("", "a-b", "Cl", "1ab", "abcdefghijk"):
        with pytest.raises(labmod.LabError):
            labmod.check_prefix(bad)
    assert labmod.check_prefix("t12345") == "t12345"


# ---------------------------------------------------------------------------
# lablib's own helpers.

def test_wait_for_reports_last_state():
    calls = []

    def cond():
        calls.append(1)
        return len(calls) >= 3 and "done"
    assert wait_for(cond, 5, "three calls", interval=0.01) == "done"
    with pytest.raises(AssertionError, match=r"waiting for never; last state: 0"):
        wait_for(lambda: 0, 0.2, "never", interval=0.05)
    with pytest.raises(AssertionError, match=r"last state: 'ZeroDivisionError"):
        wait_for(lambda: 1 / 0, 0.2, "a division", interval=0.05)


def test_calipso_helper_parses_json(db_path):
    if not os.access(calipso_bin(), os.X_OK):
        pytest.skip(f"calipso is not built at {calipso_bin()}")
    res = calipso("version", db=db_path)
    assert res.rc == 0 and isinstance(res.json, dict) and res.json.get("version")
    with pytest.raises(AssertionError, match="unexpected exit status"):
        calipso("no-such-command", db=db_path)


def test_failed_up_names_the_command_and_cleans_up(lab, own_prefix, monkeypatch):
    p = own_prefix("f")
    # An impossible VXLAN port makes `ip link add ... vxlan` fail mid-build.
    monkeypatch.setattr(labmod, "VXLAN_PORT", 70000)
    with pytest.raises(labmod.LabError) as ei:
        labmod.up(p, hosts=2, ovs=False)
    msg = str(ei.value)
    assert "command failed" in msg and f"ip -n {p}-h1 -batch -" in msg
    assert "70000" in msg  # ip's own complaint about the port is quoted
    assert _nothing_left(p), _leftovers(p)


# ---------------------------------------------------------------------------
# Run-time changes: vm-add, vm-rm, net-add, net-rm, link-set.  Tests that
# change the session lab use `changed_lab`, which restores it afterwards.

@pytest.fixture
def changed_lab(lab):
    """The session lab, brought back to its built state after the test
    (in place: undoing the run-time changes), whatever happens."""
    lab.reload()
    yield lab
    lab.ensure_up()
    res = lab.status(ping=False)
    assert res["healthy"] and res["drift"] == [], res["problems"] + res["drift"]


def _timed(fn, *args, **kw):
    t = time.monotonic()
    out = fn(*args, **kw)
    return out, time.monotonic() - t


def _dhcp_files(lab, net):
    d = lab.network(net)["dhcp"]["dir"]
    out = {}
    for f in ("host", "leases"):
        try:
            with open(os.path.join(d, f)) as fh:
                out[f] = fh.read().lower()
        except FileNotFoundError:
            out[f] = ""
    return out


def _vm_traces(lab, vm):
    """What the lab and the tools still show of VM vm (a state entry)."""
    st = labmod.load_state(lab.prefix)
    h = next(x for x in st["hosts"] if x["name"] == vm["host"])
    names = {l["ifname"] for l in ip_json(h["netns"], "link", "show")}
    out = {"devices": sorted(names & {vm[k] for k in ("tap", "qbr", "qvb", "qvo") if k in vm}),
           "domain": vm["name"] in virsh_domains(h["libvirt"]),
           "state": [v["name"] for v in st["vms"] if v["name"] == vm["name"]],
           "processes": sorted(p["pid"] for p in st["processes"] if p["name"] == vm["name"]
                               and p["kind"] in ("vm", "udhcpc")),
           "files": sorted(f for f in os.listdir(os.path.join(lab.run_dir, "vms"))
                           if f.startswith(vm["name"] + "."))}
    if "ovs" in h:
        out["ovs"] = [i["name"] for i in ovs_json(h["ovs"]["ovsdb"], "Interface")
                      if i["external_ids"].get("iface-id") == vm["port_id"]]
        out["ovs_record"] = [p["port"] for p in st["ovs_ports"]
                             if p["external_ids"].get("iface-id") == vm["port_id"]]
    if any(n["name"] == vm["network"] for n in st["networks"]):
        files = _dhcp_files(lab, vm["network"])
        out["dhcp_host"] = vm["mac"] in files["host"]
        out["dhcp_lease"] = vm["mac"] in files["leases"]
    if vm.get("pid"):
        out["alive"] = labmod.pid_alive(vm["pid"])
        # The lab's processes still in the VM's namespace (a freed namespace
        # inode may be reused, by another lab's namespace: hence the marker).
        marker = f"{labmod.OWNER_VAR}={lab.prefix}".encode()
        out["in_namespace"] = sorted(x for x in labmod._netns_pids(vm["netns_inode"])
                                     if labmod.proc_environ_has(x, marker))
    return out


def _no_trace(traces):
    return {k: v for k, v in traces.items() if v}


def test_vm_add_linuxbridge_then_rm(changed_lab):
    lab = changed_lab
    vm, add_s = _timed(labmod.vm_add, lab.prefix, "lmx", "host2", "net1")
    lab.reload()
    assert lab.vm("lmx") == vm
    # Identities derived as the built VMs' are: uuid5 of prefix/kind/name.
    assert vm["uuid"] == labmod.lab_uuid(lab.prefix, "instance", "lmx")
    assert vm["port_id"] == labmod.lab_uuid(lab.prefix, "port", "lmx", "eth0")
    assert vm["mac"] == labmod.lab_mac(vm["port_id"])
    assert vm["tap"] == "tap" + vm["port_id"][:11] and vm["tap_mac"] == "fe" + vm["mac"][2:]
    assert ipaddress.ip_address(vm["ip"]) in ipaddress.ip_network("10.101.0.0/24")
    assert vm["ip"] not in {v["ip"] for v in lab.vms if v["name"] != "lmx"}
    # ip: an unnamed namespace with its hostname, eth0 with the MAC and the
    # leased address; the tap in net1's bridge.
    assert labmod.proc_netns_inode(vm["pid"]) not in \
            {labmod.netns_inode(n) for n in labmod.netns_list()}
    assert ns_run(vm["pid"], "hostname").stdout.strip() == "lmx"
    assert ip_json(vm["pid"], "link", "show", "dev", "eth0")[0]["address"] == vm["mac"]
    eth0 = ip_json(vm["pid"], "-4", "addr", "show", "dev", "eth0")[0]
    assert [(a["local"], a["prefixlen"]) for a in eth0["addr_info"]] == [(vm["ip"], 24)]
    assert [r["gateway"] for r in ip_json(vm["pid"], "-4", "route", "show", "default")] == \
            ["10.101.0.1"]
    tap = ip_json(vm["host_netns"], "link", "show", "dev", vm["tap"])[0]
    assert tap["master"] == lab.network("net1")["bridge"] and tap["address"] == vm["tap_mac"]
    files = _dhcp_files(lab, "net1")
    assert f"{vm['mac']},lmx,{vm['ip']}" in files["host"] and vm["mac"] in files["leases"]
    # Traffic to the net1 VMs of the other hosts (kernel VXLAN).
    for other in lab.find_vms(network="net1"):
        if other["host"] != "host2":
            assert wait_for(lambda: lab.ping(vm, other["ip"]), 10, f"lmx -> {other['name']}")
    # virsh: a running domain like the built ones.
    uri = lab.host("host2")["libvirt"]
    assert virsh(uri, "domstate", "lmx").stdout.strip() == "running"
    itf = virsh_domain(uri, "lmx").find("devices/interface")
    assert itf.find("mac").get("address") == vm["mac"]
    assert itf.find("source").get("bridge") == lab.network("net1")["bridge"]
    assert itf.find("target").get("dev") == vm["tap"] and itf.find("virtualport") is None
    # status: healthy, the lease checked, the addition said.
    res = lab.status(ping=False)
    assert res["healthy"], res["problems"]
    assert [l["ok"] for l in res["leases"] if l["vm"] == "lmx"] == [True]
    assert res["drift"] == ["VM lmx added (host2, net1, linuxbridge)"]
    # Again: nothing happens; elsewhere under the same name: refused.
    again, again_s = _timed(labmod.vm_add, lab.prefix, "lmx", "host2", "net1")
    assert again["pid"] == vm["pid"]
    with pytest.raises(labmod.LabError, match=r"VM lmx exists .*vm-rm it first"):
        labmod.vm_add(lab.prefix, "lmx", "host3", "net1")
    assert _no_trace(_vm_traces(lab, vm)).keys() == \
            {"devices", "domain", "state", "processes", "files", "dhcp_host", "dhcp_lease",
             "alive", "in_namespace"}
    res_rm, rm_s = _timed(labmod.vm_rm, lab.prefix, "lmx")
    assert res_rm["removed"]
    assert _no_trace(_vm_traces(lab, vm)) == {}
    assert labmod.vm_rm(lab.prefix, "lmx")["removed"] is False
    res = lab.status(ping=False)
    assert res["healthy"] and res["drift"] == [], res
    print(f"vm-add (linuxbridge) {add_s:.2f}s, again {again_s:.2f}s, vm-rm {rm_s:.2f}s")


def test_vm_add_ovs_hybrid_and_direct(changed_lab):
    lab = changed_lab
    hyb, hyb_s = _timed(labmod.vm_add, lab.prefix, "lmh", "host3", "net3")
    dire, dir_s = _timed(labmod.vm_add, lab.prefix, "lmd", "host1", "net3", plug="direct")
    lab.reload()
    assert hyb["plug"] == "hybrid" and dire["plug"] == "direct"
    net = lab.network("net3")
    for vm in (hyb, dire):
        db = lab.host(vm["host"])["ovs"]["ovsdb"]
        iface = ovs_json(db, "Interface", vm["ovs_port"])[0]
        assert iface["external_ids"] == {"iface-id": vm["port_id"], "attached-mac": vm["mac"],
                                         "iface-status": "active", "vm-uuid": vm["uuid"]}
        port = ovs_json(db, "Port", vm["ovs_port"])[0]
        assert port["tag"] == 1
        assert port["other_config"] == {"net_uuid": net["id"], "network_type": "vxlan",
                                        "segmentation_id": "103", "tag": "1"}
        assert port["_uuid"] in ovs_json(db, "Bridge", "br-int")[0]["ports"]
        rec = [p for p in labmod.load_state(lab.prefix)["ovs_ports"]
               if p["host"] == vm["host"] and p["port"] == vm["ovs_port"]]
        assert len(rec) == 1 and rec[0]["external_ids"] == iface["external_ids"]
        dom = virsh_domain(lab.host(vm["host"])["libvirt"], vm["name"])
        vp = dom.find("devices/interface/virtualport")
        if vm is dire:
            assert dom.find("devices/interface/source").get("bridge") == "br-int"
            assert vp.find("parameters").get("interfaceid") == vm["port_id"]
        else:
            assert vp is None
    members = {l["ifname"] for l in ip_json(hyb["host_netns"], "link", "show", "master",
                                            hyb["qbr"])}
    assert members == {hyb["tap"], hyb["qvb"]}
    assert "master" not in ip_json(dire["host_netns"], "link", "show", "dev", dire["tap"])[0]
    # Over the OVS tunnels: to each other, and to built VMs of other hosts.
    assert wait_for(lambda: lab.ping(hyb, dire["ip"]), 10, "lmh -> lmd")
    assert wait_for(lambda: lab.ping(dire, hyb["ip"]), 10, "lmd -> lmh")
    b = lab.find_vms(host="host2", network="net3")[0]
    assert wait_for(lambda: lab.ping(hyb, b["ip"]), 10, f"lmh -> {b['name']}")
    (_, rm_h), (_, rm_d) = _timed(labmod.vm_rm, lab.prefix, "lmh"), \
            _timed(labmod.vm_rm, lab.prefix, "lmd")
    for vm in (hyb, dire):
        assert _no_trace(_vm_traces(lab, vm)) == {}
    assert lab.status(ping=False)["healthy"]
    print(f"vm-add hybrid {hyb_s:.2f}s, direct {dir_s:.2f}s; vm-rm {rm_h:.2f}s, {rm_d:.2f}s")


def test_removed_vm_is_not_missing_and_comes_back_the_same(changed_lab):
    lab = changed_lab
    built = dict(lab.vm("vm5"))
    others = {p["pid"] for p in lab.state["processes"] if p["name"] != "vm5"}
    labmod.vm_rm(lab.prefix, "vm5")
    assert _no_trace(_vm_traces(lab, built)) == {}
    res = lab.status()
    assert res["healthy"], res["problems"]
    assert res["drift"] == ["VM vm5 removed"]
    assert "vm5" not in {l["vm"] for l in res["leases"]}
    # up leaves the changed lab as it is: no rebuild, nothing restored.
    st = labmod.up(lab.prefix, hosts=len(lab.hosts))
    assert "vm5" not in {v["name"] for v in st["vms"]}
    assert {p["pid"] for p in st["processes"]} == others
    # Added again: the same identity as built.
    vm = labmod.vm_add(lab.prefix, "vm5", built["host"], built["network"])
    for k in ("uuid", "port_id", "mac", "ip", "tap", "tap_mac", "bridge", "plug"):
        assert vm[k] == built[k], k
    assert vm["pid"] != built["pid"]
    assert lab.status(ping=False)["drift"] == []
    lab.ensure_up()
    # In place: the other processes are the ones from before; the built order.
    assert others <= {p["pid"] for p in lab.state["processes"]}
    assert [v["name"] for v in lab.vms] == [f"vm{i}" for i in range(1, len(lab.vms) + 1)]


def test_net_rm_refuses_while_vms_remain_then_removes_every_trace(changed_lab):
    lab = changed_lab
    net = dict(lab.network("net2"))
    names = [v["name"] for v in lab.find_vms(network="net2")]
    with pytest.raises(labmod.LabError) as ei:
        labmod.net_rm(lab.prefix, "net2")
    assert f"network net2 still has VMs: {', '.join(names)}" in str(ei.value)
    cp = lab_cli("net-rm", "net2", "--prefix", lab.prefix, check=False)
    assert cp.returncode == 1 and ", ".join(names) in cp.stderr
    assert lab.status(ping=False)["drift"] == []  # refused: nothing changed
    dnsmasq = next(p for p in lab.state["processes"]
                   if p["kind"] == "dnsmasq" and p["name"] == "net2")
    router = lab.state["routers"][0]
    itf = next(i for i in router["interfaces"] if i["network"] == "net2")
    res, rm_s = _timed(labmod.net_rm, lab.prefix, "net2", force=True)
    assert res["removed"] and res["vms_removed"] == names
    for h in lab.hosts:
        links = {l["ifname"] for l in ip_json(h["netns"], "link", "show")}
        assert not links & {net["bridge"], net["vxlan_dev"], net["dhcp"]["tap"], itf["tap"]}
    assert net["dhcp"]["netns"] not in labmod.netns_list()
    assert not labmod.pid_alive(dnsmasq["pid"], dnsmasq["start"])
    assert not os.path.exists(net["dhcp"]["dir"])
    addrs = {a["local"] for l in ip_json(router["netns"], "-4", "addr", "show")
             for a in l["addr_info"]}
    assert "10.102.0.1" not in addrs and "10.101.0.1" in addrs
    st = labmod.load_state(lab.prefix)
    assert "net2" not in {n["name"] for n in st["networks"]}
    assert net["dhcp"]["netns"] not in st["namespaces"]
    assert not [p for p in st["processes"] if p["name"] in names + ["net2"]]
    assert _marker_pids(lab.prefix) == {p["pid"] for p in st["processes"]}
    res = lab.status()
    assert res["healthy"], res["problems"]
    assert not [c for c in res["connectivity"] if c["check"] == "router"]
    assert labmod.net_rm(lab.prefix, "net2")["removed"] is False
    lab.ensure_up()
    res = lab.status()
    assert [c["ok"] for c in res["connectivity"] if c["check"] == "router"] and \
            all(c["ok"] for c in res["connectivity"])
    print(f"net-rm --force of a Linux-bridge network with {len(names)} VMs: {rm_s:.2f}s")


def test_net_add_linuxbridge_with_router(changed_lab):
    lab = changed_lab
    net, add_s = _timed(labmod.net_add, lab.prefix, "lmnet", 150, "10.150.0.0/24",
                        router=True)
    lab.reload()
    assert net["id"] == labmod.lab_uuid(lab.prefix, "network", "lmnet")
    for h in lab.hosts:
        link = ip_json(h["netns"], "-d", "link", "show", "dev", "vxlan-150")[0]
        assert link["master"] == net["bridge"] and link["linkinfo"]["info_data"]["id"] == 150
        fdb = json.loads(ns_run(h["netns"], "bridge", "-j", "fdb", "show", "dev",
                                "vxlan-150").stdout)
        assert {e["dst"] for e in fdb if e["mac"] == "00:00:00:00:00:00"} == \
                {o["eth0_ip"].split("/")[0] for o in lab.hosts if o is not h}
    assert net["dhcp"]["netns"] in labmod.netns_list()
    assert labmod.is_owned_netns(lab.prefix, net["dhcp"]["netns"])  # down finds it
    dm = next(p for p in lab.state["processes"] if p["kind"] == "dnsmasq" and
              p["name"] == "lmnet")
    assert labmod.proc_netns_inode(dm["pid"]) == labmod.netns_inode(net["dhcp"]["netns"])
    a = labmod.vm_add(lab.prefix, "lma", "host1", "lmnet")
    b = labmod.vm_add(lab.prefix, "lmb", lab.hosts[-1]["name"], "lmnet")
    assert wait_for(lambda: lab.ping(a, b["ip"]), 10, "lma -> lmb")
    # Routed to net1 through router1's new interface.
    c = lab.find_vms(host=lab.hosts[-1]["name"], network="net1")[0]
    assert wait_for(lambda: lab.ping(a, c["ip"]), 10, f"lma -> {c['name']}")
    for bad, msg in (((151, "10.150.0.0/25"), "overlaps lmnet"),
                     ((150, "10.151.0.0/24"), "VNI 150 is network lmnet's"),
                     ((152, "172.31.250.0/25"), "overlaps the lab's underlay")):
        with pytest.raises(labmod.LabError, match=msg):
            labmod.net_add(lab.prefix, "lmnet2", *bad)
    with pytest.raises(labmod.LabError, match="OVS tunnels carry VNI 103 only"):
        labmod.net_add(lab.prefix, "lmnet2", 104, "10.152.0.0/24", ovs=True)
    assert labmod.net_add(lab.prefix, "lmnet", 150, "10.150.0.0/24", router=True) == net
    res, rm_s = _timed(labmod.net_rm, lab.prefix, "lmnet", force=True)
    assert res["vms_removed"] == ["lma", "lmb"]
    for h in lab.hosts:
        assert not {l["ifname"] for l in ip_json(h["netns"], "link", "show")} & \
                {net["bridge"], "vxlan-150"}
    assert net["dhcp"]["netns"] not in labmod.netns_list()
    print(f"net-add (Linux bridge, router) {add_s:.2f}s, net-rm --force {rm_s:.2f}s")


def test_link_set_down_is_intended_and_up_restores(changed_lab):
    lab = changed_lab
    h2 = lab.host("host2")
    a = lab.find_vms(host="host1", network="net1")[0]
    b = lab.find_vms(host="host2", network="net1")[0]
    res, down_s = _timed(labmod.link_set, lab.prefix, "host2", "vxlan-101", "down")
    assert res["changed"]
    assert "UP" not in ip_json(h2["netns"], "link", "show", "dev", "vxlan-101")[0]["flags"]
    assert not lab.ping(a, b["ip"], count=2)
    st = lab.status()
    assert st["healthy"], st["problems"]
    assert st["links_down"] == [{"host": "host2", "dev": "vxlan-101", "ok": True,
                                 "since": st["links_down"][0]["since"]}]
    failed = [c for c in st["connectivity"] if not c["ok"]]
    assert [(c["check"], c["to"], c["down_links"]) for c in failed] == \
            [("linuxbridge-vxlan", b["name"], ["host2 vxlan-101"])]
    text = lab_cli("status", "--prefix", lab.prefix).stdout
    assert "link host2 vxlan-101 set down (intended)" in text
    assert "failed, as expected (host2 vxlan-101 set down)" in text
    # Down again: recorded once.  Brought up behind the lab's back: a problem.
    assert labmod.link_set(lab.prefix, "host2", "vxlan-101", "down")["changed"] is False
    assert len(labmod.load_state(lab.prefix)["links_down"]) == 1
    lablib.run(["ip", "-n", h2["netns"], "link", "set", "vxlan-101", "up"])
    st = lab.status(ping=False)
    assert not st["healthy"] and st["problems"] == ["host2 vxlan-101 was set down but is up"]
    lablib.run(["ip", "-n", h2["netns"], "link", "set", "vxlan-101", "down"])
    # The fabric's side of host3's OVS underlay (CLI): the OVS checks to host3 fail.
    cp = lab_cli("link-set", "fabric", "h3-eth1", "down", "--prefix", lab.prefix)
    assert "fabric h3-eth1 down" in cp.stderr
    st = lab.status()
    assert st["healthy"], st["problems"]
    assert {c["to"] for c in st["connectivity"] if not c["ok"] and
            c["down_links"] == ["fabric h3-eth1"]} == \
            {v["name"] for v in lab.find_vms(host="host3", network="net3")}
    with pytest.raises(labmod.LabError, match="no device 'nosuch0' in host2"):
        labmod.link_set(lab.prefix, "host2", "nosuch0", "down")
    res, up_s = _timed(labmod.link_set, lab.prefix, "host2", "vxlan-101", "up")
    assert res["changed"]
    assert wait_for(lambda: lab.ping(a, b["ip"]), 10, "ping after vxlan-101 up")
    fdb = json.loads(ns_run(h2["netns"], "bridge", "-j", "fdb", "show", "dev",
                            "vxlan-101").stdout)
    assert {e["dst"] for e in fdb if e["mac"] == "00:00:00:00:00:00"} == \
            {o["eth0_ip"].split("/")[0] for o in lab.hosts if o is not h2}
    assert lab.status(ping=False)["drift"] == ["link fabric h3-eth1 is set down"]
    print(f"link-set down {down_s:.2f}s, up {up_s:.2f}s")


def test_cli_changes(changed_lab):
    lab = changed_lab
    p = ["--prefix", lab.prefix]
    cp = lab_cli("vm-add", "lmc", "--host", "host3", "--network", "net2", "--json", *p)
    vm = json.loads(cp.stdout)
    assert vm["name"] == "lmc" and vm["host"] == "host3" and vm["plug"] == "linuxbridge"
    assert "lab: VM lmc: host3, net2 (linuxbridge)" in cp.stderr
    src = lab.find_vms(host="host1", network="net2")[0]
    assert wait_for(lambda: lab.ping(src, vm["ip"]), 10, f"{src['name']} -> lmc")
    cp = lab_cli("vm-add", "lmc2", "--host", "host3", "--network", "net2", "--plug",
                 "direct", *p, check=False)
    assert cp.returncode == 1 and "Linux-bridge network" in cp.stderr
    cp = lab_cli("vm-add", "lmc2", "--host", "host9", "--network", "net2", *p, check=False)
    assert cp.returncode == 1 and "no host 'host9'" in cp.stderr
    cp = lab_cli("vm-rm", "lmc", "--json", *p)
    assert json.loads(cp.stdout)["removed"] is True
    assert "lmc" not in virsh_domains(lab.host("host3")["libvirt"])
    cp = lab_cli("up", "--restore", *p)
    assert lab.status(ping=False)["drift"] == []


# ---------------------------------------------------------------------------
# Run-time changes on labs of their own.

def test_ovs_net_rm_then_add_and_restore(lab, own_prefix):
    p = own_prefix("n")
    st = labmod.up(p, hosts=2, ovs=True)
    net = next(n for n in st["networks"] if n["name"] == "net3")
    untouched = {x["pid"] for x in st["processes"] if x["name"] not in ("net3",) and
                 x["name"] not in {v["name"] for v in st["vms"] if v["network"] == "net3"}}
    res, rm_s = _timed(labmod.net_rm, p, "net3", force=True)
    assert sorted(res["vms_removed"]) == sorted(v["name"] for v in st["vms"]
                                                if v["network"] == "net3")
    for h in st["hosts"]:
        db = h["ovs"]["ovsdb"]
        assert not [x for x in ovs_json(db, "Port")
                    if x["other_config"].get("net_uuid") == net["id"]]
        ports = {x["name"] for x in ovs_json(db, "Port")}
        assert {t["port"] for t in h["ovs"]["tunnels"]} <= ports  # the tunnels stay
        flows = ns_run(h["netns"], "ovs-ofctl", "dump-flows",
                       f"unix:{h['ovs']['dir']}/br-tun.mgmt").stdout
        assert "tun_id=0x67" not in flows and "dl_vlan=1" not in flows
        assert "resubmit(,4)" in flows  # Neutron's base pipeline stays
    assert net["dhcp"]["netns"] not in labmod.netns_list()
    assert labmod.status(p)["healthy"]
    with pytest.raises(labmod.LabError, match="VNI 103 only"):
        labmod.net_add(p, "net4", 104, "10.104.0.0/24", ovs=True)
    _, add_s = _timed(labmod.net_add, p, "net3", 103, "10.103.0.0/24", ovs=True)
    a = labmod.vm_add(p, "lma", "host1", "net3", plug="direct")
    b = labmod.vm_add(p, "lmb", "host2", "net3")
    handle = lablib.Lab(p)
    assert wait_for(lambda: handle.ping(a, b["ip"]), 10, "lma -> lmb over OVS")
    st2, restore_s = _timed(labmod.up, p, hosts=2, ovs=True, restore=True)
    assert labmod.status(p)["healthy"] and labmod.status(p)["drift"] == []
    assert untouched <= {x["pid"] for x in st2["processes"]}  # restored in place
    assert [v["name"] for v in st2["vms"]] == [v["name"] for v in st["vms"]]
    labmod.down(p)
    assert _nothing_left(p), _leftovers(p)
    print(f"net-rm --force (OVS) {rm_s:.2f}s, net-add --ovs {add_s:.2f}s, "
          f"up --restore {restore_s:.2f}s")


@pytest.mark.parametrize("lose_state", [False, True])
def test_down_removes_run_time_additions(lab, own_prefix, lose_state):
    p = own_prefix("d")
    labmod.up(p, hosts=2, ovs=False)
    net = labmod.net_add(p, "extra", 160, "10.160.0.0/24", router=True)
    labmod.vm_add(p, "lmv", "host2", "extra")
    labmod.link_set(p, "host1", "eth0", "down")
    assert net["dhcp"]["netns"] in _leftovers(p)["namespaces"]
    if lose_state:
        os.unlink(labmod.state_path(p))
    labmod.down(p)
    assert _nothing_left(p), _leftovers(p)
    assert net["dhcp"]["netns"] not in labmod.netns_list()


def test_interrupted_changes_are_settled(lab, own_prefix):
    p = own_prefix("i")
    st = labmod.up(p, hosts=2, ovs=True)
    built = {x["pid"] for x in st["processes"]}
    env = dict(os.environ, **{labmod.CRASH_VAR: "vm-add:plug"})
    cp = lab_cli("vm-add", "lmz", "--host", "host2", "--network", "net3", "--prefix", p,
                 env=env, check=False)
    assert cp.returncode == 99, cp.stderr
    vm = next(v for v in labmod.load_state(p)["vms"] if v["name"] == "lmz")
    res = labmod.status(p, check_connectivity=False)
    assert not res["healthy"] and "vm-add lmz was interrupted" in " ".join(res["problems"])
    # up settles it in place (no rebuild): the VM is gone, the rest as it was.
    st2 = labmod.up(p, hosts=2, ovs=True)
    assert {x["pid"] for x in st2["processes"]} == built
    assert _no_trace(_vm_traces(lablib.Lab(p), vm)) == {}
    assert labmod.status(p)["healthy"]
    # A net-rm interrupted after its VMs went: the next change finishes it.
    env = dict(os.environ, **{labmod.CRASH_VAR: "net-rm:router"})
    cp = lab_cli("net-rm", "net2", "--force", "--prefix", p, env=env, check=False)
    assert cp.returncode == 99, cp.stderr
    labmod.link_set(p, "host1", "eth1", "up")
    st3 = labmod.load_state(p)
    assert st3["pending"] == [] and "net2" not in {n["name"] for n in st3["networks"]}
    assert f"qdhcp-{labmod.lab_uuid(p, 'network', 'net2')}" not in labmod.netns_list()
    assert labmod.status(p)["healthy"]
    labmod.down(p)
    assert _nothing_left(p), _leftovers(p)
