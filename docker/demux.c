/*
 * The decoder of Docker's multiplexed ("stdcopy") stream, used by logs,
 * exec and attach when the container has no TTY. Each frame is an 8-byte
 * header (stream type, three zero bytes, a big-endian 32-bit length)
 * followed by that many payload bytes. Reads split frames anywhere, so the
 * decoder keeps only the header bytes it has seen and passes payload
 * through as it arrives: it never buffers a frame, and a peer cannot make
 * it allocate. A frame longer than the bound, an unknown stream type or a
 * nonzero padding byte is a protocol error, and the decoder then refuses
 * all further input.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "docker.h"

/* Sets up a decoder; max_frame 0 means DK_DEMUX_MAX_FRAME. */
void
dk_demux_init(struct dk_demux *d, size_t max_frame)
{
	memset(d, 0, sizeof *d);
	d->max_frame = max_frame != 0 ? max_frame : DK_DEMUX_MAX_FRAME;
}

/* Checks a complete header and starts its frame; 0 or -EPROTO. */
static int
start_frame(struct dk_demux *d)
{
	uint32_t n;

	if (d->hdr[0] > DK_STREAM_SYSTEM || d->hdr[1] != 0 ||
	    d->hdr[2] != 0 || d->hdr[3] != 0)
		return (-EPROTO);
	n = (uint32_t)d->hdr[4] << 24 | (uint32_t)d->hdr[5] << 16 |
	    (uint32_t)d->hdr[6] << 8 | (uint32_t)d->hdr[7];
	if (n > d->max_frame)
		return (-EMSGSIZE);
	d->kind = d->hdr[0];
	d->left = n;
	d->hlen = 0;
	return (0);
}

/* Feeds bytes; see docker.h for the contract. */
int
dk_demux_feed(struct dk_demux *d, const char *buf, size_t len,
    dk_demux_cb cb, void *arg)
{
	size_t n, total = len;
	int rc;

	d->consumed = 0;
	if (d->error != 0)
		return (d->error);
	while (len > 0) {
		if (d->left == 0) {
			n = sizeof d->hdr - d->hlen;
			if (n > len)
				n = len;
			memcpy(d->hdr + d->hlen, buf, n);
			d->hlen += n;
			buf += n;
			len -= n;
			if (d->hlen < sizeof d->hdr)
				break;
			rc = start_frame(d);
			if (rc != 0) {
				d->error = rc;
				return (rc);
			}
			d->frames++;
			continue;
		}
		n = d->left < len ? d->left : len;
		d->left -= n;
		rc = cb(arg, d->kind, buf, n);
		buf += n;
		len -= n;
		if (rc != 0) {
			d->consumed = total - len;
			return (rc);
		}
	}
	d->consumed = total;
	return (0);
}

/* Tells whether the stream may end here: 0, or -EPROTO mid-frame. */
int
dk_demux_finish(const struct dk_demux *d)
{
	if (d->error != 0)
		return (d->error);
	if (d->left != 0 || d->hlen != 0)
		return (-EPROTO);
	return (0);
}

/* Names a stream kind for messages and tests. */
const char *
dk_stream_name(int kind)
{
	switch (kind) {
	case DK_STREAM_STDIN:
		return ("stdin");
	case DK_STREAM_STDOUT:
		return ("stdout");
	case DK_STREAM_STDERR:
		return ("stderr");
	case DK_STREAM_SYSTEM:
		return ("system");
	}
	return ("unknown");
}
