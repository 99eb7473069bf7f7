/* libtslocal: a tiny shared library loaded with RTLD_LOCAL by dlopen_local.
 *
 * Symbols of an RTLD_LOCAL library are invisible to dlsym(RTLD_DEFAULT) and
 * RTLD_NEXT lookups, which is exactly the case the tracer's symbol resolver
 * has to cope with; its unit tests load this library too.
 * Exports are marked explicitly because the project may build everything with
 * -fvisibility=hidden. A second copy (libtslocal2, TSLOCAL_ANSWER 43) defines
 * the same symbol: which one a caller reaches depends on who calls.
 */
#ifndef TSLOCAL_ANSWER
#define TSLOCAL_ANSWER 42
#endif

int tslocal_answer(void);

__attribute__((visibility("default"))) int tslocal_answer(void)
{
	return TSLOCAL_ANSWER;
}
