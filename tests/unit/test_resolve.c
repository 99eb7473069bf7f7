/* Real-symbol lookup finds definitions in libraries opened with RTLD_LOCAL,
 * which dlsym(RTLD_NEXT) and RTLD_DEFAULT cannot see. */
#include "check_main.h"
#include "resolve.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

START_TEST(finds_libc_symbol)
{
	void *p = ts_resolve("write", NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_eq(p, dlsym(RTLD_NEXT, "write"));
}
END_TEST

START_TEST(finds_symbol_of_rtld_local_library)
{
	const char *path = getenv("TS_LOCAL_LIB");
	ck_assert_msg(path != NULL, "TS_LOCAL_LIB must name the test library");
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(h != NULL, "dlopen: %s", dlerror());
	ck_assert_ptr_null(dlsym(RTLD_DEFAULT, "tslocal_answer"));
	ck_assert_ptr_null(dlsym(RTLD_NEXT, "tslocal_answer"));
	int (*fn)(void) = (int (*)(void))ts_resolve("tslocal_answer", NULL);
	ck_assert_ptr_nonnull(fn);
	ck_assert_int_eq(fn(), 42);
	ck_assert_ptr_eq((void *)fn, dlsym(h, "tslocal_answer"));
	dlclose(h);
}
END_TEST

/* Two libraries opened with RTLD_LOCAL define the same symbol: a caller in
 * either reaches its own, as the loader would bind it without the shim. */
START_TEST(each_caller_reaches_its_own_copy)
{
	const char *p1 = getenv("TS_LOCAL_LIB"), *p2 = getenv("TS_LOCAL_LIB2");
	ck_assert_msg(p1 && p2, "TS_LOCAL_LIB and TS_LOCAL_LIB2 must name the test libraries");
	void *h1 = dlopen(p1, RTLD_NOW | RTLD_LOCAL), *h2 = dlopen(p2, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(h1 && h2, "dlopen: %s", dlerror());
	void *own1 = dlsym(h1, "tslocal_answer"), *own2 = dlsym(h2, "tslocal_answer");
	ck_assert_ptr_ne(own1, own2);
	/* A return address inside each library (any of its code will do). */
	const char *in1 = (const char *)own1 + 1, *in2 = (const char *)own2 + 1;
	int (*fn)(void) = (int (*)(void))ts_resolve_from("tslocal_answer", NULL, in1);
	ck_assert_ptr_eq((void *)fn, own1);
	ck_assert_int_eq(fn(), 42);
	fn = (int (*)(void))ts_resolve_from("tslocal_answer", NULL, in2);
	ck_assert_ptr_eq((void *)fn, own2);
	ck_assert_int_eq(fn(), 43);
	/* The caller's own copy is never the wrapper itself. */
	ck_assert_ptr_eq(ts_resolve_from("tslocal_answer", own2, in2), own1);
	/* From the main program, or from no object: the first one loaded. */
	ck_assert_ptr_eq(ts_resolve_from("tslocal_answer", NULL, (const void *)ts_resolve), own1);
	ck_assert_ptr_eq(ts_resolve_from("tslocal_answer", NULL, NULL), own1);
	/* Nothing defines it anywhere. */
	ck_assert_ptr_null(ts_resolve_from("ts_no_such_symbol_anywhere", NULL, in1));
	dlclose(h2);
	dlclose(h1);
}
END_TEST

START_TEST(never_returns_self_and_missing_is_null)
{
	void *self = (void *)ts_resolve;
	ck_assert_ptr_null(ts_resolve("ts_no_such_symbol_anywhere", self));
}
END_TEST

TS_CHECK_SUITE("resolve",
	       finds_libc_symbol,
	       finds_symbol_of_rtld_local_library,
	       each_caller_reaches_its_own_copy,
	       never_returns_self_and_missing_is_null)
