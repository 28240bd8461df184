/* search.c - finding objects by what an operator remembers of them
 * (cal_search): a name, an id, a MAC, an IP, a CIDR, any attribute value.
 *
 * Ranking, best first: the exact id or name; another field equal to the
 * text (a MAC, an address), or a network whose CIDR holds the IP; an id
 * or name starting with the text; another field starting with it; an id
 * or name containing it; another field containing it.  Ties go by type,
 * then name.  Each object appears once, with its best match.
 *
 * Tiers, each one query on the index (search_index.c), the later ones only
 * while the limit is not reached: exact values (an equality on the term
 * b-tree), CIDRs holding an IP (a few rows, checked here), prefixes (a
 * range scan of the term b-tree), substrings (a LIKE '%TEXT%' the trigram
 * index answers: FTS5 on SQLite, pg_trgm on PostgreSQL, checked here since
 * LIKE's own wildcards in TEXT would match more).  Which field matched is
 * read from the haystacks of the hits kept, at the end.  The text is
 * lowercased like the index (case-insensitive).
 */
#include "analyze/analyze_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define SE_SCAN_MAX 2000 /* candidate rows read per tier at most */

enum se_rank {
	SE_EXACT_KEY = 0,
	SE_EXACT,
	SE_PREFIX_KEY,
	SE_PREFIX,
	SE_SUBSTR_KEY,
	SE_SUBSTR,
};

static const char *const se_match[] = { "exact", "exact", "prefix", "prefix", "substring",
					"substring" };

struct se_ctx {
	cal_store *st;
	const char *env;
	const char *q;       /* folded text */
	const char *type;
	json_t *hits;        /* object id -> hit */
	int limit;
};

/* Keeps the better of two hits for one object.  `field`/`value` are known
 * for CIDR hits; the others get them at the end (se_describe). */
static int se_hit(struct se_ctx *x, const char *id, const char *type, const char *name,
		  const char *name_path, int rank, const char *match, const char *field,
		  const char *value)
{
	json_t *old = json_object_get(x->hits, id), *h;

	if (old && cal_json_int(old, "rank", 99) <= rank)
		return 0;
	h = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s}", "id", id, "type",
		      type ? type : "", "name", name ? name : "", "name_path",
		      name_path ? name_path : "", "match", match, "rank", rank, "environment",
		      x->env, "field", field ? field : "", "value", value ? value : "");
	if (!h || json_object_set_new(x->hits, id, h))
		return cal_error_set(CAL_ENOMEM, "out of memory");
	return 0;
}

static const char *se_type_clause(const struct se_ctx *x)
{
	return x->type ? " AND o.type = ?" : "";
}

/* Exact (prefix false) or prefix matches on the term b-tree. */
static int se_terms(struct se_ctx *x, bool prefix)
{
	char sql[600], *hi = NULL;
	cal_store_stmt *s = NULL;
	int rc, p = 1;

	snprintf(sql, sizeof(sql),
		 "SELECT t.object_id, t.is_key, o.type, o.name, o.name_path FROM search_terms t "
		 "JOIN search_objects o ON o.env = t.env AND o.object_id = t.object_id "
		 "WHERE t.env = ? AND %s%s LIMIT %d",
		 prefix ? "t.term > ? AND t.term < ?" : "t.term = ?", se_type_clause(x),
		 SE_SCAN_MAX);
	if (prefix) {
		/* Past every text starting with q: q + U+10FFFF. */
		hi = cal_strdup_printf("%s\xf4\x8f\xbf\xbf", x->q);
		if (!hi)
			return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	rc = cal_store_sql_prepare(x->st, &s, sql);
	if (rc == 0)
		rc = cal_store_sql_bind_text(s, p++, x->env);
	if (rc == 0)
		rc = cal_store_sql_bind_text(s, p++, x->q);
	if (rc == 0 && prefix)
		rc = cal_store_sql_bind_text(s, p++, hi);
	if (rc == 0 && x->type)
		rc = cal_store_sql_bind_text(s, p++, x->type);
	while (rc == 0 && (rc = cal_store_sql_step(s)) == CAL_STORE_ROW) {
		bool key = cal_store_sql_int64(s, 1) != 0;
		int rank = prefix ? (key ? SE_PREFIX_KEY : SE_PREFIX) : (key ? SE_EXACT_KEY : SE_EXACT);

		rc = se_hit(x, cal_store_sql_text(s, 0), cal_store_sql_text(s, 2),
			    cal_store_sql_text(s, 3), cal_store_sql_text(s, 4), rank, se_match[rank],
			    NULL, NULL);
	}
	cal_store_sql_reset(s);
	free(hi);
	return rc < 0 ? rc : 0;
}

/* Where in `hay` ("\nv1\nv2\n...") the rank's kind of match is, or NULL. */
static const char *se_find(const char *hay, const char *q, int rank)
{
	size_t n = strlen(q);

	for (const char *p = strstr(hay, q); p; p = strstr(p + 1, q)) {
		bool starts = p > hay && p[-1] == '\n';
		bool ends = p[n] == '\n';

		if (rank >= SE_SUBSTR_KEY || (rank >= SE_PREFIX_KEY && starts) || (starts && ends))
			return p;
	}
	return NULL;
}

/* Line number (0 = the id) of the match at `at`. */
static int se_line_no(const char *hay, const char *at)
{
	int line = -1;

	for (const char *p = hay; p < at; p++)
		if (*p == '\n')
			line++;
	return line;
}

static void se_line_text(const char *text, int line, char *out, size_t n)
{
	const char *p = text, *e;

	out[0] = '\0';
	/* text starts with "\n": line k follows the (k+1)th newline. */
	for (int i = 0; i <= line && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return;
	e = strchr(p, '\n');
	snprintf(out, n, "%.*s", (int)(e ? e - p : (long)strlen(p)), p);
}

static int se_substrings(struct se_ctx *x)
{
	char sql[600], *pattern;
	cal_store_stmt *s = NULL;
	int rc, p = 1;

	pattern = cal_strdup_printf("%%%s%%", x->q);
	if (!pattern)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	if (cal_store_is_postgres(x->st))
		snprintf(sql, sizeof(sql),
			 "SELECT o.object_id, o.type, o.name, o.name_path, o.haystack "
			 "FROM search_objects o WHERE o.haystack LIKE ? AND o.env = ?%s LIMIT %d",
			 se_type_clause(x), SE_SCAN_MAX);
	else
		/* CROSS JOIN: the FTS index first, then the rows it names. */
		snprintf(sql, sizeof(sql),
			 "SELECT o.object_id, o.type, o.name, o.name_path, o.haystack "
			 "FROM search_fts f CROSS JOIN search_objects o ON o.id = f.rowid "
			 "WHERE f.haystack LIKE ? AND o.env = ?%s LIMIT %d",
			 se_type_clause(x), SE_SCAN_MAX);
	rc = cal_store_sql_prepare(x->st, &s, sql);
	if (rc == 0)
		rc = cal_store_sql_bind_text(s, p++, pattern);
	if (rc == 0)
		rc = cal_store_sql_bind_text(s, p++, x->env);
	if (rc == 0 && x->type)
		rc = cal_store_sql_bind_text(s, p++, x->type);
	while (rc == 0 && (rc = cal_store_sql_step(s)) == CAL_STORE_ROW) {
		const char *hay = cal_store_sql_text(s, 4), *at;

		rc = 0;
		at = hay ? se_find(hay, x->q, SE_SUBSTR) : NULL;
		if (!at)
			continue;
		rc = se_hit(x, cal_store_sql_text(s, 0), cal_store_sql_text(s, 1),
			    cal_store_sql_text(s, 2), cal_store_sql_text(s, 3),
			    se_line_no(hay, at) <= 1 ? SE_SUBSTR_KEY : SE_SUBSTR,
			    "substring", NULL, NULL);
	}
	cal_store_sql_reset(s);
	free(pattern);
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------ */
/* An IP inside a network's CIDR                                       */
/* ------------------------------------------------------------------ */

struct se_ip {
	int family;
	unsigned char b[16];
};

static bool se_parse_ip(const char *s, struct se_ip *out)
{
	if (inet_pton(AF_INET, s, out->b) == 1) {
		out->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, out->b) == 1) {
		out->family = AF_INET6;
		return true;
	}
	return false;
}

static bool se_cidr_holds(const char *cidr, const struct se_ip *ip)
{
	char addr[64];
	const char *slash = strchr(cidr, '/');
	struct se_ip net;
	int bits, max;

	if (!slash || (size_t)(slash - cidr) >= sizeof(addr))
		return false;
	memcpy(addr, cidr, (size_t)(slash - cidr));
	addr[slash - cidr] = '\0';
	if (!se_parse_ip(addr, &net) || net.family != ip->family)
		return false;
	bits = atoi(slash + 1);
	max = ip->family == AF_INET ? 32 : 128;
	if (bits < 0 || bits > max)
		return false;
	for (int i = 0; i < bits / 8; i++)
		if (net.b[i] != ip->b[i])
			return false;
	if (bits % 8) {
		unsigned char mask = (unsigned char)(0xff << (8 - bits % 8));

		if ((net.b[bits / 8] & mask) != (ip->b[bits / 8] & mask))
			return false;
	}
	return true;
}

static int se_cidrs(struct se_ctx *x)
{
	char sql[512];
	struct se_ip ip;
	cal_store_stmt *s = NULL;
	int rc, p = 1;

	if (!se_parse_ip(x->q, &ip))
		return 0;
	snprintf(sql, sizeof(sql),
		 "SELECT c.object_id, c.field, c.cidr, o.type, o.name, o.name_path FROM search_cidrs "
		 "c JOIN search_objects o ON o.env = c.env AND o.object_id = c.object_id "
		 "WHERE c.env = ?%s", se_type_clause(x));
	rc = cal_store_sql_prepare(x->st, &s, sql);
	if (rc == 0)
		rc = cal_store_sql_bind_text(s, p++, x->env);
	if (rc == 0 && x->type)
		rc = cal_store_sql_bind_text(s, p++, x->type);
	while (rc == 0 && (rc = cal_store_sql_step(s)) == CAL_STORE_ROW) {
		rc = 0;
		if (!se_cidr_holds(cal_store_sql_text(s, 2), &ip))
			continue;
		rc = se_hit(x, cal_store_sql_text(s, 0), cal_store_sql_text(s, 3),
			    cal_store_sql_text(s, 4), cal_store_sql_text(s, 5), SE_EXACT, "cidr",
			    cal_store_sql_text(s, 1), cal_store_sql_text(s, 2));
	}
	cal_store_sql_reset(s);
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------ */

/* Which field matched and its value, for the hits kept (batched reads of
 * their haystacks). */
static int se_describe(struct se_ctx *x, json_t *const *v, size_t n)
{
	int rc = 0;

	for (size_t first = 0; rc == 0 && first < n; first += 64) {
		size_t k = n - first < 64 ? n - first : 64;
		struct cal_buf sql = { 0 };
		cal_store_stmt *s = NULL;
		json_t *byid = json_object();

		cal_buf_str(&sql, "SELECT object_id, haystack, fields FROM search_objects WHERE "
				  "env = ? AND object_id IN (");
		for (size_t i = 0; i < 64; i++)
			cal_buf_str(&sql, i ? ", ?" : "?");
		cal_buf_str(&sql, ")");
		if (sql.oom || !byid) {
			cal_buf_free(&sql);
			json_decref(byid);
			return cal_error_set(CAL_ENOMEM, "out of memory");
		}
		for (size_t i = 0; i < k; i++)
			json_object_set(byid, cal_json_str(v[first + i], "id"), v[first + i]);
		rc = cal_store_sql_prepare(x->st, &s, sql.s);
		cal_buf_free(&sql);
		if (rc == 0)
			rc = cal_store_sql_bind_text(s, 1, x->env);
		/* Padding repeats the last id: one statement text for all. */
		for (size_t i = 0; rc == 0 && i < 64; i++)
			rc = cal_store_sql_bind_text(s, (int)i + 2,
						     cal_json_str(v[first + (i < k ? i : k - 1)], "id"));
		while (rc == 0 && (rc = cal_store_sql_step(s)) == CAL_STORE_ROW) {
			json_t *h = json_object_get(byid, cal_store_sql_text(s, 0));
			const char *hay = cal_store_sql_text(s, 1), *at;
			char field[256], value[256];
			int line;

			rc = 0;
			if (!h || !hay || *cal_json_str(h, "field"))
				continue;
			at = se_find(hay, x->q, (int)cal_json_int(h, "rank", SE_SUBSTR));
			if (!at)
				continue;
			line = se_line_no(hay, at);
			se_line_text(hay, line, value, sizeof(value));
			se_line_text(cal_store_sql_text(s, 2), line, field, sizeof(field));
			json_object_set_new(h, "field", json_string(field));
			json_object_set_new(h, "value", json_string(value));
		}
		cal_store_sql_reset(s);
		json_decref(byid);
		if (rc > 0)
			rc = 0;
	}
	return rc;
}

static int se_cmp(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t rx = cal_json_int(x, "rank", 99), ry = cal_json_int(y, "rank", 99);
	int c;

	if (rx != ry)
		return rx < ry ? -1 : 1;
	c = strcmp(cal_json_str(x, "type"), cal_json_str(y, "type"));
	if (c)
		return c;
	c = strcmp(cal_json_str(x, "name"), cal_json_str(y, "name"));
	return c ? c : strcmp(cal_json_str(x, "id"), cal_json_str(y, "id"));
}

/* The hits of one environment, best first, at most `limit`: *out. */
static int se_env(struct se_ctx *x, json_t *out)
{
	json_t **v = NULL, *h;
	const char *k;
	size_t n, i = 0;
	int rc = se_terms(x, false);

	if (rc == 0)
		rc = se_cidrs(x);
	if (rc == 0 && (int)json_object_size(x->hits) < x->limit)
		rc = se_terms(x, true);
	if (rc == 0 && (int)json_object_size(x->hits) < x->limit)
		rc = se_substrings(x);
	if (rc)
		return rc;
	n = json_object_size(x->hits);
	v = malloc((n + 1) * sizeof(*v));
	if (!v)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	json_object_foreach(x->hits, k, h)
		v[i++] = h;
	if (n > 1)
		qsort(v, n, sizeof(*v), se_cmp);
	if (n > (size_t)x->limit)
		n = (size_t)x->limit;
	rc = se_describe(x, v, n);
	for (i = 0; rc == 0 && i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return rc;
}

int cal_search(cal_store *st, json_t **out, const char *env, const char *text,
	       const struct cal_search_opts *opts)
{
	struct se_ctx x = { .st = st };
	json_t *envs = NULL, *res = NULL, *all = NULL, *e;
	json_t **v = NULL;
	char *folded = NULL, *trimmed = NULL;
	size_t n, i;
	int rc = 0;

	*out = NULL;
	if (!text)
		text = "";
	while (*text == ' ' || *text == '\t')
		text++;
	trimmed = strdup(text);
	if (!trimmed)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	for (size_t l = strlen(trimmed); l > 0 && (trimmed[l - 1] == ' ' || trimmed[l - 1] == '\t' ||
						   trimmed[l - 1] == '\n');)
		trimmed[--l] = '\0';
	if (!*trimmed) {
		free(trimmed);
		return cal_error_set(CAL_EINVALID, "nothing to search for");
	}
	folded = an_search_fold(trimmed);
	free(trimmed);
	if (!folded)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	if (opts && opts->type && cal_type_from_name(opts->type) == CAL_T_UNKNOWN) {
		rc = cal_error_set(CAL_EINVALID, "unknown object type '%s'", opts->type);
		goto out;
	}
	x.q = folded;
	x.type = opts ? opts->type : NULL;
	x.limit = opts && opts->limit > 0 ? opts->limit : 50;
	if (env && *env) {
		envs = json_pack("[{s:s}]", "name", env);
	} else {
		rc = cal_store_env_list(st, &envs);
		if (rc)
			goto out;
	}
	all = json_array();
	if (!envs || !all) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(envs, i, e) {
		x.env = cal_json_str(e, "name");
		x.hits = json_object();
		if (!x.hits) {
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
			goto out;
		}
		rc = se_env(&x, all);
		json_decref(x.hits);
		x.hits = NULL;
		if (rc)
			goto out;
	}
	/* Several environments: their best hits together, best first. */
	n = json_array_size(all);
	v = malloc((n + 1) * sizeof(*v));
	res = json_array();
	if (!v || !res) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		v[i] = json_array_get(all, i);
	if (n > 1)
		qsort(v, n, sizeof(*v), se_cmp);
	for (i = 0; i < n && (int)i < x.limit; i++)
		json_array_append(res, v[i]);
	*out = res;
	res = NULL;
out:
	free(v);
	free(folded);
	json_decref(res);
	json_decref(all);
	json_decref(envs);
	return rc;
}
