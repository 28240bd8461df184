/* commands.c - the table of subcommands.  Each lives in its own cmd_*.c. */
#include "cli.h"

#include "commands.h"

const struct cli_command cli_commands[] = {
	{ "scan", cmd_scan, "discover an environment now and store what changed",
	  "usage: calipso scan [--env NAME] [--clear] [--no-progress] [--json]\n\n"
	  "Runs every source of the environment (netlink in every namespace, OVSDB,\n"
	  "libvirt), builds objects and links and stores a revision of what changed.\n"
	  "A source that fails keeps its last good data, unless --clear.\n"
	  "The environment \"local\" (the default) is this machine as one host and is\n"
	  "created on first use.  Exit: 0 completed, 4 completed with errors, 5 failed.\n" },
	{ "show", cmd_show, "show the inventory: a tree, a table or one object",
	  "usage: calipso show [ID] [--type T] [--host H] [--name GLOB] [--at TIME]\n"
	  "                    [--limit N] [--json]\n\n"
	  "Without ID and filters: the tree of the environment.  With filters: a table.\n"
	  "With ID: every field of the object and its links.  --at shows the inventory\n"
	  "as it was at TIME (2026-11-22T08:00:00Z, 2026-11-22, -7d, @epoch).\n" },
	{ "links", cmd_links, "list links between objects",
	  "usage: calipso links [--type T] [--host H] [--object ID] [--at TIME] [--json]\n\n"
	  "T is a link type such as vnic-vconnector or otep-host_pnic.\n" },
	{ "history", cmd_history, "every revision of an object or link",
	  "usage: calipso history ID [--json]\n" },
	{ "env", cmd_env, "manage environments",
	  "usage: calipso env list\n"
	  "       calipso env add NAME [--config FILE|-] [--replace]\n"
	  "       calipso env show [NAME]\n"
	  "       calipso env rm NAME\n\n"
	  "FILE is the JSON configuration of docs/environments.md (hosts and their\n"
	  "namespaces, OVSDB remotes, libvirt URIs; switches; pnic_names).  Without\n"
	  "--config the environment is this machine as one host.\n" },
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
	  "(`calipso clique ID --dot | dot -Tsvg`).  --at shows it as it was at TIME.\n"
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
	{ "version", cmd_version, "print the version", "usage: calipso version\n" },
	{ NULL, NULL, NULL, NULL },
};
