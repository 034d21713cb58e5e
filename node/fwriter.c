/*
 * The writer of a framed stream channel (exec.run, container.logs,
 * docker.run): output goes out as STDOUT and STDERR frames while the
 * channel takes them; what it refuses is held here, whole frames, and
 * the caller pauses its source (the engine's stream, the CLI's pipes).
 * The channel's drain writes what is held, a frame at a time, and tells
 * the caller to resume. The last frame (EXIT, END or ERROR) is written
 * once nothing is held, and the channel is finished with it; a channel
 * that cannot take it is reset.
 *
 * So the node holds at most what one read of the source brought after
 * the channel's queue reached its bound, however slow the client. The
 * JSON-lines channels have their own writer (node_lstream, cmd-events.c).
 *
 * The writer lives inside its run (caller-allocated, as a libuv handle):
 * it holds no callbacks and never frees itself, so a reset that frees
 * the run under it is always the writer's last act.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* Frees what the writer holds. */
void
node_fwriter_free(struct node_fwriter *fw)
{
	free(fw->held);
	fw->held = NULL;
	fw->held_len = 0;
}

/* Appends len bytes (whole frames) to what is held; 0 or -ENOMEM. */
static int
fw_hold(struct node_fwriter *fw, const void *buf, size_t len)
{
	char	*p;

	p = realloc(fw->held, fw->held_len + len);
	if (p == NULL)
		return (-ENOMEM);
	memcpy(p + fw->held_len, buf, len);
	fw->held = p;
	fw->held_len += len;
	return (0);
}

/* Writes one frame (header included) or holds it. */
int
node_fwriter_frame(struct node_fwriter *fw, const void *frame, size_t len)
{
	int	err = -ENOBUFS;

	if (fw->ch == NULL)
		return (0);
	fw->bytes += len - PROTO_FRAME_HDR;
	if (fw->held_len == 0) {
		fw->writing++;
		err = ovl_chan_write(fw->ch, frame, len);
		fw->writing--;
		if (err == 0)
			return (0);
	}
	if (fw_hold(fw, frame, len) != 0) {
		ovl_chan_reset(fw->ch);		/* may free the run */
		return (-ENOMEM);
	}
	return (-ENOBUFS);
}

/* Writes buf as frames of type; what the channel refuses is held. */
int
node_fwriter_write(struct node_fwriter *fw, enum proto_frame type,
    const void *buf, size_t len)
{
	uint8_t		 frame[PROTO_FRAME_HDR + NODE_FWRITER_FRAME_MAX];
	const char	*p = buf;
	size_t		 n;
	int		 rc = 0, err;

	while (len > 0) {
		n = len > NODE_FWRITER_FRAME_MAX ? NODE_FWRITER_FRAME_MAX : len;
		proto_frame_hdr(frame, type, (uint32_t)n);
		memcpy(frame + PROTO_FRAME_HDR, p, n);
		err = node_fwriter_frame(fw, frame, PROTO_FRAME_HDR + n);
		if (err == -ENOMEM)
			return (err);
		if (err != 0)
			rc = err;
		p += n;
		len -= n;
	}
	return (rc);
}

/* The channel has room: writes held frames; 1 once all are out. */
int
node_fwriter_drain(struct node_fwriter *fw)
{
	const uint8_t	*h;
	size_t		 n = 0, len;
	int		 err;

	if (fw->held_len == 0 || fw->ch == NULL || fw->writing)
		return (0);	/* (a drain inside our own write) */
	while (n < fw->held_len) {
		/* Whole frames only: each held frame is written alone. */
		h = (const uint8_t *)fw->held + n;
		len = PROTO_FRAME_HDR + ((size_t)h[1] << 24 |
		    (size_t)h[2] << 16 | (size_t)h[3] << 8 | (size_t)h[4]);
		fw->writing++;
		err = ovl_chan_write(fw->ch, h, len);
		fw->writing--;
		if (err != 0)
			break;
		n += len;
	}
	memmove(fw->held, fw->held + n, fw->held_len - n);
	fw->held_len -= n;
	return (fw->held_len == 0);
}

/* Writes the last frame (type, payload) and finishes the channel. */
void
node_fwriter_end(struct node_fwriter *fw, enum proto_frame type,
    const void *payload, size_t len)
{
	uint8_t	 frame[PROTO_FRAME_HDR + PROTO_FRAME_CTL_MAX];

	if (fw->ch == NULL)
		return;
	if (len > PROTO_FRAME_CTL_MAX)
		len = PROTO_FRAME_CTL_MAX;
	proto_frame_hdr(frame, type, (uint32_t)len);
	if (len > 0)
		memcpy(frame + PROTO_FRAME_HDR, payload, len);
	if (ovl_chan_write(fw->ch, frame, PROTO_FRAME_HDR + len) != 0 ||
	    ovl_chan_close(fw->ch) != 0)
		ovl_chan_reset(fw->ch);
}

/* Ends the stream with ERROR {code, name, message}. */
void
node_fwriter_error(struct node_fwriter *fw, int code, const char *msg)
{
	char	*body = NULL;
	json_t	*o;	/* owned */

	if (fw->ch == NULL)
		return;
	o = json_pack("{s:i, s:s, s:s}", "code", code, "name",
	    proto_err_name(code), "message", msg);
	body = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	node_fwriter_end(fw, PROTO_FRAME_ERROR, body, body != NULL ?
	    strlen(body) : 0);
	free(body);
}

/* Ends the stream with EXIT and the code. */
void
node_fwriter_exit(struct node_fwriter *fw, int32_t code)
{
	uint8_t	payload[4];

	proto_frame_exit(payload, code);
	node_fwriter_end(fw, PROTO_FRAME_EXIT, payload, sizeof(payload));
}
