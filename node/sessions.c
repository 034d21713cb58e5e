/*
 * The node's terminal sessions: a table owned by struct node (not by a
 * connection, so a session outlives the client that opened it), and the
 * glue between a session's viewers and overlay channels.
 *
 * Each attached channel is one viewer. Output goes out as STDOUT frames
 * while the channel's queue takes them; when it is full the viewer's
 * backlog holds the rest, and past its bound the viewer gets a fresh
 * repaint instead (term-session.c), so a stalled client costs the node
 * a bounded amount. Input comes in as STDIN frames; when the process's
 * input queue is full the channel is paused and the rest of the record
 * held (at most one record) until a retry finds room, so a client that
 * pastes a gigabyte is slowed down by credit, not buffered. RESIZE
 * frames resize; closing the channel detaches and leaves the session.
 * When the session ends, each viewer gets EXIT (or ERROR) and a FIN.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "node.h"

#define VIEW_FRAME_MAX	16384	/* payload bytes per STDOUT frame */
#define VIEW_RETRY_MS	2	/* input retry while the queue is full */
#define VIEW_INPUT_PIECE 16384	/* input bytes per write to the process */

/* One channel attached to a session. */
struct node_view {
	struct ovl_chan		*ch;	/* NULL once closed */
	struct term_viewer	*tv;	/* NULL once ended or detached */
	struct proto_fdec	 fdec;
	char			*held;	/* input waiting for room */
	size_t			 held_len;
	uv_timer_t		 retry;
	int			 sending;	/* inside view_send */
	int			 drained;	/* a drain came meanwhile */
};

static void	view_on_data(struct ovl_chan *, const uint8_t *, size_t,
		    void *);
static void	view_on_drain(struct ovl_chan *, void *);
static void	view_on_close(struct ovl_chan *, int, void *);
static size_t	view_send(struct term_viewer *, const char *, size_t,
		    void *);
static void	view_ended(struct term_viewer *, int, int64_t, int, void *);

static const struct ovl_chan_cbs view_chan_cbs = {
	.on_data = view_on_data,
	.on_drain = view_on_drain,
	.on_close = view_on_close,
};

static const struct term_viewer_ops view_ops = {
	.send = view_send,
	.ended = view_ended,
};

/* Offers output to the channel as STDOUT frames; returns bytes taken. */
static size_t
view_send(struct term_viewer *tv, const char *buf, size_t len, void *arg)
{
	struct node_view	*v = arg;
	uint8_t			 frame[PROTO_FRAME_HDR + VIEW_FRAME_MAX];
	size_t			 done = 0, n;

	if (v->ch == NULL || v->sending)
		return (0);
	v->sending = 1;
	v->drained = 0;
	while (done < len && v->ch != NULL) {
		n = len - done;
		if (n > VIEW_FRAME_MAX)
			n = VIEW_FRAME_MAX;
		proto_frame_hdr(frame, PROTO_FRAME_STDOUT, (uint32_t)n);
		memcpy(frame + PROTO_FRAME_HDR, buf + done, n);
		if (ovl_chan_write(v->ch, frame, PROTO_FRAME_HDR + n) != 0) {
			if (!v->drained)
				break;
			v->drained = 0;	/* it emptied meanwhile: again */
			continue;
		}
		done += n;
	}
	v->sending = 0;
	return (done);
}

/* Sends an ERROR frame with code and message. */
static int
view_send_error(struct node_view *v, int code, const char *msg)
{
	uint8_t	*frame;
	char	*body;
	json_t	*o;	/* owned */
	size_t	 len;
	int	 err;

	o = json_pack("{s:i, s:s, s:s}", "code", code, "name",
	    proto_err_name(code), "message", msg);
	if (o == NULL)
		return (-ENOMEM);
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (body == NULL)
		return (-ENOMEM);
	len = strlen(body);
	if (len > PROTO_FRAME_CTL_MAX)
		len = PROTO_FRAME_CTL_MAX;	/* messages are short */
	frame = malloc(PROTO_FRAME_HDR + len);
	if (frame == NULL) {
		free(body);
		return (-ENOMEM);
	}
	proto_frame_hdr(frame, PROTO_FRAME_ERROR, (uint32_t)len);
	memcpy(frame + PROTO_FRAME_HDR, body, len);
	err = ovl_chan_write(v->ch, frame, PROTO_FRAME_HDR + len);
	free(frame);
	free(body);
	return (err);
}

/* The session ended: the last frame, then FIN. */
static void
view_ended(struct term_viewer *tv, int err, int64_t status, int sig,
    void *arg)
{
	struct node_view	*v = arg;
	struct node_session_entry *ns = NULL;
	uint8_t			 frame[PROTO_FRAME_HDR + 4];
	const char		*why;
	int			 rc;

	v->tv = NULL;
	if (v->ch == NULL)
		return;
	ns = ovl_chan_data(v->ch);
	why = ns != NULL ? ns->error : NULL;
	if (why == NULL && ns != NULL && ns->x != NULL)
		why = term_exec_error(ns->x);
	if (err == -ECANCELED)
		rc = view_send_error(v, PROTO_E_CANCELLED, why != NULL ? why :
		    "the session was ended on the node (session.kill or "
		    "pierd stopping)");
	else if (why != NULL)
		rc = view_send_error(v, PROTO_E_DOCKER, why);
	else {
		if (sig != 0)
			status = 128 + sig;
		proto_frame_hdr(frame, PROTO_FRAME_EXIT, 4);
		proto_frame_exit(frame + PROTO_FRAME_HDR, (int32_t)status);
		rc = ovl_chan_write(v->ch, frame, sizeof(frame));
	}
	ovl_chan_set_data(v->ch, NULL);
	if (rc != 0 || ovl_chan_close(v->ch) != 0)
		ovl_chan_reset(v->ch);
}

/* The channel has room again. */
static void
view_on_drain(struct ovl_chan *ch, void *arg)
{
	struct node_view	*v = arg;

	if (v->sending) {
		/* Inside our own write: the sender goes on by itself. */
		v->drained = 1;
		return;
	}
	if (v->tv != NULL)
		term_viewer_writable(v->tv);
}

/* Gives input to the process in pieces; returns the bytes it took. */
static size_t
view_input(struct node_view *v, const uint8_t *buf, size_t len)
{
	size_t	done = 0, n;
	int	err;

	while (done < len && v->tv != NULL) {
		n = len - done > VIEW_INPUT_PIECE ? VIEW_INPUT_PIECE :
		    len - done;
		err = term_viewer_input(v->tv, buf + done, n);
		if (err == -ENOBUFS)
			break;
		done += n;	/* taken, or refused for good: dropped */
	}
	return (done);
}

/* Tries the held input again; resumes the channel once it went. */
static void
view_on_retry(uv_timer_t *t)
{
	struct node_view	*v = container_of(t, struct node_view, retry);
	size_t			 n;

	if (v->held_len == 0)
		return;
	n = v->tv != NULL ? view_input(v, (const uint8_t *)v->held,
	    v->held_len) : v->held_len;
	memmove(v->held, v->held + n, v->held_len - n);
	v->held_len -= n;
	if (v->held_len > 0) {
		(void)uv_timer_start(&v->retry, view_on_retry, VIEW_RETRY_MS,
		    0);
		return;
	}
	free(v->held);
	v->held = NULL;
	if (v->ch != NULL)
		ovl_chan_resume(v->ch);
}

/* Holds input the process could not take yet. */
static int
view_hold(struct node_view *v, const uint8_t *data, size_t len)
{
	char	*p;

	p = realloc(v->held, v->held_len + len);
	if (p == NULL)
		return (-ENOMEM);
	memcpy(p + v->held_len, data, len);
	v->held = p;
	if (v->held_len == 0) {
		ovl_chan_pause(v->ch);
		(void)uv_timer_start(&v->retry, view_on_retry, VIEW_RETRY_MS,
		    0);
	}
	v->held_len += len;
	return (0);
}

/* One frame from the client. */
static int
view_frame(void *arg, enum proto_frame type, const uint8_t *data,
    size_t len)
{
	struct node_view	*v = arg;
	unsigned		 rows, cols;
	size_t			 n;

	if (v->tv == NULL)
		return (0);
	switch (type) {
	case PROTO_FRAME_STDIN:
		/* Refused input (read-only, ended) is dropped. */
		n = v->held_len == 0 ? view_input(v, data, len) : 0;
		if (n < len)
			return (view_hold(v, data + n, len - n));
		return (0);
	case PROTO_FRAME_RESIZE:
		if (proto_frame_resize_parse(data, len, &rows, &cols) != 0)
			return (-EPROTO);
		if (rows > TERM_MAX_ROWS)
			rows = TERM_MAX_ROWS;
		if (cols > TERM_MAX_COLS)
			cols = TERM_MAX_COLS;
		if (cols < TERM_MIN_COLS)
			cols = TERM_MIN_COLS;
		if (term_viewer_resize(v->tv, (int)rows, (int)cols) != 0)
			return (0);	/* a size the screen refuses: ignored */
		return (0);
	default:
		return (0);	/* not for this direction: ignored */
	}
}

/* Bytes from the client: frames; FIN detaches. */
static void
view_on_data(struct ovl_chan *ch, const uint8_t *buf, size_t len, void *arg)
{
	struct node_view	*v = arg;

	if (len == 0) {
		if (v->tv != NULL) {
			term_viewer_detach(v->tv);
			v->tv = NULL;
		}
		ovl_chan_set_data(ch, NULL);
		(void)ovl_chan_close(ch);
		return;
	}
	if (proto_fdec_feed(&v->fdec, buf, len, view_frame, v) != 0)
		ovl_chan_reset(ch);
}

/* The view's timer is closed: free it. */
static void
view_free(uv_handle_t *h)
{
	struct node_view *v = container_of((uv_timer_t *)h, struct node_view,
	    retry);

	free(v->held);
	free(v);
}

/* The channel ended (client detached, gone, or after the end). */
static void
view_on_close(struct ovl_chan *ch, int status, void *arg)
{
	struct node_view	*v = arg;

	v->ch = NULL;
	if (v->tv != NULL) {
		term_viewer_detach(v->tv);
		v->tv = NULL;
	}
	uv_close((uv_handle_t *)&v->retry, view_free);
}

/* Attaches a channel as a viewer; on failure the channel is reset. */
int
node_session_attach(struct node_session_entry *ns, struct ovl_chan *ch,
    int flags, int rows, int cols)
{
	struct node_view	*v;
	int			 err;

	if (ns->closing || !ns->running) {
		ovl_chan_reset(ch);
		return (-EPIPE);
	}
	v = calloc(1, sizeof(*v));
	if (v == NULL) {
		ovl_chan_reset(ch);
		return (-ENOMEM);
	}
	err = uv_timer_init(ns->n->loop, &v->retry);
	if (err != 0) {
		free(v);
		ovl_chan_reset(ch);
		return (err);
	}
	v->ch = ch;
	proto_fdec_init(&v->fdec);
	ovl_chan_set_cbs(ch, &view_chan_cbs, v);
	ovl_chan_set_data(ch, ns);
	if (cols < TERM_MIN_COLS)
		cols = TERM_MIN_COLS;
	err = term_viewer_attach(ns->ts, &view_ops, v, flags, rows, cols,
	    &v->tv);
	if (err != 0) {
		v->tv = NULL;
		ovl_chan_reset(ch);	/* view_on_close frees v */
		return (err);
	}
	ovl_chan_resume(ch);
	return (0);
}

/* Makes a random session id that no session has. */
static void
session_id(struct node *n, char *out)
{
	uint8_t			 b[NODE_SESSION_ID_LEN / 2];
	struct node_session_entry *ns;

	do {
		randombytes_buf(b, sizeof(b));
		sodium_bin2hex(out, NODE_SESSION_ID_LEN + 1, b, sizeof(b));
		for (ns = n->sess.head; ns != NULL; ns = ns->next)
			if (strcmp(ns->id, out) == 0)
				break;
	} while (ns != NULL);
}

/* Sessions the node holds at most. */
size_t
node_sessions_max(const struct node *n)
{
	return (n->sess.max != 0 ? n->sess.max : NODE_SESSIONS_MAX);
}

/* Adds a session to the node's table. */
int
node_session_new(struct node *n, enum node_session_kind kind,
    const char *target, struct node_session_entry **out)
{
	struct node_session_entry *ns;

	*out = NULL;
	if (n->sess.closing)
		return (-ECANCELED);
	if (n->sess.n >= node_sessions_max(n))
		return (-EMFILE);
	ns = calloc(1, sizeof(*ns));
	if (ns == NULL)
		return (-ENOMEM);
	ns->target = strdup(target != NULL ? target : "");
	if (ns->target == NULL) {
		free(ns);
		return (-ENOMEM);
	}
	ns->n = n;
	ns->kind = kind;
	ns->started = (int64_t)time(NULL);
	session_id(n, ns->id);
	ns->next = n->sess.head;
	n->sess.head = ns;
	n->sess.n++;
	*out = ns;
	return (0);
}

/* Sets the command shown in lists. */
void
node_session_set_cmd(struct node_session_entry *ns, char *const *argv)
{
	size_t	 i, len = 0;
	char	*s;

	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len + 1);
	if (s == NULL)
		return;
	for (i = 0; argv != NULL && argv[i] != NULL; i++) {
		if (i > 0)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	free(ns->cmd);
	ns->cmd = s;
}

/* Unlinks and frees a session; the last one may finish a node close. */
static void
session_free(struct node_session_entry *ns)
{
	struct node		*n = ns->n;
	struct node_session_entry **pp;

	for (pp = &n->sess.head; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == ns) {
			*pp = ns->next;
			n->sess.n--;
			break;
		}
	}
	free(ns->target);
	free(ns->cmd);
	free(ns->error);
	free(ns);
	if (n->sess.closing && n->sess.n == 0 && n->sess.done != NULL) {
		n->sess.done(n);
		n->sess.done = NULL;
	}
}

/* The term session is freed. */
static void
on_ts_closed(struct term_session *ts, void *arg)
{
	session_free(arg);
}

/* The process ended and every viewer knows, or idle too long. */
static void
on_ts_end(struct term_session *ts, int err, int64_t status, int sig,
    void *arg)
{
	struct node_session_entry *ns = arg;

	ns->running = 0;
	if (err == -ETIMEDOUT)
		node_log(&ns->n->log, NODE_LOG_INFO, "session %s (%s) ended "
		    "after its idle time with no viewer", ns->id, ns->target);
	else
		node_log(&ns->n->log, NODE_LOG_DEBUG, "session %s (%s) "
		    "ended: status %lld, signal %d", ns->id, ns->target,
		    (long long)status, sig);
	node_session_close(ns);
}

/* A line from the screen worker's link for the node's log. */
static void
on_worker_log(int warn, const char *msg, void *arg)
{
	struct node *n = arg;

	node_log(&n->log, warn ? NODE_LOG_WARN : NODE_LOG_INFO, "%s", msg);
}

/* The options every session's term_session gets. */
void
node_session_opts(struct node_session_entry *ns, struct term_session_opts *o,
    int rows, int cols)
{
	struct node	*n = ns->n;

	memset(o, 0, sizeof(*o));
	/* Without a link (out of memory) the screen stays in-process. */
	if (n->sess.worker == NULL && n->screen_exe != NULL &&
	    !n->sess.closing && term_worker_new(n->loop, n->screen_exe,
	    on_worker_log, n, &n->sess.worker) != 0)
		n->sess.worker = NULL;
	o->worker = n->sess.worker;
	o->rows = rows;
	o->cols = cols < TERM_MIN_COLS ? TERM_MIN_COLS : cols;
	o->sb_lines = NODE_SESSION_SB_LINES;
	o->sb_bytes = TERM_SB_BYTES;
	o->idle_ms = ns->n->session_idle_ms;	/* 0: TERM_IDLE_MS */
	o->end_cb = on_ts_end;
	o->arg = ns;
}

/* Ends a session: the process, the viewers, then the entry. */
void
node_session_close(struct node_session_entry *ns)
{
	if (ns->closing)
		return;
	ns->closing = 1;
	ns->running = 0;
	if (ns->ts != NULL)
		term_session_close(ns->ts, on_ts_closed, ns);
	else
		session_free(ns);
}

/* Finds a session by id or unique prefix. */
struct node_session_entry *
node_session_find(struct node *n, const char *id)
{
	struct node_session_entry *ns, *found = NULL;
	size_t			 len = strlen(id), matches = 0;

	if (len == 0)
		return (NULL);
	for (ns = n->sess.head; ns != NULL; ns = ns->next) {
		if (ns->closing)
			continue;
		if (strcmp(ns->id, id) == 0)
			return (ns);
		if (strncmp(ns->id, id, len) == 0) {
			found = ns;
			matches++;
		}
	}
	return (matches == 1 ? found : NULL);
}

/* The name of a kind. */
static const char *
kind_name(enum node_session_kind k)
{
	switch (k) {
	case NODE_SESSION_SHELL:
		return ("shell");
	case NODE_SESSION_EXEC:
		return ("exec");
	default:
		return ("docker");
	}
}

/* A session for session.list. */
json_t *
node_session_json(const struct node_session_entry *ns)
{
	uint64_t	now = uv_now(ns->n->loop), last = now;
	size_t		viewers = 0;
	int		rows = 0, cols = 0;

	if (ns->ts != NULL) {
		viewers = term_session_viewers(ns->ts);
		last = term_session_last_active(ns->ts);
		term_session_size(ns->ts, &rows, &cols);
	}
	return (json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:b, s:i, "
	    "s:i}", "id", ns->id, "kind", kind_name(ns->kind), "target",
	    ns->target, "cmd", ns->cmd != NULL ? ns->cmd : "",
	    "started", (json_int_t)ns->started,
	    "viewers", (json_int_t)viewers,
	    "idle", (json_int_t)((now > last ? now - last : 0) / 1000),
	    "running", ns->running, "rows", rows, "cols", cols));
}

/* Resizes as a RESIZE frame would. */
int
node_session_resize(struct node_session_entry *ns, int rows, int cols)
{
	int	err;

	if (ns->ts == NULL || !ns->running)
		return (-EPIPE);
	if (ns->x == NULL)
		return (-ENOTSUP);	/* a local PTY: only viewers resize */
	err = term_session_resize(ns->ts, rows, cols);
	if (err == 0)
		err = term_exec_ops.resize(ns->x, rows, cols);
	return (err);
}

/* Closes every session; done runs once all are freed. */
void
node_sessions_close(struct node *n, void (*done)(struct node *))
{
	struct node_session_entry *ns, *next;

	n->sess.closing = 1;
	n->sess.done = done;
	if (n->sess.worker != NULL) {
		/* Freed once the last session's screen is. */
		term_worker_close(n->sess.worker);
		n->sess.worker = NULL;
	}
	if (n->sess.n == 0) {
		n->sess.done = NULL;
		if (done != NULL)
			done(n);
		return;
	}
	for (ns = n->sess.head; ns != NULL; ns = next) {
		next = ns->next;
		node_session_close(ns);
	}
}
