/* commands.c - the table of subcommands.  Each lives in its own cmd_*.c. */
#include "cli.h"

#include "commands.h"

const struct cli_command cli_commands[] = {
	{ "scan", cmd_scan, "discover an environment now and store what changed",
	  "usage: calipso scan [--env NAME] [--clear] [--only inventory|links|cliques]\n"
	  "                    [--no-progress] [--json]\n\n"
	  "Runs every source of the environment (netlink in every namespace, OVSDB,\n"
	  "libvirt), builds objects and links and stores a revision of what changed.\n"
	  "A source that fails keeps its last good data, unless --clear.\n"
	  "--only inventory discovers objects and leaves links and cliques as they are;\n"
	  "--only links recomputes links (and cliques) from the stored objects;\n"
	  "--only cliques recomputes every clique.  Nothing is read from sources for\n"
	  "the last two.\n"
	  "The environment \"local\" (the default) is this machine as one host and is\n"
	  "created on first use.  Exit: 0 completed, 4 completed with errors, 5 failed.\n" },
	{ "show", cmd_show, "show the inventory: a tree, a table or one object",
	  "usage: calipso show [ID] [--type T] [--host H] [--name GLOB] [--at TIME]\n"
	  "                    [--limit N] [--json]\n\n"
	  "Without ID and filters: the tree of the environment.  With filters: a table.\n"
	  "With ID: every field of the object and its links.  --at shows the inventory\n"
	  "as it was at TIME (2026-11-22T08:00:00Z, 2026-11-22, -7d, @epoch, or a\n"
	  "snapshot's name); a time before the history or pruned by retention exits 2.\n" },
	{ "links", cmd_links, "list links between objects",
	  "usage: calipso links [--type T] [--host H] [--object ID] [--at TIME] [--json]\n\n"
	  "--at: a time or a snapshot's name, as for `show`.\n"
	  "T is a link type such as vnic-vconnector or otep-host_pnic.\n" },
	{ "history", cmd_history, "every revision of an object or link",
	  "usage: calipso history ID [--json]\n" },
	{ "env", cmd_env, "manage environments",
	  "usage: calipso env list\n"
	  "       calipso env add NAME [--config FILE|-] [--replace]\n"
	  "                [--clouds-yaml PATH [--cloud NAME] | --from-env |\n"
	  "                 --auth-url URL --username U --project P [--password-stdin]\n"
	  "                 [--application-credential-id ID] [--user-domain D]\n"
	  "                 [--project-domain D] [--region R] [--interface I]\n"
	  "                 [--cacert FILE] [--insecure]]\n"
	  "                [--mechanism-drivers A,B] [--type-drivers A,B] [--no-detect]\n"
	  "       calipso env show [NAME]\n"
	  "       calipso env test [NAME]\n"
	  "       calipso env rm NAME\n\n"
	  "FILE is the JSON configuration of docs/environments.md (hosts and their\n"
	  "namespaces, OVSDB remotes, libvirt URIs; switches; pnic_names).  Without\n"
	  "--config the environment is this machine as one host.  The OpenStack\n"
	  "options add the cloud's Keystone (docs/openstack.md); its password or\n"
	  "application credential secret goes to a file only root can read, never\n"
	  "into the configuration.  `env test` tries every target (Keystone, each\n"
	  "catalog service, each host's namespace, OVSDB, libvirt) and says what\n"
	  "answered (exit 4 when something did not).\n" },
	{ "agent", cmd_agent, "print this machine's host reports as JSON",
	  "usage: calipso agent --once [--config FILE]\n\n"
	  "Runs the discovery sources and prints the host reports of\n"
	  "docs/report-format.md, for agentless use over SSH.\n" },
	{ "clique", cmd_clique, "a focal point's path to the wire: nodes, links, health",
	  "usage: calipso clique ID [--at TIME] [--dot] [--json]\n"
	  "       calipso clique [--type T] [--at TIME] [--json]\n"
	  "       calipso clique --rebuild\n\n"
	  "With ID (an instance, vservice, network or switch port): its clique, the\n"
	  "objects and links from it down to the host NICs, networks and switch, with\n"
	  "its health (the worst status of its members).  --dot prints Graphviz\n"
	  "(`calipso clique ID --dot | dot -Tsvg`).  --at shows it as it was at TIME\n"
	  "(a time or a snapshot's name).\n"
	  "Without ID: every clique of the environment.  --rebuild recomputes them all\n"
	  "(scans keep them up to date by themselves).  Clique types: docs/cliques.md.\n" },
	{ "clique-type", cmd_clique_type, "list, add or remove clique types",
	  "usage: calipso clique-type list [--json]\n"
	  "       calipso clique-type add FILE|- [--replace]\n"
	  "       calipso clique-type rm ID\n"
	  "       calipso clique-type select FOCAL_TYPE [--json]\n\n"
	  "A clique type is JSON: {\"id\", \"focal_point_type\", \"link_types\": [\"A-B\",\n"
	  "...], \"constraints\": [\"network\"], and optional selectors \"environment\",\n"
	  "\"distribution\", \"distribution_version\", \"mechanism_drivers\",\n"
	  "\"type_drivers\"}.  FILE holds one type or an array.  The most specific type\n"
	  "that applies is used (docs/cliques.md); `select` says which one --env uses.\n"
	  "Built-in types cannot be removed; add one with the same id and --replace\n"
	  "to override it.  Cliques are recomputed at the next scan or with\n"
	  "`calipso clique --rebuild`.\n" },
	{ "constants", cmd_constants, "the object types, their attributes and the link types",
	  "usage: calipso constants [--json]\n\n"
	  "Prints the model's type table from the code: object types with their\n"
	  "attributes (kind, required, volatile), the common fields and the link types.\n" },
	{ "snapshot", cmd_snapshot, "named points in time: create, list, show, rm, pin, prune",
	  "usage: calipso snapshot create NAME [--scan] [--clique ID] [--note TEXT] [--pin]\n"
	  "                               [--no-prune]\n"
	  "       calipso snapshot list|show NAME|rm NAME|pin NAME|unpin NAME\n"
	  "       calipso snapshot policy [--keep-last N] [--keep-days D]\n"
	  "       calipso snapshot prune [--keep-last N] [--keep-days D]\n\n"
	  "A snapshot names the inventory as it is now (--scan: after a fresh scan),\n"
	  "with the sources that answered; --clique ID scopes it to that focal point's\n"
	  "clique (diffs against it compare that clique only).  Names: letters, digits,\n"
	  "'.', '_', '-' (not `live`, not a time).  `show --at`, `links --at`,\n"
	  "`clique --at`, `impact --at` and `diff` read a snapshot by name or time.\n"
	  "Retention keeps pinned snapshots, the last N and those of the last D days;\n"
	  "prune (and create, once a policy is set) removes the others and every\n"
	  "revision no kept snapshot needs (history of the last D days stays whole).\n"
	  "Unknown or taken names exit 2.\n" },
	{ "diff", cmd_diff, "compare live, snapshots, times and designs",
	  "usage: calipso diff A B [--scope env|host:H|project:P|clique:ID] [--summary]\n"
	  "                    [--no-cliques] [--json]\n\n"
	  "A and B are each `live`, a snapshot name, a time (2026-11-22T08:00:00Z,\n"
	  "2026-11-22, -7d, @epoch) or design:NAME.  Prints objects added, removed and\n"
	  "changed (field by field), links added, removed or changed (state), cliques\n"
	  "whose members or health changed, and summary counts.  Volatile fields\n"
	  "(counters, timestamps; docs/snapshots.md) are ignored.  A clique-scoped\n"
	  "snapshot or design implies its clique as scope.\n"
	  "Exit: 0 equal, 1 different, 2 bad input (unknown snapshot or design,\n"
	  "unreadable time, bad scope).\n" },
	{ "design", cmd_design, "design baselines: export, import, set, list, show, rm",
	  "usage: calipso design export SNAPSHOT [--json] > design.yaml\n"
	  "       calipso design import FILE|- NAME [--replace]\n"
	  "       calipso design set NAME --from SNAPSHOT [--replace]\n"
	  "       calipso design list|show NAME|rm NAME\n\n"
	  "A design is the expected state: objects, links and cliques, YAML or JSON,\n"
	  "whose string values are fnmatch patterns (\"*\" any value, a \"*\" key any\n"
	  "other field, ids with wildcards and \"$count\").  SNAPSHOT is a snapshot\n"
	  "name, `live` or a time.  Drift: `calipso diff design:NAME live`.\n" },
	{ "impact", cmd_impact, "what a change to an object affects, per tenant, host, switch",
	  "usage: calipso impact ID [--what-if down] [--project P] [--at TIME] [--json]\n\n"
	  "Lists every clique that holds the object (a host NIC, switch port, bridge,\n"
	  "vedge, tunnel endpoint, ...): the affected instances, services, networks\n"
	  "and switch ports, grouped by project (tenant), host, network and switch.\n"
	  "--what-if down says which instances and services lose their path to the\n"
	  "wire (their networks, host NIC and switch port) without the object.\n"
	  "--project keeps one tenant's; --at answers for a past time (or a snapshot's\n"
	  "name).\n" },
	{ "search", cmd_search, "find objects by name, id, MAC, IP, CIDR or any value",
	  "usage: calipso search TEXT [--type T] [--limit N] [--all-envs] [--json]\n"
	  "       calipso search --reindex\n\n"
	  "Case-insensitive.  Best first: the exact id or name, another field equal to\n"
	  "TEXT (a MAC, an address) or a network whose CIDR holds the IP TEXT, then ids\n"
	  "and names starting with TEXT, other fields starting with it, and last those\n"
	  "containing it.  Each hit says which field matched and where the object is\n"
	  "(name_path).  Scans keep the index up to date; --reindex rebuilds it.\n" },
	{ "sim", cmd_sim, "a simulated cloud, as host reports or into an environment",
	  "usage: calipso sim [--hosts N] [--vms M] [--networks K] [--seed S] [--churn C]\n"
	  "                   [--out FILE|-] [--env NAME] [--json]\n\n"
	  "Generates the host reports (docs/report-format.md) of a Neutron cloud of N\n"
	  "hosts, M VMs and K networks (defaults 10, 100, 20): Linux-bridge and OVS\n"
	  "networks, hybrid and direct OVS plugging, DHCP and router namespaces,\n"
	  "VXLAN tunnels, one fabric switch.  The same seed gives the same cloud;\n"
	  "--churn C deletes or moves C of its VMs.  --out writes the reports; --env\n"
	  "commits them as a scan of that (simulated) environment through the\n"
	  "builder, linker, store and cliques, and prints the time of each stage.\n" },
	{ "report", cmd_report, "reports for customers: diff, impact, health, inventory",
	  "usage: calipso report diff A B [--scope S] [OPTIONS]\n"
	  "       calipso report impact ID [--what-if-down] [--project P] [--at REF] [OPTIONS]\n"
	  "       calipso report health [--at REF] [OPTIONS]\n"
	  "       calipso report inventory [--at REF] [OPTIONS]\n"
	  "       calipso report list | show ID [--out FILE] | rm ID\n\n"
	  "OPTIONS: --format html|json|csv (default html), --out FILE (default stdout),\n"
	  "--title TEXT, --no-keep (do not keep it in the store).\n"
	  "HTML is one self-contained file (inline CSS, clique graphs as SVG drawn by\n"
	  "Graphviz), fit to mail.  A and B as for `calipso diff`; REF is live, a\n"
	  "snapshot name or a time.  Reports are kept and listed by `report list`.\n" },
	{ "serve", cmd_serve, "the REST API, web UI, scan queue and scheduler",
	  "usage: calipso serve [--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE]\n"
	  "                     [--ui-dir DIR] [--access-log FILE|-|off] [--threads N]\n"
	  "                     [--scan-workers N] [--max-connections N] [--timeout S]\n"
	  "                     [--max-body BYTES] [--token-ttl S] [--no-scheduler]\n"
	  "                     [--clock-file FILE]\n\n"
	  "Serves the API of docs/api.md on ADDR:PORT (default 127.0.0.1:8747; port 0\n"
	  "picks a free one, printed on stdout), HTTPS with --tls-cert/--tls-key, and\n"
	  "the web UI's files from --ui-dir (default: the installed ui, else ui/dist).\n"
	  "Queued and scheduled scans run here.  On a store without users it creates\n"
	  "the user \"admin\" and prints its password once.  --clock-file FILE (tests)\n"
	  "makes schedules and token expiry follow the time written in FILE.\n"
	  "SIGTERM/SIGINT: finishes the requests and scans in progress, then exits.\n" },
	{ "user", cmd_user, "manage the REST API's users",
	  "usage: calipso user add NAME [--role ROLE]... [--password-stdin] [--replace]\n"
	  "       calipso user passwd NAME [--password-stdin]\n"
	  "       calipso user roles NAME [ROLE]...\n"
	  "       calipso user list\n"
	  "       calipso user rm NAME\n\n"
	  "ROLE is admin, view-env:ENV or edit-env:ENV (edit includes view).  The\n"
	  "password is asked twice on a terminal, else read from the first line of\n"
	  "stdin; never from the command line.  passwd revokes the user's tokens.\n" },
	{ "version", cmd_version, "print the version", "usage: calipso version\n" },
	{ NULL, NULL, NULL, NULL },
};
