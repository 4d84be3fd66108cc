/* SPDX-License-Identifier: MIT */
/* bench_codec.c - codec throughput (filled in with the codecs). */
#include "bench.h"

void
bench_codec(const bench_ctx *b)
{
	(void)b;
}
