/* cmd_env.c - `calipso env add|list|show|rm|test`: environments and their
 * discovery configuration (docs/environments.md, docs/openstack.md).
 *
 * An OpenStack secret (password, application credential secret) given by
 * clouds.yaml, OS_PASSWORD, --password-stdin or a configuration file is
 * written to a file only root can read and never stored in, or printed
 * with, the configuration: `env show` prints the file's path. */
#include "commands.h"
#include "pipeline/pipeline.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

/* Where an environment's OpenStack secret lives: $CALIPSO_SECRETS_DIR,
 * else beside a SQLite database ("<db>.secrets/"), else
 * /var/lib/calipso/secrets (PostgreSQL). */
static char *env_secret_path(const struct cli_ctx *ctx, const char *env)
{
	const char *dir = getenv("CALIPSO_SECRETS_DIR");
	const char *db = ctx->db ? ctx->db : cal_store_default_path();
	char *p;

	if (dir && *dir)
		p = cal_strdup_printf("%s/%s.json", dir, env);
	else if (strstr(db, "://") || strncmp(db, "postgres", 8) == 0)
		p = cal_strdup_printf("/var/lib/calipso/secrets/%s.json", env);
	else {
		char *abs = realpath(db, NULL);

		/* The database may not exist yet: its directory does. */
		if (!abs) {
			char *slash = strrchr(db, '/');
			char *d = slash ? strndup(db, (size_t)(slash - db)) : strdup(".");
			char *ad = d ? realpath(*d ? d : "/", NULL) : NULL;

			abs = ad ? cal_strdup_printf("%s/%s", ad, slash ? slash + 1 : db) : NULL;
			free(d);
			free(ad);
		}
		p = abs ? cal_strdup_printf("%s.secrets/%s.json", abs, env) : NULL;
		free(abs);
	}
	return p;
}

struct env_os_flags {
	const char *clouds_yaml, *cloud, *auth_url, *username, *project, *user_domain,
		*project_domain, *region, *interface, *cacert, *app_cred_id, *mech, *types;
	bool from_env, password_stdin, insecure, no_detect;
};

static json_t *env_csv(const char *s)
{
	json_t *a = json_array();
	char *dup = strdup(s), *save = NULL;

	for (char *t = dup ? strtok_r(dup, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
		if (*t)
			json_array_append_new(a, json_string(t));
	free(dup);
	return a;
}

/* Builds the "openstack" key from the flags and moves secrets out of it.
 * Returns 0 with *out NULL when no OpenStack flag was given. */
static int env_openstack(json_t **out, json_t **out_secret, json_t *config,
			 const struct env_os_flags *f)
{
	extern char **environ;
	json_t *os = json_object_get(config, "openstack"), *secret = NULL;
	bool flags = f->auth_url || f->username || f->project || f->app_cred_id;
	int rc;

	*out = *out_secret = NULL;
	if (f->clouds_yaml || f->from_env) {
		rc = cal_openstack_config_import(&os, &secret, f->clouds_yaml, f->cloud, f->from_env,
						 environ);
		if (rc)
			return rc;
	} else if (os) {
		/* A configuration file may carry the secret: it moves to the
		 * secret file. */
		os = json_deep_copy(os);
		secret = json_object();
		static const char *const sk[] = { "password", "application_credential_secret" };
		for (size_t i = 0; i < 2; i++) {
			json_t *v = json_object_get(os, sk[i]);

			if (json_is_string(v))
				json_object_set(secret, sk[i], v);
			json_object_del(os, sk[i]);
		}
	} else if (flags) {
		os = json_object();
		secret = json_object();
	} else {
		return 0;
	}
	if (f->auth_url)
		json_object_set_new(os, "auth_url", json_string(f->auth_url));
	if (f->username)
		json_object_set_new(os, "username", json_string(f->username));
	if (f->project)
		json_object_set_new(os, "project_name", json_string(f->project));
	if (f->user_domain)
		json_object_set_new(os, "user_domain_name", json_string(f->user_domain));
	if (f->project_domain)
		json_object_set_new(os, "project_domain_name", json_string(f->project_domain));
	if (f->region)
		json_object_set_new(os, "region_name", json_string(f->region));
	if (f->interface)
		json_object_set_new(os, "interface", json_string(f->interface));
	if (f->cacert)
		json_object_set_new(os, "cacert", json_string(f->cacert));
	if (f->insecure)
		json_object_set_new(os, "insecure", json_true());
	if (f->app_cred_id) {
		json_object_set_new(os, "application_credential_id", json_string(f->app_cred_id));
		json_object_set_new(os, "auth_type", json_string("v3applicationcredential"));
	}
	if (f->password_stdin) {
		char buf[1024];
		size_t n = fread(buf, 1, sizeof(buf) - 1, stdin);

		buf[n] = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
		json_object_set_new(secret, f->app_cred_id || strcmp(cal_json_str(os, "auth_type"),
								      "v3applicationcredential") == 0
						    ? "application_credential_secret"
						    : "password",
				    json_string(buf));
		memset(buf, 0, sizeof(buf));
	}
	*out = os;
	*out_secret = secret;
	return 0;
}

static int env_add(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "replace", no_argument, NULL, 'r' },
		{ "clouds-yaml", required_argument, NULL, 'Y' },
		{ "cloud", required_argument, NULL, 'C' },
		{ "from-env", no_argument, NULL, 'E' },
		{ "auth-url", required_argument, NULL, 'A' },
		{ "username", required_argument, NULL, 'U' },
		{ "project", required_argument, NULL, 'P' },
		{ "user-domain", required_argument, NULL, 'u' },
		{ "project-domain", required_argument, NULL, 'p' },
		{ "region", required_argument, NULL, 'R' },
		{ "interface", required_argument, NULL, 'I' },
		{ "cacert", required_argument, NULL, 'T' },
		{ "insecure", no_argument, NULL, 'k' },
		{ "application-credential-id", required_argument, NULL, 'a' },
		{ "password-stdin", no_argument, NULL, 'S' },
		{ "mechanism-drivers", required_argument, NULL, 'M' },
		{ "type-drivers", required_argument, NULL, 'D' },
		{ "no-detect", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	struct env_os_flags f = { 0 };
	const char *file = NULL, *name;
	bool replace = false;
	json_t *config, *os = NULL, *secret = NULL;
	json_error_t jerr;
	cal_store *st;
	char *spath = NULL;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': file = optarg; break;
		case 'r': replace = true; break;
		case 'Y': f.clouds_yaml = optarg; break;
		case 'C': f.cloud = optarg; break;
		case 'E': f.from_env = true; break;
		case 'A': f.auth_url = optarg; break;
		case 'U': f.username = optarg; break;
		case 'P': f.project = optarg; break;
		case 'u': f.user_domain = optarg; break;
		case 'p': f.project_domain = optarg; break;
		case 'R': f.region = optarg; break;
		case 'I': f.interface = optarg; break;
		case 'T': f.cacert = optarg; break;
		case 'k': f.insecure = true; break;
		case 'a': f.app_cred_id = optarg; break;
		case 'S': f.password_stdin = true; break;
		case 'M': f.mech = optarg; break;
		case 'D': f.types = optarg; break;
		case 'N': f.no_detect = true; break;
		default: return cli_usage_error("env", "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("env", "env add needs exactly one NAME");
	if (f.cloud && !f.clouds_yaml)
		return cli_usage_error("env", "--cloud needs --clouds-yaml");
	if (f.password_stdin && file && strcmp(file, "-") == 0)
		return cli_usage_error("env", "--password-stdin and --config - both read stdin");
	name = argv[optind];
	if (file) {
		config = strcmp(file, "-") == 0 ? json_loadf(stdin, 0, &jerr)
						: json_load_file(file, 0, &jerr);
		if (!config) {
			fprintf(stderr, "calipso env: cannot read configuration '%s': %s (line %d)\n",
				file, jerr.text, jerr.line);
			return CLI_EXIT_USAGE;
		}
		json_object_set_new(config, "name", json_string(name));
	} else {
		config = cal_env_config_default(name);
	}
	rc = env_openstack(&os, &secret, config, &f);
	if (rc)
		goto out;
	if (os) {
		spath = env_secret_path(ctx, name);
		if (!spath) {
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
			goto out;
		}
		json_object_set_new(os, "secret_file", json_string(spath));
		json_object_set(config, "openstack", os);
	}
	if (f.mech)
		json_object_set_new(config, "mechanism_drivers", env_csv(f.mech));
	if (f.types)
		json_object_set_new(config, "type_drivers", env_csv(f.types));
	rc = cal_env_config_check(config);
	if (rc)
		goto out;
	st = cli_store(ctx);
	if (!st) {
		rc = CAL_EIO;
		goto out_quiet;
	}
	if (!replace) {
		json_t *old = NULL;

		/* Refused before the secret file, which belongs to the existing
		 * environment, is touched. */
		if (cal_store_env_get(st, &old, name) == 0) {
			json_decref(old);
			rc = CAL_EEXISTS;
			goto exists;
		}
	}
	if (os) {
		/* Written before the configuration that names it, so that a
		 * stored environment always finds its secret. */
		rc = cal_openstack_secret_save(spath, secret);
		if (rc)
			goto out;
		if (!f.no_detect && (!json_object_get(config, "mechanism_drivers") ||
				     !json_object_get(config, "type_drivers"))) {
			json_t *det = NULL;

			if (cal_openstack_detect(&det, os) == 0) {
				if (!json_object_get(config, "mechanism_drivers"))
					json_object_set(config, "mechanism_drivers",
							json_object_get(det, "mechanism_drivers"));
				if (!json_object_get(config, "type_drivers"))
					json_object_set(config, "type_drivers",
							json_object_get(det, "type_drivers"));
			} else {
				fprintf(stderr,
					"calipso env: warning: drivers not detected (%s); the "
					"environment is saved without them\n",
					cal_error_last());
			}
			json_decref(det);
		}
	}
	rc = cal_store_env_put(st, name, config, replace);
	if (rc == 0 && !ctx->json)
		printf("environment '%s' %s with %zu hosts%s\n", name, replace ? "saved" : "added",
		       json_array_size(json_object_get(config, "hosts")),
		       os ? ", OpenStack at " : "");
	if (rc == 0 && !ctx->json && os)
		printf("  %s (secret in %s)\n", cal_json_str(os, "auth_url"), spath);
	else if (rc == 0 && ctx->json)
		cli_print_json(config);
exists:
	if (rc == CAL_EEXISTS) {
		fprintf(stderr, "calipso env: environment '%s' exists; use --replace\n", name);
		rc = 0;
		json_decref(config);
		json_decref(os);
		cal_openstack_secret_free(secret);
		free(spath);
		return CLI_EXIT_USAGE;
	}
out:
	json_decref(config);
	json_decref(os);
	cal_openstack_secret_free(secret);
	free(spath);
	return cli_fail("env", rc);
out_quiet:
	json_decref(config);
	json_decref(os);
	cal_openstack_secret_free(secret);
	free(spath);
	return CLI_EXIT_FAILURE;
}

/* `env test`: one line per target. */
static int env_test(struct cli_ctx *ctx, const char *name)
{
	static const char *const hdr[] = { "TARGET", "HOST", "ADDRESS", "STATUS", "DETAIL" };
	cal_store *st = cli_store(ctx);
	json_t *cfg = NULL, *res = NULL;
	struct cli_table *t;
	size_t i;
	json_t *e;
	int rc, bad = 0;

	if (!st)
		return CLI_EXIT_FAILURE;
	rc = cal_store_env_get(st, &cfg, name);
	if (rc)
		return cli_fail("env", rc);
	rc = cal_env_test(&res, cfg);
	json_decref(cfg);
	if (rc)
		return cli_fail("env", rc);
	json_array_foreach(res, i, e)
		bad += strcmp(cal_json_str(e, "status"), "error") == 0;
	if (ctx->json) {
		cli_print_json(res);
	} else {
		t = cli_table_new(5, hdr);
		json_array_foreach(res, i, e) {
			const char *err = cal_json_str(e, "error");
			const char *row[] = { cal_json_str(e, "target"), cal_json_str(e, "host"),
					      cal_json_str(e, "address"), cal_json_str(e, "status"),
					      *err ? err : cal_json_str(e, "detail") };

			cli_table_add(t, row);
		}
		cli_table_print(t, stdout);
		cli_table_free(t);
		printf("%zu targets, %d did not answer\n", json_array_size(res), bad);
	}
	json_decref(res);
	return bad ? CLI_EXIT_PARTIAL : CLI_EXIT_OK;
}

static int env_list(struct cli_ctx *ctx)
{
	static const char *const hdr[] = { "NAME", "HOSTS", "SWITCHES", "UPDATED" };
	cal_store *st = cli_store(ctx);
	struct cli_table *t;
	json_t *list;
	size_t i;
	json_t *e;
	int rc;

	if (!st)
		return CLI_EXIT_FAILURE;
	rc = cal_store_env_list(st, &list);
	if (rc)
		return cli_fail("env", rc);
	if (ctx->json) {
		cli_print_json(list);
		json_decref(list);
		return 0;
	}
	t = cli_table_new(4, hdr);
	json_array_foreach(list, i, e) {
		json_t *cfg = json_object_get(e, "config");
		char nh[16], ns[16];
		const char *row[4];

		snprintf(nh, sizeof(nh), "%zu", json_array_size(json_object_get(cfg, "hosts")));
		snprintf(ns, sizeof(ns), "%zu", json_array_size(json_object_get(cfg, "switches")));
		row[0] = cal_json_str(e, "name");
		row[1] = nh;
		row[2] = ns;
		row[3] = cal_json_str(e, "updated");
		cli_table_add(t, row);
	}
	cli_table_print(t, stdout);
	cli_table_free(t);
	json_decref(list);
	return 0;
}

int cmd_env(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "list";
	cal_store *st;
	json_t *cfg;
	int rc;

	if (strcmp(sub, "add") == 0)
		return env_add(ctx, argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return env_list(ctx);
	if (strcmp(sub, "test") == 0)
		return env_test(ctx, argc > 2 ? argv[2] : cli_env(ctx));
	if (strcmp(sub, "show") == 0 || strcmp(sub, "rm") == 0) {
		const char *name = argc > 2 ? argv[2] : cli_env(ctx);

		st = cli_store(ctx);
		if (!st)
			return CLI_EXIT_FAILURE;
		if (strcmp(sub, "rm") == 0) {
			char *secret = NULL;

			if (cal_store_env_get(st, &cfg, name) == 0) {
				const char *sf = cal_json_str(json_object_get(cfg, "openstack"),
							      "secret_file");

				secret = *sf ? strdup(sf) : NULL;
				json_decref(cfg);
			}
			rc = cal_store_env_remove(st, name);
			/* The secret goes with its environment. */
			if (rc == 0 && secret && unlink(secret) < 0 && errno != ENOENT)
				fprintf(stderr, "calipso env: warning: cannot remove '%s': %s\n",
					secret, strerror(errno));
			free(secret);
			if (rc == 0 && !ctx->json)
				printf("environment '%s' removed\n", name);
			return cli_fail("env", rc);
		}
		rc = cal_store_env_get(st, &cfg, name);
		if (rc)
			return cli_fail("env", rc);
		cli_print_json(cfg);
		json_decref(cfg);
		return 0;
	}
	return cli_usage_error("env", "unknown subcommand '%s'", sub);
}
