/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what every fuzz target (test/fuzz/fuzz_*.c) shares: the CHECK
 * macro, which aborts so that libFuzzer, the sanitizers and the replay
 * driver (driver.c) all report the failing input, and the entry point.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* FUZZ_H */
