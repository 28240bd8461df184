/* ratelimit.c - throttling of failed logins, per user name and per client
 * address: after RL_USER_LIMIT failures for a name (RL_ADDR_LIMIT from an
 * address) within RL_WINDOW, further attempts are refused (429) until the
 * window of the first failure has passed, with the right password too.  A
 * success clears the name's failures (not the address's).
 *
 * State is in memory, per server process, in a fixed table: when it is
 * full the oldest entry goes, so a flood of names cannot grow it.  Times
 * are monotonic microseconds.
 */
#include "server/server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RL_SLOTS 1024
#define RL_WINDOW (15 * 60 * 1000000LL)
#define RL_USER_LIMIT 5
#define RL_ADDR_LIMIT 20

struct rl_slot {
	char key[96]; /* "u:NAME" or "a:ADDRESS"; "" = free */
	int failures;
	int64_t first, last;
};

struct srv_ratelimit {
	pthread_mutex_t mu;
	struct rl_slot slot[RL_SLOTS];
};

struct srv_ratelimit *srv_ratelimit_new(void)
{
	struct srv_ratelimit *rl = calloc(1, sizeof(*rl));

	if (rl)
		pthread_mutex_init(&rl->mu, NULL);
	return rl;
}

void srv_ratelimit_free(struct srv_ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->mu);
	free(rl);
}

static struct rl_slot *rl_find(struct srv_ratelimit *rl, const char *key, bool create,
			       int64_t now)
{
	struct rl_slot *oldest = NULL;

	for (int i = 0; i < RL_SLOTS; i++) {
		struct rl_slot *sl = &rl->slot[i];

		if (sl->key[0] && strcmp(sl->key, key) == 0) {
			if (now - sl->first > RL_WINDOW) {
				sl->failures = 0;
				sl->first = now;
			}
			return sl;
		}
		if (!oldest || !sl->key[0] || (oldest->key[0] && sl->last < oldest->last))
			oldest = sl;
	}
	if (!create)
		return NULL;
	snprintf(oldest->key, sizeof(oldest->key), "%s", key);
	oldest->failures = 0;
	oldest->first = oldest->last = now;
	return oldest;
}

static int rl_wait(const struct rl_slot *sl, int limit, int64_t now)
{
	int64_t left;

	if (!sl || sl->failures < limit)
		return 0;
	left = sl->first + RL_WINDOW - now;
	return left > 0 ? (int)(left / 1000000) + 1 : 0;
}

int srv_ratelimit_check(struct srv_ratelimit *rl, const char *user, const char *addr,
			int64_t now)
{
	char key[96];
	int wu, wa;

	pthread_mutex_lock(&rl->mu);
	snprintf(key, sizeof(key), "u:%s", user ? user : "");
	wu = rl_wait(rl_find(rl, key, false, now), RL_USER_LIMIT, now);
	snprintf(key, sizeof(key), "a:%s", addr ? addr : "");
	wa = rl_wait(rl_find(rl, key, false, now), RL_ADDR_LIMIT, now);
	pthread_mutex_unlock(&rl->mu);
	return wu > wa ? wu : wa;
}

void srv_ratelimit_fail(struct srv_ratelimit *rl, const char *user, const char *addr,
			int64_t now)
{
	char key[96];
	struct rl_slot *sl;

	pthread_mutex_lock(&rl->mu);
	snprintf(key, sizeof(key), "u:%s", user ? user : "");
	sl = rl_find(rl, key, true, now);
	sl->failures++;
	sl->last = now;
	snprintf(key, sizeof(key), "a:%s", addr ? addr : "");
	sl = rl_find(rl, key, true, now);
	sl->failures++;
	sl->last = now;
	pthread_mutex_unlock(&rl->mu);
}

void srv_ratelimit_success(struct srv_ratelimit *rl, const char *user)
{
	char key[96];
	struct rl_slot *sl;

	pthread_mutex_lock(&rl->mu);
	snprintf(key, sizeof(key), "u:%s", user ? user : "");
	sl = rl_find(rl, key, false, 0);
	if (sl)
		sl->key[0] = '\0';
	pthread_mutex_unlock(&rl->mu);
}
