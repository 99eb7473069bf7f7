/* The run directory as the agent sees it: the lock that tells traced
 * processes an agent serves it (with the agent's pid in it), and the
 * segments waiting in it. */
#include "agent.h"

#include "endwatch.h"
#include "log.h"
#include "rundir.h"
#include "segment.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

bool ts_agent_lock(struct ts_agent *a)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/" TS_AGENT_LOCK, a->dir);
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return false;
	}
	a->lock_fd = fd;
	ts_agent_note(a);
	return true;
}

void ts_agent_note(struct ts_agent *a)
{
	/* The holder's pid and PID namespace (what traced processes read),
	 * then its relay's pid. */
	if (a->lock_fd < 0)
		return;
	char text[128];
	int n = snprintf(text, sizeof text, "%ld\npidns %llu\n", (long)getpid(), ts_rundir_pidns());
	if (a->relay_pid)
		n += snprintf(text + n, sizeof text - (size_t)n, "relay %ld\n", (long)a->relay_pid);
	if (a->forked)
		n += snprintf(text + n, sizeof text - (size_t)n, "workers %lu\n", a->forked);
	if (ftruncate(a->lock_fd, 0) != 0 ||
	    pwrite(a->lock_fd, text, (size_t)n, 0) != n)
		TS_INFO("cannot write the agent's pid into its lock");
}

void ts_agent_unlock(struct ts_agent *a)
{
	if (a->lock_fd >= 0)
		close(a->lock_fd);
	a->lock_fd = -1;
}

/* "p<pid>.<stamp>" TS_SEG_SUFFIX: its pid and when it was made. */
static int by_stamp(const void *a, const void *b)
{
	const struct ts_seg_found *x = a, *y = b;
	return x->stamp < y->stamp ? -1 : x->stamp > y->stamp;
}

/* Serves the segments of the directory, oldest first. The segments of one
 * pid (a forked child, then the program it exec'd) are served one after the
 * other: their writer sequences have the same ids, and the importer needs
 * the first one's to be complete before the next one's start. */
/* A segment being made (".p<pid>.<stamp>.tmp") is renamed within
 * microseconds; one older than this was left by a process that died while
 * making it. */
#define STALE_TMP_S 10

static void remove_if_stale(struct ts_agent *a, const char *name)
{
	size_t len = strlen(name);
	if (strncmp(name, ".p", 2) || len < 6 || strcmp(name + len - 4, ".tmp"))
		return;
	char path[PATH_MAX + NAME_MAX + 2];
	snprintf(path, sizeof path, "%s/%s", a->dir, name);
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    time(NULL) - st.st_mtime > STALE_TMP_S)
		unlink(path);
}

size_t ts_agent_list_segments(struct ts_agent *a, struct ts_seg_found *list, size_t max)
{
	DIR *d = opendir(a->dir);
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		remove_if_stale(a, e->d_name);
		if (strlen(e->d_name) <= NAME_MAX &&
		    ts_rundir_segment_of(e->d_name, &list[n].pid, &list[n].stamp)) {
			snprintf(list[n].name, sizeof list[n].name, "%s", e->d_name);
			n++;
		}
	}
	closedir(d);
	qsort(list, n, sizeof *list, by_stamp);
	return n;
}

/* Maps the header of the segment named name (read and write); NULL when it
 * is not a whole segment. */
static struct ts_seg_header *map_header(struct ts_agent *a, const char *name)
{
	char path[PATH_MAX + NAME_MAX + 2];
	snprintf(path, sizeof path, "%s/%s", a->dir, name);
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	struct stat st;
	void *m = MAP_FAILED;
	if (fstat(fd, &st) == 0 && (size_t)st.st_size >= sizeof(struct ts_seg_header))
		m = mmap(NULL, sizeof(struct ts_seg_header), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return NULL;
	struct ts_seg_header *h = m;
	if (atomic_load(&h->magic) != TS_SEG_MAGIC) {
		munmap(m, sizeof *h);
		return NULL;
	}
	return h;
}

void ts_agent_end_replaced(struct ts_agent *a, const struct ts_seg_found *old,
			   const struct ts_seg_found *later)
{
	if (old->pid != later->pid || old->stamp >= later->stamp ||
	    !ts_endwatch_made_by(ts_endwatch_start_of((pid_t)old->pid), old->stamp))
		return;
	struct ts_seg_header *h = map_header(a, old->name), *n = map_header(a, later->name);
	if (h && n && h->pid == n->pid && atomic_load(&h->state) == TS_SEG_LIVE) {
		ts_seg_replaced_by(h, n);
		ts_seg_wake(h);
		TS_INFO("process %ld executed a program without the shim seeing it: its image "
			"before (%s) ends there", old->pid, old->name);
	}
	if (h)
		munmap(h, sizeof *h);
	if (n)
		munmap(n, sizeof *n);
}
