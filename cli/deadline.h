/* Request deadlines for the OTLP receiver. libmicrohttpd closes a connection
 * that stays silent for its timeout, but not one that trickles a byte now
 * and then; this gives each request a bound on the time it takes to arrive
 * whole, from the connection's start or the end of its previous request. */
#ifndef TS_DEADLINE_H
#define TS_DEADLINE_H

struct ts_deadlines;
struct ts_watched;

/* Starts the thread that shuts down connections past limit_s seconds. */
struct ts_deadlines *ts_deadlines_start(unsigned limit_s);
void ts_deadlines_stop(struct ts_deadlines *d);

/* A connection (its socket) starts: its first request's clock runs. */
struct ts_watched *ts_deadlines_add(struct ts_deadlines *d, int fd);
/* Its request has arrived whole (no bound while it is served), or has been
 * answered (the next request's clock runs). */
void ts_deadlines_arrived(struct ts_deadlines *d, struct ts_watched *w);
void ts_deadlines_answered(struct ts_deadlines *d, struct ts_watched *w);
/* The connection is closed (before its socket is). */
void ts_deadlines_remove(struct ts_deadlines *d, struct ts_watched *w);

#endif
