/* defer.c - slow requests off the HTTP threads.  A handler that would
 * block (Argon2id hashing of a login, connection tests that wait for
 * OVSDB or libvirt) calls srv_defer(); http.c then suspends the connection
 * and hands the request here; a worker runs the function with its own
 * store, and resumes the connection, whose answer libmicrohttpd then sends.
 *
 * Shutdown: srv_defer_free() refuses new work (the request is answered
 * 503 by http.c), runs what is queued, and joins the workers.
 */
#include "server/server_int.h"
#include "server/mhd_dl.h"

#include <stdlib.h>

struct srv_defer_job {
	struct srv_req *r;
	struct srv_defer_job *next;
};

struct srv_defer {
	struct srv *s;
	pthread_t *th;
	int nth;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct srv_defer_job *head, *tail;
	bool stop;
};

void srv_defer(struct srv_req *r, srv_handler_fn fn)
{
	r->deferred = true;
	r->deferred_fn = fn;
}

static void *df_main(void *arg)
{
	struct srv_defer *d = arg;

	for (;;) {
		struct srv_defer_job *j;
		struct srv_req *r;

		pthread_mutex_lock(&d->mu);
		while (!d->head && !d->stop)
			pthread_cond_wait(&d->cv, &d->mu);
		j = d->head;
		if (!j) {
			pthread_mutex_unlock(&d->mu);
			return NULL;
		}
		d->head = j->next;
		if (!d->head)
			d->tail = NULL;
		pthread_mutex_unlock(&d->mu);
		r = j->r;
		free(j);
		r->st = srv_store(d->s);
		if (!r->st)
			srv_reply_error(r, 503, "the database is not available: %s",
					cal_error_last());
		else
			r->deferred_fn(r);
		if (!r->answered)
			srv_reply_error(r, 500, "the request gave no answer");
		r->deferred_done = true;
		srv_mhd()->resume_connection(r->conn);
	}
}

bool srv_defer_submit(struct srv_req *r)
{
	struct srv_defer *d = r->srv->defer;
	struct srv_defer_job *j = calloc(1, sizeof(*j));

	if (!j)
		return false;
	j->r = r;
	pthread_mutex_lock(&d->mu);
	if (d->stop) {
		pthread_mutex_unlock(&d->mu);
		free(j);
		return false;
	}
	/* Suspended under the lock: no worker can resume it before. */
	srv_mhd()->suspend_connection(r->conn);
	if (d->tail)
		d->tail->next = j;
	else
		d->head = j;
	d->tail = j;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
	return true;
}

struct srv_defer *srv_defer_new(struct srv *s, int nthreads)
{
	struct srv_defer *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->s = s;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	d->th = calloc((size_t)nthreads, sizeof(*d->th));
	if (!d->th) {
		srv_defer_free(d);
		return NULL;
	}
	for (int i = 0; i < nthreads; i++) {
		if (pthread_create(&d->th[i], NULL, df_main, d)) {
			srv_defer_free(d);
			return NULL;
		}
		d->nth++;
	}
	return d;
}

void srv_defer_stop(struct srv_defer *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->stop = true;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	for (int i = 0; i < d->nth; i++)
		pthread_join(d->th[i], NULL);
	d->nth = 0;
}

void srv_defer_free(struct srv_defer *d)
{
	if (!d)
		return;
	srv_defer_stop(d);
	free(d->th);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->cv);
	free(d);
}
