/* What every libFuzzer target of contrib/fuzz/ shares. */
#ifndef MPMD_FUZZ_H
#define MPMD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* A broken invariant: a crash libFuzzer keeps, with its input. */
#define CHECK(cond)                       \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
