/* cq_store_fixture.h - the store fixture of the clique, search and impact
 * tests (test_clique.c, test_search.c, test_impact.c): store_fixture.h
 * with schemas cq_t<pid> and files in /tmp/cq-unit-*, and NEED_STORE(),
 * which skips a PostgreSQL case when no server is configured.
 */
#ifndef CQ_STORE_FIXTURE_H
#define CQ_STORE_FIXTURE_H

#define FX_PREFIX "cq"
#include "store_fixture.h"

#define NEED_STORE()                   \
	struct fx *f = *state;         \
	if (!f || !f->st) {            \
		skip();                \
		return;                \
	}

#endif
