// Throws and catches an exception, then prints what its next open() returns:
// a tracer that records the thrower's stack must not leave a descriptor of its
// own behind (an unwinder's pipe, say).
#include <cstdio>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

__attribute__((noinline)) static void thrower()
{
	throw std::runtime_error("thrown");
}

int main()
{
	try {
		thrower();
	} catch (const std::exception &e) {
		std::printf("caught: %s\n", e.what());
	}
	int fd = open("/dev/null", O_RDONLY);
	std::printf("next open: %d\n", fd);
	return 0;
}
