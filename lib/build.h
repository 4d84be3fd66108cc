/* SPDX-License-Identifier: MIT */
/*
 * build.h - internals of the message builder's convenience layer
 * (build.c), for the tests.
 */
#ifndef MF_BUILD_H
#define MF_BUILD_H

#include "core.h"

/* One entry of the built-in extension table of mf_mime_type. */
struct mf__mtype {
	const char *ext;  /* lower case, without the dot */
	const char *type;
};

/* The table (sorted by ext, strictly increasing) and its size. */
const struct mf__mtype *mf__mime_table(size_t *n);

#endif /* MF_BUILD_H */
