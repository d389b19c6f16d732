/* What every libFuzzer target of contrib/fuzz/ shares. */
#ifndef MPMD_FUZZ_H
#define MPMD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A broken invariant: a crash libFuzzer keeps, with its input. */
#define CHECK(cond)                       \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A decoded PATH (OUTSZ bytes of room): absolute, no empty, "." or ".."
 * segment, so it stays beneath the document root. */
static inline void
fuzz_check_path(const char *path, size_t outsz)
{
	size_t n = strnlen(path, outsz);

	CHECK(n < outsz && path[0] == '/');
	CHECK(strstr(path, "//") == NULL && strstr(path, "/./") == NULL &&
	      strstr(path, "/../") == NULL);
	CHECK(!(n >= 2 && strcmp(path + n - 2, "/.") == 0));
	CHECK(!(n >= 3 && strcmp(path + n - 3, "/..") == 0));
}

#endif
