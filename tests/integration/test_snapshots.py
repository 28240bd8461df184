"""test_snapshots.py - snapshots, diff, design drift, time travel,
retention and reports on the lab (docs/snapshots.md).

One scenario for the module, on the session lab (its changes are undone by
lab.ensure_up() at the end, even on failure): a network `sn9` is added and
scanned; snapshot `before` (with --scan); then the operator's changes: a VM
`snvm` is added on host2 (net1), `sn9` is deleted, and the tunnel interface
of host3 (eth0, the kernel VXLAN underlay) is set down; a scan.  The tests
then check that:

- `diff before live` reports exactly those changes, against ground truth
  taken from the lab's own record (state.json: the VM's uuid and tap, the
  network's bridge and DHCP namespace, the host's fabric port) and from a
  full comparison of `show --at` and `show` (volatile fields dropped);
- a clique-scoped diff shows only that clique's changes;
- `diff design:X live` reports the drift, and a design file round-trips;
- `show/links/clique/impact --at` read the past;
- pruning keeps every kept snapshot's `show --at` output byte-identical;
- bad input (unknown snapshots, malformed design files, impossible times)
  exits 2 naming the input;
- reports are self-contained HTML with the clique graphs, and are kept.
"""

import json
import os
import re

import pytest

from lablib import calipso, labmod

NET = "sn9"
NET_VNI = 190
NET_CIDR = "10.190.0.0/24"
VM = "snvm"


def _volatile_fields(db):
    """{type: set(fields)} and the common ones, from `calipso constants`."""
    c = calipso("constants", db=db).json
    common = {a["name"] for a in c["common_attributes"] if a["volatile"]}
    per_type = {t["type"]: {a["name"] for a in t["attributes"] if a["volatile"]}
                for t in c["object_types"]}
    return common, per_type


def _stable(doc, common, per_type):
    drop = common | per_type.get(doc.get("type"), set())
    return {k: v for k, v in doc.items() if k not in drop and k != "links"}


def _full_diff(before, after):
    """(added, removed, changed) ids of two {id: doc} maps."""
    added = set(after) - set(before)
    removed = set(before) - set(after)
    changed = {i for i in set(before) & set(after) if before[i] != after[i]}
    return added, removed, changed


def _ids(diff, section, part):
    return {e["id"] for e in diff[section][part]}


@pytest.fixture(scope="module")
def world(lab, tmp_path_factory):
    """The scenario; yields what the tests read."""
    db = str(tmp_path_factory.mktemp("snapshots") / "calipso.db")
    env = lab.env_name
    w = {"db": db, "env": env}
    try:
        calipso("env", "add", env, "--config", lab.env_file, "--replace", db=db,
                json_out=False)
        labmod.net_add(lab.prefix, NET, NET_VNI, NET_CIDR)
        lab.reload()
        net = lab.network(NET)
        w["net"] = net
        snap = calipso("snapshot", "create", "before", "--scan", "--note", "before the change",
                       db=db, env_name=env).json
        w["before"] = snap
        # What `show --at` and `links --at` print for the snapshot, now.
        w["before_show"] = calipso("show", "--at", snap["time"], db=db, env_name=env,
                                   json_out=False).stdout
        w["before_links"] = calipso("links", "--at", snap["time"], db=db, env_name=env,
                                    json_out=False).stdout
        # A clique-scoped "pre" snapshot of a VM on host3, whose path to the
        # wire crosses host3's eth0.
        vm3 = lab.find_vms(host="host3", network="net1")[0]
        w["vm3"] = vm3
        calipso("snapshot", "create", "pre", "--clique", vm3["uuid"], db=db, env_name=env)
        # The operator's changes.
        labmod.vm_add(lab.prefix, VM, "host2", "net1")
        labmod.net_rm(lab.prefix, NET)
        labmod.link_set(lab.prefix, "host3", "eth0", "down")
        lab.reload()
        w["vm"] = lab.vm(VM)
        calipso("scan", "--no-progress", db=db, env_name=env)
        w["after"] = calipso("snapshot", "create", "after", db=db, env_name=env).json
        w["diff"] = calipso("diff", "before", "live", db=db, env_name=env, expect=1).json
        yield w
    finally:
        lab.ensure_up()


def test_diff_reports_exactly_the_changes(world, lab):
    d = world["diff"]
    vm, net = world["vm"], world["net"]
    h3 = lab.host("host3")
    fabric_port = f"fabric:switch_pnic:{h3['fabric_ports']['eth0']}"
    eth0 = "host3:host_pnic:eth0"
    net1_bridge = lab.network("net1")["bridge"]
    dhcp = net["dhcp"]
    before_links = {l["id"]: l for l in
                    calipso("links", "--at", world["before"]["time"], db=world["db"],
                            env_name=world["env"]).json}
    before_objs = {o["id"]: o for o in
                   calipso("show", "--at", world["before"]["time"], db=world["db"],
                           env_name=world["env"]).json}

    # Added: the VM and its vNIC; removed: the network, its bridge on every
    # host, its DHCP service and port.
    assert _ids(d, "objects", "added") == {vm["uuid"], f"host2:vnic:{vm['tap']}"}
    assert _ids(d, "objects", "removed") == (
        {f"{h['name']}:vconnector:{net['bridge']}" for h in lab.hosts} |
        {f"vxlan-{NET_VNI}", f"host1:vservice:{dhcp['netns']}",
         f"host1:vnic:{dhcp['netns']}/{dhcp['ns_dev']}"})
    # Changed: host3's eth0 and its fabric port (down), the kernel tunnel
    # endpoints that carried VNI 190, the bridge the VM joined.
    oteps_190 = {i for i, o in before_objs.items()
                 if o["type"] == "otep" and NET_VNI in o.get("vnis", [])}
    assert len(oteps_190) == len(lab.hosts)
    assert _ids(d, "objects", "changed") == {eth0, fabric_port,
                                             f"host2:vconnector:{net1_bridge}"} | oteps_190
    changed = {e["id"]: e for e in d["objects"]["changed"]}
    fields = {f["field"]: f for f in changed[eth0]["fields"]}
    assert fields["operstate"]["before"] == "up" and fields["operstate"]["after"] == "down"
    assert any(f["field"] == f"interfaces[{vm['tap']}]" and f["before"] is None
               for f in changed[f"host2:vconnector:{net1_bridge}"]["fields"])
    for o in oteps_190:
        assert {f["field"] for f in changed[o]["fields"]} >= {"vnis"}
        vnis = next(f for f in changed[o]["fields"] if f["field"] == "vnis")
        assert vnis["removed"] == [NET_VNI]
    # Links: the VM's two added, the network's removed, and every link of
    # eth0 and of its fabric port that survives now down.
    assert _ids(d, "links", "added") == {
        f"{vm['uuid']}|instance-vnic|host2:vnic:{vm['tap']}",
        f"host2:vnic:{vm['tap']}|vnic-vconnector|host2:vconnector:{net1_bridge}"}
    removed_links = _ids(d, "links", "removed")
    assert removed_links and all(f"vxlan-{NET_VNI}" in l or net["bridge"] in l or
                                 dhcp["netns"] in l for l in removed_links), removed_links
    touching = {i for i, l in before_links.items()
                if eth0 in (l["source_id"], l["target_id"]) or
                fabric_port in (l["source_id"], l["target_id"])}
    assert _ids(d, "links", "changed") == touching - removed_links
    for l in d["links"]["changed"]:
        assert [f["field"] for f in l["fields"]] == ["state"]
        assert l["fields"][0]["before"] == "up" and l["fields"][0]["after"] == "down"
    s = d["summary"]
    assert s["objects_added"] == 2 and s["links_added"] == 2
    assert s["objects_removed"] == 3 + len(lab.hosts)
    # Cliques: the new VM's is added, the DHCP service's and the network's
    # are removed; nothing about cliques the changes do not touch.
    cl = {c["focal_point"]: c for c in d["cliques"]}
    assert cl[vm["uuid"]]["change"] == "added"
    assert cl[f"host1:vservice:{dhcp['netns']}"]["change"] == "removed"
    assert cl[f"vxlan-{NET_VNI}"]["change"] == "removed"
    untouched = lab.find_vms(host="host1", network="net3")
    assert all(v["uuid"] not in cl for v in untouched)


def test_diff_equals_a_full_comparison(world):
    """The diff reads only revisions between the two times; it must agree
    with comparing the two whole inventories."""
    db, env = world["db"], world["env"]
    common, per_type = _volatile_fields(db)
    t = world["before"]["time"]
    before = {o["id"]: _stable(o, common, per_type)
              for o in calipso("show", "--at", t, db=db, env_name=env).json}
    after = {o["id"]: _stable(o, common, per_type)
             for o in calipso("show", db=db, env_name=env).json}
    added, removed, changed = _full_diff(before, after)
    d = world["diff"]
    assert _ids(d, "objects", "added") == added
    assert _ids(d, "objects", "removed") == removed
    # Arrays of named elements in another order are no change for the diff.
    assert _ids(d, "objects", "changed") <= changed
    lb = {l["id"]: _stable(l, common, {}) for l in
          calipso("links", "--at", t, db=db, env_name=env).json}
    la = {l["id"]: _stable(l, common, {}) for l in
          calipso("links", db=db, env_name=env).json}
    added, removed, changed = _full_diff(lb, la)
    assert _ids(d, "links", "added") == added
    assert _ids(d, "links", "removed") == removed
    assert _ids(d, "links", "changed") == changed
    # And the other way round, the mirror image.
    r = calipso("diff", "live", "before", db=db, env_name=env, expect=1).json
    assert _ids(r, "objects", "added") == _ids(d, "objects", "removed")
    assert _ids(r, "links", "removed") == _ids(d, "links", "added")


def test_clique_scoped_diff(world, lab):
    db, env, vm3 = world["db"], world["env"], world["vm3"]
    d = calipso("diff", "before", "live", "--scope", f"clique:{vm3['uuid']}", db=db,
                env_name=env, expect=1).json
    clique = calipso("clique", vm3["uuid"], "--at", world["before"]["time"], db=db,
                     env_name=env).json
    members = {n["id"] for n in clique["nodes"]}
    links = {l["id"] for l in clique["links"]}
    got = _ids(d, "objects", "added") | _ids(d, "objects", "removed") | \
        _ids(d, "objects", "changed")
    assert got and got <= members
    assert "host3:host_pnic:eth0" in got
    assert (_ids(d, "links", "changed") | _ids(d, "links", "removed")) <= links
    assert world["vm"]["uuid"] not in json.dumps(d)
    # The clique-scoped snapshot implies the same scope.
    p = calipso("diff", "pre", "live", db=db, env_name=env, expect=1).json
    assert p["scope"] == f"clique:{vm3['uuid']}"
    assert _ids(p, "objects", "changed") == _ids(d, "objects", "changed")
    # A VM whose path does not cross the changes: no difference, exit 0.
    quiet = lab.find_vms(host="host1", network="net3", plug="direct")[0]
    q = calipso("diff", "before", "live", "--scope", f"clique:{quiet['uuid']}", db=db,
                env_name=env, expect=0).json
    assert q["equal"] is True


def test_design_drift(world, tmp_path):
    db, env = world["db"], world["env"]
    calipso("design", "set", "asbuilt", "--from", "before", db=db, env_name=env)
    assert calipso("diff", "design:asbuilt", "before", db=db, env_name=env,
                   expect=0).json["equal"]
    drift = calipso("diff", "design:asbuilt", "live", db=db, env_name=env, expect=1).json
    d = world["diff"]
    for section in ("objects", "links"):
        for part in ("added", "removed", "changed"):
            assert _ids(drift, section, part) == _ids(d, section, part), (section, part)
    # Export, edit (let anything else on host3 vary), import, compare.
    text = calipso("design", "export", "before", db=db, env_name=env, json_out=False).stdout
    assert text.startswith("# Calipso design")
    path = tmp_path / "design.yaml"
    path.write_text(text)
    calipso("design", "import", str(path), "fromfile", db=db, env_name=env)
    assert calipso("diff", "design:fromfile", "design:asbuilt", db=db, env_name=env,
                   expect=0).json["equal"]
    loose = json.loads(calipso("design", "show", "fromfile", db=db, env_name=env).stdout)
    loose["objects"] = [o for o in loose["objects"] if o.get("host") != "host3"]
    loose["objects"].append({"id": "host3:*", "$count": "1..", "*": "*"})
    loose["links"] = [l for l in loose["links"] if l.get("host") != "host3"]
    loose["links"].append({"id": "host3:*", "$count": "0..", "*": "*"})
    (tmp_path / "loose.json").write_text(json.dumps(loose))
    calipso("design", "import", str(tmp_path / "loose.json"), "loose", db=db, env_name=env)
    ld = calipso("diff", "design:loose", "live", db=db, env_name=env, expect=1).json
    assert "host3:host_pnic:eth0" not in _ids(ld, "objects", "changed")
    assert world["vm"]["uuid"] in _ids(ld, "objects", "added")
    names = [d["name"] for d in calipso("design", "list", db=db, env_name=env).json]
    assert names == ["asbuilt", "fromfile", "loose"]


def test_time_travel(world, lab):
    db, env = world["db"], world["env"]
    t = world["before"]["time"]
    # The snapshot's time and its name read the same.
    by_name = calipso("show", "--at", "before", db=db, env_name=env, json_out=False).stdout
    assert by_name == world["before_show"]
    eth0 = calipso("show", "host3:host_pnic:eth0", "--at", t, db=db, env_name=env).json
    assert eth0["operstate"] == "up"
    assert calipso("show", "host3:host_pnic:eth0", db=db,
                   env_name=env).json["operstate"] == "down"
    # The VM added later has no clique at the snapshot; it has one now.
    calipso("clique", world["vm"]["uuid"], "--at", t, db=db, env_name=env, json_out=False,
            expect=3)
    calipso("clique", world["vm"]["uuid"], db=db, env_name=env)
    imp = calipso("impact", "host3:host_pnic:eth0", "--at", t, db=db, env_name=env).json
    assert world["vm3"]["uuid"] in json.dumps(imp)
    gone = calipso("impact", f"host1:vservice:{world['net']['dhcp']['netns']}", "--at", t,
                   db=db, env_name=env).json
    assert gone["cliques"] >= 1


def test_bad_input_is_named(world, tmp_path):
    db, env = world["db"], world["env"]
    cases = [
        (("diff", "before", "nosuch"), "nosuch"),
        (("diff", "snapshot:nosuch", "live"), "nosuch"),
        (("diff", "design:nosuch", "live"), "nosuch"),
        (("diff", "before", "2999-01-01"), "future"),
        (("diff", "2001-01-01", "live"), "2001-01-01"),
        (("diff", "2026-13-45", "live"), "2026-13-45"),
        (("diff", "before", "live", "--scope", "rack:1"), "rack:1"),
        (("snapshot", "show", "nosuch"), "nosuch"),
        (("snapshot", "create", "live"), "live"),
        (("snapshot", "create", "2026-11-25"), "2026-11-25"),
        (("show", "--at", "2999-01-01"), "future"),
        (("clique", "x", "--at", "nosuch"), "nosuch"),
        (("report", "diff", "before", "nosuch", "--no-keep"), "nosuch"),
        (("design", "export", "nosuch"), "nosuch"),
    ]
    bad_yaml = tmp_path / "broken.yaml"
    bad_yaml.write_text("calipso_design: 1\nobjects:\n  - id: a\n bad: [\n")
    no_header = tmp_path / "noheader.yaml"
    no_header.write_text("objects: []\n")
    dup = tmp_path / "dup.json"
    dup.write_text('{"calipso_design": 1, "objects": [{"id": "a"}, {"id": "a"}]}')
    cases += [
        (("design", "import", str(bad_yaml), "x"), "broken.yaml"),
        (("design", "import", str(no_header), "x"), "calipso_design"),
        (("design", "import", str(dup), "x"), "listed twice"),
        (("design", "import", str(tmp_path / "missing.yaml"), "x"), "missing.yaml"),
    ]
    for args, needle in cases:
        r = calipso(*args, db=db, env_name=env, json_out=False, expect=2)
        assert needle in r.stderr, (args, r.stderr)
    # The same snapshot name twice is refused too, and nothing was stored.
    r = calipso("snapshot", "create", "before", db=db, env_name=env, json_out=False, expect=2)
    assert "'before' already exists" in r.stderr
    assert "x" not in [d["name"] for d in calipso("design", "list", db=db, env_name=env).json]


def test_reports(world, tmp_path):
    db, env = world["db"], world["env"]
    out = tmp_path / "diff.html"
    calipso("report", "diff", "before", "live", "--out", str(out), db=db, env_name=env,
            json_out=False)
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") >= 3
    for tag in re.findall(r"<[a-zA-Z][^>]*>", html):
        assert not re.search(r"\b(src|href)=|url\(|^<(script|link|img|iframe)", tag), tag
    assert world["vm"]["uuid"] in html
    calipso("report", "diff", "before", "live", "--format", "csv", "--out",
            str(tmp_path / "diff.csv"), db=db, env_name=env, json_out=False)
    csv = (tmp_path / "diff.csv").read_bytes().decode()
    assert csv.startswith("kind,change,id,type,host,field,before,after\r\n")
    assert "object,changed,host3:host_pnic:eth0,host_pnic,host3,operstate,up,down\r\n" in csv
    inv = calipso("report", "inventory", "--at", "before", "--format", "json", db=db,
                  env_name=env, json_out=False).stdout
    assert json.loads(inv)["data"]["counts"]["network"] == 4
    calipso("report", "health", "--out", str(tmp_path / "health.html"), db=db, env_name=env,
            json_out=False)
    calipso("report", "impact", "host3:host_pnic:eth0", "--what-if-down", "--out",
            str(tmp_path / "impact.html"), db=db, env_name=env, json_out=False)
    assert "<svg" in (tmp_path / "impact.html").read_text()
    kept = calipso("report", "list", db=db, env_name=env).json
    assert [r["kind"] for r in kept][:4] == ["impact", "health", "inventory", "diff"]
    again = calipso("report", "show", str(kept[-1]["id"]), db=db, env_name=env,
                    json_out=False).stdout
    assert again == html


def test_retention_keeps_kept_snapshots_identical(world, lab):
    """Runs last in the module: it prunes the history the others read."""
    db, env = world["db"], world["env"]
    calipso("snapshot", "pin", "before", db=db, env_name=env, json_out=False)
    calipso("snapshot", "pin", "after", db=db, env_name=env, json_out=False)
    after_show = calipso("show", "--at", "after", db=db, env_name=env, json_out=False).stdout
    # More history: eth0 up again, a snapshot; down again, another.
    labmod.link_set(lab.prefix, "host3", "eth0", "up")
    calipso("scan", "--no-progress", db=db, env_name=env)
    calipso("snapshot", "create", "mid", db=db, env_name=env)
    labmod.link_set(lab.prefix, "host3", "eth0", "down")
    calipso("scan", "--no-progress", db=db, env_name=env)
    last = calipso("snapshot", "create", "last", db=db, env_name=env).json
    last_show = calipso("show", "--at", last["time"], db=db, env_name=env,
                        json_out=False).stdout
    res = calipso("snapshot", "prune", "--keep-last", "1", db=db, env_name=env).json
    assert sorted(res["removed"]) == ["mid", "pre"]
    assert res["objects_pruned"] > 0
    kept = {s["name"]: s for s in calipso("snapshot", "list", db=db, env_name=env).json}
    assert set(kept) == {"before", "after", "last"}
    t = kept["before"]["time"]
    assert calipso("show", "--at", t, db=db, env_name=env,
                   json_out=False).stdout == world["before_show"]
    assert calipso("links", "--at", t, db=db, env_name=env,
                   json_out=False).stdout == world["before_links"]
    assert calipso("show", "--at", kept["after"]["time"], db=db, env_name=env,
                   json_out=False).stdout == after_show
    assert calipso("show", "--at", last["time"], db=db, env_name=env,
                   json_out=False).stdout == last_show
    # A pruned snapshot's name and a pruned time are refused, named.
    r = calipso("diff", "mid", "live", db=db, env_name=env, json_out=False, expect=2)
    assert "mid" in r.stderr
    r = calipso("show", "--at", kept["before"]["created"], db=db, env_name=env,
                json_out=False, expect=2)
    assert "pruned" in r.stderr
    # The diff between the kept snapshots still reads the same.
    d = calipso("diff", "before", "after", db=db, env_name=env, expect=1).json
    assert d["summary"] == world["diff"]["summary"]
