/* Random trace ids and derived span ids. */
#include "ids.h"

#include "clock.h"
#include "rawsys.h"

#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

struct ts_ids ts_ids;

static void random_bytes(uint8_t buf[24])
{
	ssize_t n = getrandom(buf, 24, GRND_NONBLOCK);
	if (n != 24) {
		/* Early boot or a seccomp filter: still unique enough per process. */
		uint64_t a = ts_mix64(ts_clock_realtime_ns() ^ ((uint64_t)ts_syscall(SYS_getpid) << 32));
		uint64_t b = ts_mix64(a ^ ts_clock_boottime_ns());
		uint64_t c = ts_mix64(b ^ (uint64_t)(uintptr_t)&n);
		memcpy(buf, &a, 8);
		memcpy(buf + 8, &b, 8);
		memcpy(buf + 16, &c, 8);
	}
}

void ts_ids_init(void)
{
	uint8_t buf[24];
	random_bytes(buf);
	memcpy(ts_ids.trace_id, buf, 16);
	if (!memcmp(ts_ids.trace_id, (uint8_t[16]){0}, 16))
		ts_ids.trace_id[15] = 1;   /* all-zero is invalid */
	memcpy(&ts_ids.seed, buf + 16, 8);
	ts_ids.start_ns = ts_clock_boottime_ns();
}

void ts_ids_reseed(void)
{
	uint8_t buf[24];
	random_bytes(buf);
	memcpy(&ts_ids.seed, buf + 16, 8);
	ts_ids.start_ns = ts_clock_boottime_ns();
}

void ts_hex(const uint8_t *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = 0;
}

void ts_traceparent_format(const uint8_t trace_id[16], uint64_t span_id, uint8_t flags,
			   char out[56])
{
	uint8_t sid[8];
	for (int i = 0; i < 8; i++)
		sid[i] = (uint8_t)(span_id >> (56 - 8 * i));
	memcpy(out, "00-", 3);
	ts_hex(trace_id, 16, out + 3);
	out[35] = '-';
	ts_hex(sid, 8, out + 36);
	out[52] = '-';
	ts_hex(&flags, 1, out + 53);
}
