#!/usr/bin/python3
"""lab.py - builds Calipso's test lab of network namespaces on this machine.

A lab is a set of named network namespaces (a fabric switch and N "hosts"),
unnamed VM namespaces held by `sleep` processes, Linux bridges with kernel
VXLAN (Neutron linuxbridge-agent style), one Open vSwitch instance per host
on the userspace datapath (Neutron ML2/OVS style, hybrid and direct VM
plugging), qdhcp namespaces with dnsmasq, a qrouter namespace, and libvirt
test-driver files describing the VMs.  lab/README.md has the diagram and the
naming rules.

Invariants:
- Everything a lab creates is named from its prefix (namespaces `<P>-...`,
  `qdhcp-<uuid>` and `qrouter-<uuid>` whose uuids are uuid5 of the prefix)
  or lives under /run/calipso-lab/<P>/; every process it starts carries
  CALIPSO_LAB_OWNER=<P> in its environment and is recorded in state.json.
  `down` removes exactly that, from any half-built state.
- The root namespace's interfaces, routes, sysctls and /etc are never
  touched: every `ip`, `sysctl` and daemon runs inside a lab namespace.
- Every external command's exit status is checked; a failure raises
  LabError quoting the command and its stderr.

Run-time changes (vm-add, vm-rm, net-add, net-rm, link-set, up --restore)
change a built lab in place, keeping state.json, the libvirt files and the
DHCP files in step; a change under way is recorded as `pending` so that an
interrupted one is settled by the next (see lab/README.md).

Threading: none; one lab operation at a time per machine (an flock on
/run/calipso-lab serialises up/down/changes of all prefixes).

Input trust: options come from the operator; names and numbers are
validated before use.  state.json is our own file but may be truncated by a
crash, so `down` tolerates a missing or unreadable one.

Usable as a module (tests/integration/conftest.py imports it) and as a CLI:
    lab.py up [--prefix P] [--hosts N] [--no-ovs] [--scale ...] [--restore]
    lab.py down [--prefix P]
    lab.py status [--prefix P] [--json]
    lab.py vm-add NAME --host hostN --network netX [--plug P] [--ip A]
    lab.py vm-rm NAME
    lab.py net-add NAME --vni N --subnet CIDR [--ovs] [--router]
    lab.py net-rm NAME [--force]
    lab.py link-set HOST DEV up|down
Python 3 standard library only.
"""

import argparse
import fcntl
import glob
import hashlib
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET

RUN_ROOT = "/run/calipso-lab"
NETNS_DIR = "/run/netns"
OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
DEFAULT_PREFIX = "cl"
DEFAULT_HOSTS = 3
MAX_HOSTS = 20
IFNAMSIZ = 15
# Fixed namespace for every uuid5 the lab derives, so runs agree.
LAB_UUID_NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://calipso.invalid/lab")
OWNER_VAR = "CALIPSO_LAB_OWNER"
# Test hook: `CALIPSO_LAB_CRASH_AFTER=<step>` makes `up` exit abruptly (no
# cleanup) right after that step, to prove `up`/`down` recover.
CRASH_VAR = "CALIPSO_LAB_CRASH_AFTER"

UNDERLAY_LB = ipaddress.ip_network("172.31.250.0/24")   # eth0, kernel VXLAN
UNDERLAY_OVS = ipaddress.ip_network("172.31.251.0/24")  # eth1 -> br-phy, OVS VXLAN
VXLAN_PORT = 4789
TENANT_MTU = 1450  # 1500 underlay minus VXLAN over IPv4 overhead
OVS_LOCAL_VLAN = 1  # br-int tag of the OVS network
OVS_VNI = 103       # its segment id: the tunnel key on br-tun
VM_MEMORY_KIB = 65536

# The tenant networks: name, kind, VNI, subnet.  Fixed so that names and
# uuids depend on the prefix only (down can find leftovers without state).
NETWORKS = (
        ("net1", "linuxbridge", 101, "10.101.0.0/24"),
        ("net2", "linuxbridge", 102, "10.102.0.0/24"),
        ("net3", "ovs", OVS_VNI, "10.103.0.0/24"),
)
ROUTER = ("router1", ("net1", "net2"))
# VMs each host gets: (network, plugging).
VM_SLOTS = (("net1", "linuxbridge"), ("net2", "linuxbridge"),
            ("net3", "hybrid"), ("net3", "direct"))

STEPS = ("namespaces", "fabric", "linuxbridge", "ovs", "dhcp", "router", "vms",
         "leases", "libvirt", "scale", "check")

UDHCPC_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "udhcpc.script")


class LabError(Exception):
    """A lab operation failed; the message says which command and why."""


# ---------------------------------------------------------------------------
# Small helpers: commands, processes, files.

def _fmt_cmd(argv):
    return " ".join(a if re.fullmatch(r"[\w@%+=:,./-]+", a) else repr(a) for a in argv)


def run(argv, input=None, check=True, timeout=60, env=None):
    """Runs argv; returns CompletedProcess (text).  Raises LabError naming
    the command and its stderr when it fails and check is true."""
    try:
        cp = subprocess.run(argv, input=input, capture_output=True, text=True,
                            timeout=timeout, env=env)
    except FileNotFoundError:
        raise LabError(f"command not found: {argv[0]} (needed by: {_fmt_cmd(argv)})")
    except subprocess.TimeoutExpired:
        raise LabError(f"command timed out after {timeout}s: {_fmt_cmd(argv)}")
    if check and cp.returncode != 0:
        err = (cp.stderr or cp.stdout).strip()
        msg = f"command failed (exit {cp.returncode}): {_fmt_cmd(argv)}\n  {err}"
        if input:
            # A batch: show what was fed to it, the failing line among them.
            lines = input.splitlines()
            msg += "\n  input:\n" + "\n".join("    " + l for l in lines[:40])
            if len(lines) > 40:
                msg += f"\n    ... ({len(lines) - 40} more lines)"
        raise LabError(msg)
    return cp


def ip(ns, *args, **kw):
    """`ip` inside namespace ns (a name), never in the root namespace."""
    assert ns, "ip() must name a namespace"
    return run(["ip", "-n", ns, *args], **kw)


def ip_batch(ns, lines):
    """Runs many `ip` commands in namespace ns in one process."""
    if lines:
        run(["ip", "-n", ns, "-batch", "-"], input="\n".join(lines) + "\n")


def bridge_batch(ns, lines):
    if lines:
        run(["bridge", "-n", ns, "-batch", "-"], input="\n".join(lines) + "\n")


def ns_exec(ns, argv, **kw):
    return run(["ip", "netns", "exec", ns, *argv], **kw)


def vm_exec(pid, argv, **kw):
    """Runs argv inside the network and UTS namespaces of process pid."""
    return run(["nsenter", "--net", "--uts", "-t", str(pid), *argv], **kw)


def proc_start_time(pid):
    """Start time (clock ticks since boot) of pid, None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    # comm may hold spaces or parentheses: fields start after the last ')'.
    fields = data[data.rindex(")") + 2:].split()
    if fields[0] in ("Z", "X"):
        return None  # a zombie is dead; only its exit status remains
    return int(fields[19])


def pid_alive(pid, start=None):
    st = proc_start_time(pid)
    return st is not None and (start is None or st == start)


def proc_environ_has(pid, marker):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            env = f.read()
    except OSError:
        return False
    return marker in env.split(b"\0")


def proc_cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def proc_netns_inode(pid):
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino
    except OSError:
        return None


def read_pid_file(path):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def wait_until(cond, timeout, what, interval=0.05):
    """Polls cond() until true; raises LabError naming what and the last
    value seen after timeout seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = cond()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise LabError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")
        time.sleep(interval)


def write_file(path, text, mode=0o644):
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def netns_list():
    try:
        return sorted(os.listdir(NETNS_DIR))
    except FileNotFoundError:
        return []


def netns_inode(name):
    try:
        return os.stat(os.path.join(NETNS_DIR, name)).st_ino
    except OSError:
        return None


def spawn_detached(argv, env, pid_file):
    """Starts argv as a daemon (double fork, new session, stdio on
    /dev/null) so that it is never our child and never a zombie of ours.
    Writes its pid to pid_file and returns the pid."""
    rfd, wfd = os.pipe()
    child = os.fork()
    if child == 0:
        # Intermediate child: no locks, no logging; it exits whatever happens.
        try:
            os.close(rfd)
            os.setsid()
            grandchild = os.fork()
            if grandchild == 0:
                os.close(wfd)
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                os.closerange(3, 65536)
                os.execvpe(argv[0], argv, env)
            os.write(wfd, str(grandchild).encode())
        finally:
            os._exit(0)
    os.close(wfd)
    os.waitpid(child, 0)
    data = b""
    while True:
        chunk = os.read(rfd, 64)
        if not chunk:
            break
        data += chunk
    os.close(rfd)
    if not data:
        raise LabError(f"could not start {_fmt_cmd(argv)}")
    pid = int(data)
    write_file(pid_file, f"{pid}\n")
    return pid


# ---------------------------------------------------------------------------
# Names and identities.

def default_prefix():
    return os.environ.get("CALIPSO_LAB_PREFIX") or DEFAULT_PREFIX


def check_prefix(prefix):
    # No '-' in a prefix, so "<P>-" never matches another prefix's names.
    if not re.fullmatch(r"[a-z][a-z0-9]{0,9}", prefix or ""):
        raise LabError(f"invalid lab prefix '{prefix}': use 1-10 lowercase letters or "
                       "digits, starting with a letter")
    return prefix


def run_dir(prefix):
    return os.path.join(RUN_ROOT, check_prefix(prefix))


def env_name(prefix):
    return "lab" if prefix == DEFAULT_PREFIX else prefix


def lab_uuid(prefix, *parts):
    return str(uuid.uuid5(LAB_UUID_NS, "/".join((prefix,) + parts)))


def lab_mac(seed, first="fa:16:3e"):
    h = hashlib.sha256(seed.encode()).digest()
    return f"{first}:{h[0]:02x}:{h[1]:02x}:{h[2]:02x}"


def ifname(name):
    """Checks an interface name fits the kernel's limit."""
    if len(name) > IFNAMSIZ:
        raise LabError(f"interface name '{name}' is longer than {IFNAMSIZ} characters")
    return name


def port_names(port_id):
    """Neutron's device names for a port: 3-letter kind + 11 uuid chars."""
    s = port_id[:11]
    return {k: ifname(k + s) for k in ("tap", "qbr", "qvb", "qvo", "qr-", "ns-")}


def tunnel_port_name(remote_ip):
    # Neutron names a tunnel port by its remote address in hex.
    return ifname("vxlan-" + ipaddress.ip_address(remote_ip).packed.hex())


def added_netns_file(prefix):
    """Names of the namespaces net-add created (networks not in NETWORKS),
    one a line: `down` finds them even when state.json is lost."""
    return os.path.join(run_dir(prefix), "netns.added")


def owned_netns_names(prefix):
    """Every named namespace a lab of this prefix may create: the derived
    qdhcp-/qrouter- names of the built networks and router, and those
    net-add recorded."""
    names = {lab_uuid(prefix, "network", n[0]) for n in NETWORKS}
    fixed = {f"qdhcp-{i}" for i in names}
    fixed.add(f"qrouter-{lab_uuid(prefix, 'router', ROUTER[0])}")
    try:
        with open(added_netns_file(prefix)) as f:
            fixed.update(l.strip() for l in f if l.strip())
    except OSError:
        pass
    return fixed


def is_owned_netns(prefix, name, owned=None):
    """True when namespace `name` belongs to lab `prefix`; owned is
    owned_netns_names(prefix) when the caller checks many names."""
    if name.startswith(prefix + "-"):
        return True
    return name in (owned if owned is not None else owned_netns_names(prefix))


# ---------------------------------------------------------------------------
# The plan: everything the lab will create, computed from the options only.

def make_plan(prefix, hosts=DEFAULT_HOSTS, ovs=True, scale=None):
    check_prefix(prefix)
    if not 1 <= hosts <= MAX_HOSTS:
        raise LabError(f"--hosts must be between 1 and {MAX_HOSTS}, not {hosts}")
    scale = dict(scale or {})
    for k in ("namespaces", "interfaces", "ovs_ports"):
        scale.setdefault(k, 0)
        if scale[k] < 0:
            raise LabError(f"scale {k} must not be negative")
    if scale["ovs_ports"] and not ovs:
        raise LabError("--ovs-ports needs Open vSwitch (drop --no-ovs)")
    if scale["interfaces"] and not scale["namespaces"]:
        scale["namespaces"] = 1
    rdir = run_dir(prefix)
    plan = {
            "prefix": prefix,
            "env": env_name(prefix),
            "run_dir": rdir,
            "options": {"hosts": hosts, "ovs": ovs, "scale": scale},
            "fabric": {"netns": f"{prefix}-fabric", "bridge": "br-fabric"},
            "hosts": [],
            "networks": [],
            "routers": [],
            "vms": [],
    }
    for i in range(1, hosts + 1):
        name = f"host{i}"
        hdir = os.path.join(rdir, name)
        h = {
                "name": name,
                "index": i,
                "netns": f"{prefix}-h{i}",
                "dir": hdir,
                "eth0_ip": f"{UNDERLAY_LB[10 + i]}/{UNDERLAY_LB.prefixlen}",
                "eth1_ip": f"{UNDERLAY_OVS[10 + i]}/{UNDERLAY_OVS.prefixlen}",
                "fabric_ports": {"eth0": ifname(f"h{i}-eth0"), "eth1": ifname(f"h{i}-eth1")},
                "libvirt": f"test://{hdir}/libvirt.xml",
                "libvirt_file": os.path.join(hdir, "libvirt.xml"),
        }
        if ovs:
            odir = os.path.join(hdir, "ovs")
            h["ovs"] = {
                    "dir": odir,
                    "db": os.path.join(odir, "conf.db"),
                    "sock": os.path.join(odir, "db.sock"),
                    "ovsdb": f"unix:{odir}/db.sock",
                    "system_id": lab_uuid(prefix, "ovs", name),
                    "br_phy_ip": h["eth1_ip"],
                    "tunnels": [],
            }
        plan["hosts"].append(h)
    for h in plan["hosts"]:
        if ovs:
            for o in plan["hosts"]:
                if o is h:
                    continue
                rip = o["eth1_ip"].split("/")[0]
                h["ovs"]["tunnels"].append({
                        "port": tunnel_port_name(rip), "remote_ip": rip,
                        "local_ip": h["eth1_ip"].split("/")[0], "key": OVS_VNI,
                        "remote_host": o["name"]})
    for name, kind, vni, cidr in NETWORKS:
        if kind == "ovs" and not ovs:
            continue
        gateway = str(ipaddress.ip_network(cidr)[1]) if name in ROUTER[1] else None
        plan["networks"].append(network_entry(prefix, rdir, name, kind, vni, cidr, gateway))
    rname, rnets = ROUTER
    rid = lab_uuid(prefix, "router", rname)
    r = {"name": rname, "id": rid, "netns": f"qrouter-{rid}", "host": "host1",
         "interfaces": []}
    for nname in rnets:
        r["interfaces"].append(router_interface_entry(prefix, rname, _net(plan, nname)))
    plan["routers"].append(r)
    k = 0
    for h in plan["hosts"]:
        for nname, plug in VM_SLOTS:
            if plug != "linuxbridge" and not ovs:
                continue
            k += 1
            vname = f"vm{k}"
            n = _net(plan, nname)
            plan["vms"].append(vm_entry(prefix, rdir, vname, h, n, plug,
                                        str(ipaddress.ip_network(n["cidr"])[10 + k])))
    check_unique_identities(plan)
    return plan


def network_entry(prefix, rdir, name, kind, vni, cidr, gateway):
    """A tenant network as the plan and state.json record it; every name
    and uuid derived from prefix and name."""
    net_id = lab_uuid(prefix, "network", name)
    subnet = ipaddress.ip_network(cidr)
    dport = lab_uuid(prefix, "port", "dhcp", name)
    n = {
            "name": name, "id": net_id, "kind": kind, "vni": vni,
            "subnet_id": lab_uuid(prefix, "subnet", name),
            "cidr": str(subnet), "prefixlen": subnet.prefixlen,
            "gateway": gateway,
            "mtu": TENANT_MTU,
            "dhcp": {
                    "netns": f"qdhcp-{net_id}", "host": "host1",
                    "port_id": dport, "ip": str(subnet[2]),
                    "mac": lab_mac(dport), "ns_dev": port_names(dport)["ns-"],
                    "tap": port_names(dport)["tap"],
                    "dir": os.path.join(rdir, "dhcp", name),
            },
    }
    if kind == "linuxbridge":
        n["bridge"] = ifname("brq" + net_id[:11])
        n["vxlan_dev"] = ifname(f"vxlan-{vni}")
    else:
        n["local_vlan"] = OVS_LOCAL_VLAN
    return n


def router_interface_entry(prefix, rname, n):
    """Router rname's interface on network n (its gateway address)."""
    pid_ = lab_uuid(prefix, "port", rname, n["name"])
    return {"network": n["name"], "port_id": pid_, "dev": port_names(pid_)["qr-"],
            "tap": port_names(pid_)["tap"], "ip": f"{n['gateway']}/{n['prefixlen']}",
            "mac": lab_mac(pid_)}


def vm_entry(prefix, rdir, vname, h, n, plug, ip_addr):
    """VM vname on host h, network n: uuids, MAC and device names derived
    from prefix and name, so a VM re-added gets the same identity."""
    port_id = lab_uuid(prefix, "port", vname, "eth0")
    pn = port_names(port_id)
    mac = lab_mac(port_id)
    vm = {
            "name": vname, "uuid": lab_uuid(prefix, "instance", vname),
            "host": h["name"], "host_netns": h["netns"],
            "network": n["name"], "network_id": n["id"], "plug": plug,
            "port_id": port_id, "mac": mac,
            "ip": ip_addr,
            "prefixlen": n["prefixlen"], "gateway": n["gateway"],
            "tap": pn["tap"], "tap_mac": "fe" + mac[2:],
            "dev": "eth0",
            "pid_file": os.path.join(rdir, "vms", f"{vname}.pid"),
            "udhcpc_pid_file": os.path.join(rdir, "vms", f"{vname}.udhcpc.pid"),
            "lease_file": os.path.join(rdir, "vms", f"{vname}.lease"),
    }
    if plug == "linuxbridge":
        vm["bridge"] = n["bridge"]
    elif plug == "hybrid":
        vm.update(qbr=pn["qbr"], qvb=pn["qvb"], qvo=pn["qvo"],
                  bridge=pn["qbr"], ovs_port=pn["qvo"])
    else:
        vm.update(bridge="br-int", ovs_port=pn["tap"])
    return vm


def check_unique_identities(plan):
    """Derived from uuids: a collision is astronomically unlikely, but would
    silently merge two ports, so refuse it."""
    macs, devs = [], []
    for v in plan["vms"]:
        macs.append(v["mac"])
        devs += [v[k] for k in ("tap", "qbr", "qvb", "qvo") if k in v]
    for n in plan["networks"]:
        macs.append(n["dhcp"]["mac"])
        devs.append(n["dhcp"]["tap"])
    for r in plan["routers"]:
        macs += [i["mac"] for i in r["interfaces"]]
        devs += [i["tap"] for i in r["interfaces"]]
    if len(set(macs)) != len(macs) or len(set(devs)) != len(devs):
        raise LabError(f"derived MAC addresses or device names collide for prefix "
                       f"'{plan['prefix']}'; choose another prefix or name")


def _net(plan, name):
    for n in plan["networks"]:
        if n["name"] == name:
            return n
    raise LabError(f"no network '{name}' in this lab")


def _host(plan, name):
    for h in plan["hosts"]:
        if h["name"] == name:
            return h
    raise LabError(f"no host '{name}' in this lab")


# ---------------------------------------------------------------------------
# State file.

def state_path(prefix):
    return os.path.join(run_dir(prefix), "state.json")


def env_path(prefix):
    return os.path.join(run_dir(prefix), "environment.json")


def load_state(prefix=None):
    """The lab's own record (state.json), or None when there is none or it
    cannot be read (a crash mid-write)."""
    try:
        with open(state_path(prefix or default_prefix())) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


class _Lock:
    """flock on /run/calipso-lab: one up/down at a time on this machine."""

    def __enter__(self):
        os.makedirs(RUN_ROOT, mode=0o755, exist_ok=True)
        self.fd = os.open(RUN_ROOT, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


# ---------------------------------------------------------------------------
# Building.

class _Builder:
    def __init__(self, plan, log):
        self.plan = plan
        self.log = log
        self.prefix = plan["prefix"]
        self.env = dict(os.environ)
        self.env[OWNER_VAR] = self.prefix
        self.state = dict(plan)
        self.state.update(complete=False, steps=[], namespaces=[], processes=[],
                          ovs_ports=[], created=time.time(), scale_objects={},
                          changes=[], links_down=[], pending=[])

    # State is saved after every change so that a crash leaves a record.
    def save(self):
        write_file(os.path.join(self.plan["run_dir"], "state.json"),
                   json.dumps(self.state, indent=1, sort_keys=True) + "\n")

    def step_done(self, step):
        self.state["steps"].append(step)
        self.save()
        if os.environ.get(CRASH_VAR) == step:
            # Simulated crash: no cleanup, no exception handlers.
            os._exit(99)

    def add_netns(self, name):
        if name in netns_list():
            raise LabError(f"namespace '{name}' already exists and is not recorded as ours")
        self.state["namespaces"].append(name)
        self.save()
        run(["ip", "netns", "add", name])
        ip(name, "link", "set", "lo", "up")

    def track(self, kind, name, pid_file, pid=None):
        """Records a process we started; without pid, waits for its pid
        file to name a live process (daemons rewrite it after forking)."""
        if pid is None:
            def live():
                p = read_pid_file(pid_file)
                return p if p and pid_alive(p) else None
            pid = wait_until(live, 10, f"a running {kind} in pid file {pid_file}")
        start = proc_start_time(pid)
        if start is None:
            raise LabError(f"{kind} {name} (pid {pid}) exited right after starting")
        entry = {"kind": kind, "name": name, "pid": pid, "start": start,
                 "pid_file": pid_file}
        self.state["processes"].append(entry)
        self.save()
        return entry

    def sysctl(self, ns, settings):
        args = [f"{k}={v}" for k, v in settings]
        ns_exec(ns, ["sysctl", "-q", "-w", *args])

    # -- steps ---------------------------------------------------------
    def build(self):
        p = self.plan
        os.makedirs(p["run_dir"], mode=0o755, exist_ok=True)
        for sub in ("vms", "dhcp"):
            os.makedirs(os.path.join(p["run_dir"], sub), exist_ok=True)
        self.save()
        t0 = time.monotonic()
        for step in STEPS:
            fn = getattr(self, "do_" + step)
            t = time.monotonic()
            fn()
            self.log(f"lab: {step} done in {time.monotonic() - t:.2f}s")
            self.step_done(step)
        self.write_environment()
        self.state["complete"] = True
        self.state["up_seconds"] = round(time.monotonic() - t0, 2)
        self.save()
        return self.state

    def do_namespaces(self):
        self.add_netns(self.plan["fabric"]["netns"])
        for h in self.plan["hosts"]:
            self.add_netns(h["netns"])
            os.makedirs(h["dir"], exist_ok=True)

    def do_fabric(self):
        fab = self.plan["fabric"]
        fns = fab["netns"]
        lines = [f"link add {fab['bridge']} type bridge", f"link set {fab['bridge']} up"]
        for h in self.plan["hosts"]:
            for dev, port in h["fabric_ports"].items():
                lines.append(f"link add {port} type veth peer name {dev} netns {h['netns']}")
                lines.append(f"link set {port} master {fab['bridge']} up")
        ip_batch(fns, lines)
        for h in self.plan["hosts"]:
            ns = h["netns"]
            # Two underlays share the fabric's L2: answer ARP only for the
            # address of the interface asked, as a real host with two NICs
            # on one segment must.
            self.sysctl(ns, [("net.ipv4.conf.all.arp_ignore", 1),
                             ("net.ipv4.conf.all.arp_announce", 2),
                             ("net.ipv4.ip_forward", 0)])
            ip_batch(ns, [f"addr add {h['eth0_ip']} dev eth0", "link set eth0 up",
                          "link set eth1 up"])

    def do_linuxbridge(self):
        for h in self.plan["hosts"]:
            lines, fdb = [], []
            for n in self.plan["networks"]:
                if n["kind"] == "linuxbridge":
                    a, b = self.lb_lines(h, n)
                    lines += a
                    fdb += b
            ip_batch(h["netns"], lines)
            bridge_batch(h["netns"], fdb)

    def lb_lines(self, h, n):
        """`ip` and `bridge` batch lines making network n's bridge and VXLAN
        device on host h."""
        local = h["eth0_ip"].split("/")[0]
        br, vx = n["bridge"], n["vxlan_dev"]
        lines = [f"link add {br} type bridge",
                 f"link add {vx} type vxlan id {n['vni']} local {local} "
                 f"dev eth0 dstport {VXLAN_PORT}",
                 f"link set {vx} master {br} up", f"link set {br} up"]
        # Head-end replication: flood to every other host.
        fdb = [f"fdb append 00:00:00:00:00:00 dev {vx} dst {o['eth0_ip'].split('/')[0]}"
               for o in self.plan["hosts"] if o["name"] != h["name"]]
        return lines, fdb

    def vsctl(self, h, *args, timeout=30):
        return run(["ovs-vsctl", f"--db={h['ovs']['ovsdb']}", f"--timeout={timeout}", *args],
                   timeout=timeout + 10)

    def ovs_env(self, h):
        d = h["ovs"]["dir"]
        env = dict(self.env)
        env.update(OVS_RUNDIR=d, OVS_LOGDIR=d, OVS_DBDIR=d, OVS_SYSCONFDIR=d)
        return env

    def do_ovs(self):
        if not self.plan["options"]["ovs"]:
            return
        for h in self.plan["hosts"]:
            o = h["ovs"]
            d = o["dir"]
            os.makedirs(d, exist_ok=True)
            run(["ovsdb-tool", "create", o["db"], OVS_SCHEMA])
            env = self.ovs_env(h)
            run(["ip", "netns", "exec", h["netns"], "ovsdb-server", o["db"],
                 f"--remote=punix:{o['sock']}", f"--pidfile={d}/ovsdb-server.pid",
                 f"--unixctl={d}/ovsdb-server.ctl", f"--log-file={d}/ovsdb-server.log",
                 "--detach", "--no-chdir"], env=env)
            self.track("ovsdb-server", h["name"], f"{d}/ovsdb-server.pid")
            self.vsctl(h, "--no-wait", "init", "--",
                       "set", "Open_vSwitch", ".",
                       f"external_ids:hostname={h['name']}",
                       f"external_ids:system-id={o['system_id']}",
                       "other_config:n-handler-threads=1",
                       "other_config:n-revalidator-threads=1")
            run(["ip", "netns", "exec", h["netns"], "ovs-vswitchd", f"unix:{o['sock']}",
                 f"--pidfile={d}/ovs-vswitchd.pid", f"--unixctl={d}/ovs-vswitchd.ctl",
                 f"--log-file={d}/ovs-vswitchd.log", "--detach", "--no-chdir"], env=env)
            self.track("ovs-vswitchd", h["name"], f"{d}/ovs-vswitchd.pid")
        for h in self.plan["hosts"]:
            self.ovs_bridges(h)
        for h in self.plan["hosts"]:
            o = h["ovs"]
            # The route the userspace tunnels need comes from br-phy's address.
            want = str(ipaddress.ip_interface(o["br_phy_ip"]).network)
            wait_until(lambda: want in self.appctl(h, "ovs/route/show"), 10,
                       f"OVS route to {want} on {h['name']}")

    def appctl(self, h, *args):
        d = h["ovs"]["dir"]
        return run(["ovs-appctl", "-t", f"{d}/ovs-vswitchd.ctl", *args]).stdout

    def ovs_bridges(self, h):
        o = h["ovs"]
        args = ["--may-exist", "add-br", "br-phy", "--",
                "set", "Bridge", "br-phy", "datapath_type=netdev", "--",
                "add-port", "br-phy", "eth1", "--",
                "add-br", "br-int", "--", "set", "Bridge", "br-int", "datapath_type=netdev", "--",
                "add-br", "br-tun", "--", "set", "Bridge", "br-tun", "datapath_type=netdev",
                "fail_mode=secure", "--",
                "add-port", "br-int", "patch-tun", "--",
                "set", "Interface", "patch-tun", "type=patch", "options:peer=patch-int", "--",
                "add-port", "br-tun", "patch-int", "--",
                "set", "Interface", "patch-int", "type=patch", "options:peer=patch-tun"]
        for t in o["tunnels"]:
            args += ["--", "add-port", "br-tun", t["port"], "--",
                     "set", "Interface", t["port"], "type=vxlan",
                     f"options:remote_ip={t['remote_ip']}", f"options:local_ip={t['local_ip']}",
                     f"options:key={t['key']}", f"options:dst_port={VXLAN_PORT}"]
        self.vsctl(h, *args)
        for br, port in (("br-phy", "eth1"), ("br-int", "patch-tun"), ("br-tun", "patch-int")):
            self.record_ovs_port(h, br, port, {})
        for t in o["tunnels"]:
            self.record_ovs_port(h, "br-tun", t["port"], {},
                                 options={"remote_ip": t["remote_ip"],
                                          "local_ip": t["local_ip"], "key": str(t["key"]),
                                          "dst_port": str(VXLAN_PORT)})
        # The tap behind br-phy exists once vswitchd applied the change
        # (ovs-vsctl waited for it).
        ip_batch(h["netns"], [f"addr add {o['br_phy_ip']} dev br-phy", "link set br-phy up"])
        self.tun_flows(h)

    def tun_flows(self, h):
        """Neutron's br-tun pipeline for one VXLAN network: table 0 splits
        by ingress, 2 unicast/flood, 4 tunnel id -> local VLAN, 10 learns
        the remote MACs into 20, 22 floods to every tunnel."""
        nets = [n for n in self.plan["networks"] if n["kind"] == "ovs"]
        tunnels = [t["port"] for t in h["ovs"]["tunnels"]]
        flows = ["table=0,priority=1,in_port=patch-int,actions=resubmit(,2)",
                 "table=0,priority=0,actions=drop",
                 "table=2,priority=0,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00,"
                 "actions=resubmit(,20)",
                 "table=2,priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,"
                 "actions=resubmit(,22)",
                 "table=3,priority=0,actions=drop",
                 "table=4,priority=0,actions=drop",
                 "table=6,priority=0,actions=drop",
                 "table=10,priority=1,actions=learn(table=20,hard_timeout=300,priority=1,"
                 "NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],"
                 "load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],"
                 "output:OXM_OF_IN_PORT[]),output:patch-int",
                 "table=20,priority=0,actions=resubmit(,22)",
                 "table=22,priority=0,actions=drop"]
        for t in tunnels:
            flows.append(f"table=0,priority=1,in_port={t},actions=resubmit(,4)")
        for n in nets:
            # Per network: its tunnel id <-> its local VLAN.
            vlan, vni = n["local_vlan"], n["vni"]
            flows.append(f"table=4,priority=1,tun_id={vni:#x},"
                         f"actions=mod_vlan_vid:{vlan},resubmit(,10)")
            if tunnels:
                outs = ",".join(f"output:{t}" for t in tunnels)
                flows.append(f"table=22,priority=1,dl_vlan={vlan},actions=strip_vlan,"
                             f"set_tunnel:{vni:#x},{outs}")
        mgmt = f"unix:{h['ovs']['dir']}/br-tun.mgmt"
        # replace-flows: only the difference is applied (no window without
        # flows when a network comes or goes).
        # replace-flows needs table ids in flow mods, i.e. OpenFlow 1.1+.
        run(["ovs-ofctl", "-O", "OpenFlow13", "replace-flows", mgmt, "-"],
            input="\n".join(flows) + "\n")

    def record_ovs_port(self, h, bridge, port, external_ids, tag=None, options=None,
                        other_config=None):
        self.state["ovs_ports"].append({
                "host": h["name"], "bridge": bridge, "port": port, "interface": port,
                "tag": tag, "external_ids": external_ids, "options": options or {},
                "other_config": other_config or {}})

    def port_ovs_args(self, port, ext, net, tag):
        """ovs-vsctl arguments plugging `port` into br-int the way the
        Neutron agent and os-vif leave it."""
        args = ["--", "--may-exist", "add-port", "br-int", port, f"tag={tag}",
                "--", "set", "Interface", port]
        args += [f"external_ids:{k}={v}" for k, v in ext.items()]
        args += ["--", "set", "Port", port,
                 f"other_config:net_uuid={net['id']}",
                 "other_config:network_type=vxlan",
                 f"other_config:segmentation_id={net['vni']}",
                 f"other_config:tag={tag}"]
        return args

    def other_config(self, net, tag):
        return {"net_uuid": net["id"], "network_type": "vxlan",
                "segmentation_id": str(net["vni"]), "tag": str(tag)}

    def do_dhcp(self):
        for n in self.plan["networks"]:
            self.add_dhcp(n)

    def add_dhcp(self, n):
        """Network n's qdhcp namespace, its port and dnsmasq."""
        h1 = _host(self.plan, n["dhcp"]["host"])
        d = n["dhcp"]
        os.makedirs(d["dir"], exist_ok=True)
        self.add_netns(d["netns"])
        ip_batch(h1["netns"], [
                f"link add {d['tap']} mtu {n['mtu']} type veth peer name {d['ns_dev']} "
                f"mtu {n['mtu']} address {d['mac']} netns {d['netns']}",
                f"link set {d['tap']} up"])
        ip_batch(d["netns"], [f"addr add {d['ip']}/{n['prefixlen']} dev {d['ns_dev']}",
                              f"link set {d['ns_dev']} up"])
        if n["kind"] == "linuxbridge":
            ip(h1["netns"], "link", "set", d["tap"], "master", n["bridge"])
        else:
            # The userspace datapath forwards checksum-offloaded
            # frames without completing the checksum: compute it here.
            ns_exec(d["netns"], ["ethtool", "-K", d["ns_dev"], "tx", "off"])
            ext = {"iface-id": d["port_id"], "attached-mac": d["mac"],
                   "iface-status": "active"}
            self.vsctl(h1, *self.port_ovs_args(d["tap"], ext, n, n["local_vlan"])[1:])
            self.record_ovs_port(h1, "br-int", d["tap"], ext, tag=n["local_vlan"],
                                 other_config=self.other_config(n, n["local_vlan"]))
            self.save()
        self.start_dnsmasq(n)

    def write_dhcp_hosts(self, n, exclude=()):
        """dnsmasq's hosts file of network n: MAC,name,IP of its VMs (as
        Neutron's static allocations)."""
        hosts = [f"{v['mac']},{v['name']},{v['ip']}" for v in self.plan["vms"]
                 if v["network"] == n["name"] and v["name"] not in exclude]
        write_file(os.path.join(n["dhcp"]["dir"], "host"), "\n".join(hosts) + "\n")

    def start_dnsmasq(self, n):
        d = n["dhcp"]
        self.write_dhcp_hosts(n)
        net = ipaddress.ip_network(n["cidr"])
        argv = ["ip", "netns", "exec", d["netns"], "dnsmasq",
                "--conf-file=/dev/null", "--no-hosts", "--no-resolv", "--port=0",
                f"--interface={d['ns_dev']}", "--bind-interfaces", "--except-interface=lo",
                f"--pid-file={d['dir']}/pid", f"--dhcp-leasefile={d['dir']}/leases",
                f"--dhcp-hostsfile={d['dir']}/host", f"--log-facility={d['dir']}/log",
                "--log-dhcp", "--dhcp-authoritative", "--dhcp-lease-max=256",
                f"--dhcp-range=set:subnet-{n['subnet_id']},{net.network_address},static,"
                f"{net.netmask},86400s",
                f"--dhcp-option-force=tag:subnet-{n['subnet_id']},option:mtu,{n['mtu']}"]
        if n["gateway"]:
            argv.append(f"--dhcp-option=tag:subnet-{n['subnet_id']},option:router,"
                        f"{n['gateway']}")
        else:
            # No router on this subnet: offer no default route.
            argv.append(f"--dhcp-option=tag:subnet-{n['subnet_id']},option:router")
        run(argv, env=self.env)
        self.track("dnsmasq", n["name"], f"{d['dir']}/pid")

    def do_router(self):
        for r in self.plan["routers"]:
            self.add_netns(r["netns"])
            self.sysctl(r["netns"], [("net.ipv4.ip_forward", 1)])
            for itf in r["interfaces"]:
                self.add_router_interface(r, itf)

    def add_router_interface(self, r, itf):
        """qr-... in the router's namespace, its tap... peer in the network's
        bridge on the router's host."""
        h = _host(self.plan, r["host"])
        n = _net(self.plan, itf["network"])
        ip_batch(h["netns"], [
                f"link add {itf['tap']} mtu {n['mtu']} type veth peer name "
                f"{itf['dev']} mtu {n['mtu']} address {itf['mac']} "
                f"netns {r['netns']}",
                f"link set {itf['tap']} master {n['bridge']} up"])
        ip_batch(r["netns"], [f"addr add {itf['ip']} dev {itf['dev']}",
                              f"link set {itf['dev']} up"])

    def do_vms(self):
        self.create_vms(self.plan["vms"])
        self.save()

    def create_vms(self, vms):
        """Holder processes and namespaces of vms, their host-side plumbing
        and OVS ports (the VMs are in state["vms"] already)."""
        for vm in vms:
            pid = spawn_detached(
                    ["unshare", "--net", "--uts", "--", "/bin/sh", "-c",
                     'hostname "$1" && exec sleep infinity', "sh", vm["name"]],
                    self.env, vm["pid_file"])
            vm["pid"] = pid
            self.track("vm", vm["name"], vm["pid_file"], pid=pid)
        mine = proc_netns_inode(os.getpid())
        for vm in vms:
            # The namespace exists once unshare has run and exec'd sleep.
            wait_until(lambda: proc_cmdline(vm["pid"]) == "sleep infinity"
                       and proc_netns_inode(vm["pid"]) != mine, 10,
                       f"VM {vm['name']} namespace (pid {vm['pid']})")
            vm["netns_inode"] = proc_netns_inode(vm["pid"])
            vm["netns_path"] = f"/proc/{vm['pid']}/ns/net"
        by_host = {}
        for vm in vms:
            self.plug_vm(vm)
            by_host.setdefault(vm["host"], []).append(vm)
        for hname, hvms in by_host.items():
            h = _host(self.plan, hname)
            args = []
            for vm in hvms:
                if vm["plug"] in ("hybrid", "direct"):
                    n = _net(self.plan, vm["network"])
                    ext = {"iface-id": vm["port_id"], "attached-mac": vm["mac"],
                           "iface-status": "active", "vm-uuid": vm["uuid"]}
                    args += self.port_ovs_args(vm["ovs_port"], ext, n, n["local_vlan"])
                    self.record_ovs_port(h, "br-int", vm["ovs_port"], ext,
                                         tag=n["local_vlan"],
                                         other_config=self.other_config(n, n["local_vlan"]))
            if args:
                self.vsctl(h, *args[1:])

    def plug_vm(self, vm):
        hns, mtu = vm["host_netns"], TENANT_MTU
        lines = [f"link add {vm['tap']} mtu {mtu} address {vm['tap_mac']} type veth "
                 f"peer name eth0 mtu {mtu} address {vm['mac']} netns {vm['pid']}"]
        if vm["plug"] == "linuxbridge":
            lines.append(f"link set {vm['tap']} master {vm['bridge']} up")
        elif vm["plug"] == "hybrid":
            lines += [f"link add {vm['qbr']} type bridge",
                      f"link set {vm['qbr']} up",
                      f"link add {vm['qvb']} mtu {mtu} type veth peer name {vm['qvo']} "
                      f"mtu {mtu}",
                      f"link set {vm['qvb']} master {vm['qbr']} up",
                      f"link set {vm['qvo']} up",
                      f"link set {vm['tap']} master {vm['qbr']} up"]
        else:
            lines.append(f"link set {vm['tap']} up")
        ip_batch(hns, lines)
        script = "ip link set lo up && ip link set eth0 up"
        if vm["plug"] != "linuxbridge":
            # See do_dhcp: the userspace datapath needs full checksums.
            script += " && ethtool -K eth0 tx off >/dev/null"
        vm_exec(vm["pid"], ["/bin/sh", "-c", script])

    def do_leases(self):
        self.get_leases(self.plan["vms"])

    def get_leases(self, vms):
        """Starts udhcpc in each VM (in parallel) and waits for the leases."""
        procs = []
        for vm in vms:
            env = dict(self.env, LAB_LEASE_FILE=vm["lease_file"], LAB_VM=vm["name"])
            argv = ["nsenter", "--net", "--uts", "-t", str(vm["pid"]),
                    "busybox", "udhcpc", "-i", "eth0", "-s", UDHCPC_SCRIPT,
                    "-p", vm["udhcpc_pid_file"], "-x", f"hostname:{vm['name']}",
                    "-t", "10", "-T", "1", "-A", "2", "-b"]
            logf = open(vm["lease_file"] + ".log", "w")
            procs.append((vm, argv, logf, subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, env=env)))
        for vm, argv, logf, p in procs:
            # udhcpc forks into the background once bound (or, with -b,
            # after its discover attempts); the foreground part exits.
            try:
                rc = p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                rc = "timeout"
            logf.close()
            if rc != 0:
                with open(vm["lease_file"] + ".log") as f:
                    err = f.read().strip()
                raise LabError(f"command failed ({rc}): {_fmt_cmd(argv)}\n  {err}")
            self.track("udhcpc", vm["name"], vm["udhcpc_pid_file"])
        for vm in vms:
            wait_until(lambda: _vm_lease_ip(vm) == vm["ip"], 30,
                       f"DHCP lease {vm['ip']} of {vm['name']}", interval=0.1)

    def do_libvirt(self):
        for h in self.plan["hosts"]:
            self.write_libvirt(h)

    def write_libvirt(self, h, exclude=()):
        """Rewrites host h's libvirt test-driver file from the VMs in the
        state (less `exclude`) and checks virsh lists exactly those."""
        write_file(h["libvirt_file"], libvirt_xml(self.plan, h, exclude))
        cp = run(["virsh", "-c", h["libvirt"], "list", "--all", "--name"])
        got = sorted(n for n in cp.stdout.split() if n)
        want = sorted(v["name"] for v in self.plan["vms"]
                      if v["host"] == h["name"] and v["name"] not in exclude)
        if got != want:
            raise LabError(f"virsh -c {h['libvirt']} lists {got}, not {want}")

    def do_scale(self):
        s = self.plan["options"]["scale"]
        objs = self.state["scale_objects"]
        if s["namespaces"]:
            per = _spread(s["interfaces"], s["namespaces"])
            objs["namespaces"] = []
            for i in range(1, s["namespaces"] + 1):
                ns = f"{self.prefix}-s{i}"
                self.add_netns(ns)
                objs["namespaces"].append(ns)
                n = per[i - 1]
                lines = []
                if n:
                    lines += ["link add br-scale type bridge", "link set br-scale up"]
                    n -= 1
                for j in range(0, n - 1, 2):
                    a, b = ifname(f"sv{j // 2}a"), ifname(f"sv{j // 2}b")
                    lines += [f"link add {a} type veth peer name {b}",
                              f"link set {a} master br-scale up", f"link set {b} up"]
                if n % 2:
                    lines += ["tuntap add st0 mode tap", "link set st0 master br-scale"]
                ip_batch(ns, lines)
            objs["interfaces"] = s["interfaces"]
        if s["ovs_ports"]:
            self.scale_ovs_ports(s["ovs_ports"])

    def scale_ovs_ports(self, count):
        """`count` VM-like internal ports on host1's br-int (net3's VLAN)."""
        objs = self.state["scale_objects"]
        h = self.plan["hosts"][0]
        n = _net(self.plan, "net3")
        groups = []
        for i in range(count):
            pid_ = lab_uuid(self.prefix, "port", "scale", str(i))
            name = port_names(pid_)["tap"]
            ext = {"iface-id": pid_, "attached-mac": lab_mac(pid_),
                   "iface-status": "active",
                   "vm-uuid": lab_uuid(self.prefix, "instance", "scale", str(i))}
            groups.append(self.port_ovs_args(name, ext, n, n["local_vlan"]) +
                          ["--", "set", "Interface", name, "type=internal"])
        # Transactions of 250 ports keep each one well inside the timeout.
        for k in range(0, len(groups), 250):
            args = [a for g in groups[k:k + 250] for a in g]
            self.vsctl(h, *args[1:], timeout=120)
        objs["ovs_ports"] = {"host": h["name"], "bridge": "br-int",
                             "count": len(groups)}

    def do_check(self):
        res = connectivity(self.state)
        bad = [c for c in res if not c["ok"]]
        if bad:
            raise LabError("connectivity check failed: " +
                           "; ".join(f"{c['check']} {c['from']} -> {c['to']} ({c['ip']})"
                                     for c in bad))
        self.state["checks"] = res

    def write_environment(self):
        p = self.plan
        hosts = []
        for h in p["hosts"]:
            e = {"name": h["name"], "netns": h["netns"]}
            if "ovs" in h:
                e["ovsdb"] = h["ovs"]["ovsdb"]
            e["libvirt"] = h["libvirt"]
            hosts.append(e)
        doc = {"name": p["env"], "hosts": hosts,
               "switches": [{"name": "fabric", "netns": p["fabric"]["netns"]}],
               "pnic_names": ["eth0", "eth1"]}
        write_file(os.path.join(p["run_dir"], "environment.json"),
                   json.dumps(doc, indent=1) + "\n")


def _spread(total, buckets):
    base, extra = divmod(total, buckets)
    return [base + (1 if i < extra else 0) for i in range(buckets)]


def _vm_lease_ip(vm):
    try:
        with open(vm["lease_file"]) as f:
            return json.load(f).get("ip")
    except (OSError, ValueError):
        return None


def libvirt_xml(plan, h, exclude=()):
    """The libvirt test-driver node file describing host h's VMs (but those
    named in exclude) as running domains, their interfaces as Nova's
    libvirt driver writes them."""
    node = ET.Element("node")
    nova = "http://openstack.org/xmlns/libvirt/nova/1.1"
    ET.register_namespace("nova", nova)
    for vm in plan["vms"]:
        if vm["host"] != h["name"] or vm["name"] in exclude:
            continue
        dom = ET.SubElement(node, "domain", type="test")
        ET.SubElement(dom, "name").text = vm["name"]
        ET.SubElement(dom, "uuid").text = vm["uuid"]
        md = ET.SubElement(ET.SubElement(dom, "metadata"), f"{{{nova}}}instance")
        ET.SubElement(md, f"{{{nova}}}name").text = vm["name"]
        ports = ET.SubElement(md, f"{{{nova}}}ports")
        port = ET.SubElement(ports, f"{{{nova}}}port", uuid=vm["port_id"])
        ET.SubElement(port, f"{{{nova}}}ip", type="fixed", address=vm["ip"], ipVersion="4")
        ET.SubElement(dom, "memory", unit="KiB").text = str(VM_MEMORY_KIB)
        ET.SubElement(dom, "currentMemory", unit="KiB").text = str(VM_MEMORY_KIB)
        ET.SubElement(dom, "vcpu").text = "1"
        ET.SubElement(ET.SubElement(dom, "os"), "type", arch="x86_64").text = "hvm"
        devs = ET.SubElement(dom, "devices")
        itf = ET.SubElement(devs, "interface", type="bridge")
        ET.SubElement(itf, "mac", address=vm["mac"])
        ET.SubElement(itf, "source", bridge=vm["bridge"])
        if vm["plug"] == "direct":
            vp = ET.SubElement(itf, "virtualport", type="openvswitch")
            ET.SubElement(vp, "parameters", interfaceid=vm["port_id"])
        # Hybrid plugging (as Nova/os-vif do it) hands libvirt a plain
        # Linux bridge, qbr...: no <virtualport>; the port id is in the
        # nova metadata and in external_ids of the qvo... OVS interface.
        ET.SubElement(itf, "target", dev=vm["tap"])
        ET.SubElement(itf, "model", type="virtio")
        ET.SubElement(itf, "mtu", size=str(TENANT_MTU))
    ET.indent(node)
    return ET.tostring(node, encoding="unicode") + "\n"


# ---------------------------------------------------------------------------
# Status and connectivity.

def _ping(pid, target, count=1, wait=2):
    return subprocess.Popen(["nsenter", "--net", "-t", str(pid), "ping", "-n", "-q",
                             "-c", str(count), "-W", str(wait), target],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def connectivity_pairs(state):
    """The checks `status` runs: (check, from-vm, to-vm)."""
    vms = state.get("vms", [])

    def pick(host, net, plug=None):
        for v in vms:
            if v["host"] == host and v["network"] == net and (plug is None or v["plug"] == plug):
                return v
        return None
    hosts = [h["name"] for h in state.get("hosts", [])]
    first, others = hosts[0], hosts[1:] or hosts[:1]
    pairs = []
    for o in others:
        a, b = pick(first, "net1"), pick(o, "net1")
        if a and b and a is not b:
            pairs.append(("linuxbridge-vxlan", a, b))
        a, b = pick(first, "net3", "hybrid"), pick(o, "net3", "direct")
        if a and b:
            pairs.append(("ovs-vxlan", a, b))
        a, b = pick(first, "net3", "direct"), pick(o, "net3", "hybrid")
        if a and b:
            pairs.append(("ovs-vxlan", a, b))
    a, b = pick(first, "net1"), pick(others[0], "net2")
    if a and b:
        pairs.append(("router", a, b))
    a, b = pick(others[-1], "net2"), pick(first, "net1")
    if a and b and len(others) > 1:
        pairs.append(("router", a, b))
    return pairs


def connectivity(state, attempts=3):
    """Pings along connectivity_pairs(), in parallel; each pair gets a few
    attempts (the first packet may wait for ARP and MAC learning), one only
    when a link on its path is set down (link-set): it is expected to fail.
    Each result names those links in down_links."""
    pairs = connectivity_pairs(state)
    downs = {(l["host"], l["dev"]) for l in state.get("links_down", [])}
    down_links = [sorted(f"{h} {d}" for h, d in check_path(state, c, a, b) & downs)
                  for c, a, b in pairs]
    results = {}
    pending = list(range(len(pairs)))
    for _ in range(attempts):
        procs = [(i, _ping(pairs[i][1]["pid"], pairs[i][2]["ip"])) for i in pending]
        pending = []
        for i, p in procs:
            ok = p.wait() == 0
            results[i] = ok
            if not ok and not down_links[i]:
                pending.append(i)
        if not pending:
            break
    return [{"check": c, "from": a["name"], "to": b["name"], "ip": b["ip"],
             "ok": results.get(i, False), "down_links": down_links[i]}
            for i, (c, a, b) in enumerate(pairs)]


def _vm_devs(vm):
    return {(vm["host"], vm[k]) for k in ("tap", "qbr", "qvb", "qvo") if vm.get(k)}


def _segment(state, net, ha, hb):
    """(host, device) pairs a frame of network `net` crosses between a port
    on host ha and one on host hb: the bridges, and across hosts the
    VXLAN devices, NICs and fabric ports (Linux bridge) or br-phy, eth1 and
    fabric ports (OVS)."""
    n = _find(state.get("networks", []), net)
    if n is None:
        return set()
    out = {(ha, n["bridge"]), (hb, n["bridge"])} if n["kind"] == "linuxbridge" else set()
    if ha == hb:
        return out
    for hn in (ha, hb):
        i = _host(state, hn)["index"]
        if n["kind"] == "linuxbridge":
            out |= {(hn, n["vxlan_dev"]), (hn, "eth0"), ("fabric", f"h{i}-eth0")}
        else:
            out |= {(hn, "br-phy"), (hn, "eth1"), ("fabric", f"h{i}-eth1")}
    return out


def check_path(state, check, a, b):
    """(host, device) pairs a connectivity check from VM a to VM b crosses
    (host "fabric" is the switch): both VMs' ports, their networks'
    devices and underlay, and for "router" checks the router's ports."""
    path = _vm_devs(a) | _vm_devs(b)
    if check != "router":
        return path | _segment(state, a["network"], a["host"], b["host"])
    for r in state.get("routers", []):
        itfs = {i["network"]: i for i in r["interfaces"]}
        if a["network"] in itfs and b["network"] in itfs:
            return (path | _segment(state, a["network"], a["host"], r["host"]) |
                    _segment(state, b["network"], r["host"], b["host"]) |
                    {(r["host"], itfs[a["network"]]["tap"]),
                     (r["host"], itfs[b["network"]]["tap"])})
    return path


def _dnsmasq_leases(path):
    out = {}
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3:
                    out[parts[1].lower()] = parts[2]
    except OSError:
        pass
    return out


def _vm_addresses(pid):
    cp = run(["nsenter", "--net", "-t", str(pid), "ip", "-j", "-4", "addr", "show", "dev",
              "eth0"], check=False)
    if cp.returncode != 0:
        return []
    try:
        return [a["local"] for d in json.loads(cp.stdout) for a in d.get("addr_info", [])]
    except (ValueError, KeyError):
        return []


def status(prefix=None, check_connectivity=True):
    """What is up: namespaces, processes, leases, connectivity.  Returns a
    dict with "healthy" true when everything recorded is present and
    working; "exists" false when there is no lab of this prefix."""
    prefix = check_prefix(prefix or default_prefix())
    st = load_state(prefix)
    owned = _owned_netns(prefix, st)
    present = [n for n in netns_list() if is_owned_netns(prefix, n, owned)]
    res = {"prefix": prefix, "run_dir": run_dir(prefix), "exists": bool(st or present),
           "complete": bool(st and st.get("complete")), "namespaces": [], "processes": [],
           "leases": [], "connectivity": [], "ovs_routes": [], "links_down": [],
           "drift": [], "changes": 0, "problems": []}
    if not st:
        if present:
            res["problems"].append("namespaces without a state file: " + ", ".join(present))
            res["namespaces"] = [{"name": n, "present": True} for n in present]
        res["healthy"] = False
        return res
    res["env"] = st.get("env")
    res["options"] = st.get("options")
    res["changes"] = len(st.get("changes", []))
    try:
        o = st["options"]
        res["drift"] = lab_drift(st, make_plan(prefix, o["hosts"], o["ovs"], o["scale"]))
    except (LabError, KeyError, TypeError) as e:
        res["problems"].append(f"cannot compare the lab with the built one: {e}")
    for p in st.get("pending", []):
        res["problems"].append(f"{p['op']} {p['target']} was interrupted (the next change, "
                               "or up, settles it)")
    downs = set()
    for l in st.get("links_down", []):
        info = _link_info(l["netns"], l["dev"])
        is_down = info is not None and "UP" not in info.get("flags", [])
        res["links_down"].append({"host": l["host"], "dev": l["dev"], "since": l.get("since"),
                                  "ok": is_down})
        downs.add((l["host"], l["dev"]))
        if info is None:
            res["problems"].append(f"{l['host']} {l['dev']}, set down, no longer exists")
        elif not is_down:
            res["problems"].append(f"{l['host']} {l['dev']} was set down but is up")
    for n in st.get("namespaces", []):
        ok = n in present
        res["namespaces"].append({"name": n, "present": ok})
        if not ok:
            res["problems"].append(f"namespace {n} is missing")
    for p in st.get("processes", []):
        ok = pid_alive(p["pid"], p["start"])
        res["processes"].append({"kind": p["kind"], "name": p["name"], "pid": p["pid"],
                                 "alive": ok})
        if not ok:
            res["problems"].append(f"{p['kind']} {p['name']} (pid {p['pid']}) is not running")
    leases = {}
    for n in st.get("networks", []):
        leases.update(_dnsmasq_leases(os.path.join(n["dhcp"]["dir"], "leases")))
    for vm in st.get("vms", []):
        if "pid" not in vm:
            continue
        alive = pid_alive(vm["pid"])
        addrs = _vm_addresses(vm["pid"]) if alive else []
        server = leases.get(vm["mac"])
        ok = server == vm["ip"] and vm["ip"] in addrs
        res["leases"].append({"vm": vm["name"], "mac": vm["mac"], "ip": vm["ip"],
                              "server_lease": server, "addresses": addrs, "ok": ok})
        if not ok:
            res["problems"].append(f"{vm['name']} has no lease of {vm['ip']} "
                                   f"(server: {server}, eth0: {addrs})")
    for h in st.get("hosts", []):
        if "ovs" not in h or h["name"] not in [p["name"] for p in st.get("processes", [])
                                                if p["kind"] == "ovs-vswitchd"]:
            continue
        want = str(ipaddress.ip_interface(h["ovs"]["br_phy_ip"]).network)
        cp = run(["ovs-appctl", "-t", f"{h['ovs']['dir']}/ovs-vswitchd.ctl",
                  "ovs/route/show"], check=False, timeout=10)
        ok = cp.returncode == 0 and re.search(rf"{re.escape(want)} dev br-phy", cp.stdout)
        # br-phy set down takes its connected route (and OVS's copy) away.
        expected = (h["name"], "br-phy") in downs
        res["ovs_routes"].append({"host": h["name"], "route": want, "dev": "br-phy",
                                  "ok": bool(ok), "expected_down": expected})
        if not ok and not expected:
            res["problems"].append(f"OVS on {h['name']} has no route to {want} via br-phy")
    if check_connectivity and st.get("complete"):
        res["connectivity"] = connectivity(st)
        for c in res["connectivity"]:
            if not c["ok"] and not c["down_links"]:
                res["problems"].append(f"{c['check']}: {c['from']} cannot reach "
                                       f"{c['to']} ({c['ip']})")
    if not st.get("complete"):
        res["problems"].append("the lab is not completely built (steps done: " +
                               ", ".join(st.get("steps", [])) + ")")
    res["healthy"] = not res["problems"]
    return res


def format_status(res):
    lines = [f"lab {res['prefix']}: " + ("healthy" if res.get("healthy") else
                                          "absent" if not res["exists"] else "UNHEALTHY")]
    if res["namespaces"]:
        lines.append("namespaces: " + ", ".join(
                n["name"] + ("" if n["present"] else " (missing)") for n in res["namespaces"]))
    for p in res["processes"]:
        lines.append(f"  {p['kind']:<13} {p['name']:<8} pid {p['pid']:<7} "
                     f"{'running' if p['alive'] else 'NOT RUNNING'}")
    for l in res["leases"]:
        lines.append(f"  lease {l['vm']:<5} {l['mac']} {l['ip']:<13} "
                     f"{'ok' if l['ok'] else 'MISSING'}")
    for r in res["ovs_routes"]:
        lines.append(f"  ovs route {r['host']}: {r['route']} dev {r['dev']} " +
                     ("ok" if r["ok"] else "missing (br-phy is set down)"
                      if r.get("expected_down") else "MISSING"))
    for l in res.get("links_down", []):
        lines.append(f"  link {l['host']} {l['dev']} set down " +
                     ("(intended)" if l["ok"] else "but it is NOT DOWN"))
    for c in res["connectivity"]:
        down = ", ".join(c.get("down_links", []))
        lines.append(f"  ping {c['check']:<18} {c['from']} -> {c['to']} ({c['ip']}) " +
                     ("ok" if c["ok"] else f"failed, as expected ({down} set down)" if down
                      else "FAILED"))
    for d in res.get("drift", []):
        lines.append("changed since built: " + d)
    for p in res["problems"]:
        lines.append("problem: " + p)
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Teardown.

def _owned_processes(prefix, st, inodes):
    """pids of every live process this lab started: recorded ones (checked
    by start time), pid files under the run dir (checked by our marker or
    by naming the run dir), any process carrying our marker, and any process
    inside one of our namespaces."""
    rdir = run_dir(prefix)
    marker = f"{OWNER_VAR}={prefix}".encode()
    pids = set()
    for p in (st or {}).get("processes", []):
        try:
            if pid_alive(p["pid"], p["start"]):
                pids.add(p["pid"])
        except (KeyError, TypeError):
            continue
    for f in glob.glob(os.path.join(rdir, "**", "*pid*"), recursive=True):
        pid = read_pid_file(f)
        if pid and pid_alive(pid) and (proc_environ_has(pid, marker) or
                                       rdir + "/" in proc_cmdline(pid)):
            pids.add(pid)
    me = os.getpid()
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == me:
            continue
        pid = int(d)
        if proc_environ_has(pid, marker) or (inodes and proc_netns_inode(pid) in inodes):
            if pid_alive(pid):
                pids.add(pid)
    return pids


def _kill_all(pids, timeout=5.0):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in list(pids):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for pid in list(pids):
                try:
                    os.waitpid(pid, os.WNOHANG)  # reap our own children
                except ChildProcessError:
                    pass
            pids = {p for p in pids if pid_alive(p)}
            if not pids:
                return set()
            time.sleep(0.005)
    return pids


def _owned_netns(prefix, st):
    """owned_netns_names() and the qdhcp-/qrouter- namespaces the state
    records."""
    owned = owned_netns_names(prefix)
    for n in (st or {}).get("networks", []):
        owned.add(n["dhcp"]["netns"])
    for r in (st or {}).get("routers", []):
        owned.add(r["netns"])
    return owned


def _down_locked(prefix, log):
    t0 = time.monotonic()
    rdir = run_dir(prefix)
    st = load_state(prefix)
    owned = _owned_netns(prefix, st)
    names = [n for n in netns_list() if is_owned_netns(prefix, n, owned)]
    inodes = {netns_inode(n) for n in names} - {None}
    for vm in (st or {}).get("vms", []):
        if vm.get("netns_inode") and vm.get("pid") and pid_alive(vm["pid"]):
            if proc_netns_inode(vm["pid"]) == vm["netns_inode"]:
                inodes.add(vm["netns_inode"])
    pids = _owned_processes(prefix, st, inodes)
    left = _kill_all(pids)
    if left:
        raise LabError(f"processes of lab {prefix} survived SIGKILL: {sorted(left)}")
    for n in names:
        run(["ip", "netns", "del", n])
    if os.path.isdir(rdir):
        shutil.rmtree(rdir)
    summary = {"prefix": prefix, "namespaces": names, "processes": sorted(pids),
               "seconds": round(time.monotonic() - t0, 2)}
    log(f"lab: down {prefix}: removed {len(names)} namespaces, {len(pids)} processes "
        f"in {summary['seconds']}s")
    return summary


def down(prefix=None, log=None):
    """Removes everything lab `prefix` made (and nothing else), whatever
    state it is in.  Returns a summary of what was removed."""
    prefix = check_prefix(prefix or default_prefix())
    with _Lock():
        return _down_locked(prefix, log or (lambda m: None))


# ---------------------------------------------------------------------------
# Run-time changes: vm-add, vm-rm, net-add, net-rm, link-set, and restoring
# the built lab.  Each runs under the same lock as up/down, on a complete
# lab, records a `pending` entry in state.json while it works (so that an
# interrupted change is finished or undone by the next one, and `up` does
# not take the lab for healthy meanwhile) and checks its result.

VM_NAME_RE = r"[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?"  # a hostname, a file name
NET_NAME_RE = r"[a-z][a-z0-9]{0,14}"
PLUGS = ("linuxbridge", "hybrid", "direct")
MAX_VNI = (1 << 24) - 1
# What makes a VM or a network "as built" (the rest is run-time detail).
VM_IDENTITY = ("host", "network", "network_id", "plug", "uuid", "port_id", "mac", "ip",
               "tap")
NET_IDENTITY = ("id", "kind", "vni", "cidr", "gateway")


def _find(items, name):
    for x in items:
        if x["name"] == name:
            return x
    return None


def _same(a, b, keys):
    return a is not None and b is not None and all(a.get(k) == b.get(k) for k in keys)


def _crash_point(step):
    """Test hook, as in `up`: CALIPSO_LAB_CRASH_AFTER=vm-add:plug etc."""
    if os.environ.get(CRASH_VAR) == step:
        os._exit(99)


def _links(ns):
    """Names of the interfaces in namespace ns (empty when it is gone)."""
    cp = run(["ip", "-n", ns, "-j", "link", "show"], check=False)
    if cp.returncode != 0:
        return set()
    return {l["ifname"] for l in json.loads(cp.stdout or "[]")}


def _link_info(ns, dev):
    """`ip -j link show dev` of dev in namespace ns, None when absent."""
    cp = run(["ip", "-n", ns, "-j", "link", "show", "dev", dev], check=False)
    if cp.returncode != 0:
        return None
    found = json.loads(cp.stdout or "[]")
    return found[0] if found else None


def _netns_pids(inode):
    """Live processes whose network namespace has this inode."""
    me = os.getpid()
    out = set()
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != me and proc_netns_inode(int(d)) == inode:
            out.add(int(d))
    return out


def lab_drift(st, plan):
    """How the lab differs from what `up` built (plan), in words: links set
    down, VMs and networks added, removed or changed."""
    out = [f"link {l['host']} {l['dev']} is set down" for l in st.get("links_down", [])]
    pv = {v["name"]: v for v in plan["vms"]}
    sv = {v["name"]: v for v in st.get("vms", [])}
    out += [f"VM {n} removed" for n in pv if n not in sv]
    for n, v in sv.items():
        if n not in pv:
            out.append(f"VM {n} added ({v['host']}, {v['network']}, {v['plug']})")
        elif not _same(v, pv[n], VM_IDENTITY):
            out.append(f"VM {n} is not as built")
    pn = {n["name"]: n for n in plan["networks"]}
    sn = {n["name"]: n for n in st.get("networks", [])}
    out += [f"network {n} removed" for n in pn if n not in sn]
    for n, x in sn.items():
        if n not in pn:
            out.append(f"network {n} added (VNI {x['vni']}, {x['cidr']})")
        elif not _same(x, pn[n], NET_IDENTITY):
            out.append(f"network {n} is not as built")
    for pr in plan["routers"]:
        sr = _find(st.get("routers", []), pr["name"])
        want = sorted(i["network"] for i in pr["interfaces"])
        got = sorted(i["network"] for i in (sr or {}).get("interfaces", []))
        if got != want and all(n in sn for n in want):
            out.append(f"router {pr['name']} has interfaces on {got}, not {want}")
    want = plan["options"]["scale"].get("ovs_ports", 0)
    got = (st.get("scale_objects", {}).get("ovs_ports") or {}).get("count", 0)
    if want != got:
        out.append(f"{got} scale OVS ports, not {want}")
    return out


def _built_order(st, plan):
    """Sorts the state's lists of VMs, networks, router interfaces and
    namespaces in the order `up` makes them (lookups such as
    find_vms(...)[0] then see the built VMs); true when that changed
    anything.  Those not in the plan go last."""
    def by(items, names, key):
        pos = {n: i for i, n in enumerate(names)}
        before = [key(x) for x in items]
        items.sort(key=lambda x: pos.get(key(x), len(pos)))
        return before != [key(x) for x in items]
    nets = [n["name"] for n in plan["networks"]]
    moved = by(st["vms"], [v["name"] for v in plan["vms"]], lambda v: v["name"])
    moved |= by(st["networks"], nets, lambda n: n["name"])
    for r in st.get("routers", []):
        moved |= by(r["interfaces"], nets, lambda i: i["network"])
    built = [plan["fabric"]["netns"]] + [h["netns"] for h in plan["hosts"]] + \
            [n["dhcp"]["netns"] for n in plan["networks"]] + \
            [r["netns"] for r in plan["routers"]]
    moved |= by(st["namespaces"], built, lambda x: x)
    return moved


class _Mutator(_Builder):
    """Changes a built lab in place.  plan and state are one dict (what
    state.json holds), so the builder's steps see the current VMs and
    networks."""

    def __init__(self, state, log):
        self.plan = self.state = state
        self.log = log
        self.prefix = state["prefix"]
        self.rdir = state["run_dir"]
        self.env = dict(os.environ)
        self.env[OWNER_VAR] = self.prefix
        for k in ("changes", "links_down", "pending"):
            state.setdefault(k, [])

    # -- bookkeeping -----------------------------------------------------
    def begin(self, op, target, pending=True):
        entry = {"op": op, "target": target, "time": round(time.time(), 3)}
        if pending:
            self.state["pending"].append(entry)
            self.save()
        return entry, time.monotonic()

    def end(self, token, **detail):
        entry, t0 = token
        if entry in self.state["pending"]:
            self.state["pending"].remove(entry)
        rec = {"op": entry["op"], "target": entry["target"], "time": entry["time"],
               "seconds": round(time.monotonic() - t0, 3), **detail}
        self.state["changes"].append(rec)
        self.save()
        self.log(f"lab: {rec['op']} {rec['target']} done in {rec['seconds']:.2f}s")
        return rec

    def recover(self):
        """Settles changes that were interrupted (a crash, a kill): the
        target of each is removed, i.e. a half-added VM or network is rolled
        back and a half-removed one removed."""
        for p in reversed(list(self.state.get("pending") or [])):
            self.log(f"lab: {p['op']} {p['target']} was interrupted; removing "
                     f"{p['target']}")
            if p["op"] in ("vm-add", "vm-rm"):
                self.vm_rm(p["target"])
            elif p["op"] in ("net-add", "net-rm"):
                self.net_rm(p["target"], force=True)
            if p in self.state["pending"]:
                self.state["pending"].remove(p)
            self.save()

    def procs(self, kind, name):
        return [p for p in self.state["processes"] if p["kind"] == kind and p["name"] == name]

    def drop(self, key, pred):
        self.state[key] = [x for x in self.state[key] if not pred(x)]

    def drop_links_down(self, host, devs):
        self.drop("links_down", lambda l: l["host"] == host and l["dev"] in devs)

    def kill(self, pids, what):
        left = _kill_all(pids)
        if left:
            raise LabError(f"processes of {what} survived SIGKILL: {sorted(left)}")

    # -- DHCP --------------------------------------------------------------
    def dnsmasq_pid(self, n):
        for p in self.procs("dnsmasq", n["name"]):
            if pid_alive(p["pid"], p["start"]):
                return p["pid"]
        return None

    def dhcp_reload(self, n):
        """SIGHUP: dnsmasq re-reads its hosts file.  Waits for its log to say
        so, so that the next DHCPDISCOVER is answered from the new file."""
        pid = self.dnsmasq_pid(n)
        if not pid:
            raise LabError(f"dnsmasq of network {n['name']} is not running")
        logf = os.path.join(n["dhcp"]["dir"], "log")
        want = f"read {os.path.join(n['dhcp']['dir'], 'host')}".encode()
        try:
            off = os.path.getsize(logf)
        except OSError:
            off = 0

        def reread():
            try:
                with open(logf, "rb") as f:
                    f.seek(off)
                    return want in f.read()
            except OSError:
                return False
        os.kill(pid, signal.SIGHUP)
        wait_until(reread, 5, f"dnsmasq of {n['name']} to re-read its hosts file",
                   interval=0.005)

    def dhcp_forget(self, n, vms):
        """Removes the host entries and leases of vms (on network n), as
        Neutron's DHCP agent does when ports go: hosts file, SIGHUP,
        dhcp_release."""
        d = n["dhcp"]
        if not os.path.isdir(d["dir"]):
            return
        self.write_dhcp_hosts(n, exclude={v["name"] for v in vms})
        leases = os.path.join(d["dir"], "leases")
        macs = {v["mac"] for v in vms}
        if self.dnsmasq_pid(n):
            self.dhcp_reload(n)
            leased = _dnsmasq_leases(leases)
            for mac in macs & set(leased):
                ns_exec(d["netns"], ["dhcp_release", d["ns_dev"], leased[mac], mac])
            wait_until(lambda: not macs & set(_dnsmasq_leases(leases)), 5,
                       f"dnsmasq of {n['name']} to drop the leases of " +
                       ", ".join(v["name"] for v in vms), interval=0.005)
        elif os.path.exists(leases):
            # No dnsmasq: its lease file is all there is of the leases.
            with open(leases) as f:
                keep = [l for l in f if not macs & set(l.lower().split()[1:2])]
            write_file(leases, "".join(keep))

    # -- VMs -------------------------------------------------------------
    def pick_ip(self, name, n, requested):
        """The VM's fixed IP: `requested`, or for vm<K> the built lab's
        10+K, or an offset derived from the port uuid; the next free one
        when that is taken."""
        net = ipaddress.ip_network(n["cidr"])
        used = {v["ip"]: v["name"] for v in self.state["vms"] if v["network"] == n["name"]}
        size = net.num_addresses
        if requested:
            try:
                a = ipaddress.ip_address(requested)
            except ValueError:
                raise LabError(f"invalid IP address '{requested}'")
            if a not in net or int(a) - int(net.network_address) < 10 or \
               a == net.broadcast_address:
                raise LabError(f"{a} is not a VM address of {n['name']} ({net}: .10 up to "
                               "the last before broadcast; .1 and .2 are the router's and "
                               "DHCP's)")
            if str(a) in used:
                raise LabError(f"{a} is VM {used[str(a)]}'s")
            return str(a)
        count = size - 11  # offsets 10 .. size-2
        m = re.fullmatch(r"vm(\d+)", name)
        if m and int(m.group(1)) < count:
            start = int(m.group(1))
        else:
            seed = lab_uuid(self.prefix, "port", name, "eth0").encode()
            start = int.from_bytes(hashlib.sha256(seed).digest()[:4], "big") % count
        for k in range(count):
            a = str(net[10 + (start + k) % count])
            if a not in used:
                return a
        raise LabError(f"network {n['name']} has no free address left")

    def vm_problems(self, vm):
        out = []
        for kind in ("vm", "udhcpc"):
            ps = self.procs(kind, vm["name"])
            if not ps or not all(pid_alive(p["pid"], p["start"]) for p in ps):
                out.append(f"its {kind} process is not running")
        if _vm_lease_ip(vm) != vm["ip"]:
            out.append(f"it has no lease of {vm['ip']}")
        return out

    def vm_add(self, name, host, network, plug=None, ip_addr=None):
        if not re.fullmatch(VM_NAME_RE, name or ""):
            raise LabError(f"invalid VM name '{name}': 1-32 lowercase letters, digits or "
                           "'-', starting with a letter, not ending with '-'")
        h = _host(self.state, host)
        n = _find(self.state["networks"], network)
        if n is None:
            raise LabError(f"no network '{network}' in lab {self.prefix} (networks: " +
                           ", ".join(x["name"] for x in self.state["networks"]) + ")")
        plug = plug or ("linuxbridge" if n["kind"] == "linuxbridge" else "hybrid")
        if plug not in PLUGS:
            raise LabError(f"invalid plugging '{plug}': one of {', '.join(PLUGS)}")
        if (n["kind"] == "linuxbridge") != (plug == "linuxbridge"):
            raise LabError(f"{network} is an {'OVS' if n['kind'] == 'ovs' else 'Linux-bridge'}"
                           f" network: its VMs are plugged " +
                           ("hybrid or direct" if n["kind"] == "ovs" else "linuxbridge"))
        old = _find(self.state["vms"], name)
        if old:
            if (old["host"], old["network"], old["plug"]) != (host, network, plug) or \
               ip_addr not in (None, old["ip"]):
                raise LabError(f"VM {name} exists ({old['host']}, {old['network']}, "
                               f"{old['plug']}, {old['ip']}); vm-rm it first")
            problems = self.vm_problems(old)
            if not problems:
                self.log(f"lab: VM {name} is already there")
                return old, False
            self.log(f"lab: VM {name} is there but {'; '.join(problems)}: adding it again")
            self.vm_rm(name)
        vm = vm_entry(self.prefix, self.rdir, name, h, n, plug,
                      self.pick_ip(name, n, ip_addr))
        check_unique_identities(dict(self.state, vms=self.state["vms"] + [vm]))
        tok = self.begin("vm-add", name)
        self.state["vms"].append(vm)
        self.save()
        try:
            self.add_vms([vm])
        except BaseException as e:
            self.undo(tok, e, lambda: self.vm_rm(name))
            raise
        self.end(tok, host=host, network=network, plug=plug, ip=vm["ip"])
        return vm, True

    def undo(self, tok, err, remove):
        """After a failed add: removes what it made; the pending entry stays
        when that fails too (the next change retries)."""
        self.log(f"lab: {tok[0]['op']} {tok[0]['target']} failed ({err}); removing what "
                 "was made")
        try:
            remove()
        except LabError as e2:
            self.log(f"lab: removing it failed too: {e2}")
            return
        if tok[0] in self.state["pending"]:
            self.state["pending"].remove(tok[0])
        self.save()

    def add_vms(self, vms):
        """Makes VMs already recorded in state["vms"]: holder process and
        namespace, plumbing, OVS ports, DHCP host entries, leases, libvirt
        domains."""
        for vm in vms:
            os.makedirs(os.path.dirname(vm["pid_file"]), exist_ok=True)
        self.create_vms(vms)
        self.save()
        _crash_point("vm-add:plug")
        for nname in sorted({v["network"] for v in vms}):
            n = _net(self.state, nname)
            self.write_dhcp_hosts(n)
            self.dhcp_reload(n)
        self.get_leases(vms)
        for hname in sorted({v["host"] for v in vms}):
            self.write_libvirt(_host(self.state, hname))
        self.save()

    def vm_rm(self, name):
        """Removes VM `name` and every trace of it; None when there is none."""
        recs = self.vms_rm([name])
        return recs[0] if recs else None

    def vms_rm(self, names, dhcp=True):
        """Removes VMs `names` and every trace of them, host by host and
        network by network in one go.  Returns the change records of those
        that were there.  dhcp=False leaves their DHCP entries and leases
        (net-rm: its dnsmasq goes with them)."""
        todo = []
        for name in names:
            vm = _find(self.state["vms"], name)
            files = [os.path.join(self.rdir, "vms", name + ext)
                     for ext in (".pid", ".udhcpc.pid", ".lease", ".lease.tmp", ".lease.log")]
            if vm is not None or any(os.path.exists(f) for f in files):
                todo.append((name, vm, files))
        if not todo:
            return []
        toks = [self.begin("vm-rm", name) for name, _, _ in todo]
        vms = [vm for _, vm, _ in todo if vm]
        by_host = {}
        for vm in vms:
            by_host.setdefault(vm["host"], []).append(vm)
        # As Nova and os-vif: the domains go, then their VIFs (OVS ports,
        # taps, qbr/qvb/qvo); a VM's eth0 goes with its tap peer.
        for hname, hvms in by_host.items():
            h = _host(self.state, hname)
            self.write_libvirt(h, exclude={v["name"] for v in hvms})
            args = []
            for vm in hvms:
                if vm.get("ovs_port") and "ovs" in h:
                    args += ["--", "--if-exists", "del-port", "br-int", vm["ovs_port"]]
            if args:
                self.vsctl(h, *args[1:])
            present = _links(h["netns"])
            dels = []
            for vm in hvms:
                dels += [d for d in (vm["tap"], vm.get("qvb"), vm.get("qbr")) if d in present]
                if vm.get("qvo") in present and vm.get("qvb") not in present:
                    dels.append(vm["qvo"])
            ip_batch(h["netns"], [f"link del {d}" for d in dels])
        marker = f"{OWNER_VAR}={self.prefix}".encode()
        pids = set()
        for name, vm, files in todo:
            for kind in ("vm", "udhcpc"):
                for p in self.procs(kind, name):
                    if not pid_alive(p["pid"], p["start"]):
                        continue
                    pids.add(p["pid"])
                    if kind == "vm" and vm and proc_netns_inode(p["pid"]) == \
                       vm.get("netns_inode"):
                        # Anything else inside the VM goes with it.
                        pids |= _netns_pids(vm["netns_inode"])
            for f in files[:2]:
                pid = read_pid_file(f)
                if pid and pid_alive(pid) and proc_environ_has(pid, marker):
                    pids.add(pid)
        self.kill(pids, "VM " + ", ".join(n for n, _, _ in todo))
        if dhcp:
            by_net = {}
            for vm in vms:
                n = _find(self.state["networks"], vm["network"])
                if n and n["id"] == vm["network_id"]:
                    by_net.setdefault(n["name"], (n, []))[1].append(vm)
            for n, nvms in by_net.values():
                self.dhcp_forget(n, nvms)
        gone = {n for n, _, _ in todo}
        for _, _, files in todo:
            for f in files:
                if os.path.exists(f):
                    os.unlink(f)
        self.drop("vms", lambda v: v["name"] in gone)
        self.drop("processes", lambda p: p["kind"] in ("vm", "udhcpc") and p["name"] in gone)
        for hname, hvms in by_host.items():
            h = _host(self.state, hname)
            devs = {v[k] for v in hvms for k in ("tap", "qbr", "qvb", "qvo") if v.get(k)}
            ports = {v["ovs_port"] for v in hvms if v.get("ovs_port")}
            self.drop("ovs_ports", lambda p: p["host"] == hname and p["port"] in ports)
            self.drop_links_down(hname, devs)
            left = devs & _links(h["netns"])
            if left:
                raise LabError(f"devices of VMs {sorted(gone)} still in {h['netns']}: "
                               f"{sorted(left)}")
            if ports and "ovs" in h:
                left = ports & set(self.vsctl(h, "list-ports", "br-int").stdout.split())
                if left:
                    raise LabError(f"OVS ports {sorted(left)} still on br-int of {hname}")
        hosts = {vm["name"]: vm["host"] for vm in vms}
        return [self.end(tok, host=hosts.get(tok[0]["target"])) for tok in toks]

    # -- networks ------------------------------------------------------
    def net_add(self, name, vni, cidr, ovs=False, router=False):
        if not re.fullmatch(NET_NAME_RE, name or ""):
            raise LabError(f"invalid network name '{name}': 1-15 lowercase letters or "
                           "digits, starting with a letter")
        kind = "ovs" if ovs else "linuxbridge"
        try:
            net = ipaddress.ip_network(cidr)
        except ValueError as e:
            raise LabError(f"invalid subnet '{cidr}': {e}")
        if net.version != 4 or not 16 <= net.prefixlen <= 28:
            raise LabError(f"subnet {net}: an IPv4 network from /16 to /28")
        if not isinstance(vni, int) or not 1 <= vni <= MAX_VNI:
            raise LabError(f"VNI {vni}: 1 to {MAX_VNI}")
        gateway = str(net[1]) if router else None
        old = _find(self.state["networks"], name)
        if old:
            if (old["kind"], old["vni"], old["cidr"], old["gateway"]) == \
               (kind, vni, str(net), gateway) and self.dnsmasq_pid(old):
                self.log(f"lab: network {name} is already there")
                return old, False
            raise LabError(f"network {name} exists (VNI {old['vni']}, {old['cidr']}, "
                           f"{old['kind']}); net-rm it first")
        for o in self.state["networks"]:
            if o["vni"] == vni:
                raise LabError(f"VNI {vni} is network {o['name']}'s")
            if ipaddress.ip_network(o["cidr"]).overlaps(net):
                raise LabError(f"subnet {net} overlaps {o['name']}'s {o['cidr']}")
        for u in (UNDERLAY_LB, UNDERLAY_OVS):
            if u.overlaps(net):
                raise LabError(f"subnet {net} overlaps the lab's underlay {u}")
        r = None
        if ovs:
            if not self.state["options"]["ovs"]:
                raise LabError("this lab was built with --no-ovs")
            if router:
                raise LabError("the lab's router has interfaces on Linux-bridge networks "
                               "only")
            have = [o["name"] for o in self.state["networks"] if o["kind"] == "ovs"]
            if have or vni != OVS_VNI:
                # Tunnels are built with options:key=103, not key=flow.
                raise LabError(f"the lab's OVS tunnels carry VNI {OVS_VNI} only: one OVS "
                               f"network, with --vni {OVS_VNI}" +
                               (f" ({have[0]} is it)" if have else ""))
        n = network_entry(self.prefix, self.rdir, name, kind, vni, str(net), gateway)
        if router:
            r = self.state["routers"][0]
            itf = router_interface_entry(self.prefix, r["name"], n)
        trial = dict(self.state, networks=self.state["networks"] + [n])
        if r:
            trial["routers"] = [dict(r, interfaces=r["interfaces"] + [itf])]
        check_unique_identities(trial)
        tok = self.begin("net-add", name)
        if n["dhcp"]["netns"] not in owned_netns_names(self.prefix):
            with open(added_netns_file(self.prefix), "a") as f:
                f.write(n["dhcp"]["netns"] + "\n")
        self.state["networks"].append(n)
        self.save()
        try:
            if kind == "linuxbridge":
                for h in self.state["hosts"]:
                    lines, fdb = self.lb_lines(h, n)
                    ip_batch(h["netns"], lines)
                    bridge_batch(h["netns"], fdb)
            else:
                for h in self.state["hosts"]:
                    self.tun_flows(h)
            if r:
                r["interfaces"].append(itf)
                self.save()
                self.add_router_interface(r, itf)
            self.add_dhcp(n)
            self.save()
        except BaseException as e:
            self.undo(tok, e, lambda: self.net_rm(name, force=True))
            raise
        self.end(tok, vni=vni, cidr=str(net), kind=kind, router=bool(router))
        return n, True

    def net_rm(self, name, force=False):
        """Removes network `name` everywhere; refuses while VMs are on it
        unless force (which removes them first).  None when there is none."""
        n = _find(self.state["networks"], name)
        if n is None:
            return None
        vms = [v["name"] for v in self.state["vms"] if v["network"] == name]
        if vms and not force:
            raise LabError(f"network {name} still has VMs: {', '.join(vms)} (vm-rm them "
                           "first, or net-rm --force)")
        tok = self.begin("net-rm", name)
        self.vms_rm(vms, dhcp=False)
        d = n["dhcp"]
        dh = _host(self.state, d["host"])
        # Router interfaces (Neutron: router-interface-delete).
        for r in self.state["routers"]:
            for itf in [i for i in r["interfaces"] if i["network"] == name]:
                rh = _host(self.state, r["host"])
                if itf["tap"] in _links(rh["netns"]):
                    ip(rh["netns"], "link", "del", itf["tap"])
                r["interfaces"].remove(itf)
                self.drop_links_down(rh["name"], {itf["tap"]})
                self.save()
        _crash_point("net-rm:router")
        # DHCP: dnsmasq, its port and namespace.
        marker = f"{OWNER_VAR}={self.prefix}".encode()
        pids = {p["pid"] for p in self.procs("dnsmasq", name) if pid_alive(p["pid"], p["start"])}
        pid = read_pid_file(os.path.join(d["dir"], "pid"))
        if pid and pid_alive(pid) and proc_environ_has(pid, marker):
            pids.add(pid)
        ino = netns_inode(d["netns"])
        if ino:
            pids |= _netns_pids(ino)
        self.kill(pids, f"the DHCP server of {name}")
        self.drop("processes", lambda p: p["kind"] == "dnsmasq" and p["name"] == name)
        if n["kind"] == "ovs" and "ovs" in dh:
            self.vsctl(dh, "--if-exists", "del-port", "br-int", d["tap"])
        if d["tap"] in _links(dh["netns"]):
            ip(dh["netns"], "link", "del", d["tap"])
        if d["netns"] in netns_list():
            run(["ip", "netns", "del", d["netns"]])
        self.drop("namespaces", lambda x: x == d["netns"])
        self.drop_links_down(dh["name"], {d["tap"]})
        shutil.rmtree(d["dir"], ignore_errors=True)
        self.save()
        # The network's devices (Linux bridge) or ports and flows (OVS) on
        # every host.
        self.drop("networks", lambda x: x["name"] == name)
        for h in self.state["hosts"]:
            if n["kind"] == "linuxbridge":
                devs = (n["vxlan_dev"], n["bridge"])
                present = _links(h["netns"])
                ip_batch(h["netns"], [f"link del {x}" for x in devs if x in present])
                self.drop_links_down(h["name"], devs)
            elif "ovs" in h:
                ports = self.net_ovs_ports(h, n)
                for k in range(0, len(ports), 250):  # as do_scale: bounded transactions
                    args = [a for p in ports[k:k + 250]
                            for a in ("--", "--if-exists", "del-port", "br-int", p)]
                    self.vsctl(h, *args[1:], timeout=120)
                self.tun_flows(h)
        self.drop("ovs_ports", lambda p: p["other_config"].get("net_uuid") == n["id"])
        so = self.state.get("scale_objects", {}).get("ovs_ports")
        if n["kind"] == "ovs" and so:
            so["count"] = 0  # they were ports of this network
        self.save()
        self.check_net_gone(n)
        return self.end(tok, vms_removed=vms)

    def net_ovs_ports(self, h, n):
        """br-int ports Neutron's agent tagged with network n."""
        cp = self.vsctl(h, "-f", "json", "--columns=name", "find", "Port",
                        f'other_config:net_uuid="{n["id"]}"')
        return [row[0] for row in json.loads(cp.stdout)["data"]]

    def check_net_gone(self, n):
        left = []
        if n["dhcp"]["netns"] in netns_list():
            left.append(n["dhcp"]["netns"])
        for h in self.state["hosts"]:
            if n["kind"] == "linuxbridge":
                left += [f"{h['name']} {x}" for x in (n["vxlan_dev"], n["bridge"])
                         if x in _links(h["netns"])]
            elif "ovs" in h:
                left += [f"{h['name']} OVS port {p}" for p in self.net_ovs_ports(h, n)]
                flows = run(["ovs-ofctl", "dump-flows", f"unix:{h['ovs']['dir']}/br-tun.mgmt",
                             f"tun_id={n['vni']:#x}"]).stdout
                if "actions=" in flows:
                    left.append(f"{h['name']} br-tun flows of tunnel id {n['vni']:#x}")
        if left:
            raise LabError(f"network {n['name']} is not completely removed: {', '.join(left)}")

    # -- links -----------------------------------------------------------
    def link_set(self, host, dev, want):
        if want not in ("up", "down"):
            raise LabError(f"link state '{want}': up or down")
        if host == "fabric":
            ns = self.state["fabric"]["netns"]
        else:
            ns = _host(self.state, host)["netns"]
        info = _link_info(ns, dev)
        if info is None:
            raise LabError(f"no device '{dev}' in {host} (namespace {ns})")
        t0 = time.monotonic()
        was_up = "UP" in info.get("flags", [])
        rec = [l for l in self.state["links_down"] if l["host"] == host and l["dev"] == dev]
        if want == "down":
            if not rec:
                # Recorded first: status never takes it for a breakage.
                self.state["links_down"].append({"host": host, "netns": ns, "dev": dev,
                                                 "since": round(time.time(), 3)})
                self.save()
            if was_up:
                ip(ns, "link", "set", "dev", dev, "down")
        else:
            if not was_up:
                ip(ns, "link", "set", "dev", dev, "up")
            self.drop_links_down(host, {dev})
        now_up = "UP" in (_link_info(ns, dev) or {}).get("flags", [])
        if now_up != (want == "up"):
            raise LabError(f"{host} {dev} is still {'up' if now_up else 'down'}")
        changed = was_up != now_up
        rec = {"op": "link-set", "target": f"{host} {dev}", "state": want,
               "time": round(time.time(), 3), "seconds": round(time.monotonic() - t0, 3),
               "changed": changed}
        self.state["changes"].append(rec)
        self.save()
        self.log(f"lab: link-set {host} {dev} {want} done in {rec['seconds']:.2f}s")
        return {"host": host, "dev": dev, "state": want, "changed": changed,
                "seconds": rec["seconds"]}

    # -- back to the built lab -------------------------------------------
    def restore(self, plan):
        """Undoes every change since `up` (links down, VMs and networks
        added, removed or changed) with the operations above, then checks
        connectivity as `up` does."""
        tok = self.begin("restore", self.prefix, pending=False)
        self.recover()
        for l in list(self.state["links_down"]):
            if l["host"] == "fabric" or _find(self.state["hosts"], l["host"]):
                ns = self.state["fabric"]["netns"] if l["host"] == "fabric" else \
                        _host(self.state, l["host"])["netns"]
                if _link_info(ns, l["dev"]) is not None:
                    self.link_set(l["host"], l["dev"], "up")
                    continue
            self.drop_links_down(l["host"], {l["dev"]})
        pv = {v["name"]: v for v in plan["vms"]}
        pn = {n["name"]: n for n in plan["networks"]}
        planned_itfs = {i["network"] for r in plan["routers"] for i in r["interfaces"]}
        self.vms_rm([vm["name"] for vm in self.state["vms"]
                     if not _same(vm, pv.get(vm["name"]), VM_IDENTITY)])
        for n in list(self.state["networks"]):
            has_itf = any(i["network"] == n["name"] for r in self.state["routers"]
                          for i in r["interfaces"])
            if not _same(n, pn.get(n["name"]), NET_IDENTITY) or \
               has_itf != (n["name"] in planned_itfs):
                self.net_rm(n["name"], force=True)
        for n in plan["networks"]:
            if not _find(self.state["networks"], n["name"]):
                self.net_add(n["name"], n["vni"], n["cidr"], ovs=n["kind"] == "ovs",
                             router=n["name"] in planned_itfs)
        missing = [json.loads(json.dumps(v)) for v in plan["vms"]
                   if not _find(self.state["vms"], v["name"])]
        if missing:
            toks = [self.begin("vm-add", v["name"]) for v in missing]
            self.state["vms"] += missing
            self.save()
            try:
                self.add_vms(missing)
            except BaseException as e:
                for t in toks:
                    self.undo(t, e, lambda: self.vm_rm(t[0]["target"]))
                raise
            for t in toks:
                self.end(t, host=pv[t[0]["target"]]["host"], restored=True)
        want = plan["options"]["scale"].get("ovs_ports", 0)
        so = self.state.setdefault("scale_objects", {})
        if want and (so.get("ovs_ports") or {}).get("count") != want:
            self.scale_ovs_ports(want)
        _built_order(self.state, plan)
        drift = lab_drift(self.state, plan)
        if drift:
            raise LabError("the lab still differs from the built one: " + "; ".join(drift))
        self.do_check()
        self.end(tok)
        return self.state


def _change(prefix, log, fn):
    """Runs fn(mutator) on lab prefix under the lab lock, after settling
    any change that was interrupted."""
    prefix = check_prefix(prefix or default_prefix())
    log = log or (lambda m: None)
    with _Lock():
        st = load_state(prefix)
        if not st:
            raise LabError(f"there is no lab '{prefix}' (lab.py up --prefix {prefix})")
        if not st.get("complete"):
            raise LabError(f"lab '{prefix}' is not completely built (lab.py up --prefix "
                           f"{prefix})")
        m = _Mutator(st, log)
        m.recover()
        return fn(m)


def vm_add(prefix, name, host, network, plug=None, ip=None, log=None):
    """Adds VM `name` on `host` ("host2") to `network` ("net1"), plugged
    `plug` (linuxbridge for Linux-bridge networks; hybrid, the default, or
    direct for the OVS one), with fixed IP `ip` (default: derived, see
    pick_ip).  Exactly like a built VM, identities derived from the name.
    Returns its state.json entry.  A VM of that name already there and
    healthy with the same placement is left as it is."""
    return _change(prefix, log, lambda m: m.vm_add(name, host, network, plug, ip))[0]


def vm_rm(prefix, name, log=None):
    """Removes VM `name` and every trace of it.  Returns {"vm", "removed",
    "seconds"}; removed is false when there was no such VM."""
    rec = _change(prefix, log, lambda m: m.vm_rm(name))
    return {"vm": name, "removed": rec is not None, "seconds": rec and rec["seconds"]}


def net_add(prefix, name, vni, subnet, ovs=False, router=False, log=None):
    """Adds a tenant network: Linux bridge + kernel VXLAN on every host, or
    (ovs) the OVS network (VNI 103, when there is none); its qdhcp
    namespace with dnsmasq; with router, an interface of router1 holding
    the subnet's first address.  Returns its state.json entry."""
    return _change(prefix, log, lambda m: m.net_add(name, vni, subnet, ovs, router))[0]


def net_rm(prefix, name, force=False, log=None):
    """Removes network `name` from every host (see _Mutator.net_rm).
    Raises LabError naming the VMs still on it unless force.  Returns
    {"network", "removed", "vms_removed", "seconds"}."""
    rec = _change(prefix, log, lambda m: m.net_rm(name, force))
    return {"network": name, "removed": rec is not None,
            "vms_removed": rec["vms_removed"] if rec else [],
            "seconds": rec and rec["seconds"]}


def link_set(prefix, host, dev, state, log=None):
    """Sets device `dev` of `host` ("host2", or "fabric" for the switch's
    namespace) up or down; a link set down is recorded, and status reports
    the checks it breaks as expected.  Returns {"host", "dev", "state",
    "changed", "seconds"}."""
    return _change(prefix, log, lambda m: m.link_set(host, dev, state))


def _quick_healthy(st, plan):
    """A complete lab of these options whose recorded namespaces and
    processes are all there, with no change half done.  VMs and networks
    added or removed at run time are in the record, so they count as they
    are now."""
    if not st or not st.get("complete") or st.get("pending"):
        return False
    if st.get("options") != plan["options"]:
        return False
    present = set(netns_list())
    if any(n not in present for n in st.get("namespaces", [])):
        return False
    return all(pid_alive(p["pid"], p["start"]) for p in st.get("processes", []))


def up(prefix=None, hosts=DEFAULT_HOSTS, ovs=True, scale=None, log=None, keep_on_error=False,
       restore=False):
    """Builds the lab (idempotent: a complete, running lab with the same
    options is left as it is, run-time changes included; anything else of
    this prefix is removed first).  With restore, a running lab that was
    changed (vm-add, net-rm, link-set ...) is brought back to the built one
    in place, or rebuilt when that fails.  Returns the state dict (also in
    state.json).  On failure raises LabError after removing the half-built
    lab, unless keep_on_error."""
    prefix = check_prefix(prefix or default_prefix())
    log = log or (lambda m: None)
    plan = make_plan(prefix, hosts, ovs, scale)
    with _Lock():
        st = load_state(prefix)
        if st and st.get("pending") and _quick_healthy(dict(st, pending=[]), plan):
            # A change was interrupted in a lab that is otherwise fine:
            # settle it in place rather than rebuild.
            try:
                _Mutator(st, log).recover()
            except LabError as e:
                log(f"lab: settling the interrupted changes failed ({e})")
        if _quick_healthy(st, plan):
            drift = lab_drift(st, plan)
            if not (restore and drift):
                if restore and _built_order(st, plan):
                    write_file(state_path(prefix), json.dumps(st, indent=1, sort_keys=True) +
                               "\n")
                log(f"lab: {prefix} is already up" +
                    (f" (changed since built: {'; '.join(drift)})" if drift else ""))
                return st
            log(f"lab: restoring {prefix}: {'; '.join(drift)}")
            try:
                return _Mutator(st, log).restore(plan)
            except LabError as e:
                log(f"lab: restoring {prefix} in place failed ({e}); rebuilding it")
        owned = _owned_netns(prefix, st)
        if st or any(is_owned_netns(prefix, n, owned) for n in netns_list()) or \
           os.path.exists(run_dir(prefix)):
            log(f"lab: removing the leftovers of lab {prefix} first")
            _down_locked(prefix, log)
        _check_tools(ovs)
        b = _Builder(plan, log)
        try:
            return b.build()
        except BaseException as e:
            if keep_on_error:
                raise
            log(f"lab: up failed ({e}); removing what was built")
            try:
                _down_locked(prefix, log)
            except LabError as e2:
                log(f"lab: cleanup after the failure failed too: {e2}")
            raise


def _check_tools(ovs):
    need = ["ip", "bridge", "unshare", "nsenter", "dnsmasq", "busybox", "ethtool", "sysctl",
            "virsh", "ping"]
    if ovs:
        need += ["ovs-vsctl", "ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-ofctl",
                 "ovs-appctl"]
    missing = [t for t in need if not shutil.which(t)]
    if missing:
        raise LabError("missing tools: " + ", ".join(missing) + " (see scripts/deps.sh)")
    if ovs and not os.path.exists(OVS_SCHEMA):
        raise LabError(f"Open vSwitch schema not found at {OVS_SCHEMA}")
    if os.geteuid() != 0:
        raise LabError("the lab needs root (network namespaces)")


# ---------------------------------------------------------------------------
# Command line.

def _parse_scale(text):
    out = {}
    for item in filter(None, (text or "").split(",")):
        k, _, v = item.partition("=")
        k = k.strip().replace("-", "_")
        if k not in ("namespaces", "interfaces", "ovs_ports") or not v.strip().isdigit():
            raise LabError(f"invalid --scale item '{item}': use namespaces=N, "
                           "interfaces=N or ovs-ports=N")
        out[k] = int(v)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(prog="lab.py", description="Calipso's namespace lab.")
    sub = ap.add_subparsers(dest="cmd", required=True)

    def add_prefix(p):
        p.add_argument("--prefix", default=None,
                       help="name prefix (default $CALIPSO_LAB_PREFIX or 'cl')")
    p_up = sub.add_parser("up", help="build the lab (idempotent)")
    add_prefix(p_up)
    p_up.add_argument("--hosts", type=int, default=DEFAULT_HOSTS)
    p_up.add_argument("--no-ovs", action="store_true", help="Linux bridges only")
    p_up.add_argument("--scale", default="",
                      help="extra objects: namespaces=N,interfaces=N,ovs-ports=N")
    p_up.add_argument("--namespaces", type=int, default=None)
    p_up.add_argument("--interfaces", type=int, default=None)
    p_up.add_argument("--ovs-ports", type=int, default=None)
    p_up.add_argument("--keep-on-error", action="store_true",
                      help="leave a half-built lab for inspection")
    p_up.add_argument("--restore", action="store_true",
                      help="undo run-time changes (vm-add, net-rm, link-set ...) of a "
                           "running lab")
    p_up.add_argument("-q", "--quiet", action="store_true")
    p_down = sub.add_parser("down", help="remove everything the lab made")
    add_prefix(p_down)
    p_down.add_argument("-q", "--quiet", action="store_true")
    p_st = sub.add_parser("status", help="report namespaces, processes, leases, pings")
    add_prefix(p_st)
    p_st.add_argument("--json", action="store_true")
    p_st.add_argument("--no-ping", action="store_true")

    def change(name, help_):
        p = sub.add_parser(name, help=help_)
        add_prefix(p)
        p.add_argument("--json", action="store_true", help="print the result as JSON")
        p.add_argument("-q", "--quiet", action="store_true")
        return p
    p = change("vm-add", "add a VM to the running lab")
    p.add_argument("name")
    p.add_argument("--host", required=True, help="host1, host2, ...")
    p.add_argument("--network", required=True, help="net1, net2, net3, ...")
    p.add_argument("--plug", choices=PLUGS, default=None,
                   help="linuxbridge (Linux-bridge networks); hybrid (default) or direct "
                        "(the OVS network)")
    p.add_argument("--ip", default=None, help="fixed IP (default: derived from the name)")
    p = change("vm-rm", "remove a VM and every trace of it")
    p.add_argument("name")
    p = change("net-add", "add a tenant network on every host")
    p.add_argument("name")
    p.add_argument("--vni", type=int, required=True)
    p.add_argument("--subnet", required=True, help="IPv4 CIDR, /16 to /28")
    p.add_argument("--ovs", action="store_true",
                   help="the OVS network (VNI 103, when the lab has none)")
    p.add_argument("--router", action="store_true",
                   help="attach router1 (gateway: the subnet's first address)")
    p = change("net-rm", "remove a tenant network from every host")
    p.add_argument("name")
    p.add_argument("--force", action="store_true", help="remove its VMs first")
    p = change("link-set", "set a device of a host (or of the fabric) up or down")
    p.add_argument("host", help="host1, host2, ... or fabric")
    p.add_argument("dev", help="a device in that namespace: eth0, vxlan-101, tap...")
    p.add_argument("state", choices=("up", "down"))
    a = ap.parse_args(argv)

    def log(m):
        if not getattr(a, "quiet", False):
            print(m, file=sys.stderr, flush=True)
    if os.geteuid() != 0:
        print(f"lab.py {a.cmd}: the lab needs root (network namespaces)", file=sys.stderr)
        return 1
    try:
        if a.cmd == "up":
            scale = _parse_scale(a.scale)
            for k in ("namespaces", "interfaces", "ovs_ports"):
                if getattr(a, k) is not None:
                    scale[k] = getattr(a, k)
            t = time.monotonic()
            st = up(a.prefix, a.hosts, not a.no_ovs, scale, log, a.keep_on_error, a.restore)
            log(f"lab: {st['prefix']} up in {time.monotonic() - t:.1f}s; "
                f"environment: {env_path(st['prefix'])}")
            return 0
        if a.cmd == "down":
            down(a.prefix, log)
            return 0
        if a.cmd != "status":
            t = time.monotonic()
            if a.cmd == "vm-add":
                out = vm_add(a.prefix, a.name, a.host, a.network, a.plug, a.ip, log)
                what = f"VM {a.name}: {out['host']}, {out['network']} ({out['plug']}), " \
                       f"{out['ip']}, {out['mac']}, tap {out['tap']}"
            elif a.cmd == "vm-rm":
                out = vm_rm(a.prefix, a.name, log)
                what = f"VM {a.name} " + ("removed" if out["removed"] else "was not there")
            elif a.cmd == "net-add":
                out = net_add(a.prefix, a.name, a.vni, a.subnet, a.ovs, a.router, log)
                what = f"network {a.name}: {out['kind']}, VNI {out['vni']}, {out['cidr']}, " \
                       f"id {out['id']}"
            elif a.cmd == "net-rm":
                out = net_rm(a.prefix, a.name, a.force, log)
                what = f"network {a.name} " + ("removed" if out["removed"] else
                                                "was not there")
                if out["vms_removed"]:
                    what += " with its VMs " + ", ".join(out["vms_removed"])
            else:
                out = link_set(a.prefix, a.host, a.dev, a.state, log)
                what = f"{a.host} {a.dev} {a.state}" + ("" if out["changed"] else
                                                         " (it already was)")
            if a.json:
                print(json.dumps(out, indent=1, sort_keys=True), flush=True)
            log(f"lab: {what} ({time.monotonic() - t:.2f}s)")
            return 0
        res = status(a.prefix, check_connectivity=not a.no_ping)
        try:
            print(json.dumps(res, indent=1) if a.json else format_status(res), flush=True)
        except BrokenPipeError:
            # `status | head`: the reader left; say nothing more.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0 if res["healthy"] else (3 if not res["exists"] else 1)
    except LabError as e:
        print(f"lab.py {a.cmd}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
