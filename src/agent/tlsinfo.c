/* What the error codes of TLS library calls mean (see tlsinfo.h): OpenSSL's
 * SSL_ERROR_ codes and GnuTLS's GNUTLS_E_ codes by name. The codes that ask
 * the caller to try again (the TLS forms of EAGAIN and EINTR), requests the
 * caller handles and a clean close are normal flow, not errors. */
#include "tlsinfo.h"

#include <stddef.h>

static const char *const openssl_names[] = {
	[0] = "SSL_ERROR_NONE",
	[1] = "SSL_ERROR_SSL",
	[2] = "SSL_ERROR_WANT_READ",
	[3] = "SSL_ERROR_WANT_WRITE",
	[4] = "SSL_ERROR_WANT_X509_LOOKUP",
	[5] = "SSL_ERROR_SYSCALL",
	[6] = "SSL_ERROR_ZERO_RETURN",
	[7] = "SSL_ERROR_WANT_CONNECT",
	[8] = "SSL_ERROR_WANT_ACCEPT",
	[9] = "SSL_ERROR_WANT_ASYNC",
	[10] = "SSL_ERROR_WANT_ASYNC_JOB",
	[11] = "SSL_ERROR_WANT_CLIENT_HELLO_CB",
	[12] = "SSL_ERROR_WANT_RETRY_VERIFY",
};
enum { SSL_ERROR_SSL = 1, SSL_ERROR_SYSCALL = 5, SSL_ERROR_ZERO_RETURN = 6 };

struct gnutls_error {
	int code;
	const char *name;
	bool flow;   /* not an error: try again, or a request the caller handles */
};
static const struct gnutls_error gnutls_errors[] = {
	{-7, "GNUTLS_E_LARGE_PACKET", false},
	{-9, "GNUTLS_E_UNEXPECTED_PACKET_LENGTH", false},
	{-10, "GNUTLS_E_INVALID_SESSION", false},
	{-12, "GNUTLS_E_FATAL_ALERT_RECEIVED", false},
	{-15, "GNUTLS_E_UNEXPECTED_PACKET", false},
	{-16, "GNUTLS_E_WARNING_ALERT_RECEIVED", true},
	{-24, "GNUTLS_E_DECRYPTION_FAILED", false},
	{-25, "GNUTLS_E_MEMORY_ERROR", false},
	{-28, "GNUTLS_E_AGAIN", true},
	{-37, "GNUTLS_E_REHANDSHAKE", true},
	{-38, "GNUTLS_E_GOT_APPLICATION_DATA", true},
	{-39, "GNUTLS_E_RECORD_LIMIT_REACHED", false},
	{-50, "GNUTLS_E_INVALID_REQUEST", false},
	{-52, "GNUTLS_E_INTERRUPTED", true},
	{-53, "GNUTLS_E_PUSH_ERROR", false},
	{-54, "GNUTLS_E_PULL_ERROR", false},
	{-59, "GNUTLS_E_INTERNAL_ERROR", false},
	{-110, "GNUTLS_E_PREMATURE_TERMINATION", false},
	{-328, "GNUTLS_E_SESSION_EOF", false},
	{-424, "GNUTLS_E_REAUTH_REQUEST", true},
	{-429, "GNUTLS_E_EARLY_DATA_REJECTED", false},
};
enum { GNUTLS_E_PUSH_ERROR = -53, GNUTLS_E_PULL_ERROR = -54 };

struct ts_tls_error ts_tls_error(bool gnutls, int32_t code)
{
	struct ts_tls_error e = {NULL, false, false};
	if (!gnutls) {
		if (code >= 0 && (size_t)code < sizeof openssl_names / sizeof *openssl_names)
			e.name = openssl_names[code];
		e.flow = code != SSL_ERROR_SSL && code != SSL_ERROR_SYSCALL;
		e.sys = code == SSL_ERROR_SYSCALL;
		return e;
	}
	for (size_t i = 0; i < sizeof gnutls_errors / sizeof *gnutls_errors; i++)
		if (gnutls_errors[i].code == code) {
			e.name = gnutls_errors[i].name;
			e.flow = gnutls_errors[i].flow;
		}
	e.sys = code == GNUTLS_E_PUSH_ERROR || code == GNUTLS_E_PULL_ERROR;
	return e;
}
