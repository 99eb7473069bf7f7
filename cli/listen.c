/* The receiver's listening socket (see listen.h). The port is checked here,
 * not by getaddrinfo, which takes "99999" and binds 99999 mod 65536. */
#include "listen.h"

#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

bool ts_listen_parse(const char *spec, char *host, size_t host_cap, unsigned *port)
{
	const char *colon, *h = spec;
	size_t hlen;
	if (*spec == '[') {
		const char *close = strchr(spec, ']');
		if (!close || close[1] != ':')
			return false;
		h = spec + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || memchr(spec, ':', (size_t)(colon - spec)))
			return false;   /* a bare IPv6 address needs brackets */
		hlen = (size_t)(colon - spec);
	}
	if (!hlen || hlen >= host_cap)
		return false;
	const char *d = colon + 1;
	unsigned long v = 0;
	size_t digits = strspn(d, "0123456789");
	if (!digits || d[digits] || digits > 5)
		return false;
	for (size_t i = 0; i < digits; i++)
		v = v * 10 + (unsigned long)(d[i] - '0');
	if (v < 1 || v > 65535)
		return false;
	memcpy(host, h, hlen);
	host[hlen] = 0;
	*port = (unsigned)v;
	return true;
}

int ts_listen_open(const char *spec, int backlog, bool *bad_spec)
{
	char host[256], service[8];
	unsigned port;
	*bad_spec = !ts_listen_parse(spec, host, sizeof host, &port);
	if (*bad_spec) {
		fprintf(stderr, "traceshim collect: --listen wants HOST:PORT with a port in 1..65535 "
			"([ADDRESS]:PORT for IPv6), not '%s'\n", spec);
		return -1;
	}
	snprintf(service, sizeof service, "%u", port);
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV}, *ai;
	int rc = getaddrinfo(host, service, &hints, &ai);
	if (rc) {
		fprintf(stderr, "traceshim collect: cannot listen on '%s': %s\n", spec, gai_strerror(rc));
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, backlog)) {
		fprintf(stderr, "traceshim collect: cannot listen on '%s': %s\n", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}
