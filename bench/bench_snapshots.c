/* bench_snapshots.c - snapshots, diff and retention on a cloud of about
 * 500,000 objects (docs/snapshots.md, docs/performance.md).
 *
 * Builds an environment through cal_store_commit(): hosts with two NICs,
 * two tunnel endpoints and an OVS vedge, and per host VMs plugged the
 * hybrid way (instance, vNIC, qbr bridge) with their links; documents of
 * the size and shape discovery writes (addresses, flags, ports, peers,
 * volatile counters).  Then a week passes: 1% of the objects change (vNICs
 * go down, VMs are deleted, new VMs appear), every object's scan time and
 * counters move, and a second scan is committed.  Prints:
 *   - the time to take a snapshot (target < 1 s);
 *   - the time of a diff between the two weekly snapshots (target < 2 s),
 *     and that it found exactly what changed;
 *   - the storage a weekly snapshot with 1% change adds, against a full
 *     copy of the inventory (target < 5%);
 *   - pruning, and that the kept snapshot reads the same after it.
 * A benchmark, not a test: it prints figures and exits 0 unless something
 * fails outright.
 *
 *   bench_snapshots [--objects N] [--change PERCENT] [--days D] [--db URI] [--keep]
 * --days: scans without change between the two weekly ones (default 1,
 * at most 6): they must add nothing but their scan times.
 * Without --db it works in a fresh SQLite file under /tmp/sn-bench-* that
 * it removes at the end (--keep leaves it).
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyze/analyze.h"
#include "core/core.h"
#include "store/store.h"

#define ENV "bench"
#define VMS_PER_HOST 64
#define OBJS_PER_HOST (6 + 3 * VMS_PER_HOST) /* host, 2 NICs, 2 oteps, vedge */

struct world {
	json_t *objects, *links;
	int hosts, networks;
	int64_t scan; /* the scan number: every scan moves scan times and counters */
};

static double bn_secs(int64_t t0)
{
	return (double)(cal_time_mono_us() - t0) / 1e6;
}

/* CPU seconds of this thread: the figure the machine's load does not
 * inflate (the measured operations run on the calling thread). */
static double bn_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bn_die(const char *what)
{
	fprintf(stderr, "bench_snapshots: %s: %s\n", what, cal_error_last());
	exit(1);
}

static json_t *bn_obj(enum cal_obj_type t, const char *id, const char *name, const char *host,
		      const json_t *parent, const char *source)
{
	json_t *o = cal_object_new(ENV, t, id, name, host);

	if (!o || (parent && cal_object_set_parent(o, parent)))
		bn_die("object");
	json_object_set_new(o, CAL_F_SOURCE, json_string(source));
	return o;
}

static void bn_iface(json_t *o, const char *mac, int ifindex, const char *state)
{
	json_object_set_new(o, "mac_address", json_string(mac));
	json_object_set_new(o, "mtu", json_integer(1450));
	json_object_set_new(o, "operstate", json_string(state));
	json_object_set_new(o, "carrier", json_boolean(strcmp(state, "up") == 0));
	json_object_set_new(o, "flags", json_pack("[s, s, s, s]", "BROADCAST", "MULTICAST", "UP",
						    "LOWER_UP"));
	json_object_set_new(o, "ifindex", json_integer(ifindex));
	json_object_set_new(o, "kind", json_string("veth"));
	json_object_set_new(o, "netns", json_string(""));
}

/* Interface types keep counters, volatile (core's attribute tables). */
static bool bn_has_volatile_stats(const char *type)
{
	for (const struct cal_attr_def *d = cal_type_attrs(cal_type_from_name(type)); d->name; d++)
		if (strcmp(d->name, "stats") == 0)
			return d->is_volatile;
	return false;
}

/* What every scan rewrites: the scan time and counters (volatile). */
static void bn_volatile(json_t *o, int64_t scan)
{
	char t[CAL_TIME_BUFSZ];

	json_object_set_new(o, CAL_F_LAST_SCANNED, json_string(cal_time_format(t, scan * 1000)));
	if (bn_has_volatile_stats(cal_json_str(o, CAL_F_TYPE)))
		json_object_set_new(o, "stats", json_pack("{s:I, s:I, s:I, s:I}", "rx_bytes",
							  (json_int_t)(scan * 7919), "tx_bytes",
							  (json_int_t)(scan * 104729), "rx_packets",
							  (json_int_t)(scan * 13), "tx_packets",
							  (json_int_t)(scan * 17)));
}

static void bn_link(struct world *w, const json_t *s, const json_t *d, const char *name,
		    const char *state, const char *net)
{
	json_t *l = cal_link_new(ENV, s, d, name, state, net, cal_json_str(s, CAL_F_HOST));

	if (!l)
		bn_die("link");
	json_object_set_new(w->links, cal_json_str(l, CAL_F_ID), l);
}

struct bn_vm_ids {
	char host[16], inst[64], vnic[80], qbr[80], tap[24], mac[24], net[24], name[24];
	char l_inst[256], l_vnic[256], l_qbr[256]; /* link ids */
};

/* The ids of VM `v` of host `h` (the same every time they are asked). */
static void bn_vm_ids(struct bn_vm_ids *x, const struct world *w, int h, int v)
{
	int n = h * 1000 + v;

	snprintf(x->host, sizeof(x->host), "host%d", h);
	snprintf(x->inst, sizeof(x->inst), "4f1c%04x-%04x-5%03x-8%03x-%012x", h & 0xffff,
		 v & 0xffff, (n >> 8) & 0xfff, n & 0xfff, (unsigned)n * 2654435761u);
	snprintf(x->tap, sizeof(x->tap), "tap%08x-%02x", (unsigned)n * 2246822519u, v & 0xff);
	snprintf(x->vnic, sizeof(x->vnic), "%s:vnic:%s", x->host, x->tap);
	snprintf(x->qbr, sizeof(x->qbr), "%s:vconnector:qbr%08x-%02x", x->host,
		 (unsigned)n * 2246822519u, v & 0xff);
	snprintf(x->mac, sizeof(x->mac), "fa:16:3e:%02x:%02x:%02x", (n >> 16) & 0xff,
		 (n >> 8) & 0xff, n & 0xff);
	snprintf(x->net, sizeof(x->net), "vxlan-%d", 1000 + (n % w->networks));
	snprintf(x->name, sizeof(x->name), "vm-%d-%d", h, v);
	snprintf(x->l_inst, sizeof(x->l_inst), "%s|instance-vnic|%s", x->inst, x->vnic);
	snprintf(x->l_vnic, sizeof(x->l_vnic), "%s|vnic-vconnector|%s", x->vnic, x->qbr);
	snprintf(x->l_qbr, sizeof(x->l_qbr), "%s|vconnector-vedge|%s:vedge:ovs", x->qbr, x->host);
}

/* VM `v` of host `h`: instance, vNIC, qbr bridge and their links. */
static void bn_vm(struct world *w, int h, int v, const json_t *host, const json_t *vedge)
{
	struct bn_vm_ids x;
	json_t *inst, *nic, *br;
	int n = h * 1000 + v;

	bn_vm_ids(&x, w, h, v);
	inst = bn_obj(CAL_T_INSTANCE, x.inst, x.name, x.host, host, "libvirt");
	json_object_set_new(inst, "uuid", json_string(x.inst));
	json_object_set_new(inst, "state", json_string("running"));
	json_object_set_new(inst, "vcpus", json_integer(2));
	json_object_set_new(inst, "memory_kb", json_integer(4194304));
	json_object_set_new(inst, "mac_address", json_string(x.mac));
	json_object_set_new(inst, "network", json_pack("[s]", x.net));
	json_object_set_new(inst, "project_id", json_sprintf("p%d", n % 97));
	json_object_set_new(inst, "local_name", json_sprintf("instance-%08x", n));
	nic = bn_obj(CAL_T_VNIC, x.vnic, x.tap, x.host, inst, "netlink");
	bn_iface(nic, x.mac, 100 + v, "up");
	json_object_set_new(nic, "vnic_type", json_string("instance_vnic"));
	json_object_set_new(nic, "instance_id", json_string(x.inst));
	json_object_set_new(nic, "network", json_string(x.net));
	json_object_set_new(nic, "model", json_string("virtio"));
	json_object_set_new(nic, "interface_type", json_string("bridge"));
	json_object_set_new(nic, "addresses", json_pack("[s]", "fe80::f816:3eff:fe00:1/64"));
	json_object_set_new(nic, "peer", json_pack("{s:s, s:s, s:s, s:s}", "host", x.host, "mac",
						   x.mac, "name", "eth0", "netns", x.name));
	br = bn_obj(CAL_T_VCONNECTOR, x.qbr, strrchr(x.qbr, ':') + 1, x.host, host, "netlink");
	bn_iface(br, x.mac, 200 + v, "up");
	json_object_set_new(br, "kind", json_string("bridge"));
	json_object_set_new(br, "network", json_pack("[s]", x.net));
	json_object_set_new(br, "interfaces",
			    json_pack("[{s:s, s:s}, {s:s, s:s, s:{s:s, s:s}}]", "name", x.tap,
				      "kind", "tap", "name", "qvb", "kind", "veth", "peer", "name",
				      "qvo", "host", x.host));
	bn_volatile(inst, w->scan);
	bn_volatile(nic, w->scan);
	bn_volatile(br, w->scan);
	json_object_set_new(w->objects, x.inst, inst);
	json_object_set_new(w->objects, x.vnic, nic);
	json_object_set_new(w->objects, x.qbr, br);
	bn_link(w, inst, nic, x.net, "up", x.net);
	bn_link(w, nic, br, x.mac, "up", x.net);
	bn_link(w, br, vedge, "qvo", "up", x.net);
}

static void bn_build(struct world *w, int objects)
{
	w->objects = json_object();
	w->links = json_object();
	w->hosts = objects / OBJS_PER_HOST;
	w->networks = w->hosts * 2;
	/* Milliseconds; the two weeks end before now, so that retention
	 * (which prunes up to now) sees them as past. */
	w->scan = cal_time_now_us() / 1000 - 8LL * 86400 * 1000;
	for (int k = 0; k < w->networks; k++) {
		char id[24];
		json_t *n;

		snprintf(id, sizeof(id), "vxlan-%d", 1000 + k);
		n = bn_obj(CAL_T_NETWORK, id, id, NULL, NULL, "netlink");
		json_object_set_new(n, "segmentation_id", json_integer(1000 + k));
		json_object_set_new(n, "provider:network_type", json_string("vxlan"));
		json_object_set_new(w->objects, id, n);
	}
	for (int h = 0; h < w->hosts; h++) {
		char hn[16], id[64], ip[24];
		json_t *host, *nic[2], *otep[2], *vedge;

		snprintf(hn, sizeof(hn), "host%d", h);
		host = bn_obj(CAL_T_HOST, hn, hn, hn, NULL, "netlink");
		json_object_set_new(host, "host_type", json_pack("[s]", "Compute"));
		json_object_set_new(host, "os", json_string("Debian GNU/Linux 12"));
		json_object_set_new(w->objects, hn, host);
		for (int i = 0; i < 2; i++) {
			char mac[24];

			snprintf(id, sizeof(id), "%s:host_pnic:eth%d", hn, i);
			snprintf(mac, sizeof(mac), "52:54:00:%02x:%02x:%02x", i, (h >> 8) & 0xff,
				 h & 0xff);
			nic[i] = bn_obj(CAL_T_HOST_PNIC, id, id + strlen(hn) + 11, hn, host,
					"netlink");
			bn_iface(nic[i], mac, 2 + i, "up");
			snprintf(ip, sizeof(ip), "10.%d.%d.%d/16", 250 + i, (h >> 8) & 0xff,
				 h & 0xff);
			json_object_set_new(nic[i], "addresses", json_pack("[s]", ip));
			json_object_set_new(nic[i], "speed", json_integer(25000));
			bn_volatile(nic[i], w->scan);
			json_object_set_new(w->objects, id, nic[i]);
		}
		snprintf(id, sizeof(id), "%s:vedge:ovs", hn);
		vedge = bn_obj(CAL_T_VEDGE, id, "ovs", hn, host, "ovsdb");
		json_object_set_new(vedge, "ovs_version", json_string("3.1.0"));
		json_object_set_new(vedge, "bridges", json_pack("[{s:s}, {s:s}, {s:s}]", "name",
							       "br-int", "name", "br-tun", "name",
							       "br-phy"));
		json_object_set_new(w->objects, id, vedge);
		for (int i = 0; i < 2; i++) {
			snprintf(ip, sizeof(ip), "10.%d.%d.%d", 250 + i, (h >> 8) & 0xff, h & 0xff);
			snprintf(id, sizeof(id), "%s:otep:vxlan-%s", hn, ip);
			otep[i] = bn_obj(CAL_T_OTEP, id, id + strlen(hn) + 6, hn, host, "ovsdb");
			json_object_set_new(otep[i], "overlay_type", json_string("vxlan"));
			json_object_set_new(otep[i], "ip_address", json_string(ip));
			json_object_set_new(otep[i], "udp_port", json_integer(4789));
			json_object_set_new(otep[i], "peers", json_pack("[{s:s}, {s:s}]", "remote_ip",
									"10.250.0.1", "remote_ip",
									"10.250.0.2"));
			json_object_set_new(w->objects, id, otep[i]);
			bn_link(w, vedge, otep[i], "otep", "up", NULL);
			bn_link(w, otep[i], nic[i], ip, "up", NULL);
		}
		for (int v = 0; v < VMS_PER_HOST; v++)
			bn_vm(w, h, v, host, vedge);
	}
}

/* A week later: every scan time and counter moves; of the objects,
 * `pct` percent change in three equal shares: vNICs go down (their two
 * links with them), VMs are deleted (3 objects, 3 links each), new VMs
 * appear.  *objs and *links: how many changed, were added or removed. */
static void bn_week(struct world *w, double pct, int *objs, int *links)
{
	int target = (int)((double)json_object_size(w->objects) * pct / 100.0);
	int down = target / 3, vms = target / 9, nd = 0, ng = 0, nf = 0;
	const char *k;
	json_t *o;

	w->scan += 7LL * 86400 * 1000;
	json_object_foreach(w->objects, k, o)
		bn_volatile(o, w->scan);
	/* vNICs down: VMs 0, 9, 18... of each host in turn. */
	for (int h = 0; h < w->hosts && nd < down; h++) {
		for (int v = 0; v < VMS_PER_HOST && nd < down; v += 9) {
			struct bn_vm_ids x;

			bn_vm_ids(&x, w, h, v);
			o = json_object_get(w->objects, x.vnic);
			json_object_set_new(o, "operstate", json_string("down"));
			json_object_set_new(o, "carrier", json_false());
			json_object_set_new(json_object_get(w->links, x.l_inst), CAL_F_STATE,
					    json_string("down"));
			json_object_set_new(json_object_get(w->links, x.l_vnic), CAL_F_STATE,
					    json_string("down"));
			nd++;
		}
	}
	/* VMs deleted on the last hosts (slots 1, 10, 19... never touched
	 * above), new ones on the first hosts (slots past the last). */
	for (int h = w->hosts - 1; h >= 0 && ng < vms; h--) {
		for (int v = 1; v < VMS_PER_HOST && ng < vms; v += 9) {
			struct bn_vm_ids x;

			bn_vm_ids(&x, w, h, v);
			json_object_del(w->objects, x.inst);
			json_object_del(w->objects, x.vnic);
			json_object_del(w->objects, x.qbr);
			json_object_del(w->links, x.l_inst);
			json_object_del(w->links, x.l_vnic);
			json_object_del(w->links, x.l_qbr);
			ng++;
		}
	}
	for (int h = 0; h < w->hosts && nf < vms; h++) {
		char hn[16], ve[32];

		snprintf(hn, sizeof(hn), "host%d", h);
		snprintf(ve, sizeof(ve), "%s:vedge:ovs", hn);
		for (int v = VMS_PER_HOST; v < VMS_PER_HOST + 8 && nf < vms; v++, nf++)
			bn_vm(w, h, v, json_object_get(w->objects, hn),
			      json_object_get(w->objects, ve));
	}
	*objs = nd + 3 * ng + 3 * nf;
	*links = 2 * nd + 3 * ng + 3 * nf;
}

static int64_t bn_commit(cal_store *st, struct world *w, const char *what)
{
	struct cal_commit c = { .env = ENV, .ts = w->scan * 1000, .objects = w->objects,
				.links = w->links, .clear = true };
	struct cal_commit_stats s;
	int64_t t0 = cal_time_mono_us();

	if (cal_store_commit(st, &c, &s))
		bn_die(what);
	printf("%-34s %8.2f s  (objects %d added, %d changed, %d removed; links %d added, %d "
	       "changed, %d removed)\n", what, bn_secs(t0), s.objects_added, s.objects_changed,
	       s.objects_removed, s.links_added, s.links_changed, s.links_removed);
	return s.ts;
}

/* Bytes the database uses (SQLite: pages in use, WAL included; PostgreSQL:
 * the database's size). */
static int64_t bn_size(cal_store *st)
{
	const char *sql[] = { "PRAGMA page_count", "PRAGMA freelist_count", "PRAGMA page_size" };
	int64_t v[3] = { 0 };

	if (cal_store_is_postgres(st)) {
		cal_store_stmt *s;

		if (cal_store_sql_prepare(st, &s, "SELECT pg_database_size(current_database())"))
			bn_die("size");
		if (cal_store_sql_step(s) == CAL_STORE_ROW)
			v[0] = cal_store_sql_int64(s, 0);
		cal_store_sql_reset(s);
		return v[0];
	}
	for (int i = 0; i < 3; i++) {
		cal_store_stmt *s;

		if (cal_store_sql_prepare(st, &s, sql[i]))
			bn_die("size");
		if (cal_store_sql_step(s) == CAL_STORE_ROW)
			v[i] = cal_store_sql_int64(s, 0);
		cal_store_sql_reset(s);
	}
	return (v[0] - v[1]) * v[2];
}

/* A digest of everything `show --at` and `links --at` read at `at`, read
 * in pages so that half a million documents need not be in memory. */
static void bn_inventory_at(unsigned char out[32], cal_store *st, int64_t at)
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, NULL, 0, 32);
	for (int kind = 0; kind < 2; kind++) {
		for (int page = 0;; page++) {
			struct cal_query q = { .env = ENV, .at = at, .limit = 100000,
					       .offset = page * 100000 };
			json_t *arr = NULL, *d;
			size_t i;
			int rc = kind ? cal_store_links(st, &arr, &q, NULL)
				      : cal_store_objects(st, &arr, &q);

			if (rc)
				bn_die("inventory at");
			json_array_foreach(arr, i, d) {
				char *text = json_dumps(d, JSON_COMPACT);

				crypto_generichash_update(&h, (const unsigned char *)text,
							  strlen(text) + 1);
				free(text);
			}
			i = json_array_size(arr);
			json_decref(arr);
			if (i < 100000)
				break;
		}
	}
	crypto_generichash_final(&h, out, 32);
}

static long bn_rss_mb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "objects", required_argument, NULL, 'n' }, { "change", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' }, { "keep", no_argument, NULL, 'k' },
		{ "days", required_argument, NULL, 'D' }, { NULL, 0, NULL, 0 },
	};
	int objects = 500000, oc = 0, lc = 0, c, days = 1;
	double pct = 1.0;
	const char *uri = NULL;
	char dir[64] = "", path[128];
	bool keep = false;
	struct world w;
	struct cal_snapshot_opts so = { .name = "week-1" };
	struct cal_diff_opts dopt = { 0 };
	struct cal_retention r = { .keep_last = 1 };
	cal_store *st;
	json_t *snap = NULL, *d = NULL, *res = NULL;
	int64_t t0, full, after1, after2, s2_time;
	double t_snap1, t_snap2, t_diff, t_diff_live, c0, cpu_snap1, cpu_snap2, cpu_diff;
	unsigned char before_hash[32], after_hash[32];

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': objects = atoi(optarg); break;
		case 'c': pct = atof(optarg); break;
		case 'd': uri = optarg; break;
		case 'k': keep = true; break;
		case 'D': days = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: bench_snapshots [--objects N] [--change PCT] "
				"[--days D] [--db URI] [--keep]\n");
			return 2;
		}
	}
	if (objects < OBJS_PER_HOST || pct <= 0 || pct > 50) {
		fprintf(stderr, "bench_snapshots: --objects >= %d, 0 < --change <= 50\n",
			OBJS_PER_HOST);
		return 2;
	}
	if (!uri) {
		snprintf(dir, sizeof(dir), "/tmp/sn-bench-XXXXXX");
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			return 1;
		}
		snprintf(path, sizeof(path), "%s/calipso.db", dir);
		uri = path;
	}
	if (cal_store_open(&st, uri))
		bn_die("open");
	printf("calipso %s, bench_snapshots: %s\n", CAL_VERSION, uri);
	t0 = cal_time_mono_us();
	bn_build(&w, objects);
	printf("%-34s %8.2f s  (%zu objects, %zu links, %d hosts)\n", "generate week 1",
	       bn_secs(t0), json_object_size(w.objects), json_object_size(w.links), w.hosts);
	bn_commit(st, &w, "commit week 1 (first scan)");
	full = bn_size(st);
	t0 = cal_time_mono_us();
	c0 = bn_cpu();
	if (cal_snapshot_create(st, &snap, ENV, &so))
		bn_die("snapshot week-1");
	t_snap1 = bn_secs(t0);
	cpu_snap1 = bn_cpu() - c0;
	json_decref(snap);
	after1 = bn_size(st);
	/* A scan a day with nothing changed but scan times and counters. */
	for (int day = 1; day <= days && day < 7; day++) {
		char what[40];

		w.scan += 86400LL * 1000;
		{
			const char *k;
			json_t *o;

			json_object_foreach(w.objects, k, o)
				bn_volatile(o, w.scan);
		}
		snprintf(what, sizeof(what), "commit day %d (nothing changed)", day);
		bn_commit(st, &w, what);
	}
	w.scan -= (int64_t)(days < 7 ? days : 6) * 86400 * 1000;
	t0 = cal_time_mono_us();
	bn_week(&w, pct, &oc, &lc);
	printf("%-34s %8.2f s  (%d objects and %d links to change, %.2f%% of the objects)\n",
	       "generate week 2", bn_secs(t0), oc, lc, 100.0 * oc / (double)objects);
	bn_commit(st, &w, "commit week 2");
	so.name = "week-2";
	t0 = cal_time_mono_us();
	c0 = bn_cpu();
	if (cal_snapshot_create(st, &snap, ENV, &so))
		bn_die("snapshot week-2");
	t_snap2 = bn_secs(t0);
	cpu_snap2 = bn_cpu() - c0;
	s2_time = cal_json_int(snap, "time_us", 0);
	json_decref(snap);
	after2 = bn_size(st);
	t0 = cal_time_mono_us();
	c0 = bn_cpu();
	if (cal_diff(st, &d, ENV, "week-1", "week-2", &dopt))
		bn_die("diff");
	t_diff = bn_secs(t0);
	cpu_diff = bn_cpu() - c0;
	{
		json_t *s = json_object_get(d, "summary");
		int found = (int)(cal_json_int(s, "objects_added", 0) +
				  cal_json_int(s, "objects_removed", 0) +
				  cal_json_int(s, "objects_changed", 0));
		int lfound = (int)(cal_json_int(s, "links_added", 0) +
				   cal_json_int(s, "links_removed", 0) +
				   cal_json_int(s, "links_changed", 0));

		printf("%-34s %8.3f s  (CPU %.3f s; target < 2 s; found %d objects and %d links: "
		       "%s)\n", "diff week-1 week-2", t_diff, cpu_diff, found, lfound,
		       found == oc && lfound == lc ? "exactly what changed" : "MISMATCH");
	}
	json_decref(d);
	t0 = cal_time_mono_us();
	if (cal_diff(st, &d, ENV, "week-1", "live", &dopt))
		bn_die("diff live");
	t_diff_live = bn_secs(t0);
	json_decref(d);
	printf("%-34s %8.3f s  (CPU %.3f s; target < 1 s; the first: counts the inventory)\n",
	       "snapshot week-1", t_snap1, cpu_snap1);
	printf("%-34s %8.3f s  (CPU %.3f s; counts from week-1's and the changes)\n",
	       "snapshot week-2", t_snap2, cpu_snap2);
	printf("%-34s %8.3f s\n", "diff week-1 live", t_diff_live);
	printf("%-34s %8.1f MB\n", "full copy (week 1 stored)", (double)full / 1e6);
	printf("%-34s %8.3f MB\n", "a snapshot row itself", (double)(after1 - full) / 1e6);
	printf("%-34s %8.2f MB = %.2f%% of a full copy (target < 5%%)\n",
	       "a week with 1% change + snapshot", (double)(after2 - after1) / 1e6,
	       100.0 * (double)(after2 - after1) / (double)full);
	/* Retention: keep the last one; week-2 must read the same after. */
	bn_inventory_at(before_hash, st, s2_time);
	t0 = cal_time_mono_us();
	if (cal_store_prune(st, &res, ENV, &r, 0))
		bn_die("prune");
	printf("%-34s %8.3f s  (%lld object and %lld link revisions pruned)\n", "prune keep-last 1",
	       bn_secs(t0), (long long)cal_json_int(res, "objects_pruned", 0),
	       (long long)cal_json_int(res, "links_pruned", 0));
	json_decref(res);
	bn_inventory_at(after_hash, st, s2_time);
	printf("%-34s %s\n", "week-2 after pruning",
	       memcmp(before_hash, after_hash, 32) == 0 ? "byte-identical (BLAKE2b of every "
							 "document read at its time)"
						       : "DIFFERENT");
	printf("%-34s %8ld MB\n", "peak RSS", bn_rss_mb());
	cal_store_close(st);
	json_decref(w.objects);
	json_decref(w.links);
	if (*dir && !keep) {
		static const char *const suffix[] = { "", "-wal", "-shm" };

		for (int i = 0; i < 3; i++) {
			snprintf(path, sizeof(path), "%s/calipso.db%s", dir, suffix[i]);
			unlink(path);
		}
		rmdir(dir);
	}
	return 0;
}
