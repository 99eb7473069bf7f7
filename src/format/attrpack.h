/* The program's span names and attributes as record payload: packed on the
 * calling thread (no allocation), unpacked by the drainer.
 *
 *   name NUL, then per attribute: type byte, key NUL, value
 *   (int and double: 8 bytes; bool: 1 byte; string: text NUL).
 *
 * A key of ts_known_keys (the ones the shim writes on every HTTP span) is
 * one byte instead: the type byte has TS_PACK_KNOWN set and the key's index
 * follows. It costs no strlen and no copy on the program's thread, and the
 * drainer gets the key as a constant, which encoders keep by address.
 *
 * Text is cut to the limits below; attributes that no longer fit are left
 * out. */
#ifndef TS_ATTRPACK_H
#define TS_ATTRPACK_H

#include "ring.h"
#include "span.h"
#include "traceshim.h"

#include <stdbool.h>
#include <stddef.h>

#define TS_PACK_MAX (TS_PAYLOAD_MAX_SLOTS * TS_REC_SIZE)
#define TS_NAME_MAX 127
#define TS_KEY_MAX 63
#define TS_VALUE_MAX 255

#define TS_PACK_KNOWN 0x40

#define TS_KNOWN_KEYS(X)                                                   \
	X(HTTP_METHOD, "http.request.method")                              \
	X(HTTP_METHOD_ORIGINAL, "http.request.method_original")            \
	X(HTTP_STATUS_CODE, "http.response.status_code")                   \
	X(URL_FULL, "url.full")                                            \
	X(URL_PATH, "url.path")                                            \
	X(URL_QUERY, "url.query")                                          \
	X(URL_SCHEME, "url.scheme")                                        \
	X(SERVER_ADDRESS, "server.address")                                \
	X(SERVER_PORT, "server.port")                                      \
	X(PROTOCOL_VERSION, "network.protocol.version")                    \
	X(USER_AGENT, "user_agent.original")                               \
	X(ERROR_TYPE, "error.type")                                        \
	X(REMOTE_PARENT, TS_REMOTE_PARENT_KEY)                             \
	X(HTTP_TRACEPARENT, "traceshim.http.traceparent")

enum ts_known_key {
#define TS_KNOWN_ENUM(id, text) TS_KEY_##id,
	TS_KNOWN_KEYS(TS_KNOWN_ENUM)
#undef TS_KNOWN_ENUM
	TS_KEY_COUNT
};

/* The known keys' text, each preceded by its index: ts_known_keys.URL_PATH
 * is "url.path", a key ts_attrs_pack recognises by its address. */
struct ts_known_keys_text {
#define TS_KNOWN_FIELD(id, text) char index_##id; char id[sizeof text];
	TS_KNOWN_KEYS(TS_KNOWN_FIELD)
#undef TS_KNOWN_FIELD
};
extern const struct ts_known_keys_text ts_known_keys;

/* Packs name and attrs into buf (cap bytes); returns the length used. */
unsigned ts_attrs_pack(char *buf, unsigned cap, const char *name, const ts_attribute_t *attrs,
		       size_t nattrs);

/* Unpacks len bytes: *name, and up to max attributes into out (keys and
 * string values point into p; keys are marked dynkey). Returns the number
 * of attributes; *name is "" when the payload is damaged. */
unsigned ts_attrs_unpack(const uint8_t *p, unsigned len, const char **name, struct ts_attr *out,
			 unsigned max);

#endif
