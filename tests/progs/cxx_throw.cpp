// Throws std::runtime_error from cxx_thrower(): caught once (the program goes
// on), then, with the argument "uncaught", thrown again and never caught, so
// std::terminate ends the program with SIGABRT. With "many N", N throws
// caught one after the other (control flow by exceptions).
#include <cstdio>
#include <cstdlib>
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
	if (argc > 2 && !std::strcmp(argv[1], "many")) {
		int n = std::atoi(argv[2]), caught = 0;
		for (int i = 0; i < n; i++) {
			try {
				cxx_thrower(i);
			} catch (const std::exception &) {
				caught++;
			}
		}
		std::printf("caught %d\n", caught);
	}
	if (argc > 1 && !std::strcmp(argv[1], "uncaught"))
		cxx_thrower(2);
	return 0;
}
