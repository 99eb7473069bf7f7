/* File I/O through stdio, built with -O2 -D_FORTIFY_SOURCE=2 as distribution
 * binaries are (so printf is __printf_chk, getline glibc's inline
 * __getdelim...). In the current directory:
 *   writes in.txt  (fputs, fprintf, fwrite, a fputc loop; 37 bytes, 4 lines)
 *   reads it with fgets, with getline, with fread, with a fgetc loop that
 *   copies it to copy.txt with fputc; fails to open missing/none.txt;
 *   appends to fd.txt through fdopen, reopens in.txt with freopen
 * and reports on stdout with printf, puts and putchar (a pipe in the tests:
 * all of it in stdout's buffer until exit). `stdio_prog crash` prints, then
 * dies of SIGSEGV with the text still in the buffer: lost, as without the
 * shim. `stdio_prog fork` writes three characters with putchar, forks a
 * child that writes one more and leaves with _exit (its copy of the buffer
 * never written), then writes its own fourth. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Not constant: the compiler keeps these fputs and puts calls as written. */
static char first_line[] = "alpha line\n";
static char status_line[] = "stdio done";
/* A size the compiler cannot check: the fortified fgets and fread
 * (__fgets_chk, __fread_chk) are called, not the plain ones. */
static volatile int room = 64;

static void note(FILE *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
}

static int write_input(void)
{
	FILE *f = fopen("in.txt", "w");
	if (!f)
		return 1;
	fputs(first_line, f);                       /* 11 bytes */
	fprintf(f, "beta %d\n", 42);                /* 8 */
	static const char block[] = "gamma block\n";
	fwrite(block, 1, sizeof block - 1, f);      /* 12 */
	for (const char *p = "delta\n"; *p; p++)    /* 6, one fputc each */
		fputc(*p, f);
	return fclose(f) != 0;
}

static int read_with_fgets(void)
{
	FILE *f = fopen("in.txt", "r");
	if (!f)
		return -1;
	char buf[64];
	int lines = 0;
	while (fgets(buf, room, f))
		lines++;
	fclose(f);
	return lines;
}

static int read_with_getline(void)
{
	FILE *f = fopen("in.txt", "r");
	if (!f)
		return -1;
	char *line = NULL;
	size_t cap = 0;
	int lines = 0;
	while (getline(&line, &cap, f) >= 0)
		lines++;
	free(line);
	fclose(f);
	return lines;
}

static long read_with_fread(void)
{
	FILE *f = fopen("in.txt", "rb");
	if (!f)
		return -1;
	char head[8], rest[256];
	size_t n = fread(head, 1, sizeof head, f);    /* 8 bytes (plain fread) */
	n += fread(rest, 1, (size_t)room, f);         /* the other 29, then the end */
	fclose(f);
	return (long)n;
}

static long copy_by_char(void)
{
	FILE *in = fopen("in.txt", "r"), *out = fopen("copy.txt", "w");
	if (!in || !out)
		return -1;
	long n = 0;
	int c;
	while ((c = fgetc(in)) != EOF) {
		fputc(c, out);
		n++;
	}
	fclose(in);
	fclose(out);
	return n;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "crash")) {
		printf("this line is still in the buffer when the program dies\n");
		raise(SIGSEGV);
		return 3;
	}
	if (argc > 1 && !strcmp(argv[1], "fork")) {
		for (const char *p = "abc"; *p; p++)
			putchar(*p);
		pid_t child = fork();
		if (child == 0) {
			putchar('x');
			_exit(0);
		}
		int status = 0;
		waitpid(child, &status, 0);
		putchar('\n');
		return child < 0 || status != 0;
	}
	if (write_input())
		return 1;
	printf("fgets: %d lines\n", read_with_fgets());
	printf("getline: %d lines\n", read_with_getline());
	printf("fread: %ld bytes\n", read_with_fread());
	printf("copied: %ld bytes\n", copy_by_char());

	errno = 0;
	FILE *missing = fopen("missing/none.txt", "r");
	int err = errno;
	printf("missing: %s (%s)\n", missing ? "opened" : "failed", strerror(err));

	int fd = open("fd.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	FILE *viafd = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (viafd) {
		note(viafd, "via %s\n", "fdopen");     /* 11 bytes */
		fflush(viafd);
		fclose(viafd);
	}

	FILE *f = fopen("fd.txt", "r");
	if (f) {
		fgetc(f);
		f = freopen("in.txt", "r", f);   /* closes fd.txt, with its one fgetc */
		if (f)
			fclose(f);
	}

	/* errno as the calls left it, compared with a run without the shim. */
	errno = 1234;
	fputs(first_line, stdout);
	printf("errno after fputs: %d\n", errno);
	puts(status_line);
	for (const char *p = "ok\n"; *p; p++)
		putchar(*p);
	fflush(stdout);
	dprintf(2, "stderr by dprintf: %d\n", 7);
	return 0;
}
