#!/usr/bin/python3
"""openstack_bench.py [BUILD_DIR] [--servers N --ports N --hypervisors N]

OpenStack API discovery on a simulated cloud (bench/os_fake_api.py on
127.0.0.1; shapes recorded from the lab cloud, volume generated: 1,000
hypervisors, 20,000 servers, 60,000 ports by default).  Runs the OpenStack
source through tests/tools/os_dump --stats and prints: API discovery time,
requests made (and whether any was not a list call), peak RSS, then the
time to build and link the cloud's objects.  Target: API discovery < 15 s,
list calls only.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=os.path.join(REPO, "build"))
    ap.add_argument("--servers", type=int, default=20000)
    ap.add_argument("--ports", type=int, default=60000)
    ap.add_argument("--hypervisors", type=int, default=1000)
    ap.add_argument("--page-size", type=int, default=1000)
    a = ap.parse_args()
    tool = os.path.join(a.build, "tests", "tools", "os_dump")
    t0 = time.monotonic()
    api = subprocess.Popen([sys.executable, os.path.join(HERE, "os_fake_api.py"),
                            "--servers", str(a.servers), "--ports", str(a.ports),
                            "--hypervisors", str(a.hypervisors)],
                           stdout=subprocess.PIPE, text=True)
    try:
        line = api.stdout.readline()
        if not line.startswith("PORT "):
            raise SystemExit("the fake API did not start")
        port = int(line.split()[1])
        print(f"fake API: {a.hypervisors} hypervisors, {a.servers} servers, {a.ports} ports "
              f"(generated in {time.monotonic() - t0:.1f} s) on 127.0.0.1:{port}")
        with tempfile.TemporaryDirectory() as d:
            secret = os.path.join(d, "secret.json")
            with open(os.open(secret, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
                json.dump({"password": "bench"}, f)
            cfg = os.path.join(d, "openstack.json")
            with open(cfg, "w") as f:
                json.dump({"auth_url": f"http://127.0.0.1:{port}/identity/v3",
                           "username": "admin", "project_name": "admin",
                           "secret_file": secret, "page_size": a.page_size}, f)
            cp = subprocess.run([tool, "--stats", cfg], capture_output=True, text=True)
            if cp.returncode != 0:
                raise SystemExit(f"os_dump failed: {cp.stderr}")
            r = json.loads(cp.stdout)
        stats = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/_stats"))
    finally:
        api.terminate()
        api.wait()
    print(f"API discovery: {r['seconds']:.2f} s, {r['requests']} requests "
          f"({stats['tokens']} token, {stats['not_found']} not list calls), "
          f"peak RSS {r['api_peak_rss_kb'] / 1024:.0f} MiB")
    print(f"  {r['servers']} servers, {r['ports']} ports, {r['hypervisors']} hypervisors, "
          f"{r['networks']} networks")
    print(f"build + link: {r['build_seconds']:.2f} s, {r['objects']} objects, {r['links']} "
          f"links, peak RSS {r['peak_rss_kb'] / 1024:.0f} MiB")
    ok = r["seconds"] < 15 and stats["not_found"] == 0
    print("target (< 15 s, list calls only):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
