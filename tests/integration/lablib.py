"""lablib.py - helpers shared by Calipso's integration tests.

- wait_for(cond, timeout, what): polls instead of sleeping; fails with the
  last state seen.
- calipso(*args, db=...): runs the real binary ($CALIPSO_BIN, default
  build/src/cli/calipso) with a per-test database, parses --json output.
- ip_json(netns, *args): `ip -j ...` inside a lab namespace (by name) or a
  VM namespace (by pid).
- ovs_json(db, table, *records): `ovs-vsctl -f json list` against a host's
  OVSDB socket, decoded into plain dicts.
- virsh_dumpxml(uri, domain) (text), virsh_domain(uri, domain) (parsed),
  virsh_domains(uri): the lab's libvirt test-driver files.
- Lab: a handle on a running lab (state.json, environment.json, VMs).

Everything here only reads the lab or runs commands inside its namespaces;
nothing touches the root namespace.
"""

import glob
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LAB_DIR = os.path.join(REPO, "lab")
LAB_PY = os.path.join(LAB_DIR, "lab.py")
if LAB_DIR not in sys.path:
    sys.path.insert(0, LAB_DIR)

import lab as labmod  # noqa: E402  (lab/lab.py, after the path is set)


class CommandError(AssertionError):
    """A command a test relied on failed; the message has everything."""


def run(argv, check=True, timeout=60, input=None, env=None):
    """Runs argv, returns CompletedProcess (text); fails the test with the
    command, exit status, stdout and stderr when check and it fails."""
    try:
        cp = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                            input=input, env=env)
    except subprocess.TimeoutExpired as e:
        raise CommandError(f"timed out after {timeout}s: {' '.join(argv)}\n"
                           f"stdout: {e.stdout}\nstderr: {e.stderr}")
    if check and cp.returncode != 0:
        raise CommandError(f"command failed (exit {cp.returncode}): {' '.join(argv)}\n"
                           f"stdout: {cp.stdout.strip()}\nstderr: {cp.stderr.strip()}")
    return cp


def wait_for(cond, timeout=10.0, what="condition", interval=0.1):
    """Calls cond() until it returns something truthy and returns that.
    An exception from cond counts as "not yet" and is kept as the last
    state.  After timeout seconds, fails naming what and the last state."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = cond()
            if last:
                return last
        except Exception as e:  # the condition's failure is the state to report
            last = f"{type(e).__name__}: {e}"
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; "
                                 f"last state: {last!r}")
        time.sleep(interval)


# ---------------------------------------------------------------------------
# The calipso binary.

def calipso_bin():
    return os.environ.get("CALIPSO_BIN") or os.path.join(REPO, "build", "src", "cli", "calipso")


def build_dir():
    """The build under test: $CALIPSO_BUILD, else the one holding
    $CALIPSO_BIN (BUILD/src/cli/calipso), else build/."""
    if os.environ.get("CALIPSO_BUILD"):
        return os.environ["CALIPSO_BUILD"]
    if os.environ.get("CALIPSO_BIN"):
        return os.path.dirname(os.path.dirname(os.path.dirname(os.environ["CALIPSO_BIN"])))
    return os.path.join(REPO, "build")


class CalipsoResult:
    def __init__(self, argv, cp):
        self.argv = argv
        self.rc = cp.returncode
        self.stdout = cp.stdout
        self.stderr = cp.stderr
        self.json = None

    def __repr__(self):
        return (f"calipso exit {self.rc}: {' '.join(self.argv)}\n"
                f"stdout: {self.stdout.strip()[:4000]}\nstderr: {self.stderr.strip()[:4000]}")


def calipso(*args, db, json_out=True, expect=0, env_name=None, timeout=300, input=None,
            extra_env=None):
    """Runs `calipso --db DB [--env NAME] [--json] ARGS...`.

    expect: the exit status required (an int, a tuple of allowed ones, or
    None to accept any).  With json_out, stdout is parsed into .json
    (failing the test when it is not JSON).  Returns a CalipsoResult."""
    argv = [calipso_bin(), "--db", str(db)]
    if env_name:
        argv += ["--env", env_name]
    if json_out:
        argv.append("--json")
    argv += [str(a) for a in args]
    env = dict(os.environ)
    env.pop("CALIPSO_DB", None)
    env.pop("CALIPSO_ENV", None)
    if extra_env:
        env.update(extra_env)
    try:
        cp = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                            input=input, env=env)
    except subprocess.TimeoutExpired as e:
        raise CommandError(f"calipso timed out after {timeout}s: {' '.join(argv)}\n"
                           f"stdout: {e.stdout}\nstderr: {e.stderr}")
    res = CalipsoResult(argv, cp)
    allowed = (expect,) if isinstance(expect, int) else expect
    if allowed is not None and res.rc not in allowed:
        raise CommandError(f"unexpected exit status (wanted {expect}): {res!r}")
    if json_out and res.stdout.strip():
        try:
            res.json = json.loads(res.stdout)
        except ValueError as e:
            raise CommandError(f"calipso printed invalid JSON ({e}): {res!r}")
    return res


# ---------------------------------------------------------------------------
# Reading the lab.

def _ns_prefix(netns):
    """argv prefix running a command in a lab namespace: a name (named
    namespace) or an int pid (a VM's unnamed namespace).  Never the root
    namespace: netns is required."""
    if isinstance(netns, int):
        return ["nsenter", "--net", "--uts", "-t", str(netns)]
    if not netns:
        raise ValueError("a lab namespace is required (name or VM pid)")
    return ["ip", "netns", "exec", netns]


def ns_run(netns, *argv, check=True, timeout=60):
    return run(_ns_prefix(netns) + list(argv), check=check, timeout=timeout)


def ip_json(netns, *args):
    """`ip -j ARGS` inside a lab namespace (name) or VM namespace (pid);
    returns the parsed JSON ([] when ip prints nothing)."""
    if isinstance(netns, int):
        argv = _ns_prefix(netns) + ["ip", "-j", *args]
    else:
        if not netns:
            raise ValueError("a lab namespace is required (name or VM pid)")
        argv = ["ip", "-n", netns, "-j", *args]
    out = run(argv).stdout.strip()
    return json.loads(out) if out else []


def ovsdb_decode(v):
    """OVSDB JSON values to Python: ["uuid", u] -> u, ["set", [...]] -> list,
    ["map", [[k, v]...]] -> dict, atoms unchanged."""
    if isinstance(v, list) and len(v) == 2 and isinstance(v[0], str):
        kind, val = v
        if kind in ("uuid", "named-uuid"):
            return val
        if kind == "set":
            return [ovsdb_decode(x) for x in val]
        if kind == "map":
            return {ovsdb_decode(k): ovsdb_decode(x) for k, x in val}
    return v


def ovs_json(db, table, *records, columns=None):
    """Rows of `table` (all, or the named records) from the OVSDB at db
    ("unix:/path" or a host entry of environment.json / state.json), as a
    list of dicts with decoded values (`_uuid` is a string)."""
    if isinstance(db, dict):
        db = db.get("ovsdb") or db["ovs"]["ovsdb"]
    argv = ["ovs-vsctl", f"--db={db}", "--timeout=10", "-f", "json"]
    if columns:
        argv.append("--columns=" + ",".join(columns))
    argv += ["list", table, *records]
    doc = json.loads(run(argv).stdout)
    heads = doc["headings"]
    return [{h: ovsdb_decode(v) for h, v in zip(heads, row)} for row in doc["data"]]


def virsh(uri, *args, check=True):
    return run(["virsh", "-c", uri, *args], check=check)


def virsh_domains(uri):
    """Names of all domains (any state) of a libvirt URI."""
    return [n for n in virsh(uri, "list", "--all", "--name").stdout.split() if n]


def virsh_dumpxml(uri, domain):
    """The XML text `virsh dumpxml` prints for domain."""
    return virsh(uri, "dumpxml", domain).stdout


def virsh_domain(uri, domain):
    """virsh_dumpxml() parsed: the <domain> element."""
    return ET.fromstring(virsh_dumpxml(uri, domain))


# ---------------------------------------------------------------------------
# A handle on a lab.

class Lab:
    """A running lab: its prefix, state.json (the lab's own record) and
    environment.json, with lookups tests need."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.run_dir = labmod.run_dir(prefix)
        self.env_file = labmod.env_path(prefix)
        self.reload()

    def reload(self):
        self.state = labmod.load_state(self.prefix)
        if not self.state:
            raise AssertionError(f"lab {self.prefix} has no state.json")
        with open(self.env_file) as f:
            self.environment = json.load(f)
        return self

    @property
    def env_name(self):
        return self.environment["name"]

    @property
    def hosts(self):
        return self.state["hosts"]

    @property
    def vms(self):
        return self.state["vms"]

    @property
    def networks(self):
        return self.state["networks"]

    @property
    def has_ovs(self):
        return bool(self.state["options"]["ovs"])

    def host(self, name):
        for h in self.hosts:
            if h["name"] == name:
                return h
        raise KeyError(f"no host {name!r} in lab {self.prefix}")

    def network(self, name):
        for n in self.networks:
            if n["name"] == name:
                return n
        raise KeyError(f"no network {name!r} in lab {self.prefix}")

    def vm(self, name):
        for v in self.vms:
            if v["name"] == name:
                return v
        raise KeyError(f"no VM {name!r} in lab {self.prefix}")

    def find_vms(self, host=None, network=None, plug=None):
        return [v for v in self.vms if (host is None or v["host"] == host) and
                (network is None or v["network"] == network) and
                (plug is None or v["plug"] == plug)]

    def vm_run(self, vm, *argv, check=True, timeout=60):
        """Runs argv inside a VM's namespaces (vm: name or state entry)."""
        if isinstance(vm, str):
            vm = self.vm(vm)
        return ns_run(vm["pid"], *argv, check=check, timeout=timeout)

    def ping(self, src, dst_ip, count=1, wait=1):
        """True when src (VM name or entry) gets an answer from dst_ip."""
        cp = self.vm_run(src, "ping", "-n", "-q", "-c", str(count), "-W", str(wait), dst_ip,
                         check=False)
        return cp.returncode == 0

    def status(self, ping=True):
        return labmod.status(self.prefix, check_connectivity=ping)

    def logs(self, tail=40):
        """The last lines of every daemon log of the lab, by file name."""
        out = {}
        pats = ["**/*.log", "dhcp/*/log"]
        seen = set()
        for pat in pats:
            for path in sorted(_glob(self.run_dir, pat)):
                if path in seen:
                    continue
                seen.add(path)
                try:
                    with open(path, errors="replace") as f:
                        lines = f.readlines()[-tail:]
                except OSError:
                    continue
                out[os.path.relpath(path, self.run_dir)] = "".join(lines)
        return out


def _glob(base, pat):
    return glob.glob(os.path.join(base, pat), recursive=True)


def lab_cli(*args, check=True, env=None, timeout=120):
    """Runs lab/lab.py as the CLI (a separate process, as an operator would)."""
    return run(["/usr/bin/python3", LAB_PY, *args], check=check, env=env, timeout=timeout)
