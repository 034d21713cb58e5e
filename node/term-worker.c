/*
 * The node's side of the screen worker. The screen models (libvterm,
 * the filter in front of it, the snapshots) run in a process of their
 * own, the node's binary started again with TERM_WORKER_ARG, which drops
 * to nobody and a seccomp filter before it reads anything
 * (term-wmain.c). A fault in libvterm that program output reaches then
 * costs screen state, not the node.
 *
 * One worker serves every session of the node: a crash loses every
 * session's screen but each session goes on as a plain stream, and one
 * process costs less memory than one per session. The link is a
 * socketpair carrying frames, each a header of payload length (4 bytes),
 * screen id (4) and kind (1), in the host's byte order (both ends are
 * the same binary):
 *
 *	CREATE	rows, cols (2 each), sb_lines, sb_bytes (4 each)
 *	DATA	program output
 *	RESIZE	rows, cols (2 each)
 *	SNAP	tag, flags (4 each); the worker answers SNAP: tag, bytes
 *	FREE	(nothing)
 *	FAIL	worker to node: that screen failed (e.g. out of memory)
 *
 * Writes never wait: frames go to a buffer that one uv_write at a time
 * drains. Each screen's bytes in it are counted (a list of runs of
 * frames of one screen, in queue order, is taken off as writes finish):
 * past TERM_WORKER_HIGH the screen is full and its session pauses its
 * source until the count is below TERM_WORKER_LOW, so output goes at the
 * worker's speed, as it went at the node's when the screen model was
 * in-process; past TERM_WORKER_QUEUE_MAX (a source that does not pause
 * at once) the session gives the screen up (term_wscreen_feed says
 * -ENOBUFS). Because the socket is ordered, a snapshot describes the
 * screen after exactly the output queued before its request.
 *
 * A worker that makes no progress for TERM_WORKER_STALL_MS while the node
 * waits on it (a write unfinished, a snapshot unanswered: libvterm in an
 * endless loop) is killed. When the process dies (EOF, an error, its
 * exit), each of its screens hears lost_cb once. The next screen starts a new process, at most
 * TERM_WORKER_RESTARTS times in TERM_WORKER_WINDOW_MS, so a crash loop
 * cannot spin; past that, new sessions have no screen model.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "term.h"
#include "term-wire.h"

#define TW_IN_KEEP	(256 * 1024)	/* read buffer kept when empty */
#define TW_DELAY_MS	5		/* a small write waits */
#define TW_DELAY_BYTES	(16 * 1024)	/* unless the queue has this */
#define TW_STR_(x)	#x
#define TW_STR(x)	TW_STR_(x)	/* a macro's value as a string */

/* A run of queued frames of one screen. */
struct tw_run {
	uint32_t	id;
	uint32_t	len;
};

/* One worker process and its link. */
struct tw_proc {
	struct term_worker	*w;
	uv_process_t		 proc;
	uv_pipe_t		 pipe;
	uv_timer_t		 watch;	/* the stall watchdog */
	uv_timer_t		 delay;	/* a small write, a little later */
	uv_write_t		 wreq;
	int			 pid;
	int			 open;	/* handles not yet closed */
	uint64_t		 progress; /* loop time of the last */
	unsigned		 asked;	/* snapshots unanswered */
	struct tw_run		*runs;	/* queued and in flight, oldest */
	size_t			 run0;	/* first in use */
	size_t			 nruns;	/* past run0 */
	size_t			 runs_cap;
	unsigned		 dead:1;
	unsigned		 exited:1;
	unsigned		 writing:1;
	struct tw_buf		 out;	/* frames waiting */
	struct tw_buf		 fly;	/* the frames being written */
	struct tw_buf		 in;	/* what the worker sent */
};

struct term_worker {
	uv_loop_t		*loop;
	char			*exe;
	term_worker_log_cb	 log_cb;
	void			*log_arg;
	struct tw_proc		*cur;
	struct term_wscreen	*screens;
	size_t			 nscreens;
	uint32_t		 next_id;
	uint64_t		 starts[TERM_WORKER_RESTARTS];
	unsigned		 nstarts;
	unsigned		 deaths;
	unsigned		 nprocs; /* not yet freed */
	unsigned		 closing:1;
};

struct term_wscreen {
	struct term_worker	*w;
	struct tw_proc		*p;	/* NULL once lost */
	struct term_wscreen	*next;
	struct term_wscreen	*prev;
	uint32_t		 id;
	size_t			 queued; /* bytes not yet written */
	int			 full;
	struct term_wscreen_cbs	 cb;
};

static void proc_fail(struct tw_proc *, const char *);
static void tw_log(struct term_worker *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Logs a line through the owner's callback. */
static void
tw_log(struct term_worker *w, int warn, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (w->log_cb == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->log_cb(warn, msg, w->log_arg);
}

/* Frees the link once nothing refers to it. */
static void
worker_maybe_free(struct term_worker *w)
{
	if (!w->closing || w->nprocs > 0 || w->nscreens > 0)
		return;
	free(w->exe);
	free(w);
}

/* One of a process's handles is closed; the last frees it. */
static void
on_proc_handle_closed(uv_handle_t *h)
{
	struct tw_proc *p = h->data;
	struct term_worker *w = p->w;

	if (--p->open > 0)
		return;
	tw_buf_free(&p->out);
	tw_buf_free(&p->fly);
	tw_buf_free(&p->in);
	free(p->runs);
	free(p);
	w->nprocs--;
	worker_maybe_free(w);
}

/* The process exited. */
static void
on_proc_exit(uv_process_t *h, int64_t status, int sig)
{
	struct tw_proc *p = h->data;

	p->exited = 1;
	if (!p->dead) {
		tw_log(p->w, 1, "screen worker %d exited (status %lld, "
		    "signal %d)", p->pid, (long long)status, sig);
		proc_fail(p, NULL);
	}
	uv_close((uv_handle_t *)&p->proc, on_proc_handle_closed);
}

/* The process is of no more use: its screens are lost, it is killed. */
static void
proc_fail(struct tw_proc *p, const char *why)
{
	struct term_worker *w = p->w;
	struct term_wscreen *ws, *next;

	if (p->dead)
		return;
	p->dead = 1;
	w->deaths++;
	if (w->cur == p)
		w->cur = NULL;
	if (why != NULL)
		tw_log(w, 1, "screen worker %d: %s", p->pid, why);
	if (!p->exited)
		(void)uv_process_kill(&p->proc, SIGKILL);
	uv_read_stop((uv_stream_t *)&p->pipe);
	uv_close((uv_handle_t *)&p->pipe, on_proc_handle_closed);
	uv_close((uv_handle_t *)&p->watch, on_proc_handle_closed);
	uv_close((uv_handle_t *)&p->delay, on_proc_handle_closed);
	if (!w->closing)
		tw_log(w, 1, "screen worker %d is gone: the screen state of "
		    "%zu sessions is lost, they go on", p->pid, w->nscreens);
	for (ws = w->screens; ws != NULL; ws = next) {
		next = ws->next;
		if (ws->p != p)
			continue;
		ws->p = NULL;
		if (!w->closing && ws->cb.lost != NULL)
			ws->cb.lost(ws, ws->cb.arg);
	}
}

/* Starts writing what is queued, unless a write is under way. */
static void proc_flush(struct tw_proc *);
static struct term_wscreen *screen_find(struct tw_proc *, uint32_t);

/* Counts len bytes of screen id as queued. */
static int
runs_add(struct tw_proc *p, uint32_t id, size_t len)
{
	struct tw_run *r;
	size_t cap;

	if (p->nruns > 0 && p->runs[p->run0 + p->nruns - 1].id == id) {
		p->runs[p->run0 + p->nruns - 1].len += (uint32_t)len;
		return (0);
	}
	if (p->run0 + p->nruns == p->runs_cap) {
		if (p->run0 > 0) {
			memmove(p->runs, p->runs + p->run0,
			    p->nruns * sizeof(*r));
			p->run0 = 0;
		} else {
			cap = p->runs_cap ? p->runs_cap * 2 : 16;
			r = realloc(p->runs, cap * sizeof(*r));
			if (r == NULL)
				return (-ENOMEM);
			p->runs = r;
			p->runs_cap = cap;
		}
	}
	r = &p->runs[p->run0 + p->nruns++];
	r->id = id;
	r->len = (uint32_t)len;
	return (0);
}

/* done bytes were written: takes them off their screens' counts; a
 * full screen that falls below TERM_WORKER_LOW hears ready. */
static void
runs_written(struct tw_proc *p, size_t done)
{
	struct term_wscreen *ws;
	struct tw_run *r;
	size_t n;

	while (done > 0 && p->nruns > 0 && !p->dead) {
		r = &p->runs[p->run0];
		n = r->len < done ? r->len : done;
		r->len -= (uint32_t)n;
		done -= n;
		ws = screen_find(p, r->id);
		if (r->len == 0) {
			p->run0++;
			p->nruns--;
		}
		if (ws == NULL)
			continue;
		ws->queued -= n;
		if (ws->full && ws->queued < TERM_WORKER_LOW) {
			ws->full = 0;
			if (ws->cb.ready != NULL)
				ws->cb.ready(ws, ws->cb.arg);
		}
	}
	if (p->nruns == 0)
		p->run0 = 0;
}

/* The delay for a small write is over. */
static void
on_delay(uv_timer_t *t)
{
	proc_flush(t->data);
}

/* The watchdog: a worker the node waits on must make progress. */
static void
on_watch(uv_timer_t *t)
{
	struct tw_proc *p = t->data;

	if ((p->writing || p->asked > 0) &&
	    uv_now(p->w->loop) - p->progress >= TERM_WORKER_STALL_MS)
		proc_fail(p, "made no progress in "
		    TW_STR(TERM_WORKER_STALL_MS) " ms");
}

/* A write finished. */
static void
on_write(uv_write_t *req, int status)
{
	struct tw_proc *p = req->data;
	size_t done = p->fly.len;

	p->writing = 0;
	p->fly.len = 0;
	if (p->dead)
		return;
	if (status != 0) {
		proc_fail(p, uv_strerror(status));
		return;
	}
	p->progress = uv_now(p->w->loop);
	proc_flush(p);
	runs_written(p, done);
}

/* Swaps the queue into flight and writes it. */
static void
proc_flush(struct tw_proc *p)
{
	struct tw_buf t;
	uv_buf_t b;
	int err;

	if (p->writing || p->dead || p->out.len == 0)
		return;
	t = p->fly;
	p->fly = p->out;
	p->out = t;
	p->out.len = 0;
	b = uv_buf_init(p->fly.p, (unsigned)p->fly.len);
	p->wreq.data = p;
	err = uv_write(&p->wreq, (uv_stream_t *)&p->pipe, &b, 1, on_write);
	if (err != 0) {
		p->fly.len = 0;
		/* Not under one of our callers' loops: the screens hear it
		 * from the exit, which the kill brings. */
		(void)uv_process_kill(&p->proc, SIGKILL);
		return;
	}
	p->writing = 1;
}

/* Queues one frame of ws (NULL for one no longer counted); control
 * frames (data NULL) pass the bound. */
static int
proc_send(struct tw_proc *p, struct term_wscreen *ws, uint32_t id,
    int kind, const void *head, size_t hlen, const void *data, size_t dlen)
{
	unsigned char h[TW_HDR];
	size_t len = TW_HDR + hlen + dlen;

	if (p == NULL || p->dead)
		return (-EPIPE);
	if (data != NULL && ws != NULL &&
	    ws->queued + len > TERM_WORKER_QUEUE_MAX)
		return (-ENOBUFS);
	tw_put_hdr(h, (uint32_t)(hlen + dlen), id, kind);
	if (runs_add(p, ws != NULL ? id : 0, len) != 0)
		return (-ENOMEM);
	if (tw_buf_add(&p->out, h, TW_HDR) != 0 ||
	    tw_buf_add(&p->out, head, hlen) != 0 ||
	    tw_buf_add(&p->out, data, dlen) != 0) {
		/* The frame is half there: the stream is broken. */
		(void)uv_process_kill(&p->proc, SIGKILL);
		return (-ENOMEM);
	}
	if (ws != NULL) {
		ws->queued += len;
		if (ws->queued >= TERM_WORKER_HIGH)
			ws->full = 1;
	}
	if (kind == TW_SNAP)
		p->asked++;
	if (!p->writing && p->asked <= 1)
		p->progress = uv_now(p->w->loop);
	/* A few bytes (a keystroke's echo) wait TW_DELAY_MS, so waking the
	 * worker does not compete with the echo on its way to the viewer. */
	if (kind == TW_SNAP || p->out.len >= TW_DELAY_BYTES)
		proc_flush(p);
	else if (!uv_is_active((uv_handle_t *)&p->delay))
		(void)uv_timer_start(&p->delay, on_delay, TW_DELAY_MS, 0);
	return (0);
}

/* Finds a screen of this process by id. */
static struct term_wscreen *
screen_find(struct tw_proc *p, uint32_t id)
{
	struct term_wscreen *ws;

	for (ws = p->w->screens; ws != NULL; ws = ws->next)
		if (ws->id == id && ws->p == p)
			return (ws);
	return (NULL);
}

/* Acts on one frame from the worker. */
static void
proc_frame(struct tw_proc *p, uint32_t id, int kind, const unsigned char *b,
    size_t len)
{
	struct term_wscreen *ws = screen_find(p, id);

	if ((kind == TW_SNAP || kind == TW_FAIL) && p->asked > 0)
		p->asked--;	/* a FAIL may answer a SNAP */
	if (ws == NULL)
		return;		/* freed since */
	if (kind == TW_SNAP && len >= 4) {
		ws->cb.snap(ws, tw_get32(b), (const char *)b + 4, len - 4,
		    ws->cb.arg);
	} else if (kind == TW_FAIL) {
		tw_log(p->w, 1, "screen worker %d: screen %u failed", p->pid,
		    id);
		ws->p = NULL;
		if (ws->cb.lost != NULL)
			ws->cb.lost(ws, ws->cb.arg);
	}
}

/* Room for a read. */
static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct tw_proc *p = h->data;

	if (tw_buf_room(&p->in, 64 * 1024) != 0) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init(p->in.p + p->in.len,
	    (unsigned)(p->in.cap - p->in.len));
}

/* Bytes from the worker: whole frames are acted on. */
static void
on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct tw_proc *p = st->data;
	unsigned char *b;
	uint32_t len, id;
	size_t off = 0;
	int kind;

	if (n < 0) {
		proc_fail(p, n == UV_EOF ? "closed its end" : uv_strerror(
		    (int)n));
		return;
	}
	p->in.len += (size_t)n;
	p->progress = uv_now(p->w->loop);
	while (!p->dead && p->in.len - off >= TW_HDR) {
		b = (unsigned char *)p->in.p + off;
		tw_get_hdr(b, &len, &id, &kind);
		if (len > TW_REPLY_MAX) {
			proc_fail(p, "sent a frame too long");
			return;
		}
		if (p->in.len - off - TW_HDR < len)
			break;
		off += TW_HDR + len;
		proc_frame(p, id, kind, b + TW_HDR, len);
	}
	if (p->dead)
		return;
	memmove(p->in.p, p->in.p + off, p->in.len - off);
	p->in.len -= off;
	if (p->in.len == 0 && p->in.cap > TW_IN_KEEP)
		tw_buf_free(&p->in);	/* a big snapshot went through */
}

extern char **environ;

/* The worker's environment: the node's sanitizer and malloc options,
 * nothing else (no LD_PRELOAD, whose code would run before the filter
 * and die under it). Fills env (room for n) and returns it. */
static char **
worker_env(char **env, size_t n)
{
	static const char *const keep[] = { "ASAN_OPTIONS=", "UBSAN_OPTIONS=",
	    "LSAN_OPTIONS=", "MALLOC_PERTURB_=" };
	size_t i, k, m = 0;

	for (i = 0; environ != NULL && environ[i] != NULL; i++)
		for (k = 0; k < sizeof(keep) / sizeof(keep[0]); k++)
			if (m + 1 < n && strncmp(environ[i], keep[k],
			    strlen(keep[k])) == 0)
				env[m++] = environ[i];
	env[m] = NULL;
	return (env);
}

/* Returns 1 if another start is allowed now. */
static int
worker_may_start(struct term_worker *w)
{
	uint64_t now = uv_now(w->loop);

	if (w->nstarts < TERM_WORKER_RESTARTS)
		return (1);
	return (now - w->starts[w->nstarts % TERM_WORKER_RESTARTS] >=
	    TERM_WORKER_WINDOW_MS);
}

/* Starts a worker process. */
static int
worker_start(struct term_worker *w)
{
	uv_process_options_t o;
	uv_stdio_container_t io[3];
	char *args[3], *env[8];
	struct tw_proc *p;
	int sv[2], err;

	if (!worker_may_start(w))
		return (-EAGAIN);
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return (-ENOMEM);
	p->w = w;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		err = -errno;
		free(p);
		return (err);
	}
	memset(&o, 0, sizeof(o));
	memset(io, 0, sizeof(io));
	args[0] = w->exe;
	args[1] = TERM_WORKER_ARG;
	args[2] = NULL;
	io[0].flags = UV_INHERIT_FD;
	io[0].data.fd = sv[1];
	io[1].flags = UV_IGNORE;
	io[2].flags = UV_INHERIT_FD;
	io[2].data.fd = 2;
	o.file = w->exe;
	o.args = args;
	o.env = worker_env(env, sizeof(env) / sizeof(env[0]));
	o.stdio = io;
	o.stdio_count = 3;
	o.exit_cb = on_proc_exit;
	p->proc.data = p;
	p->pipe.data = p;
	p->watch.data = p;
	p->delay.data = p;
	w->nprocs++;
	err = uv_pipe_init(w->loop, &p->pipe, 0);
	if (err != 0) {
		(void)close(sv[0]);
		(void)close(sv[1]);
		w->nprocs--;
		free(p);
		return (err);
	}
	(void)uv_timer_init(w->loop, &p->watch);	/* cannot fail */
	(void)uv_timer_init(w->loop, &p->delay);
	err = uv_spawn(w->loop, &p->proc, &o);
	(void)close(sv[1]);
	if (err != 0) {
		(void)close(sv[0]);
		tw_log(w, 1, "screen worker: cannot start %s: %s", w->exe,
		    uv_strerror(err));
		p->open = 4;	/* the process handle is closed too */
		uv_close((uv_handle_t *)&p->watch, on_proc_handle_closed);
		uv_close((uv_handle_t *)&p->delay, on_proc_handle_closed);
		uv_close((uv_handle_t *)&p->pipe, on_proc_handle_closed);
		uv_close((uv_handle_t *)&p->proc, on_proc_handle_closed);
		return (err);
	}
	p->pid = p->proc.pid;
	p->open = 4;
	err = uv_pipe_open(&p->pipe, sv[0]);
	if (err != 0)
		(void)close(sv[0]);
	else
		err = uv_read_start((uv_stream_t *)&p->pipe, on_alloc,
		    on_read);
	if (err == 0)
		err = uv_timer_start(&p->watch, on_watch, 1000, 1000);
	if (err != 0) {
		proc_fail(p, uv_strerror(err));
		return (err);
	}
	w->starts[w->nstarts++ % TERM_WORKER_RESTARTS] = uv_now(w->loop);
	w->cur = p;
	tw_log(w, 0, "screen worker %d started", p->pid);
	return (0);
}

/* Makes a link. */
int
term_worker_new(uv_loop_t *loop, const char *exe, term_worker_log_cb log_cb,
    void *log_arg, struct term_worker **out)
{
	struct term_worker *w;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return (-ENOMEM);
	w->exe = strdup(exe != NULL ? exe : "/proc/self/exe");
	if (w->exe == NULL) {
		free(w);
		return (-ENOMEM);
	}
	w->loop = loop;
	w->log_cb = log_cb;
	w->log_arg = log_arg;
	w->next_id = 1;
	*out = w;
	return (0);
}

/* Stops the process; the link goes when nothing refers to it. */
void
term_worker_close(struct term_worker *w)
{
	if (w->closing)
		return;
	w->closing = 1;
	if (w->cur != NULL)
		proc_fail(w->cur, NULL);
	worker_maybe_free(w);
}

/* Returns the pid of the running process, 0 if none. */
int
term_worker_pid(const struct term_worker *w)
{
	return (w->cur != NULL ? w->cur->pid : 0);
}

/* Returns how many processes have died. */
unsigned
term_worker_deaths(const struct term_worker *w)
{
	return (w->deaths);
}

/* Makes a screen in the worker. */
int
term_wscreen_new(struct term_worker *w, int rows, int cols,
    size_t sb_lines, size_t sb_bytes, const struct term_wscreen_cbs *cbs,
    struct term_wscreen **out)
{
	struct term_wscreen *ws;
	unsigned char h[12];
	int err;

	*out = NULL;
	if (w->closing)
		return (-EPIPE);
	if (w->cur == NULL && (err = worker_start(w)) != 0)
		return (err);
	ws = calloc(1, sizeof(*ws));
	if (ws == NULL)
		return (-ENOMEM);
	ws->w = w;
	ws->p = w->cur;
	ws->id = w->next_id++;
	if (w->next_id == 0)
		w->next_id = 1;
	ws->cb = *cbs;
	tw_put16(h, (uint16_t)rows);
	tw_put16(h + 2, (uint16_t)cols);
	tw_put32(h + 4, sb_lines > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)sb_lines);
	tw_put32(h + 8, sb_bytes > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)sb_bytes);
	err = proc_send(ws->p, NULL, ws->id, TW_CREATE, h, sizeof(h), NULL,
	    0);
	if (err != 0) {
		free(ws);
		return (err);
	}
	ws->next = w->screens;
	if (w->screens != NULL)
		w->screens->prev = ws;
	w->screens = ws;
	w->nscreens++;
	*out = ws;
	return (0);
}

/* Queues output. */
int
term_wscreen_feed(struct term_wscreen *ws, const void *buf, size_t len)
{
	const char *b = buf;
	size_t n;
	int err;

	while (len > 0) {
		n = len < TW_DATA_MAX ? len : TW_DATA_MAX;
		err = proc_send(ws->p, ws, ws->id, TW_DATA, NULL, 0, b, n);
		if (err != 0)
			return (err);
		b += n;
		len -= n;
	}
	return (0);
}

/* Queues a resize. */
int
term_wscreen_resize(struct term_wscreen *ws, int rows, int cols)
{
	unsigned char h[4];

	tw_put16(h, (uint16_t)rows);
	tw_put16(h + 2, (uint16_t)cols);
	return (proc_send(ws->p, ws, ws->id, TW_RESIZE, h, sizeof(h), NULL,
	    0));
}

/* Asks for a snapshot. */
int
term_wscreen_snapshot(struct term_wscreen *ws, int flags, uint32_t tag)
{
	unsigned char h[8];

	tw_put32(h, tag);
	tw_put32(h + 4, (uint32_t)flags);
	return (proc_send(ws->p, ws, ws->id, TW_SNAP, h, sizeof(h), NULL,
	    0));
}

/* Returns whether the screen's queue is full. */
int
term_wscreen_full(const struct term_wscreen *ws)
{
	return (ws->full);
}

/* Frees a screen. */
void
term_wscreen_free(struct term_wscreen *ws)
{
	struct term_worker *w;

	if (ws == NULL)
		return;
	w = ws->w;
	if (ws->p != NULL)
		(void)proc_send(ws->p, NULL, ws->id, TW_FREE, NULL, 0, NULL,
		    0);
	if (ws->prev != NULL)
		ws->prev->next = ws->next;
	else
		w->screens = ws->next;
	if (ws->next != NULL)
		ws->next->prev = ws->prev;
	free(ws);
	w->nscreens--;
	worker_maybe_free(w);
}
