// A thread whose start routine is a C++ function (a static member in a
// namespace, so its symbol is mangled; linked with -rdynamic so that the
// symbol is in the dynamic table): its thread span is named after it,
// demangled. It uses libstdc++ (std::to_string), as a C++ program does.
#include <cstdio>
#include <pthread.h>
#include <string>

namespace pool {
struct worker {
	static void *run(void *arg);
};
} // namespace pool

void *pool::worker::run(void *arg)
{
	std::printf("worker %s\n", std::to_string(*static_cast<int *>(arg)).c_str());
	return nullptr;
}

int main()
{
	pthread_t t;
	int n = 1;
	if (pthread_create(&t, nullptr, &pool::worker::run, &n) != 0)
		return 1;
	pthread_join(t, nullptr);
	return 0;
}
