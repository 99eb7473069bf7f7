/* HTTP/1.1 carried through stdio streams on a socket, for test_http.py.
 *
 *   stdio_http client PORT PATH...
 *     connects to 127.0.0.1:PORT, wraps the socket in two streams (fdopen
 *     for writing, fdopen of a duplicate for reading), and for each PATH
 *     sends a GET with fprintf and fflush and reads the response with fgets
 *     and fread (keep-alive; the last request asks for Connection: close);
 *     prints "STATUS BODY" per response.
 *   stdio_http handler
 *     an inetd-style handler: peeks at each request (getc_unlocked, inlined
 *     in an optimised build, and ungetc), reads it on stdin a character at
 *     a time (getc, with an ungetc at every line's end), answers each on
 *     stdout with printf (3 KiB at once), fputs and putchar (Content-Length,
 *     keep-alive) until the client closes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int client(int port, char **paths, int n)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
		perror("connect");
		return 1;
	}
	FILE *w = fdopen(s, "w"), *r = fdopen(dup(s), "r");
	if (!w || !r)
		return 1;
	for (int i = 0; i < n; i++) {
		fprintf(w, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: stdio_http\r\n%s\r\n",
			paths[i], port, i == n - 1 ? "Connection: close\r\n" : "");
		fflush(w);
		char line[1024];
		int status = 0;
		long length = 0;
		if (!fgets(line, sizeof line, r) || sscanf(line, "HTTP/1.%*d %d", &status) != 1)
			return 1;
		while (fgets(line, sizeof line, r) && strcmp(line, "\r\n") != 0)
			if (strncasecmp(line, "Content-Length:", 15) == 0)
				length = strtol(line + 15, NULL, 10);
		char body[4096];
		if (length < 0 || length >= (long)sizeof body ||
		    fread(body, 1, (size_t)length, r) != (size_t)length)
			return 1;
		body[length] = 0;
		printf("%d %s", status, body);
	}
	fclose(w);
	fclose(r);
	return 0;
}

/* A line of the request, read a character at a time; 0 at the end. */
static int read_line(char *line, size_t cap)
{
	size_t n = 0;
	int c;
	while ((c = getc(stdin)) != EOF) {
		if (c == '\r') {
			/* Look at what follows, and give it back. */
			int next = getc(stdin);
			if (next != EOF)
				ungetc(next, stdin);
		}
		if (n + 1 < cap)
			line[n++] = (char)c;
		if (c == '\n')
			break;
	}
	line[n] = 0;
	return n > 0;
}

static int handler(void)
{
	char line[1024], path[512];
	for (;;) {
		/* A peek at the next request: an optimised build inlines
		 * getc_unlocked, whose byte only the ungetc shows. */
		int first = getc_unlocked(stdin);
		if (first == EOF || ungetc(first, stdin) == EOF || !read_line(line, sizeof line))
			break;
		if (sscanf(line, "GET %511s", path) != 1)
			return 1;
		while (read_line(line, sizeof line) && strcmp(line, "\r\n") != 0)
			;
		/* A head longer than a line of text: one printf of 3 KiB. */
		char pad[3000];
		memset(pad, 'p', sizeof pad - 1);
		pad[sizeof pad - 1] = 0;
		printf("HTTP/1.1 200 OK\r\nX-Padding: %s\r\nContent-Length: %zu\r\n", pad,
		       strlen(path) + 1);
		fputs("Content-Type: text/plain\r\n\r\n", stdout);
		fputs(path, stdout);
		putchar('\n');
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "client") == 0)
		return client(atoi(argv[2]), argv + 3, argc - 3);
	if (argc == 2 && strcmp(argv[1], "handler") == 0)
		return handler();
	fprintf(stderr, "usage: stdio_http client PORT PATH... | handler\n");
	return 2;
}
