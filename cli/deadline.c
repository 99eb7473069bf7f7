/* Request deadlines (see deadline.h): a list of watched connections under a
 * lock, and a thread that looks at it twice a second. A connection past its
 * deadline gets shutdown(): its reads then fail and libmicrohttpd closes it
 * the usual way. The lock is held from the check to the shutdown, and a
 * connection leaves the list before its socket is closed, so the descriptor
 * shut down is always still that connection's. */
#include "deadline.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

struct ts_watched {
	int fd;
	bool receiving;
	struct timespec since;
	struct ts_watched *prev, *next;
};

struct ts_deadlines {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool stopping;
	unsigned limit_s;
	struct ts_watched *list;
};

static struct timespec now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t;
}

static void *watch(void *arg)
{
	struct ts_deadlines *d = arg;
	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		struct timespec t = now();
		for (struct ts_watched *w = d->list; w; w = w->next)
			if (w->receiving && t.tv_sec - w->since.tv_sec > (time_t)d->limit_s) {
				shutdown(w->fd, SHUT_RDWR);
				w->receiving = false;
			}
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 500000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&d->wake, &d->lock, &until);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

struct ts_deadlines *ts_deadlines_start(unsigned limit_s)
{
	struct ts_deadlines *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->wake, NULL);
	d->limit_s = limit_s;
	if (pthread_create(&d->thread, NULL, watch, d)) {
		free(d);
		return NULL;
	}
	return d;
}

void ts_deadlines_stop(struct ts_deadlines *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = true;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	while (d->list) {
		struct ts_watched *w = d->list;
		d->list = w->next;
		free(w);
	}
	free(d);
}

struct ts_watched *ts_deadlines_add(struct ts_deadlines *d, int fd)
{
	struct ts_watched *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;   /* unwatched: the inactivity timeout still holds */
	w->fd = fd;
	w->receiving = true;
	w->since = now();
	pthread_mutex_lock(&d->lock);
	w->next = d->list;
	if (d->list)
		d->list->prev = w;
	d->list = w;
	pthread_mutex_unlock(&d->lock);
	return w;
}

void ts_deadlines_arrived(struct ts_deadlines *d, struct ts_watched *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&d->lock);
	w->receiving = false;
	pthread_mutex_unlock(&d->lock);
}

void ts_deadlines_answered(struct ts_deadlines *d, struct ts_watched *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&d->lock);
	w->receiving = true;
	w->since = now();
	pthread_mutex_unlock(&d->lock);
}

void ts_deadlines_remove(struct ts_deadlines *d, struct ts_watched *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&d->lock);
	if (w->prev)
		w->prev->next = w->next;
	else
		d->list = w->next;
	if (w->next)
		w->next->prev = w->prev;
	pthread_mutex_unlock(&d->lock);
	free(w);
}
