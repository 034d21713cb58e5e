/*
 * A terminal session: one source (a local PTY, later a Docker exec
 * stream, behind a small table of functions), the libvterm screen its
 * output keeps up to date, and the viewers watching it.
 *
 * A viewer that attaches gets a repaint of the screen first and then the
 * live stream. Each viewer's sink takes what it can; the rest waits in
 * that viewer's own backlog. A viewer whose backlog would pass
 * backlog_max loses it and gets a fresh repaint when its sink has room
 * again, so one stalled viewer neither slows the others nor grows the
 * node's memory. Only when every viewer is behind (half its backlog
 * used, or waiting for a repaint) is the source paused, so a lone slow
 * viewer is held by flow control rather than skipping output.
 *
 * Input from read-write viewers goes to the process, and the window size
 * follows the most recently active one (attach, input, resize). With no
 * viewer the session ends after idle_ms. When the process exits, each
 * viewer gets its exit status after its backlog has gone out; the owner
 * hears of the end when the last viewer has.
 *
 * The screen model lives in this process (term_screen) or in the
 * node's screen worker (o.worker, term-worker.c). With a worker, output
 * goes to it without waiting, and a repaint is a request answered later:
 * until the snapshot comes, the viewer's live output is kept in its
 * backlog, and it follows the snapshot, which describes the screen just
 * before it. If the worker dies or falls too far behind, the screen is
 * lost: the session goes on as a plain stream, each viewer gets
 * TERM_LOST_LINE once instead of a repaint, and later viewers get that
 * line instead of one.
 *
 * Callbacks may detach viewers or close the session; viewers are freed
 * only when no callback of this file is on the stack (busy == 0).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "term.h"
#include "term-sess.h"

static void idle_restart(struct term_session *);

/* Marks the start of work that may call out. */
void
term__session_enter(struct term_session *s)
{
	s->busy++;
}

/* Unlinks a viewer and queues it to be freed. */
static void
viewer_release(struct term_viewer *v)
{
	struct term_session *s = v->s;

	if (v->dead)
		return;
	v->dead = 1;
	if (v->prev != NULL)
		v->prev->next = v->next;
	else
		s->viewers = v->next;
	if (v->next != NULL)
		v->next->prev = v->prev;
	/* v->next stays, so a walk standing on v can go on. */
	v->grave = s->grave;
	s->grave = v;
	s->nviewers--;
	if (s->active == v)
		s->active = NULL;
	if (s->nviewers == 0 && !s->closing && !s->exited)
		idle_restart(s);
}

/* Tells a viewer the session ended, then lets it go. */
static void
viewer_end(struct term_viewer *v, int err)
{
	struct term_session *s = v->s;

	if (v->dead)
		return;
	term__session_enter(s);
	if (v->ops->ended != NULL)
		v->ops->ended(v, err, s->status, s->term_signal, v->arg);
	viewer_release(v);
	term__session_leave(s);
}

/* Appends to a viewer's backlog; past the bound, drops it for a repaint. */
void
term__viewer_queue(struct term_viewer *v, const char *buf, size_t len)
{
	size_t max = v->s->o.backlog_max, cap;
	char *p;

	if (len == 0 || v->stale)
		return;
	if (v->bl_len + len > max) {
		free(v->bl);
		v->bl = NULL;
		v->bl_len = v->bl_cap = 0;
		if (v->wait != 0) {
			/* Nothing went to the sink since the request: ask
			 * again for a snapshot as of now. */
			v->wait = 0;
			v->rewait = 1;
			return;
		}
		v->stale = 1;
		return;
	}
	if (v->bl_cap - v->bl_len < len) {
		cap = v->bl_cap ? v->bl_cap : 4096;
		while (cap - v->bl_len < len)
			cap *= 2;
		if (cap > max)
			cap = max;
		p = realloc(v->bl, cap);
		if (p == NULL) {
			v->stale = 1;
			return;
		}
		v->bl = p;
		v->bl_cap = cap;
	}
	memcpy(v->bl + v->bl_len, buf, len);
	v->bl_len += len;
}

/* Offers bytes to the sink; returns how many it took. */
size_t
term__viewer_send(struct term_viewer *v, const char *buf, size_t len)
{
	size_t n;

	n = v->ops->send(v, buf, len, v->arg);
	return (n > len ? len : n);
}

/* Sends the backlog (a repaint first if stale) while the sink takes it. */
void
term__viewer_flush(struct term_viewer *v)
{
	size_t n;

	if (v->wait != 0 || v->rewait)
		return;		/* the snapshot goes first */
	if (v->stale) {
		free(v->bl);
		v->bl = NULL;
		v->bl_len = v->bl_cap = 0;
		v->stale = 0;
		if (term__viewer_repaint(v, 0) != 0) {
			v->stale = 1;
			return;
		}
		if (v->wait != 0 || v->dead)
			return;
	}
	while (v->bl_len > 0 && !v->dead) {
		n = term__viewer_send(v, v->bl, v->bl_len);
		if (n == 0 || v->dead)
			break;
		memmove(v->bl, v->bl + n, v->bl_len - n);
		v->bl_len -= n;
	}
	if (v->bl_len == 0 && v->bl_cap > 4096) {
		/* An idle viewer keeps no big buffer around. */
		free(v->bl);
		v->bl = NULL;
		v->bl_cap = 0;
	}
	if (v->bl_len == 0 && v->ending)
		viewer_end(v, 0);
}

/* Pauses the source when every viewer is behind, resumes otherwise. */
static void
session_flow(struct term_session *s)
{
	struct term_viewer *v;
	int behind = s->nviewers > 0;

	if (s->closing || s->src_closed)
		return;
	for (v = s->viewers; v != NULL && behind; v = v->next)
		if (!v->stale && v->bl_len < s->o.backlog_max / 2)
			behind = 0;
	if (s->ws != NULL && term_wscreen_full(s->ws))
		behind = 1;	/* the worker is behind */
	if (s->exited)
		behind = 0;	/* nothing left to hold back */
	if (behind && !s->paused) {
		s->paused = 1;
		s->ops->pause(s->src);
	} else if (!behind && s->paused) {
		s->paused = 0;
		s->ops->resume(s->src);
	}
}

/* Tells the owner once: the process is gone and every viewer knows. */
static void
session_maybe_told(struct term_session *s)
{
	if (s->told || s->closing || !s->exited || s->nviewers > 0)
		return;
	s->told = 1;
	if (s->o.end_cb != NULL)
		s->o.end_cb(s, 0, s->status, s->term_signal, s->o.arg);
}

/* Frees the session when its timer and source are closed. */
static void
session_maybe_free(struct term_session *s)
{
	if (!s->timer_closed || !s->src_closed || s->busy > 0)
		return;
	if (s->close_cb != NULL)
		s->close_cb(s, s->close_arg);
	term_screen_free(s->screen);
	term_wscreen_free(s->ws);
	free(s);
}

/* Ends work that may have called out: frees released viewers. */
void
term__session_leave(struct term_session *s)
{
	struct term_viewer *v;

	if (--s->busy > 0)
		return;
	while (s->grave != NULL) {
		v = s->grave;
		s->grave = v->grave;
		free(v->bl);
		free(v);
	}
	s->busy++;
	session_flow(s);
	session_maybe_told(s);
	s->busy--;
	session_maybe_free(s);
}

/* No viewer for idle_ms: the session is over. */
static void
on_idle(uv_timer_t *t)
{
	struct term_session *s = container_of(t, struct term_session, idle);

	if (s->nviewers > 0 || s->told || s->closing)
		return;
	s->told = 1;
	if (s->o.end_cb != NULL)
		s->o.end_cb(s, -ETIMEDOUT, 0, 0, s->o.arg);
}

/* (Re)starts the idle wait. */
static void
idle_restart(struct term_session *s)
{
	(void)uv_timer_start(&s->idle, on_idle, s->o.idle_ms, 0);
}

/* Resizes screen and source to the active viewer's size. */
static int
session_apply_size(struct term_session *s, int rows, int cols)
{
	int err;

	if (s->rows == rows && s->cols == cols)
		return (0);
	err = term_session_resize(s, rows, cols);
	if (err != 0)
		return (err);
	if (!s->src_closed && !s->exited)
		return (s->ops->resize(s->src, rows, cols));
	return (0);
}

/* Fills in a session; the caller then starts it. */
static int
session_init(struct term_session *s, uv_loop_t *loop,
    const struct term_session_opts *o)
{
	s->loop = loop;
	s->o = *o;
	if (s->o.idle_ms == 0)
		s->o.idle_ms = TERM_IDLE_MS;
	if (s->o.backlog_max == 0)
		s->o.backlog_max = TERM_VIEWER_BACKLOG;
	s->last_active = uv_now(loop);
	s->rows = o->rows;
	s->cols = o->cols;
	return (term__session_model_new(s));
}

/* Starts the idle timer. */
static int
session_start(struct term_session *s)
{
	int err;

	err = uv_timer_init(s->loop, &s->idle);
	if (err != 0)
		return (err);
	idle_restart(s);
	return (0);
}

/* Makes a session around a source. */
int
term_session_new(uv_loop_t *loop, const struct term_session_opts *o,
    const struct term_source_ops *ops, void *src, struct term_session **out)
{
	struct term_session *s;
	int err;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return (-ENOMEM);
	s->ops = ops;
	s->src = src;
	err = session_init(s, loop, o);
	if (err == 0)
		err = session_start(s);
	if (err != 0) {
		term_screen_free(s->screen);
		term_wscreen_free(s->ws);
		free(s);
		return (err);
	}
	*out = s;
	return (0);
}

/* PTY source: output. */
static void
pty_read(struct term_pty *p, const char *buf, ssize_t n, void *arg)
{
	if (n > 0)
		term_session_output(arg, buf, (size_t)n);
}

/* PTY source: exit. */
static void
pty_exit(struct term_pty *p, int64_t status, int sig, void *arg)
{
	term_session_exited(arg, status, sig);
}

/* PTY source: input. */
static int
pty_write(void *src, const void *buf, size_t len)
{
	return (term_pty_write(src, buf, len));
}

/* PTY source: window size. */
static int
pty_resize(void *src, int rows, int cols)
{
	return (term_pty_resize(src, rows, cols));
}

/* PTY source: pause. */
static void
pty_pause(void *src)
{
	term_pty_pause(src);
}

/* PTY source: resume. */
static void
pty_resume(void *src)
{
	term_pty_resume(src);
}

/* PTY source: signal. */
static int
pty_kill(void *src, int signum)
{
	return (term_pty_kill(src, signum));
}

/* PTY source: closed. */
static void
pty_closed(struct term_pty *p, void *arg)
{
	term_session_source_closed(arg);
}

/* PTY source: close. */
static void
pty_close(void *src, struct term_session *s)
{
	term_pty_close(src, pty_closed, s);
}

static const struct term_source_ops pty_ops = {
	.write = pty_write,
	.resize = pty_resize,
	.pause = pty_pause,
	.resume = pty_resume,
	.kill = pty_kill,
	.close = pty_close,
};

/* Makes a session running a local PTY process. */
int
term_session_spawn(uv_loop_t *loop, const struct term_session_opts *o,
    const struct term_pty_opts *po, struct term_session **out, char **cause)
{
	struct term_session *s;
	struct term_pty_opts p;
	struct term_pty *pty;
	int err;

	*out = NULL;
	if (cause != NULL)
		*cause = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return (-ENOMEM);
	err = session_init(s, loop, o);
	if (err != 0) {
		free(s);
		return (err);
	}
	p = *po;
	p.rows = o->rows;
	p.cols = o->cols;
	p.read_cb = pty_read;
	p.exit_cb = pty_exit;
	p.arg = s;
	err = term_pty_spawn(loop, &p, &pty, cause);
	if (err != 0) {
		term_screen_free(s->screen);
		term_wscreen_free(s->ws);
		free(s);
		return (err);
	}
	s->ops = &pty_ops;
	s->src = pty;
	err = session_start(s);
	if (err != 0) {
		/* No callback runs after close; nothing refers to s. */
		term_pty_close(pty, NULL, NULL);
		term_screen_free(s->screen);
		term_wscreen_free(s->ws);
		free(s);
		return (err);
	}
	*out = s;
	return (0);
}

/* Output from the process: into the screen, then to every viewer. */
void
term_session_output(struct term_session *s, const char *buf, size_t len)
{
	struct term_viewer *v, *next;
	size_t n;

	if (s->closing || len == 0)
		return;
	if (s->ws == NULL)
		term__session_feed(s, buf, len);
	s->last_active = uv_now(s->loop);
	term__session_enter(s);
	for (v = s->viewers; v != NULL; v = next) {
		next = v->next;
		if (v->dead || v->stale)
			continue;
		n = 0;
		if (v->bl_len == 0 && v->wait == 0 && !v->rewait)
			n = term__viewer_send(v, buf, len);
		if (!v->dead)
			term__viewer_queue(v, buf + n, len - n);
	}
	/* The worker's copy after the viewers', so the write that wakes it
	 * comes after theirs; before any snapshot asked again below. */
	if (s->ws != NULL)
		term__session_feed(s, buf, len);
	for (v = s->viewers; v != NULL; v = next) {
		next = v->next;
		if (v->dead || !v->rewait)
			continue;
		v->rewait = 0;
		(void)term__viewer_repaint(v, 0);	/* never fails with ws */
		term__viewer_flush(v);
	}
	term__session_leave(s);
}

/* The process ended: each viewer hears it after its backlog. */
void
term_session_exited(struct term_session *s, int64_t status,
    int term_signal)
{
	struct term_viewer *v, *next;

	if (s->exited || s->closing)
		return;
	s->exited = 1;
	s->status = status;
	s->term_signal = term_signal;
	uv_timer_stop(&s->idle);
	term__session_enter(s);
	for (v = s->viewers; v != NULL; v = next) {
		next = v->next;
		if (v->dead)
			continue;
		v->ending = 1;
		if (v->bl_len == 0 && !v->stale && v->wait == 0 &&
		    !v->rewait)
			viewer_end(v, 0);
	}
	term__session_leave(s);
}

/* The source has finished closing. */
void
term_session_source_closed(struct term_session *s)
{
	s->src_closed = 1;
	session_maybe_free(s);
}

/* The idle timer is closed. */
static void
on_timer_closed(uv_handle_t *h)
{
	struct term_session *s = container_of((uv_timer_t *)h,
	    struct term_session, idle);

	s->timer_closed = 1;
	session_maybe_free(s);
}

/* Ends it all. */
void
term_session_close(struct term_session *s, term_session_close_cb close_cb,
    void *arg)
{
	struct term_viewer *v, *next;

	if (s->closing)
		return;
	s->closing = 1;
	term__session_enter(s);
	for (v = s->viewers; v != NULL; v = next) {
		next = v->next;
		viewer_end(v, -ECANCELED);
	}
	s->close_cb = close_cb;
	s->close_arg = arg;
	uv_close((uv_handle_t *)&s->idle, on_timer_closed);
	if (!s->src_closed)
		s->ops->close(s->src, s);
	term__session_leave(s);
}

/* Returns the in-process screen. */
struct term_screen *
term_session_screen(const struct term_session *s)
{
	return (s->screen);
}

/* Returns the viewer count. */
size_t
term_session_viewers(const struct term_session *s)
{
	return (s->nviewers);
}

/* Returns the time of the last activity. */
uint64_t
term_session_last_active(const struct term_session *s)
{
	return (s->last_active);
}

/* Returns whether the source is paused. */
int
term_session_paused(const struct term_session *s)
{
	return (s->paused);
}

/* Attaches a viewer: a repaint (unless NO_REPAINT), then the live stream. */
int
term_viewer_attach(struct term_session *s, const struct term_viewer_ops
    *ops, void *arg, int flags, int rows, int cols, struct term_viewer **out)
{
	struct term_viewer *v;
	int err;

	*out = NULL;
	if (s->closing || s->exited)
		return (-EPIPE);
	if (ops == NULL || ops->send == NULL)
		return (-EINVAL);
	term_size_clamp(&rows, &cols);
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return (-ENOMEM);
	v->s = s;
	v->ops = ops;
	v->arg = arg;
	v->flags = flags;
	v->rows = rows;
	v->cols = cols;
	if ((flags & TERM_VIEWER_READONLY) == 0) {
		err = session_apply_size(s, rows, cols);
		if (err != 0) {
			free(v);
			return (err);
		}
	}
	if ((flags & TERM_VIEWER_NO_REPAINT) == 0 && s->ws == NULL &&
	    !s->lost) {
		/* In-process: the repaint is there before the viewer is. */
		err = term__viewer_repaint(v, (flags & TERM_VIEWER_SCROLLBACK) ?
		    TERM_SNAP_SCROLLBACK : 0);
		if (err != 0 || v->stale) {
			free(v->bl);
			free(v);
			return (err != 0 ? err : -ENOMEM);
		}
	}
	v->next = s->viewers;
	if (s->viewers != NULL)
		s->viewers->prev = v;
	s->viewers = v;
	s->nviewers++;
	if ((flags & TERM_VIEWER_READONLY) == 0)
		s->active = v;
	s->last_active = uv_now(s->loop);
	uv_timer_stop(&s->idle);
	*out = v;
	term__session_enter(s);
	if ((flags & TERM_VIEWER_NO_REPAINT) == 0 && (s->ws != NULL ||
	    s->lost))
		(void)term__viewer_repaint(v, (flags & TERM_VIEWER_SCROLLBACK) ?
		    TERM_SNAP_SCROLLBACK : 0);
	term__viewer_flush(v);
	term__session_leave(s);
	return (0);
}

/* Input from a viewer. */
int
term_viewer_input(struct term_viewer *v, const void *buf, size_t len)
{
	struct term_session *s = v->s;
	int err;

	if (v->dead || s->closing || s->exited || s->src_closed)
		return (-EPIPE);
	if ((v->flags & TERM_VIEWER_READONLY) != 0)
		return (-EPERM);
	s->last_active = uv_now(s->loop);
	if (s->active != v) {
		s->active = v;
		err = session_apply_size(s, v->rows, v->cols);
		if (err != 0)
			return (err);
	}
	return (s->ops->write(s->src, buf, len));
}

/* A viewer's window changed. */
int
term_viewer_resize(struct term_viewer *v, int rows, int cols)
{
	struct term_session *s = v->s;

	if (v->dead || s->closing)
		return (-EPIPE);
	term_size_clamp(&rows, &cols);
	v->rows = rows;
	v->cols = cols;
	if ((v->flags & TERM_VIEWER_READONLY) != 0)
		return (0);
	s->active = v;
	return (session_apply_size(s, rows, cols));
}

/* The viewer's sink has room. */
void
term_viewer_writable(struct term_viewer *v)
{
	struct term_session *s = v->s;

	if (v->dead)
		return;
	term__session_enter(s);
	term__viewer_flush(v);
	term__session_leave(s);
}

/* Returns the viewer's backlog. */
size_t
term_viewer_backlog(const struct term_viewer *v)
{
	return (v->bl_len);
}

/* Detaches a viewer. */
void
term_viewer_detach(struct term_viewer *v)
{
	struct term_session *s = v->s;

	if (v->dead)
		return;
	term__session_enter(s);
	viewer_release(v);
	term__session_leave(s);
}
