// Throws std::runtime_error from cxx_thrower(): caught once (the program goes
// on), then, with the argument "uncaught", thrown again and never caught, so
// std::terminate ends the program with SIGABRT.
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <unistd.h>

__attribute__((noinline)) static void cxx_thrower(int n)
{
	throw std::runtime_error("thrown " + std::to_string(n));
}

int main(int argc, char **argv)
{
	try {
		cxx_thrower(1);
	} catch (const std::exception &e) {
		std::printf("caught: %s\n", e.what());
		std::fflush(stdout);
	}
	if (argc > 1 && !std::strcmp(argv[1], "uncaught"))
		cxx_thrower(2);
	return 0;
}
