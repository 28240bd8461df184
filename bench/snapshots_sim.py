#!/usr/bin/python3
"""snapshots_sim.py - snapshots and diff (cliques included) on the simulated
cloud of `calipso sim` (issue 4's generator: builder, linker, store and
clique engine, as a scan would run them).

Week 1: the cloud as generated; snapshot. Week 2: the same cloud with
CHURN VMs deleted or moved (`--churn`); snapshot. Prints the time of each
snapshot, of `diff w1 w2` (objects, links and clique membership and health)
and of a design drift check (`design set` from week 1, `diff design:... w2`),
the counts found, and the database growth. A benchmark, not a test.

  /usr/bin/python3 bench/snapshots_sim.py [--calipso PATH] [--hosts N] [--vms M]
                                          [--networks K] [--churn C]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(calipso, db, *args, env=None, expect=(0,)):
    argv = [calipso, "--db", db] + (["--env", env] if env else []) + list(args)
    t0 = time.monotonic()
    cp = subprocess.run(argv, capture_output=True, text=True)
    dt = time.monotonic() - t0
    if cp.returncode not in expect:
        sys.exit(f"{' '.join(argv)}: exit {cp.returncode}\n{cp.stdout}\n{cp.stderr}")
    return dt, cp.stdout


def db_bytes(db):
    return sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calipso", default=os.path.join(REPO, "build", "src", "cli", "calipso"))
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--vms", type=int, default=20000)
    ap.add_argument("--networks", type=int, default=2000)
    ap.add_argument("--churn", type=int, default=200)
    o = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="sn-bench-sim-")
    db = os.path.join(tmp, "calipso.db")
    cloud = ["--hosts", str(o.hosts), "--vms", str(o.vms), "--networks", str(o.networks)]
    try:
        dt, _ = run(o.calipso, db, "sim", *cloud, "--env", "sim")
        print(f"{'week 1: sim, scan, cliques':36} {dt:8.2f} s")
        objects = json.loads(run(o.calipso, db, "--json", "snapshot", "create", "w1",
                                 env="sim")[1])["counts"]["objects"]
        dt, _ = run(o.calipso, db, "snapshot", "create", "w1b", env="sim")
        print(f"{'snapshot':36} {dt:8.3f} s  ({objects} objects)")
        size1 = db_bytes(db)
        dt, _ = run(o.calipso, db, "sim", *cloud, "--churn", str(o.churn), "--env", "sim")
        print(f"{'week 2: churn ' + str(o.churn) + ' VMs, scan, cliques':36} {dt:8.2f} s")
        dt, _ = run(o.calipso, db, "snapshot", "create", "w2", env="sim")
        print(f"{'snapshot':36} {dt:8.3f} s")
        size2 = db_bytes(db)
        dt, out = run(o.calipso, db, "--json", "diff", "w1", "w2", env="sim", expect=(1,))
        s = json.loads(out)["summary"]
        changed = s["objects_added"] + s["objects_removed"] + s["objects_changed"]
        print(f"{'diff w1 w2 (with cliques)':36} {dt:8.3f} s  ({changed} objects = "
              f"{100.0 * changed / objects:.2f}%, {s['links_added'] + s['links_removed'] + s['links_changed']}"
              f" links, {s['cliques_added'] + s['cliques_removed'] + s['cliques_changed']} cliques)")
        dt, _ = run(o.calipso, db, "--json", "diff", "w1", "w2", "--no-cliques", env="sim",
                    expect=(1,))
        print(f"{'diff w1 w2 --no-cliques':36} {dt:8.3f} s")
        dt, _ = run(o.calipso, db, "design", "set", "asbuilt", "--from", "w1", env="sim")
        print(f"{'design set --from w1':36} {dt:8.3f} s")
        dt, _ = run(o.calipso, db, "--json", "diff", "design:asbuilt", "w2", env="sim",
                    expect=(1,))
        print(f"{'diff design:asbuilt w2':36} {dt:8.3f} s")
        dt, _ = run(o.calipso, db, "report", "diff", "w1", "w2", "--out",
                    os.path.join(tmp, "diff.html"), env="sim")
        print(f"{'report diff w1 w2 (HTML, 12 graphs)':36} {dt:8.3f} s  "
              f"({os.path.getsize(os.path.join(tmp, 'diff.html')) // 1024} KiB)")
        print(f"{'database after week 1':36} {size1 / 1e6:8.1f} MB")
        print(f"{'added by week 2 and its snapshot':36} {(size2 - size1) / 1e6:8.1f} MB = "
              f"{100.0 * (size2 - size1) / size1:.2f}%")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
