/* openstack_config.c - the "openstack" key of an environment
 * (docs/openstack.md): checking it, reading it from clouds.yaml (libyaml) or
 * OS_* variables, and keeping its secret in a file only root can read.
 *
 * A configuration never holds a secret: the password or application
 * credential secret lives in the file named by "secret_file" (0600, in a
 * 0700 directory), which `calipso env add` writes and the scan reads.  A
 * secret file that others can read is refused.  Secrets are wiped from
 * memory when freed and never put into messages or logs.
 *
 * clouds.yaml and the environment are user input: every value is a string
 * we check; unknown clouds.yaml keys are ignored (the file serves other
 * tools too).
 */
#include "discover.h"
#include "openstack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

static const char *const os_keys[] = {
	"auth_url", "auth_type", "username", "user_id", "user_domain_name", "user_domain_id",
	"project_name", "project_id", "project_domain_name", "project_domain_id",
	"application_credential_id", "application_credential_name", "region_name",
	"interface", "cacert", "insecure", "timeout", "compute_api_version", "page_size",
	"parallel", "secret_file", "cloud", NULL,
};
static const char *const os_secret_keys[] = { "password", "application_credential_secret",
					      NULL };

static bool oc_in(const char *const *keys, const char *k)
{
	for (; *keys; keys++)
		if (strcmp(*keys, k) == 0)
			return true;
	return false;
}

int os_config_check(const json_t *os)
{
	const char *k, *at;
	json_t *v;

	if (!json_is_object(os))
		return cal_error_set(CAL_EINVALID, "'openstack' must be an object");
	json_object_foreach((json_t *)os, k, v) {
		if (oc_in(os_secret_keys, k))
			return cal_error_set(CAL_EINVALID,
					     "openstack: '%s' must not be in the configuration; "
					     "`calipso env add` stores it in a secret file",
					     k);
		if (!oc_in(os_keys, k))
			return cal_error_set(CAL_EINVALID, "openstack: unknown key '%s'", k);
		if (strcmp(k, "insecure") == 0) {
			if (!json_is_boolean(v))
				return cal_error_set(CAL_EINVALID,
						     "openstack: 'insecure' must be true or false");
		} else if (strcmp(k, "timeout") == 0 || strcmp(k, "page_size") == 0 ||
			   strcmp(k, "parallel") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
			    json_integer_value(v) > 100000)
				return cal_error_set(CAL_EINVALID,
						     "openstack: '%s' must be a positive integer", k);
		} else if (!json_is_string(v)) {
			return cal_error_set(CAL_EINVALID, "openstack: '%s' must be a string", k);
		}
	}
	at = cal_json_str(os, "auth_url");
	if (strncmp(at, "http://", 7) != 0 && strncmp(at, "https://", 8) != 0)
		return cal_error_set(CAL_EINVALID,
				     "openstack: 'auth_url' must be an http:// or https:// URL, not "
				     "'%s'",
				     at);
	if (*cal_json_str(os, "auth_type") &&
	    strcmp(cal_json_str(os, "auth_type"), "password") != 0 &&
	    strcmp(cal_json_str(os, "auth_type"), "v3password") != 0 &&
	    strcmp(cal_json_str(os, "auth_type"), "v3applicationcredential") != 0)
		return cal_error_set(CAL_EINVALID,
				     "openstack: auth_type '%s' is not supported (password, "
				     "v3applicationcredential)",
				     cal_json_str(os, "auth_type"));
	if (strcmp(cal_json_str(os, "auth_type"), "v3applicationcredential") == 0) {
		if (!*cal_json_str(os, "application_credential_id") &&
		    !*cal_json_str(os, "application_credential_name"))
			return cal_error_set(CAL_EINVALID,
					     "openstack: an application credential needs "
					     "'application_credential_id' or '_name'");
	} else if (!*cal_json_str(os, "username") && !*cal_json_str(os, "user_id")) {
		return cal_error_set(CAL_EINVALID, "openstack: 'username' or 'user_id' is missing");
	}
	if (*cal_json_str(os, "interface") && strcmp(cal_json_str(os, "interface"), "public") &&
	    strcmp(cal_json_str(os, "interface"), "internal") &&
	    strcmp(cal_json_str(os, "interface"), "admin"))
		return cal_error_set(CAL_EINVALID,
				     "openstack: interface '%s' must be public, internal or admin",
				     cal_json_str(os, "interface"));
	return 0;
}

static const char *oc_opt(const json_t *o, const char *k)
{
	const char *v = cal_json_str_or_null(o, k);

	return v && *v ? v : NULL;
}

int os_config_client_opts(struct os_client_opts *out, json_t **out_secret, const json_t *os)
{
	json_t *secret = NULL;
	const char *path = oc_opt(os, "secret_file");
	int rc;

	memset(out, 0, sizeof(*out));
	*out_secret = NULL;
	if (path) {
		rc = os_secret_read(&secret, path);
		if (rc)
			return rc;
	}
	out->auth.auth_url = oc_opt(os, "auth_url");
	out->auth.auth_type = oc_opt(os, "auth_type");
	out->auth.username = oc_opt(os, "username");
	out->auth.user_id = oc_opt(os, "user_id");
	out->auth.user_domain_name = oc_opt(os, "user_domain_name");
	out->auth.user_domain_id = oc_opt(os, "user_domain_id");
	out->auth.project_name = oc_opt(os, "project_name");
	out->auth.project_id = oc_opt(os, "project_id");
	out->auth.project_domain_name = oc_opt(os, "project_domain_name");
	out->auth.project_domain_id = oc_opt(os, "project_domain_id");
	out->auth.app_cred_id = oc_opt(os, "application_credential_id");
	out->auth.app_cred_name = oc_opt(os, "application_credential_name");
	out->auth.password = oc_opt(secret, "password");
	out->auth.app_cred_secret = oc_opt(secret, "application_credential_secret");
	out->region = oc_opt(os, "region_name");
	out->interface = oc_opt(os, "interface");
	out->compute_microversion = oc_opt(os, "compute_api_version");
	out->page_size = (int)cal_json_int(os, "page_size", 0);
	out->http.timeout_ms = (int)cal_json_int(os, "timeout", 30) * 1000;
	out->http.cacert = oc_opt(os, "cacert");
	out->http.insecure = json_is_true(json_object_get(os, "insecure"));
	out->http.parallel = (int)cal_json_int(os, "parallel", 8);
	*out_secret = secret;
	return 0;
}

void os_secret_free(json_t *secret)
{
	const char *k;
	json_t *v;

	if (!secret)
		return;
	/* Wipe the values: jansson frees strings without clearing them. */
	json_object_foreach(secret, k, v)
		if (json_is_string(v) && v->refcount == 1)
			memset((char *)json_string_value(v), 0, json_string_length(v));
	json_decref(secret);
}

/* ------------------------------------------------------------------ */
/* Secret files                                                        */
/* ------------------------------------------------------------------ */

int os_secret_write(const char *path, const json_t *secret)
{
	char dir[4096], tmp[4200];
	char *slash, *text = NULL;
	int fd = -1, rc = 0;
	size_t len;

	if (strlen(path) >= sizeof(dir))
		return cal_error_set(CAL_EINVALID, "secret file path is too long");
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return cal_error_set_errno(CAL_EIO, errno, "cannot create '%s'", dir);
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	text = json_dumps(secret, JSON_COMPACT);
	if (!text)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	len = strlen(text);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = cal_error_set_errno(CAL_EIO, errno, "cannot create secret file '%s'", tmp);
		goto out;
	}
	if (fchmod(fd, 0600) < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		rc = cal_error_set_errno(CAL_EIO, errno, "cannot write secret file '%s'", tmp);
		unlink(tmp);
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = cal_error_set_errno(CAL_EIO, errno, "cannot replace secret file '%s'", path);
		unlink(tmp);
	}
out:
	if (fd >= 0)
		close(fd);
	memset(text, 0, len);
	free(text);
	return rc;
}

int os_secret_read(json_t **out, const char *path)
{
	struct stat sb;
	json_error_t jerr;
	json_t *doc;
	int fd;
	FILE *f;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cal_error_set_errno(errno == EACCES ? CAL_EPERM : CAL_EIO, errno,
					   "cannot read the OpenStack secret file '%s'", path);
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return cal_error_set(CAL_EIO, "OpenStack secret file '%s' is not a regular file",
				     path);
	}
	if (sb.st_mode & 077) {
		close(fd);
		return cal_error_set(CAL_EPERM,
				     "OpenStack secret file '%s' is readable by others (mode %03o); "
				     "chmod 600 it",
				     path, (unsigned)(sb.st_mode & 0777));
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return cal_error_set_errno(CAL_EIO, errno, "cannot read '%s'", path);
	}
	doc = json_loadf(f, 0, &jerr);
	fclose(f);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return cal_error_set(CAL_EINVALID, "OpenStack secret file '%s' is not a JSON object",
				     path);
	}
	*out = doc;
	return 0;
}

/* ------------------------------------------------------------------ */
/* clouds.yaml                                                         */
/* ------------------------------------------------------------------ */

/* YAML document -> JSON: mappings, sequences, and scalars as strings,
 * except true/false.  Depth-limited. */
static json_t *oc_yaml_node(yaml_document_t *doc, yaml_node_t *n, int depth)
{
	json_t *out = NULL;

	if (!n || depth > 16)
		return NULL;
	switch (n->type) {
	case YAML_SCALAR_NODE: {
		const char *s = (const char *)n->data.scalar.value;

		if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "yes") == 0))
			return json_true();
		if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "no") == 0))
			return json_false();
		return json_stringn(s, n->data.scalar.length);
	}
	case YAML_SEQUENCE_NODE:
		out = json_array();
		for (yaml_node_item_t *i = n->data.sequence.items.start;
		     out && i < n->data.sequence.items.top; i++) {
			json_t *v = oc_yaml_node(doc, yaml_document_get_node(doc, *i), depth + 1);

			if (v)
				json_array_append_new(out, v);
		}
		return out;
	case YAML_MAPPING_NODE:
		out = json_object();
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     out && p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);
			json_t *v;

			if (!k || k->type != YAML_SCALAR_NODE)
				continue;
			v = oc_yaml_node(doc, yaml_document_get_node(doc, p->value), depth + 1);
			if (v)
				json_object_set_new(out, (const char *)k->data.scalar.value, v);
		}
		return out;
	default:
		return NULL;
	}
}

static int oc_yaml_load(json_t **out, const char *path)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	FILE *f = fopen(path, "r");
	int rc = 0;

	*out = NULL;
	if (!f)
		return cal_error_set_errno(CAL_ENOTFOUND, errno, "cannot open '%s'", path);
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = cal_error_set(CAL_EINVALID, "%s: %s at line %zu", path,
				   parser.problem ? parser.problem : "malformed YAML",
				   parser.problem_mark.line + 1);
	} else {
		*out = oc_yaml_node(&doc, yaml_document_get_root_node(&doc), 0);
		yaml_document_delete(&doc);
		if (!json_is_object(*out)) {
			json_decref(*out);
			*out = NULL;
			rc = cal_error_set(CAL_EINVALID, "%s: not a YAML mapping", path);
		}
	}
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

/* Copies string `from` of `src` to `to` of `dst` when set. */
static void oc_copy(json_t *dst, const char *to, const json_t *src, const char *from)
{
	json_t *v = json_object_get(src, from);

	if (json_is_string(v) && *json_string_value(v))
		json_object_set(dst, to, v);
}

int os_config_from_clouds_yaml(json_t **out, json_t **out_secret, const char *path,
			       const char *cloud)
{
	static const char *const auth_keys[] = {
		"auth_url", "username", "user_id", "user_domain_name", "user_domain_id",
		"project_name", "project_id", "project_domain_name", "project_domain_id",
		"application_credential_id", "application_credential_name", NULL,
	};
	json_t *doc = NULL, *clouds, *c, *auth, *os = NULL, *secret = NULL;
	int rc;

	*out = *out_secret = NULL;
	rc = oc_yaml_load(&doc, path);
	if (rc)
		return rc;
	clouds = json_object_get(doc, "clouds");
	c = json_object_get(clouds, cloud);
	if (!json_is_object(c)) {
		char names[256] = "";
		const char *k;
		json_t *v;

		json_object_foreach(clouds, k, v)
			if (strlen(names) + strlen(k) + 3 < sizeof(names)) {
				if (*names)
					strcat(names, ", ");
				strcat(names, k);
			}
		rc = cal_error_set(CAL_ENOTFOUND, "%s has no cloud '%s' (it has: %s)", path, cloud,
				   *names ? names : "none");
		goto out;
	}
	auth = json_object_get(c, "auth");
	os = json_object();
	secret = json_object();
	for (const char *const *k = auth_keys; *k; k++)
		oc_copy(os, *k, auth, *k);
	/* OpenStack's own defaulting: a domain given once serves both. */
	if (!json_object_get(os, "user_domain_name") && json_object_get(auth, "domain_name"))
		oc_copy(os, "user_domain_name", auth, "domain_name");
	if (!json_object_get(os, "project_domain_name") && json_object_get(auth, "domain_name"))
		oc_copy(os, "project_domain_name", auth, "domain_name");
	oc_copy(os, "auth_type", c, "auth_type");
	oc_copy(os, "region_name", c, "region_name");
	oc_copy(os, "interface", c, "interface");
	oc_copy(os, "cacert", c, "cacert");
	if (json_is_true(json_object_get(c, "verify")) == false &&
	    json_is_false(json_object_get(c, "verify")))
		json_object_set_new(os, "insecure", json_true());
	if (json_is_string(json_object_get(c, "verify")) &&
	    !json_object_get(os, "cacert"))
		oc_copy(os, "cacert", c, "verify");
	oc_copy(secret, "password", auth, "password");
	oc_copy(secret, "application_credential_secret", auth, "application_credential_secret");
	json_object_set_new(os, "cloud", json_string(cloud));
	if (strcmp(cal_json_str(os, "auth_type"), "v3password") == 0)
		json_object_set_new(os, "auth_type", json_string("password"));
	rc = os_config_check(os);
	if (rc) {
		cal_error_prefix(rc, "%s cloud '%s'", path, cloud);
		goto out;
	}
	*out = os;
	*out_secret = secret;
	os = secret = NULL;
out:
	json_decref(doc);
	json_decref(os);
	os_secret_free(secret);
	return rc;
}

int os_config_from_env(json_t **out, json_t **out_secret, char *const *envp)
{
	static const struct {
		const char *var, *key;
		bool secret;
	} map[] = {
		{ "OS_AUTH_URL", "auth_url", false },
		{ "OS_AUTH_TYPE", "auth_type", false },
		{ "OS_USERNAME", "username", false },
		{ "OS_USER_ID", "user_id", false },
		{ "OS_USER_DOMAIN_NAME", "user_domain_name", false },
		{ "OS_USER_DOMAIN_ID", "user_domain_id", false },
		{ "OS_PROJECT_NAME", "project_name", false },
		{ "OS_TENANT_NAME", "project_name", false },
		{ "OS_PROJECT_ID", "project_id", false },
		{ "OS_PROJECT_DOMAIN_NAME", "project_domain_name", false },
		{ "OS_PROJECT_DOMAIN_ID", "project_domain_id", false },
		{ "OS_REGION_NAME", "region_name", false },
		{ "OS_INTERFACE", "interface", false },
		{ "OS_CACERT", "cacert", false },
		{ "OS_APPLICATION_CREDENTIAL_ID", "application_credential_id", false },
		{ "OS_APPLICATION_CREDENTIAL_NAME", "application_credential_name", false },
		{ "OS_COMPUTE_API_VERSION", "compute_api_version", false },
		{ "OS_PASSWORD", "password", true },
		{ "OS_APPLICATION_CREDENTIAL_SECRET", "application_credential_secret", true },
	};
	json_t *os = json_object(), *secret = json_object();
	int rc;

	*out = *out_secret = NULL;
	if (!os || !secret) {
		json_decref(os);
		json_decref(secret);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	for (char *const *e = envp; e && *e; e++) {
		const char *eq = strchr(*e, '=');

		if (!eq || strncmp(*e, "OS_", 3) != 0 || !eq[1])
			continue;
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
			size_t n = strlen(map[i].var);

			if ((size_t)(eq - *e) != n || strncmp(*e, map[i].var, n) != 0)
				continue;
			if (!map[i].secret && json_object_get(os, map[i].key))
				continue;
			json_object_set_new(map[i].secret ? secret : os, map[i].key,
					    json_string(eq + 1));
		}
	}
	if (strcmp(cal_json_str(os, "interface"), "publicURL") == 0)
		json_object_set_new(os, "interface", json_string("public"));
	if (strcmp(cal_json_str(os, "interface"), "internalURL") == 0)
		json_object_set_new(os, "interface", json_string("internal"));
	if (strcmp(cal_json_str(os, "auth_type"), "v3password") == 0)
		json_object_set_new(os, "auth_type", json_string("password"));
	if (strcmp(cal_json_str(os, "auth_type"), "v3applicationcredential") != 0 &&
	    json_object_get(os, "application_credential_id"))
		json_object_set_new(os, "auth_type", json_string("v3applicationcredential"));
	rc = os_config_check(os);
	if (rc) {
		cal_error_prefix(rc, "OS_* variables");
		json_decref(os);
		os_secret_free(secret);
		return rc;
	}
	*out = os;
	*out_secret = secret;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Public entry points for the CLI (discover.h)                        */
/* ------------------------------------------------------------------ */

int cal_openstack_config_import(json_t **out, json_t **out_secret, const char *clouds_yaml,
				const char *cloud, bool from_env, char *const *envp)
{
	if (clouds_yaml)
		return os_config_from_clouds_yaml(out, out_secret, clouds_yaml,
						  cloud && *cloud ? cloud : "openstack");
	if (from_env)
		return os_config_from_env(out, out_secret, envp);
	return cal_error_set(CAL_EINVALID, "no clouds.yaml and no OS_* variables to read");
}

int cal_openstack_config_check(const json_t *os)
{
	return os_config_check(os);
}

int cal_openstack_secret_save(const char *path, const json_t *secret)
{
	return os_secret_write(path, secret);
}

void cal_openstack_secret_free(json_t *secret)
{
	os_secret_free(secret);
}
