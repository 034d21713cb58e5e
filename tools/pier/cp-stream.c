/*
 * A tar between a file descriptor and a node's archive method: the
 * stream of `pier cp` and `pier volume backup|restore`. Down, the node's
 * STDOUT frames are written to the fd (a pipe to the unpacking thread,
 * stdout, or a file) and END is the good end. Up, the fd is read as the
 * channel takes it: each read becomes one STDIN frame, a refused write
 * stops the reading until the channel drains (the node holds the rest
 * by credit), the fd's end is a FIN, and the node's EXIT 0 is the good
 * end. On a terminal a line on stderr shows the bytes and the rate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "cli-cp.h"
#include "cli-out.h"
#include "cli-stream.h"

#define XF_READ		65536	/* bytes of fd per STDIN frame */
#define XF_SHOW_MS	250	/* progress line at most this often */

/* One transfer. */
struct xfer {
	struct cli_stream	 s;
	struct cli_tar_xfer	*t;
	uv_poll_t		 in;	/* up: the fd, a pipe */
	uv_idle_t		 in_file; /* up: a file, read when idle */
	int			 in_on;	/* 1 poll, 2 idle; negative: over */
	int			 in_held;
	uint8_t			*pend;	/* one STDIN frame */
	size_t			 pend_len;
	int			 exit_code;
	int			 write_err;	/* down: the fd failed */
	int			 show;	/* a progress line on stderr */
	uint64_t		 start_ns;
	uint64_t		 shown_ns;
};

/* Shows the bytes moved so far (every XF_SHOW_MS, or last). */
static void
xf_show(struct xfer *xf, int last)
{
	char		 b[CLI_HUMAN_LEN], r[CLI_HUMAN_LEN];
	uint64_t	 now = uv_hrtime();
	double		 secs;

	if (!xf->show || (!last && now - xf->shown_ns < XF_SHOW_MS *
	    1000000ull))
		return;
	xf->shown_ns = now;
	secs = (double)(now - xf->start_ns) / 1e9;
	fprintf(stderr, "\r\033[K%s: %s (%s/s)%s", xf->t->label,
	    cli_human_size(b, (double)xf->t->bytes, 3),
	    cli_human_size(r, secs > 0 ? (double)xf->t->bytes / secs : 0, 3),
	    last ? "\n" : "");
	fflush(stderr);
}

/* Down: tar bytes to the fd. */
static int
xf_out(struct cli_stream *s, const uint8_t *data, size_t len)
{
	struct xfer	*xf = container_of(s, struct xfer, s);
	ssize_t		 n;

	while (len > 0) {
		n = write(xf->t->fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			xf->write_err = errno;
			return (-EPIPE);
		}
		data += n;
		len -= (size_t)n;
		xf->t->bytes += (uint64_t)n;
	}
	xf_show(xf, 0);
	return (0);
}

/* The last frames: END down, EXIT up. */
static int
xf_frame(struct cli_stream *s, enum proto_frame type, const uint8_t *data,
    size_t len)
{
	struct xfer	*xf = container_of(s, struct xfer, s);
	int32_t		 code;

	if (type == PROTO_FRAME_END && !xf->t->upload)
		return (1);
	if (type != PROTO_FRAME_EXIT || !xf->t->upload)
		return (0);
	if (proto_frame_exit_parse(data, len, &code) != 0)
		return (-EPROTO);
	xf->exit_code = code;
	return (1);
}

static void	xf_input(struct xfer *);

/* Up: the fd is readable. */
static void
xf_on_poll(uv_poll_t *p, int status, int events)
{
	xf_input(container_of(p, struct xfer, in));
}

/* Up: the fd is a file; one read per loop turn. */
static void
xf_on_idle(uv_idle_t *h)
{
	xf_input(container_of(h, struct xfer, in_file));
}

/* Up: reads the fd again. */
static void
xf_in_start(struct xfer *xf)
{
	if (xf->in_on == 1)
		(void)uv_poll_start(&xf->in, UV_READABLE, xf_on_poll);
	else if (xf->in_on == 2)
		(void)uv_idle_start(&xf->in_file, xf_on_idle);
}

/* Up: stops reading the fd. */
static void
xf_in_stop(struct xfer *xf)
{
	if (xf->in_on == 1)
		(void)uv_poll_stop(&xf->in);
	else if (xf->in_on == 2)
		(void)uv_idle_stop(&xf->in_file);
}

/* Up: one read of the fd as one STDIN frame; its end as FIN. */
static void
xf_input(struct xfer *xf)
{
	ssize_t	n;

	if (xf->s.ch == NULL || !xf->s.live) {
		xf_in_stop(xf);
		return;
	}
	if (xf->pend_len > 0) {
		if (ovl_chan_write(xf->s.ch, xf->pend, xf->pend_len) != 0) {
			xf->in_held = 1;
			xf_in_stop(xf);
			return;
		}
		xf->pend_len = 0;
	}
	n = read(xf->t->fd, xf->pend + PROTO_FRAME_HDR, XF_READ);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		xf_in_stop(xf);
		xf->in_on = -xf->in_on;
		if (n < 0)
			cli_stream_end(&xf->s, strerror(errno));
		else if (ovl_chan_close(xf->s.ch) != 0)
			cli_stream_end(&xf->s, "cannot send the end of the "
			    "tar");
		return;
	}
	xf->t->bytes += (uint64_t)n;
	xf_show(xf, 0);
	proto_frame_hdr(xf->pend, PROTO_FRAME_STDIN, (uint32_t)n);
	xf->pend_len = PROTO_FRAME_HDR + (size_t)n;
	if (ovl_chan_write(xf->s.ch, xf->pend, xf->pend_len) == 0)
		xf->pend_len = 0;
	else {
		xf->in_held = 1;
		xf_in_stop(xf);
	}
}

/* Up: the channel has room again. */
static void
xf_drain(struct cli_stream *s)
{
	struct xfer	*xf = container_of(s, struct xfer, s);

	if (!xf->in_held)
		return;
	xf->in_held = 0;
	xf_in_start(xf);
}

/* The reply of the method: kept for the caller. */
static void
xf_reply(struct cli_stream *s, const json_t *result)
{
	struct xfer	*xf = container_of(s, struct xfer, s);

	json_decref(xf->t->reply);
	xf->t->reply = json_deep_copy(result);
}

static const struct cli_stream_ops xf_down_ops = {
	.failed = "the copy failed on the node",
	.fin = "the node ended the tar early",
	.lost_suffix = " (before the end of the tar)",
	.out = xf_out,
	.frame = xf_frame,
	.reply = xf_reply,
};

static const struct cli_stream_ops xf_up_ops = {
	.flags = CLI_STREAM_CLOSE_WAITS,
	.failed = "the copy failed on the node",
	.lost_suffix = " (before the end of the tar)",
	.frame = xf_frame,
	.drain = xf_drain,
	.reply = xf_reply,
};

/* Runs a transfer; see cli-cp.h. */
int
cli_tar_xfer(struct cli_ctx *x, struct cli_tar_xfer *t, char **cause)
{
	struct xfer	 xf;
	json_t		*params;	/* owned */
	int		 rc = -1;

	*cause = NULL;
	memset(&xf, 0, sizeof(xf));
	xf.t = t;
	xf.exit_code = -1;
	xf.show = t->label != NULL && isatty(2);
	xf.start_ns = xf.shown_ns = uv_hrtime();
	xf.pend = malloc(PROTO_FRAME_HDR + XF_READ);
	if (xf.pend == NULL)
		return (-1);
	cli_stream_init(&xf.s, x, t->upload ? &xf_up_ops : &xf_down_ops);
	if (cli_stream_open(&xf.s, t->node, cause) != 0) {
		free(xf.pend);
		return (-1);
	}
	if (t->upload) {
		if (uv_poll_init(&x->loop, &xf.in, t->fd) == 0)
			xf.in_on = 1;
		else if (uv_idle_init(&x->loop, &xf.in_file) == 0)
			xf.in_on = 2;	/* a regular file cannot be polled */
	}
	params = json_deep_copy(t->params);
	cli_stream_call(&xf.s, t->method, params);
	if (xf.s.live) {
		xf_in_start(&xf);
		(void)cli_stream_loop(x, 0);
	}
	xf_show(&xf, 1);
	if (xf.write_err != 0)
		*cause = strdup(strerror(xf.write_err));
	else if (xf.s.err != NULL)
		*cause = strdup(xf.s.err);
	else if (t->upload && xf.exit_code != 0)
		*cause = strdup("the node did not confirm the copy");
	else
		rc = 0;
	if (rc != 0 && *cause == NULL)
		*cause = strdup("failed");
	cli_stream_close(&xf.s);
	if (xf.in_on == 1 || xf.in_on == -1)
		uv_close((uv_handle_t *)&xf.in, NULL);
	else if (xf.in_on == 2 || xf.in_on == -2)
		uv_close((uv_handle_t *)&xf.in_file, NULL);
	uv_run(&x->loop, UV_RUN_NOWAIT);
	free(xf.pend);
	return (rc);
}
