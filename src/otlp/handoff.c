/* The worker's side of the agent's OTLP relay (relay.h): its exporter thread
 * hands each encoded request over instead of posting it. While the process
 * runs it waits for each request's outcome, so the queue bound
 * (OTEL_BSP_MAX_QUEUE_SIZE) and the failed-span count mean what they mean
 * without a relay; once the worker is ending it only hands over: the relay
 * sends on after the worker has exited, within the run's bound. */
#include "relay.h"

#include "clock.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* How long past a request's deadline a reply is still waited for: the relay
 * gives up at the deadline and answers at once. */
#define REPLY_GRACE_MS 1000

static uint32_t sent_seq, replied_seq;
static struct ts_relay_reply last;

static bool write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

bool ts_relay_hello(int fd, const struct ts_otel_env *env, int log_level)
{
	static struct ts_relay_hello h;
	h.log_level = log_level;
	h.env = *env;
	struct ts_relay_msg m = {.type = TS_RELAY_HELLO, .len = sizeof h};
	return write_all(fd, &m, sizeof m) && write_all(fd, &h, sizeof h);
}

void ts_relay_fin(int fd, uint64_t deadline_ms)
{
	struct ts_relay_msg m = {.type = TS_RELAY_FIN, .deadline_ms = deadline_ms};
	(void)write_all(fd, &m, sizeof m);
}

/* Reads the replies that have come, up to the one for seq; waits for it
 * in steps of 50 ms while *stop is 0, until until_ms. True once it came. */
static bool await_reply(int fd, uint32_t seq, const _Atomic uint64_t *stop, uint64_t until_ms)
{
	while (replied_seq < seq) {
		if (atomic_load(stop) || ts_clock_monotonic_ms() >= until_ms)
			return false;
		struct pollfd p = {fd, POLLIN, 0};
		int r = poll(&p, 1, 50);
		if (r < 0 && errno != EINTR)
			return false;
		if (r <= 0)
			continue;
		struct ts_relay_reply rep;
		ssize_t n = recv(fd, &rep, sizeof rep, MSG_WAITALL);
		if (n != (ssize_t)sizeof rep)
			return false;   /* the relay is gone */
		replied_seq = rep.seq;
		last = rep;
	}
	return true;
}

enum ts_relay_outcome ts_relay_post(int fd, const uint8_t *body, size_t len, uint32_t nspans,
				    uint64_t deadline_ms, const _Atomic uint64_t *stop_waiting,
				    struct ts_send_stats *st)
{
	memset(st, 0, sizeof *st);
	struct ts_relay_msg m = {.type = TS_RELAY_DATA, .nspans = nspans,
				 .deadline_ms = deadline_ms, .len = len};
	if (len > TS_RELAY_BODY_MAX || !write_all(fd, &m, sizeof m) || !write_all(fd, body, len))
		return TS_RELAY_FAILED;
	uint32_t seq = ++sent_seq;
	if (!await_reply(fd, seq, stop_waiting, deadline_ms + REPLY_GRACE_MS))
		return atomic_load(stop_waiting) ? TS_RELAY_HANDED : TS_RELAY_FAILED;
	st->attempts = last.attempts;
	st->last_status = last.last_status;
	return last.failed ? TS_RELAY_FAILED : TS_RELAY_SENT;
}
