#!/usr/bin/python3
"""Records the OVSDB replies that tests/unit/test_ovsdb.c replays.

Starts a throwaway ovsdb-server on a database made from the installed
vswitch schema (in a /tmp/ovt-rec-* directory, removed at the end, the
server killed even on failure), fills it with ovs-vsctl, sends the requests
calipso sends and stores each reply byte for byte as the server wrote it.

    tests/data/ovsdb/record.py BUILD_DIR/tests/tools/ovs_dump

ovs_dump --ops gives the exact transact operations of a scan, so the
recording follows the C code's column lists.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"


def wait_for(cond, timeout=10.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.02)
    raise RuntimeError("timed out waiting for " + what)


def read_reply(sock):
    """Reads one JSON value; returns its exact bytes."""
    dec = json.JSONDecoder()
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("server closed the connection")
        data += chunk
        try:
            _, end = dec.raw_decode(data.decode())
            return data[:end]
        except ValueError:
            continue


def request(sock_path, method, params, rid):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(sock_path)
        s.sendall(json.dumps({"method": method, "params": params, "id": rid}).encode())
        return read_reply(s)


def populate(vsctl):
    cmds = [
        ["init"],
        ["set", "Open_vSwitch", ".", "external_ids:system-id=ovt-system-1",
         "ovs_version=3.1.0", "db_version=8.3.1"],
        ["add-br", "ovt-br0", "--", "set", "Bridge", "ovt-br0", "fail_mode=secure",
         "datapath_type=netdev", "external_ids:bridge-id=ovt-br0"],
        ["set-controller", "ovt-br0", "tcp:127.0.0.1:6633", "tcp:127.0.0.1:6634"],
        ["add-port", "ovt-br0", "ovt-p1", "tag=10",
         "other_config:net_uuid=5e7d1a2b-0000-4000-8000-00000000beef",
         "other_config:network_type=vxlan", "other_config:segmentation_id=103",
         "other_config:physical_network=\"\"", "other_config:tag=10",
         "--", "set", "Interface", "ovt-p1",
         "type=internal", "external_ids:iface-id=4a1b2c3d-0000-4000-8000-000000000001",
         "external_ids:attached-mac=fa:16:3e:00:00:01",
         "external_ids:vm-uuid=9f0e8d7c-0000-4000-8000-0000000000aa",
         "external_ids:iface-status=active", "ofport=3", "ifindex=17", "mtu=1500",
         "admin_state=up", "link_state=up", "mac_in_use=\"fa:16:3e:00:00:01\"",
         "statistics:rx_bytes=1000", "statistics:tx_bytes=2000"],
        ["add-port", "ovt-br0", "ovt-trunk", "trunks=10,20,30", "vlan_mode=trunk"],
        ["add-bond", "ovt-br0", "ovt-bond", "ovt-b1", "ovt-b2"],
        ["set", "Interface", "ovt-b2", "error=\"could not open network device ovt-b2 "
         "(No such device)\"", "ofport=-1"],
        ["add-br", "ovt-tun"],
        ["add-port", "ovt-tun", "ovt-vx", "--", "set", "Interface", "ovt-vx", "type=vxlan",
         "options:remote_ip=192.0.2.2", "options:local_ip=192.0.2.1", "options:key=flow",
         "options:dst_port=4789"],
        ["add-port", "ovt-tun", "ovt-gre", "--", "set", "Interface", "ovt-gre", "type=gre",
         "options:remote_ip=192.0.2.3"],
        ["add-port", "ovt-tun", "ovt-gnv", "--", "set", "Interface", "ovt-gnv", "type=geneve",
         "options:remote_ip=192.0.2.4", "options:key=5000"],
        ["add-port", "ovt-tun", "ovt-patch-int", "--", "set", "Interface", "ovt-patch-int",
         "type=patch", "options:peer=ovt-patch-tun"],
    ]
    for c in cmds:
        subprocess.run(vsctl + c, check=True)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: record.py PATH/TO/ovs_dump")
    ops = json.loads(subprocess.run([sys.argv[1], "--ops"], check=True,
                                    capture_output=True, text=True).stdout)
    tmp = tempfile.mkdtemp(prefix="ovt-rec-")
    sock = os.path.join(tmp, "db.sock")
    pidfile = os.path.join(tmp, "ovsdb-server.pid")
    pid = None
    try:
        db = os.path.join(tmp, "conf.db")
        subprocess.run(["ovsdb-tool", "create", db, SCHEMA], check=True)
        subprocess.run(["ovsdb-server", db, "--remote=punix:" + sock,
                        "--pidfile=" + pidfile, "--unixctl=" + os.path.join(tmp, "ctl"),
                        "--log-file=" + os.path.join(tmp, "log"), "--detach",
                        "--no-chdir"], check=True)
        wait_for(lambda: os.path.exists(pidfile) and os.path.exists(sock), what="server")
        pid = int(open(pidfile).read().strip())
        out = {}
        out["transact_empty.json"] = request(sock, "transact", ["Open_vSwitch"] + ops, 1)
        populate(["ovs-vsctl", "--db=unix:" + sock, "--no-wait"])
        out["list_dbs.json"] = request(sock, "list_dbs", [], 2)
        out["get_schema.json"] = request(sock, "get_schema", ["Open_vSwitch"], 3)
        out["transact_select.json"] = request(sock, "transact", ["Open_vSwitch"] + ops, 4)
        out["error_unknown_db.json"] = request(sock, "transact", ["Nope"] + ops, 5)
        out["error_op.json"] = request(
            sock, "transact", ["Open_vSwitch", {"op": "select", "table": "NoSuchTable",
                                                "where": []}], 6)
        for name, data in out.items():
            with open(os.path.join(HERE, name), "wb") as f:
                f.write(data)
            print("recorded %s (%d bytes)" % (name, len(data)))
    finally:
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
