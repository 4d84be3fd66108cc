/* SPDX-License-Identifier: MIT */
/*
 * pop3.c - POP3 (RFC 1939) with the extension mechanism of RFC 2449 (CAPA,
 * response codes, line lengths), AUTH (RFC 5034) and STLS (RFC 2595):
 * command and reply lines parsed and formatted, listings and capabilities
 * parsed, the APOP digest, and the session machines of both sides (one
 * state table for both). Multi-line data goes through lib/dot.c, the one
 * dot-stuffing codec of the library.
 *
 * Grammar (RFC 2449 3):
 *	command     = keyword *(SP param) CRLF     ; 255 octets maximum
 *	keyword     = 3*4VCHAR
 *	param       = 1*VCHAR
 *	single-line = status [SP text] CRLF        ; 512 octets maximum
 *	status      = "+OK" / "-ERR"
 *	text        = *schar / resp-code *CHAR
 *	resp-code   = "[" resp-level *("/" resp-level) "]"
 *	resp-level  = 1*rchar     ; printable ASCII but "/" and "]"
 *	capability  = capa-tag *(SP param) CRLF    ; 512 octets maximum
 *	capa-tag    = 1*cchar     ; printable ASCII but "."
 *	greeting    = "+OK" [resp-code] *gchar [timestamp] *gchar CRLF
 *	timestamp   = "<" *VCHAR ">"
 *	continue-req = "+" SP [base64] CRLF         ; RFC 5034 4
 *
 * Policy for ambiguous input:
 *  - Line ends are CRLF. A bare LF ends the line as an error (the line is
 *    consumed, so a server answers -ERR once per line the client thinks
 *    it sent); MF_ACCEPT_LF takes it as a line end. A CR elsewhere is no
 *    line end.
 *  - Keywords are case-insensitive, arguments are separated by exactly one
 *    SP (RFC 1939 3), and nothing else is tolerated: no empty argument, no
 *    trailing space, no control character. Arguments may carry bytes
 *    above 0x7F (UTF-8 names and passwords, RFC 6856). PASS takes the
 *    rest of its line, spaces included (RFC 1939 7 allows it).
 *  - Message numbers start at 1; a number that does not fit in 64 bits is
 *    a syntax error.
 *  - "+OK" and "-ERR" are upper case (RFC 1939 3: servers MUST). Reply
 *    text may hold any byte but NUL and CR. A "[" that does not open a
 *    well-formed response code is text. The first "<...>" of VCHARs in
 *    a +OK line is its APOP timestamp.
 *  - "AUTH" without a mechanism is the legacy request for the list of
 *    mechanisms (sent by Outlook; answered by Dovecot with a multi-line
 *    +OK), so it parses, and its +OK is read as multi-line.
 */
#include <stdio.h>

#include "core.h"
#include "header.h"
#include "md5.h"

/* Default line limits, line end included (RFC 2449 4; RFC 4954 4 gives
 * 12288 for the lines of an SMTP AUTH exchange, RFC 5034 none). */
#define CMD_MAX MF_POP3_CMD_MAX
#define REPLY_MAX MF_POP3_REPLY_MAX
#define SASL_MAX 12288

/* RFC 1939 7: a unique-id is 1 to 70 characters 0x21-0x7E. */
#define UID_MAX 70
/* RFC 4422 3.1: a SASL mechanism name is 1 to 20 characters. */
#define MECH_MAX 20

/* ---------------------------------------------------------------------- */
/* Lines                                                                   */
/* ---------------------------------------------------------------------- */

/* The effective limit: the caller's (hard-capped), else the default. */
static size_t
line_limit(size_t set, size_t dflt)
{
	mf_limits in, out;

	if (set == 0)
		return dflt;
	memset(&in, 0, sizeof(in));
	in.max_line_len = set;
	mf_limits_resolve(&in, &out);
	return out.max_line_len;
}

/*
 * The line at the start of p[0..n), at most max bytes with its line end:
 * MF_OK with *len (bytes before the line end) and *used (with the line
 * end); MF_MORE without a line end yet. MF_E_SYNTAX for a bare LF without
 * MF_ACCEPT_LF and MF_E_LIMIT for a longer line, with *used reaching past
 * its line end, or all of p when p does not hold it. Offsets in err are
 * base + the offset in p.
 */
static int
line_find(const char *p, size_t n, size_t max, unsigned flags,
	  uint64_t base, size_t *len, size_t *used, mf_error *err)
{
	const char *lf = n > 0 ? memchr(p, '\n', n < max ? n : max) : NULL;
	size_t i;

	*len = 0;
	*used = 0;
	if (lf == NULL) {
		if (n < max)
			return MF_MORE;
		lf = memchr(p + max, '\n', n - max);
		*used = lf != NULL ? (size_t)(lf - p) + 1 : n;
		return mf__err(err, MF_E_LIMIT, (size_t)(base + max),
			       "line too long");
	}
	i = (size_t)(lf - p);
	*used = i + 1;
	if (i > 0 && p[i - 1] == '\r') {
		*len = i - 1;
		return MF_OK;
	}
	if ((flags & MF_ACCEPT_LF) == 0)
		return mf__err(err, MF_E_SYNTAX, (size_t)(base + i),
			       "bare LF line end (CRLF expected)");
	*len = i;
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Tokens                                                                  */
/* ---------------------------------------------------------------------- */

/* RFC 2449 param, and bytes above 0x7F (RFC 6856). */
static bool
is_param(unsigned char c)
{
	return (c > 0x20 && c < 0x7f) || c >= 0x80;
}

/*
 * Decimal number p[0..n) into *v: DIGITs that fit in 64 bits. Returns the
 * offset of the first offending byte, or n when all are (callers check
 * that n > 0).
 */
static size_t
number(const char *p, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned char)p[i] - '0';

		if (d > 9 || x > (UINT64_MAX - d) / 10)
			return i;
		x = x * 10 + d;
	}
	*v = x;
	return n;
}

/* The run of param bytes at p[0..n): its length (0 if none). */
static size_t
param_len(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && is_param((unsigned char)p[i]))
		i++;
	return i;
}

static bool
is_b64(unsigned char c)
{
	return mf__is(c, MF__C_B64) || c == '=';
}

static bool
is_mech(unsigned char c)
{
	return mf__is(c, MF__C_ALPHA | MF__C_DIGIT) || c == '-' || c == '_';
}

/* ---------------------------------------------------------------------- */
/* Commands                                                                */
/* ---------------------------------------------------------------------- */

/* What a command's arguments are. */
enum { A_NONE, A_NAME, A_PASS, A_APOP, A_AUTH, A_MSG, A_OPTMSG, A_TOP };

static const struct verb {
	char name[5];
	unsigned char args;
} verbs[] = {
    [MF_POP3_UNKNOWN] = {"", A_NONE},  [MF_POP3_USER] = {"USER", A_NAME},
    [MF_POP3_PASS] = {"PASS", A_PASS}, [MF_POP3_APOP] = {"APOP", A_APOP},
    [MF_POP3_AUTH] = {"AUTH", A_AUTH}, [MF_POP3_STLS] = {"STLS", A_NONE},
    [MF_POP3_CAPA] = {"CAPA", A_NONE}, [MF_POP3_QUIT] = {"QUIT", A_NONE},
    [MF_POP3_STAT] = {"STAT", A_NONE}, [MF_POP3_LIST] = {"LIST", A_OPTMSG},
    [MF_POP3_RETR] = {"RETR", A_MSG},  [MF_POP3_DELE] = {"DELE", A_MSG},
    [MF_POP3_NOOP] = {"NOOP", A_NONE}, [MF_POP3_RSET] = {"RSET", A_NONE},
    [MF_POP3_TOP] = {"TOP", A_TOP},    [MF_POP3_UIDL] = {"UIDL", A_OPTMSG},
};

#define NVERBS ((int)(sizeof(verbs) / sizeof(verbs[0])))

static int
verb_of(const char *p, size_t n)
{
	int v;

	for (v = 1; v < NVERBS; v++) {
		if (mf__ieq(p, n, verbs[v].name, strlen(verbs[v].name)))
			return v;
	}
	return MF_POP3_UNKNOWN;
}

/* The message number argument a[0..n) into *v (from 1). */
static int
msg_arg(const char *a, size_t n, uint64_t *v, uint64_t off, mf_error *err)
{
	size_t bad = number(a, n, v);

	if (bad != n)
		return mf__err(err, MF_E_SYNTAX, (size_t)(off + bad),
			       "message number expected");
	if (*v == 0)
		return mf__err(err, MF_E_SYNTAX, (size_t)off,
			       "message numbers start at 1");
	return MF_OK;
}

/* Fewest and most arguments of each kind. */
static const unsigned char args_min[] = {0, 1, 1, 2, 0, 1, 0, 2};
static const unsigned char args_max[] = {0, 1, 1, 2, 2, 1, 1, 2};

/* The SASL mechanism a[0..n) (RFC 4422 3.1); the offset of a bad byte. */
static size_t
mech_bad(const char *a, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < MECH_MAX; i++) {
		if (!is_mech((unsigned char)a[i]))
			return i;
	}
	return i < n ? i : SIZE_MAX;
}

/*
 * The arguments p[0..n) of a command, after the SP that follows the
 * keyword (has is false when there is no SP), into cmd; off is the
 * absolute offset of p.
 */
static int
cmd_args(mf_pop3_cmd *cmd, const char *p, size_t n, bool has, uint64_t off,
	 mf_error *err)
{
	int kind = verbs[cmd->verb].args;
	mf_str a[2];
	size_t na = 0, i = 0, k;

	if (kind == A_PASS || cmd->verb == MF_POP3_UNKNOWN) {
		/* PASS: the rest of the line, spaces and all (RFC 1939 7);
		 * unknown commands: all the arguments, for the caller. */
		for (i = 0; i < n; i++) {
			if (!is_param((unsigned char)p[i]) && p[i] != ' ')
				return mf__err(err, MF_E_SYNTAX,
					       (size_t)(off + i),
					       "control character in argument");
		}
		if (kind == A_PASS && n == 0)
			return mf__err(err, MF_E_SYNTAX, (size_t)off,
				       "PASS needs a password");
		cmd->arg = (mf_str){p, n};
		return MF_OK;
	}
	/* param *(SP param), one SP each (RFC 1939 3). */
	while (has && i <= n) {
		k = param_len(p + i, n - i);
		if (k == 0)
			return mf__err(err, MF_E_SYNTAX, (size_t)(off + i),
				       i < n && p[i] != ' '
					   ? "control character in argument"
					   : "empty argument");
		if (i + k < n && p[i + k] != ' ')
			return mf__err(err, MF_E_SYNTAX, (size_t)(off + i + k),
				       "control character in argument");
		if (na == args_max[kind])
			return mf__err(err, MF_E_SYNTAX, (size_t)(off + i - 1),
				       "too many arguments");
		a[na++] = (mf_str){p + i, k};
		i += k + 1;
	}
	if (na < args_min[kind])
		return mf__err(err, MF_E_SYNTAX, (size_t)(off + n),
			       na == 0 ? "argument expected"
				       : "argument missing");
	switch (kind) {
	case A_NAME:
		cmd->arg = a[0];
		return MF_OK;
	case A_APOP:
		cmd->arg = a[0];
		cmd->arg2 = a[1];
		for (k = 0; k < a[1].len; k++) {
			if (mf__hexval((unsigned char)a[1].ptr[k]) < 0)
				break;
		}
		if (k != MF_POP3_DIGEST_LEN || a[1].len != k)
			return mf__err(err, MF_E_SYNTAX,
				       (size_t)(off + (size_t)(a[1].ptr - p) +
						k),
				       "APOP digest is not 32 hex digits");
		return MF_OK;
	case A_AUTH:
		/* RFC 5034 4: AUTH mechanism [initial-response]; none at
		 * all is the legacy request for the list. */
		if (na == 0)
			return MF_OK;
		k = mech_bad(a[0].ptr, a[0].len);
		if (k != SIZE_MAX)
			return mf__err(err, MF_E_SYNTAX, (size_t)(off + k),
				       "bad SASL mechanism name");
		cmd->arg = a[0];
		if (na == 1)
			return MF_OK;
		cmd->arg2 = a[1];
		for (k = 0; k < a[1].len; k++) {
			if (!is_b64((unsigned char)a[1].ptr[k]))
				return mf__err(
				    err, MF_E_SYNTAX,
				    (size_t)(off + (size_t)(a[1].ptr - p) + k),
				    "initial response is not base64");
		}
		return MF_OK;
	case A_MSG:
	case A_OPTMSG:
		return na == 0 ? MF_OK
			       : msg_arg(a[0].ptr, a[0].len, &cmd->msg, off,
					 err);
	case A_TOP:
		if (msg_arg(a[0].ptr, a[0].len, &cmd->msg, off, err) < 0)
			return MF_E_SYNTAX;
		k = number(a[1].ptr, a[1].len, &cmd->lines);
		if (k != a[1].len)
			return mf__err(
			    err, MF_E_SYNTAX,
			    (size_t)(off + (size_t)(a[1].ptr - p) + k),
			    "line count expected");
		return MF_OK;
	default:
		break;
	}
	return MF_OK;
}

/* Parses the command line p[0..n) (no line end) at absolute offset off. */
static int
cmd_line(const char *p, size_t n, uint64_t off, mf_pop3_cmd *cmd,
	 mf_error *err)
{
	size_t k = param_len(p, n);

	if (k < n && p[k] != ' ')
		return mf__err(err, MF_E_SYNTAX, (size_t)(off + k),
			       "control character in command");
	if (k < 3 || k > 4)
		return mf__err(err, MF_E_SYNTAX, (size_t)off,
			       "keyword is not 3 or 4 characters");
	cmd->keyword = (mf_str){p, k};
	cmd->verb = verb_of(p, k);
	if (k == n)
		return cmd_args(cmd, p + n, 0, false, off + n, err);
	return cmd_args(cmd, p + k + 1, n - k - 1, true, off + k + 1, err);
}

/* A client line inside an AUTH exchange: base64 (maybe empty) or "*". */
static int
sasl_line(const char *p, size_t n, uint64_t off, mf_pop3_cmd *cmd,
	  mf_error *err)
{
	size_t i;

	cmd->verb = MF_POP3_SASL;
	cmd->arg = (mf_str){p, n};
	if (n == 1 && p[0] == '*')
		return MF_OK;
	for (i = 0; i < n; i++) {
		if (!is_b64((unsigned char)p[i]))
			return mf__err(err, MF_E_SYNTAX, (size_t)(off + i),
				       "SASL response is not base64");
	}
	return MF_OK;
}

/* The parse shared by mf_pop3_cmd_parse and the server machine. */
static int
cmd_parse(const char *p, size_t n, size_t max, unsigned flags, bool sasl,
	  uint64_t base, mf_pop3_cmd *cmd, size_t *consumed, mf_error *err)
{
	size_t len, used;
	int rc;

	memset(cmd, 0, sizeof(*cmd));
	rc = line_find(p, n, max, flags, base, &len, &used, err);
	*consumed = used;
	if (rc != MF_OK)
		return rc;
	if (sasl)
		return sasl_line(p, len, base, cmd, err);
	return cmd_line(p, len, base, cmd, err);
}

/* The argument checks of the two public line parsers. */
static int
entry(const char *p, size_t n, const mf_opts *o, size_t *consumed,
      mf_error *err)
{
	if (consumed != NULL)
		*consumed = 0;
	if (mf__opts_check(o, MF_ACCEPT_LF, err) < 0)
		return MF_E_INVAL;
	if (p == NULL && n > 0)
		return mf__err(err, MF_E_INVAL, 0, "NULL input");
	return MF_OK;
}

int
mf_pop3_cmd_parse(const char *p, size_t n, const mf_opts *o,
		  mf_pop3_cmd *cmd, size_t *consumed, mf_error *err)
{
	mf_pop3_cmd scratch;
	size_t used;
	int rc = entry(p, n, o, consumed, err);

	if (cmd == NULL)
		cmd = &scratch;
	memset(cmd, 0, sizeof(*cmd));
	if (rc < 0)
		return rc;
	rc = cmd_parse(p, n,
		       line_limit(o != NULL ? o->limits.max_line_len : 0,
				  CMD_MAX),
		       o != NULL ? o->flags : 0, false, 0, cmd, &used, err);
	if (consumed != NULL)
		*consumed = used;
	return rc;
}

/* Appends s[0..n) at *o in out[0..cap) (the caller checked the room). */
static void
put(char *out, size_t *o, const char *s, size_t n)
{
	if (n > 0)
		memcpy(out + *o, s, n);
	*o += n;
}

/* The decimal digits of v in d[0..20); returns how many. */
static size_t
decimal(char d[20], uint64_t v)
{
	char t[20];
	size_t k = sizeof(t), n;

	do {
		t[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	n = sizeof(t) - k;
	memcpy(d, t + k, n);
	return n;
}

/* Whether a and b are the same span (both empty counts as the same). */
static bool
same(mf_str a, mf_str b)
{
	return a.len == b.len &&
	       (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

int
mf_pop3_cmd_format(char *out, size_t cap, const mf_pop3_cmd *cmd,
		   size_t *outlen)
{
	mf_pop3_cmd back;
	mf_str kw;
	char md[20], ld[20];
	size_t need, o = 0, used, mn, ln;
	bool sasl, m, l;
	int kind, rc;

	if (outlen != NULL)
		*outlen = 0;
	if (cmd == NULL || outlen == NULL || (cap > 0 && out == NULL) ||
	    cmd->verb < 0 || cmd->verb > MF_POP3_SASL)
		return MF_E_INVAL;
	sasl = cmd->verb == MF_POP3_SASL;
	kind = sasl ? A_NONE : verbs[cmd->verb].args;
	kw = cmd->keyword;
	if (sasl)
		kw = (mf_str){"", 0};
	else if (cmd->verb != MF_POP3_UNKNOWN)
		kw = (mf_str){verbs[cmd->verb].name,
			      strlen(verbs[cmd->verb].name)};
	m = kind == A_MSG || kind == A_TOP ||
	    (kind == A_OPTMSG && cmd->msg != 0);
	l = kind == A_TOP;
	/* keyword [SP arg] [SP arg2] [SP msg] [SP lines] CRLF; SASL: arg
	 * CRLF. Lengths are bounded before they are added. */
	if (kw.len > 4 || cmd->arg.len > SASL_MAX || cmd->arg2.len > SASL_MAX)
		return MF_E_LIMIT;
	need = kw.len + cmd->arg.len + cmd->arg2.len + 2;
	need += (cmd->arg.len > 0 && !sasl) + (cmd->arg2.len > 0);
	mn = m ? decimal(md, cmd->msg) : 0;
	ln = l ? decimal(ld, cmd->lines) : 0;
	need += (m ? 1 + mn : 0) + (l ? 1 + ln : 0);
	if (need > (sasl ? SASL_MAX : CMD_MAX))
		return MF_E_LIMIT;
	if (need > cap)
		return MF_E_NOSPC;
	put(out, &o, kw.ptr, kw.len);
	if (cmd->arg.len > 0 && !sasl)
		put(out, &o, " ", 1);
	put(out, &o, cmd->arg.ptr, cmd->arg.len);
	if (cmd->arg2.len > 0) {
		put(out, &o, " ", 1);
		put(out, &o, cmd->arg2.ptr, cmd->arg2.len);
	}
	if (m) {
		put(out, &o, " ", 1);
		put(out, &o, md, mn);
	}
	if (l) {
		put(out, &o, " ", 1);
		put(out, &o, ld, ln);
	}
	put(out, &o, "\r\n", 2);
	/* One grammar both ways: what is written must parse back the same. */
	rc = cmd_parse(out, o, SIZE_MAX, 0, sasl, 0, &back, &used, NULL);
	if (rc != MF_OK || used != o || back.verb != cmd->verb ||
	    (cmd->verb == MF_POP3_UNKNOWN && !same(back.keyword, kw)) ||
	    !same(back.arg, cmd->arg) || !same(back.arg2, cmd->arg2) ||
	    back.msg != (m ? cmd->msg : 0) ||
	    back.lines != (l ? cmd->lines : 0))
		return MF_E_INVAL;
	*outlen = o;
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Replies                                                                 */
/* ---------------------------------------------------------------------- */

/* RFC 2449 rchar: printable ASCII but "/" and "]" (and 0x7F, as 5.1 of
 * RFC 5234 has VCHAR end at 0x7E). */
static bool
is_rchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '/' && c != ']';
}

/* Length of the well-formed resp-code levels at p[0..n) (up to the "]"),
 * or 0. */
static size_t
code_len(const char *p, size_t n)
{
	size_t i = 0, lvl = 0;

	for (; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == ']')
			return lvl > 0 ? i : 0;
		if (c == '/') {
			if (lvl == 0)
				return 0;
			lvl = 0;
		} else if (is_rchar(c)) {
			lvl++;
		} else {
			return 0;
		}
	}
	return 0;
}

/* The APOP timestamp in t[0..n): the first "<" 1*VCHAR ">", or empty. */
static mf_str
timestamp(const char *t, size_t n)
{
	const char *lt = memchr(t, '<', n);
	size_t i;

	if (lt == NULL)
		return (mf_str){NULL, 0};
	for (i = (size_t)(lt - t) + 1; i < n; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c == '>' && t + i > lt + 1)
			return (mf_str){lt, (size_t)(t + i + 1 - lt)};
		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>')
			break;
	}
	return (mf_str){NULL, 0};
}

/* Parses the reply line p[0..n) (no line end) at absolute offset off. */
static int
reply_line(const char *p, size_t n, uint64_t off, mf_pop3_reply *r,
	   mf_error *err)
{
	size_t i, k;

	if (n >= 3 && memcmp(p, "+OK", 3) == 0) {
		r->status = MF_POP3_OK;
		k = 3;
	} else if (n >= 4 && memcmp(p, "-ERR", 4) == 0) {
		r->status = MF_POP3_ERR;
		k = 4;
	} else if (n >= 1 && p[0] == '+' && (n == 1 || p[1] == ' ')) {
		r->status = MF_POP3_CONT;
		k = 1;
	} else {
		return mf__err(err, MF_E_SYNTAX, (size_t)off,
			       "reply is not +OK, -ERR or a continuation");
	}
	if (k < n && p[k] != ' ')
		return mf__err(err, MF_E_SYNTAX, (size_t)(off + k),
			       "space expected after the status");
	k += k < n;
	for (i = k; i < n; i++) {
		if (p[i] == '\0' || p[i] == '\r')
			return mf__err(err, MF_E_SYNTAX, (size_t)(off + i),
				       p[i] == '\0' ? "NUL in reply"
						    : "bare CR in reply");
	}
	r->text = (mf_str){p + k, n - k};
	if (r->status != MF_POP3_CONT && k < n && p[k] == '[') {
		/* RFC 2449 8: "[" code "]", then the text. */
		size_t c = code_len(p + k + 1, n - k - 1);

		if (c > 0) {
			r->code = (mf_str){p + k + 1, c};
			k += c + 2;
			k += k < n && p[k] == ' ';
			r->text = (mf_str){p + k, n - k};
		}
	}
	if (r->status == MF_POP3_OK)
		r->timestamp = timestamp(r->text.ptr, r->text.len);
	return MF_OK;
}

/* A reply line's limit: SASL challenges may be longer (RFC 5034 4). */
static size_t
reply_max(const char *p, size_t n, size_t set)
{
	if (set != 0)
		return line_limit(set, REPLY_MAX);
	return n >= 2 && p[0] == '+' && p[1] != 'O' ? SASL_MAX : REPLY_MAX;
}

static int
reply_parse(const char *p, size_t n, size_t set, unsigned flags,
	    uint64_t base, mf_pop3_reply *r, size_t *consumed, mf_error *err)
{
	size_t len, used;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = line_find(p, n, reply_max(p, n, set), flags, base, &len, &used,
		       err);
	*consumed = used;
	if (rc != MF_OK)
		return rc;
	return reply_line(p, len, base, r, err);
}

int
mf_pop3_reply_parse(const char *p, size_t n, const mf_opts *o,
		    mf_pop3_reply *r, size_t *consumed, mf_error *err)
{
	mf_pop3_reply scratch;
	size_t used;
	int rc = entry(p, n, o, consumed, err);

	if (r == NULL)
		r = &scratch;
	memset(r, 0, sizeof(*r));
	if (rc < 0)
		return rc;
	rc = reply_parse(p, n, o != NULL ? o->limits.max_line_len : 0,
			 o != NULL ? o->flags : 0, 0, r, &used, err);
	if (consumed != NULL)
		*consumed = used;
	return rc;
}

int
mf_pop3_reply_format(char *out, size_t cap, const mf_pop3_reply *r,
		     size_t *outlen)
{
	static const char *const st[] = {"", "+OK", "-ERR", "+"};
	mf_pop3_reply back;
	size_t need, o = 0, used, sl;
	int rc;

	if (outlen != NULL)
		*outlen = 0;
	if (r == NULL || outlen == NULL || (cap > 0 && out == NULL) ||
	    r->status < MF_POP3_OK || r->status > MF_POP3_CONT ||
	    (r->status == MF_POP3_CONT && r->code.len > 0))
		return MF_E_INVAL;
	sl = strlen(st[r->status]);
	if (r->code.len > SASL_MAX || r->text.len > SASL_MAX)
		return MF_E_LIMIT;
	/* status [SP "[" code "]"] [SP text] CRLF; a challenge is "+" SP
	 * [base64] CRLF (RFC 5034 4). */
	need = sl + (r->code.len > 0 ? r->code.len + 3 : 0) +
	       (r->text.len > 0 || r->status == MF_POP3_CONT) + r->text.len +
	       2;
	if (need > (r->status == MF_POP3_CONT ? SASL_MAX : REPLY_MAX))
		return MF_E_LIMIT;
	if (need > cap)
		return MF_E_NOSPC;
	put(out, &o, st[r->status], sl);
	if (r->code.len > 0) {
		put(out, &o, " [", 2);
		put(out, &o, r->code.ptr, r->code.len);
		put(out, &o, "]", 1);
	}
	if (r->text.len > 0 || r->status == MF_POP3_CONT)
		put(out, &o, " ", 1);
	put(out, &o, r->text.ptr, r->text.len);
	put(out, &o, "\r\n", 2);
	rc = reply_parse(out, o, SIZE_MAX, 0, 0, &back, &used, NULL);
	if (rc != MF_OK || used != o || back.status != r->status ||
	    !same(back.code, r->code) || !same(back.text, r->text))
		return MF_E_INVAL;
	*outlen = o;
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Listings and capabilities                                               */
/* ---------------------------------------------------------------------- */

int
mf_pop3_listing_parse(const char *p, size_t n, int verb, mf_pop3_listing *l,
		      mf_error *err)
{
	mf_pop3_listing scratch;
	const char *sp;
	size_t a, k, i;

	if (l == NULL)
		l = &scratch;
	memset(l, 0, sizeof(*l));
	if ((p == NULL && n > 0) ||
	    (verb != MF_POP3_STAT && verb != MF_POP3_LIST &&
	     verb != MF_POP3_UIDL))
		return mf__err(err, MF_E_INVAL, 0, "not a listing command");
	/* number SP ... (RFC 1939 5, 7) */
	sp = n > 0 ? memchr(p, ' ', n) : NULL;
	a = sp != NULL ? (size_t)(sp - p) : n;
	k = number(p, a, &l->msg);
	if (k != a || a == 0 || a == n)
		return mf__err(err, MF_E_SYNTAX, k != a ? k : n,
			       verb == MF_POP3_STAT
				   ? "message count expected"
				   : "message number expected");
	if (verb != MF_POP3_STAT && l->msg == 0)
		return mf__err(err, MF_E_SYNTAX, 0,
			       "message numbers start at 1");
	p += a + 1;
	n -= a + 1;
	if (verb == MF_POP3_UIDL) {
		/* unique-id: 1 to 70 of 0x21-0x7E, nothing after it. */
		for (i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)p[i];

			if (ch <= 0x20 || ch >= 0x7f || i == UID_MAX)
				return mf__err(err, MF_E_SYNTAX, a + 1 + i,
					       i == UID_MAX
						   ? "unique-id too long"
						   : "bad byte in unique-id");
		}
		if (n == 0)
			return mf__err(err, MF_E_SYNTAX, a + 1,
				       "unique-id expected");
		l->uid = (mf_str){p, n};
		return MF_OK;
	}
	/* size [SP anything] */
	sp = memchr(p, ' ', n);
	i = sp != NULL ? (size_t)(sp - p) : n;
	k = number(p, i, &l->size);
	if (k != i || i == 0)
		return mf__err(err, MF_E_SYNTAX, a + 1 + k, "size expected");
	if (i < n)
		l->rest = (mf_str){p + i + 1, n - i - 1};
	return MF_OK;
}

static const struct capa_tag {
	const char *name;
	unsigned cap;
} capa_tags[] = {
    {"TOP", MF_POP3_CAP_TOP},
    {"USER", MF_POP3_CAP_USER},
    {"SASL", MF_POP3_CAP_SASL},
    {"RESP-CODES", MF_POP3_CAP_RESP_CODES},
    {"LOGIN-DELAY", MF_POP3_CAP_LOGIN_DELAY},
    {"PIPELINING", MF_POP3_CAP_PIPELINING},
    {"EXPIRE", MF_POP3_CAP_EXPIRE},
    {"UIDL", MF_POP3_CAP_UIDL},
    {"IMPLEMENTATION", MF_POP3_CAP_IMPLEMENTATION},
    {"STLS", MF_POP3_CAP_STLS},
    {"AUTH-RESP-CODE", MF_POP3_CAP_AUTH_RESP_CODE},
    {"UTF8", MF_POP3_CAP_UTF8},
    {"LANG", MF_POP3_CAP_LANG},
};

int
mf_pop3_capa_parse(const char *p, size_t n, mf_pop3_capa *c, mf_error *err)
{
	mf_pop3_capa scratch;
	size_t k, i, v;

	if (c == NULL)
		c = &scratch;
	memset(c, 0, sizeof(*c));
	if (p == NULL && n > 0)
		return mf__err(err, MF_E_INVAL, 0, "NULL input");
	/* capa-tag = 1*cchar: printable ASCII but "." (RFC 2449 3). */
	for (k = 0; k < n && p[k] != ' '; k++) {
		unsigned char ch = (unsigned char)p[k];

		if (ch <= 0x20 || ch >= 0x7f || ch == '.')
			return mf__err(err, MF_E_SYNTAX, k,
				       "bad byte in capability");
	}
	if (k == 0)
		return mf__err(err, MF_E_SYNTAX, 0, "capability expected");
	/* *(SP param) */
	for (i = k; i < n; i += 1 + v) {
		v = param_len(p + i + 1, n - i - 1);
		if (p[i] != ' ' || v == 0)
			return mf__err(err, MF_E_SYNTAX, i + (p[i] == ' '),
				       "bad capability parameter");
	}
	c->tag = (mf_str){p, k};
	if (k < n)
		c->params = (mf_str){p + k + 1, n - k - 1};
	for (i = 0; i < sizeof(capa_tags) / sizeof(capa_tags[0]); i++) {
		if (mf__ieq(p, k, capa_tags[i].name,
			    strlen(capa_tags[i].name)))
			c->cap = capa_tags[i].cap;
	}
	if (c->cap == MF_POP3_CAP_LOGIN_DELAY || c->cap == MF_POP3_CAP_EXPIRE) {
		/* RFC 2449 6.5, 6.7: a number (EXPIRE: or NEVER), then
		 * optionally USER. */
		const char *a = c->params.ptr;
		size_t an = c->params.len, w;

		w = param_len(a, an);
		if (c->cap == MF_POP3_CAP_EXPIRE && mf__ieq(a, w, "NEVER", 5))
			c->value = UINT64_MAX;
		else if (w == 0 || number(a, w, &c->value) != w)
			return mf__err(err, MF_E_SYNTAX, k + 1,
				       "number expected");
		if (w < an) {
			if (!mf__ieq(a + w + 1, an - w - 1, "USER", 4))
				return mf__err(err, MF_E_SYNTAX, k + 2 + w,
					       "USER expected");
			c->user = 1;
		}
	}
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* APOP (RFC 1939 7)                                                       */
/* ---------------------------------------------------------------------- */

static void
apop(unsigned char d[MF__MD5_LEN], const char *ts, size_t tslen,
     const char *secret, size_t slen)
{
	mf__md5_ctx c;

	mf__md5_init(&c);
	mf__md5_update(&c, ts, tslen);
	mf__md5_update(&c, secret, slen);
	mf__md5_final(&c, d);
}

int
mf_pop3_apop_digest(char *out, size_t cap, const char *ts, size_t tslen,
		    const char *secret, size_t slen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[MF__MD5_LEN];
	size_t i;

	if (ts == NULL || tslen == 0 || (secret == NULL && slen > 0) ||
	    (out == NULL && cap > 0))
		return MF_E_INVAL;
	if (cap < MF_POP3_DIGEST_LEN)
		return MF_E_NOSPC;
	apop(d, ts, tslen, secret, slen);
	for (i = 0; i < MF__MD5_LEN; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	return MF_OK;
}

int
mf_pop3_apop_verify(const char *ts, size_t tslen, const char *secret,
		    size_t slen, const char *digest, size_t dlen)
{
	unsigned char d[MF__MD5_LEN];
	unsigned diff = 0;
	size_t i;

	if (ts == NULL || tslen == 0 || (secret == NULL && slen > 0) ||
	    digest == NULL || dlen != MF_POP3_DIGEST_LEN)
		return 0;
	apop(d, ts, tslen, secret, slen);
	/* Every byte is looked at, whatever differs (no early exit). */
	for (i = 0; i < MF__MD5_LEN; i++) {
		int hi = mf__hexval((unsigned char)digest[2 * i]);
		int lo = mf__hexval((unsigned char)digest[2 * i + 1]);

		diff |= (unsigned)(hi | lo) >> 8; /* -1: not hex */
		diff |= ((unsigned)hi << 4 | (unsigned)lo) ^ d[i];
	}
	return diff == 0;
}

/* ---------------------------------------------------------------------- */
/* Sessions: one state table for the server and the client                 */
/* ---------------------------------------------------------------------- */

/* Internal verb: AUTH without a mechanism, the legacy list request. */
#define V_AUTH_LIST 100

/* The part of a session the RFC 1939 states are made of. */
struct sess {
	int state, user, sasl, tls;
};

/*
 * Why verb may not come now, or NULL (RFC 1939 4-7; RFC 2449 5: CAPA in
 * both states; RFC 2595 4: STLS once, before login; RFC 5034 4).
 */
static const char *
refusal(const struct sess *s, int verb)
{
	if (s->state == MF_POP3_CONNECTED)
		return "no greeting yet";
	if (s->state >= MF_POP3_UPDATE)
		return "session ended";
	if (s->sasl)
		return verb == MF_POP3_SASL ? NULL
					    : "inside an AUTH exchange";
	switch (verb) {
	case MF_POP3_SASL:
		return "no AUTH exchange";
	case MF_POP3_UNKNOWN:
	case MF_POP3_CAPA:
	case MF_POP3_QUIT:
		return NULL;
	case MF_POP3_PASS:
		if (s->state == MF_POP3_TRANSACTION)
			return "already logged in";
		return s->user ? NULL : "PASS must follow a USER accepted";
	case MF_POP3_USER:
	case MF_POP3_APOP:
	case MF_POP3_AUTH:
	case V_AUTH_LIST:
	case MF_POP3_STLS:
		if (s->state == MF_POP3_TRANSACTION)
			return "already logged in";
		if (s->user)
			return "PASS expected after USER";
		return verb == MF_POP3_STLS && s->tls ? "TLS already active"
						       : NULL;
	default:
		break;
	}
	return s->state == MF_POP3_TRANSACTION ? NULL : "not logged in";
}

/* The state after the reply status to verb (MF_POP3_GREETING: the
 * greeting). */
static void
advance(struct sess *s, int verb, int status)
{
	bool ok = status == MF_POP3_OK;

	switch (verb) {
	case MF_POP3_GREETING:
		s->state = ok ? MF_POP3_AUTHORIZATION : MF_POP3_CLOSED;
		break;
	case MF_POP3_USER:
		s->user = ok;
		break;
	case MF_POP3_AUTH:
	case MF_POP3_SASL:
		s->sasl = status == MF_POP3_CONT;
		/* FALLTHROUGH */
	case MF_POP3_PASS:
	case MF_POP3_APOP:
		s->user = 0;
		if (ok)
			s->state = MF_POP3_TRANSACTION;
		break;
	case MF_POP3_STLS:
		if (ok) {
			s->tls = 1;
			s->user = 0;
		}
		break;
	case MF_POP3_QUIT:
		s->state = MF_POP3_CLOSED;
		s->user = 0;
		break;
	default:
		break;
	}
}

/* ---------------------------------------------------------------------- */
/* Server                                                                  */
/* ---------------------------------------------------------------------- */

int
mf_pop3_server_init(mf_pop3_server *s, const mf_opts *o)
{
	if (s == NULL)
		return MF_E_INVAL;
	memset(s, 0, sizeof(*s));
	if (mf__opts_check(o, MF_ACCEPT_LF, NULL) < 0) {
		s->err_ = MF_E_INVAL;
		return MF_E_INVAL;
	}
	if (o != NULL) {
		s->flags_ = o->flags;
		s->max_line_ = o->limits.max_line_len;
	}
	return MF_OK;
}

static struct sess
server_sess(const mf_pop3_server *s)
{
	struct sess ss = {s->state, s->user_, s->sasl_, s->tls};

	return ss;
}

int
mf_pop3_server_read(mf_pop3_server *s, const char *p, size_t n,
		    mf_pop3_cmd *cmd, size_t *consumed, mf_error *err)
{
	struct sess ss;
	const char *why, *lf;
	size_t skip = 0, used = 0;
	uint64_t at;
	int rc;

	if (consumed != NULL)
		*consumed = 0;
	if (cmd != NULL)
		memset(cmd, 0, sizeof(*cmd));
	if (s == NULL || cmd == NULL || consumed == NULL ||
	    (p == NULL && n > 0) || s->err_ != 0)
		return mf__err(err, MF_E_INVAL, 0, "invalid argument");
	if (s->state == MF_POP3_CONNECTED || s->state >= MF_POP3_UPDATE ||
	    s->due_)
		return mf__err(err, MF_E_INVAL, (size_t)s->off_,
			       s->state == MF_POP3_CONNECTED
				   ? "send the greeting first"
			       : s->due_ ? "answer the last line first"
					 : "session ended");
	if (s->skip_) {
		/* The rest of a line refused as too long is not a command. */
		lf = n > 0 ? memchr(p, '\n', n) : NULL;
		skip = lf != NULL ? (size_t)(lf - p) + 1 : n;
		s->off_ += skip;
		*consumed = skip;
		if (lf == NULL)
			return MF_MORE;
		s->skip_ = 0;
	}
	at = s->off_;
	rc = cmd_parse(p + skip, n - skip,
		       line_limit(s->max_line_, s->sasl_ ? SASL_MAX : CMD_MAX),
		       s->flags_, s->sasl_ != 0, at, cmd, &used, err);
	if (rc == MF_MORE)
		return MF_MORE;
	s->off_ += used;
	*consumed = skip + used;
	s->due_ = 1;
	s->bad_ = rc != MF_OK;
	s->verb_ = s->sasl_ ? MF_POP3_SASL : MF_POP3_UNKNOWN;
	if (rc == MF_E_LIMIT && p[skip + used - 1] != '\n')
		s->skip_ = 1;
	if (rc != MF_OK)
		return rc;
	ss = server_sess(s);
	why = refusal(&ss, cmd->verb);
	if (why == NULL && cmd->verb == MF_POP3_STLS && skip + used < n)
		/* Plaintext after STLS would be read as if it came over
		 * TLS (the STARTTLS command injection attack). */
		why = "command pipelined after STLS";
	if (why != NULL) {
		s->bad_ = 1;
		return mf__err(err, MF_E_STATE, (size_t)at, why);
	}
	s->verb_ = cmd->verb == MF_POP3_AUTH && cmd->arg.len == 0
		       ? V_AUTH_LIST
		       : cmd->verb;
	/* RFC 5034 4: "*" cancels the exchange; the server MUST reject. */
	s->bad_ = cmd->verb == MF_POP3_SASL && cmd->arg.len == 1 &&
		  cmd->arg.ptr[0] == '*';
	if (cmd->verb == MF_POP3_QUIT && s->state == MF_POP3_TRANSACTION)
		s->state = MF_POP3_UPDATE;
	return MF_OK;
}

int
mf_pop3_server_reply(mf_pop3_server *s, const mf_pop3_reply *r, char *out,
		     size_t cap, size_t *outlen)
{
	struct sess ss;
	bool greeting;
	int rc;

	if (outlen != NULL)
		*outlen = 0;
	if (s == NULL || r == NULL || outlen == NULL || s->err_ != 0)
		return MF_E_INVAL;
	greeting = s->state == MF_POP3_CONNECTED;
	if (!greeting && !s->due_)
		return MF_E_INVAL; /* nothing to answer */
	if (s->bad_ && r->status != MF_POP3_ERR)
		return MF_E_INVAL;
	if (r->status == MF_POP3_CONT &&
	    (greeting ||
	     (s->verb_ != MF_POP3_AUTH && s->verb_ != MF_POP3_SASL)))
		return MF_E_INVAL;
	rc = mf_pop3_reply_format(out, cap, r, outlen);
	if (rc < 0)
		return rc;
	ss = server_sess(s);
	advance(&ss, greeting ? MF_POP3_GREETING : s->verb_, r->status);
	s->state = ss.state;
	s->user_ = ss.user;
	s->sasl_ = ss.sasl;
	s->tls = ss.tls;
	s->due_ = 0;
	s->bad_ = 0;
	s->verb_ = 0;
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Messages a server sends                                                 */
/* ---------------------------------------------------------------------- */

uint64_t
mf_pop3_msg_size(const char *p, size_t n)
{
	/* What the client gets is decode(encode(p)): both by lib/dot.c, so
	 * the size and the bytes sent cannot disagree. */
	enum { CHUNK = 1024 };
	char enc[2 * CHUNK + 5], dec[2 * CHUNK + 6];
	mf_dot_enc es;
	mf_dot_dec ds;
	uint64_t size = 0;
	size_t off = 0, elen, dlen;

	if (p == NULL)
		return 0;
	memset(&es, 0, sizeof(es));
	memset(&ds, 0, sizeof(ds));
	ds.flags = MF_LONG_LINES;
	for (;;) {
		size_t k = n - off < CHUNK ? n - off : CHUNK;
		int rc = k > 0 ? mf_dot_enc_update(&es, enc, sizeof(enc),
						   p + off, k, &elen)
			       : mf_dot_enc_final(&es, enc, sizeof(enc), &elen);

		if (rc < 0 || mf_dot_dec_update(&ds, dec, sizeof(dec), enc,
						elen, &dlen, NULL, NULL) < 0)
			return 0; /* not reached: the buffers are big enough */
		size += dlen;
		if (k == 0)
			return size;
		off += k;
	}
}

int
mf_pop3_top_len(const char *p, size_t n, uint64_t lines, size_t *len)
{
	mf__hdr h;
	mf__hdr_ev ev;
	size_t used, off = 0, body;
	int rc;

	if (len != NULL)
		*len = 0;
	if (len == NULL || (p == NULL && n > 0))
		return MF_E_INVAL;
	if (p == NULL)
		p = "";
	/* The header block ends where the one header machine says. */
	mf__hdr_init(&h, NULL, 0);
	do {
		rc = mf__hdr_feed(&h, p + off, n - off, true, &used, &ev);
		off += used;
	} while (rc == MF_OK && ev.type != MF__HDR_END);
	mf__hdr_fini(&h);
	if (rc < 0)
		return rc;
	body = (size_t)ev.body_off;
	while (lines > 0 && body < n) {
		const char *lf = memchr(p + body, '\n', n - body);

		body = lf != NULL ? (size_t)(lf - p) + 1 : n;
		lines--;
	}
	*len = body;
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Maildrop replies                                                        */
/* ---------------------------------------------------------------------- */

size_t
mf_pop3_drop_stat(const mf_pop3_msg *msgs, size_t n, uint64_t *octets)
{
	size_t i, k = 0;
	uint64_t sum = 0;

	for (i = 0; msgs != NULL && i < n; i++) {
		if (!msgs[i].deleted) {
			k++;
			sum += msgs[i].size;
		}
	}
	if (octets != NULL)
		*octets = sum;
	return k;
}

/* RFC 1939 7: a unique-id is 1 to 70 characters 0x21-0x7E. */
static bool
uid_ok(mf_str u)
{
	size_t i;

	if (u.len == 0 || u.len > UID_MAX || u.ptr == NULL)
		return false;
	for (i = 0; i < u.len; i++) {
		if ((unsigned char)u.ptr[i] < 0x21 ||
		    (unsigned char)u.ptr[i] > 0x7E)
			return false;
	}
	return true;
}

/* A listing line of message i (from 0): "n size" or "n uid". */
static int
listing_line(char *line, size_t cap, int verb, const mf_pop3_msg *m, size_t i)
{
	if (verb == MF_POP3_LIST)
		return snprintf(line, cap, "%zu %llu", i + 1,
				(unsigned long long)m->size);
	return snprintf(line, cap, "%zu %.*s", i + 1, (int)m->uid.len,
			m->uid.ptr);
}

/* The reply line, through the session (it takes the state). The room
 * was reserved: this cannot fail but for a text the caller passed. */
static int
serve_reply(mf_pop3_server *s, mf_buf *out, int status, const char *code,
	    const char *text)
{
	char line[REPLY_MAX];
	mf_pop3_reply r;
	size_t len;
	int rc;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.code.ptr = code;
	r.code.len = strlen(code);
	r.text.ptr = text;
	r.text.len = strlen(text);
	rc = mf_pop3_server_reply(s, &r, line, sizeof(line), &len);
	if (rc < 0)
		return rc;
	return mf__buf_put(out, line, len);
}

int
mf_pop3_serve(mf_pop3_server *s, const mf_pop3_cmd *cmd, mf_pop3_msg *msgs,
	      size_t n, mf_buf *out, size_t *msg)
{
	/* A listing line: number, space, size or unique-id, CRLF. */
	enum { LINE = 20 + 1 + UID_MAX + 2 };
	char text[REPLY_MAX], line[LINE + 1];
	mf_pop3_msg *m = NULL;
	size_t i, room, k;
	uint64_t octets;
	int rc, len;

	if (msg != NULL)
		*msg = SIZE_MAX;
	if (s == NULL || cmd == NULL || out == NULL || msg == NULL ||
	    (msgs == NULL && n > 0) || !s->due_ || s->bad_)
		return MF_E_INVAL;
	switch (cmd->verb) {
	case MF_POP3_USER:
	case MF_POP3_PASS:
	case MF_POP3_APOP:
	case MF_POP3_CAPA:
		return MF_MORE;
	case MF_POP3_QUIT:
		if (s->state == MF_POP3_UPDATE)
			return MF_MORE;
		break;
	default:
		break;
	}
	/* The message a command names (RFC 1939 5: not one marked as
	 * deleted). */
	if (cmd->msg >= 1 && cmd->msg <= n && !msgs[cmd->msg - 1].deleted)
		m = &msgs[cmd->msg - 1];
	/* The caller's unique-ids go out as they are: they must be ones. */
	for (i = 0; cmd->verb == MF_POP3_UIDL && i < n; i++) {
		if ((cmd->msg == 0 || &msgs[i] == m) && !msgs[i].deleted &&
		    !uid_ok(msgs[i].uid))
			return MF_E_INVAL;
	}
	/* Room for the whole answer first: then nothing below fails, and
	 * a failure changes nothing (no state taken, no mark set). */
	room = REPLY_MAX;
	if ((cmd->verb == MF_POP3_LIST || cmd->verb == MF_POP3_UIDL) &&
	    cmd->msg == 0 && (!mf__mul(n, LINE, &k) || !mf__add(room, k, &room)))
		return MF_E_NOMEM;
	rc = mf__buf_grow(out, room);
	if (rc < 0)
		return rc;
	text[0] = '\0';
	switch (cmd->verb) {
	case MF_POP3_STAT:
		k = mf_pop3_drop_stat(msgs, n, &octets);
		snprintf(text, sizeof(text), "%zu %llu", k,
			 (unsigned long long)octets);
		break;
	case MF_POP3_LIST:
	case MF_POP3_UIDL:
		if (cmd->msg != 0) {
			if (m == NULL)
				break;
			listing_line(text, sizeof(text), cmd->verb, m,
				     (size_t)cmd->msg - 1);
			break;
		}
		rc = serve_reply(s, out, MF_POP3_OK, "", "listing follows");
		for (i = 0; rc == MF_OK && i < n; i++) {
			if (msgs[i].deleted)
				continue;
			len = listing_line(line, sizeof(line) - 2, cmd->verb,
					   &msgs[i], i);
			memcpy(line + len, "\r\n", 2);
			rc = mf__buf_put(out, line, (size_t)len + 2);
		}
		return rc == MF_OK ? mf__buf_put(out, ".\r\n", 3) : rc;
	case MF_POP3_RETR:
	case MF_POP3_TOP:
		if (m == NULL)
			break;
		if (cmd->verb == MF_POP3_TOP)
			snprintf(text, sizeof(text), "top of message follows");
		else
			snprintf(text, sizeof(text), "%llu octets",
				 (unsigned long long)m->size);
		*msg = (size_t)cmd->msg - 1;
		break;
	case MF_POP3_DELE:
		if (m == NULL)
			break;
		snprintf(text, sizeof(text), "message %llu deleted",
			 (unsigned long long)cmd->msg);
		break;
	case MF_POP3_RSET:
		snprintf(text, sizeof(text), "maildrop has %zu messages", n);
		break;
	case MF_POP3_NOOP:
		break;
	case MF_POP3_QUIT:
		snprintf(text, sizeof(text), "bye");
		break;
	default:
		/* AUTH, STLS, a SASL line, another keyword: not here. */
		return serve_reply(s, out, MF_POP3_ERR, "",
				   "command not implemented");
	}
	if (m == NULL && cmd->verb != MF_POP3_STAT &&
	    cmd->verb != MF_POP3_RSET && cmd->verb != MF_POP3_NOOP &&
	    cmd->verb != MF_POP3_QUIT)
		return serve_reply(s, out, MF_POP3_ERR, "", "no such message");
	rc = serve_reply(s, out, MF_POP3_OK, "", text);
	if (rc < 0) {
		*msg = SIZE_MAX;
		return rc;
	}
	if (cmd->verb == MF_POP3_DELE)
		m->deleted = 1;
	for (i = 0; cmd->verb == MF_POP3_RSET && i < n; i++)
		msgs[i].deleted = 0;
	return MF_OK;
}

int
mf_pop3_serve_msg(mf_buf *out, const char *p, size_t n, const mf_pop3_cmd *cmd)
{
	size_t len, enc;
	int rc;

	if (out == NULL || cmd == NULL || (p == NULL && n > 0) ||
	    (cmd->verb != MF_POP3_RETR && cmd->verb != MF_POP3_TOP))
		return MF_E_INVAL;
	if (cmd->verb == MF_POP3_TOP) {
		rc = mf_pop3_top_len(p, n, cmd->lines, &n);
		if (rc < 0)
			return rc;
	}
	/* Straight into out: dot-stuffed, CRLF line ends, the last line
	 * ended, then "." (what mf_pop3_msg_size counts). */
	enc = mf_dot_encoded_len(n);
	if (enc == SIZE_MAX)
		return MF_E_LIMIT;
	rc = mf__buf_grow(out, enc);
	if (rc < 0)
		return rc;
	rc = mf_dot_encode(out->data + out->len, enc, p, n, &len);
	if (rc < 0)
		return rc;
	out->len += len;
	out->data[out->len] = '\0';
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Client                                                                  */
/* ---------------------------------------------------------------------- */

/* What the client is reading. */
enum { M_REPLY = 0, M_LINES, M_DATA, M_END };

#define PEND_MULTI 0x80u

int
mf_pop3_client_init(mf_pop3_client *c, const mf_opts *o)
{
	if (c == NULL)
		return MF_E_INVAL;
	memset(c, 0, sizeof(*c));
	if (mf__opts_check(o, MF_ACCEPT_LF | MF_LONG_LINES, NULL) < 0) {
		c->err_ = MF_E_INVAL;
		c->err_reason_ = "unknown flag";
		return MF_E_INVAL;
	}
	if (o != NULL) {
		c->flags_ = o->flags;
		c->max_line_ = o->limits.max_line_len;
	}
	return MF_OK;
}

static struct sess
client_sess(const mf_pop3_client *c)
{
	struct sess ss = {c->state, c->user_, c->sasl_, c->tls};

	return ss;
}

/* The verb of pending entry i (0: the oldest) and its multi-line bit. */
static unsigned
pend_at(const mf_pop3_client *c, unsigned i)
{
	return c->pend_[(c->head_ + i) % MF_POP3_PIPELINE];
}

static void
pend_pop(mf_pop3_client *c)
{
	c->head_ = (c->head_ + 1) % MF_POP3_PIPELINE;
	c->npend_--;
}

/* The verb events report: the legacy AUTH list is AUTH. */
static int
public_verb(unsigned v)
{
	v &= ~PEND_MULTI;
	return v == V_AUTH_LIST ? MF_POP3_AUTH : (int)v;
}

int
mf_pop3_client_command(mf_pop3_client *c, const mf_pop3_cmd *cmd, char *out,
		       size_t cap, size_t *outlen)
{
	struct sess ss;
	unsigned i, v;
	bool multi;
	int rc;

	if (outlen != NULL)
		*outlen = 0;
	if (c == NULL || cmd == NULL || outlen == NULL)
		return MF_E_INVAL;
	if (c->err_ != 0)
		return c->err_;
	v = (unsigned)cmd->verb;
	if (cmd->verb == MF_POP3_AUTH && cmd->arg.len == 0)
		v = V_AUTH_LIST;
	if (c->npend_ > 0 && (c->caps & MF_POP3_CAP_PIPELINING) == 0)
		return MF_E_STATE; /* RFC 2449 6.6: one at a time */
	if (c->npend_ == MF_POP3_PIPELINE)
		return MF_E_LIMIT;
	/* Judge it in the state the waiting commands lead to if they
	 * succeed; after AUTH, STLS and QUIT nothing may follow unseen. */
	ss = client_sess(c);
	for (i = 0; i < c->npend_; i++) {
		unsigned w = pend_at(c, i) & ~PEND_MULTI;

		if (w == MF_POP3_AUTH || w == MF_POP3_SASL ||
		    w == MF_POP3_STLS || w == MF_POP3_QUIT)
			return MF_E_STATE;
		advance(&ss, (int)w, MF_POP3_OK);
	}
	if (v > MF_POP3_SASL && v != V_AUTH_LIST)
		return MF_E_INVAL;
	if (refusal(&ss, (int)v) != NULL)
		return MF_E_STATE;
	rc = mf_pop3_cmd_format(out, cap, cmd, outlen);
	if (rc < 0)
		return rc;
	multi = v == MF_POP3_RETR || v == MF_POP3_TOP || v == MF_POP3_CAPA ||
		v == V_AUTH_LIST ||
		((v == MF_POP3_LIST || v == MF_POP3_UIDL) && cmd->msg == 0);
	c->pend_[(c->head_ + c->npend_) % MF_POP3_PIPELINE] =
	    (unsigned char)(v | (multi ? PEND_MULTI : 0));
	c->npend_++;
	return MF_OK;
}

static int
client_fail(mf_pop3_client *c, const mf_error *e, mf_error *err)
{
	c->err_ = e->code;
	c->err_off_ = e->offset;
	c->err_reason_ = e->reason;
	if (err != NULL)
		*err = *e;
	return e->code;
}

/* The first line of a reply. */
static int
client_reply(mf_pop3_client *c, const char *p, size_t n, mf_pop3_event *ev,
	     size_t *consumed, mf_error *err)
{
	struct sess ss;
	mf_error e = {0, 0, NULL};
	unsigned v;
	size_t used;
	int rc;

	if (n == 0)
		return MF_MORE;
	if (c->state >= MF_POP3_UPDATE ||
	    (c->state != MF_POP3_CONNECTED && c->npend_ == 0)) {
		mf__err(&e, MF_E_STATE, (size_t)c->off_,
			"reply to no command");
		return client_fail(c, &e, err);
	}
	rc = reply_parse(p, n, c->max_line_, c->flags_, c->off_, &ev->reply,
			 &used, &e);
	if (rc == MF_MORE)
		return MF_MORE;
	if (rc < 0)
		return client_fail(c, &e, err);
	v = c->state == MF_POP3_CONNECTED ? MF_POP3_GREETING : pend_at(c, 0);
	if (ev->reply.status == MF_POP3_CONT &&
	    (v & ~PEND_MULTI) != MF_POP3_AUTH &&
	    (v & ~PEND_MULTI) != MF_POP3_SASL) {
		mf__err(&e, MF_E_SYNTAX, (size_t)c->off_,
			"challenge to a command that is not AUTH");
		return client_fail(c, &e, err);
	}
	ss = client_sess(c);
	advance(&ss, (int)(v & ~PEND_MULTI), ev->reply.status);
	c->state = ss.state;
	c->user_ = ss.user;
	c->sasl_ = ss.sasl;
	if ((v == (MF_POP3_CAPA | PEND_MULTI) ||
	     (v == MF_POP3_STLS && !c->tls && ss.tls)) &&
	    ev->reply.status == MF_POP3_OK)
		c->caps = 0; /* RFC 2595 4: forget what was said before TLS */
	if (v == MF_POP3_STLS && ss.tls && !c->tls && used < n) {
		/* Plaintext after the +OK would be taken as sent over TLS
		 * (the STARTTLS response injection attack). */
		c->tls = 1;
		mf__err(&e, MF_E_STATE, (size_t)(c->off_ + used),
			"data after the STLS reply");
		return client_fail(c, &e, err);
	}
	c->tls = ss.tls;
	ev->type = MF_POP3_EV_REPLY;
	ev->verb = public_verb(v);
	ev->off = c->off_;
	ev->multi = (v & PEND_MULTI) != 0 && ev->reply.status == MF_POP3_OK;
	if (ev->multi) {
		memset(&c->dot_, 0, sizeof(c->dot_));
		c->dot_.flags = c->flags_ & (MF_ACCEPT_LF | MF_LONG_LINES);
		c->dot_.max_line = c->max_line_;
		v &= ~PEND_MULTI;
		c->mode_ = v == MF_POP3_RETR || v == MF_POP3_TOP ? M_DATA
								 : M_LINES;
		if (c->mode_ == M_LINES)
			c->dot_.flags |= MF_LONG_LINES; /* limited here */
	} else if (v != MF_POP3_GREETING) {
		pend_pop(c);
	}
	c->off_ += used;
	*consumed = used;
	return MF_OK;
}

/* The end of the lines or data. */
static int
client_end(mf_pop3_client *c, mf_pop3_event *ev)
{
	ev->type = MF_POP3_EV_END;
	ev->verb = public_verb(pend_at(c, 0));
	ev->defects = c->dot_.defects;
	ev->off = c->off_;
	pend_pop(c);
	c->mode_ = M_REPLY;
	return MF_OK;
}

/* One line of a listing, unstuffed by the dot decoder. */
static int
client_line(mf_pop3_client *c, const char *p, size_t n, mf_pop3_event *ev,
	    size_t *consumed, mf_error *err)
{
	mf_error e = {0, 0, NULL};
	size_t len, used, out, max;
	int rc;

	if (n == 0)
		return MF_MORE;
	max = line_limit(c->max_line_, REPLY_MAX);
	if (max > sizeof(c->buf_) - 1)
		max = sizeof(c->buf_) - 1;
	rc = line_find(p, n, max, c->flags_, c->off_, &len, &used, &e);
	if (rc == MF_MORE)
		return MF_MORE;
	if (rc < 0)
		return client_fail(c, &e, err);
	rc = mf_dot_dec_update(&c->dot_, c->buf_, sizeof(c->buf_), p, used,
			       &out, NULL, &e);
	if (rc < 0)
		return client_fail(c, &e, err);
	ev->off = c->off_;
	c->off_ += used;
	*consumed = used;
	if (rc == MF_OK)
		return client_end(c, ev);
	ev->type = MF_POP3_EV_LINE;
	ev->verb = public_verb(pend_at(c, 0));
	ev->data = (mf_str){c->buf_, out - (used - len)};
	if (ev->verb == MF_POP3_CAPA) {
		mf_pop3_capa cp;

		if (mf_pop3_capa_parse(ev->data.ptr, ev->data.len, &cp,
				       NULL) == MF_OK)
			c->caps |= cp.cap;
	}
	return MF_OK;
}

/* Message data, unstuffed by the dot decoder a buffer at a time. */
static int
client_data(mf_pop3_client *c, const char *p, size_t n, mf_pop3_event *ev,
	    size_t *consumed, mf_error *err)
{
	mf_error e = {0, 0, NULL};
	size_t i = 0;

	while (i < n) {
		size_t k = n - i < sizeof(c->buf_) - 1 ? n - i
						       : sizeof(c->buf_) - 1;
		size_t out, used;
		int rc = mf_dot_dec_update(&c->dot_, c->buf_, sizeof(c->buf_),
					   p + i, k, &out, &used, &e);

		if (rc < 0)
			return client_fail(c, &e, err);
		ev->off = c->off_;
		c->off_ += used;
		i += used;
		*consumed = i;
		if (out > 0) {
			ev->type = MF_POP3_EV_DATA;
			ev->verb = public_verb(pend_at(c, 0));
			ev->data = (mf_str){c->buf_, out};
			if (rc == MF_OK)
				c->mode_ = M_END;
			return MF_OK;
		}
		if (rc == MF_OK)
			return client_end(c, ev);
	}
	return MF_MORE;
}

int
mf_pop3_client_read(mf_pop3_client *c, const char *p, size_t n,
		    mf_pop3_event *ev, size_t *consumed, mf_error *err)
{
	if (consumed != NULL)
		*consumed = 0;
	if (ev != NULL)
		memset(ev, 0, sizeof(*ev));
	if (c == NULL || ev == NULL || consumed == NULL ||
	    (p == NULL && n > 0))
		return mf__err(err, MF_E_INVAL, 0, "invalid argument");
	if (c->err_ != 0)
		return mf__err(err, c->err_, (size_t)c->err_off_,
			       c->err_reason_);
	switch (c->mode_) {
	case M_LINES:
		return client_line(c, p, n, ev, consumed, err);
	case M_DATA:
		return client_data(c, p, n, ev, consumed, err);
	case M_END:
		return client_end(c, ev);
	default:
		break;
	}
	return client_reply(c, p, n, ev, consumed, err);
}
