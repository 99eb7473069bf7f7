/* Drainer side of TLS library calls (SSL_read, gnutls_record_recv, ...): what
 * a failed one's error code means. */
#ifndef TS_TLSINFO_H
#define TS_TLSINFO_H

#include "span.h"

#include <stdbool.h>
#include <stdint.h>

/* Attributes and status of a failed call: code is SSL_get_error()'s answer
 * (OpenSSL) or the GNUTLS_E_ code (gnutls), err the errno at the failure. */
void ts_tlsinfo_decode(bool gnutls, int32_t code, int err, struct ts_span *s);

#endif
