/* dlopen_local: target program for the safety tests.
 *
 * Loads libtslocal.so with RTLD_NOW | RTLD_LOCAL and calls into it, so the
 * tracer's own dlopen/dlsym use (and any symbol resolution it does) must not
 * disturb a program's private, locally scoped libraries.
 *
 * Usage: dlopen_local PATH/TO/libtslocal.so
 * Exit status: 0 and "answer 42" on stdout when the call worked.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: dlopen_local LIBRARY\n");
		return 2;
	}
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	/* A local library's symbols must not leak into the global scope. */
	if (dlsym(RTLD_DEFAULT, "tslocal_answer") != NULL) {
		fprintf(stderr, "tslocal_answer is visible globally\n");
		return 1;
	}
	int (*answer)(void);
	/* POSIX sanctions this conversion for dlsym results; the union-free
	 * form below keeps -Wpedantic quiet as well. */
	*(void **)&answer = dlsym(h, "tslocal_answer");
	if (!answer) {
		fprintf(stderr, "dlsym: %s\n", dlerror());
		return 1;
	}
	printf("answer %d\n", answer());
	dlclose(h);
	return 0;
}
