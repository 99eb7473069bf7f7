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

START_TEST(never_returns_self_and_missing_is_null)
{
	void *self = (void *)ts_resolve;
	ck_assert_ptr_null(ts_resolve("ts_no_such_symbol_anywhere", self));
}
END_TEST

TS_CHECK_SUITE("resolve",
	       finds_libc_symbol,
	       finds_symbol_of_rtld_local_library,
	       never_returns_self_and_missing_is_null)
