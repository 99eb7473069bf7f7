/* The sender module (libtraceshim-otlp-send.so, see sender.h): libcurl's
 * set-up, the HTTP sender of send.c and the agent's relay, for the OTLP
 * module to call. */
#include "sender.h"

#include "log.h"
#include "relay.h"

#include <curl/curl.h>
#include <dlfcn.h>

#define TS_MODULE_ENTRY __attribute__((visibility("default")))

/* OpenSSL cleans itself up in an atexit handler, which runs before the
 * shim's exit flush: ask it not to, when libcurl uses it. */
static void keep_tls_until_exit(void)
{
	void *crypto = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_NOLOAD);
	if (!crypto)
		return;
	int (*init)(uint64_t, const void *) = (int (*)(uint64_t, const void *))dlsym(
		crypto, "OPENSSL_init_crypto");
	if (init)
		init(0x00080000L /* OPENSSL_INIT_NO_ATEXIT */, NULL);
	dlclose(crypto);
}

static bool sender_init(int log_level)
{
	ts_log_level = log_level;
	keep_tls_until_exit();
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

static const struct ts_otlp_send_ops ops = {
	.abi = TS_OTLP_SEND_ABI,
	.env_size = sizeof(struct ts_otel_env),
	.init = sender_init,
	.sender_new = ts_otlp_sender_new,
	.send = ts_otlp_send,
	.relay = ts_relay_main,
};

TS_MODULE_ENTRY const struct ts_otlp_send_ops *ts_otlp_send_module(void)
{
	return &ops;
}
