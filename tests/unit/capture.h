/* Captures what the code under test writes on stderr (fd 2, where the
 * shim's diagnostics go with a raw write). */
#ifndef TS_CAPTURE_H
#define TS_CAPTURE_H

#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int capture_saved = -1;
static FILE *capture_file;

static inline void capture_start(void)
{
	fflush(stderr);
	capture_file = tmpfile();
	ck_assert_ptr_nonnull(capture_file);
	capture_saved = dup(2);
	dup2(fileno(capture_file), 2);
}

/* Stops capturing; returns what was written (static, NUL-terminated). */
static inline const char *capture_end(void)
{
	static char text[8192];
	dup2(capture_saved, 2);
	close(capture_saved);
	size_t n = (size_t)pread(fileno(capture_file), text, sizeof text - 1, 0);
	text[n < sizeof text ? n : 0] = 0;
	fclose(capture_file);
	return text;
}

static inline int count_lines(const char *text, const char *word)
{
	int n = 0;
	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
		char copy[1024];
		snprintf(copy, sizeof copy, "%.*s", (int)len, line);
		n += strstr(copy, word) != NULL;
		line += len;
	}
	return n;
}

#endif
