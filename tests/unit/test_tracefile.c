/* The trace file of collect and convert: the latest BOOTTIME of an existing
 * file's clock snapshots, found however the file ends; whole writes. */
#include "check_main.h"
#include "tracefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	do {
		p[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return n;
}

/* A packet holding a ClockSnapshot of BOOTTIME boot and REALTIME boot + 5. */
static size_t snapshot_packet(uint8_t *out, uint64_t boot)
{
	uint8_t clk[2][24], cs[64], pkt[80];
	size_t nclk[2], ncs = 0, npkt = 0, n = 0;
	for (int i = 0; i < 2; i++) {
		size_t k = 0;
		clk[i][k++] = 0x08;
		k += varint(clk[i] + k, i ? 1 : 6);
		clk[i][k++] = 0x10;
		k += varint(clk[i] + k, boot + (i ? 5 : 0));
		nclk[i] = k;
	}
	for (int i = 0; i < 2; i++) {
		cs[ncs++] = 0x0a;
		ncs += varint(cs + ncs, nclk[i]);
		memcpy(cs + ncs, clk[i], nclk[i]);
		ncs += nclk[i];
	}
	pkt[npkt++] = 0x40;   /* timestamp, before the snapshot */
	npkt += varint(pkt + npkt, boot);
	pkt[npkt++] = 0x32;   /* field 6 */
	npkt += varint(pkt + npkt, ncs);
	memcpy(pkt + npkt, cs, ncs);
	npkt += ncs;
	out[n++] = 0x0a;
	n += varint(out + n, npkt);
	memcpy(out + n, pkt, npkt);
	return n + npkt;
}

static uint64_t latest_of(const uint8_t *data, size_t len)
{
	char path[] = "/tmp/ts-tracefile-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	uint64_t latest;
	fd = ts_tracefile_open_append(path, &latest);
	ck_assert_int_ge(fd, 0);
	close(fd);
	unlink(path);
	return latest;
}

START_TEST(latest_boottime)
{
	static uint8_t file[3 << 20];
	size_t n = 0;
	n += snapshot_packet(file + n, 1700000000000000000ull);
	n += snapshot_packet(file + n, 1800000000000000000ull);
	n += snapshot_packet(file + n, 1600000000000000000ull);
	ck_assert_uint_eq(latest_of(file, n), 1800000000000000000ull);
	/* A torn packet at the end changes nothing. */
	size_t whole = n;
	n += snapshot_packet(file + n, 1900000000000000000ull);
	ck_assert_uint_eq(latest_of(file, n - 3), 1800000000000000000ull);
	ck_assert_uint_eq(latest_of(file, n), 1900000000000000000ull);
	/* A packet bigger than the reading window is stepped over. */
	n = whole;
	file[n++] = 0x0a;
	size_t big = 3u << 19;
	n += varint(file + n, big);
	memset(file + n, 0, big);   /* field 0 is malformed, but only framing is read */
	n += big;
	n += snapshot_packet(file + n, 1950000000000000000ull);
	ck_assert_uint_eq(latest_of(file, n), 1950000000000000000ull);
	/* Not a trace: nothing is learnt, nothing breaks. */
	ck_assert_uint_eq(latest_of((const uint8_t *)"hello, world", 12), 0);
	ck_assert_uint_eq(latest_of(file, 0), 0);
}
END_TEST

START_TEST(garbage_never_crashes)
{
	uint8_t buf[600];
	unsigned seed = 11;
	size_t n = snapshot_packet(buf, 1700000000000000000ull);
	n += snapshot_packet(buf + n, 1700000000000000001ull);
	for (int round = 0; round < 300; round++) {
		uint8_t copy[600];
		memcpy(copy, buf, n);
		for (int k = 0; k < 3; k++)
			copy[rand_r(&seed) % n] = (uint8_t)rand_r(&seed);
		(void)latest_of(copy, (size_t)rand_r(&seed) % (n + 1));
	}
}
END_TEST

START_TEST(write_errors_are_returned)
{
	int fd = open("/dev/full", O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ts_tracefile_write(fd, (const uint8_t *)"abc", 3), ENOSPC);
	close(fd);
	char path[] = "/tmp/ts-tracefile-XXXXXX";
	fd = mkstemp(path);
	ck_assert_int_eq(ts_tracefile_write(fd, (const uint8_t *)"abc", 3), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), 3);
	close(fd);
	unlink(path);
}
END_TEST

TS_CHECK_SUITE("tracefile",
	       latest_boottime,
	       garbage_never_crashes,
	       write_errors_are_returned)
