/* Records of the file-metadata calls (see recordfs.h). Like every recording
 * call: no allocation, no lock, no system call, errno kept. */
#include "recordfs.h"

#include "config.h"

#include <fcntl.h>
#include <string.h>

#define PAYLOAD_MAX (TS_PAYLOAD_MAX_SLOTS * TS_REC_SIZE)

/* The process's PATH as it started. Shells keep their own PATH variable
 * (not in environ), so a change the shell makes later is not seen. */
static char path_dirs[4096];
static size_t path_dirs_len;
static bool path_known;
/* What dash and bash search when PATH is unset. */
static const char default_dirs[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

void ts_fs_capture_path(void)
{
	const char *p = ts_env("PATH");
	if (!p)
		p = default_dirs;
	size_t n = strlen(p);
	if (n > sizeof path_dirs) {
		/* Only whole entries. */
		n = sizeof path_dirs;
		while (n && p[n] != ':')
			n--;
	}
	memcpy(path_dirs, p, n);
	path_dirs_len = n;
	path_known = n > 0;
}

/* Length without trailing slashes ("/" stays). */
static size_t trimmed(const char *s, size_t n)
{
	while (n > 1 && s[n - 1] == '/')
		n--;
	return n;
}

bool ts_path_walk_match(const char *dirs, size_t len, const char *path, size_t plen)
{
	const char *slash = plen ? memrchr(path, '/', plen) : NULL;
	size_t dlen = 0;
	if (slash) {
		if (slash == path + plen - 1)
			return false;   /* no name after the directory */
		dlen = slash == path ? 1 : trimmed(path, (size_t)(slash - path));
	} else if (!plen) {
		return false;
	}
	for (size_t at = 0;;) {
		const char *e = dirs + at;
		const char *end = memchr(e, ':', len - at);
		size_t elen = end ? (size_t)(end - e) : len - at;
		bool match;
		if (!slash)
			match = elen == 0;   /* dash: the name alone */
		else if (elen == 0)
			match = dlen == 1 && path[0] == '.';   /* bash: "./name" */
		else
			match = trimmed(e, elen) == dlen && !memcmp(e, path, dlen);
		if (match)
			return true;
		if (!end)
			return false;
		at += elen + 1;
	}
}

static void append(struct ts_thread *t, struct ts_rec *rec, const void *payload, unsigned len)
{
	rec->span = t->next_span++;
	ts_record_put(t, rec, payload, len, 0);
}

void ts_record_path(struct ts_thread *t, enum ts_op op, int dirfd, const char *path, bool walk,
		    int64_t ret, uint64_t t0, uint64_t t1)
{
	int err = ret < 0 ? errno : 0;
	struct ts_rec rec;
	ts_rec_fill(&rec, t, op, dirfd, ret, err, t0, t1);
	if (op == TS_OP_OPENDIR && ret >= 0) {
		rec.fdgen = ts_fd_made((int)ret, TS_FD_DIR, 0);
		rec.kind = ts_fd_kind(TS_FD_DIR, 0);
	}
	/* A bad address is what failed the call: it is not read here either. */
	unsigned len = path && err != EFAULT ? (unsigned)strnlen(path, PAYLOAD_MAX) : 0;
	if (walk && path_known && dirfd == AT_FDCWD && (err == ENOENT || err == ENOTDIR) &&
	    len < PAYLOAD_MAX && ts_path_walk_match(path_dirs, path_dirs_len, path, len))
		rec.arg = TS_PATH_WALK;
	append(t, &rec, path, len);
}

unsigned ts_fs_pack2(char *buf, unsigned cap, const char *a, const char *b, unsigned *alen)
{
	unsigned la = a ? (unsigned)strnlen(a, cap) : 0;
	unsigned lb = b ? (unsigned)strnlen(b, cap) : 0;
	if (la + lb > cap) {
		if (la <= cap / 2)
			lb = cap - la;
		else if (lb <= cap / 2)
			la = cap - lb;
		else
			la = cap / 2, lb = cap - cap / 2;
	}
	memcpy(buf, a ? a : "", la);
	memcpy(buf + la, b ? b : "", lb);
	*alen = la;
	return la + lb;
}

void ts_record_path2(struct ts_thread *t, enum ts_op op, int fromfd, const char *from, int tofd,
		     const char *to, int64_t ret, uint64_t t0, uint64_t t1)
{
	int err = ret < 0 ? errno : 0;
	struct ts_rec rec;
	ts_rec_fill(&rec, t, op, fromfd, ret, err, t0, t1);
	char buf[PAYLOAD_MAX];
	unsigned first = 0, len = 0;
	if (err != EFAULT)
		len = ts_fs_pack2(buf, sizeof buf, from, to, &first);
	rec.arg = first;
	rec.aux2 = (uint32_t)tofd;
	append(t, &rec, buf, len);
}
