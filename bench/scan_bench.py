#!/usr/bin/python3
"""scan_bench.py - `calipso scan` against the commands people run by hand.

  kernel  (issue 2): a lab variant with 1,000 interfaces across 50 extra
          namespaces; `calipso scan` of this machine (every namespace)
          beside `ip -j -d link show` + `ip -j addr` run in every namespace.
  ovs     (issue 3): one host with 1,000 OVS ports; `calipso scan` of that
          host beside `ovs-vsctl -f json list Bridge`, `Port`, `Interface`.

Prints, from one run: the times (median of ROUNDS), the ratio, and calipso's
peak RSS.  A benchmark, not a test: it asserts nothing.  Needs root; builds
its own lab (prefix "bs") and removes it at the end.

  /usr/bin/python3 bench/scan_bench.py [kernel|ovs|all] [--calipso PATH] [--rounds N]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "lab"))
import lab as labmod  # noqa: E402

PREFIX = "bs"


def timed(argv, **kw):
	"""(seconds, peak RSS in KiB, CompletedProcess) of one run of argv."""
	t0 = time.perf_counter()
	p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
	_, status, ru = os.wait4(p.pid, 0)
	dt = time.perf_counter() - t0
	out, err = p.stdout.read(), p.stderr.read()
	p.returncode = os.waitstatus_to_exitcode(status)
	p.stdout.close()
	p.stderr.close()
	return dt, ru.ru_maxrss, subprocess.CompletedProcess(argv, p.returncode, out, err)


def namespaces_to_read():
	"""argv prefixes reaching every network namespace: the root, every named
	one, and every unnamed one held by a process (through nsenter)."""
	pre = [[]]
	named = subprocess.run(["ip", "-j", "netns", "list"], capture_output=True, text=True).stdout
	named_inodes = set()
	for e in json.loads(named or "[]"):
		pre.append(["ip", "netns", "exec", e["name"]])
		named_inodes.add(os.stat(f"/run/netns/{e['name']}").st_ino)
	root = os.stat("/proc/self/ns/net").st_ino
	seen = {root} | named_inodes
	for pid in os.listdir("/proc"):
		if not pid.isdigit():
			continue
		try:
			ino = os.stat(f"/proc/{pid}/ns/net").st_ino
		except OSError:
			continue
		if ino not in seen:
			seen.add(ino)
			pre.append(["nsenter", "-t", pid, "-n"])
	return pre


def run_ip_everywhere(prefixes):
	t0 = time.perf_counter()
	n = 0
	for p in prefixes:
		for cmd in (["ip", "-j", "-d", "link", "show"], ["ip", "-j", "addr"]):
			out = subprocess.run(p + cmd, capture_output=True, text=True).stdout
			n += out.count('"ifname"') if cmd[2] == "-d" else 0
	return time.perf_counter() - t0, n


def calipso_scan(cal, db, env=None):
	argv = [cal, "--db", db, "--json"] + (["--env", env] if env else []) + ["scan", "--no-progress"]
	dt, rss, cp = timed(argv)
	if cp.returncode not in (0, 4):
		raise SystemExit(f"calipso scan failed ({cp.returncode}): {cp.stderr}")
	return dt, rss, json.loads(cp.stdout)


def bench_kernel(cal, rounds):
	labmod.up(PREFIX, hosts=2, ovs=False, scale={"namespaces": 50, "interfaces": 1000})
	prefixes = namespaces_to_read()
	ip_times, cold, warm, rss = [], [], [], []
	ifaces = 0
	for _ in range(rounds):
		t, ifaces = run_ip_everywhere(prefixes)
		ip_times.append(t)
		d = tempfile.mkdtemp(prefix="bs-")
		try:
			db = os.path.join(d, "c.db")
			t1, r1, doc = calipso_scan(cal, db)
			t2, r2, _ = calipso_scan(cal, db)
			cold.append(t1)
			warm.append(t2)
			rss.append(max(r1, r2))
			objects = doc["result"]["counts"]["objects"]["added"]
		finally:
			shutil.rmtree(d)
	ip_t = statistics.median(ip_times)
	print(f"kernel: {ifaces} interfaces in {len(prefixes)} namespaces, {objects} objects stored")
	print(f"  ip -j -d link show + ip -j addr, every namespace: {ip_t * 1000:8.1f} ms")
	print(f"  calipso scan, first (stores everything):        {statistics.median(cold) * 1000:8.1f} ms"
	      f"   ratio {statistics.median(cold) / ip_t:.2f}")
	print(f"  calipso scan, again (nothing changed):          {statistics.median(warm) * 1000:8.1f} ms"
	      f"   ratio {statistics.median(warm) / ip_t:.2f}")
	print(f"  calipso peak RSS:                               {max(rss) / 1024:8.1f} MB"
	      f"   (target: ratio <= 1.5, RSS < 30 MB)")


def bench_ovs(cal, rounds):
	labmod.up(PREFIX, hosts=1, ovs=True, scale={"ovs_ports": 1000})
	env_file = labmod.env_path(PREFIX)
	with open(env_file) as f:
		sock = json.load(f)["hosts"][0]["ovsdb"]
	ovs_times, cold, warm, rss = [], [], [], []
	nports = 0
	for _ in range(rounds):
		t0 = time.perf_counter()
		for table in ("Bridge", "Port", "Interface"):
			out = subprocess.run(["ovs-vsctl", f"--db={sock}", "-f", "json", "list", table],
					     capture_output=True, text=True, check=True).stdout
			if table == "Port":
				nports = len(json.loads(out)["data"])
		ovs_times.append(time.perf_counter() - t0)
		d = tempfile.mkdtemp(prefix="bs-")
		try:
			db = os.path.join(d, "c.db")
			subprocess.run([cal, "--db", db, "env", "add", "bench", "--config", env_file],
				       check=True, capture_output=True)
			t1, r1, _ = calipso_scan(cal, db, "bench")
			t2, r2, _ = calipso_scan(cal, db, "bench")
			cold.append(t1)
			warm.append(t2)
			rss.append(max(r1, r2))
		finally:
			shutil.rmtree(d)
	o = statistics.median(ovs_times)
	print(f"ovs: {nports} OVS ports on one host")
	print(f"  ovs-vsctl -f json list Bridge/Port/Interface:   {o * 1000:8.1f} ms")
	print(f"  calipso scan, first (stores everything):        {statistics.median(cold) * 1000:8.1f} ms"
	      f"   ratio {statistics.median(cold) / o:.2f}")
	print(f"  calipso scan, again (nothing changed):          {statistics.median(warm) * 1000:8.1f} ms"
	      f"   ratio {statistics.median(warm) / o:.2f}")
	print(f"  calipso peak RSS:                               {max(rss) / 1024:8.1f} MB"
	      f"   (target: ratio <= 1.5)")


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("what", nargs="?", default="all", choices=["kernel", "ovs", "all"])
	ap.add_argument("--calipso", default=os.path.join(REPO, "build", "src", "cli", "calipso"))
	ap.add_argument("--rounds", type=int, default=3)
	a = ap.parse_args()
	try:
		if a.what in ("kernel", "all"):
			bench_kernel(a.calipso, a.rounds)
			labmod.down(PREFIX)
		if a.what in ("ovs", "all"):
			bench_ovs(a.calipso, a.rounds)
	finally:
		labmod.down(PREFIX)


if __name__ == "__main__":
	main()
