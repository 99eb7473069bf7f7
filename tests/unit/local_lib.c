/* A library the resolver test opens with RTLD_LOCAL. */
__attribute__((visibility("default"))) int ts_test_local_answer(void)
{
	return 42;
}
