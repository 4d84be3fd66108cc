/* SPDX-License-Identifier: MIT */
/*
 * uu.h - the uudecoder (uu.c) as a codec of codec.h, so that its one-shot
 * call and the content decoder (content.c) drive it the way they drive
 * base64 and quoted-printable. Hidden (mf__ prefix).
 */
#ifndef MF_UU_H
#define MF_UU_H

#include "codec.h"

/* Decoder only (no encoder); the path argument is ignored. */
extern const mf__codec mf__uu_codec;

#endif /* MF_UU_H */
