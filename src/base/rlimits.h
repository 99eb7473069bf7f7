/* The process's soft resource limits that the shim's own calls must keep
 * to (rlimits.c). They are read once at start and then followed through the
 * program's setrlimit and prlimit calls (interpose/rlimit.c), so that no
 * wrapper has to ask the kernel: a sandboxed process (sshd's pre-login
 * child under its seccomp filter) is killed by a system call it never
 * makes itself. */
#ifndef TS_RLIMITS_H
#define TS_RLIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

/* For what a sanitizer's runtime may call while it starts (it sets a limit
 * before its shadow memory is there): no instrumented memory access. */
#define TS_RLIMITS_EARLY __attribute__((no_sanitize("address")))

/* Reads the limits (before main, and in a process an exec starts). */
void ts_rlimits_init(void);
/* The program set resource's soft limit of this process to cur. */
TS_RLIMITS_EARLY void ts_rlimits_set(int resource, uint64_t cur);
/* Whether pid names this process (prlimit's 0 does). */
TS_RLIMITS_EARLY bool ts_rlimits_self(int pid);
/* RLIMIT_NOFILE's soft limit (UINT64_MAX: none, or not read yet). */
uint64_t ts_rlimits_nofile(void);
/* Whether writing len more bytes at the end of fd stays within
 * RLIMIT_FSIZE: past it the kernel sends SIGXFSZ, which kills the program.
 * Only a regular file has a size to pass; with no limit, nothing is asked. */
bool ts_fsize_allows(int fd, size_t len);
/* Whether a file of bytes may be made (RLIMIT_FSIZE). */
bool ts_fsize_allows_size(uint64_t bytes);
/* The program installed a seccomp filter: from then on the shim makes no
 * system call it can do without (a thread's name, a socket's peer, a
 * file's size: the filter may allow none of them). */
void ts_sandbox_entered(void);
bool ts_sandboxed(void);

#endif
