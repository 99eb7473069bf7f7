/* Shared suite set-up and main() for the Check suites: runs the suite, exits
 * non-zero on failure. */
#ifndef TS_CHECK_MAIN_H
#define TS_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

#define TS_CHECK_MAIN(make_suite)                                   \
	int main(void)                                              \
	{                                                           \
		SRunner *sr = srunner_create(make_suite());         \
		srunner_run_all(sr, CK_NORMAL);                     \
		int failed = srunner_ntests_failed(sr);             \
		srunner_free(sr);                                   \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;        \
	}

/* A suite of one test case holding the given tests, and its main(); setup
 * (or NULL) runs before each test. */
#define TS_CHECK_SUITE_SETUP(name, setup, ...)                                 \
	static Suite *make_suite(void)                                         \
	{                                                                      \
		const TTest *tests[] = {__VA_ARGS__};                          \
		Suite *s = suite_create(name);                                 \
		TCase *tc = tcase_create("core");                              \
		SFun setup_ = (setup);                                         \
		if (setup_)                                                    \
			tcase_add_checked_fixture(tc, setup_, NULL);           \
		for (size_t i = 0; i < sizeof tests / sizeof *tests; i++)      \
			tcase_add_test(tc, tests[i]);                          \
		suite_add_tcase(s, tc);                                        \
		return s;                                                      \
	}                                                                      \
	TS_CHECK_MAIN(make_suite)

#define TS_CHECK_SUITE(name, ...) TS_CHECK_SUITE_SETUP(name, NULL, __VA_ARGS__)

#endif
