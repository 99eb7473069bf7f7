/* The peers of connected and accepted sockets, by descriptor (see
 * ts_http_peer in httpconn.h): written by the connect or accept wrapper,
 * read when an HTTP span ends, since the agent may read the accept only
 * after the descriptor number has been reused many times. Runs in the
 * program's threads: no allocation, no lock, no system call. */
#include "httpconn_int.h"

#include "large.h"
#include "vforkstate.h"

#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>

struct peer {
	_Atomic uint32_t gen;
	uint8_t len;
	uint8_t addr[TS_HTTP_PEER_MAX];
};
static TS_LARGE struct peer peers[TS_FDGEN_MAX];

void ts_http_peer(int fd, uint64_t state, const struct sockaddr *sa, unsigned len)
{
	if ((unsigned)fd >= TS_FDGEN_MAX || !sa || ts_vfork_child() ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return;
	struct peer *p = &peers[fd];
	atomic_store_explicit(&p->gen, 0, memory_order_relaxed);   /* being written */
	p->len = (uint8_t)(len < TS_HTTP_PEER_MAX ? len : TS_HTTP_PEER_MAX);
	memcpy(p->addr, sa, p->len);
	atomic_store_explicit(&p->gen, (uint32_t)state, memory_order_release);
}

unsigned ts_http_peer_of(int fd, uint32_t gen, uint8_t out[TS_HTTP_PEER_MAX])
{
	if ((unsigned)fd >= TS_FDGEN_MAX || !gen)
		return 0;
	struct peer *p = &peers[fd];
	if (atomic_load_explicit(&p->gen, memory_order_acquire) != gen)
		return 0;
	unsigned len = p->len;
	memcpy(out, p->addr, len);
	return atomic_load_explicit(&p->gen, memory_order_acquire) == gen ? len : 0;
}

