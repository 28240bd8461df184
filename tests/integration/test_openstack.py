"""test_openstack.py - OpenStack discovery against a real Zed cloud.

The cloud (lab/openstack/oslab.py: Keystone, Nova, Neutron ML2/OVS on the
userspace datapath, two hosts in namespaces with VXLAN between them, DHCP
and L3 agents, four servers plugged as os-vif does) is brought up once per
test run by scripts/run-tests.sh and shared by the normal and sanitized
passes; these tests skip with the reason when it is not up.  Bring it up by
hand with `sudo /usr/bin/python3 lab/openstack/oslab.py up`.

Ground truth is the `openstack` CLI (run with /usr/bin/python3), never
Calipso's own output.
"""

import concurrent.futures
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lablib import calipso  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PREFIX = os.environ.get("CALIPSO_OSLAB_PREFIX", "os")
STATE = f"/run/calipso-os/{PREFIX}/state.json"


def _cloud_state():
    if os.geteuid() != 0:
        return None, "needs root"
    try:
        st = json.load(open(STATE))
    except (OSError, ValueError):
        return None, (f"the OpenStack lab cloud is not up ({STATE} missing): "
                      "sudo /usr/bin/python3 lab/openstack/oslab.py up")
    if not st.get("complete"):
        return None, "the OpenStack lab cloud did not finish coming up"
    cp = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "lab/openstack/oslab.py"),
                         "status", "--prefix", PREFIX], capture_output=True, text=True)
    if cp.returncode != 0:
        return None, f"the OpenStack lab cloud is not healthy: {cp.stdout.strip()}"
    return st, None


@pytest.fixture(scope="module")
def cloud():
    st, why = _cloud_state()
    if not st:
        pytest.skip(why)
    return st


def osc(st, *args):
    """The `openstack` CLI of the cloud, as JSON."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(OS_CLIENT_CONFIG_FILE=st["clouds_yaml"], OS_CLOUD=st["cloud"])
    cp = subprocess.run(["/usr/bin/python3", "/usr/bin/openstack", *args, "-f", "json"],
                        capture_output=True, text=True, env=env, timeout=180)
    assert cp.returncode == 0, f"openstack {' '.join(args)}: {cp.stderr}"
    return json.loads(cp.stdout)


@pytest.fixture(scope="module")
def truth(cloud):
    """What the openstack CLI lists, in parallel (each call costs seconds).
    The tests never change the cloud, so the answers are kept beside its
    state for the second (sanitized) pass of the same cloud."""
    cache = os.path.join(os.path.dirname(STATE), "cli-truth.json")
    key = os.stat(STATE).st_mtime_ns
    try:
        c = json.load(open(cache))
        if c.get("key") == key:
            return c["truth"]
    except (OSError, ValueError):
        pass
    t = _truth(cloud)
    with open(cache + ".tmp", "w") as f:
        json.dump({"key": key, "truth": t}, f)
    os.replace(cache + ".tmp", cache)
    return t


def _truth(cloud):
    calls = {
        "projects": ("project", "list", "--long"),
        "networks": ("network", "list", "--long"),
        "subnets": ("subnet", "list", "--long"),
        "ports": ("port", "list", "--long"),
        "routers": ("router", "list", "--long"),
        "agents": ("network", "agent", "list"),
        "hypervisors": ("hypervisor", "list"),
        "servers": ("server", "list", "--all-projects", "--long"),
    }
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        fut = {k: ex.submit(osc, cloud, *v) for k, v in calls.items()}
        t = {k: f.result() for k, f in fut.items()}
    # Fields the list views leave out, for the ports and networks we check.
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        t["port_detail"] = {p["ID"]: d for p, d in zip(t["ports"], ex.map(
            lambda p: osc(cloud, "port", "show", p["ID"]), t["ports"]))}
        t["network_detail"] = {n["ID"]: d for n, d in zip(t["networks"], ex.map(
            lambda n: osc(cloud, "network", "show", n["ID"]), t["networks"]))}
    return t


def _env_add(cloud, db, name, clouds_yaml=None, cloud_name=None, extra=()):
    return calipso("env", "add", name, "--config", cloud["environment_json"], "--clouds-yaml",
                   clouds_yaml or cloud["clouds_yaml"], "--cloud", cloud_name or cloud["cloud"],
                   *extra, db=db, json_out=False)


@pytest.fixture(scope="module")
def scanned(cloud, tmp_path_factory):
    db = str(tmp_path_factory.mktemp("os") / "calipso.db")
    _env_add(cloud, db, "osint")
    scan = calipso("scan", "--no-progress", db=db, env_name="osint", expect=(0, 4)).json
    objs = {o["id"]: o for o in calipso("show", "--limit", "1000000", db=db,
                                         env_name="osint").json}
    links = calipso("links", db=db, env_name="osint").json
    return {"db": db, "scan": scan, "objects": objs, "links": links}


def _of_type(objs, t):
    return {i: o for i, o in objs.items() if o["type"] == t}


def test_scan_sources(scanned):
    src = {(s["host"], s["name"]): s for s in scanned["scan"]["result"]["sources"]}
    os_src = src[("@cloud", "openstack")]
    assert os_src["status"] == "ok", os_src
    assert src[(f"{PREFIX}-h1", "ovsdb")]["status"] == "ok"


def test_every_listed_object_is_in_the_inventory(scanned, truth):
    objs = scanned["objects"]
    for kind, t, fields in (
            ("projects", "project", {"Name": "name"}),
            ("networks", "network", {"Name": "name", "Network Type": "provider:network_type",
                                     "Project": "project_id"}),
            ("ports", "port", {"MAC Address": "mac_address", "Status": "status_os"}),
            ("agents", "network_agent", {"Agent Type": "agent_type", "Binary": "binary",
                                         "Host": "host"}),
            ("servers", "instance", {"Name": "name", "Status": "status_os",
                                     "Host": "host"})):
        for item in truth[kind]:
            o = objs.get(item["ID"])
            assert o is not None, f"{kind} {item['ID']} ({item.get('Name')}) missing"
            assert o["type"] == t
            for src, dst in fields.items():
                assert o.get(dst) == item[src], (kind, item["ID"], dst, o.get(dst), item[src])
    for item in truth["agents"]:
        o = objs[item["ID"]]
        assert o["alive"] == item["Alive"] and o["admin_state_up"] == item["State"]
        assert o["parent_id"] == item["Host"]
    for item in truth["routers"]:
        vs = [o for o in _of_type(objs, "vservice").values() if o.get("router_id") == item["ID"]]
        assert vs, f"router {item['ID']} is no vservice"
        for v in vs:
            assert v["project_id"] == item["Project"]
            assert item["External gateway info"]["network_id"] in v["network"]
    for item in truth["hypervisors"]:
        h = objs[item["Hypervisor Hostname"]]
        assert h["type"] == "host" and "Compute" in h["host_type"]
        assert h["hypervisor_type"] == item["Hypervisor Type"]
        assert h["ip_address"] == item["Host IP"] and h["state"] == item["State"]
    for item in truth["projects"]:
        assert objs[item["ID"]]["enabled"] == item["Enabled"]
    for item in truth["subnets"]:
        net = objs[item["Network"]]
        assert item["Subnet"] in net["cidrs"]
        assert item["ID"] in [s["id"] for s in net["subnets"]]
    for nid, d in truth["network_detail"].items():
        if d.get("provider:segmentation_id") is not None:
            assert objs[nid]["segmentation_id"] == d["provider:segmentation_id"]
    hyp_hosts = {h["Hypervisor Hostname"] for h in truth["hypervisors"]}
    hosts = _of_type(objs, "host")
    for s in truth["servers"]:
        assert "Compute" in hosts[s["Host"]]["host_type"]
        assert objs[s["ID"]]["parent_id"] == s["Host"]
    assert hyp_hosts <= set(hosts) | {o.get("hypervisor") for o in objs.values()}
    for p in truth["ports"]:
        d = truth["port_detail"][p["ID"]]
        o = objs[p["ID"]]
        assert o["parent_id"] == d["network_id"]
        assert o.get("binding:host_id", "") == (d["binding_host_id"] or "")
        assert o["device_owner"] == d["device_owner"]


def test_no_duplicate_of_data_plane_networks(scanned, truth):
    """The kernel/OVS segments are Neutron's networks, not vxlan-<vni>."""
    nets = _of_type(scanned["objects"], "network")
    assert set(nets) == {n["ID"] for n in truth["networks"]}


def test_bound_ports_are_joined_to_vnics(scanned, truth, cloud):
    objs = scanned["objects"]
    vnics = _of_type(objs, "vnic")
    by_port = {}
    for v in vnics.values():
        if v.get("port_id"):
            by_port.setdefault(v["port_id"], []).append(v)
    ours = {h["name"] for h in cloud["hosts"]}
    checked = 0
    for p in truth["ports"]:
        d = truth["port_detail"][p["ID"]]
        if d["binding_host_id"] not in ours or d["status"] != "ACTIVE":
            continue
        got = [v for v in by_port.get(p["ID"], []) if v["host"] == d["binding_host_id"]]
        assert got, f"port {p['ID']} ({d['device_owner']}) bound to " \
                    f"{d['binding_host_id']} has no vnic"
        assert got[0]["network"] == d["network_id"]
        if d["device_owner"].startswith("compute:"):
            assert got[0]["instance_id"] == d["device_id"]
        checked += 1
    assert checked >= len(cloud["servers"]) + 2


def test_servers_are_their_data_plane_instances(scanned, cloud):
    """The guest namespaces are the Nova servers (no second instance)."""
    objs = scanned["objects"]
    insts = _of_type(objs, "instance")
    assert set(insts) == {s["id"] for s in cloud["servers"]}
    for s in cloud["servers"]:
        i = insts[s["id"]]
        assert i["host"] == s["host"]
        assert s["network"] in i["network"]
        assert i.get("netns_inode"), "the guest namespace did not join the server"


def _reach(links, start, order):
    """Follows link types in order (either direction) from `start`."""
    adj = {}
    for l in links:
        adj.setdefault(l["link_type"], []).append(l)
    seen = {start}
    path = []
    for lt in order:
        for l in adj.get(lt, []):
            if l["source_id"] in seen or l["target_id"] in seen:
                path.append(l)
                seen |= {l["source_id"], l["target_id"]}
    return seen, path


def test_each_vm_reaches_its_network(scanned, cloud):
    links = scanned["links"]
    order = ["instance-vnic", "vnic-vconnector", "vconnector-vedge", "vnic-vedge",
             "vedge-otep", "otep-host_pnic", "vedge-host_pnic", "host_pnic-network"]
    for s in cloud["servers"]:
        mine = [l for l in links if not l.get("attributes", {}).get("network")
                or l["attributes"]["network"] == s["network"]]
        seen, path = _reach(mine, s["id"], order)
        assert s["network"] in seen, (s["name"], [l["id"] for l in path])
        kinds = {l["link_type"] for l in path}
        assert "instance-vnic" in kinds
        assert "vnic-vedge" in kinds or "vconnector-vedge" in kinds
        seg = [l for l in path if l["link_type"] == "host_pnic-network"
               and l["target_id"] == s["network"]]
        assert seg and seg[0]["link_name"].startswith("Segment-")
    # The clique engine, when it has landed, agrees.
    r = calipso("clique", cloud["servers"][0]["id"], db=scanned["db"], env_name="osint",
                expect=None)
    if r.rc == 0 and isinstance(r.json, dict):
        assert cloud["servers"][0]["network"] in json.dumps(r.json)


def test_dhcp_and_router_namespaces_are_vservices(scanned, cloud, truth):
    objs = scanned["objects"]
    h1 = cloud["hosts"][0]["name"]
    for n in truth["networks"]:
        d = truth["network_detail"][n["ID"]]
        if not any(s["network"] == n["ID"] for s in cloud["servers"]):
            continue
        v = objs.get(f"{h1}:vservice:qdhcp-{n['ID']}")
        assert v, f"qdhcp-{n['ID']} is no vservice"
        assert v["service_type"] == "dhcp"
        assert n["ID"] in v["network"], v
        assert v.get("netns_inode"), "namespace not seen by the kernel source"
        assert d["id"] == n["ID"]
    for r in truth["routers"]:
        v = objs.get(f"{h1}:vservice:qrouter-{r['ID']}")
        assert v and v["service_type"] == "router" and v["router_id"] == r["ID"]
        assert v.get("network")
        vl = [l for l in scanned["links"] if l["link_type"] == "vservice-vnic"
              and l["source_id"] == v["id"]]
        assert vl, "router has no vservice-vnic links"


@pytest.mark.parametrize("fault", ["wrong-password", "unreachable", "no-such-region"])
def test_bad_input_keeps_last_good_data(cloud, scanned, tmp_path, fault):
    import shutil
    db = str(tmp_path / "calipso.db")
    shutil.copy(scanned["db"], db)
    secrets = scanned["db"] + ".secrets"
    if os.path.isdir(secrets):
        shutil.copytree(secrets, db + ".secrets")
    text = open(cloud["clouds_yaml"]).read()
    if fault == "wrong-password":
        text = text.replace("password: ", "password: not-")
    elif fault == "unreachable":
        text = text.replace("http://127.0.0.1:", "http://127.0.0.1:1#")
        text = text.replace("#15357/v3", "/v3")
    else:
        text = text.replace("region_name: RegionOne", "region_name: Nowhere")
    bad = tmp_path / "clouds.yaml"
    bad.write_text(text)
    os.chmod(bad, 0o600)
    _env_add(cloud, db, "osint", str(bad), extra=("--replace", "--no-detect"))
    before = {i for i, o in scanned["objects"].items() if o.get("source") == "openstack"}
    scan = calipso("scan", "--no-progress", db=db, env_name="osint", expect=4).json
    assert scan["status"] == "completed_with_errors"
    src = [s for s in scan["result"]["sources"] if s["name"] == "openstack"][0]
    assert src["status"] == "error" and src.get("kept_from"), src
    words = {"wrong-password": "refused the credentials", "unreachable": "cannot reach",
             "no-such-region": "region 'Nowhere'"}[fault]
    assert words in src["error"], src
    after = {o["id"] for o in calipso("show", "--limit", "1000000", db=db,
                                      env_name="osint").json if o.get("source") == "openstack"}
    assert before <= after


def test_router_reaches_external_network_through_physical_bridge(scanned, cloud, truth):
    """The router's gateway port is on the flat ext-net: its path leaves
    through br-ex and its NIC (bridge_mappings), not through the tunnels."""
    h1 = cloud["hosts"][0]["name"]
    ext = [n for n in truth["networks"] if n["Name"] == "ext-net"][0]["ID"]
    r = truth["routers"][0]["ID"]
    links = scanned["links"]
    seen, path = _reach(links, f"{h1}:vservice:qrouter-{r}",
                        ["vservice-vnic", "vnic-vedge", "vedge-host_pnic", "host_pnic-network"])
    assert ext in seen, [l["id"] for l in path]
    seg = [l for l in links if l["link_type"] == "host_pnic-network" and l["target_id"] == ext]
    assert [l["source_id"] for l in seg] == [f"{h1}:host_pnic:eth2"]
    # A flat network is never said to ride the VXLAN underlay.
    assert not [l for l in seg if l["source_id"].endswith(":eth1")]


def test_env_from_variables_keeps_the_secret_apart(cloud, tmp_path):
    """OS_* variables: the password goes to a 0600 file, never into the
    configuration, `env show` or `env test`'s output; env test says what
    answered."""
    import yaml
    db = str(tmp_path / "calipso.db")
    c = yaml.safe_load(open(cloud["clouds_yaml"]))["clouds"][cloud["cloud"]]
    a = c["auth"]
    env = {"OS_AUTH_URL": a["auth_url"], "OS_USERNAME": a["username"],
           "OS_PASSWORD": a["password"], "OS_PROJECT_NAME": a["project_name"],
           "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
           "OS_REGION_NAME": "RegionOne"}
    r = calipso("env", "add", "fromenv", "--config", cloud["environment_json"], "--from-env",
                db=db, json_out=False, extra_env=env)
    assert a["password"] not in r.stdout + r.stderr
    shown = calipso("env", "show", "fromenv", db=db).json
    assert a["password"] not in json.dumps(shown)
    assert shown["mechanism_drivers"] == ["OVS"]
    assert set(shown["type_drivers"]) >= {"vxlan", "flat"}
    secret = shown["openstack"]["secret_file"]
    assert os.stat(secret).st_mode & 0o777 == 0o600
    assert os.stat(os.path.dirname(secret)).st_mode & 0o777 == 0o700
    assert json.load(open(secret)) == {"password": a["password"]}
    t = calipso("env", "test", "fromenv", db=db, json_out=True)
    targets = {(e["target"], e.get("host")): e for e in t.json}
    assert targets[("keystone", None)]["status"] == "ok"
    for svc in ("compute", "network", "identity"):
        assert targets[(f"openstack:{svc}", None)]["status"] == "ok"
    for h in cloud["hosts"]:
        assert targets[("ovsdb", h["name"])]["status"] == "ok"
        assert targets[("netns", h["name"])]["status"] == "ok"
    assert a["password"] not in t.stdout + t.stderr
    # A scan with every log line on says nothing of the secret either.
    s = calipso("--debug", "all", "scan", "--no-progress", db=db, env_name="fromenv",
                json_out=False, expect=(0, 4))
    assert a["password"] not in s.stdout + s.stderr
    # Adding it again without --replace changes nothing, not even the
    # secret; removing it removes the secret.
    calipso("env", "add", "fromenv", "--from-env", "--no-detect", db=db, json_out=False,
            expect=2, extra_env=dict(env, OS_PASSWORD="other"))
    assert json.load(open(secret)) == {"password": a["password"]}
    calipso("env", "rm", "fromenv", db=db, json_out=False)
    assert not os.path.exists(secret)
