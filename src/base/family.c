/* TRACESHIM_TRACE's words (family.h). */
#include "family.h"

#include <string.h>

unsigned ts_families_off;

static const char *const names[TS_FAM_COUNT] = {
	[TS_FAM_IO] = "io", [TS_FAM_NET] = "net", [TS_FAM_FILE] = "file", [TS_FAM_FS] = "fs",
	[TS_FAM_STDIO] = "stdio", [TS_FAM_PROC] = "proc", [TS_FAM_THREAD] = "thread",
	[TS_FAM_SQLITE] = "sqlite", [TS_FAM_HTTP] = "http", [TS_FAM_API] = "api",
	[TS_FAM_WAIT] = "wait",
};

const char *ts_family_name(unsigned fam)
{
	return fam < TS_FAM_COUNT ? names[fam] : NULL;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The families a word names (without its '-'), or 0. */
static unsigned named(const char *w, size_t n)
{
	if (n == 3 && !memcmp(w, "all", 3))
		return TS_FAM_ALL;
	for (unsigned f = 0; f < TS_FAM_COUNT; f++)
		if (strlen(names[f]) == n && !memcmp(names[f], w, n))
			return TS_FAM_BIT(f);
	return 0;
}

bool ts_families_parse(const char *s, unsigned *set, const char **bad, size_t *bad_len)
{
	unsigned on = 0;
	bool first = true;
	for (const char *p = s;;) {
		while (blank(*p))
			p++;
		const char *w = p;
		while (*p && *p != ',')
			p++;
		size_t n = (size_t)(p - w);
		while (n && blank(w[n - 1]))
			n--;
		bool minus = n && w[0] == '-';
		unsigned fams = named(w + minus, n - minus);
		if (!fams) {
			*bad = w;
			*bad_len = n;
			return false;
		}
		if (first && minus)
			on = TS_FAM_ALL;
		on = minus ? on & ~fams : on | fams;
		first = false;
		if (!*p)
			break;
		p++;
	}
	*set = on | TS_FAM_KEPT;
	return true;
}
