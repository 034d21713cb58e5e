/*
 * Internals of a terminal session shared by term-session.c (viewers,
 * flow control, the source) and term-model.c (its screen model, in this
 * process or in the screen worker, and what happens when it is lost).
 */
#ifndef PIER_TERM_SESS_H
#define PIER_TERM_SESS_H

#include "term.h"

/* One viewer. */
struct term_viewer {
	struct term_session		*s;
	struct term_viewer		*next;	/* live list */
	struct term_viewer		*prev;
	struct term_viewer		*grave;	/* to be freed */
	const struct term_viewer_ops	*ops;
	void				*arg;
	int				 flags;
	int				 rows;
	int				 cols;
	char				*bl;	/* backlog */
	size_t				 bl_len;
	size_t				 bl_cap;
	uint32_t			 wait;	/* snapshot tag awaited */
	unsigned			 rewait:1; /* ask again, it fell behind */
	unsigned			 told_lost:1;
	unsigned			 stale:1;  /* repaint on writable */
	unsigned			 ending:1; /* ended once drained */
	unsigned			 dead:1;
};

/* A session: its source, screen model and viewers. */
struct term_session {
	uv_loop_t			*loop;
	uv_timer_t			 idle;
	struct term_screen		*screen; /* in-process, or */
	struct term_wscreen		*ws;	/* in the worker, or neither */
	int				 rows;
	int				 cols;
	uint32_t			 tag;	/* of the last snapshot asked */
	const struct term_source_ops	*ops;
	void				*src;
	struct term_viewer		*viewers;
	struct term_viewer		*grave;
	struct term_viewer		*active;
	size_t				 nviewers;
	struct term_session_opts	 o;
	uint64_t			 last_active;
	int				 busy;
	int64_t				 status;
	int				 term_signal;
	unsigned			 exited:1;
	unsigned			 lost:1;	/* no screen model */
	unsigned			 told:1;	/* end_cb called */
	unsigned			 paused:1;
	unsigned			 closing:1;
	unsigned			 src_closed:1;
	unsigned			 timer_closed:1;
	term_session_close_cb		 close_cb;
	void				*close_arg;
};

/* term-session.c */

/* Marks the start of work that may call out. */
void term__session_enter(struct term_session *s);
/* Ends work that may have called out: frees released viewers. */
void term__session_leave(struct term_session *s);
/* Offers bytes to the sink; returns how many it took. */
size_t term__viewer_send(struct term_viewer *v, const char *buf,
    size_t len);
/* Appends to a viewer's backlog; past the bound, drops it for a repaint. */
void term__viewer_queue(struct term_viewer *v, const char *buf, size_t len);
/* Sends the backlog (a repaint first if stale) while the sink takes it. */
void term__viewer_flush(struct term_viewer *v);

/* term-model.c */

/* Makes the session's screen model: in-process, or in o.worker. */
int term__session_model_new(struct term_session *s);
/* Starts a repaint before the backlog (v->wait while the worker's is
 * on its way); -ENOMEM from an in-process screen. */
int term__viewer_repaint(struct term_viewer *v, int flags);
/* The screen model is gone: a plain stream from now on. */
void term__session_lose(struct term_session *s);
/* Feeds output to the screen model, wherever it is. */
void term__session_feed(struct term_session *s, const char *buf,
    size_t len);

#endif
