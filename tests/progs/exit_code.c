/* Returns the code given on the command line from main (no exit() call):
 * the shim learns it through its __libc_start_main wrapper. The optional
 * second argument "_exit" leaves through _exit() instead. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int code = argc > 1 ? atoi(argv[1]) : 0;
	if (argc > 2 && !strcmp(argv[2], "_exit"))
		_exit(code);
	return code;
}
