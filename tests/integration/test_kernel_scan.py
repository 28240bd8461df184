"""test_kernel_scan.py - the kernel source (cal_kernel_scan) on real kernel
objects, through tests/tools/kernel_dump, compared with what `ip`, `bridge`
and /proc say about the same objects.

The fixture builds its own small topology with the prefix nlt-<pid>-: three
named namespaces (a, b, c) with veths across them (two ends of one pair
share a name on purpose), a bridge with ports, a vxlan with FDB remotes, a
tap, a macvlan, IPv4/IPv6 addresses, and an unnamed namespace held by a
process (`unshare --net --uts`, its own hostname) with a veth into `a`.
Teardown kills that process and deletes the namespaces, whatever happened.
Nothing is sent anywhere; the root namespace's interfaces are not touched.

Needs root, iproute2 and util-linux's unshare/setpriv, and a build with
tests/tools/kernel_dump ($CALIPSO_BUILD, else derived from $CALIPSO_BIN,
else ./build).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lablib import build_dir, run, wait_for  # noqa: E402

KERNEL_DUMP = os.path.join(build_dir(), "tests", "tools", "kernel_dump")
P = "nlt-%d" % (os.getpid() % 100000)

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
    pytest.mark.skipif(shutil.which("ip") is None or shutil.which("unshare") is None,
                       reason="iproute2 and unshare are needed"),
    pytest.mark.skipif(not os.access(KERNEL_DUMP, os.X_OK),
                       reason="tests/tools/kernel_dump not built at " + KERNEL_DUMP),
]


def kernel_dump(*args, user=None, timeout=60):
    """Runs kernel_dump, returns (parsed JSON, stderr); fails on exit != 0."""
    argv = [KERNEL_DUMP, "-c", *args]
    if user is not None:
        argv = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups"] + argv
    cp = run(argv, timeout=timeout)
    return json.loads(cp.stdout), cp.stderr


def ns_ip(ns, *args):
    out = run(["ip", "-n", ns, "-j", *args]).stdout.strip()
    return json.loads(out) if out else []


def by_name(scan):
    return {n["name"]: n for n in scan["namespaces"] if n["named"]}


def link(ns_entry, name):
    for l in ns_entry["links"]:
        if l["name"] == name:
            return l
    raise AssertionError("no link %r in %s: %s" % (name, ns_entry["key"],
                                                  [l["name"] for l in ns_entry["links"]]))


def ns_key_of_pid(pid):
    return "ns:%d" % os.stat("/proc/%d/ns/net" % pid).st_ino


class Topo:
    def __init__(self):
        self.a, self.b, self.c = P + "-a", P + "-b", P + "-c"
        self.namespaces = []
        self.pids = []


def _add_ns(topo, name):
    run(["ip", "netns", "add", name])
    topo.namespaces.append(name)
    run(["ip", "-n", name, "link", "set", "lo", "up"])


def _spawn_holder(topo, hostname):
    """A process in a new network and UTS namespace, named nowhere."""
    p = subprocess.Popen(["unshare", "--net", "--uts", "sh", "-c",
                          "hostname %s && exec sleep 600" % hostname])
    topo.pids.append(p)
    # Ready when the process (after exec) is sleep in its own namespace.
    wait_for(lambda: os.readlink("/proc/%d/ns/net" % p.pid) != os.readlink("/proc/self/ns/net")
             and open("/proc/%d/comm" % p.pid).read().strip() == "sleep",
             timeout=10, what="the unshared sleep to start")
    return p


def _teardown(topo):
    for p in topo.pids:
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            p.wait(timeout=10)
    for ns in topo.namespaces:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


@pytest.fixture(scope="module")
def topo():
    t = Topo()
    try:
        for ns in (t.a, t.b, t.c):
            _add_ns(t, ns)
        a = ["ip", "-n", t.a]
        # Across namespaces, and a pair whose two ends share a name.
        run(a + ["link", "add", "nlt-a0", "type", "veth", "peer", "name", "nlt-b0",
                 "netns", t.b])
        run(a + ["link", "add", "nlt-same", "type", "veth", "peer", "name", "nlt-same",
                 "netns", t.c])
        # A bridge with a veth port (peer in the same namespace), a tap and
        # a vxlan with FDB remotes over nlt-a0.
        run(a + ["link", "add", "nlt-p0", "type", "veth", "peer", "name", "nlt-p1"])
        run(a + ["link", "add", "nlt-br", "type", "bridge"])
        run(a + ["tuntap", "add", "nlt-tap", "mode", "tap"])
        run(a + ["addr", "add", "10.77.0.1/24", "dev", "nlt-a0"])
        run(a + ["addr", "add", "fd77::1/64", "dev", "nlt-a0", "nodad"])
        run(a + ["link", "add", "nlt-vx", "type", "vxlan", "id", "77", "local", "10.77.0.1",
                 "dstport", "4789", "dev", "nlt-a0", "nolearning"])
        for dst in ("10.77.0.2", "10.77.0.3"):
            run(["bridge", "-n", t.a, "fdb", "append", "00:00:00:00:00:00", "dev", "nlt-vx",
                 "dst", dst])
        for port in ("nlt-p0", "nlt-tap", "nlt-vx"):
            run(a + ["link", "set", port, "master", "nlt-br"])
        run(a + ["link", "add", "nlt-mv", "link", "nlt-a0", "type", "macvlan", "mode",
                 "private"])
        for l in ("nlt-a0", "nlt-p0", "nlt-p1", "nlt-br", "nlt-vx", "nlt-same"):
            run(a + ["link", "set", l, "up"])
        run(["ip", "-n", t.b, "addr", "add", "10.77.0.2/24", "dev", "nlt-b0"])
        run(["ip", "-n", t.b, "link", "set", "nlt-b0", "up"])
        # A container-like namespace: only a process holds it.
        t.hostname = P + "-ct"
        t.holder = _spawn_holder(t, t.hostname)
        run(a + ["link", "add", "nlt-u0", "type", "veth", "peer", "name", "nlt-u1", "netns",
                 str(t.holder.pid)])
        yield t
    finally:
        _teardown(t)


def test_veth_peers_resolve_to_namespace_and_index(topo):
    scan, _ = kernel_dump()
    ns = by_name(scan)
    a, b, c = ns[topo.a], ns[topo.b], ns[topo.c]

    a0 = link(a, "nlt-a0")
    assert a0["kind"] == "veth"
    assert a0["veth"]["peer_netns"] == b["key"]
    assert a0["veth"]["peer_ifindex"] == ns_ip(topo.b, "link", "show", "nlt-b0")[0]["ifindex"]
    b0 = link(b, "nlt-b0")
    assert b0["veth"] == {"peer_netns": a["key"], "peer_ifindex": a0["ifindex"]}
    assert b0["link_netns"] == a["key"]

    # Same name at both ends, in different namespaces: resolved by nsid.
    s_a, s_c = link(a, "nlt-same"), link(c, "nlt-same")
    assert s_a["veth"] == {"peer_netns": c["key"], "peer_ifindex": s_c["ifindex"]}
    assert s_c["veth"] == {"peer_netns": a["key"], "peer_ifindex": s_a["ifindex"]}

    # Peer in the same namespace: own key.
    p0, p1 = link(a, "nlt-p0"), link(a, "nlt-p1")
    assert p0["veth"] == {"peer_netns": a["key"], "peer_ifindex": p1["ifindex"]}
    assert "link_netns" not in p0

    # Peer in the namespace only a process holds.
    u0 = link(a, "nlt-u0")
    assert u0["veth"]["peer_netns"] == ns_key_of_pid(topo.holder.pid)
    held = [n for n in scan["namespaces"] if n["key"] == ns_key_of_pid(topo.holder.pid)][0]
    assert u0["veth"]["peer_ifindex"] == link(held, "nlt-u1")["ifindex"]
    assert link(held, "nlt-u1")["veth"] == {"peer_netns": a["key"],
                                            "peer_ifindex": u0["ifindex"]}


def test_bridge_ports_vxlan_and_fdb(topo):
    scan, _ = kernel_dump()
    a = by_name(scan)[topo.a]
    br = link(a, "nlt-br")
    assert br["kind"] == "bridge"
    assert sorted(br["bridge"]["ports"]) == ["nlt-p0", "nlt-tap", "nlt-vx"]
    assert br["bridge"]["stp"] is False
    for port in br["bridge"]["ports"]:
        assert link(a, port)["master"] == "nlt-br"
        assert link(a, port)["master_ifindex"] == br["ifindex"]

    vx = link(a, "nlt-vx")["vxlan"]
    assert (vx["vni"], vx["local"], vx["remote"], vx["port"], vx["underlay"]) == \
        (77, "10.77.0.1", None, 4789, "nlt-a0")
    want = {(e["mac"], e["dst"])
            for e in json.loads(run(["bridge", "-n", topo.a, "-j", "fdb", "show", "dev",
                                     "nlt-vx"]).stdout)
            if "dst" in e}
    assert want == {("00:00:00:00:00:00", "10.77.0.2"), ("00:00:00:00:00:00", "10.77.0.3")}
    assert {(e["mac"], e["dst"]) for e in vx["fdb"]} == want

    assert link(a, "nlt-tap")["kind"] == "tap"
    assert link(a, "nlt-tap")["tun"] == {"mode": "tap"}
    mv = link(a, "nlt-mv")
    assert mv["macvlan"] == {"mode": "private", "lower": "nlt-a0"}


def test_links_and_addresses_match_ip(topo):
    scan, _ = kernel_dump()
    ns = by_name(scan)
    held_key = ns_key_of_pid(topo.holder.pid)
    targets = [(topo.a, ns[topo.a], ["ip", "-n", topo.a]),
               (topo.b, ns[topo.b], ["ip", "-n", topo.b]),
               (topo.c, ns[topo.c], ["ip", "-n", topo.c]),
               ("held", [n for n in scan["namespaces"] if n["key"] == held_key][0],
                ["nsenter", "-t", str(topo.holder.pid), "-n", "ip"])]
    for label, entry, ip in targets:
        links = json.loads(run(ip + ["-j", "-d", "link", "show"]).stdout)
        assert sorted(l["ifname"] for l in links) == sorted(l["name"] for l in entry["links"]), \
            label
        for il in links:
            l = link(entry, il["ifname"])
            assert l["ifindex"] == il["ifindex"], (label, il["ifname"])
            assert l["mtu"] == il["mtu"], (label, il["ifname"])
            assert l["operstate"] == il["operstate"].lower(), (label, il["ifname"])
            if il.get("link_type") != "none":
                assert l["mac"] == il["address"], (label, il["ifname"])
            assert l.get("master") == il.get("master"), (label, il["ifname"])
            # ip names the lower/peer device when it is in the same
            # namespace ("link") and gives its index otherwise.
            if "link" in il:
                assert l["link_ifindex"] == link(entry, il["link"])["ifindex"], label
            else:
                assert l.get("link_ifindex") == il.get("link_index"), (label, il["ifname"])
            kind = il.get("linkinfo", {}).get("info_kind")
            if kind and kind != "tun":
                assert l["kind"] == kind, (label, il["ifname"])
            assert set(il["flags"]) - {"M-DOWN"} <= set(l["flags"]), (label, il["ifname"])
        addrs = json.loads(run(ip + ["-j", "addr", "show"]).stdout)
        for ia in addrs:
            want = sorted((x["family"], x["local"], x["prefixlen"], x["scope"])
                          for x in ia.get("addr_info", []))
            got = sorted((x["family"], x["address"], x["prefixlen"], x["scope"])
                         for x in link(entry, ia["ifname"])["addresses"])
            assert got == want, (label, ia["ifname"])
    a0 = link(ns[topo.a], "nlt-a0")
    assert {(x["family"], x["address"]) for x in a0["addresses"]} >= \
        {("inet", "10.77.0.1"), ("inet6", "fd77::1")}


def test_process_held_namespace_found_with_its_process(topo):
    scan, _ = kernel_dump()
    key = ns_key_of_pid(topo.holder.pid)
    held = [n for n in scan["namespaces"] if n["key"] == key]
    assert len(held) == 1
    held = held[0]
    assert held["named"] is False and held["name"] == "" and held["root"] is False
    assert held["inode"] == os.stat("/proc/%d/ns/net" % topo.holder.pid).st_ino
    procs = {p["pid"]: p for p in held["processes"]}
    assert topo.holder.pid in procs
    p = procs[topo.holder.pid]
    assert p["comm"] == "sleep"
    assert p["cmdline"] == "sleep 600"
    assert p["uts"] == topo.hostname and p["uts_own"] is True
    assert held["process_count"] >= 1
    # One entry per namespace, whatever the number of processes in it.
    assert len({n["key"] for n in scan["namespaces"]}) == len(scan["namespaces"])


def test_root_processes_are_filtered_to_daemons(topo, tmp_path):
    # A harmless stand-in named like a daemon (a copy of sleep), and a
    # plain sleep: only the first is kept for the root namespace.
    fake = tmp_path / "dnsmasq"
    shutil.copy("/bin/sleep", fake)
    # A script run by an interpreter is known by its argument.
    script = tmp_path / "neutron-nlt-agent"
    script.write_text("sleep 600\n")
    daemon = subprocess.Popen([str(fake), "600"])
    plain = subprocess.Popen(["sleep", "600"])
    # Its own process group, so that its sleep goes with it.
    agent = subprocess.Popen(["sh", str(script)], start_new_session=True)
    try:
        wait_for(lambda: open("/proc/%d/comm" % daemon.pid).read().strip() == "dnsmasq",
                 timeout=10, what="the stand-in to start")
        wait_for(lambda: str(script) in open("/proc/%d/cmdline" % agent.pid).read(),
                 timeout=10, what="the script to start")
        scan, _ = kernel_dump()
        root = [n for n in scan["namespaces"] if n["root"]][0]
        pids = {p["pid"] for p in root["processes"]}
        assert daemon.pid in pids and plain.pid not in pids
        assert agent.pid in pids
        assert root["process_count"] > len(root["processes"])
        mine = [p for p in root["processes"] if p["pid"] == daemon.pid][0]
        assert mine["uts_own"] is False and mine["uts"] == os.uname().nodename
        scan, _ = kernel_dump("-a")
        root = [n for n in scan["namespaces"] if n["root"]][0]
        assert len(root["processes"]) <= 64
    finally:
        os.killpg(agent.pid, signal.SIGKILL)
        for p in (daemon, plain, agent):
            p.kill()
            p.wait(timeout=10)


def test_only_named_namespaces_when_asked(topo):
    scan, _ = kernel_dump("-n", topo.b, "-n", P + "-missing")
    names = sorted(n["name"] for n in scan["namespaces"] if not n["root"])
    assert names == [topo.b]
    assert any("'%s-missing'" % P in e for e in scan["errors"])


def test_unprivileged_reads_root_and_names_the_rest(topo):
    scan, _ = kernel_dump(user=65534)
    assert [n["root"] for n in scan["namespaces"]] == [True]
    assert any(l["name"] == "lo" for l in scan["namespaces"][0]["links"])
    for name in (topo.a, topo.b, topo.c):
        assert "cannot enter namespace '%s': Operation not permitted" % name in scan["errors"]


def test_namespaces_deleted_during_scans(topo):
    """Namespaces disappear while scans run: every scan still succeeds."""
    doomed = ["%s-d%d" % (P, i) for i in range(16)]
    for ns in doomed:
        _add_ns(topo, ns)
        run(["ip", "-n", ns, "link", "add", "nlt-d0", "type", "veth", "peer", "name",
             "nlt-d1"])
    stop = threading.Event()

    def deleter():
        for ns in doomed:
            if stop.is_set():
                return
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
            time.sleep(0.005)

    th = threading.Thread(target=deleter)
    th.start()
    scans = 0
    try:
        while th.is_alive() or scans < 3:
            scan, _ = kernel_dump()
            scans += 1
            assert any(n["root"] for n in scan["namespaces"])
            # Whatever was seen of a doomed namespace is complete or absent.
            for n in scan["namespaces"]:
                if n["name"] in doomed:
                    assert [l["name"] for l in n["links"]].count("nlt-d0") == 1
            for e in scan["errors"]:
                assert "vanished" in e or "cannot" in e or "is not mounted" in e, e
            if scans > 200:
                break
    finally:
        stop.set()
        th.join()
    assert scans >= 3
    scan, _ = kernel_dump()
    assert not set(doomed) & set(by_name(scan))
