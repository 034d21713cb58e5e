/*
 * A terminal session's screen model (see term-session.c): a term_screen
 * in this process, or a screen in the node's screen worker
 * (term-worker.c), whose repaints come later; and what the session does
 * when the model is lost: it goes on as a plain stream, and each viewer
 * gets TERM_LOST_LINE once, in its place in the stream or where its
 * repaint would have been.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "term.h"
#include "term-sess.h"

/* Puts bytes before the backlog; on failure the viewer is stale. */
static void
viewer_prepend(struct term_viewer *v, const char *buf, size_t len)
{
	char *p;

	if (len == 0)
		return;
	p = malloc(len + v->bl_len);
	if (p == NULL) {
		free(v->bl);
		v->bl = NULL;
		v->bl_len = v->bl_cap = 0;
		v->stale = 1;
		return;
	}
	memcpy(p, buf, len);
	if (v->bl_len > 0)
		memcpy(p + len, v->bl, v->bl_len);
	free(v->bl);
	v->bl = p;
	v->bl_len = v->bl_cap = len + v->bl_len;
}

/* Puts TERM_LOST_LINE before the backlog, once per viewer. */
static void
viewer_tell_lost(struct term_viewer *v)
{
	if (v->told_lost)
		return;
	v->told_lost = 1;
	viewer_prepend(v, TERM_LOST_LINE, sizeof(TERM_LOST_LINE) - 1);
}

/* Starts a repaint before the backlog: at once from an in-process
 * screen, later (v->wait) from the worker, the lost line if neither. */
int
term__viewer_repaint(struct term_viewer *v, int flags)
{
	struct term_session *s = v->s;
	char *snap;
	size_t len;
	int err;

	if (s->lost) {
		viewer_tell_lost(v);
		return (0);
	}
	if (s->ws == NULL) {
		err = term_screen_snapshot(s->screen, flags, &snap, &len);
		if (err != 0)
			return (err);
		viewer_prepend(v, snap, len);
		free(snap);
		return (0);
	}
	if (++s->tag == 0)
		s->tag = 1;
	if (term_wscreen_snapshot(s->ws, flags, s->tag) != 0) {
		term__session_lose(s);	/* tells v too */
		return (0);
	}
	v->wait = s->tag;
	return (0);
}

/* A snapshot from the worker: it goes before what was kept. */
static void
on_snapshot(struct term_wscreen *ws, uint32_t tag, const char *buf,
    size_t len, void *arg)
{
	struct term_session *s = arg;
	struct term_viewer *v;

	term__session_enter(s);
	for (v = s->viewers; v != NULL; v = v->next) {
		if (v->dead || v->wait != tag)
			continue;
		v->wait = 0;
		viewer_prepend(v, buf, len);
		term__viewer_flush(v);
		break;
	}
	term__session_leave(s);
}

/* The worker lost the screen. */
static void
on_lost(struct term_wscreen *ws, void *arg)
{
	term__session_lose(arg);
}

/* The worker caught up: the source may go on. */
static void
on_ready(struct term_wscreen *ws, void *arg)
{
	struct term_session *s = arg;

	term__session_enter(s);
	term__session_leave(s);	/* runs session_flow */
}

/* The screen model is gone: the session goes on as a plain stream and
 * each viewer hears it once, in its place in the stream. */
void
term__session_lose(struct term_session *s)
{
	static const char line[] = TERM_LOST_LINE;
	struct term_viewer *v, *next;
	size_t n, len = sizeof(line) - 1;

	if (s->lost)
		return;
	s->lost = 1;
	term_wscreen_free(s->ws);
	s->ws = NULL;
	term_screen_free(s->screen);
	s->screen = NULL;
	term__session_enter(s);
	for (v = s->viewers; v != NULL; v = next) {
		next = v->next;
		if (v->dead)
			continue;
		if (v->wait != 0 || v->rewait) {
			/* The kept bytes follow the line. */
			v->wait = 0;
			v->rewait = 0;
			viewer_tell_lost(v);
			term__viewer_flush(v);
		} else if (!v->stale) {
			v->told_lost = 1;
			n = 0;
			if (v->bl_len == 0)
				n = term__viewer_send(v, line, len);
			if (!v->dead)
				term__viewer_queue(v, line + n, len - n);
		}	/* a stale viewer hears it when it has room */
	}
	term__session_leave(s);
}

/* Feeds output to the screen model, wherever it is. */
void
term__session_feed(struct term_session *s, const char *buf, size_t len)
{
	if (s->screen != NULL)
		term_screen_feed(s->screen, buf, len);
	else if (s->ws != NULL && term_wscreen_feed(s->ws, buf, len) != 0)
		term__session_lose(s);
}

/* Makes the session's screen model. */
int
term__session_model_new(struct term_session *s)
{
	struct term_wscreen_cbs cbs;

	if (s->o.worker == NULL)
		return (term_screen_new(&s->screen, s->rows, s->cols,
		    s->o.sb_lines, s->o.sb_bytes));
	if (term_size_check(s->rows, s->cols) != 0)
		return (-EINVAL);
	cbs.snap = on_snapshot;
	cbs.lost = on_lost;
	cbs.ready = on_ready;
	cbs.arg = s;
	/* No worker to be had (restarts spent): a plain stream. */
	if (term_wscreen_new(s->o.worker, s->rows, s->cols, s->o.sb_lines,
	    s->o.sb_bytes, &cbs, &s->ws) != 0)
		s->lost = 1;
	return (0);
}

/* Returns the screen's size. */
void
term_session_size(const struct term_session *s, int *rows, int *cols)
{
	*rows = s->rows;
	*cols = s->cols;
}

/* Resizes the screen model. */
int
term_session_resize(struct term_session *s, int rows, int cols)
{
	int err = 0;

	if (term_size_check(rows, cols) != 0)
		return (-EINVAL);
	if (s->screen != NULL)
		err = term_screen_resize(s->screen, rows, cols);
	else if (s->ws != NULL && term_wscreen_resize(s->ws, rows, cols) != 0)
		term__session_lose(s);
	if (err != 0)
		return (err);
	s->rows = rows;
	s->cols = cols;
	return (0);
}

/* Returns whether the screen model is lost. */
int
term_session_lost(const struct term_session *s)
{
	return (s->lost);
}
