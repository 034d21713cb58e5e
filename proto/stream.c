/*
 * The framing of stream channels (wire.h): framed streams (output and
 * terminal) carry a 1-byte type and a 4-byte big-endian length per frame;
 * JSON-lines streams (stats, events, pull progress) carry one compact
 * JSON object per line. Both decoders are incremental and bounded.
 *
 * Payload frames (types 1-15) are passed on in pieces as bytes arrive, so
 * a terminal's output is never copied into a frame buffer and a decoder
 * costs the same whatever the frame size; control frames (16-31) are small
 * and are buffered whole before the callback sees them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* Tells whether a frame type is one of ours. */
static int
proto_frame_known(unsigned type)
{
	switch (type) {
	case PROTO_FRAME_STDOUT:
	case PROTO_FRAME_STDERR:
	case PROTO_FRAME_STDIN:
	case PROTO_FRAME_RESIZE:
	case PROTO_FRAME_EXIT:
	case PROTO_FRAME_END:
	case PROTO_FRAME_ERROR:
		return (1);
	}
	return (0);
}

/* Writes the header of a frame. */
void
proto_frame_hdr(uint8_t hdr[static PROTO_FRAME_HDR], enum proto_frame type,
    uint32_t len)
{
	hdr[0] = (uint8_t)type;
	hdr[1] = (uint8_t)(len >> 24);
	hdr[2] = (uint8_t)(len >> 16);
	hdr[3] = (uint8_t)(len >> 8);
	hdr[4] = (uint8_t)len;
}

/* Writes the payload of a RESIZE frame. */
void
proto_frame_resize(uint8_t out[static 4], unsigned rows, unsigned cols)
{
	out[0] = (uint8_t)(rows >> 8);
	out[1] = (uint8_t)rows;
	out[2] = (uint8_t)(cols >> 8);
	out[3] = (uint8_t)cols;
}

/* Reads the payload of a RESIZE frame. */
int
proto_frame_resize_parse(const uint8_t *p, size_t len, unsigned *rows,
    unsigned *cols)
{
	if (len != 4)
		return (-EPROTO);
	*rows = (unsigned)p[0] << 8 | p[1];
	*cols = (unsigned)p[2] << 8 | p[3];
	if (*rows == 0 || *cols == 0)
		return (-EPROTO);
	return (0);
}

/* Writes the payload of an EXIT frame. */
void
proto_frame_exit(uint8_t out[static 4], int32_t code)
{
	uint32_t u = (uint32_t)code;

	out[0] = (uint8_t)(u >> 24);
	out[1] = (uint8_t)(u >> 16);
	out[2] = (uint8_t)(u >> 8);
	out[3] = (uint8_t)u;
}

/* Reads the payload of an EXIT frame. */
int
proto_frame_exit_parse(const uint8_t *p, size_t len, int32_t *code)
{
	uint32_t u;

	if (len != 4)
		return (-EPROTO);
	u = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	*code = (int32_t)u;
	return (0);
}

/* Sets up a frame decoder. */
void
proto_fdec_init(struct proto_fdec *d)
{
	memset(d, 0, sizeof *d);
}

/* Feeds stream bytes; calls cb with payload pieces and whole controls. */
int
proto_fdec_feed(struct proto_fdec *d, const void *data, size_t len,
    proto_frame_cb cb, void *arg)
{
	const uint8_t *p = data;
	size_t n;
	int rc;

	while (len > 0 || (d->hlen == PROTO_FRAME_HDR && d->left == 0)) {
		if (d->hlen < PROTO_FRAME_HDR) {
			n = PROTO_FRAME_HDR - d->hlen;
			if (n > len)
				n = len;
			memcpy(d->hdr + d->hlen, p, n);
			d->hlen += n;
			p += n;
			len -= n;
			if (d->hlen < PROTO_FRAME_HDR)
				break;
			d->type = d->hdr[0];
			d->left = (uint32_t)d->hdr[1] << 24 |
			    (uint32_t)d->hdr[2] << 16 |
			    (uint32_t)d->hdr[3] << 8 | d->hdr[4];
			d->clen = 0;
			if (!proto_frame_known(d->type))
				return (-EPROTO);
			if (d->left > PROTO_FRAME_MAX || (d->type >= 16 &&
			    d->left > PROTO_FRAME_CTL_MAX))
				return (-EMSGSIZE);
		}
		n = d->left < len ? d->left : len;
		if (d->type < 16) {
			/* Payload: pass the piece on as it is. */
			d->left -= (uint32_t)n;
			if (d->left == 0)
				d->hlen = 0;
			if (n == 0)
				continue;
			rc = cb(arg, (enum proto_frame)d->type, p, n);
			p += n;
			len -= n;
			if (rc != 0)
				return (rc);
			continue;
		}
		memcpy(d->ctl + d->clen, p, n);
		d->clen += n;
		d->left -= (uint32_t)n;
		p += n;
		len -= n;
		if (d->left > 0)
			break;
		d->hlen = 0;
		rc = cb(arg, (enum proto_frame)d->type, d->ctl, d->clen);
		if (rc != 0)
			return (rc);
	}
	return (0);
}

/* Sets up a line decoder taking lines of at most max bytes (0: default). */
void
proto_ldec_init(struct proto_ldec *d, size_t max)
{
	memset(d, 0, sizeof *d);
	d->max = max != 0 ? max : PROTO_LINE_MAX;
}

/* Frees what a line decoder holds. */
void
proto_ldec_free(struct proto_ldec *d)
{
	free(d->buf);
	d->buf = NULL;
	d->len = d->cap = 0;
}

/* Appends n bytes to the partial line, within the limit. */
static int
proto_ldec_append(struct proto_ldec *d, const char *p, size_t n)
{
	size_t cap;
	char *q;

	if (d->len + n >= d->max)
		return (-EMSGSIZE);
	if (d->len + n > d->cap) {
		cap = d->cap != 0 ? d->cap : 256;
		while (cap < d->len + n)
			cap *= 2;
		if (cap > d->max)
			cap = d->max;
		q = realloc(d->buf, cap);
		if (q == NULL)
			return (-ENOMEM);
		d->buf = q;
		d->cap = cap;
	}
	memcpy(d->buf + d->len, p, n);
	d->len += n;
	return (0);
}

/* Feeds JSON-lines bytes; calls cb once per line, newline removed. */
int
proto_ldec_feed(struct proto_ldec *d, const void *data, size_t len,
    proto_msg_cb cb, void *arg)
{
	const char *p = data, *nl;
	size_t n;
	int rc;

	while (len > 0) {
		nl = memchr(p, '\n', len);
		if (nl == NULL)
			return (proto_ldec_append(d, p, len));
		n = (size_t)(nl - p);
		if (d->len == 0) {
			if (n + 1 > d->max)
				return (-EMSGSIZE);
			rc = cb(arg, p, n);
		} else {
			rc = proto_ldec_append(d, p, n);
			if (rc != 0)
				return (rc);
			n = d->len;
			d->len = 0;
			rc = cb(arg, d->buf, n);
			n = (size_t)(nl - p);
		}
		p += n + 1;
		len -= n + 1;
		if (rc != 0)
			return (rc);
	}
	return (0);
}

/* Encodes one JSON-lines line: compact JSON and a newline. */
int
proto_line_encode(const json_t *v, char **out, size_t *outlen)
{
	size_t	n;
	char	*buf;
	int	err;

	*out = NULL;
	*outlen = 0;
	/* proto_dump leaves room for one more byte: the newline. */
	err = proto_dump(v, 0, PROTO_LINE_MAX - 1, &buf, &n);
	if (err != 0)
		return (err);
	buf[n] = '\n';
	*out = buf;
	*outlen = n + 1;
	return (0);
}
