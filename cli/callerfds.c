/* The caller's descriptors run holds for the command (callerfds.h). */
#include "callerfds.h"

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

static int *fds;
static size_t count;

void ts_callerfds_note(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (*end || end == e->d_name || fd < 3 || fd == dirfd(d))
			continue;
		if (count == cap) {
			size_t more = cap ? 2 * cap : 16;
			int *grown = realloc(fds, more * sizeof *fds);
			if (!grown)
				break;
			fds = grown;
			cap = more;
		}
		fds[count++] = (int)fd;
	}
	closedir(d);
}

void ts_callerfds_close(void)
{
	/* run keeps them open all along, so no descriptor of its own has
	 * taken one of these numbers. */
	for (size_t i = 0; i < count; i++)
		close(fds[i]);
}
