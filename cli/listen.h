/* --listen HOST:PORT for traceshim collect: parsed strictly (a port in
 * 1..65535, written in decimal; [v6]:PORT for IPv6) and bound. */
#ifndef TS_LISTEN_H
#define TS_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

/* Splits spec into host (NUL-terminated, without brackets) and port; false
 * when it is not HOST:PORT with a valid port. */
bool ts_listen_parse(const char *spec, char *host, size_t host_cap, unsigned *port);
/* A listening TCP socket for spec, or -1 after saying why on stderr. *bad_spec
 * tells a malformed spec from a failure to bind. */
int ts_listen_open(const char *spec, int backlog, bool *bad_spec);

#endif
