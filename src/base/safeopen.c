/* Output files opened safely (see safeopen.h). The checks run on the open
 * descriptor, never on the path before the open, so nothing can be swapped
 * in between. */
#include "safeopen.h"

#include "rawfs.h"
#include "rawsys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int ts_open_output(const char *path, int flags, mode_t mode, unsigned also, char *why,
		   size_t cap)
{
	int fd = (int)ts_syscall(SYS_openat, AT_FDCWD, path,
			      (flags & ~O_TRUNC) | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
	if (fd < 0) {
		int err = errno;
		struct stat lst;
		/* O_NOFOLLOW's ELOOP; a loop of links in a directory gives it too. */
		if (err == ELOOP && ts_sys_lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
			snprintf(why, cap, "it is a symbolic link (not followed)");
		else
			snprintf(why, cap, "%s", strerror(err));
		errno = err;
		return -1;
	}
	struct stat st;
	int err = 0;
	if (ts_sys_fstat(fd, &st) != 0) {
		err = errno;
		snprintf(why, cap, "%s", strerror(err));
	} else if (!(S_ISREG(st.st_mode) || (S_ISFIFO(st.st_mode) && (also & TS_OPEN_FIFO)) ||
		     (S_ISCHR(st.st_mode) && (also & TS_OPEN_CHR)))) {
		err = EINVAL;
		snprintf(why, cap, "it is not a regular file%s",
			 also == (TS_OPEN_FIFO | TS_OPEN_CHR) ? ", FIFO or character device" : "");
	} else if (!S_ISCHR(st.st_mode) && st.st_uid != geteuid()) {
		/* Devices belong to root; a file or FIFO someone else made in
		 * our way is not ours to fill. */
		err = EPERM;
		snprintf(why, cap, "it is owned by uid %u, not by this user (uid %u)",
			 (unsigned)st.st_uid, (unsigned)geteuid());
	}
	if (err) {
		ts_syscall(SYS_close, fd);
		errno = err;
		return -1;
	}
	return fd;
}
