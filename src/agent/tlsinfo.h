/* Drainer side of TLS library calls (SSL_read, gnutls_record_recv, ...): what
 * a failed one's error code means. */
#ifndef TS_TLSINFO_H
#define TS_TLSINFO_H

#include <stdbool.h>
#include <stdint.h>

struct ts_tls_error {
	const char *name;   /* "SSL_ERROR_WANT_READ", "GNUTLS_E_AGAIN"; NULL: unknown */
	bool flow;          /* not an error: try again, a request, a clean close */
	bool sys;           /* the socket underneath failed: errno tells more */
};

/* code: SSL_get_error()'s answer (OpenSSL) or the GNUTLS_E_ code (gnutls). */
struct ts_tls_error ts_tls_error(bool gnutls, int32_t code);

#endif
