/*
 * A splice: bytes copied both ways between a byte stream (a client's TCP
 * connection at a relay, one end of a socket pair at a node) and an
 * overlay channel, with back-pressure both ways and nothing read or
 * decrypted. A relay splices a client onto a channel of the target's
 * relay link; the target splices that channel onto a socket pair whose
 * other end its server accepts like any TCP connection, so the client's
 * handshake and records run end to end through both.
 *
 * Back-pressure: stream -> channel stops reading the stream while the
 * channel holds HIGH bytes unsent and reads again when it drains; channel
 * -> stream pauses the channel (no credit goes back, so the far side
 * stalls) while the stream's write queue holds HIGH bytes and resumes
 * under LOW. Neither side buffers more than HIGH plus one read.
 *
 * End: end of stream -> FIN on the channel; FIN on the channel -> the
 * stream's write side shuts down; the splice ends when the channel has
 * closed (both FINs, a reset, or its connection ended) or the stream
 * failed, and then closes the stream through its owner's callback.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net-int.h"

#define HIGH		(128 * 1024)	/* bytes queued before pausing */
#define LOW		(32 * 1024)	/* ... and resuming under this */
#define READ_SZ		(64 * 1024)

/* A write to the stream with its bytes. */
struct swreq {
	uv_write_t		 req;
	struct ovl__splice	*sp;
	size_t			 len;
	uint8_t			 data[];
};

struct ovl__splice {
	uv_loop_t		*loop;
	uv_stream_t		*s;
	struct ovl_chan		*ch;
	ovl__splice_close_cb	 close_stream;
	void			*close_arg;
	ovl__splice_done_cb	 done;
	void			*arg;
	uint8_t			*held;		/* a read the channel refused */
	size_t			 nheld;
	uv_shutdown_t		 sreq;
	int			 refs;		/* self + writes + shutdown */
	int			 reading;
	int			 ch_paused;
	int			 s_eof;		/* the stream ended */
	int			 ch_fin;	/* the channel's peer finished */
	int			 shut_done;	/* our shutdown completed */
	int			 ch_gone;	/* on_close ran */
	int			 s_gone;	/* close_stream called */
	int			 ended;
	struct ovl__splice_stats st;
};

static void	sp_on_data(struct ovl_chan *, const uint8_t *, size_t, void *);
static void	sp_on_drain(struct ovl_chan *, void *);
static void	sp_on_close(struct ovl_chan *, int, void *);
static void	sp_read_start(struct ovl__splice *);

static const struct ovl_chan_cbs sp_chan_cbs = {
	.on_data = sp_on_data,
	.on_drain = sp_on_drain,
	.on_close = sp_on_close,
};

/* One read buffer for every splice: its bytes are copied out at once. */
static uint8_t read_buf[READ_SZ];

/* Drops a reference; the last frees the splice. */
static void
sp_unref(struct ovl__splice *sp)
{
	if (--sp->refs > 0)
		return;
	free(sp->held);
	free(sp);
}

/* Ends the splice once: the channel reset if open, the stream closed. */
static void
sp_end(struct ovl__splice *sp, int status)
{
	if (sp->ended)
		return;
	sp->ended = 1;
	sp->refs++;
	if (!sp->ch_gone)
		ovl_chan_reset(sp->ch);		/* runs sp_on_close */
	if (!sp->s_gone) {
		sp->s_gone = 1;
		if (sp->reading)
			(void)uv_read_stop(sp->s);
		sp->reading = 0;
		sp->close_stream(sp->s, sp->close_arg);
	}
	if (sp->done != NULL)
		sp->done(sp, status, sp->arg);
	sp->refs--;			/* the self reference: ours holds */
	sp_unref(sp);
}

/* Hands bytes read from the stream to the channel; keeps what it refuses. */
static int
to_chan(struct ovl__splice *sp, const uint8_t *p, size_t len)
{
	int rc;

	rc = ovl_chan_write(sp->ch, p, len);
	if (rc == -ENOBUFS) {
		sp->held = malloc(len);
		if (sp->held == NULL)
			return (-ENOMEM);
		memcpy(sp->held, p, len);
		sp->nheld = len;
		return (0);
	}
	if (rc == 0)
		sp->st.to_chan += len;
	return (rc);
}

/* Reading pauses while the channel has HIGH bytes (or a refusal) queued. */
static int
chan_full(const struct ovl__splice *sp)
{
	return (sp->nheld > 0 || ovl_chan_queued(sp->ch) >= HIGH);
}

/* Gives libuv the shared read buffer. */
static void
sp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	(void)h;
	(void)hint;
	*buf = uv_buf_init((char *)read_buf, sizeof read_buf);
}

/* Bytes (or the end) from the stream go to the channel. */
static void
sp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct ovl__splice *sp = s->data;
	int rc;

	if (nread == 0 || sp->ended)
		return;
	if (nread == UV_EOF) {
		(void)uv_read_stop(s);
		sp->reading = 0;
		sp->s_eof = 1;
		if (ovl_chan_close(sp->ch) != 0)
			sp_end(sp, 0);
		return;
	}
	if (nread < 0) {
		sp_end(sp, (int)nread);
		return;
	}
	rc = to_chan(sp, (const uint8_t *)buf->base, (size_t)nread);
	if (rc != 0) {
		sp_end(sp, rc);
		return;
	}
	if (chan_full(sp) && sp->reading) {
		(void)uv_read_stop(s);
		sp->reading = 0;
	}
}

/* Starts reading the stream unless it ended or the channel is full. */
static void
sp_read_start(struct ovl__splice *sp)
{
	if (sp->reading || sp->s_eof || sp->ended || chan_full(sp))
		return;
	if (uv_read_start(sp->s, sp_alloc, sp_read) != 0) {
		sp_end(sp, -EIO);
		return;
	}
	sp->reading = 1;
}

/* The channel sent what was queued: pass a held read, read again. */
static void
sp_on_drain(struct ovl_chan *ch, void *arg)
{
	struct ovl__splice *sp = arg;
	uint8_t *p;
	size_t n;
	int rc;

	(void)ch;
	if (sp->nheld > 0) {
		p = sp->held;
		n = sp->nheld;
		sp->held = NULL;
		sp->nheld = 0;
		rc = to_chan(sp, p, n);
		free(p);
		if (rc != 0) {
			sp_end(sp, rc);
			return;
		}
	}
	sp_read_start(sp);
}

/* A write to the stream finished: resume the channel under LOW. */
static void
sp_written(uv_write_t *req, int status)
{
	struct swreq *w = container_of(req, struct swreq, req);
	struct ovl__splice *sp = w->sp;

	free(w);
	if (status < 0)
		sp_end(sp, status);
	else if (sp->ch_paused && !sp->ended &&
	    sp->s->write_queue_size < LOW) {
		sp->ch_paused = 0;
		ovl_chan_resume(sp->ch);
	}
	sp_unref(sp);
}

/* Our shutdown of the stream's write side is done. */
static void
sp_shut(uv_shutdown_t *req, int status)
{
	struct ovl__splice *sp = container_of(req, struct ovl__splice, sreq);

	(void)status;
	sp->shut_done = 1;
	if (sp->ch_gone)
		sp_end(sp, 0);
	sp_unref(sp);
}

/* Writes channel bytes to the stream; the socket takes what it can now. */
static int
to_stream(struct ovl__splice *sp, const uint8_t *p, size_t len)
{
	struct swreq *w;
	uv_buf_t b;
	int n;

	if (sp->s->write_queue_size == 0) {
		b = uv_buf_init((char *)p, (unsigned)len);
		n = uv_try_write(sp->s, &b, 1);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n != UV_EAGAIN && n != UV_ENOSYS)
			return (n);
	}
	if (len == 0)
		return (0);
	w = malloc(sizeof *w + len);
	if (w == NULL)
		return (-ENOMEM);
	memcpy(w->data, p, len);
	w->sp = sp;
	w->len = len;
	b = uv_buf_init((char *)w->data, (unsigned)len);
	n = uv_write(&w->req, sp->s, &b, 1, sp_written);
	if (n != 0) {
		free(w);
		return (n);
	}
	sp->refs++;
	return (0);
}

/* Bytes (or the peer's FIN) from the channel go to the stream. */
static void
sp_on_data(struct ovl_chan *ch, const uint8_t *buf, size_t len, void *arg)
{
	struct ovl__splice *sp = arg;
	int rc;

	if (sp->ended)
		return;
	if (len == 0) {
		sp->ch_fin = 1;
		if (uv_shutdown(&sp->sreq, sp->s, sp_shut) != 0)
			sp_end(sp, 0);
		else
			sp->refs++;
		return;
	}
	rc = to_stream(sp, buf, len);
	if (rc != 0) {
		sp_end(sp, rc);
		return;
	}
	sp->st.to_stream += len;
	if (!sp->ch_paused && sp->s->write_queue_size >= HIGH) {
		sp->ch_paused = 1;
		ovl_chan_pause(ch);
	}
}

/* The channel ended: the splice ends once the stream has its bytes. */
static void
sp_on_close(struct ovl_chan *ch, int status, void *arg)
{
	struct ovl__splice *sp = arg;

	(void)ch;
	sp->ch_gone = 1;
	sp->ch = NULL;
	/* a clean end waits for the shutdown; anything else ends now */
	if (status != 0 || !sp->ch_fin || sp->shut_done)
		sp_end(sp, status);
}

/* Starts a splice. */
int
ovl__splice_new(uv_stream_t *s, ovl__splice_close_cb close_stream,
    void *close_arg, struct ovl_chan *ch, const uint8_t *first,
    size_t firstlen, ovl__splice_done_cb done, void *arg,
    struct ovl__splice **out)
{
	struct ovl__splice *sp;
	int rc;

	*out = NULL;
	sp = calloc(1, sizeof *sp);
	if (sp == NULL)
		return (-ENOMEM);
	sp->loop = s->loop;
	sp->s = s;
	sp->ch = ch;
	sp->close_stream = close_stream;
	sp->close_arg = close_arg;
	sp->done = done;
	sp->arg = arg;
	sp->refs = 1;
	sp->st.started_ms = uv_now(s->loop);
	s->data = sp;
	ovl_chan_set_cbs(ch, &sp_chan_cbs, sp);
	if (firstlen > 0 && (rc = to_chan(sp, first, firstlen)) != 0) {
		ovl_chan_set_cbs(ch, NULL, NULL);
		free(sp->held);
		free(sp);
		return (rc);
	}
	/* a write can drain at once, and on_drain then started reading */
	if (!sp->reading && !chan_full(sp)) {
		rc = uv_read_start(s, sp_alloc, sp_read);
		if (rc != 0) {
			ovl_chan_set_cbs(ch, NULL, NULL);
			free(sp->held);
			free(sp);
			return (rc);
		}
		sp->reading = 1;
	}
	*out = sp;
	return (0);
}

/* Writes bytes that came with the channel's header to the stream. */
int
ovl__splice_to_stream(struct ovl__splice *sp, const uint8_t *p, size_t len)
{
	int rc;

	rc = to_stream(sp, p, len);
	if (rc == 0)
		sp->st.to_stream += len;
	return (rc);
}

/* Ends a splice now (a limit, shutting down). */
void
ovl__splice_kill(struct ovl__splice *sp, int status)
{
	sp_end(sp, status);
}

/* Copies the splice's counters. */
void
ovl__splice_stats(const struct ovl__splice *sp, struct ovl__splice_stats *st)
{
	*st = sp->st;
}
