/* Name and attribute payloads (see attrpack.h). */
#include "attrpack.h"

#include <stdint.h>
#include <string.h>

const struct ts_known_keys_text ts_known_keys = {
#define TS_KNOWN_INIT(id, text) .index_##id = TS_KEY_##id, .id = text,
	TS_KNOWN_KEYS(TS_KNOWN_INIT)
#undef TS_KNOWN_INIT
};

static const char *const known_by_index[TS_KEY_COUNT] = {
#define TS_KNOWN_PTR(id, text) [TS_KEY_##id] = ts_known_keys.id,
	TS_KNOWN_KEYS(TS_KNOWN_PTR)
#undef TS_KNOWN_PTR
};

/* The index of key when it is one of ts_known_keys, else -1. Compared as
 * integers: the key may point anywhere. */
static int known_index(const char *key)
{
	uintptr_t k = (uintptr_t)key, base = (uintptr_t)&ts_known_keys;
	if (k <= base || k >= base + sizeof ts_known_keys)
		return -1;
	return (unsigned char)key[-1];
}

/* Appends at most max bytes of s and a NUL; false when it does not fit. */
static bool put_text(char *buf, unsigned cap, unsigned *len, const char *s, unsigned max)
{
	size_t n = strnlen(s, max);
	if (*len + n + 1 > cap)
		return false;
	memcpy(buf + *len, s, n);
	buf[*len + n] = 0;
	*len += (unsigned)n + 1;
	return true;
}

static bool put_bytes(char *buf, unsigned cap, unsigned *len, const void *p, unsigned n)
{
	if (*len + n > cap)
		return false;
	memcpy(buf + *len, p, n);
	*len += n;
	return true;
}

unsigned ts_attrs_pack(char *buf, unsigned cap, const char *name, const ts_attribute_t *attrs,
		       size_t nattrs)
{
	unsigned len = 0;
	if (!put_text(buf, cap, &len, name ? name : "", TS_NAME_MAX))
		return 0;
	for (size_t i = 0; attrs && i < nattrs; i++) {
		const ts_attribute_t *a = &attrs[i];
		if (!a->key || !a->key[0] || a->type < TS_ATTRIBUTE_STRING || a->type > TS_ATTRIBUTE_BOOL ||
		    (a->type == TS_ATTRIBUTE_STRING && !a->value.s))
			continue;
		unsigned at = len;
		int known = known_index(a->key);
		uint8_t type = (uint8_t)(a->type | (known >= 0 ? TS_PACK_KNOWN : 0)), index = (uint8_t)known;
		bool ok = put_bytes(buf, cap, &len, &type, 1) &&
			  (known >= 0 ? put_bytes(buf, cap, &len, &index, 1)
				      : put_text(buf, cap, &len, a->key, TS_KEY_MAX));
		switch (a->type) {
		case TS_ATTRIBUTE_STRING:
			ok = ok && put_text(buf, cap, &len, a->value.s, TS_VALUE_MAX);
			break;
		case TS_ATTRIBUTE_INT:
			ok = ok && put_bytes(buf, cap, &len, &a->value.i, 8);
			break;
		case TS_ATTRIBUTE_DOUBLE:
			ok = ok && put_bytes(buf, cap, &len, &a->value.d, 8);
			break;
		default: {
			uint8_t b = a->value.b ? 1 : 0;
			ok = ok && put_bytes(buf, cap, &len, &b, 1);
			break;
		}
		}
		if (!ok) {
			len = at;   /* this one does not fit: the payload ends before it */
			break;
		}
	}
	return len;
}

/* The NUL-terminated text at *at, or NULL when it runs past len. */
static const char *get_text(const uint8_t *p, unsigned len, unsigned *at)
{
	if (*at >= len)
		return NULL;
	const uint8_t *nul = memchr(p + *at, 0, len - *at);
	if (!nul)
		return NULL;
	const char *s = (const char *)p + *at;
	*at = (unsigned)(nul - p) + 1;
	return s;
}

unsigned ts_attrs_unpack(const uint8_t *p, unsigned len, const char **name, struct ts_attr *out,
			 unsigned max)
{
	unsigned at = 0, n = 0;
	*name = get_text(p, len, &at);
	if (!*name) {
		*name = "";
		return 0;
	}
	while (at < len && n < max) {
		uint8_t type = p[at++];
		const char *key;
		bool known = type & TS_PACK_KNOWN;
		type &= (uint8_t)~TS_PACK_KNOWN;
		if (known) {
			if (at >= len || p[at] >= TS_KEY_COUNT)
				break;   /* damaged: keep what came before */
			key = known_by_index[p[at++]];
		} else if (!(key = get_text(p, len, &at))) {
			break;
		}
		struct ts_attr a = {.key = key, .dynkey = !known};
		if (type == TS_ATTRIBUTE_STRING) {
			a.type = TS_VAL_STR;
			if (!(a.v.s = get_text(p, len, &at)))
				break;
		} else if (type == TS_ATTRIBUTE_INT || type == TS_ATTRIBUTE_DOUBLE) {
			if (len - at < 8)
				break;
			a.type = type == TS_ATTRIBUTE_INT ? TS_VAL_INT : TS_VAL_DOUBLE;
			memcpy(type == TS_ATTRIBUTE_INT ? (void *)&a.v.i : (void *)&a.v.d, p + at, 8);
			at += 8;
		} else if (type == TS_ATTRIBUTE_BOOL) {
			if (len - at < 1)
				break;
			a.type = TS_VAL_BOOL;
			a.v.b = p[at++] != 0;
		} else {
			break;   /* damaged: keep what came before */
		}
		out[n++] = a;
	}
	return n;
}
