/* SPDX-License-Identifier: MIT */
/*
 * smtp.h - internals shared by the SMTP codecs (smtp.c) and the session
 * machines (smtp_session.c): the replies the library gives, by name, and
 * the SASL line reader.
 */
#ifndef MF_SMTP_H
#define MF_SMTP_H

#include "core.h"

/* The library's replies (mf__smtp_st[]), by name. */
enum mf__smtp_sid {
	MF__S_OK,
	MF__S_SENDER_OK,
	MF__S_RCPT_OK,
	MF__S_HELLO,
	MF__S_DATA_GO,
	MF__S_MSG_OK,
	MF__S_CHUNK_OK,
	MF__S_BYE,
	MF__S_HELP,
	MF__S_VRFY,
	MF__S_TLS_GO,
	MF__S_LINE_LONG,
	MF__S_BAD_EOL,
	MF__S_BAD_CHAR,
	MF__S_UNKNOWN,
	MF__S_SYNTAX,
	MF__S_NO_ARGS,
	MF__S_NEED_ARG,
	MF__S_BAD_DOMAIN,
	MF__S_BAD_FROM,
	MF__S_BAD_TO,
	MF__S_FROM_MBOX,
	MF__S_TO_MBOX,
	MF__S_FROM_LONG,
	MF__S_TO_LONG,
	MF__S_PARAM_SYNTAX,
	MF__S_PARAM_DUP,
	MF__S_PARAM_UNKNOWN,
	MF__S_PARAM_VERB,
	MF__S_NOT_IMPL,
	MF__S_SEQ_HELO,
	MF__S_SEQ_MAIL,
	MF__S_SEQ_NESTED,
	MF__S_SEQ_DATA,
	MF__S_NO_RCPT,
	MF__S_SEQ_BINARY,
	MF__S_SEQ_BDAT,
	MF__S_SEQ_TX,
	MF__S_AUTH_MECH,
	MF__S_AUTH_DONE,
	MF__S_AUTH_CANCEL,
	MF__S_AUTH_SYNTAX,
	MF__S_UTF8_NEEDED,
	MF__S_TOO_BIG,
	MF__S_TOO_MANY,
	MF__S_TOO_MANY_ERRORS,
	MF__S_BARE,
	MF__S_LONG_DATA,
	MF__S_TLS_ACTIVE,
	MF__S_COUNT
};

extern const mf_smtp_status mf__smtp_st[MF__S_COUNT];

/* A copy of the library's reply id into *reply (may be NULL). */
MF__INLINE void
mf__smtp_reply(mf_smtp_status *reply, int id)
{
	if (reply != NULL)
		*reply = mf__smtp_st[id];
}

/* Hard bound of any line, whatever the limits and MF_LONG_LINES say. */
#define MF__SMTP_HARD_LINE ((size_t)64 * 1024)

/*
 * The line at the start of p[0..n) (shared by commands, replies and SASL
 * lines): MF_OK with [0, *end) the text, *next after its line end;
 * MF_MORE; or an error (the line too long, a bare LF when strict) with
 * *next the bytes to discard. *defects may get MF_D_BARE_LF or
 * MF_D_LONG_LINE (lenient). limit counts the line end.
 */
int mf__smtp_line(const char *p, size_t n, size_t limit, unsigned flags,
                  size_t *end, size_t *next, uint64_t *defects, int *sid,
                  mf_error *err);

/*
 * mf_smtp_cmd_parse with its fast paths (the common line and path read
 * in one pass each) when fast, else only the general ones: the same
 * results either way, which test_smtp checks.
 */
int mf__smtp_cmd_parse_way(bool fast, const char *p, size_t n,
                           const mf_opts *o, mf_smtp_cmd *cmd,
                           size_t *consumed, mf_error *err);

/* Whether kw is an ESMTP parameter the parser knows (SIZE, BODY, ...). */
bool mf__smtp_param_known(mf_str kw);

#endif /* MF_SMTP_H */
