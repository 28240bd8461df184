"""Cliques, impact analysis and search on the lab (docs/cliques.md).

The lab is scanned once per module into a database of its own; each test
reads it with the real `calipso` binary.  What the cliques and impact must
say is computed from the lab itself, never from calipso: which underlay NIC a
VM's traffic leaves by comes from the kernel (a Linux bridge's VXLAN device
and its underlay `link`, `ip -d link`) and from OVSDB (the VMs plugged into
br-int, and the bridge that holds the tunnels' local address and the NIC).

Tests that change the lab (a VM added, then removed) put it back in a
`finally`.  Names created here start with `cq`.
"""

import json
import shutil
import subprocess

import pytest

from lablib import calipso, ip_json, ovs_json, virsh_domain, virsh_domains, labmod


# ---------------------------------------------------------------------------
# Ground truth from the lab.

def lab_vm_uuids(lab):
    """VM name -> (libvirt UUID, host-side device) from the libvirt files."""
    out = {}
    for h in lab.hosts:
        for name in virsh_domains(h["libvirt"]):
            dom = virsh_domain(h["libvirt"], name)
            target = dom.find("./devices/interface/target")
            out[name] = (dom.findtext("uuid"), target.get("dev") if target is not None else None)
    return out


def kernel_vxlan_nics(lab, host):
    """Bridge name -> underlay NIC of its VXLAN port, from `ip -d link`."""
    links = ip_json(lab.host(host)["netns"], "-d", "link", "show")
    out = {}
    for l in links:
        info = l.get("linkinfo", {})
        if info.get("info_kind") == "vxlan" and l.get("master"):
            out[l["master"]] = info.get("info_data", {}).get("link")
    return out, {l["ifname"]: l for l in links}


def ovs_underlay_nic(lab, host):
    """The NIC the host's OVS tunnels leave by: a system port of the OVS
    bridge whose internal port holds the tunnels' local IP."""
    h = lab.host(host)
    ifaces = ovs_json(h, "Interface")
    local_ips = {i["options"].get("local_ip") for i in ifaces if i["type"] == "vxlan"}
    if not local_ips:
        return None
    bridges = ovs_json(h, "Bridge")
    ports = {p["_uuid"]: p for p in ovs_json(h, "Port")}
    for b in bridges:
        names = [ports[u]["name"] for u in (b["ports"] if isinstance(b["ports"], list)
                                            else [b["ports"]])]
        addrs = ip_json(h["netns"], "-4", "addr", "show", "dev", b["name"])
        ips = {a["local"] for e in addrs for a in e.get("addr_info", [])}
        if ips & local_ips:
            nics = [n for n in names if n != b["name"] and n in ("eth0", "eth1")]
            return nics[0] if nics else None
    return None


def ovs_vms(lab, host):
    """UUIDs of the VMs plugged into the host's OVS (br-int interfaces that
    name a vm-uuid)."""
    return {i["external_ids"]["vm-uuid"] for i in ovs_json(lab.host(host), "Interface")
            if "vm-uuid" in i["external_ids"]}


def vms_behind_nic(lab, host, nic):
    """UUIDs of the VMs of `host` whose traffic leaves by `nic`."""
    vms = lab_vm_uuids(lab)
    bridges, links = kernel_vxlan_nics(lab, host)
    out = set()
    for name, (uuid, tap) in vms.items():
        v = lab.vm(name)
        if v["host"] != host or tap not in links:
            continue
        master = links[tap].get("master")
        if master in bridges and bridges[master] == nic:
            out.add(uuid)
    if ovs_underlay_nic(lab, host) == nic:
        out |= ovs_vms(lab, host)
    return out


# ---------------------------------------------------------------------------
# Fixtures.

@pytest.fixture(scope="module")
def scanned(lab, tmp_path_factory):
    """A database holding one scan of the lab, and helpers to read it."""
    db = str(tmp_path_factory.mktemp("cq") / "calipso.db")
    calipso("env", "add", lab.env_name, "--config", lab.env_file, db=db, json_out=False)
    r = calipso("scan", "--no-progress", db=db, env_name=lab.env_name)
    derived = r.json["result"]["derived"]
    assert derived["cliques"]["changed"] > 0, r
    return db


def run(db, lab, *args, **kw):
    return calipso(*args, db=db, env_name=lab.env_name, **kw)


def instance_id(db, lab, vm):
    objs = run(db, lab, "show", "--type", "instance", "--name", vm).json
    assert len(objs) == 1, objs
    return objs[0]["id"]


def clique(db, lab, focal):
    return run(db, lab, "clique", focal).json


def members(c, type_):
    return [n for n in c["nodes"] if n["type"] == type_]


# ---------------------------------------------------------------------------

def test_every_vm_reaches_its_nic_network_and_switch_port(lab, scanned):
    seen_plugs = set()
    for v in lab.vms:
        uuid = instance_id(scanned, lab, v["name"])
        want_nic = next((n for n in ("eth0", "eth1") if uuid in vms_behind_nic(lab, v["host"], n)),
                        None)
        assert want_nic, f"the lab says no NIC carries {v['name']}"
        c = clique(scanned, lab, uuid)
        assert c["focal_point_type"] == "instance" and c["clique_type"] == "instance"
        pnics = members(c, "host_pnic")
        assert [(p["host"], p["name"]) for p in pnics] == [(v["host"], want_nic)], (v, c)
        net = lab.network(v["network"])
        nets = members(c, "network")
        assert [n["segmentation_id"] for n in nets] == [net["vni"]], (v, nets)
        ports = members(c, "switch_pnic")
        assert [p["name"] for p in ports] == [lab.host(v["host"])["fabric_ports"][want_nic]]
        assert [s["id"] for s in members(c, "switch")] == [lab.environment["switches"][0]["name"]]
        # Its own vNIC only: no neighbour on the same bridge, vedge or otep.
        vnics = members(c, "vnic")
        assert [x["name"] for x in vnics] == [v["tap"]], (v, vnics)
        assert [x["id"] for x in members(c, "instance")] == [uuid]
        bridges = sorted(x["name"] for x in members(c, "vconnector"))
        vedges = members(c, "vedge")
        if v["plug"] == "linuxbridge":
            assert bridges == [v["bridge"]] and not vedges, (v, c)
        elif v["plug"] == "hybrid":
            assert bridges == ["qbr" + v["tap"][3:]] and len(vedges) == 1, (v, c)
        else:
            assert v["plug"] == "direct"
            assert bridges == [] and len(vedges) == 1, (v, c)
        # Every link of the clique joins two of its members.
        ids = {n["id"] for n in c["nodes"]}
        for l in c["links"]:
            assert l["source_id"] in ids and l["target_id"] in ids, l
            if l.get("attributes", {}).get("network"):
                assert l["attributes"]["network"] == nets[0]["id"], l
        seen_plugs.add(v["plug"])
    assert seen_plugs == {"linuxbridge", "hybrid", "direct"}


def test_network_clique_holds_exactly_its_vms_and_services(lab, scanned):
    vms = lab_vm_uuids(lab)
    for net in lab.networks:
        nid = f"vxlan-{net['vni']}"
        c = clique(scanned, lab, nid)
        got = {n["id"] for n in members(c, "instance")}
        want = {vms[v["name"]][0] for v in lab.find_vms(network=net["name"])}
        assert got == want, (net["name"], got, want)
        services = {n["name"] for n in members(c, "vservice")}
        assert net["dhcp"]["netns"] in services, (net, services)
        assert {n["id"] for n in members(c, "network")} == {nid}


def test_dhcp_services_reach_their_network(lab, scanned):
    for net in lab.networks:
        svc = f"{net['dhcp']['host']}:vservice:{net['dhcp']['netns']}"
        c = clique(scanned, lab, svc)
        assert [n["segmentation_id"] for n in members(c, "network")] == [net["vni"]]
        assert len(members(c, "host_pnic")) == 1 and len(members(c, "switch_pnic")) == 1


@pytest.mark.parametrize("nic", ["eth0", "eth1"])
def test_impact_of_a_host_nic_lists_exactly_the_vms_behind_it(lab, scanned, nic):
    checked = 0
    for h in lab.hosts:
        want = vms_behind_nic(lab, h["name"], nic)
        r = run(scanned, lab, "impact", f"{h['name']}:host_pnic:{nic}", "--what-if", "down").json
        lost_vms = {a["focal_point"] for a in r["affected"]
                    if a["focal_point_type"] == "instance" and a["loses_path"]}
        in_cliques = {a["focal_point"] for a in r["affected"]
                      if a["focal_point_type"] == "instance"}
        assert lost_vms == want, (h["name"], nic, lost_vms, want)
        assert in_cliques == want
        assert set(r["lost"]) >= lost_vms
        # Grouped: every affected VM under its host, the switch, its network.
        assert set(r["by_host"].get(h["name"], [])) >= want
        for a in r["affected"]:
            assert a["focal_point"] in r["by_project"][a["project"]]
            for s in a["switches"]:
                assert a["focal_point"] in r["by_switch"][s]
        if want:
            assert any("no OpenStack" in n for n in r["notes"])
        checked += len(want)
    assert checked > 0


def test_impact_of_a_vedge_and_a_bridge(lab, scanned):
    h = lab.hosts[0]["name"]
    r = run(scanned, lab, "impact", f"{h}:vedge:ovs", "--what-if", "down").json
    lost = {a["focal_point"] for a in r["affected"]
            if a["focal_point_type"] == "instance" and a["loses_path"]}
    assert lost == ovs_vms(lab, h)
    lb = [v for v in lab.find_vms(host=h, plug="linuxbridge")]
    assert lb
    vms = lab_vm_uuids(lab)
    r = run(scanned, lab, "impact", f"{h}:vconnector:{lb[0]['bridge']}", "--what-if", "down").json
    lost = {a["focal_point"] for a in r["affected"]
            if a["focal_point_type"] == "instance" and a["loses_path"]}
    assert lost == {vms[v["name"]][0] for v in lab.find_vms(host=h) if v.get("bridge") ==
                    lb[0]["bridge"]}
    # A project filter nobody has keeps nothing.
    r = run(scanned, lab, "impact", f"{h}:vedge:ovs", "--project", "cq-none").json
    assert r["affected"] == [] and r["cliques"] > 0


def test_search_finds_vms_by_name_ip_and_mac(lab, scanned):
    vms = lab_vm_uuids(lab)
    for v in lab.vms[:4]:
        hits = run(scanned, lab, "search", v["name"]).json
        assert hits[0]["id"] == vms[v["name"]][0] and hits[0]["match"] == "exact", hits[:3]
        assert hits[0]["name_path"].endswith("/" + v["name"])
        hits = run(scanned, lab, "search", v["mac"].upper()).json
        assert vms[v["name"]][0] in {x["id"] for x in hits if x["match"] == "exact"}
        hits = run(scanned, lab, "search", v["ip"], "--type", "instance").json
        assert [x["id"] for x in hits if x["match"] == "exact"] == [vms[v["name"]][0]], hits
    hits = run(scanned, lab, "search", "172.31.25", "--type", "host_pnic").json
    assert hits and all(x["type"] == "host_pnic" and x["match"] == "prefix" for x in hits)


def test_dot_is_graphviz(lab, scanned):
    uuid = instance_id(scanned, lab, lab.vms[0]["name"])
    r = run(scanned, lab, "clique", uuid, "--dot", json_out=False)
    assert r.stdout.startswith("digraph ")
    if shutil.which("dot") is None:
        pytest.skip("graphviz's dot is not installed")
    cp = subprocess.run(["dot", "-Tsvg"], input=r.stdout, capture_output=True, text=True,
                        timeout=60)
    assert cp.returncode == 0, cp.stderr
    assert "<svg" in cp.stdout and lab.vms[0]["name"] in cp.stdout


def test_constants_list_types_and_link_types(scanned, lab):
    c = run(scanned, lab, "constants").json
    types = {t["type"]: t for t in c["object_types"]}
    assert {"instance", "vnic", "vconnector", "vedge", "otep", "host_pnic", "network",
            "switch", "switch_pnic"} <= set(types)
    assert any(a["name"] == "stats" and a["volatile"] for a in types["vedge"]["attributes"])
    links = {l["link_type"] for l in c["link_types"]}
    scanned_types = {l["link_type"] for l in run(scanned, lab, "links").json}
    assert scanned_types <= links, scanned_types - links


def test_clique_types_add_select_rm(lab, scanned, tmp_path):
    t = {"id": "cq-short", "focal_point_type": "instance", "environment": lab.env_name,
         "link_types": ["instance-vnic", "vnic-vconnector"]}
    f = tmp_path / "type.json"
    f.write_text(json.dumps(t))
    run(scanned, lab, "clique-type", "add", str(f), json_out=False)
    try:
        sel = run(scanned, lab, "clique-type", "select", "instance").json
        assert sel["id"] == "cq-short"
        listed = {x["id"]: x for x in run(scanned, lab, "clique-type", "list").json}
        assert listed["cq-short"]["in_use"] and not listed["instance"]["in_use"]
        r = run(scanned, lab, "clique-type", "add", str(f), json_out=False, expect=2)
        assert "exists" in r.stderr
        r = run(scanned, lab, "clique", "--rebuild").json
        assert r["changed"] >= len(lab.vms)
        c = clique(scanned, lab, instance_id(scanned, lab, lab.vms[0]["name"]))
        assert c["clique_type"] == "cq-short" and not members(c, "host_pnic")
    finally:
        run(scanned, lab, "clique-type", "rm", "cq-short", json_out=False)
        run(scanned, lab, "clique", "--rebuild")
    assert run(scanned, lab, "clique-type", "select", "instance").json["id"] == "instance"
    run(scanned, lab, "clique-type", "rm", "instance", json_out=False, expect=2)


def test_vm_added_then_removed(lab, db_path):
    """Cliques follow the lab through scans, incrementally, and keep their
    history."""
    calipso("env", "add", lab.env_name, "--config", lab.env_file, db=db_path, json_out=False)
    first = calipso("scan", "--no-progress", db=db_path, env_name=lab.env_name).json
    total = first["result"]["derived"]["cliques"]["focal_points"]
    host = lab.hosts[1]["name"]
    added = False
    try:
        labmod.vm_add(lab.prefix, "cqvm1", host, "net3", plug="direct")
        added = True
        lab.reload()
        r = calipso("scan", "--no-progress", db=db_path, env_name=lab.env_name).json
        cs = r["result"]["derived"]["cliques"]
        assert 0 < cs["recomputed"] < total, cs
        uuid = calipso("show", "--type", "instance", "--name", "cqvm1", db=db_path,
                       env_name=lab.env_name).json[0]["id"]
        c = calipso("clique", uuid, db=db_path, env_name=lab.env_name).json
        assert uuid in vms_behind_nic(lab, host, "eth1")
        assert [p["name"] for p in members(c, "host_pnic")] == ["eth1"]
        r = calipso("impact", f"{host}:host_pnic:eth1", "--what-if", "down", db=db_path,
                    env_name=lab.env_name).json
        assert uuid in r["lost"]
        before_rm = calipso("show", uuid, db=db_path, env_name=lab.env_name).json
        assert before_rm["id"] == uuid
        labmod.vm_rm(lab.prefix, "cqvm1")
        added = False
        lab.reload()
        calipso("scan", "--no-progress", db=db_path, env_name=lab.env_name)
        calipso("clique", uuid, db=db_path, env_name=lab.env_name, expect=3)
        hist = calipso("history", uuid, db=db_path, env_name=lab.env_name).json
        gone_at = hist[-1]["valid_to"]
        assert gone_at
        # As it was just before it went.
        old = calipso("clique", uuid, "--at", just_before(gone_at), db=db_path,
                      env_name=lab.env_name).json
        assert old["focal_point"] == uuid
        assert [p["name"] for p in members(old, "host_pnic")] == ["eth1"]
        # Incremental refreshes left nothing for a full recomputation.
        assert calipso("clique", "--rebuild", db=db_path, env_name=lab.env_name).json[
            "changed"] == 0
    finally:
        if added:
            labmod.vm_rm(lab.prefix, "cqvm1")
        lab.reload()


def just_before(rfc3339):
    """The RFC 3339 time one microsecond before `rfc3339` (history's times)."""
    from datetime import datetime, timedelta
    t = datetime.strptime(rfc3339, "%Y-%m-%dT%H:%M:%S.%fZ") - timedelta(microseconds=1)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_simulated_cloud_through_the_cli(db_path):
    """`calipso sim` commits a cloud through the whole pipeline; a churned
    scan refreshes cliques and the index incrementally, leaving nothing for
    a full recomputation.  No lab needed."""
    size = ["--hosts", "6", "--vms", "60", "--networks", "8", "--seed", "3"]
    r = calipso("sim", *size, db=db_path, env_name="cqsim").json
    assert r["counts"]["objects"]["added"] > 60
    assert r["derived"]["cliques"]["changed"] == r["derived"]["cliques"]["focal_points"]
    cliques = calipso("clique", "--type", "instance", db=db_path, env_name="cqsim").json
    assert len(cliques) == 60
    assert all(c["switches"] == ["fabric"] and len(c["networks"]) == 1 for c in cliques)
    hits = calipso("search", "vm-000007", db=db_path, env_name="cqsim").json
    assert hits[0]["type"] == "instance" and hits[0]["match"] == "exact"
    r = calipso("impact", "host0001:host_pnic:eth1", "--what-if", "down", db=db_path,
                env_name="cqsim").json
    assert r["object"]["type"] == "host_pnic" and r["cliques"] > 0
    text = calipso("impact", "host0001:host_pnic:eth1", "--what-if", "down", db=db_path,
                   env_name="cqsim", json_out=False).stdout
    assert "lose their path to the wire" in text and "by switch:" in text
    r = calipso("sim", *size, "--churn", "10", db=db_path, env_name="cqsim").json
    cs = r["derived"]["cliques"]
    assert 0 < cs["changed"] <= cs["recomputed"] < len(cliques) + 20
    assert r["derived"]["search"]["full"] is False
    assert calipso("clique", "--rebuild", db=db_path, env_name="cqsim").json["changed"] == 0
    # The reports alone, in the documented format.
    out = calipso("sim", "--hosts", "2", "--vms", "3", "--networks", "2", "--out", "-",
                  db=db_path, json_out=False).stdout
    reports = json.loads(out)
    assert [r["format"] for r in reports] == ["calipso-host-report/1"] * 3
    assert reports[-1]["role"] == "switch"
    # A real environment is never overwritten.
    calipso("env", "add", "cqreal", db=db_path, json_out=False)
    r = calipso("sim", *size, db=db_path, env_name="cqreal", expect=2, json_out=False)
    assert "not a simulated one" in r.stderr
