/* Retry policy for OTLP/HTTP exports (see retry.h). */
#include "retry.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

bool ts_otlp_retryable(long status)
{
	return status == 0 || status == 429 || status == 502 || status == 503 || status == 504;
}

long ts_retry_after_ms(const char *value, time_t now)
{
	if (!value)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	if (isdigit((unsigned char)*value)) {
		char *end;
		unsigned long secs = strtoul(value, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		if (*end || secs > 86400ul * 7)
			return -1;
		return (long)secs * 1000;
	}
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end)
		return -1;
	while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
		end++;
	if (*end)
		return -1;
	time_t at = timegm(&tm);
	if (at == (time_t)-1)
		return -1;
	if (at <= now)
		return 0;
	if (at - now > 86400 * 7)
		return -1;
	return (long)(at - now) * 1000;
}

unsigned ts_backoff_ms(unsigned attempt, unsigned base_ms, unsigned cap_ms, uint64_t rnd)
{
	uint64_t d = base_ms;
	for (unsigned i = 0; i < attempt && d < cap_ms; i++)
		d *= 2;
	if (d > cap_ms)
		d = cap_ms;
	uint64_t half = d / 2;
	return (unsigned)(half + (half ? rnd % (d - half + 1) : 0));
}
