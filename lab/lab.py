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

Threading: none; one lab operation at a time per machine (an flock on
/run/calipso-lab serialises up/down of all prefixes).

Input trust: options come from the operator; names and numbers are
validated before use.  state.json is our own file but may be truncated by a
crash, so `down` tolerates a missing or unreadable one.

Usable as a module (tests/integration/conftest.py imports it) and as a CLI:
    lab.py up [--prefix P] [--hosts N] [--no-ovs] [--scale ...]
    lab.py down [--prefix P]
    lab.py status [--prefix P] [--json]
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


def owned_netns_names(prefix):
    """Every named namespace a lab of this prefix may create."""
    names = {lab_uuid(prefix, "network", n[0]) for n in NETWORKS}
    fixed = {f"qdhcp-{i}" for i in names}
    fixed.add(f"qrouter-{lab_uuid(prefix, 'router', ROUTER[0])}")
    return fixed


def is_owned_netns(prefix, name):
    return name.startswith(prefix + "-") or name in owned_netns_names(prefix)


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
        net_id = lab_uuid(prefix, "network", name)
        subnet = ipaddress.ip_network(cidr)
        dport = lab_uuid(prefix, "port", "dhcp", name)
        n = {
                "name": name, "id": net_id, "kind": kind, "vni": vni,
                "subnet_id": lab_uuid(prefix, "subnet", name),
                "cidr": cidr, "prefixlen": subnet.prefixlen,
                "gateway": str(subnet[1]) if name in ROUTER[1] else None,
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
        plan["networks"].append(n)
    rname, rnets = ROUTER
    rid = lab_uuid(prefix, "router", rname)
    r = {"name": rname, "id": rid, "netns": f"qrouter-{rid}", "host": "host1",
         "interfaces": []}
    for nname in rnets:
        pid_ = lab_uuid(prefix, "port", rname, nname)
        n = _net(plan, nname)
        r["interfaces"].append({
                "network": nname, "port_id": pid_, "dev": port_names(pid_)["qr-"],
                "tap": port_names(pid_)["tap"], "ip": f"{n['gateway']}/{n['prefixlen']}",
                "mac": lab_mac(pid_)})
    plan["routers"].append(r)
    k = 0
    for h in plan["hosts"]:
        for nname, plug in VM_SLOTS:
            if plug != "linuxbridge" and not ovs:
                continue
            k += 1
            vname = f"vm{k}"
            n = _net(plan, nname)
            port_id = lab_uuid(prefix, "port", vname, "eth0")
            pn = port_names(port_id)
            mac = lab_mac(port_id)
            vm = {
                    "name": vname, "uuid": lab_uuid(prefix, "instance", vname),
                    "host": h["name"], "host_netns": h["netns"],
                    "network": nname, "network_id": n["id"], "plug": plug,
                    "port_id": port_id, "mac": mac,
                    "ip": str(ipaddress.ip_network(n["cidr"])[10 + k]),
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
            plan["vms"].append(vm)
    macs = [v["mac"] for v in plan["vms"]] + [n["dhcp"]["mac"] for n in plan["networks"]] + \
            [i["mac"] for i in r["interfaces"]]
    taps = [v["tap"] for v in plan["vms"]] + [n["dhcp"]["tap"] for n in plan["networks"]] + \
            [i["tap"] for i in r["interfaces"]]
    # Derived from uuids: a collision is astronomically unlikely, but
    # would silently merge two ports, so refuse it.
    if len(set(macs)) != len(macs) or len(set(taps)) != len(taps):
        raise LabError(f"derived MAC addresses or device names collide for prefix "
                       f"'{prefix}'; choose another prefix")
    return plan


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
                          ovs_ports=[], created=time.time(), scale_objects={})

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
            ns = h["netns"]
            local = h["eth0_ip"].split("/")[0]
            lines, fdb = [], []
            for n in self.plan["networks"]:
                if n["kind"] != "linuxbridge":
                    continue
                br, vx = n["bridge"], n["vxlan_dev"]
                lines += [f"link add {br} type bridge",
                          f"link add {vx} type vxlan id {n['vni']} local {local} "
                          f"dev eth0 dstport {VXLAN_PORT}",
                          f"link set {vx} master {br} up", f"link set {br} up"]
                for o in self.plan["hosts"]:
                    if o is not h:
                        # Head-end replication: flood to every other host.
                        fdb.append(f"fdb append 00:00:00:00:00:00 dev {vx} "
                                   f"dst {o['eth0_ip'].split('/')[0]}")
            ip_batch(ns, lines)
            bridge_batch(ns, fdb)

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
        net = [n for n in self.plan["networks"] if n["kind"] == "ovs"][0]
        vlan, vni = net["local_vlan"], net["vni"]
        tunnels = [t["port"] for t in h["ovs"]["tunnels"]]
        flows = ["table=0,priority=1,in_port=patch-int,actions=resubmit(,2)",
                 "table=0,priority=0,actions=drop",
                 "table=2,priority=0,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00,"
                 "actions=resubmit(,20)",
                 "table=2,priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,"
                 "actions=resubmit(,22)",
                 "table=3,priority=0,actions=drop",
                 f"table=4,priority=1,tun_id={vni:#x},actions=mod_vlan_vid:{vlan},resubmit(,10)",
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
        if tunnels:
            outs = ",".join(f"output:{t}" for t in tunnels)
            flows.append(f"table=22,priority=1,dl_vlan={vlan},actions=strip_vlan,"
                         f"set_tunnel:{vni:#x},{outs}")
        mgmt = f"unix:{h['ovs']['dir']}/br-tun.mgmt"
        run(["ovs-ofctl", "del-flows", mgmt])
        run(["ovs-ofctl", "add-flows", mgmt, "-"], input="\n".join(flows) + "\n")

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
        h1 = self.plan["hosts"][0]
        for n in self.plan["networks"]:
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

    def start_dnsmasq(self, n):
        d = n["dhcp"]
        hosts = [f"{v['mac']},{v['name']},{v['ip']}" for v in self.plan["vms"]
                 if v["network"] == n["name"]]
        write_file(os.path.join(d["dir"], "host"), "\n".join(hosts) + "\n")
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
        h1 = self.plan["hosts"][0]
        for r in self.plan["routers"]:
            self.add_netns(r["netns"])
            self.sysctl(r["netns"], [("net.ipv4.ip_forward", 1)])
            for itf in r["interfaces"]:
                n = _net(self.plan, itf["network"])
                ip_batch(h1["netns"], [
                        f"link add {itf['tap']} mtu {n['mtu']} type veth peer name "
                        f"{itf['dev']} mtu {n['mtu']} address {itf['mac']} "
                        f"netns {r['netns']}",
                        f"link set {itf['tap']} master {n['bridge']} up"])
                ip_batch(r["netns"], [f"addr add {itf['ip']} dev {itf['dev']}",
                                      f"link set {itf['dev']} up"])

    def do_vms(self):
        vms = self.plan["vms"]
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
        self.state["vms"] = vms
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
        self.save()

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
        procs = []
        for vm in self.plan["vms"]:
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
        for vm in self.plan["vms"]:
            wait_until(lambda: _vm_lease_ip(vm) == vm["ip"], 30,
                       f"DHCP lease {vm['ip']} of {vm['name']}", interval=0.1)

    def do_libvirt(self):
        for h in self.plan["hosts"]:
            write_file(h["libvirt_file"], libvirt_xml(self.plan, h))
            run(["virsh", "-c", h["libvirt"], "list", "--all", "--name"])

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
            h = self.plan["hosts"][0]
            n = _net(self.plan, "net3")
            groups = []
            for i in range(s["ovs_ports"]):
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


def libvirt_xml(plan, h):
    """The libvirt test-driver node file describing host h's VMs as running
    domains, their interfaces as Nova's libvirt driver writes them."""
    node = ET.Element("node")
    nova = "http://openstack.org/xmlns/libvirt/nova/1.1"
    ET.register_namespace("nova", nova)
    for vm in plan["vms"]:
        if vm["host"] != h["name"]:
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
    attempts (the first packet may wait for ARP and MAC learning)."""
    pairs = connectivity_pairs(state)
    results = {}
    pending = list(range(len(pairs)))
    for _ in range(attempts):
        procs = [(i, _ping(pairs[i][1]["pid"], pairs[i][2]["ip"])) for i in pending]
        pending = []
        for i, p in procs:
            ok = p.wait() == 0
            results[i] = ok
            if not ok:
                pending.append(i)
        if not pending:
            break
    return [{"check": c, "from": a["name"], "to": b["name"], "ip": b["ip"],
             "ok": results.get(i, False)} for i, (c, a, b) in enumerate(pairs)]


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
    present = [n for n in netns_list() if is_owned_netns(prefix, n)]
    res = {"prefix": prefix, "run_dir": run_dir(prefix), "exists": bool(st or present),
           "complete": bool(st and st.get("complete")), "namespaces": [], "processes": [],
           "leases": [], "connectivity": [], "ovs_routes": [], "problems": []}
    if not st:
        if present:
            res["problems"].append("namespaces without a state file: " + ", ".join(present))
            res["namespaces"] = [{"name": n, "present": True} for n in present]
        res["healthy"] = False
        return res
    res["env"] = st.get("env")
    res["options"] = st.get("options")
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
        res["ovs_routes"].append({"host": h["name"], "route": want, "dev": "br-phy",
                                  "ok": bool(ok)})
        if not ok:
            res["problems"].append(f"OVS on {h['name']} has no route to {want} via br-phy")
    if check_connectivity and st.get("complete"):
        res["connectivity"] = connectivity(st)
        for c in res["connectivity"]:
            if not c["ok"]:
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
        lines.append(f"  ovs route {r['host']}: {r['route']} dev {r['dev']} "
                     f"{'ok' if r['ok'] else 'MISSING'}")
    for c in res["connectivity"]:
        lines.append(f"  ping {c['check']:<18} {c['from']} -> {c['to']} ({c['ip']}) "
                     f"{'ok' if c['ok'] else 'FAILED'}")
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
            time.sleep(0.02)
    return pids


def _down_locked(prefix, log):
    t0 = time.monotonic()
    rdir = run_dir(prefix)
    st = load_state(prefix)
    names = [n for n in netns_list() if is_owned_netns(prefix, n)]
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


def _quick_healthy(st, plan):
    if not st or not st.get("complete"):
        return False
    if st.get("options") != plan["options"]:
        return False
    present = set(netns_list())
    if any(n not in present for n in st.get("namespaces", [])):
        return False
    return all(pid_alive(p["pid"], p["start"]) for p in st.get("processes", []))


def up(prefix=None, hosts=DEFAULT_HOSTS, ovs=True, scale=None, log=None, keep_on_error=False):
    """Builds the lab (idempotent: a complete, running lab with the same
    options is left as it is; anything else of this prefix is removed
    first).  Returns the state dict (also in state.json).  On failure
    raises LabError after removing the half-built lab, unless
    keep_on_error."""
    prefix = check_prefix(prefix or default_prefix())
    log = log or (lambda m: None)
    plan = make_plan(prefix, hosts, ovs, scale)
    with _Lock():
        st = load_state(prefix)
        if _quick_healthy(st, plan):
            log(f"lab: {prefix} is already up")
            return st
        if st or any(is_owned_netns(prefix, n) for n in netns_list()) or \
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
    p_up.add_argument("-q", "--quiet", action="store_true")
    p_down = sub.add_parser("down", help="remove everything the lab made")
    add_prefix(p_down)
    p_down.add_argument("-q", "--quiet", action="store_true")
    p_st = sub.add_parser("status", help="report namespaces, processes, leases, pings")
    add_prefix(p_st)
    p_st.add_argument("--json", action="store_true")
    p_st.add_argument("--no-ping", action="store_true")
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
            st = up(a.prefix, a.hosts, not a.no_ovs, scale, log, a.keep_on_error)
            log(f"lab: {st['prefix']} up in {time.monotonic() - t:.1f}s; "
                f"environment: {env_path(st['prefix'])}")
            return 0
        if a.cmd == "down":
            down(a.prefix, log)
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
