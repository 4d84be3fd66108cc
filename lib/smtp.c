/* SPDX-License-Identifier: MIT */
/*
 * smtp.c - the SMTP codecs (RFC 5321): command lines with their paths and
 * ESMTP parameters (RFC 1870 SIZE, RFC 6152 and RFC 3030 BODY, RFC 6531
 * SMTPUTF8, RFC 3461 DSN, RFC 4954 AUTH, RFC 8689 REQUIRETLS), xtext, the
 * SASL lines of AUTH, replies with enhanced status codes (RFC 3463, RFC
 * 2034), EHLO capabilities, the formatting of all of these, the trace
 * fields of a delivered message (4.4) and the choice of mail exchanger
 * (5.1). The session machines are in smtp_session.c.
 *
 * Policy for ambiguous input:
 *  - Lines end in CRLF. A bare LF ends a line only with MF_ACCEPT_LF; a
 *    bare CR, another control character or invalid UTF-8 anywhere in a
 *    command is a syntax error (500): Dovecot's command parser refuses the
 *    same, and a lenient reading is what the smuggling attacks need.
 *  - Command lines are 512 octets with CRLF (RFC 5321 4.5.3.1.4) unless
 *    mf_limits.max_line_len says otherwise; replies the same (4.5.3.1.5).
 *    MF_LONG_LINES tolerates longer ones, up to 64 KiB.
 *  - Verbs are 1-32 letters, case-insensitive; one space before the
 *    argument, trailing spaces dropped (Dovecot, Postfix). The domain of
 *    HELO and EHLO may end in "." (the DNS absolute form old clients
 *    send; MF_D_OBSOLETE): it names the same host.
 *  - Paths follow RFC 5321 4.1.2 exactly (the address layer checks the
 *    mailbox: lib/addr.c mf__smtp_mailbox). MF_SMTP_COLON_SPACE accepts
 *    spaces around the colon of "MAIL FROM:" (RFC 821-era clients);
 *    MF_SMTP_BARE_PATH a path without angle brackets, a display name
 *    before "<path>", and a name without domain (local users of old
 *    transcripts, MF_D_ADDR_NO_DOMAIN). Source routes are accepted and
 *    ignored (4.1.1.3).
 *  - ESMTP parameters: keywords case-insensitive, each known one at most
 *    once and only with its command; values checked (SIZE digits, BODY,
 *    RET, NOTIFY lists, xtext). Unknown keywords are kept for the caller.
 *  - Replies: codes 2xx-5xx with a second digit 0-5 (4.2); lines whose
 *    codes differ, or an enhanced code of another class, are a defect
 *    (MF_D_SMTP_REPLY) and errors with MF_STRICT; so are control
 *    characters in the text (MF_D_BAD_CHAR).
 */
#include <stdio.h>
#include <stdlib.h>

#include "smtp.h"

#include "addr.h"
#include "codec.h"
#include "header.h"
#include "lex.h"

/*
 * Bytes of the common forms, by bit: 1 atext (RFC 5322 3.2.3, ASCII); 2 a
 * letter, digit or "-" (a sub-domain's, an esmtp-keyword's; atext too);
 * 4 what ends an esmtp-value (SP, "=").
 */
#define PC_LDH(c)                                                              \
	(((c) >= '0' && (c) <= '9') || ((c) >= 'A' && (c) <= 'Z') ||           \
	 ((c) >= 'a' && (c) <= 'z') || (c) == '-')
#define PC_SPECIAL(c)                                                          \
	((c) == '(' || (c) == ')' || (c) == '<' || (c) == '>' || (c) == '[' ||  \
	 (c) == ']' || (c) == ':' || (c) == ';' || (c) == '@' ||                \
	 (c) == '\\' || (c) == ',' || (c) == '.' || (c) == '"')
#define PC(c)                                                                  \
	((PC_LDH(c) ? 3 : ((c) > 32 && (c) < 127 && !PC_SPECIAL(c)) ? 1 : 0) | \
	 (((c) == ' ' || (c) == '=') ? 4 : 0))
static const unsigned char path_class[256] = {MF__X256(PC)};
#undef PC
#undef PC_SPECIAL
#undef PC_LDH

/* ---------------------------------------------------------------------- */
/* The library's replies                                                   */
/* ---------------------------------------------------------------------- */

const mf_smtp_status mf__smtp_st[MF__S_COUNT] = {
    [MF__S_OK] = {250, "2.0.0", "OK"},
    [MF__S_SENDER_OK] = {250, "2.1.0", "Sender OK"},
    [MF__S_RCPT_OK] = {250, "2.1.5", "Recipient OK"},
    [MF__S_HELLO] = {250, NULL, "Hello"},
    [MF__S_DATA_GO] = {354, NULL, "End data with <CR><LF>.<CR><LF>"},
    [MF__S_MSG_OK] = {250, "2.0.0", "Message accepted"},
    [MF__S_CHUNK_OK] = {250, "2.0.0", "Chunk received"},
    [MF__S_BYE] = {221, "2.0.0", "Bye"},
    [MF__S_HELP] = {214, "2.0.0", "See RFC 5321"},
    [MF__S_VRFY] = {252, "2.5.0",
                    "Cannot VRFY user, but will accept message and attempt "
                    "delivery"},
    [MF__S_TLS_GO] = {220, "2.0.0", "Ready to start TLS"},
    [MF__S_LINE_LONG] = {500, "5.5.0", "Line too long"},
    [MF__S_BAD_EOL] = {500, "5.5.2", "Line must end with CRLF"},
    [MF__S_BAD_CHAR] = {500, "5.5.2", "Invalid character in command"},
    [MF__S_UNKNOWN] = {500, "5.5.2", "Command unrecognized"},
    [MF__S_SYNTAX] = {501, "5.5.4", "Syntax error in arguments"},
    [MF__S_NO_ARGS] = {501, "5.5.4", "No arguments allowed"},
    [MF__S_NEED_ARG] = {501, "5.5.4", "Argument required"},
    [MF__S_BAD_DOMAIN] = {501, "5.5.4", "Invalid domain name"},
    [MF__S_BAD_FROM] = {501, "5.1.7", "Syntax error in sender address"},
    [MF__S_BAD_TO] = {501, "5.1.3", "Syntax error in recipient address"},
    [MF__S_FROM_MBOX] = {553, "5.1.7",
                         "Sender address rejected: bad mailbox syntax"},
    [MF__S_TO_MBOX] = {553, "5.1.3",
                       "Recipient address rejected: bad mailbox syntax"},
    [MF__S_FROM_LONG] = {501, "5.1.7", "Path too long"},
    [MF__S_TO_LONG] = {501, "5.1.3", "Path too long"},
    [MF__S_PARAM_SYNTAX] = {501, "5.5.4", "Syntax error in parameter"},
    [MF__S_PARAM_DUP] = {501, "5.5.4", "Duplicate parameter"},
    [MF__S_PARAM_UNKNOWN] = {555, "5.5.4",
                             "Parameter not recognized or not implemented"},
    [MF__S_PARAM_VERB] = {555, "5.5.4",
                          "Parameter not allowed with this command"},
    [MF__S_NOT_IMPL] = {502, "5.5.1", "Command not implemented"},
    [MF__S_SEQ_HELO] = {503, "5.5.1", "Send HELO or EHLO first"},
    [MF__S_SEQ_MAIL] = {503, "5.5.1", "Send MAIL first"},
    [MF__S_SEQ_NESTED] = {503, "5.5.1", "Nested MAIL command"},
    [MF__S_SEQ_DATA] = {503, "5.5.1", "Send MAIL and RCPT first"},
    [MF__S_NO_RCPT] = {554, "5.5.1", "No valid recipients"},
    [MF__S_SEQ_BINARY] = {503, "5.5.1", "BODY=BINARYMIME needs BDAT"},
    [MF__S_SEQ_BDAT] = {503, "5.5.1", "Not allowed after BDAT"},
    [MF__S_SEQ_TX] = {503, "5.5.1", "Not allowed in a mail transaction"},
    [MF__S_AUTH_MECH] = {504, "5.5.4", "Unrecognized authentication type"},
    [MF__S_AUTH_DONE] = {503, "5.5.1", "Already authenticated"},
    [MF__S_AUTH_CANCEL] = {501, "5.0.0", "Authentication cancelled"},
    [MF__S_AUTH_SYNTAX] = {501, "5.5.2", "Cannot decode response"},
    [MF__S_UTF8_NEEDED] = {553, "5.6.7", "Non-ASCII address needs SMTPUTF8"},
    [MF__S_TOO_BIG] = {552, "5.3.4",
                       "Message size exceeds fixed maximum message size"},
    [MF__S_TOO_MANY] = {452, "4.5.3", "Too many recipients"},
    [MF__S_TOO_MANY_ERRORS] = {421, "4.7.0",
                               "Too many errors, closing connection"},
    [MF__S_BARE] = {550, "5.6.0",
                    "Message refused: bare CR or LF in the data "
                    "(RFC 5321 2.3.8)"},
    [MF__S_LONG_DATA] = {550, "5.6.0",
                         "Message refused: line over the limit "
                         "(RFC 5321 4.5.3.1.6)"},
    [MF__S_TLS_ACTIVE] = {503, "5.5.1", "TLS already active"},
};

/* ---------------------------------------------------------------------- */
/* Lines                                                                   */
/* ---------------------------------------------------------------------- */

int
mf__smtp_line(const char *p, size_t n, size_t limit, unsigned flags,
              size_t *end, size_t *next, uint64_t *defects, int *sid,
              mf_error *err)
{
	size_t bound = (flags & MF_LONG_LINES) ? MF__SMTP_HARD_LINE : limit;
	const char *lf = memchr(p, '\n', n < bound ? n : bound);
	size_t len;

	if (lf == NULL) {
		if (n < bound)
			return MF_MORE;
		/* Discard through the line's end when it is there. */
		lf = memchr(p + bound, '\n', n - bound);
		*next = lf != NULL ? (size_t)(lf - p) + 1 : n;
		*sid = MF__S_LINE_LONG;
		return mf__err(err, MF_E_LIMIT, bound, "line too long");
	}
	len = (size_t)(lf - p) + 1;
	*next = len;
	if (len > limit)
		*defects |= MF_DEFECT_BIT(MF_D_LONG_LINE);
	if (lf > p && lf[-1] == '\r') {
		*end = len - 2;
	} else if (flags & MF_ACCEPT_LF) {
		*end = len - 1;
		*defects |= MF_DEFECT_BIT(MF_D_BARE_LF);
	} else {
		*sid = MF__S_BAD_EOL;
		return mf__err(err, MF_E_SYNTAX, len - 1, "bare LF");
	}
	return MF_OK;
}

/* The limit of a line: limits.max_line_len when set, else def. */
static size_t
line_limit(const mf_opts *o, size_t def)
{
	mf_limits l;

	if (o == NULL || o->limits.max_line_len == 0)
		return def;
	mf__limits(o, &l);
	return l.max_line_len < MF__SMTP_HARD_LINE ? l.max_line_len
	                                           : MF__SMTP_HARD_LINE;
}

/*
 * The common command line: printable ASCII up to a CRLF within p[0..m),
 * found by memchr and checked eight bytes at a time (the last eight
 * overlapping). true with *end the text's length; false for anything else
 * (UTF-8, a control byte, a bare LF, no line end yet), which cmd_line's
 * byte-wise scan then reads, deciding the same for such a line.
 */
static bool
line_fast(const char *p, size_t m, size_t *end)
{
	const uint64_t ones = 0x0101010101010101ull;
	const uint64_t highs = 0x8080808080808080ull;
	const unsigned char *s = (const unsigned char *)p;
	const char *lf = memchr(p, '\n', m);
	uint64_t w, acc = 0;
	size_t e, i = 0;

	if (lf == NULL || lf == p || lf[-1] != '\r')
		return false;
	e = (size_t)(lf - p) - 1;
	if (e >= 8) {
		/* A byte < 0x20, 0x7F or >= 0x80 sets its top bit (the
		 * borrows only ever add bits above a byte that is one). */
		for (; i + 8 <= e; i += 8) {
			memcpy(&w, s + i, 8);
			acc |= (((w - ones * 0x20) | (w + ones)) & ~w) | w;
		}
		memcpy(&w, s + e - 8, 8);
		acc |= (((w - ones * 0x20) | (w + ones)) & ~w) | w;
	} else if (e >= 4) {
		/* The same on two four-byte words (overlapping). */
		uint32_t v, o = 0x01010101u, h = 0x80808080u, a4;

		memcpy(&v, s, 4);
		a4 = (((v - o * 0x20) | (v + o)) & ~v) | v;
		memcpy(&v, s + e - 4, 4);
		a4 |= (((v - o * 0x20) | (v + o)) & ~v) | v;
		acc = a4 & h;
	} else {
		for (; i < e; i++)
			acc |= (uint64_t)((unsigned)(s[i] - 0x20) >= 0x5F) << 7;
	}
	if ((acc & highs) != 0)
		return false;
	*end = e;
	return true;
}

/*
 * The command line at the start of p[0..n), in one pass: MF_OK with the
 * text p[0..*end) (no line end) and *bad, the first byte no command may
 * hold (a control character, a bare CR included, or a byte that starts
 * no valid UTF-8 sequence; *end if none); then mf__smtp_line's results.
 * Printable ASCII goes eight bytes at a time.
 */
static int
cmd_line(const char *p, size_t n, size_t limit, unsigned flags, bool fast,
         size_t *end, size_t *next, size_t *bad, uint64_t *defects, int *sid,
         mf_error *err)
{
	const uint64_t ones = 0x0101010101010101ull;
	const uint64_t highs = 0x8080808080808080ull;
	const unsigned char *s = (const unsigned char *)p;
	size_t bound = (flags & MF_LONG_LINES) ? MF__SMTP_HARD_LINE : limit;
	size_t m = n < bound ? n : bound, i = 0;
	int rc;

	if (fast && line_fast(p, m, end)) {
		*next = *end + 2;
		*bad = *end;
		if (*next > limit)
			*defects |= MF_DEFECT_BIT(MF_D_LONG_LINE);
		return MF_OK;
	}
	*bad = SIZE_MAX;
	while (i < m) {
		unsigned char c;
		size_t k;

		for (; i + 8 <= m; i += 8) {
			uint64_t w;

			memcpy(&w, s + i, 8);
			/* A byte < 0x20, 0x7F or >= 0x80. */
			if ((((w - ones * 0x20) | (w + ones)) & ~w & highs) |
			    (w & highs))
				break;
		}
		if (i >= m)
			break;
		c = s[i];
		if (c == '\r' && i + 1 < m && s[i + 1] == '\n') {
			/* The line end. */
			*end = i;
			*next = i + 2;
			if (*bad > i)
				*bad = i;
			if (*next > limit)
				*defects |= MF_DEFECT_BIT(MF_D_LONG_LINE);
			return MF_OK;
		}
		if (c == '\n')
			break;
		k = c >= 0x20 && c < 0x7F ? 1
		    : c >= 0x80           ? mf__utf8_seq(s + i, m - i)
		                          : 0;
		if (k == 0) {
			if (*bad == SIZE_MAX)
				*bad = i;
			k = 1;
		}
		i += k;
	}
	/* A bare LF, no line end yet, or a line too long: the shared line
	 * reader says which. */
	rc = mf__smtp_line(p, n, limit, flags, end, next, defects, sid, err);
	if (rc == MF_OK && *bad > *end)
		*bad = *end;
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Verbs                                                                   */
/* ---------------------------------------------------------------------- */

static const char *const verb_names[] = {
    [MF_SMTP_HELO] = "HELO",         [MF_SMTP_EHLO] = "EHLO",
    [MF_SMTP_MAIL] = "MAIL",         [MF_SMTP_RCPT] = "RCPT",
    [MF_SMTP_DATA] = "DATA",         [MF_SMTP_BDAT] = "BDAT",
    [MF_SMTP_RSET] = "RSET",         [MF_SMTP_VRFY] = "VRFY",
    [MF_SMTP_EXPN] = "EXPN",         [MF_SMTP_HELP] = "HELP",
    [MF_SMTP_NOOP] = "NOOP",         [MF_SMTP_QUIT] = "QUIT",
    [MF_SMTP_STARTTLS] = "STARTTLS", [MF_SMTP_AUTH] = "AUTH",
    [MF_SMTP_TURN] = "TURN",         [MF_SMTP_SEND] = "SEND",
    [MF_SMTP_SOML] = "SOML",         [MF_SMTP_SAML] = "SAML",
};
#define NVERBS (sizeof(verb_names) / sizeof(verb_names[0]))

/* Four letters as one word, upper case, the same on every byte order. */
#define W4(a, b, c, d)                                                         \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 |            \
	 (uint32_t)(d) << 24)

/* The verb of p[0..n) (letters), case-insensitive. */
static int
verb_of(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	uint32_t w;

	if (n == 8 && mf__ieq(p, n, "STARTTLS", 8))
		return MF_SMTP_STARTTLS;
	if (n != 4)
		return MF_SMTP_UNKNOWN;
	/* Letters only (the caller checked): & 0xDF makes them upper. */
	w = W4(s[0] & 0xDF, s[1] & 0xDF, s[2] & 0xDF, s[3] & 0xDF);
	switch (w) {
	case W4('H', 'E', 'L', 'O'):
		return MF_SMTP_HELO;
	case W4('E', 'H', 'L', 'O'):
		return MF_SMTP_EHLO;
	case W4('M', 'A', 'I', 'L'):
		return MF_SMTP_MAIL;
	case W4('R', 'C', 'P', 'T'):
		return MF_SMTP_RCPT;
	case W4('D', 'A', 'T', 'A'):
		return MF_SMTP_DATA;
	case W4('B', 'D', 'A', 'T'):
		return MF_SMTP_BDAT;
	case W4('R', 'S', 'E', 'T'):
		return MF_SMTP_RSET;
	case W4('V', 'R', 'F', 'Y'):
		return MF_SMTP_VRFY;
	case W4('E', 'X', 'P', 'N'):
		return MF_SMTP_EXPN;
	case W4('H', 'E', 'L', 'P'):
		return MF_SMTP_HELP;
	case W4('N', 'O', 'O', 'P'):
		return MF_SMTP_NOOP;
	case W4('Q', 'U', 'I', 'T'):
		return MF_SMTP_QUIT;
	case W4('A', 'U', 'T', 'H'):
		return MF_SMTP_AUTH;
	case W4('T', 'U', 'R', 'N'):
		return MF_SMTP_TURN;
	case W4('S', 'E', 'N', 'D'):
		return MF_SMTP_SEND;
	case W4('S', 'O', 'M', 'L'):
		return MF_SMTP_SOML;
	case W4('S', 'A', 'M', 'L'):
		return MF_SMTP_SAML;
	default:
		return MF_SMTP_UNKNOWN;
	}
}

/* ---------------------------------------------------------------------- */
/* Paths                                                                   */
/* ---------------------------------------------------------------------- */

/* The end of the path that starts with "<" at p[0]: the ">" outside
 * quoted strings, or n when there is none. */
static size_t
path_end(const char *p, size_t n)
{
	size_t i = 1;

	for (;;) {
		const char *gt = i < n ? memchr(p + i, '>', n - i) : NULL;
		const char *q;

		if (gt == NULL)
			return n;
		q = memchr(p + i, '"', (size_t)(gt - p) - i);
		if (q == NULL)
			return (size_t)(gt - p);
		/* Past the quoted string (quoted pairs honoured). */
		for (i = (size_t)(q - p) + 1; i < n && p[i] != '"'; i++) {
			if (p[i] == '\\' && i + 1 < n)
				i++;
		}
		if (i >= n)
			return n;
		i++;
	}
}

/*
 * A-d-l = At-domain *( "," At-domain ) ":" at p[0] == '@': its length
 * with the ":" (0 when malformed, *bad set).
 */
static size_t
route_len(const char *p, size_t n, size_t *bad, const char **why)
{
	size_t i = 0;

	while (i < n && p[i] == '@') {
		size_t s = ++i, e;
		unsigned fl = 0;

		/* The domain runs to "," or ":" (a literal may hold ":"). */
		while (i < n && p[i] != ',' && p[i] != ':') {
			if (p[i] == '[') {
				while (i < n && p[i] != ']')
					i++;
			}
			if (i < n)
				i++;
		}
		e = i;
		if (mf__smtp_domain(p + s, e - s, &fl, bad, why) < 0) {
			*bad += s;
			return 0;
		}
		if (i < n && p[i] == ':')
			return i + 1;
		if (i >= n || p[i] != ',')
			break;
		i++;
	}
	*bad = i;
	*why = "bad source route";
	return 0;
}

/*
 * Parses a path: p[0..n) is exactly "<...>" (or, bare, a mailbox); the
 * mailbox may lack a domain when no_domain. MF_OK, MF_E_SYNTAX or
 * MF_E_LIMIT with *bad and *why.
 */
static int
path_parse(const char *p, size_t n, bool bare, bool no_domain,
           mf_smtp_path *path, size_t *bad, const char **why)
{
	mf__smtp_mbox mb;
	size_t s = 0, e = n, r;
	int rc;

	memset(path, 0, sizeof(*path));
	if (!bare) {
		if (n < 2 || p[0] != '<' || p[n - 1] != '>') {
			*bad = n < 2 || p[0] != '<' ? 0 : n;
			*why = "path not in angle brackets";
			return MF_E_SYNTAX;
		}
		s = 1;
		e = n - 1;
	}
	/* RFC 5321 4.5.3.1.3: 256 octets with the punctuation. */
	if (n > (bare ? 254u : 256u)) {
		*bad = 256;
		*why = "path too long";
		return MF_E_LIMIT;
	}
	path->mailbox.ptr = p + s;
	if (s == e) {
		if (bare) {
			*bad = 0;
			*why = "empty path";
			return MF_E_SYNTAX;
		}
		return MF_OK; /* "<>" */
	}
	if (p[s] == '@' && bare) {
		*bad = s;
		*why = "source route without angle brackets";
		return MF_E_SYNTAX;
	}
	if (p[s] == '@') {
		r = route_len(p + s, e - s, bad, why);
		if (r == 0) {
			*bad += s;
			return MF_E_SYNTAX;
		}
		path->route.ptr = p + s;
		path->route.len = r - 1;
		s += r;
	}
	rc = mf__smtp_mailbox(p + s, e - s, true, &mb, bad, why);
	if (rc < 0) {
		*bad += s;
		return rc;
	}
	path->mailbox.ptr = p + s;
	path->mailbox.len = e - s;
	path->local = mb.local;
	path->domain = mb.domain;
	path->flags = mb.flags;
	if (mb.domain.len == 0) {
		/* RFC 5321 4.1.1.3: "<Postmaster>" needs no domain. */
		if (!bare && path->route.len == 0 &&
		    mf__ieq(mb.local.ptr, mb.local.len, "postmaster", 10)) {
			path->flags |= MF_SMTP_PATH_POSTMASTER;
		} else if (!no_domain) {
			*bad = e;
			*why = "no domain";
			return MF_E_SYNTAX;
		}
	}
	return MF_OK;
}

int
mf_smtp_path_parse(const char *p, size_t n, unsigned flags, mf_smtp_path *path,
                   mf_error *err)
{
	size_t bad = 0;
	const char *why = NULL;
	int rc;

	if (path == NULL || (p == NULL && n != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	if ((flags & ~MF_SMTP_BARE_PATH) != 0)
		return mf__err(err, MF_E_INVAL, 0, "unknown flag");
	if (p == NULL)
		p = "";
	rc = path_parse(p, n,
	                (flags & MF_SMTP_BARE_PATH) && (n == 0 || p[0] != '<'),
	                false, path, &bad, &why);
	if (rc < 0) {
		memset(path, 0, sizeof(*path));
		return mf__err(err, rc, bad, why);
	}
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* xtext (RFC 3461 4)                                                      */
/* ---------------------------------------------------------------------- */

/*
 * xtext = *( xchar / hexchar ); xchar = "!".."~" but "+" and "=";
 * hexchar = "+" 2(DIGIT / "A".."F"). The length of the valid xtext
 * prefix; out (may be NULL) gets the decoded bytes.
 */
static size_t
xtext_scan(const char *p, size_t n, mf_buf *out, int *rc)
{
	size_t i = 0, run = 0;

	*rc = MF_OK;
	while (i < n) {
		unsigned char c = (unsigned char)p[i];

		if (c == '+') {
			int h, l;

			if (i + 2 >= n)
				break;
			h = (unsigned char)p[i + 1];
			l = (unsigned char)p[i + 2];
			if (!((h >= '0' && h <= '9') ||
			      (h >= 'A' && h <= 'F')) ||
			    !((l >= '0' && l <= '9') || (l >= 'A' && l <= 'F')))
				break;
			if (out != NULL) {
				char b =
				    (char)(mf__hexval((unsigned char)h) * 16 +
				           mf__hexval((unsigned char)l));

				*rc = mf__buf_put(out, p + run, i - run);
				if (*rc == MF_OK)
					*rc = mf__buf_put(out, &b, 1);
				if (*rc < 0)
					return i;
			}
			i += 3;
			run = i;
			continue;
		}
		if (c < '!' || c > '~' || c == '=')
			break;
		i++;
	}
	if (out != NULL && *rc == MF_OK)
		*rc = mf__buf_put(out, p + run, i - run);
	return i;
}

int
mf_smtp_xtext_decode(mf_buf *out, const char *p, size_t n)
{
	size_t mark, k;
	int rc;

	if (out == NULL || (p == NULL && n != 0))
		return MF_E_INVAL;
	mark = out->len;
	k = xtext_scan(p, n, out, &rc);
	if (rc == MF_OK && k != n)
		rc = MF_E_SYNTAX;
	if (rc < 0)
		mf__buf_cut(out, mark);
	return rc;
}

int
mf_smtp_xtext_encode(mf_buf *out, const char *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t mark, i, run = 0;
	int rc = MF_OK;

	if (out == NULL || (p == NULL && n != 0))
		return MF_E_INVAL;
	mark = out->len;
	for (i = 0; i < n && rc == MF_OK; i++) {
		unsigned char c = (unsigned char)p[i];
		char e[3];

		if (c >= '!' && c <= '~' && c != '+' && c != '=')
			continue;
		e[0] = '+';
		e[1] = hex[c >> 4];
		e[2] = hex[c & 15];
		rc = mf__buf_put(out, p + run, i - run);
		if (rc == MF_OK)
			rc = mf__buf_put(out, e, 3);
		run = i + 1;
	}
	if (rc == MF_OK)
		rc = mf__buf_put(out, p + run, n - run);
	if (rc < 0)
		mf__buf_cut(out, mark);
	return rc;
}

static bool
xtext_ok(const char *p, size_t n)
{
	int rc;

	return xtext_scan(p, n, NULL, &rc) == n;
}

/* ---------------------------------------------------------------------- */
/* ESMTP parameters                                                        */
/* ---------------------------------------------------------------------- */

/*
 * Whether a[0..an) equals low[0..n) (n <= 10, no capitals), ignoring
 * ASCII case: at most two loads of a fixed size and mf__lower8, once
 * inlined with a constant n.
 */
MF__INLINE bool
ieq_lower(const char *a, size_t an, const char *low, size_t n)
{
	uint64_t x = 0, y = 0, x2 = 0, y2 = 0;

	if (an != n)
		return false;
	switch (n) {
	case 10:
		memcpy(&x2, a + 8, 2);
		memcpy(&y2, low + 8, 2);
		memcpy(&x, a, 8);
		memcpy(&y, low, 8);
		break;
	case 8:
		memcpy(&x, a, 8);
		memcpy(&y, low, 8);
		break;
	case 7:
		memcpy(&x, a, 7);
		memcpy(&y, low, 7);
		break;
	case 6:
		memcpy(&x, a, 6);
		memcpy(&y, low, 6);
		break;
	case 5:
		memcpy(&x, a, 5);
		memcpy(&y, low, 5);
		break;
	case 4:
		memcpy(&x, a, 4);
		memcpy(&y, low, 4);
		break;
	case 3:
		memcpy(&x, a, 3);
		memcpy(&y, low, 3);
		break;
	default:
		return mf__ieq(a, an, low, n);
	}
	return mf__lower8(x) == y && mf__lower8(x2) == y2;
}

enum {
	P_SIZE,
	P_BODY,
	P_SMTPUTF8,
	P_RET,
	P_ENVID,
	P_AUTH,
	P_REQUIRETLS,
	P_NOTIFY,
	P_ORCPT,
	P_UNKNOWN
};

static const struct {
	const char *name;
	size_t len;
	int rcpt; /* a RCPT parameter (else MAIL) */
} pnames[] = {
    [P_SIZE] = {"size", 4, 0},
    [P_BODY] = {"body", 4, 0},
    [P_SMTPUTF8] = {"smtputf8", 8, 0},
    [P_RET] = {"ret", 3, 0},
    [P_ENVID] = {"envid", 5, 0},
    [P_AUTH] = {"auth", 4, 0},
    [P_REQUIRETLS] = {"requiretls", 10, 0},
    [P_NOTIFY] = {"notify", 6, 1},
    [P_ORCPT] = {"orcpt", 5, 1},
};

static int
param_id(mf_str kw)
{
	int i;

	/* The first letter narrows it to one or two names. */
	switch (kw.len > 0 ? mf__lower((unsigned char)kw.ptr[0]) : 0) {
	case 's':
		i = kw.len == 4 ? P_SIZE : P_SMTPUTF8;
		break;
	case 'b':
		i = P_BODY;
		break;
	case 'r':
		i = kw.len == 3 ? P_RET : P_REQUIRETLS;
		break;
	case 'e':
		i = P_ENVID;
		break;
	case 'a':
		i = P_AUTH;
		break;
	case 'n':
		i = P_NOTIFY;
		break;
	case 'o':
		i = P_ORCPT;
		break;
	default:
		return P_UNKNOWN;
	}
	if (ieq_lower(kw.ptr, kw.len, pnames[i].name, pnames[i].len))
		return i;
	return P_UNKNOWN;
}

bool
mf__smtp_param_known(mf_str kw)
{
	return param_id(kw) != P_UNKNOWN;
}

/*
 * One esmtp-param at p[*pos]: esmtp-keyword ["=" esmtp-value] (RFC 5321
 * 4.1.2; RFC 6531 lets the value hold UTF-8). 1 and the next position
 * (after one separating SP), 0 at the end, -1 when malformed.
 */
MF__INLINE int
param_scan(const char *p, size_t n, size_t *pos, mf_str *kw, mf_str *val)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = *pos, s = i;

	if (i >= n)
		return 0;
	if (!mf__is(u[i], MF__C_ALPHA | MF__C_DIGIT))
		return -1;
	while (i < n && (path_class[u[i]] & 2))
		i++;
	kw->ptr = p + s;
	kw->len = i - s;
	val->ptr = p + i;
	val->len = 0;
	if (i < n && p[i] == '=') {
		s = ++i;
		while (i < n && !(path_class[u[i]] & 4))
			i++;
		val->ptr = p + s;
		val->len = i - s;
	}
	if (i < n) {
		if (p[i] != ' ' || i + 1 == n)
			return -1;
		i++;
	}
	*pos = i;
	return 1;
}

/* 1*20 DIGIT that fits in 64 bits (SIZE=, BDAT chunk-size). */
static bool
number(mf_str v, uint64_t *out)
{
	uint64_t x = 0;
	size_t i;

	if (v.len == 0 || v.len > 20)
		return false;
	for (i = 0; i < v.len; i++) {
		unsigned d = (unsigned char)v.ptr[i] - '0';

		if (d > 9 || x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*out = x;
	return true;
}

/* NOTIFY="NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" ) (RFC 3461 4.1). */
static bool
notify_value(mf_str v, unsigned *out)
{
	static const char *const names[] = {"never", "success", "failure",
	                                    "delay"};
	static const size_t lens[] = {5, 7, 7, 5};
	unsigned bits = 0;
	size_t i = 0;

	while (i <= v.len) {
		size_t s = i, k;

		while (i < v.len && v.ptr[i] != ',')
			i++;
		/* The first letter names the one it can be. */
		switch (i > s ? mf__lower((unsigned char)v.ptr[s]) : 0) {
		case 'n':
			k = 0;
			break;
		case 's':
			k = 1;
			break;
		case 'f':
			k = 2;
			break;
		case 'd':
			k = 3;
			break;
		default:
			return false;
		}
		if (!ieq_lower(v.ptr + s, i - s, names[k], lens[k]))
			k = 4;
		if (k == 4 || (bits & (1u << k)))
			return false;
		bits |= 1u << k;
		i++;
	}
	if ((bits & MF_SMTP_NOTIFY_NEVER) && bits != MF_SMTP_NOTIFY_NEVER)
		return false;
	*out = bits;
	return true;
}

/*
 * ORCPT=addr-type ";" xtext (RFC 3461 4.2): an atom, then an xtext that
 * is not empty and not "<>", within 500 characters.
 */
static bool
orcpt_value(mf_str v)
{
	const char *semi = memchr(v.ptr, ';', v.len);
	size_t t, x;

	if (semi == NULL || v.len > 500)
		return false;
	t = (size_t)(semi - v.ptr);
	x = v.len - t - 1;
	if (t == 0 || mf__lex_span(v.ptr, semi, MF__C_ATEXT) != t)
		return false;
	return x > 0 && xtext_ok(semi + 1, x) &&
	       !(x == 2 && semi[1] == '<' && semi[2] == '>');
}

/*
 * Validates the parameters of MAIL (rcpt false) or RCPT into cmd. The
 * library's reply id on failure, else -1.
 */
static int
params_parse(mf_smtp_cmd *cmd, bool rcpt, size_t *bad)
{
	mf_str kw, v;
	size_t pos = 0, at;
	unsigned seen = 0;
	int r;

	for (;;) {
		int id;

		at = pos;
		r = param_scan(cmd->params.ptr, cmd->params.len, &pos, &kw, &v);
		if (r == 0)
			break;
		*bad = at;
		if (r < 0)
			return MF__S_PARAM_SYNTAX;
		id = param_id(kw);
		if (id == P_UNKNOWN) {
			cmd->nunknown++;
			continue;
		}
		if (pnames[id].rcpt != rcpt)
			return MF__S_PARAM_VERB;
		if (seen & (1u << id))
			return MF__S_PARAM_DUP;
		seen |= 1u << id;
		/* Keywords without a value take none; the others need one
		 * (the wrong byte: the "=" or what follows the keyword). */
		*bad = (size_t)(kw.ptr + kw.len - cmd->params.ptr);
		if ((id == P_SMTPUTF8 || id == P_REQUIRETLS) !=
		    (v.ptr == kw.ptr + kw.len))
			return MF__S_PARAM_SYNTAX;
		/* A bad value: its first byte. */
		*bad = (size_t)(v.ptr - cmd->params.ptr);
		switch (id) {
		case P_SIZE:
			if (!number(v, &cmd->size))
				return MF__S_PARAM_SYNTAX;
			cmd->needs |= MF_SMTP_EXT_SIZE;
			break;
		case P_BODY:
			if (ieq_lower(v.ptr, v.len, "7bit", 4)) {
				cmd->body = MF_SMTP_BODY_7BIT;
			} else if (ieq_lower(v.ptr, v.len, "8bitmime", 8)) {
				cmd->body = MF_SMTP_BODY_8BITMIME;
			} else if (ieq_lower(v.ptr, v.len, "binarymime", 10)) {
				cmd->body = MF_SMTP_BODY_BINARYMIME;
				cmd->needs |= MF_SMTP_EXT_BINARYMIME |
				              MF_SMTP_EXT_CHUNKING;
				break;
			} else {
				return MF__S_PARAM_SYNTAX;
			}
			cmd->needs |= MF_SMTP_EXT_8BITMIME;
			break;
		case P_SMTPUTF8:
			cmd->smtputf8 = 1;
			cmd->needs |= MF_SMTP_EXT_SMTPUTF8;
			break;
		case P_RET:
			if (ieq_lower(v.ptr, v.len, "full", 4))
				cmd->ret = MF_SMTP_RET_FULL;
			else if (ieq_lower(v.ptr, v.len, "hdrs", 4))
				cmd->ret = MF_SMTP_RET_HDRS;
			else
				return MF__S_PARAM_SYNTAX;
			cmd->needs |= MF_SMTP_EXT_DSN;
			break;
		case P_ENVID:
			/* RFC 3461 4.4: at most 100 characters. */
			if (v.len > 100 || !xtext_ok(v.ptr, v.len))
				return MF__S_PARAM_SYNTAX;
			cmd->envid = v;
			cmd->needs |= MF_SMTP_EXT_DSN;
			break;
		case P_AUTH:
			/* RFC 4954 5: xtext of an addr-spec, or "<>". */
			if (v.len == 0 || (!(v.len == 2 && v.ptr[0] == '<' &&
			                     v.ptr[1] == '>') &&
			                   !xtext_ok(v.ptr, v.len)))
				return MF__S_PARAM_SYNTAX;
			cmd->auth = v;
			cmd->needs |= MF_SMTP_EXT_AUTH;
			break;
		case P_REQUIRETLS:
			cmd->requiretls = 1;
			cmd->needs |= MF_SMTP_EXT_REQUIRETLS;
			break;
		case P_NOTIFY:
			if (!notify_value(v, &cmd->notify))
				return MF__S_PARAM_SYNTAX;
			cmd->needs |= MF_SMTP_EXT_DSN;
			break;
		case P_ORCPT:
			if (!orcpt_value(v))
				return MF__S_PARAM_SYNTAX;
			cmd->orcpt = v;
			cmd->needs |= MF_SMTP_EXT_DSN;
			break;
		default:
			break;
		}
	}
	return -1;
}

int
mf_smtp_param_next(const mf_smtp_cmd *cmd, size_t *pos, mf_str *keyword,
                   mf_str *value)
{
	mf_str k, v;

	if (cmd == NULL || pos == NULL)
		return 0;
	if (param_scan(cmd->params.ptr, cmd->params.len, pos, &k, &v) != 1)
		return 0;
	if (keyword != NULL)
		*keyword = k;
	if (value != NULL)
		*value = v;
	return 1;
}

/* ---------------------------------------------------------------------- */
/* Commands                                                                */
/* ---------------------------------------------------------------------- */

#define CMD_FLAGS                                                              \
	(MF_SMTP_COLON_SPACE | MF_SMTP_BARE_PATH | MF_ACCEPT_LF | MF_LONG_LINES)

/*
 * Whether a[0..n) (a < n) equals the upper-case letters of up, ignoring
 * ASCII case: & 0xDF maps a byte to a capital only from that capital or
 * its small letter.
 */
MF__INLINE bool
ieq_letters(const char *a, const char *up, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (((unsigned char)a[i] & 0xDF) != (unsigned char)up[i])
			return false;
	}
	return true;
}

/*
 * The common Domain at s[i], ASCII sub-domains (Let-dig [Ldh-str], RFC
 * 5321 4.1.2) of 63 octets at most (RFC 1035) joined by dots, within
 * s[0..n): its end (the first byte after it, i < end <= n) when it is
 * one; else 0, and mf__smtp_domain decides. s[n] must be readable and no
 * letter, digit or "-" (see path_fast).
 */
static size_t
domain_fast(const unsigned char *s, size_t i, size_t n)
{
	size_t label;

	for (;;) {
		label = i;
		while (path_class[s[i]] & 2)
			i++;
		if (i == label || i > n || s[label] == '-' ||
		    s[i - 1] == '-' || i - label > 63)
			return 0;
		if (i == n || s[i] != '.')
			return i;
		i++;
	}
}

/*
 * The common path, "<" Dot-string "@" Domain ">" in ASCII (no route, no
 * quoted string, no address literal, no UTF-8), in one pass over
 * a[0..an), a[0] == '<': the length of the path with its ">", *path (all
 * zero before) filled exactly as path_parse fills it, when the path is
 * that and within the limits; else 0, and path_end and path_parse read it
 * (the same result, or the error and its offset). a[an] must be readable
 * and neither atext nor a letter, digit or "-": in a command line it is
 * the SP before trailing spaces or the line end, which stops the scans
 * without a bound check. test_smtp runs both ways over
 * every vector and hostile variants of them.
 */
static size_t
path_fast(const char *a, size_t an, mf_smtp_path *path)
{
	const unsigned char *s = (const unsigned char *)a;
	size_t i = 1, at;

	/* RFC 5321 4.1.2: Dot-string = Atom *("." Atom). */
	for (;;) {
		size_t start = i;

		while (path_class[s[i]] & 1)
			i++;
		if (i == start || i >= an)
			return 0;
		if (s[i] != '.')
			break;
		i++;
	}
	/* 4.5.3.1.1: a local part of 64 octets at most. */
	if (s[i] != '@' || i - 1 > 64)
		return 0;
	at = i++;
	i = domain_fast(s, i, an);
	if (i == 0)
		return 0;
	/* 4.5.3.1.3: 256 octets with the brackets. */
	if (s[i] != '>' || i + 1 > 256)
		return 0;
	path->mailbox.ptr = a + 1;
	path->mailbox.len = i - 1;
	path->local.ptr = a + 1;
	path->local.len = at - 1;
	path->domain.ptr = a + at + 1;
	path->domain.len = i - at - 1;
	return i + 1;
}

/* A failed parse: the reply and the error at off (in the line). */
static int
cmd_fail(mf_smtp_cmd *cmd, int sid, int code, size_t off, const char *why,
         mf_error *err)
{
	cmd->reply = mf__smtp_st[sid];
	return mf__err(err, code, off, why);
}

/*
 * The path of MAIL, RCPT (and SEND, SOML, SAML): a = the argument from
 * just after the verb's space; "FROM:" / "TO:" then the path and the
 * parameters.
 */
static int
path_cmd(mf_smtp_cmd *cmd, const char *line, const char *a, size_t an,
         unsigned flags, bool fast, mf_error *err)
{
	bool rcpt = cmd->verb == MF_SMTP_RCPT;
	const char *kw = rcpt ? "TO" : "FROM";
	size_t kn = rcpt ? 2 : 4, i = kn, pe, bad = 0;
	int bad_sid = rcpt ? MF__S_BAD_TO : MF__S_BAD_FROM;
	int mbox_sid = rcpt ? MF__S_TO_MBOX : MF__S_FROM_MBOX;
	size_t space = 0; /* the first space around ":", if any */
	bool bare = false, parsed;
	const char *why = NULL;
	int rc, sid;

#define OFF(q) ((size_t)((q)-line))
	if (an < kn || !ieq_letters(a, kw, kn))
		return cmd_fail(cmd, bad_sid, MF_E_SYNTAX, OFF(a),
		                rcpt ? "TO: expected" : "FROM: expected", err);
	/* RFC 821-era clients: "MAIL From : <x>", "RCPT TO: <x>". */
	if (i < an && a[i] == ' ')
		space = i;
	while (i < an && a[i] == ' ')
		i++;
	if (i >= an || a[i] != ':')
		return cmd_fail(cmd, bad_sid, MF_E_SYNTAX, OFF(a + i),
		                "\":\" expected", err);
	i++;
	if (space == 0 && i < an && a[i] == ' ')
		space = i;
	while (i < an && a[i] == ' ')
		i++;
	if (space != 0) {
		if (!(flags & MF_SMTP_COLON_SPACE))
			return cmd_fail(cmd, bad_sid, MF_E_SYNTAX,
			                OFF(a + space), "space around \":\"",
			                err);
		cmd->defects |= MF_DEFECT_BIT(MF_D_OBSOLETE);
	}
	a += i;
	an -= i;
	/* The common path in one pass; anything else (or fast false) the
	 * full way. */
	pe = fast && an > 0 && a[0] == '<' ? path_fast(a, an, &cmd->path) : 0;
	parsed = pe != 0;
	if (parsed) {
		/* path_fast has read and checked it. */
	} else if (an > 0 && a[0] == '<') {
		pe = path_end(a, an);
		if (pe == an)
			return cmd_fail(cmd, bad_sid, MF_E_SYNTAX, OFF(a + an),
			                "no \">\"", err);
		pe++;
	} else if (flags & MF_SMTP_BARE_PATH) {
		const char *lt = memchr(a, '<', an);

		cmd->defects |= MF_DEFECT_BIT(MF_D_OBSOLETE);
		if (lt != NULL && memchr(a, '=', (size_t)(lt - a)) == NULL) {
			/* "Name <path>": the name is dropped. */
			an -= (size_t)(lt - a);
			a = lt;
			pe = path_end(a, an);
			if (pe == an)
				return cmd_fail(cmd, bad_sid, MF_E_SYNTAX,
				                OFF(a + an), "no \">\"", err);
			pe++;
		} else {
			const char *sp = memchr(a, ' ', an);

			pe = sp != NULL ? (size_t)(sp - a) : an;
			bare = true;
		}
	} else {
		return cmd_fail(cmd, bad_sid, MF_E_SYNTAX, OFF(a),
		                "path not in angle brackets", err);
	}
	rc = parsed ? MF_OK
	            : path_parse(a, pe, bare, (flags & MF_SMTP_BARE_PATH) != 0,
	                         &cmd->path, &bad, &why);
	if (rc < 0) {
		if (rc == MF_E_LIMIT && bad == 256)
			sid = rcpt ? MF__S_TO_LONG : MF__S_FROM_LONG;
		else
			sid = mbox_sid;
		return cmd_fail(cmd, sid, rc, OFF(a + bad), why, err);
	}
	if (cmd->path.mailbox.len > 0 && cmd->path.domain.len == 0 &&
	    !(cmd->path.flags & MF_SMTP_PATH_POSTMASTER))
		cmd->defects |= MF_DEFECT_BIT(MF_D_ADDR_NO_DOMAIN);
	/* The null path only as a reverse-path; <Postmaster> only in RCPT. */
	if ((rcpt && cmd->path.mailbox.len == 0) ||
	    (!rcpt && (cmd->path.flags & MF_SMTP_PATH_POSTMASTER)))
		return cmd_fail(cmd, mbox_sid, MF_E_SYNTAX, OFF(a),
		                rcpt ? "null path" : "no domain", err);
	if (pe < an) {
		if (a[pe] != ' ' || pe + 1 == an)
			return cmd_fail(cmd, MF__S_SYNTAX, MF_E_SYNTAX,
			                OFF(a + pe), "bytes after the path",
			                err);
		cmd->params.ptr = a + pe + 1;
		cmd->params.len = an - pe - 1;
	} else {
		cmd->params.ptr = a + an;
	}
	if (cmd->verb == MF_SMTP_MAIL || rcpt) {
		sid = params_parse(cmd, rcpt, &bad);
		if (sid >= 0)
			return cmd_fail(cmd, sid, MF_E_SYNTAX,
			                OFF(cmd->params.ptr + bad),
			                "bad parameter", err);
	} else if (cmd->params.len > 0) {
		return cmd_fail(cmd, MF__S_PARAM_UNKNOWN, MF_E_SYNTAX,
		                OFF(cmd->params.ptr), "no parameters here",
		                err);
	}
	return MF_OK;
#undef OFF
}

/* AUTH mechanism [SP initial-response] (RFC 4954 4). */
static int
auth_cmd(mf_smtp_cmd *cmd, const char *line, mf_error *err)
{
	const char *a = cmd->arg.ptr;
	size_t an = cmd->arg.len, i = 0, j;

	while (i < an && i < 21 &&
	       (mf__is((unsigned char)a[i], MF__C_ALPHA | MF__C_DIGIT) ||
	        a[i] == '-' || a[i] == '_'))
		i++;
	if (i == 0 || i > 20 || (i < an && a[i] != ' '))
		return cmd_fail(cmd, MF__S_SYNTAX, MF_E_SYNTAX,
		                (size_t)(a + i - line), "bad mechanism", err);
	if (i == an)
		return MF_OK;
	cmd->initial.ptr = a + i + 1;
	cmd->initial.len = an - i - 1;
	if (cmd->initial.len == 1 && a[i + 1] == '=')
		return MF_OK;
	for (j = 0; j < cmd->initial.len; j++) {
		unsigned char c = (unsigned char)cmd->initial.ptr[j];

		if (!mf__is(c, MF__C_B64) && c != '=')
			return cmd_fail(cmd, MF__S_AUTH_SYNTAX, MF_E_SYNTAX,
			                (size_t)(cmd->initial.ptr + j - line),
			                "bad initial response", err);
	}
	return MF_OK;
}

int
mf__smtp_cmd_parse_way(bool fast, const char *p, size_t n, const mf_opts *o,
                       mf_smtp_cmd *cmd, size_t *consumed, mf_error *err)
{
	unsigned flags = o != NULL ? o->flags : 0;
	size_t end = 0, next = 0, v, b;
	int sid = MF__S_SYNTAX, rc;

	if (consumed != NULL)
		*consumed = 0;
	if (cmd == NULL || consumed == NULL || (p == NULL && n != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	mf__zero(cmd, sizeof(*cmd));
	if (mf__opts_check(o, CMD_FLAGS, err) < 0)
		return MF_E_INVAL;
	if (p == NULL)
		p = "";
	rc = cmd_line(p, n, line_limit(o, 512), flags, fast, &end, &next, &b,
	              &cmd->defects, &sid, err);
	if (rc == MF_MORE)
		return rc;
	*consumed = next;
	if (rc < 0) {
		cmd->reply = mf__smtp_st[sid];
		return rc;
	}
	if (b < end)
		return cmd_fail(cmd, MF__S_BAD_CHAR, MF_E_SYNTAX, b,
		                p[b] == '\r' ? "bare CR" : "invalid byte", err);
	/* The verb: 1-32 letters, then the end or one space; most have
	 * four. */
	if (end >= 4 && (end == 4 || p[4] == ' ') &&
	    mf__is((unsigned char)p[0], MF__C_ALPHA) &&
	    mf__is((unsigned char)p[1], MF__C_ALPHA) &&
	    mf__is((unsigned char)p[2], MF__C_ALPHA) &&
	    mf__is((unsigned char)p[3], MF__C_ALPHA)) {
		v = 4;
	} else {
		for (v = 0; v < end && v <= 32 &&
		            mf__is((unsigned char)p[v], MF__C_ALPHA);
		     v++)
			;
	}
	if (v == 0 || v > 32 || (v < end && p[v] != ' '))
		return cmd_fail(cmd, MF__S_UNKNOWN, MF_E_SYNTAX, v,
		                "bad command verb", err);
	cmd->name.ptr = p;
	cmd->name.len = v;
	cmd->verb = verb_of(p, v);
	if (v < end) {
		size_t e = end;

		while (e > v + 1 && p[e - 1] == ' ')
			e--;
		cmd->arg.ptr = p + v + 1;
		cmd->arg.len = e - v - 1;
		if (cmd->arg.len > 0 && p[v + 1] == ' ')
			return cmd_fail(cmd, MF__S_SYNTAX, MF_E_SYNTAX, v + 1,
			                "more than one space", err);
	} else {
		cmd->arg.ptr = p + end;
	}
	switch ((enum mf_smtp_verb)cmd->verb) {
	case MF_SMTP_HELO:
	case MF_SMTP_EHLO: {
		unsigned fl = 0;
		const char *why;
		size_t bad;

		size_t dn = cmd->arg.len;

		if (dn == 0)
			return cmd_fail(cmd, MF__S_NEED_ARG, MF_E_SYNTAX, v,
			                "domain required", err);
		/* The absolute form "host.example." of RFC 821-era
		 * clients: the name is the same (MF_D_OBSOLETE). */
		if (dn > 1 && cmd->arg.ptr[dn - 1] == '.' &&
		    cmd->arg.ptr[0] != '[') {
			dn--;
			cmd->defects |= MF_DEFECT_BIT(MF_D_OBSOLETE);
		}
		/* The common name in one pass (the line end, or the "."
		 * dropped, stops it), anything else the full way. */
		if (fast && dn <= 255 &&
		    domain_fast((const unsigned char *)cmd->arg.ptr, 0, dn) ==
		        dn)
			break;
		if (mf__smtp_domain(cmd->arg.ptr, dn, &fl, &bad, &why) < 0)
			return cmd_fail(cmd, MF__S_BAD_DOMAIN, MF_E_SYNTAX,
			                v + 1 + bad, why, err);
		break;
	}
	case MF_SMTP_MAIL:
	case MF_SMTP_RCPT:
	case MF_SMTP_SEND:
	case MF_SMTP_SOML:
	case MF_SMTP_SAML:
		return path_cmd(cmd, p, cmd->arg.ptr, cmd->arg.len, flags, fast,
		                err);
	case MF_SMTP_DATA:
	case MF_SMTP_RSET:
	case MF_SMTP_QUIT:
	case MF_SMTP_STARTTLS:
	case MF_SMTP_TURN:
		if (cmd->arg.len > 0)
			return cmd_fail(cmd, MF__S_NO_ARGS, MF_E_SYNTAX, v + 1,
			                "no arguments allowed", err);
		break;
	case MF_SMTP_VRFY:
	case MF_SMTP_EXPN:
		if (cmd->arg.len == 0)
			return cmd_fail(cmd, MF__S_NEED_ARG, MF_E_SYNTAX, v,
			                "argument required", err);
		break;
	case MF_SMTP_AUTH:
		if (cmd->arg.len == 0)
			return cmd_fail(cmd, MF__S_NEED_ARG, MF_E_SYNTAX, v,
			                "mechanism required", err);
		return auth_cmd(cmd, p, err);
	case MF_SMTP_BDAT: {
		/* bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] */
		const char *sp = memchr(cmd->arg.ptr, ' ', cmd->arg.len);
		mf_str num = cmd->arg;

		if (cmd->arg.len == 0)
			return cmd_fail(cmd, MF__S_NEED_ARG, MF_E_SYNTAX, v,
			                "chunk size required", err);
		if (sp != NULL) {
			num.len = (size_t)(sp - num.ptr);
			if (!mf__ieq(sp + 1, cmd->arg.len - num.len - 1, "LAST",
			             4))
				return cmd_fail(cmd, MF__S_SYNTAX, MF_E_SYNTAX,
				                (size_t)(sp + 1 - p),
				                "LAST expected", err);
			cmd->last = 1;
		}
		if (!number(num, &cmd->size))
			return cmd_fail(cmd, MF__S_SYNTAX, MF_E_SYNTAX, v + 1,
			                "bad chunk size", err);
		break;
	}
	case MF_SMTP_HELP:
	case MF_SMTP_NOOP:
	case MF_SMTP_UNKNOWN:
		break;
	}
	return MF_OK;
}

int
mf_smtp_cmd_parse(const char *p, size_t n, const mf_opts *o, mf_smtp_cmd *cmd,
                  size_t *consumed, mf_error *err)
{
	return mf__smtp_cmd_parse_way(true, p, n, o, cmd, consumed, err);
}

/* ---------------------------------------------------------------------- */
/* Formatting commands and paths                                           */
/* ---------------------------------------------------------------------- */

int
mf_smtp_cmd_format(mf_buf *out, int verb, const char *arg, size_t n)
{
	size_t mark, i;
	int rc;

	if (out == NULL || verb <= 0 || (size_t)verb >= NVERBS ||
	    (arg == NULL && n != 0))
		return MF_E_INVAL;
	for (i = 0; i < n; i++) {
		if (arg[i] == '\r' || arg[i] == '\n' || arg[i] == '\0')
			return MF_E_INVAL;
	}
	mark = out->len;
	rc = mf__buf_puts(out, verb_names[verb]);
	if (rc == MF_OK && verb == MF_SMTP_MAIL)
		rc = mf__buf_put(out, " FROM:", 6);
	else if (rc == MF_OK && verb == MF_SMTP_RCPT)
		rc = mf__buf_put(out, " TO:", 4);
	else if (rc == MF_OK && n > 0)
		rc = mf__buf_putc(out, ' ');
	if (rc == MF_OK)
		rc = mf__buf_put(out, arg, n);
	if (rc == MF_OK)
		rc = mf__buf_put(out, "\r\n", 2);
	if (rc < 0)
		mf__buf_cut(out, mark);
	return rc;
}

int
mf_smtp_path_format(mf_buf *out, const char *mailbox, size_t n, unsigned flags)
{
	char scratch[4 * 256 + 1];
	size_t sn = sizeof(scratch), mark, bad;
	const char *why;
	mf__smtp_mbox mb;
	mf_addr a;
	int rc;

	if (out == NULL || (mailbox == NULL && n != 0) ||
	    (flags & ~MF_UTF8_OUT) != 0)
		return MF_E_INVAL;
	mark = out->len;
	if (n == 0)
		return mf__buf_put(out, "<>", 2);
	if (n > 256 ||
	    mf_addr_spec_parse(mailbox, n, NULL, &a, scratch, &sn, NULL) < 0)
		return MF_E_SYNTAX;
	rc = mf__buf_putc(out, '<');
	if (rc == MF_OK)
		rc = mf_addr_spec_format(out, &a);
	if (rc == MF_OK &&
	    (mf__smtp_mailbox(out->data + mark + 1, out->len - mark - 1, false,
	                      &mb, &bad, &why) < 0 ||
	     out->len - mark + 1 > 256))
		rc = MF_E_SYNTAX;
	if (rc == MF_OK && (mb.flags & MF_SMTP_PATH_UTF8) &&
	    !(flags & MF_UTF8_OUT))
		rc = MF_E_UTF8_OUT;
	if (rc == MF_OK)
		rc = mf__buf_putc(out, '>');
	if (rc < 0)
		mf__buf_cut(out, mark);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* SASL (RFC 4954, RFC 4616)                                               */
/* ---------------------------------------------------------------------- */

int
mf_smtp_sasl_parse(const char *p, size_t n, const mf_opts *o, mf_str *line,
                   size_t *consumed, mf_error *err)
{
	unsigned flags = o != NULL ? o->flags : 0;
	uint64_t defects = 0;
	size_t end = 0, next = 0, i;
	int sid, rc;

	if (consumed != NULL)
		*consumed = 0;
	if (line == NULL || consumed == NULL || (p == NULL && n != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	if (mf__opts_check(o, MF_ACCEPT_LF | MF_LONG_LINES, err) < 0)
		return MF_E_INVAL;
	if (p == NULL)
		p = "";
	/* RFC 4954 4: lines of up to 12288 octets. */
	rc = mf__smtp_line(p, n, line_limit(o, 12288), flags, &end, &next,
	                   &defects, &sid, err);
	if (rc == MF_MORE)
		return rc;
	*consumed = next;
	if (rc < 0)
		return rc;
	while (end > 0 && p[end - 1] == ' ')
		end--;
	for (i = 0; i < end; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= ' ' || c >= 0x7F)
			return mf__err(err, MF_E_SYNTAX, i,
			               "invalid byte in SASL response");
	}
	line->ptr = p;
	line->len = end;
	return MF_OK;
}

int
mf_smtp_sasl_decode(const char *p, size_t n, char *out, size_t cap,
                    size_t *outlen)
{
	size_t i;

	if (outlen == NULL || (p == NULL && n != 0) ||
	    (out == NULL && cap != 0))
		return MF_E_INVAL;
	*outlen = 0;
	if (n == 1 && p[0] == '=')
		return MF_OK;
	/* No white space or line ends inside a SASL response. */
	for (i = 0; i < n; i++) {
		if (!mf__is((unsigned char)p[i], MF__C_B64) && p[i] != '=')
			return MF_E_SYNTAX;
	}
	if (n == 0)
		return MF_OK;
	switch (mf_b64_decode(out, cap, p, n, MF_STRICT, outlen, NULL, NULL)) {
	case MF_OK:
		return MF_OK;
	case MF_E_NOSPC:
		return MF_E_NOSPC;
	default:
		*outlen = 0;
		return MF_E_SYNTAX;
	}
}

int
mf_smtp_auth_plain_decode(const char *p, size_t n, char *buf, size_t cap,
                          mf_str *authzid, mf_str *user, mf_str *pass)
{
	const char *z1, *z2;
	size_t len;
	int rc;

	if (authzid == NULL || user == NULL || pass == NULL)
		return MF_E_INVAL;
	rc = mf_smtp_sasl_decode(p, n, buf, cap, &len);
	if (rc < 0)
		return rc;
	/* message = [authzid] NUL authcid NUL passwd (RFC 4616 2). */
	z1 = len > 0 ? memchr(buf, '\0', len) : NULL;
	z2 = z1 != NULL ? memchr(z1 + 1, '\0', len - (size_t)(z1 + 1 - buf))
	                : NULL;
	if (z2 == NULL || z2 == z1 + 1 || z2 + 1 == buf + len ||
	    memchr(z2 + 1, '\0', len - (size_t)(z2 + 1 - buf)) != NULL)
		return MF_E_SYNTAX;
	authzid->ptr = buf;
	authzid->len = (size_t)(z1 - buf);
	user->ptr = z1 + 1;
	user->len = (size_t)(z2 - z1 - 1);
	pass->ptr = z2 + 1;
	pass->len = (size_t)(buf + len - z2 - 1);
	return MF_OK;
}

int
mf_smtp_auth_plain_encode(mf_buf *out, const char *authzid, size_t zn,
                          const char *user, size_t un, const char *pass,
                          size_t pn)
{
	mf_buf raw;
	size_t mark, need, len;
	int rc;

	if (out == NULL || (authzid == NULL && zn != 0) || user == NULL ||
	    pass == NULL || un == 0 || pn == 0 ||
	    (zn > 0 && memchr(authzid, '\0', zn) != NULL) ||
	    memchr(user, '\0', un) != NULL || memchr(pass, '\0', pn) != NULL)
		return MF_E_INVAL;
	mf__buf_init(&raw, &out->a);
	rc = mf__buf_put(&raw, authzid, zn);
	if (rc == MF_OK)
		rc = mf__buf_putc(&raw, '\0');
	if (rc == MF_OK)
		rc = mf__buf_put(&raw, user, un);
	if (rc == MF_OK)
		rc = mf__buf_putc(&raw, '\0');
	if (rc == MF_OK)
		rc = mf__buf_put(&raw, pass, pn);
	mark = out->len;
	need = mf_b64_encoded_len(raw.len, 0, 0);
	if (rc == MF_OK)
		rc = mf__buf_grow(out, need);
	if (rc == MF_OK)
		rc = mf_b64_encode(out->data + mark, need + 1, raw.data,
		                   raw.len, 0, 0, &len);
	if (rc == MF_OK)
		mf__buf_cut(out, mark + len);
	mf__buf_fini(&raw);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Replies (RFC 5321 4.2, RFC 3463, RFC 2034)                              */
/* ---------------------------------------------------------------------- */

/* Reply-code = %x32-35 %x30-35 %x30-39 */
static int
reply_code(const char *p, size_t n)
{
	if (n < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '5' ||
	    p[2] < '0' || p[2] > '9')
		return 0;
	return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/*
 * An enhanced status code at the start of p[0..n): class "." subject "."
 * detail, 1-3 digits each (RFC 3463 2), followed by a space or the end.
 * Its length (with the space), or 0.
 */
static size_t
enh_code(const char *p, size_t n, int v[3])
{
	size_t i = 0, k;

	for (k = 0; k < 3; k++) {
		size_t d = 0;

		v[k] = 0;
		if (k > 0) {
			if (i >= n || p[i] != '.')
				return 0;
			i++;
		}
		while (i < n && d < 4 &&
		       mf__is((unsigned char)p[i], MF__C_DIGIT)) {
			v[k] = v[k] * 10 + (p[i] - '0');
			i++;
			d++;
		}
		if (d == 0 || d > 3 || (k == 0 && d != 1))
			return 0;
	}
	if (v[0] < 2 || v[0] > 5 || v[0] == 3)
		return 0;
	if (i < n && p[i] != ' ')
		return 0;
	return i < n ? i + 1 : i;
}

#define REPLY_FLAGS (MF_STRICT | MF_ACCEPT_LF | MF_LONG_LINES)

int
mf_smtp_reply_parse(const char *p, size_t n, const mf_opts *o,
                    mf_smtp_reply *reply, mf_str *lines, size_t *nlines,
                    size_t *consumed, mf_error *err)
{
	unsigned flags = o != NULL ? o->flags : 0;
	bool strict = (flags & MF_STRICT) != 0;
	size_t limit = line_limit(o, 512), pos = 0, cap, k = 0;
	mf_smtp_reply r;

	if (consumed != NULL)
		*consumed = 0;
	if (reply == NULL || nlines == NULL || consumed == NULL ||
	    (lines == NULL && *nlines != 0) || (p == NULL && n != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	if (mf__opts_check(o, REPLY_FLAGS, err) < 0)
		return MF_E_INVAL;
	cap = *nlines;
	memset(&r, 0, sizeof(r));
	for (;;) {
		size_t end = 0, next = 0, i, e;
		int sid, code, rc, v[3];
		const char *s = p + pos;
		bool last;

		rc = mf__smtp_line(s, n - pos, limit, flags, &end, &next,
		                   &r.defects, &sid, err);
		if (rc == MF_MORE)
			return rc;
		if (rc < 0) {
			if (err != NULL)
				err->offset += pos;
			return rc;
		}
		code = reply_code(s, end);
		if (code == 0 || (end > 3 && s[3] != ' ' && s[3] != '-'))
			return mf__err(err, MF_E_SYNTAX, pos, "bad reply code");
		if (k == 0) {
			r.code = code;
		} else if (code != r.code) {
			if (strict)
				return mf__err(err, MF_E_SYNTAX, pos,
				               "reply codes differ");
			r.defects |= MF_DEFECT_BIT(MF_D_SMTP_REPLY);
		}
		last = end <= 3 || s[3] == ' ';
		i = end > 3 ? 4 : end;
		/* Control characters but HTAB (textstring, 4.2); a bare CR
		 * never. */
		for (e = i; e < end; e++) {
			unsigned char c = (unsigned char)s[e];

			if (c == '\r')
				return mf__err(err, MF_E_SYNTAX, pos + e,
				               "bare CR");
			if ((c < 0x20 && c != '\t') || c == 0x7F) {
				if (strict)
					return mf__err(err, MF_E_SYNTAX,
					               pos + e,
					               "control character");
				r.defects |= MF_DEFECT_BIT(MF_D_BAD_CHAR);
			}
		}
		/* The enhanced code: given on the first line, of the code's
		 * class, and the same on the others (RFC 2034 4); a later
		 * line's is taken off only when it is that one. */
		e = enh_code(s + i, end - i, v);
		if (e > 0 && k == 0 && v[0] == r.code / 100) {
			r.enh_class = v[0];
			r.enh_subject = v[1];
			r.enh_detail = v[2];
		} else if (e > 0 && (k == 0 || r.enh_class != 0) &&
		           (k == 0 || v[0] != r.enh_class ||
		            v[1] != r.enh_subject || v[2] != r.enh_detail)) {
			if (strict)
				return mf__err(err, MF_E_SYNTAX, pos + i,
				               "bad enhanced code");
			r.defects |= MF_DEFECT_BIT(MF_D_SMTP_REPLY);
			e = 0;
		} else if (k > 0 && r.enh_class == 0) {
			e = 0;
		}
		if (k >= cap) {
			*nlines = k + 1;
			return mf__err(err, MF_E_NOSPC, pos, "too many lines");
		}
		lines[k].ptr = s + i + e;
		lines[k].len = end - i - e;
		k++;
		pos += next;
		if (last)
			break;
	}
	*reply = r;
	*nlines = k;
	*consumed = pos;
	return MF_OK;
}

/*
 * Appends one reply line: code, "-" or " ", the enhanced code, the text;
 * the caller checked everything.
 */
static int
reply_line(mf_buf *out, int code, bool more, const char *enh, const char *t,
           size_t n)
{
	char c[4];
	int rc;

	c[0] = (char)('0' + code / 100);
	c[1] = (char)('0' + code / 10 % 10);
	c[2] = (char)('0' + code % 10);
	c[3] = more ? '-' : ' ';
	rc = mf__buf_put(out, c, (n > 0 || enh != NULL || more) ? 4 : 3);
	if (rc == MF_OK && enh != NULL) {
		rc = mf__buf_puts(out, enh);
		if (rc == MF_OK && n > 0)
			rc = mf__buf_putc(out, ' ');
	}
	if (rc == MF_OK)
		rc = mf__buf_put(out, t, n);
	if (rc == MF_OK)
		rc = mf__buf_put(out, "\r\n", 2);
	return rc;
}

/* Where to break t[0..n) for a line of at most room octets: the last
 * space that allows it, else the last UTF-8 boundary before hard. */
static size_t
wrap_at(const char *t, size_t n, size_t room, size_t hard)
{
	size_t i;

	if (n <= room)
		return n;
	for (i = room; i > 0; i--) {
		if (t[i] == ' ')
			return i;
	}
	if (n <= hard)
		return n;
	for (i = hard; i > 1 && ((unsigned char)t[i] & 0xC0) == 0x80; i--)
		;
	return i;
}

int
mf_smtp_reply_format(mf_buf *out, int code, const char *enh, const char *text,
                     size_t n)
{
	size_t mark, i, pre, s;
	int v[3], rc = MF_OK;

	if (out == NULL || (text == NULL && n != 0))
		return MF_E_INVAL;
	if (code < 200 || code > 599 || code / 10 % 10 > 5)
		return MF_E_INVAL;
	if (enh != NULL && (enh_code(enh, strlen(enh), v) != strlen(enh) ||
	                    v[0] != code / 100))
		return MF_E_INVAL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F)
			return MF_E_INVAL;
	}
	mark = out->len;
	pre = 4 + (enh != NULL ? strlen(enh) + 1 : 0);
	s = 0;
	do {
		const char *nl = memchr(text + s, '\n', n - s);
		size_t e = nl != NULL ? (size_t)(nl - text) : n;

		/* Lines within 80 octets where the words allow, 512 always
		 * (RFC 5321 4.5.3.1.5: 512 with the code and CRLF). */
		do {
			size_t k = wrap_at(text + s, e - s, 80 - 2 - pre,
			                   512 - 2 - pre);

			rc = reply_line(out, code, s + k < n, enh, text + s, k);
			s += k;
			while (s < e && text[s] == ' ')
				s++;
		} while (rc == MF_OK && s < e);
		s = e + 1;
	} while (rc == MF_OK && s <= n);
	if (rc < 0)
		mf__buf_cut(out, mark);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* EHLO capabilities (RFC 5321 4.1.1.1)                                    */
/* ---------------------------------------------------------------------- */

static const struct {
	const char *kw;
	unsigned ext;
} ext_names[] = {
    {"PIPELINING", MF_SMTP_EXT_PIPELINING},
    {"SIZE", MF_SMTP_EXT_SIZE},
    {"8BITMIME", MF_SMTP_EXT_8BITMIME},
    {"BINARYMIME", MF_SMTP_EXT_BINARYMIME},
    {"CHUNKING", MF_SMTP_EXT_CHUNKING},
    {"DSN", MF_SMTP_EXT_DSN},
    {"SMTPUTF8", MF_SMTP_EXT_SMTPUTF8},
    {"STARTTLS", MF_SMTP_EXT_STARTTLS},
    {"AUTH", MF_SMTP_EXT_AUTH},
    {"ENHANCEDSTATUSCODES", MF_SMTP_EXT_ENHANCEDSTATUSCODES},
    {"REQUIRETLS", MF_SMTP_EXT_REQUIRETLS},
};
#define NEXTS (sizeof(ext_names) / sizeof(ext_names[0]))

int
mf_smtp_ehlo_parse(const mf_str *lines, size_t nlines, mf_smtp_caps *caps)
{
	mf_smtp_caps c;
	size_t i, k;

	if (caps == NULL || (lines == NULL && nlines != 0))
		return MF_E_INVAL;
	memset(&c, 0, sizeof(c));
	if (nlines > 0) {
		const char *sp = memchr(lines[0].ptr, ' ', lines[0].len);

		c.domain.ptr = lines[0].ptr;
		c.domain.len =
		    sp != NULL ? (size_t)(sp - lines[0].ptr) : lines[0].len;
	}
	for (i = 1; i < nlines; i++) {
		const char *t = lines[i].ptr;
		size_t n = lines[i].len, w = 0;
		mf_str arg;

		/* ehlo-line = ehlo-keyword *( SP ehlo-param ); old servers
		 * wrote "AUTH=LOGIN PLAIN". */
		while (w < n && t[w] != ' ' && t[w] != '=')
			w++;
		arg.ptr = t + (w < n ? w + 1 : n);
		arg.len = w < n ? n - w - 1 : 0;
		for (k = 0; k < NEXTS; k++) {
			if (mf__ieq(t, w, ext_names[k].kw,
			            strlen(ext_names[k].kw)))
				break;
		}
		if (k == NEXTS) {
			c.nunknown++;
			continue;
		}
		c.ext |= ext_names[k].ext;
		if (ext_names[k].ext == MF_SMTP_EXT_SIZE && arg.len > 0 &&
		    !number(arg, &c.size))
			c.size = 0;
		if (ext_names[k].ext == MF_SMTP_EXT_AUTH &&
		    (c.auth.len == 0 || (w < n && t[w] == ' ')))
			c.auth = arg;
	}
	*caps = c;
	return MF_OK;
}

int
mf_smtp_caps_auth(const mf_smtp_caps *caps, const char *mech, size_t n)
{
	size_t i = 0;

	if (caps == NULL || mech == NULL || n == 0)
		return 0;
	while (i < caps->auth.len) {
		size_t s = i;

		while (i < caps->auth.len && caps->auth.ptr[i] != ' ')
			i++;
		if (mf__ieq(caps->auth.ptr + s, i - s, mech, n))
			return 1;
		i++;
	}
	return 0;
}

int
mf_smtp_ehlo_format(mf_buf *out, const char *domain, size_t dn,
                    const char *text, const mf_smtp_caps *caps)
{
	size_t mark, k, i, tn = text != NULL ? strlen(text) : 0;
	unsigned ext;
	mf_buf line;
	int rc;

	if (out == NULL || domain == NULL || dn == 0 || caps == NULL)
		return MF_E_INVAL;
	for (i = 0; i < dn; i++) {
		if ((unsigned char)domain[i] <= ' ' || domain[i] == 0x7F)
			return MF_E_INVAL;
	}
	for (i = 0; i < tn; i++) {
		if ((unsigned char)text[i] < ' ' || text[i] == 0x7F)
			return MF_E_INVAL;
	}
	for (i = 0; i < caps->auth.len; i++) {
		if ((unsigned char)caps->auth.ptr[i] < ' ' ||
		    caps->auth.ptr[i] == 0x7F)
			return MF_E_INVAL;
	}
	ext = caps->ext;
	if (caps->auth.len == 0)
		ext &= ~MF_SMTP_EXT_AUTH;
	mark = out->len;
	mf__buf_init(&line, &out->a);
	rc = mf__buf_put(&line, domain, dn);
	if (rc == MF_OK && tn > 0)
		rc = mf__buf_putc(&line, ' ');
	if (rc == MF_OK)
		rc = mf__buf_put(&line, text, tn);
	if (rc == MF_OK)
		rc = reply_line(out, 250, ext != 0, NULL, line.data, line.len);
	for (k = 0; k < NEXTS && rc == MF_OK; k++) {
		if (!(ext & ext_names[k].ext))
			continue;
		ext &= ~ext_names[k].ext;
		mf__buf_cut(&line, 0);
		rc = mf__buf_puts(&line, ext_names[k].kw);
		if (rc == MF_OK && ext_names[k].ext == MF_SMTP_EXT_SIZE &&
		    caps->size > 0) {
			char num[24];
			int w = snprintf(num, sizeof(num), " %llu",
			                 (unsigned long long)caps->size);

			rc = mf__buf_put(&line, num, (size_t)w);
		}
		if (rc == MF_OK && ext_names[k].ext == MF_SMTP_EXT_AUTH) {
			rc = mf__buf_putc(&line, ' ');
			if (rc == MF_OK)
				rc = mf__buf_put(&line, caps->auth.ptr,
				                 caps->auth.len);
		}
		if (rc == MF_OK)
			rc = reply_line(out, 250, ext != 0, NULL, line.data,
			                line.len);
	}
	mf__buf_fini(&line);
	if (rc < 0)
		mf__buf_cut(out, mark);
	return rc;
}

int
mf_smtp_ends_group(int verb)
{
	switch (verb) {
	case MF_SMTP_EHLO:
	case MF_SMTP_HELO:
	case MF_SMTP_DATA:
	case MF_SMTP_VRFY:
	case MF_SMTP_EXPN:
	case MF_SMTP_TURN:
	case MF_SMTP_QUIT:
	case MF_SMTP_NOOP:
	case MF_SMTP_STARTTLS: /* RFC 3207 4 */
	case MF_SMTP_AUTH:     /* RFC 4954 4 */
	case MF_SMTP_UNKNOWN:
		return 1;
	default:
		return 0;
	}
}

/* ---------------------------------------------------------------------- */
/* Trace fields (RFC 5321 4.4)                                             */
/* ---------------------------------------------------------------------- */

static int
put_str(mf_buf *b, mf_str s)
{
	return mf__buf_put(b, s.ptr, s.len);
}

int
mf_smtp_trace_format(mf_buf *out, const mf_smtp_server *s,
                     const mf_smtp_trace *t, unsigned flags, mf_error *err)
{
	mf_received r;
	mf_buf b;
	size_t mark, from_end, with_at;
	char with[16];
	int rc;

	if (out == NULL || t == NULL)
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	if ((flags & ~(MF_LF | MF_UTF8_OUT)) != 0)
		return mf__err(err, MF_E_INVAL, 0, "unknown flag");
	if (t->by.len == 0)
		return mf__err(err, MF_E_INVAL, 0, "by required");
	/* with: RFC 3848 (ESMTP, S for TLS, A for AUTH); RFC 6531 3.7.3
	 * (UTF8SMTP...) when the transaction used SMTPUTF8. */
	if (s != NULL && !s->esmtp)
		snprintf(with, sizeof(with), "SMTP");
	else
		snprintf(with, sizeof(with), "%s%s%s",
		         s != NULL && s->smtputf8 ? "UTF8SMTP" : "ESMTP",
		         s != NULL && s->tls ? "S" : "",
		         s != NULL && s->authenticated ? "A" : "");
	mark = out->len;
	mf__buf_init(&b, &out->a);
	/* Return-Path: <reverse-path> (RFC 5321 4.4, RFC 5322 3.6.7). */
	rc = mf__buf_putc(&b, '<');
	if (rc == MF_OK)
		rc = put_str(&b, t->reverse_path);
	if (rc == MF_OK)
		rc = mf__buf_putc(&b, '>');
	if (rc == MF_OK)
		rc = mf_hdr_fold(out, "Return-Path", 11, b.data, b.len, flags,
		                 0, err);
	/* from helo (name [addr]) by ... with ... id ... for <rcpt>. */
	mf__buf_cut(&b, 0);
	memset(&r, 0, sizeof(r));
	if (rc == MF_OK && t->helo.len > 0) {
		rc = put_str(&b, t->helo);
		if (rc == MF_OK &&
		    (t->client_name.len > 0 || t->client_addr.len > 0)) {
			rc = mf__buf_put(&b, " (", 2);
			if (rc == MF_OK)
				rc = put_str(&b, t->client_name);
			if (rc == MF_OK && t->client_addr.len > 0) {
				if (t->client_name.len > 0)
					rc = mf__buf_putc(&b, ' ');
				if (rc == MF_OK)
					rc = mf__buf_putc(&b, '[');
				if (rc == MF_OK)
					rc = put_str(&b, t->client_addr);
				if (rc == MF_OK)
					rc = mf__buf_putc(&b, ']');
			}
			if (rc == MF_OK)
				rc = mf__buf_putc(&b, ')');
		}
	}
	from_end = b.len;
	if (rc == MF_OK && t->for_rcpt.len > 0) {
		rc = mf__buf_putc(&b, '<');
		if (rc == MF_OK)
			rc = put_str(&b, t->for_rcpt);
		if (rc == MF_OK)
			rc = mf__buf_putc(&b, '>');
	}
	with_at = b.len;
	if (rc == MF_OK) {
		r.from.ptr = b.data;
		r.from.len = from_end;
		r.for_addr.ptr = b.data + from_end;
		r.for_addr.len = with_at - from_end;
		r.by = t->by;
		r.with.ptr = with;
		r.with.len = strlen(with);
		r.id = t->id;
		r.date = t->date;
		r.has_date = 1;
		rc = mf_received_format(out, &r, flags, err);
	}
	mf__buf_fini(&b);
	if (rc < 0)
		mf__buf_cut(out, mark);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* MX choice (RFC 5321 5.1, RFC 7505)                                      */
/* ---------------------------------------------------------------------- */

/* Host names equal, ASCII case-insensitive, a final "." ignored. */
static bool
same_host(mf_str a, const char *b, size_t bn)
{
	if (a.len > 0 && a.ptr[a.len - 1] == '.')
		a.len--;
	if (bn > 0 && b[bn - 1] == '.')
		bn--;
	return mf__ieq(a.ptr, a.len, b, bn);
}

static int
mx_cmp(const void *x, const void *y)
{
	const mf_mx *a = x, *b = y;
	size_t n = a->host.len < b->host.len ? a->host.len : b->host.len;
	int c;

	if (a->pref != b->pref)
		return a->pref < b->pref ? -1 : 1;
	c = n > 0 ? memcmp(a->host.ptr, b->host.ptr, n) : 0;
	if (c != 0)
		return c;
	return a->host.len < b->host.len ? -1 : a->host.len > b->host.len;
}

/* A uniform index in [0, k) from rnd (rejection sampling). */
static int
below(mf_random_fn *rnd, void *ctx, size_t k, size_t *out)
{
	uint32_t lim = (uint32_t)(UINT32_MAX - UINT32_MAX % k), v;

	do {
		if (rnd(ctx, &v, sizeof(v)) != 0)
			return MF_E_CALLBACK;
	} while (v >= lim);
	*out = v % k;
	return MF_OK;
}

int
mf_smtp_mx_order(mf_mx *mx, size_t *n, size_t cap, const char *domain,
                 size_t dn, const char *self, size_t sn, mf_random_fn *rnd,
                 void *ctx)
{
	size_t i, j, m, s;
	int rc;

	if (n == NULL || (mx == NULL && (*n != 0 || cap != 0)) || *n > cap ||
	    (self == NULL && sn != 0) || (domain == NULL && dn != 0))
		return MF_E_INVAL;
	if (rnd == NULL)
		rnd = mf__os_random;
	if (*n == 0) {
		/* RFC 5321 5.1: no MX records, the domain is its own. */
		if (cap == 0 || dn == 0)
			return MF_E_INVAL;
		memset(&mx[0], 0, sizeof(mx[0]));
		mx[0].host.ptr = domain;
		mx[0].host.len = dn;
		*n = 1;
		return MF_OK;
	}
	/* RFC 7505: the null MX "." means no mail; it stands alone. */
	for (i = m = 0; i < *n; i++) {
		if (mx[i].host.len == 0 ||
		    (mx[i].host.len == 1 && mx[i].host.ptr[0] == '.'))
			continue;
		mx[m++] = mx[i];
	}
	*n = m;
	if (m == 0)
		return MF_OK;
	qsort(mx, m, sizeof(mx[0]), mx_cmp);
	/* Equal preferences: a random permutation (Fisher-Yates). */
	for (s = 0; s < m; s = i) {
		for (i = s + 1; i < m && mx[i].pref == mx[s].pref; i++)
			;
		for (j = i - 1; j > s; j--) {
			size_t r;
			mf_mx t;

			rc = below(rnd, ctx, j - s + 1, &r);
			if (rc < 0)
				return rc;
			t = mx[j];
			mx[j] = mx[s + r];
			mx[s + r] = t;
		}
	}
	/* 5.1: this host and every MX not better than it are dropped. */
	if (sn > 0) {
		for (i = 0; i < m; i++) {
			if (same_host(mx[i].host, self, sn))
				break;
		}
		if (i < m) {
			unsigned p = mx[i].pref;

			for (i = 0; i < m && mx[i].pref < p; i++)
				;
			*n = i;
			if (i == 0)
				return MF_E_STATE;
		}
	}
	return MF_OK;
}
