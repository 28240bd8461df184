#!/usr/bin/python3
"""oslab.py - a real OpenStack Zed cloud on this machine, for Calipso's tests.

    sudo /usr/bin/python3 lab/openstack/oslab.py up      [--prefix os]
    sudo /usr/bin/python3 lab/openstack/oslab.py status  [--prefix os]
    sudo /usr/bin/python3 lab/openstack/oslab.py down    [--prefix os]

`up` installs nothing (lab/openstack/install.sh does), writes every config
file under /run/calipso-os/<P>/, and starts by hand, with pid files:
MariaDB (unix socket only), RabbitMQ, Keystone and Placement (uwsgi), Glance,
Neutron server (ML2/OVS), Nova api/conductor/scheduler, and two hosts:

  <P>-h1 (network node and compute), <P>-h2 (compute): each a network
  namespace with its own ovsdb-server/ovs-vswitchd (userspace datapath),
  Neutron OVS agent (VXLAN tunnels over a veth between the two), and a
  nova-compute with the fake driver; <P>-h1 also runs the DHCP and L3
  agents (ovs_use_veth).

Every API listens on 127.0.0.1 of the root namespace only.  The agents in
the host namespaces reach RabbitMQ through a forwarder (oslab_fwd.py) that
listens on the namespace's own loopback.  Then it creates projects,
networks, subnets, a router with an external gateway, and servers; the fake
compute driver plugs nothing, so each server's port is plugged as os-vif
does: a veth `tap<port[:11]>` on br-int (or qvo/qvb/qbr for hybrid
plugging) with external_ids iface-id, attached-mac, iface-status, vm-uuid,
whose other end is eth0 of the guest, an unnamed namespace held by a
process.

`down` stops every process it started (pid files, and anything running in
its namespaces), deletes its namespaces (<P>-h1, <P>-h2, and the
qdhcp-/qrouter- namespaces of its networks) and the run directory.  It is
safe in any state and `up` calls it first when a previous cloud is broken.
The state (clouds.yaml, Calipso's environment.json, resource ids) is in
/run/calipso-os/<P>/state.json.
"""
import argparse
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
PW = "calipso-os-secret"
PORTS = {"keystone": 15357, "placement": 18778, "glance": 19292, "neutron": 19696,
         "nova": 18774, "rabbit": 15673, "rabbit_dist": 15674, "epmd": 14369}


class OsLabError(Exception):
    pass


def log(msg):
    print(f"oslab: {msg}", file=sys.stderr, flush=True)


def run(argv, check=True, env=None, input=None, timeout=300):
    cp = subprocess.run(argv, capture_output=True, text=True, env=env, input=input,
                        timeout=timeout)
    if check and cp.returncode != 0:
        raise OsLabError(f"{' '.join(argv)} failed ({cp.returncode}): "
                         f"{(cp.stderr or cp.stdout).strip()[-2000:]}")
    return cp


def wait_until(cond, timeout, what, interval=0.5):
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            if cond():
                return
        except Exception as e:  # the condition's own failure is "not yet"
            last = e
        time.sleep(interval)
    raise OsLabError(f"timed out after {timeout}s waiting for {what}"
                     + (f" (last error: {last})" if last else ""))


def port_open(port):
    import socket
    s = socket.socket()
    s.settimeout(0.5)
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def ini(sections):
    out = []
    for name, kv in sections.items():
        out.append(f"[{name}]")
        for k, v in kv.items():
            out.append(f"{k} = {v}")
        out.append("")
    return "\n".join(out)


class Cloud:
    def __init__(self, prefix):
        if not re.fullmatch(r"[a-z][a-z0-9]{0,9}", prefix):
            raise OsLabError(f"bad prefix '{prefix}': 1-10 lowercase letters or digits")
        self.p = prefix
        self.dir = f"/run/calipso-os/{prefix}"
        self.state_path = f"{self.dir}/state.json"
        self.env = dict(os.environ, CALIPSO_OSLAB_OWNER=prefix, HOME=self.dir,
                        PATH="/usr/sbin:/usr/bin:/sbin:/bin")
        for k in list(self.env):
            if k.startswith("OS_"):
                del self.env[k]
        self.hosts = [
            {"name": f"{prefix}-h1", "netns": f"{prefix}-h1", "ip": "172.31.252.11",
             "network_node": True, "az": "nova"},
            {"name": f"{prefix}-h2", "netns": f"{prefix}-h2", "ip": "172.31.252.12",
             "network_node": False, "az": f"{prefix}-az2"},
        ]
        for h in self.hosts:
            h["ovs"] = f"{self.dir}/{h['name']}/ovs"
            h["sock"] = f"{h['ovs']}/db.sock"

    # ------------------------------------------------------------ state
    def load(self):
        try:
            with open(self.state_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def save(self, st):
        tmp = self.state_path + ".tmp"
        write(tmp, json.dumps(st, indent=1))
        os.replace(tmp, self.state_path)

    def daemon(self, name, argv, netns=None, env=None, log_name=None, cwd=None):
        """Starts argv in the background (in `netns` through nsenter, which
        keeps the root mount namespace so that namespaces the agents create
        are seen by everyone) and records its pid file."""
        logf = open(f"{self.dir}/log/{log_name or name}.log", "ab")
        if netns:
            argv = ["nsenter", f"--net=/run/netns/{netns}", "--"] + argv
        p = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, env=env or self.env, cwd=cwd or self.dir,
                             start_new_session=True)
        logf.close()
        write(f"{self.dir}/pids/{name}.pid", f"{p.pid}\n")
        return p.pid

    def os_env(self, project="admin"):
        e = dict(self.env)
        e.update(OS_AUTH_URL=f"http://127.0.0.1:{PORTS['keystone']}/v3", OS_USERNAME="admin",
                 OS_PASSWORD=PW, OS_PROJECT_NAME=project, OS_USER_DOMAIN_NAME="Default",
                 OS_PROJECT_DOMAIN_NAME="Default", OS_IDENTITY_API_VERSION="3",
                 OS_REGION_NAME="RegionOne", OS_INTERFACE="public")
        return e

    def osc(self, *args, project="admin"):
        cp = run([PY, "/usr/bin/openstack", *args, "-f", "json"], env=self.os_env(project))
        return json.loads(cp.stdout) if cp.stdout.strip() else None

    # ------------------------------------------------------------ configs
    def db_url(self, db):
        return (f"mysql+pymysql://os:{PW}@localhost/{db}"
                f"?unix_socket={self.dir}/mysql/mysqld.sock")

    def rabbit_url(self):
        return f"rabbit://os:{PW}@127.0.0.1:{PORTS['rabbit']}/"

    def keystone_authtoken(self, user):
        return {"www_authenticate_uri": f"http://127.0.0.1:{PORTS['keystone']}",
                "auth_url": f"http://127.0.0.1:{PORTS['keystone']}", "auth_type": "password",
                "project_domain_name": "Default", "user_domain_name": "Default",
                "project_name": "service", "username": user, "password": PW,
                "memcached_servers": "", "region_name": "RegionOne"}

    def write_configs(self):
        d = self.dir
        ks = f"http://127.0.0.1:{PORTS['keystone']}"
        write(f"{d}/etc/keystone/keystone.conf", ini({
            "DEFAULT": {"log_file": f"{d}/log/keystone-app.log", "debug": "false"},
            "database": {"connection": self.db_url("keystone")},
            "token": {"provider": "fernet", "expiration": "3600"},
            "fernet_tokens": {"key_repository": f"{d}/etc/keystone/fernet-keys"},
            "credential": {"key_repository": f"{d}/etc/keystone/credential-keys"},
            "identity": {"password_hash_rounds": "4"},
            "cache": {"enabled": "false"},
        }))
        write(f"{d}/etc/placement/placement.conf", ini({
            "DEFAULT": {"log_file": f"{d}/log/placement-app.log"},
            "placement_database": {"connection": self.db_url("placement")},
            "api": {"auth_strategy": "keystone"},
            "keystone_authtoken": self.keystone_authtoken("placement"),
        }))
        write(f"{d}/etc/glance/glance-api.conf", ini({
            "DEFAULT": {"bind_host": "127.0.0.1", "bind_port": PORTS["glance"], "workers": 1,
                        "enabled_backends": "fs:file", "log_file": f"{d}/log/glance-app.log"},
            "database": {"connection": self.db_url("glance")},
            "glance_store": {"default_backend": "fs"},
            "fs": {"filesystem_store_datadir": f"{d}/glance/images"},
            "keystone_authtoken": self.keystone_authtoken("glance"),
            "paste_deploy": {"flavor": "keystone",
                             "config_file": "/etc/glance/glance-api-paste.ini"},
            "oslo_concurrency": {"lock_path": f"{d}/glance/lock"},
        }))
        common_neutron = {
            "DEFAULT": {"core_plugin": "ml2", "service_plugins": "router,segments",
                        "transport_url": self.rabbit_url(), "auth_strategy": "keystone",
                        "bind_host": "127.0.0.1", "bind_port": PORTS["neutron"],
                        "api_workers": 1, "rpc_workers": 1, "rpc_state_report_workers": 1,
                        "notify_nova_on_port_status_changes": "false",
                        "notify_nova_on_port_data_changes": "false",
                        "dhcp_agents_per_network": 1, "state_path": f"{d}/neutron",
                        "allow_overlapping_ips": "true", "debug": "false"},
            "database": {"connection": self.db_url("neutron")},
            "keystone_authtoken": self.keystone_authtoken("neutron"),
            "oslo_concurrency": {"lock_path": f"{d}/neutron/lock"},
            "agent": {"root_helper": "", "report_interval": 10},
            "privsep": {"helper_command": "privsep-helper"},
        }
        write(f"{d}/etc/neutron/neutron.conf", ini(common_neutron))
        write(f"{d}/etc/neutron/ml2_conf.ini", ini({
            "ml2": {"type_drivers": "flat,vlan,vxlan", "tenant_network_types": "vxlan",
                    "mechanism_drivers": "openvswitch", "extension_drivers": "port_security"},
            "ml2_type_flat": {"flat_networks": "physnet1"},
            "ml2_type_vlan": {"network_vlan_ranges": "physnet1"},
            "ml2_type_vxlan": {"vni_ranges": "1000:1999"},
            "securitygroup": {"firewall_driver": "noop", "enable_security_group": "false"},
        }))
        write(f"{d}/etc/nova/nova.conf", ini({
            "DEFAULT": {"transport_url": self.rabbit_url(), "my_ip": "127.0.0.1",
                        "osapi_compute_listen": "127.0.0.1",
                        "osapi_compute_listen_port": PORTS["nova"],
                        "osapi_compute_workers": 1, "enabled_apis": "osapi_compute",
                        "state_path": f"{d}/nova", "log_dir": f"{d}/log",
                        "compute_driver": "fake.FakeDriver", "use_rootwrap_daemon": "false",
                        "vif_plugging_is_fatal": "false", "vif_plugging_timeout": 0,
                        "debug": "false"},
            "api": {"auth_strategy": "keystone"},
            "api_database": {"connection": self.db_url("nova_api")},
            "database": {"connection": self.db_url("nova")},
            "conductor": {"workers": 1},
            "scheduler": {"workers": 1, "discover_hosts_in_cells_interval": 10},
            "keystone_authtoken": self.keystone_authtoken("nova"),
            "placement": {"auth_url": ks, "auth_type": "password",
                          "project_domain_name": "Default", "user_domain_name": "Default",
                          "project_name": "service", "username": "placement", "password": PW,
                          "region_name": "RegionOne"},
            "neutron": {"auth_url": ks, "auth_type": "password",
                        "project_domain_name": "Default", "user_domain_name": "Default",
                        "project_name": "service", "username": "neutron", "password": PW,
                        "region_name": "RegionOne", "service_metadata_proxy": "false"},
            "glance": {"api_servers": f"http://127.0.0.1:{PORTS['glance']}"},
            "oslo_concurrency": {"lock_path": f"{d}/nova/lock"},
            "wsgi": {"api_paste_config": "/etc/nova/api-paste.ini"},
            "cinder": {"os_region_name": "RegionOne"},
        }))
        for h in self.hosts:
            hd = f"{d}/{h['name']}"
            ovs = {"integration_bridge": "br-int", "tunnel_bridge": "br-tun",
                   "local_ip": h["ip"], "datapath_type": "netdev",
                   "ovsdb_connection": f"unix:{h['sock']}",
                   "of_listen_address": "127.0.0.1", "of_listen_port": 6633}
            if h["network_node"]:
                ovs["bridge_mappings"] = "physnet1:br-ex"
            agent_common = {"DEFAULT": {"host": h["name"], "state_path": f"{hd}/neutron",
                                        "transport_url": self.rabbit_url(), "debug": "false"},
                            "agent": {"root_helper": "", "report_interval": 10},
                            "oslo_concurrency": {"lock_path": f"{hd}/neutron/lock"}}
            write(f"{hd}/neutron/neutron.conf", ini(agent_common))
            write(f"{hd}/neutron/ovs_agent.ini", ini({
                "ovs": ovs,
                "agent": {"tunnel_types": "vxlan", "l2_population": "false",
                          "root_helper": "", "report_interval": 10},
                "securitygroup": {"firewall_driver": "noop",
                                  "enable_security_group": "false"},
            }))
            ovs_section = {"integration_bridge": "br-int", "datapath_type": "netdev",
                           "ovsdb_connection": f"unix:{h['sock']}"}
            write(f"{hd}/neutron/dhcp_agent.ini", ini({
                "DEFAULT": {"interface_driver": "openvswitch", "ovs_use_veth": "true",
                            "enable_isolated_metadata": "false", "num_sync_threads": 1,
                            "dhcp_driver": "neutron.agent.linux.dhcp.Dnsmasq",
                            "dnsmasq_dns_servers": ""},
                "OVS": ovs_section,
            }))
            write(f"{hd}/neutron/l3_agent.ini", ini({
                "DEFAULT": {"interface_driver": "openvswitch", "ovs_use_veth": "true",
                            "enable_metadata_proxy": "false", "agent_mode": "legacy"},
                "OVS": ovs_section,
            }))
            write(f"{hd}/nova.conf", ini({"DEFAULT": {"host": h["name"],
                                                      "log_dir": f"{d}/log",
                                                      "state_path": f"{hd}/nova"}}))
        write(f"{d}/clouds.yaml", (
            "clouds:\n"
            f"  {self.p}:\n"
            "    auth:\n"
            f"      auth_url: http://127.0.0.1:{PORTS['keystone']}/v3\n"
            "      username: admin\n"
            f"      password: {PW}\n"
            "      project_name: admin\n"
            "      user_domain_name: Default\n"
            "      project_domain_name: Default\n"
            "    region_name: RegionOne\n"
            "    interface: public\n"
            "    identity_api_version: 3\n"), 0o600)

    # ------------------------------------------------------------ services
    def start_mariadb(self):
        d = f"{self.dir}/mysql"
        os.makedirs(f"{d}/data", exist_ok=True)
        shutil.chown(d, "mysql", "mysql")
        shutil.chown(f"{d}/data", "mysql", "mysql")
        write(f"{d}/my.cnf", ini({"mysqld": {
            "datadir": f"{d}/data", "socket": f"{d}/mysqld.sock", "pid-file": f"{d}/mysqld.pid",
            "skip-networking": "1", "user": "mysql", "innodb_buffer_pool_size": "64M",
            "max_connections": "500", "log-error": f"{self.dir}/log/mysqld.log",
            "innodb_flush_log_at_trx_commit": "0", "skip-log-bin": "1",
            "character-set-server": "utf8mb4", "collation-server": "utf8mb4_general_ci"}}))
        run(["mariadb-install-db", f"--defaults-file={d}/my.cnf", "--user=mysql",
             "--auth-root-authentication-method=socket", "--skip-test-db"])
        self.daemon("mysqld", ["mariadbd", f"--defaults-file={d}/my.cnf"])
        wait_until(lambda: os.path.exists(f"{d}/mysqld.sock") and run(
            ["mariadb", f"--socket={d}/mysqld.sock", "-e", "select 1"], check=False
        ).returncode == 0, 60, "MariaDB")
        sql = "".join(
            f"CREATE DATABASE IF NOT EXISTS {db};" for db in
            ["keystone", "glance", "placement", "neutron", "nova_api", "nova", "nova_cell0"])
        sql += (f"CREATE USER IF NOT EXISTS 'os'@'localhost' IDENTIFIED BY '{PW}';"
                "GRANT ALL PRIVILEGES ON *.* TO 'os'@'localhost';FLUSH PRIVILEGES;")
        run(["mariadb", f"--socket={d}/mysqld.sock", "-e", sql])

    def start_rabbit(self):
        d = f"{self.dir}/rabbit"
        os.makedirs(d, exist_ok=True)
        shutil.chown(d, "rabbitmq", "rabbitmq")
        write(f"{d}/rabbitmq.conf",
              f"listeners.tcp.default = 127.0.0.1:{PORTS['rabbit']}\n"
              "loopback_users = none\n"
              f"distribution.listener.interface = 127.0.0.1\n"
              f"distribution.listener.port_range.min = {PORTS['rabbit_dist']}\n"
              f"distribution.listener.port_range.max = {PORTS['rabbit_dist']}\n")
        write(f"{d}/enabled_plugins", "[].\n")
        # The server drops to the rabbitmq user: its files are that user's.
        os.makedirs(f"{d}/log", exist_ok=True)
        for root, dirs, files in os.walk(d):
            for x in dirs + files:
                shutil.chown(os.path.join(root, x), "rabbitmq", "rabbitmq")
        env = self.rabbit_env()
        # rabbitmq-server runs as root here; epmd bound to loopback.
        self.daemon("rabbitmq", ["rabbitmq-server"], env=env)
        wait_until(lambda: run(["rabbitmqctl", "await_startup", "--timeout", "5"], env=env,
                               check=False).returncode == 0, 120, "RabbitMQ")
        run(["rabbitmqctl", "add_user", "os", PW], env=env, check=False)
        run(["rabbitmqctl", "set_permissions", "os", ".*", ".*", ".*"], env=env)

    def rabbit_env(self):
        d = f"{self.dir}/rabbit"
        e = dict(self.env)
        e.update(RABBITMQ_NODENAME=f"{self.p}rabbit@localhost", RABBITMQ_BASE=d,
                 RABBITMQ_MNESIA_BASE=f"{d}/mnesia", RABBITMQ_LOG_BASE=f"{d}/log",
                 RABBITMQ_CONFIG_FILE=f"{d}/rabbitmq", RABBITMQ_ENABLED_PLUGINS_FILE=f"{d}/enabled_plugins",
                 RABBITMQ_PID_FILE=f"{d}/rabbit.pid", ERL_EPMD_ADDRESS="127.0.0.1",
                 ERL_EPMD_PORT=str(PORTS["epmd"]),
                 HOME=d,
                 RABBITMQ_SERVER_ERL_ARGS="+S 1:1 +A 4 +P 65536",
                 RABBITMQ_CTL_ERL_ARGS="+S 1:1")
        return e

    def uwsgi(self, name, script, port, conf_env):
        env = dict(self.env, **conf_env)
        self.daemon(name, ["uwsgi", "--plugin", "python3", "--http-socket", f"127.0.0.1:{port}",
                           "--wsgi-file", script, "--processes", "1", "--threads", "4",
                           "--master", "--die-on-term", "--lazy-apps",
                           "--add-header", "Connection: close", "--buffer-size", "65535"],
                    env=env)

    def start_keystone(self):
        d = self.dir
        conf = f"{d}/etc/keystone/keystone.conf"
        ks = ["keystone-manage", f"--config-file={conf}"]
        run(ks + ["db_sync"])
        for k in ("fernet_setup", "credential_setup"):
            run(ks + [k, "--keystone-user", "root", "--keystone-group", "root"])
        run(ks + ["bootstrap", "--bootstrap-password", PW,
                  "--bootstrap-admin-url", f"http://127.0.0.1:{PORTS['keystone']}/v3/",
                  "--bootstrap-internal-url", f"http://127.0.0.1:{PORTS['keystone']}/v3/",
                  "--bootstrap-public-url", f"http://127.0.0.1:{PORTS['keystone']}/v3/",
                  "--bootstrap-region-id", "RegionOne"])
        self.uwsgi("keystone", "/usr/bin/keystone-wsgi-public", PORTS["keystone"],
                   {"OS_KEYSTONE_CONFIG_FILES": conf})
        wait_until(lambda: port_open(PORTS["keystone"]), 60, "Keystone")

    def bootstrap_identity(self):
        """Service users and endpoints through one openstacksdk process (each
        `openstack` CLI call costs seconds)."""
        run([PY, f"{HERE}/oslab_seed.py", "identity", self.dir], env=self.os_env())

    def start_placement(self):
        conf = f"{self.dir}/etc/placement/placement.conf"
        run(["placement-manage", f"--config-file={conf}", "db", "sync"])
        self.uwsgi("placement", "/usr/bin/placement-api", PORTS["placement"],
                   {"OS_PLACEMENT_CONFIG_DIR": f"{self.dir}/etc/placement"})

    def start_glance(self):
        conf = f"{self.dir}/etc/glance/glance-api.conf"
        os.makedirs(f"{self.dir}/glance/images", exist_ok=True)
        run(["glance-manage", f"--config-file={conf}", "db_sync"])
        self.daemon("glance-api", ["glance-api", f"--config-file={conf}"])

    def neutron_args(self):
        return [f"--config-file={self.dir}/etc/neutron/neutron.conf",
                f"--config-file={self.dir}/etc/neutron/ml2_conf.ini"]

    def start_neutron(self):
        run(["neutron-db-manage", *self.neutron_args(), "upgrade", "heads"], timeout=900)
        self.daemon("neutron-server", ["neutron-server", *self.neutron_args()])

    def nova_manage(self, *args):
        return run(["nova-manage", f"--config-file={self.dir}/etc/nova/nova.conf", *args],
                   timeout=600)

    def start_nova(self):
        conf = f"--config-file={self.dir}/etc/nova/nova.conf"
        self.nova_manage("api_db", "sync")
        self.nova_manage("cell_v2", "map_cell0")
        if "cell1" not in self.nova_manage("cell_v2", "list_cells").stdout:
            self.nova_manage("cell_v2", "create_cell", "--name=cell1")
        self.nova_manage("db", "sync")
        self.daemon("nova-api", ["nova-api", conf])
        self.daemon("nova-conductor", ["nova-conductor", conf])
        self.daemon("nova-scheduler", ["nova-scheduler", conf])

    def start_hosts(self):
        """Namespaces, OVS, the underlay veth, the RabbitMQ forwarders."""
        for h in self.hosts:
            run(["ip", "netns", "add", h["netns"]])
            run(["ip", "-n", h["netns"], "link", "set", "lo", "up"])
        h1, h2 = self.hosts
        run(["ip", "-n", h1["netns"], "link", "add", "eth1", "type", "veth", "peer", "name",
             "eth1", "netns", h2["netns"]])
        for h in self.hosts:
            d = h["ovs"]
            os.makedirs(d, exist_ok=True)
            env = dict(self.env, OVS_RUNDIR=d, OVS_LOGDIR=d, OVS_DBDIR=d, OVS_SYSCONFDIR=d)
            run(["ovsdb-tool", "create", f"{d}/conf.db",
                 "/usr/share/openvswitch/vswitch.ovsschema"])
            run(["nsenter", f"--net=/run/netns/{h['netns']}", "ovsdb-server", f"{d}/conf.db",
                 f"--remote=punix:{h['sock']}", f"--pidfile={d}/ovsdb-server.pid",
                 f"--unixctl={d}/ovsdb-server.ctl", f"--log-file={d}/ovsdb-server.log",
                 "--detach", "--no-chdir"], env=env)
            self.vsctl(h, "--no-wait", "init", "--", "set", "Open_vSwitch", ".",
                       f"external_ids:hostname={h['name']}",
                       f"external_ids:system-id={h['name']}",
                       "other_config:n-handler-threads=1",
                       "other_config:n-revalidator-threads=1")
            run(["nsenter", f"--net=/run/netns/{h['netns']}", "ovs-vswitchd",
                 f"unix:{h['sock']}", f"--pidfile={d}/ovs-vswitchd.pid",
                 f"--unixctl={d}/ovs-vswitchd.ctl", f"--log-file={d}/ovs-vswitchd.log",
                 "--detach", "--no-chdir"], env=env)
            # The underlay: eth1 in br-phy, the tunnel address on br-phy's
            # internal port (the userspace datapath routes tunnels itself).
            self.vsctl(h, "--may-exist", "add-br", "br-phy", "--", "set", "Bridge", "br-phy",
                       "datapath_type=netdev", "--", "--may-exist", "add-port", "br-phy",
                       "eth1")
            if h["network_node"]:
                # The provider network's physical NIC: eth2 in br-ex (its
                # veth peer stays in the host, the "wire").
                self.ns(h, "ip", "link", "add", "eth2", "type", "veth", "peer", "name",
                        "eth2-wire")
                self.ns(h, "ip", "link", "set", "eth2", "up")
                self.ns(h, "ip", "link", "set", "eth2-wire", "up")
                self.vsctl(h, "--may-exist", "add-br", "br-ex", "--", "set", "Bridge",
                           "br-ex", "datapath_type=netdev", "--", "--may-exist", "add-port",
                           "br-ex", "eth2")
            self.ns(h, "ip", "link", "set", "eth1", "up")
            self.ns(h, "ethtool", "-K", "eth1", "tx", "off", check=False)
            wait_until(lambda: self.ns(h, "ip", "link", "show", "br-phy",
                                       check=False).returncode == 0, 20, "br-phy")
            self.ns(h, "ip", "addr", "add", f"{h['ip']}/24", "dev", "br-phy")
            self.ns(h, "ip", "link", "set", "br-phy", "up")
            self.daemon(f"fwd-{h['name']}", [PY, f"{HERE}/oslab_fwd.py", h["netns"],
                                             str(PORTS["rabbit"])])

    def ns(self, h, *argv, check=True):
        return run(["nsenter", f"--net=/run/netns/{h['netns']}", *argv], check=check)

    def vsctl(self, h, *args):
        return run(["ovs-vsctl", f"--db=unix:{h['sock']}", "--timeout=20", *args])

    def start_agents(self):
        for h in self.hosts:
            hd = f"{self.dir}/{h['name']}"
            os.makedirs(f"{hd}/neutron/lock", exist_ok=True)
            os.makedirs(f"{hd}/nova", exist_ok=True)
            base = [f"--config-file={hd}/neutron/neutron.conf"]
            self.daemon(f"ovs-agent-{h['name']}",
                        ["neutron-openvswitch-agent", *base,
                         f"--config-file={hd}/neutron/ovs_agent.ini"], netns=h["netns"])
            if h["network_node"]:
                self.daemon(f"dhcp-agent-{h['name']}",
                            ["neutron-dhcp-agent", *base,
                             f"--config-file={hd}/neutron/dhcp_agent.ini"], netns=h["netns"])
                self.daemon(f"l3-agent-{h['name']}",
                            ["neutron-l3-agent", *base,
                             f"--config-file={hd}/neutron/l3_agent.ini"], netns=h["netns"])
            self.daemon(f"nova-compute-{h['name']}",
                        # python3-nova has the service without its
                        # Debian package (which drags in libvirt).
                        [PY, "-c", "import sys; from nova.cmd.compute import main; "
                         "sys.argv[0] = 'nova-compute'; sys.exit(main())",
                         f"--config-file={self.dir}/etc/nova/nova.conf",
                         f"--config-file={hd}/nova.conf"])

    # ------------------------------------------------------------ up/down
    def up(self):
        t0 = time.monotonic()
        st = self.load()
        if st and st.get("complete") and self.healthy(st):
            log(f"cloud '{self.p}' is up already")
            return st
        self.down(quiet=True)
        for sub in ("log", "pids", "neutron/lock", "nova/lock", "glance/lock"):
            os.makedirs(f"{self.dir}/{sub}", exist_ok=True)
        st = {"prefix": self.p, "complete": False, "timings": {}}
        self.save(st)
        steps = [("configs", self.write_configs), ("mariadb", self.start_mariadb),
                 ("rabbitmq", self.start_rabbit), ("keystone", self.start_keystone),
                 ("identity", self.bootstrap_identity), ("placement", self.start_placement),
                 ("glance", self.start_glance), ("neutron", self.start_neutron),
                 ("nova", self.start_nova), ("hosts", self.start_hosts),
                 ("agents", self.start_agents), ("ready", self.wait_ready),
                 ("resources", self.create_resources), ("plug", self.plug_servers),
                 ("active", self.wait_active)]
        try:
            for name, fn in steps:
                t = time.monotonic()
                log(f"{name} ...")
                fn()
                st = self.load() or st
                st["timings"][name] = round(time.monotonic() - t, 1)
                self.save(st)
        except BaseException:
            log(f"up failed; logs in {self.dir}/log (kept for inspection until `down`)")
            raise
        st = self.load()
        st["complete"] = True
        st["timings"]["total"] = round(time.monotonic() - t0, 1)
        st["clouds_yaml"] = f"{self.dir}/clouds.yaml"
        st["cloud"] = self.p
        st["hosts"] = [{"name": h["name"], "netns": h["netns"], "ovsdb": f"unix:{h['sock']}"}
                       for h in self.hosts]
        # Calipso's environment for this cloud's hosts (the OpenStack part
        # comes from clouds.yaml: `calipso env add --clouds-yaml`).
        st["environment_json"] = f"{self.dir}/environment.json"
        write(st["environment_json"], json.dumps({
            "name": self.p, "hosts": st["hosts"], "pnic_names": ["eth1", "eth2"]}, indent=1))
        self.save(st)
        log(f"cloud '{self.p}' up in {st['timings']['total']} s")
        return st

    def wait_ready(self):
        for name, port in PORTS.items():
            if name in ("rabbit_dist", "epmd"):
                continue
            wait_until(lambda: port_open(port), 180, f"{name} on 127.0.0.1:{port}")
        run([PY, f"{HERE}/oslab_seed.py", "ready", self.dir, json.dumps(
            [h["name"] for h in self.hosts])], env=self.os_env(), timeout=400)
        self.nova_manage("cell_v2", "discover_hosts")

    def create_resources(self):
        run([PY, f"{HERE}/oslab_seed.py", "resources", self.dir, json.dumps(
            [{"name": h["name"], "az": h["az"]} for h in self.hosts])],
            env=self.os_env(), timeout=600)

    def plug_servers(self):
        st = self.load()
        for vm in st["servers"]:
            h = next(x for x in self.hosts if x["name"] == vm["host"])
            self.plug(h, vm)
        self.save(st)

    def plug(self, h, vm):
        """What os-vif does for OVS, with a namespace as the guest."""
        port = vm["port_id"]
        tap = "tap" + port[:11]
        holder = subprocess.Popen(
            ["unshare", "--net", "--uts", "sh", "-c",
             f"hostname {vm['name']} && exec sleep infinity"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=self.env, start_new_session=True)
        write(f"{self.dir}/pids/guest-{vm['name']}.pid", f"{holder.pid}\n")
        wait_until(lambda: os.readlink(f"/proc/{holder.pid}/ns/uts") !=
                   os.readlink("/proc/self/ns/uts"), 10, f"guest {vm['name']}")
        guest = ["nsenter", f"--net=/proc/{holder.pid}/ns/net"]
        ext = [f"external_ids:iface-id={port}", f"external_ids:attached-mac={vm['mac']}",
               "external_ids:iface-status=active", f"external_ids:vm-uuid={vm['id']}"]
        if vm.get("hybrid"):
            qbr, qvb, qvo = ("qbr" + port[:11], "qvb" + port[:11], "qvo" + port[:11])
            self.ns(h, "ip", "link", "add", qbr, "type", "bridge")
            self.ns(h, "ip", "link", "add", qvb, "type", "veth", "peer", "name", qvo)
            self.ns(h, "ip", "link", "add", tap, "type", "veth", "peer", "name", "eth0",
                    "netns", str(holder.pid))
            for dev in (qbr, qvb, qvo, tap):
                self.ns(h, "ip", "link", "set", dev, "up")
            self.ns(h, "ip", "link", "set", qvb, "master", qbr)
            self.ns(h, "ip", "link", "set", tap, "master", qbr)
            self.vsctl(h, "--may-exist", "add-port", "br-int", qvo, "--", "set", "Interface",
                       qvo, *ext)
            vm["devices"] = [tap, qbr, qvb, qvo]
        else:
            self.ns(h, "ip", "link", "add", tap, "type", "veth", "peer", "name", "eth0",
                    "netns", str(holder.pid))
            self.ns(h, "ip", "link", "set", tap, "up")
            self.vsctl(h, "--may-exist", "add-port", "br-int", tap, "--", "set", "Interface",
                       tap, *ext)
            vm["devices"] = [tap]
        run(guest + ["ip", "link", "set", "eth0", "address", vm["mac"]])
        run(guest + ["ip", "link", "set", "eth0", "up"])
        run(guest + ["ip", "link", "set", "lo", "up"])
        run(guest + ["ethtool", "-K", "eth0", "tx", "off"], check=False)
        run(guest + ["ip", "addr", "add", f"{vm['ip']}/{vm['prefixlen']}", "dev", "eth0"])
        vm["guest_pid"] = holder.pid
        vm["tap"] = tap

    def wait_active(self):
        """Every port ACTIVE.  Under load the DHCP agent's first privsep
        start can race with itself and leave the agent stuck (greenlet
        "cannot switch to a different thread"): then it is restarted once."""
        cp = run([PY, f"{HERE}/oslab_seed.py", "active", self.dir, "120"], env=self.os_env(),
                 timeout=300, check=False)
        if cp.returncode == 0:
            return
        log("ports still down after 120 s: restarting the DHCP and L3 agents")
        for h in self.hosts:
            if h["network_node"]:
                for kind, ini_name in (("dhcp-agent", "dhcp_agent.ini"),
                                       ("l3-agent", "l3_agent.ini")):
                    self.restart_agent(h, kind, ini_name)
        run([PY, f"{HERE}/oslab_seed.py", "active", self.dir, "240"], env=self.os_env(),
            timeout=400)

    def restart_agent(self, h, kind, ini_name):
        name = f"{kind}-{h['name']}"
        try:
            pid = int(open(f"{self.dir}/pids/{name}.pid").read())
        except (OSError, ValueError):
            pid = None
        if pid:
            # The agent and its children (privsep helpers); dnsmasq and
            # haproxy are Neutron's and are found again by the new agent.
            kids = run(["pgrep", "-P", str(pid)], check=False).stdout.split()
            for p in [pid] + [int(k) for k in kids]:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
        hd = f"{self.dir}/{h['name']}"
        self.daemon(name, [f"neutron-{kind}", f"--config-file={hd}/neutron/neutron.conf",
                           f"--config-file={hd}/neutron/{ini_name}"], netns=h["netns"])

    def healthy(self, st):
        for f in os.listdir(f"{self.dir}/pids") if os.path.isdir(f"{self.dir}/pids") else []:
            try:
                pid = int(open(f"{self.dir}/pids/{f}").read())
            except (OSError, ValueError):
                return False
            if not pid_alive(pid):
                return False
        return all(port_open(PORTS[k]) for k in ("keystone", "neutron", "nova"))

    def status(self):
        st = self.load()
        if not st:
            return {"up": False, "reason": "no cloud"}
        return {"up": bool(st.get("complete")) and self.healthy(st), "state": st}

    def our_pids(self):
        """Every process that is ours: pid files, the OVS daemons' pid files,
        anything carrying CALIPSO_OSLAB_OWNER=<P>, anything inside our host
        namespaces or our qdhcp-/qrouter- namespaces."""
        pids = set()
        for root, _, files in os.walk(self.dir):
            for f in files:
                if f.endswith(".pid"):
                    try:
                        pids.add(int(open(os.path.join(root, f)).read().split()[0]))
                    except (OSError, ValueError, IndexError):
                        pass
        nss = set()
        for name in self.our_namespaces():
            try:
                nss.add(os.stat(f"/run/netns/{name}").st_ino)
            except OSError:
                pass
        marker = f"CALIPSO_OSLAB_OWNER={self.p}".encode()
        # Daemons rewrite their environment with setproctitle (neutron's
        # workers do), which loses the marker: they are also ours when they
        # run in the session of a daemon we started (every one is started
        # with start_new_session) or name our run directory on their
        # command line (their configuration files live there).
        sessions = set(pids)
        ourdir = (self.dir.rstrip("/") + "/").encode()
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            pid = int(d)
            if pid == os.getpid():
                continue
            try:
                with open(f"/proc/{d}/environ", "rb") as f:
                    if marker in f.read().split(b"\0"):
                        pids.add(pid)
                        continue
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    if ourdir in f.read():
                        pids.add(pid)
                        continue
                with open(f"/proc/{d}/stat", "rb") as f:
                    # Fields after the command's closing parenthesis:
                    # state ppid pgrp session ...
                    fields = f.read().rsplit(b")", 1)[1].split()
                    if int(fields[3]) in sessions:
                        pids.add(pid)
                        continue
                if nss and os.stat(f"/proc/{d}/ns/net").st_ino in nss:
                    pids.add(pid)
            except (OSError, ValueError, IndexError):
                pass
        pids.discard(os.getpid())
        return {p for p in pids if p > 1}

    def our_namespaces(self):
        names = [h["netns"] for h in self.hosts]
        st = self.load() or {}
        for n in st.get("networks", []):
            names.append("qdhcp-" + n)
        for r in st.get("routers", []):
            names.append("qrouter-" + r)
        # Namespaces the agents made for resources created after the last
        # state save: Neutron writes their ids under its state path.
        for hd in [f"{self.dir}/{h['name']}/neutron" for h in self.hosts]:
            for sub, pre in (("dhcp", "qdhcp-"), ("external/pids", None)):
                p = os.path.join(hd, sub)
                if pre and os.path.isdir(p):
                    names += [pre + x for x in os.listdir(p)]
            ha = os.path.join(hd, "ha_confs")
            if os.path.isdir(ha):
                names += ["qrouter-" + x for x in os.listdir(ha)]
        return [n for n in dict.fromkeys(names) if os.path.exists(f"/run/netns/{n}")]

    def down(self, quiet=False):
        if not os.path.isdir(self.dir):
            if not quiet:
                log(f"no cloud '{self.p}'")
            return
        nss = self.our_namespaces()
        pids = self.our_pids()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
            end = time.monotonic() + (10 if sig == signal.SIGTERM else 5)
            while time.monotonic() < end and any(pid_alive(p) for p in pids):
                time.sleep(0.2)
            pids = {p for p in pids if pid_alive(p)}
            if not pids:
                break
        # Late children (privsep helpers, dnsmasq) found again.
        for pid in self.our_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for n in nss:
            run(["ip", "netns", "del", n], check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
        if not quiet:
            log(f"cloud '{self.p}' removed ({len(nss)} namespaces)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=["up", "down", "status"])
    ap.add_argument("--prefix", default=os.environ.get("CALIPSO_OSLAB_PREFIX", "os"))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("oslab: run as root", file=sys.stderr)
        return 2
    os.makedirs("/run/calipso-os", exist_ok=True)
    cloud = Cloud(a.prefix)
    lock = open("/run/calipso-os/.lock", "w")
    if a.command != "status":
        fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        if a.command == "up":
            st = cloud.up()
            if a.json:
                print(json.dumps(st, indent=1))
        elif a.command == "down":
            cloud.down()
        else:
            s = cloud.status()
            print(json.dumps(s, indent=1) if a.json else ("up" if s["up"] else "down"))
            return 0 if s["up"] else 1
    except OsLabError as e:
        print(f"oslab: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
