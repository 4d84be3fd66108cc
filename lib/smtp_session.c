/* SPDX-License-Identifier: MIT */
/*
 * smtp_session.c - the SMTP session machines (RFC 5321 3, 4.1.4; RFC 2920
 * pipelining, RFC 3030 chunking, RFC 3207 STARTTLS, RFC 4954 AUTH):
 * plain structs the caller owns, no allocation.
 *
 * Server: each command is checked against the state ("order is
 * important", 4.1.4), the extensions offered (a parameter of one that is
 * not offered gets 555) and the limits, then the caller's policy may
 * answer otherwise (an unknown recipient, AUTH). Decisions:
 *  - HELO/EHLO are allowed at any time and reset a transaction (4.1.4);
 *    STARTTLS resets everything, the client greets again (RFC 3207 4.2).
 *  - MAIL needs a greeting and no transaction; RCPT a MAIL; DATA a
 *    recipient accepted (554 "no valid recipients" after MAIL alone, as
 *    RFC 2920 3.1 wants for pipelined DATA), and not BODY=BINARYMIME.
 *  - BDAT (RFC 3030) goes to MF_SMTP_ST_BDAT whatever its fate: the chunk
 *    has to be read in any case, and mf_smtp_server_data gives the reply
 *    (503 for a chunk outside a transaction). No RCPT or DATA after BDAT.
 *  - Non-ASCII paths need SMTPUTF8 on MAIL (RFC 6531 3.4: 553 5.6.7).
 *  - The extensions offered are honoured after HELO too, as Postfix and
 *    OpenSMTPD do: the EHLO reply only tells the client about them.
 *  - Every refused command counts (but 452 for too many recipients, flow
 *    control by 4.5.3.1.10); past max_errors the reply is 421 and the
 *    session closes.
 * Client: MAIL, every RCPT and DATA in one group when PIPELINING is
 * offered (RFC 2920 3.1), else one at a time; refused recipients are
 * recorded and the message goes to the others; a 354 when none was
 * accepted gets an empty message (RFC 2920 4's last example).
 */
#include <stdio.h>

#include "smtp.h"

/* ---------------------------------------------------------------------- */
/* Server                                                                  */
/* ---------------------------------------------------------------------- */

static void
tx_reset(mf_smtp_server *s)
{
	if (s->state != MF_SMTP_ST_CONNECT)
		s->state = MF_SMTP_ST_READY;
	s->body = 0;
	s->smtputf8 = 0;
	s->size = 0;
	s->nrcpts = 0;
	s->data_size = 0;
	s->fail_ = 0;
}

/*
 * The extensions in force: those offered that fit the TLS state. A client
 * that greeted with HELO saw none, but may still use them (Postfix and
 * OpenSMTPD take "MAIL FROM:<a@b> SIZE=10" after HELO too).
 */
static unsigned
offered(const mf_smtp_server *s)
{
	unsigned ext = s->offer.ext;

	if (s->tls)
		ext &= ~MF_SMTP_EXT_STARTTLS;
	else
		ext &= ~MF_SMTP_EXT_REQUIRETLS;
	if (s->offer.auth.len == 0)
		ext &= ~MF_SMTP_EXT_AUTH;
	return ext;
}

/* Whether every unknown parameter of c is one the caller implements. */
static bool
params_known(const mf_smtp_server *s, const mf_smtp_cmd *c)
{
	mf_str kw, v;
	size_t pos = 0;

	if (c->nunknown == 0)
		return true;
	if (s->params == NULL)
		return false;
	while (mf_smtp_param_next(c, &pos, &kw, &v)) {
		size_t i;
		bool known = false;

		for (i = 0; s->params[i] != NULL && !known; i++)
			known = mf__ieq(kw.ptr, kw.len, s->params[i],
			                strlen(s->params[i]));
		if (!known)
			known = mf__smtp_param_known(kw);
		if (!known)
			return false;
	}
	return true;
}

/* The id of the reply that refuses c in this state, or -1. */
static int
check(mf_smtp_server *s, const mf_smtp_cmd *c)
{
	unsigned ext = offered(s);
	bool greeted = s->state != MF_SMTP_ST_CONNECT;
	bool in_tx = s->state == MF_SMTP_ST_MAIL || s->state == MF_SMTP_ST_RCPT;

	switch ((enum mf_smtp_verb)c->verb) {
	case MF_SMTP_MAIL:
		if (!greeted)
			return MF__S_SEQ_HELO;
		if (in_tx)
			return MF__S_SEQ_NESTED;
		if ((c->needs & ~ext) != 0 || !params_known(s, c))
			return MF__S_PARAM_UNKNOWN;
		if (s->offer.size > 0 && c->size > s->offer.size)
			return MF__S_TOO_BIG;
		if ((c->path.flags & MF_SMTP_PATH_UTF8) && !c->smtputf8)
			return MF__S_UTF8_NEEDED;
		return -1;
	case MF_SMTP_RCPT:
		if (!greeted)
			return MF__S_SEQ_HELO;
		if (!in_tx)
			return MF__S_SEQ_MAIL;
		if (s->fail_)
			return MF__S_SEQ_BDAT;
		if ((c->needs & ~ext) != 0 || !params_known(s, c))
			return MF__S_PARAM_UNKNOWN;
		if ((c->path.flags & MF_SMTP_PATH_UTF8) && !s->smtputf8)
			return MF__S_UTF8_NEEDED;
		if (s->nrcpts >= (s->max_rcpts ? s->max_rcpts : 100))
			return MF__S_TOO_MANY;
		return -1;
	case MF_SMTP_DATA:
		if (!greeted)
			return MF__S_SEQ_HELO;
		if (!in_tx)
			return MF__S_SEQ_DATA;
		if (s->fail_)
			return MF__S_SEQ_BDAT;
		if (s->body == MF_SMTP_BODY_BINARYMIME)
			return MF__S_SEQ_BINARY;
		if (s->state != MF_SMTP_ST_RCPT)
			return MF__S_NO_RCPT;
		return -1;
	case MF_SMTP_BDAT:
		if (!(ext & MF_SMTP_EXT_CHUNKING))
			return MF__S_NOT_IMPL;
		if (!greeted)
			return MF__S_SEQ_HELO;
		if (!in_tx)
			return MF__S_SEQ_DATA;
		if (s->state != MF_SMTP_ST_RCPT)
			return MF__S_NO_RCPT;
		return -1;
	case MF_SMTP_STARTTLS:
		if (s->tls)
			return MF__S_TLS_ACTIVE;
		if (!(s->offer.ext & MF_SMTP_EXT_STARTTLS))
			return MF__S_NOT_IMPL;
		if (in_tx)
			return MF__S_SEQ_TX;
		return -1;
	case MF_SMTP_AUTH: {
		const char *sp = memchr(c->arg.ptr, ' ', c->arg.len);

		if (!(ext & MF_SMTP_EXT_AUTH))
			return MF__S_NOT_IMPL;
		if (s->authenticated)
			return MF__S_AUTH_DONE;
		if (in_tx)
			return MF__S_SEQ_TX;
		if (!mf_smtp_caps_auth(&s->offer, c->arg.ptr,
		                       sp != NULL ? (size_t)(sp - c->arg.ptr)
		                                  : c->arg.len))
			return MF__S_AUTH_MECH;
		return -1;
	}
	case MF_SMTP_HELO:
	case MF_SMTP_EHLO:
	case MF_SMTP_RSET:
	case MF_SMTP_NOOP:
	case MF_SMTP_HELP:
	case MF_SMTP_QUIT:
	case MF_SMTP_VRFY:
	case MF_SMTP_EXPN:
	case MF_SMTP_TURN:
	case MF_SMTP_SEND:
	case MF_SMTP_SOML:
	case MF_SMTP_SAML:
	case MF_SMTP_UNKNOWN:
		return -1;
	}
	return MF__S_UNKNOWN;
}

/* The reply the session gives to c when nothing forbids it. */
static int
default_reply(const mf_smtp_cmd *c)
{
	switch ((enum mf_smtp_verb)c->verb) {
	case MF_SMTP_HELO:
	case MF_SMTP_EHLO:
		return MF__S_HELLO;
	case MF_SMTP_MAIL:
		return MF__S_SENDER_OK;
	case MF_SMTP_RCPT:
		return MF__S_RCPT_OK;
	case MF_SMTP_DATA:
		return MF__S_DATA_GO;
	case MF_SMTP_RSET:
	case MF_SMTP_NOOP:
		return MF__S_OK;
	case MF_SMTP_HELP:
		return MF__S_HELP;
	case MF_SMTP_QUIT:
		return MF__S_BYE;
	case MF_SMTP_VRFY:
		return MF__S_VRFY; /* RFC 5321 3.5.3 */
	case MF_SMTP_STARTTLS:
		return MF__S_TLS_GO;
	case MF_SMTP_AUTH: /* the policy does the SASL exchange */
		return MF__S_AUTH_MECH;
	case MF_SMTP_EXPN:
	case MF_SMTP_TURN:
	case MF_SMTP_SEND:
	case MF_SMTP_SOML:
	case MF_SMTP_SAML:
		return MF__S_NOT_IMPL;
	case MF_SMTP_UNKNOWN:
	case MF_SMTP_BDAT:
		return MF__S_UNKNOWN;
	}
	return MF__S_UNKNOWN;
}

/* A refusal: counted; past max_errors the session ends with 421. */
static int
refuse(mf_smtp_server *s, mf_smtp_status *reply)
{
	if (++s->errors > (s->max_errors ? s->max_errors : 20)) {
		mf__smtp_reply(reply, MF__S_TOO_MANY_ERRORS);
		s->state = MF_SMTP_ST_CLOSED;
	}
	return MF_E_STATE;
}

/* The state after c was accepted with reply code. */
static void
advance(mf_smtp_server *s, const mf_smtp_cmd *c, int code)
{
	switch ((enum mf_smtp_verb)c->verb) {
	case MF_SMTP_HELO:
	case MF_SMTP_EHLO:
		s->state = MF_SMTP_ST_READY;
		tx_reset(s);
		s->esmtp = c->verb == MF_SMTP_EHLO;
		break;
	case MF_SMTP_MAIL:
	case MF_SMTP_SEND:
	case MF_SMTP_SOML:
	case MF_SMTP_SAML:
		tx_reset(s);
		s->state = MF_SMTP_ST_MAIL;
		s->body = c->body;
		s->smtputf8 = c->smtputf8;
		s->size = c->size;
		break;
	case MF_SMTP_RCPT:
		s->state = MF_SMTP_ST_RCPT;
		s->nrcpts++;
		break;
	case MF_SMTP_DATA:
		s->state = MF_SMTP_ST_DATA;
		break;
	case MF_SMTP_RSET:
		tx_reset(s);
		break;
	case MF_SMTP_QUIT:
		s->state = MF_SMTP_ST_CLOSED;
		break;
	case MF_SMTP_STARTTLS:
		s->state = MF_SMTP_ST_CONNECT;
		tx_reset(s);
		s->esmtp = 0;
		s->tls = 1;
		break;
	case MF_SMTP_AUTH:
		if (code == 334)
			s->state = MF_SMTP_ST_AUTH;
		else if (code == 235)
			s->authenticated = 1;
		break;
	case MF_SMTP_BDAT:
	case MF_SMTP_VRFY:
	case MF_SMTP_EXPN:
	case MF_SMTP_HELP:
	case MF_SMTP_NOOP:
	case MF_SMTP_TURN:
	case MF_SMTP_UNKNOWN:
		break;
	}
}

int
mf_smtp_server_cmd(mf_smtp_server *s, const mf_smtp_cmd *c,
                   mf_smtp_status *reply)
{
	mf_smtp_status r;
	int id;

	if (s == NULL || c == NULL || reply == NULL)
		return MF_E_INVAL;
	if (s->state == MF_SMTP_ST_DATA || s->state == MF_SMTP_ST_BDAT ||
	    s->state == MF_SMTP_ST_CLOSED || s->state == MF_SMTP_ST_AUTH)
		return MF_E_STATE;
	s->verb_ = c->verb + 1;
	if (c->verb == MF_SMTP_BDAT) {
		/* The chunk is read whatever happens; the reply follows it
		 * (mf_smtp_server_data). */
		id = check(s, c);
		memset(reply, 0, sizeof(*reply));
		s->chunk_left = c->size;
		s->last_ = id >= 0 ? -1 - id : c->last;
		if (id < 0)
			s->data_size += c->size;
		s->prev_ = s->state;
		s->state = MF_SMTP_ST_BDAT;
		return MF_OK;
	}
	id = check(s, c);
	if (id >= 0) {
		mf__smtp_reply(reply, id);
		/* RFC 5321 4.5.3.1.10: 452 for more recipients is flow
		 * control (the client sends them later), not an error. */
		if (id == MF__S_TOO_MANY)
			return MF_E_STATE;
		return refuse(s, reply);
	}
	r = mf__smtp_st[default_reply(c)];
	if (s->policy != NULL)
		s->policy(s->policy_ctx, s, c, &r);
	*reply = r;
	if (r.code >= 400)
		return refuse(s, reply);
	advance(s, c, r.code);
	return MF_OK;
}

/* A SASL response line in MF_SMTP_ST_AUTH: to the policy ("*" cancels). */
static int
sasl_line(mf_smtp_server *s, const char *p, size_t n, mf_smtp_cmd *cmd,
          size_t *consumed, mf_smtp_status *reply, mf_error *err)
{
	mf_opts o;
	mf_str line;
	mf_smtp_status r;
	int rc;

	memset(&o, 0, sizeof(o));
	o.flags = s->flags & (MF_ACCEPT_LF | MF_LONG_LINES);
	rc = mf_smtp_sasl_parse(p, n, &o, &line, consumed, err);
	if (rc == MF_MORE)
		return rc;
	s->state = MF_SMTP_ST_READY;
	if (rc < 0) {
		mf__smtp_reply(reply, MF__S_AUTH_SYNTAX);
		refuse(s, reply);
		return MF_OK;
	}
	if (line.len == 1 && line.ptr[0] == '*') {
		mf__smtp_reply(reply, MF__S_AUTH_CANCEL);
		refuse(s, reply);
		return MF_OK;
	}
	cmd->verb = MF_SMTP_AUTH;
	cmd->initial = line;
	r = mf__smtp_st[MF__S_AUTH_SYNTAX];
	if (s->policy != NULL)
		s->policy(s->policy_ctx, s, cmd, &r);
	*reply = r;
	if (r.code >= 400) {
		refuse(s, reply);
		return MF_OK;
	}
	advance(s, cmd, r.code);
	return MF_OK;
}

int
mf_smtp_server_parse(mf_smtp_server *s, const char *p, size_t n,
                     mf_smtp_cmd *cmd, size_t *consumed, mf_smtp_status *reply,
                     mf_error *err)
{
	mf_opts o;
	int rc;

	if (consumed != NULL)
		*consumed = 0;
	if (s == NULL || cmd == NULL || consumed == NULL || reply == NULL ||
	    (p == NULL && n != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	memset(cmd, 0, sizeof(*cmd));
	memset(reply, 0, sizeof(*reply));
	if (s->state == MF_SMTP_ST_DATA || s->state == MF_SMTP_ST_BDAT ||
	    s->state == MF_SMTP_ST_CLOSED)
		return mf__err(err, MF_E_STATE, 0, "not reading commands");
	if (s->skip_) {
		/* The rest of an over-long line, then one 500. */
		const char *lf = n > 0 ? memchr(p, '\n', n) : NULL;

		if (lf == NULL) {
			*consumed = n;
			return MF_MORE;
		}
		*consumed = (size_t)(lf - p) + 1;
		s->skip_ = 0;
		mf__smtp_reply(reply, MF__S_LINE_LONG);
		refuse(s, reply);
		return MF_OK;
	}
	if (s->state == MF_SMTP_ST_AUTH)
		return sasl_line(s, p, n, cmd, consumed, reply, err);
	memset(&o, 0, sizeof(o));
	o.flags = s->flags;
	o.limits.max_line_len = s->max_line;
	rc = mf_smtp_cmd_parse(p, n, &o, cmd, consumed, err);
	if (rc == MF_MORE)
		return rc;
	if (rc == MF_E_INVAL)
		return rc;
	if (rc < 0) {
		if (rc == MF_E_LIMIT && *consumed > 0 &&
		    p[*consumed - 1] != '\n') {
			/* Not ended yet: discard up to its end first. */
			s->skip_ = 1;
			return MF_MORE;
		}
		*reply = cmd->reply;
		s->verb_ = cmd->verb + 1;
		refuse(s, reply);
		return MF_OK;
	}
	rc = mf_smtp_server_cmd(s, cmd, reply);
	return rc == MF_E_INVAL ? rc : MF_OK;
}

int
mf_smtp_server_data(mf_smtp_server *s, uint64_t size, uint64_t defects,
                    mf_smtp_status *reply)
{
	bool last;
	int id = -1;

	if (s == NULL || reply == NULL)
		return MF_E_INVAL;
	if (s->state == MF_SMTP_ST_DATA) {
		if (defects &
		    (MF_DEFECT_BIT(MF_D_BARE_CR) | MF_DEFECT_BIT(MF_D_BARE_LF)))
			id = MF__S_BARE;
		else if (defects & MF_DEFECT_BIT(MF_D_LONG_LINE))
			id = MF__S_LONG_DATA;
		else if (s->offer.size > 0 && size > s->offer.size)
			id = MF__S_TOO_BIG;
		mf__smtp_reply(reply, id >= 0 ? id : MF__S_MSG_OK);
		tx_reset(s);
		if (id < 0)
			s->nmails++;
		return MF_OK;
	}
	if (s->state != MF_SMTP_ST_BDAT)
		return MF_E_STATE;
	s->chunk_left = 0;
	if (s->last_ < 0) {
		/* A BDAT refused at its command: the state is as before. */
		mf__smtp_reply(reply, -1 - s->last_);
		s->state = s->prev_;
		refuse(s, reply);
		return MF_OK;
	}
	last = s->last_ != 0;
	if (s->offer.size > 0 && s->data_size > s->offer.size) {
		/* RFC 3030 2: the transaction fails; a client sends no more
		 * chunks. */
		mf__smtp_reply(reply, MF__S_TOO_BIG);
		tx_reset(s);
		refuse(s, reply);
		return MF_OK;
	}
	if (!last) {
		mf__smtp_reply(reply, MF__S_CHUNK_OK);
		s->state = MF_SMTP_ST_RCPT;
		s->fail_ = 1; /* chunks began: no RCPT or DATA now */
		return MF_OK;
	}
	mf__smtp_reply(reply, MF__S_MSG_OK);
	tx_reset(s);
	s->nmails++;
	return MF_OK;
}

int
mf_smtp_server_reply(mf_buf *out, const mf_smtp_server *s,
                     const mf_smtp_status *reply)
{
	const char *enh;
	size_t mark, tn;
	int verb, rc;

	if (out == NULL || s == NULL || reply == NULL || reply->text == NULL)
		return MF_E_INVAL;
	verb = s->verb_ - 1;
	tn = strlen(reply->text);
	if (reply->code == 250 && verb == MF_SMTP_EHLO && s->name.len > 0) {
		mf_smtp_caps c = s->offer;

		c.ext = offered(s);
		return mf_smtp_ehlo_format(out, s->name.ptr, s->name.len,
		                           reply->text, &c);
	}
	enh = (s->offer.ext & MF_SMTP_EXT_ENHANCEDSTATUSCODES) ? reply->enh
	                                                       : NULL;
	/* RFC 5321 4.2, 4.3.2: the greeting, HELO's 250, 221 and 421 begin
	 * with the server's name; RFC 2034 3 leaves the enhanced code out of
	 * the greeting and the reply to HELO or EHLO. */
	if (s->name.len > 0 && ((reply->code == 220 && s->verb_ == 0) ||
	                        reply->code == 221 || reply->code == 421 ||
	                        (reply->code == 250 && verb == MF_SMTP_HELO))) {
		mf_buf t;

		if ((reply->code == 220 && s->verb_ == 0) || reply->code == 250)
			enh = NULL;
		mark = out->len;
		mf__buf_init(&t, &out->a);
		rc = mf__buf_put(&t, s->name.ptr, s->name.len);
		if (rc == MF_OK && tn > 0)
			rc = mf__buf_putc(&t, ' ');
		if (rc == MF_OK)
			rc = mf__buf_put(&t, reply->text, tn);
		if (rc == MF_OK)
			rc = mf_smtp_reply_format(out, reply->code, enh, t.data,
			                          t.len);
		mf__buf_fini(&t);
		if (rc < 0)
			mf__buf_cut(out, mark);
		return rc;
	}
	return mf_smtp_reply_format(out, reply->code, enh, reply->text, tn);
}

/* ---------------------------------------------------------------------- */
/* Client                                                                  */
/* ---------------------------------------------------------------------- */

enum {
	C_GREET = 0, /* waiting for the greeting */
	C_EHLO,      /* to send EHLO */
	C_EHLO_WAIT,
	C_HELO, /* to send HELO (EHLO was refused) */
	C_HELO_WAIT,
	C_TX,         /* to send the next command(s) of the transaction */
	C_TX_WAIT,    /* waiting for their replies */
	C_DATA,       /* 354 came: the message goes */
	C_DOT,        /* 354 came with no recipient: an empty message */
	C_FINAL_WAIT, /* waiting for the reply to the message */
	C_QUIT,
	C_QUIT_WAIT,
	C_DONE
};

#define CLIENT_FLAGS (MF_8BITMIME | MF_BINARYMIME | MF_UTF8_OUT)

static bool
is_2xx(int code)
{
	return code >= 200 && code < 300;
}

static bool
non_ascii(mf_str s)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		if ((unsigned char)s.ptr[i] >= 0x80)
			return true;
	}
	return false;
}

/* Whether the session must use SMTPUTF8 (RFC 6531 3.4). */
static bool
needs_utf8(const mf_smtp_client *c)
{
	size_t i;

	if ((c->flags & MF_UTF8_OUT) || non_ascii(c->from))
		return true;
	for (i = 0; i < c->nrcpts; i++) {
		if (non_ascii(c->rcpts[i]))
			return true;
	}
	return false;
}

/* Gives up before MAIL when the server lacks what the message needs. */
static const char *
missing(const mf_smtp_client *c)
{
	unsigned ext = c->caps.ext;

	if (needs_utf8(c) && !(ext & MF_SMTP_EXT_SMTPUTF8))
		return "the server does not offer SMTPUTF8";
	if ((c->flags & MF_BINARYMIME) &&
	    (ext & (MF_SMTP_EXT_BINARYMIME | MF_SMTP_EXT_CHUNKING)) !=
	        (MF_SMTP_EXT_BINARYMIME | MF_SMTP_EXT_CHUNKING))
		return "the server does not offer BINARYMIME and CHUNKING";
	if ((c->flags & MF_8BITMIME) && !(ext & MF_SMTP_EXT_8BITMIME))
		return "the server does not offer 8BITMIME";
	if ((ext & MF_SMTP_EXT_SIZE) && c->caps.size > 0 &&
	    c->size > c->caps.size)
		return "the message is larger than the server's SIZE";
	return NULL;
}

/*
 * Whether the message goes by BDAT (RFC 3030): always for BINARYMIME,
 * and whenever the server offers CHUNKING and the size is known (no
 * dot-stuffing, no scanning for the end).
 */
static bool
use_bdat(const mf_smtp_client *c)
{
	return (c->flags & MF_BINARYMIME) ||
	       ((c->caps.ext & MF_SMTP_EXT_CHUNKING) && c->size > 0);
}

/* Appends transaction command k: MAIL, RCPT k-1, DATA or BDAT. */
static int
tx_cmd(mf_smtp_client *c, mf_buf *out, size_t k)
{
	unsigned pf = needs_utf8(c) ? MF_UTF8_OUT : 0;
	mf_buf a;
	int rc;

	if (k == c->nrcpts + 1) {
		char line[40];

		if (!use_bdat(c))
			return mf_smtp_cmd_format(out, MF_SMTP_DATA, NULL, 0);
		snprintf(line, sizeof(line), "%llu LAST",
		         (unsigned long long)c->size);
		return mf_smtp_cmd_format(out, MF_SMTP_BDAT, line,
		                          strlen(line));
	}
	mf__buf_init(&a, &out->a);
	if (k == 0) {
		rc = mf_smtp_path_format(&a, c->from.ptr, c->from.len, pf);
		if (rc == MF_OK && (c->caps.ext & MF_SMTP_EXT_SIZE) &&
		    c->size > 0) {
			char num[32];

			snprintf(num, sizeof(num), " SIZE=%llu",
			         (unsigned long long)c->size);
			rc = mf__buf_puts(&a, num);
		}
		if (rc == MF_OK && (c->flags & MF_BINARYMIME))
			rc = mf__buf_puts(&a, " BODY=BINARYMIME");
		else if (rc == MF_OK && (c->flags & MF_8BITMIME))
			rc = mf__buf_puts(&a, " BODY=8BITMIME");
		if (rc == MF_OK && pf)
			rc = mf__buf_puts(&a, " SMTPUTF8");
	} else {
		rc = mf_smtp_path_format(&a, c->rcpts[k - 1].ptr,
		                         c->rcpts[k - 1].len, pf);
		if (rc == MF_OK && a.len == 2)
			rc = MF_E_SYNTAX; /* no null path as a recipient */
	}
	if (rc == MF_OK)
		rc = mf_smtp_cmd_format(
		    out, k == 0 ? MF_SMTP_MAIL : MF_SMTP_RCPT, a.data, a.len);
	mf__buf_fini(&a);
	return rc;
}

/* Whether the end of the message has been sent (QUIT may follow). */
static bool
data_sent(const mf_smtp_client *c)
{
	if (use_bdat(c))
		return c->sent_ == c->nrcpts + 2;
	return c->state == C_FINAL_WAIT;
}

int
mf_smtp_client_next(mf_smtp_client *c, mf_buf *out)
{
	size_t mark;
	int rc;

	if (c == NULL || out == NULL || (c->flags & ~CLIENT_FLAGS) != 0 ||
	    c->helo.len == 0 || c->rcpts == NULL || c->nrcpts == 0 ||
	    ((c->flags & MF_BINARYMIME) && c->size == 0))
		return MF_E_INVAL;
	switch (c->state) {
	case C_EHLO:
	case C_HELO:
		rc = mf_smtp_cmd_format(
		    out, c->state == C_EHLO ? MF_SMTP_EHLO : MF_SMTP_HELO,
		    c->helo.ptr, c->helo.len);
		if (rc < 0)
			return rc;
		c->state++;
		return MF_SMTP_DO_SEND;
	case C_TX:
		if (c->sent_ == 0) {
			/* Every mailbox must make a path before anything is
			 * sent. */
			size_t k;

			mark = out->len;
			for (k = 0; k <= c->nrcpts; k++) {
				mf_str m = k == 0 ? c->from : c->rcpts[k - 1];

				rc = mf_smtp_path_format(
				    out, m.ptr, m.len,
				    needs_utf8(c) ? MF_UTF8_OUT : 0);
				if (rc == MF_OK && k > 0 &&
				    out->len == mark + 2)
					rc = MF_E_SYNTAX;
				mf__buf_cut(out, mark);
				if (rc < 0)
					return rc;
			}
			c->why = missing(c);
			if (c->why != NULL) {
				c->state = C_QUIT;
				return mf_smtp_client_next(c, out);
			}
			c->pipe_ = (c->caps.ext & MF_SMTP_EXT_PIPELINING) != 0;
		}
		mark = out->len;
		do {
			rc = tx_cmd(c, out, c->sent_);
			if (rc < 0) {
				mf__buf_cut(out, mark);
				return rc;
			}
			c->sent_++;
		} while (c->pipe_ && c->sent_ < c->nrcpts + 2);
		c->state = C_TX_WAIT;
		/* BDAT ... LAST: the message follows its line. */
		if (c->sent_ == c->nrcpts + 2 && use_bdat(c))
			return MF_SMTP_DO_BDAT;
		return MF_SMTP_DO_SEND;
	case C_DATA:
		c->state = C_FINAL_WAIT;
		return MF_SMTP_DO_DATA;
	case C_DOT:
		rc = mf__buf_put(out, ".\r\n", 3);
		if (rc < 0)
			return rc;
		c->state = C_FINAL_WAIT;
		if (c->pipe_ && !c->quit_) {
			rc = mf_smtp_cmd_format(out, MF_SMTP_QUIT, NULL, 0);
			if (rc < 0)
				return rc;
			c->quit_ = 1;
		}
		return MF_SMTP_DO_SEND;
	case C_TX_WAIT:
	case C_FINAL_WAIT:
		/* RFC 2920 4: QUIT may follow the end of the data at once. */
		if (c->pipe_ && !c->quit_ && data_sent(c)) {
			rc = mf_smtp_cmd_format(out, MF_SMTP_QUIT, NULL, 0);
			if (rc < 0)
				return rc;
			c->quit_ = 1;
			return MF_SMTP_DO_SEND;
		}
		return MF_SMTP_DO_READ;
	case C_QUIT:
		rc = mf_smtp_cmd_format(out, MF_SMTP_QUIT, NULL, 0);
		if (rc < 0)
			return rc;
		c->state = C_QUIT_WAIT;
		return MF_SMTP_DO_SEND;
	case C_DONE:
		return MF_SMTP_DO_DONE;
	default:
		return MF_SMTP_DO_READ;
	}
}

/* The transaction failed with code (the first refusal counts). */
static void
tx_fail(mf_smtp_client *c, int code)
{
	if (!c->fail_)
		c->code = code;
	c->fail_ = 1;
}

/* The reply to the end of the message. */
static void
final_reply(mf_smtp_client *c, int code)
{
	if (is_2xx(code) && !c->fail_ && c->accepted > 0) {
		c->ok = 1;
		c->code = code;
	} else {
		tx_fail(c, code);
	}
	c->state = c->quit_ ? C_QUIT_WAIT : C_QUIT;
}

int
mf_smtp_client_reply(mf_smtp_client *c, const mf_smtp_reply *r,
                     const mf_str *lines, size_t nlines)
{
	int code;
	size_t k;

	if (c == NULL || r == NULL || (lines == NULL && nlines != 0))
		return MF_E_INVAL;
	code = r->code;
	switch (c->state) {
	case C_GREET:
	case C_EHLO_WAIT:
	case C_HELO_WAIT:
	case C_TX_WAIT:
	case C_FINAL_WAIT:
	case C_QUIT_WAIT:
		break;
	default:
		return MF_E_STATE;
	}
	if (code == 421 && c->state != C_QUIT_WAIT) {
		/* The server is closing (RFC 5321 3.8). */
		tx_fail(c, code);
		c->ok = 0;
		c->state = C_DONE;
		return MF_OK;
	}
	switch (c->state) {
	case C_GREET:
		c->state = is_2xx(code) ? C_EHLO : C_QUIT;
		if (!is_2xx(code))
			tx_fail(c, code);
		break;
	case C_EHLO_WAIT:
		if (code == 250) {
			if (mf_smtp_ehlo_parse(lines, nlines, &c->caps) < 0)
				memset(&c->caps, 0, sizeof(c->caps));
			c->state = C_TX;
		} else if (code >= 500) {
			c->state = C_HELO; /* RFC 5321 3.2 */
		} else {
			tx_fail(c, code);
			c->state = C_QUIT;
		}
		break;
	case C_HELO_WAIT:
		memset(&c->caps, 0, sizeof(c->caps));
		if (code == 250) {
			c->state = C_TX;
		} else {
			tx_fail(c, code);
			c->state = C_QUIT;
		}
		break;
	case C_TX_WAIT:
		if (c->got_ >= c->sent_)
			return MF_E_STATE;
		k = c->got_++;
		if (k == 0) {
			if (!is_2xx(code))
				tx_fail(c, code);
		} else if (k <= c->nrcpts) {
			if (c->rcpt_codes != NULL)
				c->rcpt_codes[k - 1] = code;
			if (is_2xx(code))
				c->accepted++;
			else if (k == c->nrcpts && c->accepted == 0)
				tx_fail(c, code);
		} else if (use_bdat(c)) {
			final_reply(c, code); /* BDAT ... LAST */
			break;
		} else {
			if (code == 354)
				c->state = c->fail_ || c->accepted == 0
				               ? C_DOT
				               : C_DATA;
			else
				final_reply(c, code);
			break;
		}
		if (c->got_ < c->sent_ || c->pipe_)
			break;
		/* One at a time: stop at a refused MAIL, or when no
		 * recipient was accepted. */
		c->state = c->fail_ ? C_QUIT : C_TX;
		break;
	case C_FINAL_WAIT:
		final_reply(c, code);
		break;
	case C_QUIT_WAIT:
		c->state = C_DONE;
		break;
	default:
		break;
	}
	return MF_OK;
}
