/* Resource attributes: process facts, OTEL_RESOURCE_ATTRIBUTES, service.name. */
#include "check_main.h"
#include "fake_env.h"
#include "resource.h"

#include <string.h>


static const struct ts_process_info proc = {
	.pid = 10, .ppid = 1, .exe_name = "cat", .exe_path = "/usr/bin/cat",
	.start_unix_ns = 1700000000123456789ull, .host_name = "box",
};

static const char *str(const struct ts_resource *r, const char *key)
{
	const struct ts_attr *a = ts_resource_find(r, key);
	ck_assert_msg(a != NULL, "%s missing", key);
	return a->v.s;
}

START_TEST(process_facts_and_default_service)
{
	static struct ts_resource r;
	fake_env = (const char *const[]){NULL};
	ts_resource_build(&r, &proc, fake_getenv);
	ck_assert_str_eq(str(&r, "service.name"), "cat");
	ck_assert_int_eq(ts_resource_find(&r, "process.pid")->v.i, 10);
	ck_assert_int_eq(ts_resource_find(&r, "process.parent_pid")->v.i, 1);
	ck_assert_str_eq(str(&r, "process.executable.path"), "/usr/bin/cat");
	ck_assert_str_eq(str(&r, "process.creation.time"), "2023-11-14T22:13:20.123456789Z");
	ck_assert_str_eq(str(&r, "host.name"), "box");
	ck_assert_str_eq(str(&r, "telemetry.sdk.name"), "traceshim");
	ck_assert_ptr_null(ts_resource_find(&r, "process.command_line"));
}
END_TEST

START_TEST(service_name_precedence)
{
	static struct ts_resource r;
	fake_env = (const char *const[]){"OTEL_RESOURCE_ATTRIBUTES=service.name=from-attrs,team=a%2Cb", NULL};
	ts_resource_build(&r, &proc, fake_getenv);
	ck_assert_str_eq(str(&r, "service.name"), "from-attrs");
	ck_assert_str_eq(str(&r, "team"), "a,b");
	fake_env = (const char *const[]){"OTEL_RESOURCE_ATTRIBUTES=service.name=from-attrs",
				     "OTEL_SERVICE_NAME=from-env", NULL};
	ts_resource_build(&r, &proc, fake_getenv);
	ck_assert_str_eq(str(&r, "service.name"), "from-env");
}
END_TEST

START_TEST(malformed_attributes_dropped_whole)
{
	static struct ts_resource r;
	fake_env = (const char *const[]){"OTEL_RESOURCE_ATTRIBUTES=good=1,bad=%G1", NULL};
	ts_resource_build(&r, &proc, fake_getenv);
	ck_assert_ptr_null(ts_resource_find(&r, "good"));
	ck_assert_str_eq(str(&r, "service.name"), "cat");
}
END_TEST

START_TEST(command_line_only_when_given)
{
	static struct ts_resource r;
	struct ts_process_info p = proc;
	static const char args[] = "cat\0-n\0file";
	p.command_args = args;
	p.command_args_len = sizeof args;
	fake_env = (const char *const[]){NULL};
	ts_resource_build(&r, &p, fake_getenv);
	ck_assert_str_eq(str(&r, "process.command_line"), "cat -n file");
}
END_TEST

TS_CHECK_SUITE("resource",
	       process_facts_and_default_service,
	       service_name_precedence,
	       malformed_attributes_dropped_whole,
	       command_line_only_when_given)
