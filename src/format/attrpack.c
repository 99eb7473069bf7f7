/* Name and attribute payloads (see attrpack.h). */
#include "attrpack.h"

#include <string.h>

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
		uint8_t type = (uint8_t)a->type;
		bool ok = put_bytes(buf, cap, &len, &type, 1) && put_text(buf, cap, &len, a->key, TS_KEY_MAX);
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
		const char *key = get_text(p, len, &at);
		if (!key)
			break;
		struct ts_attr a = {.key = key, .dynkey = 1};
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
