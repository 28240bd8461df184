/* env_config.c - an environment's discovery configuration: which hosts,
 * where each host's namespaces, OVSDB and libvirt are, which interface
 * names count as physical NICs (docs/environments.md).
 *
 * Configurations come from users (`calipso env add --config FILE`) and
 * from the lab's environment.json, so every key and value is checked and
 * an error names the key.  Unknown keys are errors: a typo must not be
 * silently ignored.
 */
#include "discover.h"

#include <string.h>
#include <unistd.h>

static const char *const env_keys[] = { "name", "hosts", "switches", "pnic_names",
					"default_host", "description", "distribution",
					"distribution_version", "mechanism_drivers",
					"type_drivers", "openstack", "listen",
					"enable_monitoring", "monitoring", NULL };
static const char *const host_keys[] = { "name", "netns", "ovsdb", "libvirt", "ssh", NULL };
static const char *const switch_keys[] = { "name", "netns", NULL };

static bool env_key_known(const char *const *keys, const char *k)
{
	for (; *keys; keys++)
		if (strcmp(*keys, k) == 0)
			return true;
	return false;
}

static int env_check_keys(const json_t *obj, const char *const *keys, const char *where)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		if (!env_key_known(keys, k))
			return cal_error_set(CAL_EINVALID, "%s: unknown key '%s'", where, k);
	}
	return 0;
}

static int env_check_string(const json_t *obj, const char *key, bool required,
			    const char *where)
{
	json_t *v = json_object_get(obj, key);

	if (!v) {
		if (required)
			return cal_error_set(CAL_EINVALID, "%s: missing '%s'", where, key);
		return 0;
	}
	if (!json_is_string(v))
		return cal_error_set(CAL_EINVALID, "%s: '%s' must be a string", where, key);
	return 0;
}

/* Host and switch names become parts of ids and paths: keep them to a
 * safe alphabet. */
static bool env_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static int env_check_members(json_t *arr, const char *what, const char *const *keys,
			     json_t *seen_names, json_t *seen_ns)
{
	size_t i;
	json_t *h;
	char where[96];

	if (!json_is_array(arr))
		return cal_error_set(CAL_EINVALID, "'%s' must be a list", what);
	json_array_foreach(arr, i, h) {
		const char *name, *ns;
		int rc;

		snprintf(where, sizeof(where), "%s[%zu]", what, i);
		if (!json_is_object(h))
			return cal_error_set(CAL_EINVALID, "%s must be an object", where);
		if ((rc = env_check_keys(h, keys, where)) ||
		    (rc = env_check_string(h, "name", true, where)) ||
		    (rc = env_check_string(h, "netns", false, where)))
			return rc;
		for (const char *const *k = keys; *k; k++)
			if ((rc = env_check_string(h, *k, false, where)))
				return rc;
		name = cal_json_str(h, "name");
		if (!env_name_ok(name))
			return cal_error_set(CAL_EINVALID,
					     "%s: name '%s' must be 1-64 letters, digits, '-', '_' "
					     "or '.'",
					     where, name);
		if (json_object_get(seen_names, name))
			return cal_error_set(CAL_EINVALID, "%s: name '%s' is used twice", where,
					     name);
		json_object_set_new(seen_names, name, json_true());
		ns = cal_json_str(h, "netns");
		if (json_object_get(seen_ns, ns))
			return cal_error_set(CAL_EINVALID,
					     "%s: namespace '%s' is given to two hosts or switches",
					     where, *ns ? ns : "(root)");
		json_object_set_new(seen_ns, ns, json_true());
		if (!json_object_get(h, "netns"))
			json_object_set_new(h, "netns", json_string(""));
	}
	return 0;
}

int cal_env_config_check(json_t *config)
{
	json_t *hosts, *switches, *pnics, *names = NULL, *nss = NULL;
	size_t i;
	json_t *v;
	int rc;

	if (!json_is_object(config))
		return cal_error_set(CAL_EINVALID, "environment configuration must be a JSON object");
	if ((rc = env_check_keys(config, env_keys, "environment")) ||
	    (rc = env_check_string(config, "name", true, "environment")) ||
	    (rc = env_check_string(config, "default_host", false, "environment")))
		return rc;
	if (!env_name_ok(cal_json_str(config, "name")))
		return cal_error_set(CAL_EINVALID,
				     "environment name '%s' must be 1-64 letters, digits, '-', "
				     "'_' or '.'",
				     cal_json_str(config, "name"));
	names = json_object();
	nss = json_object();
	if (!names || !nss) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	hosts = json_object_get(config, "hosts");
	if (!hosts) {
		char hn[256] = "localhost";

		gethostname(hn, sizeof(hn) - 1);
		hosts = json_pack("[{s:s, s:s}]", "name", hn, "netns", "");
		json_object_set_new(config, "hosts", hosts);
	}
	if ((rc = env_check_members(hosts, "hosts", host_keys, names, nss)))
		goto out;
	if (json_array_size(hosts) == 0) {
		rc = cal_error_set(CAL_EINVALID, "'hosts' must list at least one host");
		goto out;
	}
	switches = json_object_get(config, "switches");
	if (switches && (rc = env_check_members(switches, "switches", switch_keys, names, nss)))
		goto out;
	pnics = json_object_get(config, "pnic_names");
	if (pnics) {
		if (!json_is_array(pnics)) {
			rc = cal_error_set(CAL_EINVALID, "'pnic_names' must be a list of globs");
			goto out;
		}
		json_array_foreach(pnics, i, v) {
			if (!json_is_string(v) || !*json_string_value(v)) {
				rc = cal_error_set(CAL_EINVALID,
						   "'pnic_names'[%zu] must be a non-empty string", i);
				goto out;
			}
		}
	}
	if (json_object_get(config, "openstack") &&
	    (rc = cal_openstack_config_check(json_object_get(config, "openstack"))))
		goto out;
	rc = 0;
out:
	json_decref(names);
	json_decref(nss);
	return rc;
}

json_t *cal_env_config_default(const char *env_name)
{
	char hn[256] = "localhost";
	json_t *c;

	gethostname(hn, sizeof(hn) - 1);
	hn[sizeof(hn) - 1] = '\0';
	/* Hostnames may hold characters our ids avoid; keep the safe part. */
	for (char *p = hn; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			*p = '-';
	c = json_pack("{s:s, s:[{s:s, s:s}]}", "name", env_name, "hosts", "name", hn, "netns",
		      "");
	return c;
}
