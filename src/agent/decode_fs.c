/* Record -> span for the file-metadata calls with paths (TS_SHAPE_PATH and
 * TS_SHAPE_PATH2, recordfs.h): file.path (a rename's target as
 * traceshim.target.path), the directory descriptor an *at call was given,
 * and the stream opendir made. A stat or access that missed in a shell's
 * PATH walk is normal flow, as exec's misses are (decode.c). */
#include "decode.h"

#include "fdinfo.h"
#include "ops.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

/* Scratch for the paths the span points to; valid until the next decode. */
static char path_buf[2][TS_PAYLOAD_MAX_SLOTS * TS_REC_SIZE + 1];

static const char *payload_string(int which, const uint8_t *payload, unsigned len)
{
	if (len > sizeof path_buf[which] - 1)
		len = sizeof path_buf[which] - 1;
	memcpy(path_buf[which], payload, len);
	path_buf[which][len] = 0;
	return path_buf[which];
}

static void path_attr(struct ts_span *s, const char *key, const char *path)
{
	if (path[0])   /* fstatat(fd, "", AT_EMPTY_PATH) names no path */
		ts_span_str(s, key, path);
}

static void dirfd_attr(struct ts_span *s, const char *key, int fd)
{
	if (fd != AT_FDCWD)
		ts_span_int(s, key, fd);
}

/* opendir's stream: its descriptor is a directory, named by the path when
 * that is absolute, else by the kernel while the descriptor is still it. */
static void opened_dir(const struct ts_rec *r, const char *path, struct ts_span *s)
{
	int fd = (int)r->ret;
	ts_span_int(s, "traceshim.fd", fd);
	if (path[0] == '/')
		ts_fdinfo_set_path(fd, r->fdgen, path, TS_FD_DIR);
	else
		(void)ts_fdinfo_get(fd, r->fdgen, r->kind);
	ts_span_const(s, "traceshim.fd.type", ts_fd_type_name(TS_FD_DIR));
}

bool ts_decode_fs(unsigned op, const struct ts_rec *r, const uint8_t *payload, unsigned len,
		  struct ts_span *s)
{
	if (ts_ops[op].shape == TS_SHAPE_PATH2) {
		unsigned first = r->arg < len ? (unsigned)r->arg : len;
		path_attr(s, "file.path", payload_string(0, payload, first));
		path_attr(s, "traceshim.target.path", payload_string(1, payload + first, len - first));
		dirfd_attr(s, "traceshim.dirfd", r->fd);
		dirfd_attr(s, "traceshim.target.dirfd", (int32_t)r->aux2);
	} else {
		const char *path = payload_string(0, payload, len);
		path_attr(s, "file.path", path);
		if (op != TS_OP_OPENDIR)
			dirfd_attr(s, "traceshim.dirfd", r->fd);
		else if (r->ret >= 0)
			opened_dir(r, path, s);
	}
	if (r->ret >= 0 || !(r->arg & TS_PATH_WALK) || ts_ops[op].shape != TS_SHAPE_PATH ||
	    (r->err != ENOENT && r->err != ENOTDIR))
		return false;
	ts_span_const(s, "traceshim.errno", ts_errno_name(r->err));
	return true;
}
