/* SPDX-License-Identifier: MIT */
/*
 * uu.c - uudecode, for the x-uuencode transfer encoding (and its spellings
 * uuencode, x-uue, uue: lib/ctype.c) and for uuencoded blocks in text.
 * There is no RFC; the format is the one of POSIX uuencode(1) in its
 * historical (not base64) form:
 *
 *   begin <mode> <name>          mode: octal permission bits
 *   <len><data>                  len: a character 0x20 + byte count
 *   ...                          (at most 63; encoders write 45, "M")
 *   `                            a line of length zero ("`" or " ")
 *   end
 *
 * Each data character c stands for the six bits (c - 0x20) & 0x3F (so
 * both " " and "`" are zero); four characters give three bytes, and a
 * line holds 4 * ceil(len / 3) of them.
 *
 * Policy for broken input (lenient unless MF_STRICT, which makes the
 * first defect MF_E_SYNTAX, or MF_E_TRUNC at the end of the data):
 *  - Lines before the begin line are skipped (text around an attachment).
 *    A begin line is "begin", white space, at least one octal digit, white
 *    space, and the name up to the line end (CR bytes dropped).
 *  - Line ends are LF or CRLF; CR bytes in data lines are ignored. Empty
 *    lines and lines of length zero decode to nothing and do not end the
 *    data: only "end" (optionally followed by white space) does.
 *  - A data line with fewer characters than its length needs gives the
 *    bytes its characters hold (a partial group of r characters gives
 *    (6 r) / 8 bytes) - transports that strip trailing spaces shorten
 *    lines this way - and one with more gives the bytes of its length,
 *    the rest ignored; both are MF_D_UU_INVALID, except for one extra
 *    character (a checksum some encoders append).
 *  - Characters outside 0x20-0x60 in data are MF_D_UU_INVALID and decoded
 *    as (c - 0x20) & 0x3F. A line whose length character is outside that
 *    range is skipped (MF_D_UU_INVALID), unless it is the end line.
 *  - A missing begin line (nothing decoded) or a missing end line is
 *    MF_D_UU_INVALID at the end of the data. Everything after the end line
 *    is ignored, further begin lines included.
 * Defects are recorded once per stream: the first offset is kept.
 */
#include "uu.h"

enum {
	U_LINE = 0, /* start of a line before the begin line */
	U_BEGIN,    /* matching "begin" */
	U_BWS,      /* white space after "begin" */
	U_MODE,     /* octal digits */
	U_NWS,      /* white space before the name */
	U_NAME,     /* the name */
	U_SKIP,     /* rest of a line before the begin line */
	U_DLINE,    /* start of a data line */
	U_DATA,     /* characters of a data line */
	U_END,      /* matching "end" */
	U_ENDWS,    /* white space after "end" */
	U_DSKIP,    /* rest of a skipped data line */
	U_DONE,     /* after the end line */
	U_FIN       /* after mf_uu_dec_final */
};

size_t
mf_uu_decoded_len(size_t n)
{
	/* At most 3 characters wait in the state: (n + 3) * 6 / 8 bytes. */
	return n / 4 * 3 + 6;
}

static int
sticky(const mf_uu_dec *st, mf_error *err)
{
	return mf__err(err, st->err_, (size_t)st->err_off_, st->err_reason_);
}

/* Records a defect at off; strict: makes it the sticky error. */
static void
defect(mf_uu_dec *st, uint64_t off, int code, const char *reason)
{
	if (!(st->defects & MF_DEFECT_BIT(MF_D_UU_INVALID))) {
		st->defects |= MF_DEFECT_BIT(MF_D_UU_INVALID);
		st->defect_off = off;
	}
	if ((st->flags & MF_STRICT) && st->err_ == 0) {
		st->err_ = code;
		st->err_off_ = off;
		st->err_reason_ = reason;
	}
}

/* Bytes a complete data line of len_ bytes holds in characters. */
static unsigned
line_chars(unsigned len)
{
	return (len + 2) / 3 * 4;
}

/* Writes the bytes of the group in acc_ (nacc_ characters). */
static void
flush_group(mf_uu_dec *st, unsigned char *d, size_t *o)
{
	unsigned nb = st->nacc_ * 6 / 8, k;
	uint32_t v = st->acc_ << (6 * (4 - st->nacc_));

	for (k = 0; k < nb && st->done_ < st->len_; k++) {
		d[(*o)++] = (unsigned char)(v >> (16 - 8 * k));
		st->done_++;
	}
	st->acc_ = 0;
	st->nacc_ = 0;
}

/* The end of a data line at offset off. */
static void
end_data_line(mf_uu_dec *st, unsigned char *d, size_t *o, uint64_t off)
{
	unsigned want = line_chars(st->len_);

	if (st->nacc_ > 0)
		flush_group(st, d, o);
	if (st->nch_ < want || st->nch_ > want + 1)
		defect(st, off, MF_E_SYNTAX,
		       "uuencode line of the wrong length");
}

static bool
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Runs the state machine over in[0..n), writing to d (room checked by the
 * caller). */
static void
run(mf_uu_dec *st, unsigned char *d, size_t *o, const unsigned char *in,
    size_t n)
{
	static const char begin[] = "begin";
	size_t i;

	for (i = 0; i < n && st->err_ == 0; i++) {
		unsigned char c = in[i];
		uint64_t off = st->off_ + i;

		if (st->state_ == U_DONE) {
			i = n; /* the rest is ignored */
			break;
		}
		switch (st->state_) {
		case U_LINE:
			st->match_ = 0;
			st->state_ = U_BEGIN;
			/* fall through */
		case U_BEGIN:
			if (c == (unsigned char)begin[st->match_]) {
				if (++st->match_ == 5)
					st->state_ = U_BWS;
			} else {
				st->state_ = c == '\n' ? U_LINE : U_SKIP;
			}
			break;
		case U_BWS:
			if (c == ' ' || c == '\t') {
				st->match_ = 6;
			} else if (c >= '0' && c <= '7' && st->match_ == 6) {
				st->mode = (unsigned)(c - '0');
				st->state_ = U_MODE;
			} else {
				st->state_ = c == '\n' ? U_LINE : U_SKIP;
			}
			break;
		case U_MODE:
			if (c >= '0' && c <= '7') {
				st->mode =
				    ((st->mode << 3) | (unsigned)(c - '0')) &
				    07777u;
				break;
			}
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
				st->state_ = U_NWS;
			} else {
				st->mode = 0;
				st->state_ = U_SKIP;
				break;
			}
			/* fall through */
		case U_NWS:
			if (c == ' ' || c == '\t' || c == '\r')
				break;
			st->state_ = U_NAME;
			st->name_off = off;
			st->name_len = 0;
			st->begun = 1;
			/* fall through */
		case U_NAME:
			if (c == '\n') {
				st->state_ = U_DLINE;
			} else if (c != '\r') {
				if (st->name_len + 1 < MF_UU_NAME_MAX) {
					st->name[st->name_len] = (char)c;
					st->name[st->name_len + 1] = '\0';
				}
				st->name_len++;
			}
			break;
		case U_SKIP:
			if (c == '\n')
				st->state_ = U_LINE;
			break;
		case U_DLINE:
			if (c == '\n' || c == '\r')
				break; /* empty line */
			if (c == 'e') {
				st->match_ = 1;
				st->state_ = U_END;
			} else if (c >= 0x20 && c <= 0x60) {
				st->len_ = (unsigned)(c - 0x20) & 0x3Fu;
				st->done_ = 0;
				st->nch_ = 0;
				st->nacc_ = 0;
				st->acc_ = 0;
				st->state_ = U_DATA;
			} else {
				defect(st, off, MF_E_SYNTAX,
				       "invalid uuencode line length");
				st->state_ = U_DSKIP;
			}
			break;
		case U_DATA:
			if (c == '\n') {
				end_data_line(st, d, o, off);
				st->state_ = U_DLINE;
				break;
			}
			if (c == '\r')
				break;
			if (c < 0x20 || c > 0x60)
				defect(st, off, MF_E_SYNTAX,
				       "invalid uuencode character");
			st->nch_++;
			if (st->done_ >= st->len_)
				break; /* past the line's length */
			st->acc_ =
			    (st->acc_ << 6) | ((unsigned)(c - 0x20) & 0x3Fu);
			if (++st->nacc_ == 4)
				flush_group(st, d, o);
			break;
		case U_END:
			if (st->match_ < 3 &&
			    c == (unsigned char)"end"[st->match_]) {
				st->match_++;
				break;
			}
			if (st->match_ == 3 && (c == '\n' || is_wsp(c))) {
				st->state_ = c == '\n' ? U_DONE : U_ENDWS;
				st->ended = c == '\n';
				break;
			}
			defect(st, off, MF_E_SYNTAX,
			       "invalid uuencode line length");
			st->state_ = c == '\n' ? U_DLINE : U_DSKIP;
			break;
		case U_ENDWS:
			if (c == '\n') {
				st->state_ = U_DONE;
				st->ended = 1;
			} else if (!is_wsp(c)) {
				defect(st, off, MF_E_SYNTAX,
				       "invalid uuencode line length");
				st->state_ = U_DSKIP;
			}
			break;
		case U_DSKIP:
			if (c == '\n')
				st->state_ = U_DLINE;
			break;
		default:
			break;
		}
	}
	st->off_ += i;
}

/* The checks every call makes first. */
static int
enter(const mf_uu_dec *st, const void *out, size_t cap, const char *in,
      size_t n, size_t *outlen, mf_error *err)
{
	if (outlen != NULL)
		*outlen = 0;
	if (st == NULL || outlen == NULL || (in == NULL && n > 0) ||
	    (out == NULL && cap > 0))
		return mf__err(err, MF_E_INVAL, 0, "invalid argument");
	if ((st->flags & ~MF_STRICT) != 0)
		return mf__err(err, MF_E_INVAL, 0, "unknown flag");
	if (st->err_ != 0)
		return sticky(st, err);
	if (st->state_ > U_FIN || st->nacc_ > 3 || st->match_ > 6)
		return mf__err(err, MF_E_INVAL, 0, "corrupt state");
	if (st->state_ == U_FIN)
		return mf__err(err, MF_E_STATE, (size_t)st->off_,
		               "uudecode already finished");
	return MF_OK;
}

int
mf_uu_dec_update(mf_uu_dec *st, void *out, size_t cap, const char *in, size_t n,
                 size_t *outlen, mf_error *err)
{
	unsigned char *d = out;
	size_t o = 0;
	int rc = enter(st, out, cap, in, n, outlen, err);

	if (rc < 0 || n == 0)
		return rc;
	if (cap < mf_uu_decoded_len(n)) {
		/* Run on a copy: commit only when the output fits. */
		mf_uu_dec save = *st;
		unsigned char tmp[256];
		size_t done = 0;

		while (done < n) {
			size_t k = n - done < 256 / 3 * 4 - 8 ? n - done
			                                      : 256 / 3 * 4 - 8;
			size_t t = 0;

			run(st, tmp, &t, (const unsigned char *)in + done, k);
			if (o + t > cap) {
				*st = save;
				return mf__err(err, MF_E_NOSPC,
				               (size_t)st->off_,
				               "output buffer too small");
			}
			if (t > 0)
				memcpy(d + o, tmp, t);
			o += t;
			done += k;
		}
	} else {
		run(st, d, &o, (const unsigned char *)in, n);
	}
	if (st->err_ != 0)
		return sticky(st, err);
	*outlen = o;
	return MF_OK;
}

int
mf_uu_dec_final(mf_uu_dec *st, void *out, size_t cap, size_t *outlen,
                mf_error *err)
{
	unsigned char tmp[8];
	size_t o = 0;
	int rc = enter(st, out, cap, "", 0, outlen, err);

	if (rc < 0)
		return rc;
	switch (st->state_) {
	case U_DATA:
		end_data_line(st, tmp, &o, st->off_);
		break;
	case U_MODE:
	case U_NWS:
		/* "begin 644" and the end: a begin line without a name. */
		st->begun = 1;
		st->name_off = st->off_;
		break;
	case U_END:
	case U_ENDWS:
		if (st->state_ == U_ENDWS || st->match_ == 3) {
			st->ended = 1;
			break;
		}
		defect(st, st->off_, MF_E_SYNTAX,
		       "invalid uuencode line length");
		break;
	default:
		break;
	}
	if (st->err_ == 0 && !st->begun)
		defect(st, st->off_, MF_E_TRUNC, "no uuencode begin line");
	else if (st->err_ == 0 && !st->ended)
		defect(st, st->off_, MF_E_TRUNC, "no uuencode end line");
	if (st->err_ != 0)
		return sticky(st, err);
	if (o > cap)
		return mf__err(err, MF_E_NOSPC, (size_t)st->off_,
		               "output buffer too small");
	if (o > 0)
		memcpy(out, tmp, o);
	st->state_ = U_FIN;
	*outlen = o;
	return MF_OK;
}

static int
dec_update(int path, void *st, void *out, size_t cap, const char *in, size_t n,
           size_t *outlen, mf_error *err)
{
	(void)path;
	return mf_uu_dec_update(st, out, cap, in, n, outlen, err);
}

static int
dec_final(void *st, void *out, size_t cap, size_t *outlen, mf_error *err)
{
	return mf_uu_dec_final(st, out, cap, outlen, err);
}

const mf__codec mf__uu_codec = {
    0,
    MF_STRICT,
    sizeof(mf_uu_dec),
    offsetof(mf_uu_dec, defects),
    mf_uu_decoded_len,
    NULL,
    NULL,
    dec_update,
    dec_final,
};

int
mf_uu_decode(void *out, size_t cap, const char *in, size_t n, unsigned flags,
             size_t *outlen, mf_str *name, uint64_t *defects, mf_error *err)
{
	mf_uu_dec st;
	int rc;

	if (name != NULL) {
		name->ptr = "";
		name->len = 0;
	}
	memset(&st, 0, sizeof(st));
	rc = mf__codec_decode(&mf__uu_codec, MF__PATH_BEST, &st, out, cap, in,
	                      n, flags, outlen, defects, err);
	if (rc == MF_OK && name != NULL && st.begun && st.name_off <= n) {
		const char *s = in + st.name_off, *nl;
		size_t k = n - (size_t)st.name_off;

		nl = memchr(s, '\n', k);
		if (nl != NULL)
			k = (size_t)(nl - s);
		if (k > 0 && s[k - 1] == '\r')
			k--;
		name->ptr = s;
		name->len = k;
	}
	return rc;
}
