/* The trace file of collect and convert (see tracefile.h). Reading an
 * existing file is bounded: a window of the file at a time, and only the
 * top-level packet framing and ClockSnapshot fields are looked at; the scan
 * stops at the first byte that is not a packet. */
#include "tracefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define WINDOW (1u << 20)
enum { F_PACKET = 1, F_CLOCK_SNAPSHOT = 6, F_CLOCKS = 1, F_CLOCK_ID = 1, F_CLOCK_TS = 2 };
enum { CLOCK_BOOTTIME = 6 };

static bool varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t b = *(*p)++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

/* Steps over one field of [*p, end): its number, wire type and, for
 * length-delimited ones, its bytes; false when malformed. */
static bool field(const uint8_t **p, const uint8_t *end, uint64_t *num, uint64_t *val,
		  const uint8_t **data)
{
	uint64_t key;
	if (!varint(p, end, &key))
		return false;
	*num = key >> 3;
	*data = NULL;
	switch (key & 7) {
	case 0:
		return varint(p, end, val);
	case 1:
	case 5: {
		size_t n = (key & 7) == 1 ? 8 : 4;
		if ((size_t)(end - *p) < n)
			return false;
		*p += n;
		return true;
	}
	case 2:
		if (!varint(p, end, val) || *val > (uint64_t)(end - *p))
			return false;
		*data = *p;
		*p += *val;
		return true;
	default:
		return false;
	}
}

static void clock_snapshot(const uint8_t *p, const uint8_t *end, uint64_t *latest)
{
	uint64_t num, len, v;
	const uint8_t *clk;
	while (p < end && field(&p, end, &num, &len, &clk)) {
		if (num != F_CLOCKS || !clk)
			continue;
		uint64_t id = 0, ts = 0, n2;
		const uint8_t *q = clk, *qend = clk + len, *ignored;
		while (q < qend && field(&q, qend, &n2, &v, &ignored)) {
			if (n2 == F_CLOCK_ID && !ignored)
				id = v;
			else if (n2 == F_CLOCK_TS && !ignored)
				ts = v;
		}
		if (id == CLOCK_BOOTTIME && ts > *latest)
			*latest = ts;
	}
}

static void packet(const uint8_t *p, const uint8_t *end, uint64_t *latest)
{
	uint64_t num, len;
	const uint8_t *data;
	while (p < end && field(&p, end, &num, &len, &data))
		if (num == F_CLOCK_SNAPSHOT && data)
			clock_snapshot(data, data + len, latest);
}

static uint64_t scan(int fd)
{
	uint64_t latest = 0;
	uint8_t *win = malloc(WINDOW);
	off_t off = 0;
	ssize_t got;
	while (win && (got = pread(fd, win, WINDOW, off)) > 0) {
		const uint8_t *p = win, *end = win + got;
		off_t next = off + got;   /* where the next window starts */
		while (p < end) {
			const uint8_t *start = p;
			uint64_t key = 0, len = 0;
			bool whole = varint(&p, end, &key) && varint(&p, end, &len) &&
				     len <= (uint64_t)(end - p);
			if (whole && key != (F_PACKET << 3 | 2))
				goto done;   /* not a trace: nothing more to learn */
			if (whole) {
				packet(p, p + len, &latest);
				p += len;
				continue;
			}
			if (start != win) {
				next = off + (start - win);   /* read again from its start */
			} else if ((size_t)got < WINDOW || key != (F_PACKET << 3 | 2)) {
				goto done;   /* a torn packet at the end, or garbage */
			} else {
				next = off + (p - start) + (off_t)len;   /* bigger than a window: skipped */
			}
			break;
		}
		off = next;
	}
done:
	free(win);
	return latest;
}

int ts_tracefile_open_append(const char *path, uint64_t *latest_boottime)
{
	*latest_boottime = 0;
	int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EACCES)
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		*latest_boottime = scan(fd);
	return fd;
}

int ts_tracefile_write(int fd, const uint8_t *data, size_t len)
{
	struct stat st;
	off_t before = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : -1;
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;
			if (done && before >= 0 && ftruncate(fd, before) != 0)
				err = errno;
			return err;
		}
		done += (size_t)n;
	}
	return 0;
}
