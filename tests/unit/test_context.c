/* W3C traceparent parsing, and the environment handed to a child. */
#include "check_main.h"
#include "childenv.h"
#include "config.h"
#include "context.h"
#include "ids.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

START_TEST(parses_a_valid_traceparent)
{
	uint8_t tid[16];
	uint64_t span;
	uint8_t flags;
	ck_assert(ts_traceparent_parse(valid, tid, &span, &flags));
	ck_assert_uint_eq(tid[0], 0x4b);
	ck_assert_uint_eq(tid[15], 0x36);
	ck_assert_uint_eq(span, 0x00f067aa0ba902b7ull);
	ck_assert_uint_eq(flags, 1);
	/* A later version may carry more fields after a dash. */
	ck_assert(ts_traceparent_parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-ext",
				       tid, &span, &flags));
	ck_assert_uint_eq(flags, 0);
}
END_TEST

START_TEST(rejects_malformed_traceparents)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",       /* v00 is exactly 55 */
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",        /* upper case */
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01",        /* zero trace id */
		"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",        /* zero span id */
		"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",        /* version ff */
		"00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",        /* separator */
		"00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",        /* not hex */
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",        /* flags */
		"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",       /* no dash after */
	};
	uint8_t tid[16] = {0};
	uint64_t span = 7;
	uint8_t flags = 9;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(!ts_traceparent_parse(bad[i], tid, &span, &flags), "%s", bad[i]);
	ck_assert(!ts_traceparent_parse(NULL, tid, &span, &flags));
	ck_assert_uint_eq(span, 7);   /* untouched on failure */
}
END_TEST

START_TEST(tracestate_limits)
{
	ck_assert(ts_tracestate_valid("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"));
	ck_assert(!ts_tracestate_valid(""));
	ck_assert(!ts_tracestate_valid("a=b\nc=d"));
	char longer[600];
	memset(longer, 'a', sizeof longer - 1);
	longer[sizeof longer - 1] = 0;
	ck_assert(!ts_tracestate_valid(longer));
}
END_TEST

/* The W3C trace-context rules for tracestate: list-members key=value. */
START_TEST(tracestate_grammar)
{
	ck_assert(ts_tracestate_valid("a=1"));
	ck_assert(ts_tracestate_valid("a_b-c*d/e9=x y"));          /* spaces inside a value */
	ck_assert(ts_tracestate_valid("a=1 ,\tb=2 "));              /* OWS around members */
	ck_assert(ts_tracestate_valid("a=1,,b=2, ,"));               /* empty members */
	ck_assert(ts_tracestate_valid("1tenant@vendor=x"));          /* multi-tenant key */
	ck_assert(ts_tracestate_valid("t@abcdefghijklmn=x"));        /* system-id of 14 */
	ck_assert(ts_tracestate_valid("a=!\"#$%&'()*+-./09:;<>?@AZ[\\]^_`az{|}~"));
	ck_assert(!ts_tracestate_valid("Upper=1"));
	ck_assert(!ts_tracestate_valid("1a=1"));                     /* simple keys start a-z */
	ck_assert(!ts_tracestate_valid("=1"));
	ck_assert(!ts_tracestate_valid("a"));
	ck_assert(!ts_tracestate_valid("a="));                       /* empty value */
	ck_assert(!ts_tracestate_valid("a=b=c"));
	ck_assert(!ts_tracestate_valid("a=1,a=2"));                  /* duplicate key */
	ck_assert(!ts_tracestate_valid("a.b=1"));
	ck_assert(!ts_tracestate_valid("a=\x01"));
	ck_assert(!ts_tracestate_valid("a=caf\xc3\xa9"));
	ck_assert(!ts_tracestate_valid("a@=1"));
	ck_assert(!ts_tracestate_valid("@v=1"));
	ck_assert(!ts_tracestate_valid("a@b@c=1"));
	ck_assert(!ts_tracestate_valid("t@abcdefghijklmno=x"));      /* system-id of 15 */
	ck_assert(!ts_tracestate_valid("t@1v=x"));                   /* system-id starts a-z */
	ck_assert(!ts_tracestate_valid(" , "));                      /* no member */

	char key[300];   /* simple keys: 256 characters at most */
	memset(key, 'k', 256);
	strcpy(key + 256, "=1");
	ck_assert(ts_tracestate_valid(key));
	memset(key, 'k', 257);
	strcpy(key + 257, "=1");
	ck_assert(!ts_tracestate_valid(key));
	char value[300] = "a=";   /* values: 256 characters at most */
	memset(value + 2, 'v', 256);
	value[258] = 0;
	ck_assert(ts_tracestate_valid(value));
	strcpy(value + 258, "v");
	ck_assert(!ts_tracestate_valid(value));

	char list[512] = "";   /* 32 members at most */
	for (int i = 0; i < 32; i++)
		sprintf(list + strlen(list), "%sk%d=%d", i ? "," : "", i, i);
	ck_assert(ts_tracestate_valid(list));
	strcat(list, ",k32=32");
	ck_assert(!ts_tracestate_valid(list));
}
END_TEST

static const char *get(char **env, const char *name)
{
	size_t n = strlen(name);
	for (; *env; env++)
		if (!strncmp(*env, name, n) && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

static size_t count(char **env, const char *name)
{
	size_t n = strlen(name), c = 0;
	for (; *env; env++)
		c += !strncmp(*env, name, n) && (*env)[n] == '=';
	return c;
}

/* The library's path for the child environment tests: a file that is
 * there, as the shim's own library is (one that is not is left out). */
static char lib[64], expect[160];

static void remove_lib(void)
{
	unlink(lib);
	*strrchr(lib, '/') = 0;
	rmdir(lib);
}

static const char *the_lib(void)
{
	if (!lib[0]) {
		char dir[] = "/tmp/test_context.XXXXXX";
		ck_assert_ptr_nonnull(mkdtemp(dir));
		snprintf(lib, sizeof lib, "%s/libtraceshim.so", dir);
		FILE *f = fopen(lib, "w");
		ck_assert_ptr_nonnull(f);
		fclose(f);
		atexit(remove_lib);
	}
	return lib;
}

/* fmt with the library's path for its one %s. */
static const char *with_lib(const char *fmt)
{
	snprintf(expect, sizeof expect, fmt, the_lib());
	return expect;
}

START_TEST(child_env_of_an_empty_environment)
{
	ts_ids_init();
	char *settings[] = {"TRACESHIM_OUTPUT=/t/run.pftrace", "OTEL_SERVICE_NAME=svc", NULL};
	ts_childenv_setup(true, the_lib(), settings);
	char *none[] = {NULL};
	char **env = ts_childenv(none, 0x0102030405060708ull);
	ck_assert_ptr_nonnull(env);
	const char *tp = get(env, "TRACEPARENT");
	ck_assert_ptr_nonnull(tp);
	ck_assert_str_eq(tp + 36, "0102030405060708-01");
	ck_assert_str_eq(get(env, "LD_PRELOAD"), the_lib());
	ck_assert_str_eq(get(env, "TRACESHIM_OUTPUT"), "/t/run.pftrace");
	ck_assert_str_eq(get(env, "OTEL_SERVICE_NAME"), "svc");
	free(env);
	/* NULL envp is an empty one. */
	env = ts_childenv(NULL, 5);
	ck_assert_ptr_nonnull(get(env, "TRACEPARENT"));
	free(env);
}
END_TEST

START_TEST(child_env_keeps_the_programs_own_values)
{
	ts_ids_init();
	char *settings[] = {"TRACESHIM_OUTPUT=/t/run.pftrace", NULL};
	ts_childenv_setup(true, the_lib(), settings);
	char *own[] = {"PATH=/bin", "TRACESHIM_OUTPUT=/mine.pftrace", "LD_PRELOAD=/lib/other.so",
		       "TRACEPARENT=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", NULL};
	char **env = ts_childenv(own, 42);
	ck_assert_str_eq(get(env, "PATH"), "/bin");
	ck_assert_str_eq(get(env, "TRACESHIM_OUTPUT"), "/mine.pftrace");
	ck_assert_uint_eq(count(env, "TRACESHIM_OUTPUT"), 1);
	/* The program's preload stays first; ours is added once. */
	ck_assert_str_eq(get(env, "LD_PRELOAD"), with_lib("/lib/other.so:%s"));
	/* A TRACEPARENT the program set itself is its own propagation: kept,
	 * with no mark of the shim's span. */
	ck_assert_uint_eq(count(env, "TRACEPARENT"), 1);
	ck_assert_str_eq(get(env, "TRACEPARENT"), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
	ck_assert_ptr_null(get(env, "TRACESHIM_PARENT_SPAN"));
	free(env);
	/* The one this process was started with, passed on: the shim's span. */
	snprintf(ts_ctx.started_with, sizeof ts_ctx.started_with, "%s", own[3] + strlen("TRACEPARENT="));
	env = ts_childenv(own, 42);
	ck_assert_uint_eq(count(env, "TRACEPARENT"), 1);
	ck_assert_str_eq(get(env, "TRACEPARENT") + 36, "000000000000002a-01");
	ck_assert_str_eq(get(env, "TRACESHIM_PARENT_SPAN"), "000000000000002a");
	ts_ctx.started_with[0] = 0;
	free(env);
	/* Already preloaded (by another path to the same library): left alone. */
	char *again[] = {"LD_PRELOAD=/elsewhere/libtraceshim.so", NULL};
	env = ts_childenv(again, 42);
	ck_assert_str_eq(get(env, "LD_PRELOAD"), "/elsewhere/libtraceshim.so");
	free(env);
	/* Named relatively (LD_PRELOAD=./libtraceshim.so): a child that runs
	 * in another directory gets the full path, the rest as it was. */
	char *rel[] = {"LD_PRELOAD=/lib/a.so:./libtraceshim.so b.so", NULL};
	env = ts_childenv(rel, 42);
	ck_assert_str_eq(get(env, "LD_PRELOAD"), with_lib("/lib/a.so:%s:b.so"));
	ck_assert_uint_eq(count(env, "LD_PRELOAD"), 1);
	free(env);
	char *bare[] = {"LD_PRELOAD=libtraceshim.so", NULL};
	env = ts_childenv(bare, 42);
	ck_assert_str_eq(get(env, "LD_PRELOAD"), the_lib());
	free(env);
}
END_TEST

START_TEST(child_env_without_following)
{
	ts_ids_init();
	char *settings[] = {"TRACESHIM_OUTPUT=/t/run.pftrace", NULL};
	ts_childenv_setup(false, the_lib(), settings);
	char preload[160];
	snprintf(preload, sizeof preload, "LD_PRELOAD=/lib/a.so:%s /lib/b.so", the_lib());
	char *own[] = {preload, NULL};
	char **env = ts_childenv(own, 42);
	ck_assert_str_eq(get(env, "LD_PRELOAD"), "/lib/a.so:/lib/b.so");
	ck_assert_ptr_null(get(env, "TRACESHIM_OUTPUT"));
	ck_assert_ptr_nonnull(get(env, "TRACEPARENT"));   /* the context still goes on */
	free(env);
}
END_TEST

/* After a chroot the library is most often not there: the child would get
 * the dynamic loader's error at every exec. It is left out. */
START_TEST(child_env_when_the_library_is_out_of_reach)
{
	ts_ids_init();
	char *settings[] = {"TRACESHIM_OUTPUT=/t/run.pftrace", NULL};
	ts_childenv_setup(true, "/no/such/dir/libtraceshim.so", settings);
	char *own[] = {"LD_PRELOAD=/lib/a.so:/no/such/dir/libtraceshim.so", NULL};
	char **env = ts_childenv(own, 42);
	ck_assert_str_eq(get(env, "LD_PRELOAD"), "/lib/a.so");
	free(env);
	char *none[] = {"PATH=/bin", NULL};
	env = ts_childenv(none, 42);
	ck_assert_ptr_null(get(env, "LD_PRELOAD"));
	ck_assert_ptr_nonnull(get(env, "TRACEPARENT"));   /* the context still goes on */
	free(env);
}
END_TEST

/* The messages reported so far go to children, replacing what the
 * program's own environment says, so they are not repeated there. */
START_TEST(child_env_carries_the_reported_messages)
{
	ts_ids_init();
	char *settings[] = {NULL};
	ts_childenv_setup(true, the_lib(), settings);
	char *own[] = {"PATH=/bin", "TRACESHIM_REPORTED=0000000a", NULL};
	char **env = ts_childenv(own, 42);
	ck_assert_str_eq(get(env, "TRACESHIM_REPORTED"), "0000000a");   /* nothing of ours yet */
	free(env);
	close(2);   /* the report itself is not this test's business */
	ts_warn_config("X='%s' is bad", "1");
	char list[TS_REPORTED_MAX + 1];
	ck_assert_uint_eq(ts_log_reported(list, sizeof list), 8);
	env = ts_childenv(own, 42);
	ck_assert_uint_eq(count(env, "TRACESHIM_REPORTED"), 1);
	ck_assert_str_eq(get(env, "TRACESHIM_REPORTED"), list);
	free(env);
	env = ts_childenv(NULL, 0);
	ck_assert_str_eq(get(env, "TRACESHIM_REPORTED"), list);
	free(env);
}
END_TEST

TS_CHECK_SUITE("context",
	       parses_a_valid_traceparent,
	       rejects_malformed_traceparents,
	       tracestate_limits,
	       tracestate_grammar,
	       child_env_of_an_empty_environment,
	       child_env_keeps_the_programs_own_values,
	       child_env_without_following,
	       child_env_when_the_library_is_out_of_reach,
	       child_env_carries_the_reported_messages)
