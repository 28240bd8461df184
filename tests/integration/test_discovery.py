"""test_discovery.py - `calipso scan` on the lab against an independent
ground truth (groundtruth.py), revisions, faults of sources, bad input.

Issues 2 and 3: kernel, Open vSwitch and libvirt discovery, the model
builder and linker, the revisioned store and the CLI.
"""

import json
import os
import sqlite3
import subprocess
import threading

import pytest

import groundtruth
from lablib import calipso, calipso_bin, run, wait_for


def scan_lab(lab, db, expect=0, env_file=None):
	calipso("env", "add", lab.env_name, "--config", env_file or lab.env_file, "--replace", db=db)
	return calipso("scan", db=db, env_name=lab.env_name, expect=expect)


def inventory(lab, db, at=None):
	args = ["show"] + (["--at", at] if at else [])
	objs = calipso(*args, db=db, env_name=lab.env_name).json
	links = calipso("links", *(["--at", at] if at else []), db=db, env_name=lab.env_name).json
	return {o["id"]: o for o in objs}, {(l["source_id"], l["link_type"], l["target_id"]): l
					    for l in links}


def changed_ids_at_last_commit(db, env):
	"""Ids of objects and links whose revisions began or ended at the newest
	commit: what that commit wrote."""
	con = sqlite3.connect(db)
	try:
		ts = con.execute("SELECT MAX(ts) FROM commits WHERE env = ?", (env,)).fetchone()[0]
		ids = set()
		for table in ("objects", "links"):
			for (oid,) in con.execute(f"SELECT id FROM {table} WHERE env = ? AND "
						  "(valid_from = ? OR valid_to = ?)", (env, ts, ts)):
				ids.add(oid)
		return ids
	finally:
		con.close()


def test_scan_equals_ground_truth(lab, db_path):
	res = scan_lab(lab, db_path)
	assert res.json["status"] == "completed", res
	truth = groundtruth.expected(lab)
	objs, links = inventory(lab, db_path)
	assert set(objs) == set(truth.objects), (
		f"missing: {sorted(set(truth.objects) - set(objs))}\n"
		f"unexpected: {sorted(set(objs) - set(truth.objects))}")
	for oid, want in truth.objects.items():
		got = objs[oid]
		for k, v in want.items():
			assert got.get(k) == v, f"{oid}: {k} = {got.get(k)!r}, expected {v!r}"
	assert set(links) == truth.links, (
		f"missing: {sorted(truth.links - set(links))}\n"
		f"unexpected: {sorted(set(links) - truth.links)}")


def test_every_plugging_style_reaches_the_wire(lab, db_path):
	"""instance -> vnic -> (vconnector ->) vedge/otep -> host_pnic, for
	Linux-bridge, OVS hybrid and OVS direct VMs."""
	scan_lab(lab, db_path)
	_, links = inventory(lab, db_path)
	adj = {}
	for (s, _, d) in links:
		adj.setdefault(s, set()).add(d)
		adj.setdefault(d, set()).add(s)
	for plug in ("linuxbridge", "hybrid", "direct"):
		vms = lab.find_vms(plug=plug)
		assert vms, f"the lab has no {plug} VM"
		vm = vms[0]
		tap = f"{vm['host']}:vnic:{vm['tap']}"
		assert (vm["uuid"], "instance-vnic", tap) in links
		# Walk down without going back up through other VMs' vnics.
		seen, frontier, reached = {tap}, [tap], set()
		while frontier:
			n = frontier.pop()
			for m in adj.get(n, ()):
				if m in seen or ":instance:" in m or ":vnic:" in m or ":vservice:" in m:
					continue
				seen.add(m)
				frontier.append(m)
				if ":host_pnic:" in m:
					reached.add(m)
		assert reached, f"{plug} VM {vm['name']}: no path to a host_pnic from {tap}"


def test_object_fields(lab, db_path):
	scan_lab(lab, db_path)
	objs, _ = inventory(lab, db_path)
	for vm in lab.vms:
		inst = objs[vm["uuid"]]
		assert inst["name"] == vm["name"]
		assert inst["host"] == vm["host"]
		assert inst["mac_address"] == vm["mac"]
		vnic = objs[f"{vm['host']}:vnic:{vm['tap']}"]
		assert vnic["mac_address"] == vm["mac"]
		assert vnic["parent_id"] == vm["uuid"]
		if vm["plug"] == "direct":
			assert vnic["port_id"] == vm["port_id"]
			assert vnic["vlan_tag"] == 1
	for net in lab.networks:
		dhcp = net["dhcp"]
		vs = objs[f"{dhcp['host']}:vservice:{dhcp['netns']}"]
		assert vs["service_type"] == "dhcp"
		assert "dnsmasq" in vs["processes"]
		assert objs[f"vxlan-{net['vni']}"]["segmentation_id"] == net["vni"]
	otep = objs["host1:otep:vxlan-" + lab.host("host1")["eth0_ip"].split("/")[0]]
	peers = {p["remote_ip"] for p in otep["peers"]}
	assert peers == {h["eth0_ip"].split("/")[0] for h in lab.hosts if h["name"] != "host1"}
	# Every object carries the common fields, and JSON is the documented shape.
	for o in objs.values():
		for f in ("id", "type", "name", "object_name", "id_path", "name_path", "environment",
			  "parent_id", "parent_type"):
			assert f in o, f"{o['id']} lacks {f}"
		assert o["id_path"].startswith(f"/{lab.env_name}/")


def test_rescan_without_change_writes_no_revision(lab, db_path):
	scan_lab(lab, db_path)
	res = calipso("scan", db=db_path, env_name=lab.env_name)
	counts = res.json["result"]["counts"]
	for part in ("objects", "links"):
		assert counts[part]["added"] == counts[part]["changed"] == counts[part]["removed"] == 0, \
			counts
	assert changed_ids_at_last_commit(db_path, lab.env_name) == set()
	hist = calipso("history", "host1:host_pnic:eth0", db=db_path, env_name=lab.env_name).json
	assert len(hist) == 1


def test_interface_down_writes_exactly_its_revisions(lab, db_path):
	scan_lab(lab, db_path)
	before_objs, before_links = inventory(lab, db_path)
	vm = lab.find_vms(host="host2", plug="linuxbridge")[0]
	tap = f"host2:vnic:{vm['tap']}"
	run(["ip", "-n", vm["host_netns"], "link", "set", vm["tap"], "down"])
	try:
		calipso("scan", db=db_path, env_name=lab.env_name)
		changed = changed_ids_at_last_commit(db_path, lab.env_name)
		touching = {f"{s}|{t}|{d}" for (s, t, d) in before_links if tap in (s, d)}
		assert changed == {tap} | touching, sorted(changed ^ ({tap} | touching))
		hist = calipso("history", tap, db=db_path, env_name=lab.env_name).json
		assert len(hist) == 2
		assert hist[0]["doc"]["operstate"] == "up" and hist[1]["doc"]["operstate"] == "down"
		objs, links = inventory(lab, db_path)
		for k in touching:
			s, t, d = k.split("|")
			assert links[(s, t, d)]["state"] == "down"
		# Time travel: the inventory before the change is still there.
		at = hist[0]["valid_from"]
		old, _ = inventory(lab, db_path, at=at)
		assert old[tap]["operstate"] == "up"
		assert set(old) == set(before_objs)
	finally:
		run(["ip", "-n", vm["host_netns"], "link", "set", vm["tap"], "up"])


def test_removed_vm_writes_exactly_its_revisions(lab, db_path):
	"""A VM deleted on its host: its kernel namespace and tap are gone and
	libvirt no longer lists it; the rescan closes exactly its objects and
	links."""
	labmod = pytest.importorskip("lablib").labmod
	if not hasattr(labmod, "vm_rm"):
		pytest.skip("lab.py has no vm_rm yet")
	scan_lab(lab, db_path)
	before_objs, before_links = inventory(lab, db_path)
	vm = lab.find_vms(host="host3", plug="direct")[0]
	try:
		labmod.vm_rm(lab.prefix, vm["name"])
		calipso("scan", db=db_path, env_name=lab.env_name)
		gone_objs = {vm["uuid"], f"host3:vnic:{vm['tap']}"}
		gone_links = {f"{s}|{t}|{d}" for (s, t, d) in before_links
			      if s in gone_objs or d in gone_objs}
		changed = changed_ids_at_last_commit(db_path, lab.env_name)
		# The vedge lists its ports: losing one is its one change.
		assert changed == gone_objs | gone_links | {"host3:vedge:ovs"}, sorted(changed)
		objs, _ = inventory(lab, db_path)
		assert not gone_objs & set(objs)
		hist = calipso("history", vm["uuid"], db=db_path, env_name=lab.env_name).json
		assert len(hist) == 1 and hist[0]["valid_to"]
	finally:
		lab.ensure_up()


def test_unreachable_ovsdb_keeps_last_good_data(lab, db_path, tmp_path):
	scan_lab(lab, db_path)
	before, _ = inventory(lab, db_path)
	env = json.load(open(lab.env_file))
	host2 = next(h for h in env["hosts"] if h["name"] == "host2")
	host2["ovsdb"] = f"unix:{tmp_path}/no-such.sock"
	host2["libvirt"] = f"test:///{tmp_path}/no-such.xml"
	broken = tmp_path / "env.json"
	broken.write_text(json.dumps(env))
	vm = lab.find_vms(host="host2", plug="linuxbridge")[0]
	run(["ip", "-n", vm["host_netns"], "link", "set", vm["tap"], "mtu", "1400"])
	try:
		res = scan_lab(lab, db_path, expect=4, env_file=str(broken))
		assert res.json["status"] == "completed_with_errors"
		failed = {(s["host"], s["name"]) for s in res.json["result"]["sources"]
			  if s["status"] == "error"}
		assert failed == {("host2", "ovsdb"), ("host2", "libvirt")}
		err = next(s for s in res.json["result"]["sources"]
			   if s["host"] == "host2" and s["name"] == "ovsdb")
		assert "no-such.sock" in err["error"] and err.get("kept_from")
		objs, _ = inventory(lab, db_path)
		# OVS and libvirt data of host2 kept as they were...
		assert objs["host2:vedge:ovs"] == before["host2:vedge:ovs"]
		for v in lab.find_vms(host="host2"):
			assert v["uuid"] in objs
		# ...while the kernel's is fresh.
		assert objs[f"host2:vnic:{vm['tap']}"]["mtu"] == 1400
		# The human output names the failed source too.
		txt = calipso("scan", db=db_path, env_name=lab.env_name, json_out=False, expect=4)
		assert "ovsdb" in txt.stdout and "kept data from" in txt.stdout
	finally:
		run(["ip", "-n", vm["host_netns"], "link", "set", vm["tap"], "mtu", "1450"])


def test_namespace_deleted_during_scan_does_not_fail_it(db_path):
	stop = threading.Event()
	names = [f"cdel{os.getpid() % 10000}-{i}" for i in range(8)]

	def churn():
		while not stop.is_set():
			for n in names:
				subprocess.run(["ip", "netns", "add", n], capture_output=True)
				subprocess.run(["ip", "-n", n, "link", "add", "v0", "type", "veth", "peer",
						"v1"], capture_output=True)
			for n in names:
				subprocess.run(["ip", "netns", "del", n], capture_output=True)

	th = threading.Thread(target=churn)
	th.start()
	try:
		for _ in range(15):
			res = calipso("scan", db=db_path, expect=(0, 4))
			assert res.json["status"] in ("completed", "completed_with_errors")
	finally:
		stop.set()
		th.join()
		for n in names:
			subprocess.run(["ip", "netns", "del", n], capture_output=True)


def test_unprivileged_scan_says_what_it_could_not_read(lab):
	import pathlib
	import shutil
	import tempfile
	home = pathlib.Path(tempfile.mkdtemp(prefix="calipso-nobody-", dir="/tmp"))
	os.chmod(home, 0o777)
	db = home / "c.db"
	cp = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
			     calipso_bin(), "--db", str(db), "--json", "scan"],
			    capture_output=True, text=True, timeout=120)
	assert cp.returncode == 4, cp
	doc = json.loads(cp.stdout)
	assert doc["status"] == "completed_with_errors"
	netlink = next(s for s in doc["result"]["sources"] if s["name"] == "netlink")
	assert netlink["status"] == "partial"
	assert "Operation not permitted" in cp.stderr or "Operation not permitted" in cp.stdout
	assert lab.hosts[0]["netns"] in cp.stderr + cp.stdout
	# What could be read is there: the root namespace's host.
	cp = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
			     calipso_bin(), "--db", str(db), "--json", "show", "--type", "host"],
			    capture_output=True, text=True, timeout=60)
	assert cp.returncode == 0 and len(json.loads(cp.stdout)) == 1
	shutil.rmtree(home)


def test_bad_databases(tmp_path):
	corrupt = tmp_path / "corrupt.db"
	corrupt.write_bytes(os.urandom(4096))
	res = calipso("show", db=corrupt, expect=5, json_out=False)
	assert str(corrupt) in res.stderr and "not a database" in res.stderr
	res = calipso("show", db=tmp_path / "no" / "such" / "dir" / "x.db", expect=5, json_out=False)
	assert "cannot open database" in res.stderr
	ro = tmp_path / "ro"
	ro.mkdir()
	os.chmod(ro, 0o500)
	# Root ignores permissions: use a path under /proc, which nobody can create.
	res = calipso("scan", db="/proc/calipso.db", expect=5, json_out=False)
	assert "/proc/calipso.db" in res.stderr


def test_cli_errors_and_help(lab, db_path):
	scan_lab(lab, db_path)
	res = calipso("show", "no-such-object", db=db_path, env_name=lab.env_name, expect=3,
		      json_out=False)
	assert "no-such-object" in res.stderr
	res = calipso("show", "--type", "bogus", db=db_path, env_name=lab.env_name, expect=2,
		      json_out=False)
	assert "bogus" in res.stderr
	res = calipso("show", "--at", "yesterday", db=db_path, env_name=lab.env_name, expect=2,
		      json_out=False)
	assert "'yesterday' is not live, a snapshot" in res.stderr
	res = calipso("show", "--limit", "abc", db=db_path, env_name=lab.env_name, expect=2,
		      json_out=False)
	assert "--limit takes a whole number" in res.stderr and "'abc'" in res.stderr
	res = calipso("frobnicate", db=db_path, expect=2, json_out=False)
	assert "unknown command 'frobnicate'" in res.stderr
	res = calipso("env", "add", "x", "--config", "/nonexistent.json", db=db_path, expect=2,
		      json_out=False)
	assert "/nonexistent.json" in res.stderr
	for cmd in ("scan", "show", "links", "history", "env", "agent"):
		res = calipso(cmd, "--help", db=db_path, json_out=False)
		assert res.stdout.startswith("usage: calipso " + cmd), res
	# Tables and trees for people.
	res = calipso("show", db=db_path, env_name=lab.env_name, json_out=False)
	assert res.stdout.startswith(lab.env_name + "\n") and "(host)" in res.stdout
	res = calipso("links", "--type", "vnic-vconnector", db=db_path, env_name=lab.env_name,
		      json_out=False)
	assert res.stdout.splitlines()[0].split()[:3] == ["TYPE", "SOURCE", "TARGET"]


def test_agent_prints_host_reports(lab):
	res = run([calipso_bin(), "--json", "agent", "--once", "--config", lab.env_file])
	reports = json.loads(res.stdout)
	assert {r["host"] for r in reports} == {h["name"] for h in lab.hosts} | {"fabric"}
	for r in reports:
		assert r["format"] == "calipso-host-report/1"
		assert r["kernel"]["namespaces"]
