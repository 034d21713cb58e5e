/*
 * logs.select's run: one engine log stream per selected container (with
 * timestamps), their lines filtered by the pattern where the logs are,
 * merged by time and written to one JSON-lines channel.
 *
 * Merging. Each container's lines wait in its own queue, in the order
 * the engine sent them. The head of every queue is a candidate and the
 * oldest goes first. Without follow a line goes only once every
 * container still streaming has one queued (or has ended): that is an
 * exact merge of the engine's history. With follow a quiet container
 * would hold the others forever, so a line also goes once it has waited
 * LSEL_WINDOW_MS: a line that reaches the node later than that behind
 * a newer one of another container comes out of order. The engine
 * stamps a line when it reads it from the container, and hands it on
 * within a millisecond or so, so 100 ms is far beyond that and short
 * enough for a person watching.
 *
 * Back-pressure. Encoded lines gather into a buffer written to the
 * channel after each loop turn's reads (a check handle) or when 64 KiB
 * are gathered. When the channel refuses it (its queue is at its bound
 * because the client's credit ran out) the buffer is held and nothing
 * more is merged until the channel drains; a container's queue that
 * passes LSEL_QUEUE_MAX bytes pauses its Docker stream, so the engine's
 * bytes wait in its socket. A slow client so costs the node at most the
 * buffer, a queue per container and one read per stream.
 *
 * Memory: the run, per container its two partial lines (20 KiB), its
 * queue and, with --context, at most LSEL_RING_MAX bytes of lines kept
 * before a match (fewer lines of context when they are long); the
 * records are freed as they are sent.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logsel-int.h"

#define LSEL_OUT_FLUSH	(64u * 1024)	/* write when this much gathered */
#define LSEL_OUT_CAP	(LSEL_OUT_FLUSH + NODE_LSEL_JSON_MAX)
#define LSEL_KIND_LEAVE	0xff		/* a record that ends a container */

static void	lsel_flush(struct lsel_run *);

/* The realtime clock in ns. */
int64_t
lsel_now_ns(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec);
}

/* Frees a container, its queue and its context lines. */
static void
lsel_ctr_free(struct lsel_run *run, struct lsel_ctr *c)
{
	struct node_lsel_rec	*r;
	size_t			 i;

	while ((r = c->head) != NULL) {
		c->head = r->next;
		free(r);
	}
	for (i = 0; i < c->nring; i++)
		free(c->ring[(c->ring0 + i) % run->context]);
	free(c->ring);
	free(c);
}

/* A handle is closed: the run goes with the last one. */
static void
lsel_closed(uv_handle_t *h)
{
	struct lsel_run		*run = h->data;
	struct lsel_ctr		*c;

	if (--run->handles > 0)
		return;
	while ((c = run->ctrs) != NULL) {
		run->ctrs = c->next;
		lsel_ctr_free(run, c);
	}
	node_lsel_grep_free(run->grep);
	json_decref(run->filters);
	json_decref(run->ids);
	json_decref(run->want);
	free(run->out);
	free(run);
}

/* Frees the run once nothing holds it. */
void
lsel_maybe_free(struct lsel_run *run)
{
	if (run->ch != NULL || run->nlive > 0 || run->ev != NULL ||
	    run->req != NULL || run->njoin > 0 || run->closing)
		return;
	run->closing = 1;
	node_log(&run->n->log, NODE_LOG_INFO, "%s: stream freed (%llu lines "
	    "read, %llu sent)", run->label, (unsigned long long)run->lines,
	    (unsigned long long)run->sent);
	uv_close((uv_handle_t *)&run->window, lsel_closed);
	uv_close((uv_handle_t *)&run->retry, lsel_closed);
	uv_close((uv_handle_t *)&run->check, lsel_closed);
}

/* Appends raw bytes (a line already encoded) to the output. */
static void
lsel_out(struct lsel_run *run, const char *buf, size_t len)
{
	if (run->ch == NULL || run->ended || len > LSEL_OUT_CAP - run->out_len)
		return;
	memcpy(run->out + run->out_len, buf, len);
	run->out_len += len;
	if (run->out_len >= LSEL_OUT_FLUSH)
		lsel_flush(run);
}

/* Appends a JSON object (stolen) as a line. */
static void
lsel_out_json(struct lsel_run *run, json_t *o)
{
	char	*buf;
	size_t	 len;

	if (o == NULL)
		return;
	if (proto_line_encode(o, &buf, &len) == 0) {
		lsel_out(run, buf, len);
		free(buf);
	}
	json_decref(o);
}

/* Writes the gathered output; held when the channel refuses it. */
static void
lsel_flush(struct lsel_run *run)
{
	int	err;

	if (run->out_len == 0 || run->ch == NULL || run->blocked)
		return;
	err = ovl_chan_write(run->ch, run->out, run->out_len);
	if (err == -ENOBUFS) {
		run->blocked = 1;
		return;
	}
	run->out_len = 0;
	if (err != 0)
		ovl_chan_reset(run->ch);
}

/* Writes an engine line: {"t", "ev": "engine", "why"}. */
void
lsel_engine_line(struct lsel_run *run, const char *why)
{
	lsel_out_json(run, json_pack("{s:I, s:s, s:s}", "t",
	    (json_int_t)lsel_now_ns(), "ev", "engine", "why", why));
	lsel_flush(run);
}

/* Ends the run with an error line and FIN. */
void
lsel_fail(struct lsel_run *run, int code, const char *msg)
{
	if (run->ended || run->ch == NULL)
		return;
	lsel_out_json(run, json_pack("{s:{s:i, s:s, s:s}}", "error", "code",
	    code, "name", proto_err_name(code), "message", msg));
	run->ended = 1;
	lsel_flush(run);
	if (!run->blocked && ovl_chan_close(run->ch) != 0)
		ovl_chan_reset(run->ch);
}

/* Queues a record on a container. */
static void
lsel_enqueue(struct lsel_ctr *c, struct node_lsel_rec *r)
{
	struct lsel_run	*run = c->run;

	r->next = NULL;
	r->arrived = uv_now(run->n->loop);
	if (c->tail != NULL)
		c->tail->next = r;
	else {
		c->head = r;
		if (c->s != NULL && run->nwaiting > 0)
			run->nwaiting--;
	}
	c->tail = r;
	c->qbytes += sizeof(*r) + r->len;
}

/* A new record of a line (NULL when out of memory). */
static struct node_lsel_rec *
lsel_rec(int64_t t, int kind, const char *line, size_t len)
{
	struct node_lsel_rec	*r;

	r = malloc(sizeof(*r) + len);
	if (r == NULL)
		return (NULL);
	r->t = t;
	r->kind = (uint8_t)kind;
	r->ctx = 0;
	r->len = (uint32_t)len;
	memcpy(r->line, line, len);
	return (r);
}

/* The line callback's context: a container and the kind being split. */
struct lsel_feed {
	struct lsel_ctr	*c;
	int		 kind;
};

/* One line of a container: deduplicated, filtered, queued. */
static int
lsel_on_line(void *arg, int64_t t, const char *line, size_t len)
{
	struct lsel_feed	*f = arg;
	struct lsel_ctr		*c = f->c;
	struct lsel_run		*run = c->run;
	struct node_lsel_rec	*r;
	size_t			 i, n = run->context;
	int			 hit;

	if (t < c->skip_t || (t == c->skip_t && c->skip_n > 0)) {
		if (t == c->skip_t)
			c->skip_n--;
		return (0);	/* sent before the engine went away */
	}
	if (t == c->last_t)
		c->n_at_last++;
	else if (t > c->last_t) {
		c->last_t = t;
		c->n_at_last = 1;
	}
	run->lines++;
	hit = run->grep == NULL || node_lsel_grep_match(run->grep, line, len);
	if (!hit && c->after == 0 && n == 0)
		return (0);
	r = lsel_rec(t, f->kind, line, len);
	if (r == NULL)
		return (0);
	if (hit) {
		for (i = 0; i < c->nring; i++)
			lsel_enqueue(c, c->ring[(c->ring0 + i) % n]);
		c->nring = c->ring0 = 0;
		c->ring_bytes = 0;
		c->after = n;
		lsel_enqueue(c, r);
	} else if (c->after > 0) {
		c->after--;
		r->ctx = 1;
		lsel_enqueue(c, r);
	} else {
		r->ctx = 1;
		/* The oldest go when N lines or LSEL_RING_MAX bytes wait. */
		while (c->nring > 0 && (c->nring == n ||
		    c->ring_bytes + len > LSEL_RING_MAX)) {
			c->ring_bytes -= c->ring[c->ring0]->len;
			free(c->ring[c->ring0]);
			c->ring0 = (c->ring0 + 1) % n;
			c->nring--;
		}
		c->ring[(c->ring0 + c->nring++) % n] = r;
		c->ring_bytes += len;
	}
	return (0);
}

/* The loop turn's reads are done: merge what came. */
static void
lsel_on_check(uv_check_t *h)
{
	lsel_pump(h->data);
}

/* Output from the engine: split, filtered, queued; paused when full. */
static void
lsel_chunk(struct dk_stream *s, int kind, const char *buf, size_t len,
    void *arg)
{
	struct lsel_ctr		*c = arg;
	struct lsel_run		*run = c->run;
	struct lsel_feed	 f = { c, kind == DK_STREAM_STDERR ?
	    DK_STREAM_STDERR : DK_STREAM_STDOUT };

	(void)node_lsel_split_feed(&c->sp[f.kind == DK_STREAM_STDERR],
	    buf, len, lsel_on_line, &f);
	if (c->qbytes > LSEL_QUEUE_MAX && !c->paused) {
		c->paused = 1;
		dk_stream_pause(s);
	}
	if (!uv_is_active((uv_handle_t *)&run->check))
		(void)uv_check_start(&run->check, lsel_on_check);
}

/* Queues a container's end: its leave line follows its last line. */
static void
lsel_leave(struct lsel_ctr *c, const char *why)
{
	struct node_lsel_rec	*r;
	int64_t			 now = lsel_now_ns();

	c->gone = 1;
	r = lsel_rec(now > c->last_t ? now : c->last_t, LSEL_KIND_LEAVE, why,
	    strlen(why));
	if (r != NULL)
		lsel_enqueue(c, r);
}

/* A container's Docker stream is over. */
static void
lsel_end(struct dk_stream *s, int status, const char *message, void *arg)
{
	struct lsel_ctr		*c = arg;
	struct lsel_run		*run = c->run;
	struct lsel_feed	 f = { c, DK_STREAM_STDOUT };
	char			 why[300];

	c->s = NULL;
	c->paused = 0;
	run->nlive--;
	if (c->head == NULL && run->nwaiting > 0)
		run->nwaiting--;
	(void)node_lsel_split_finish(&c->sp[0], lsel_on_line, &f);
	f.kind = DK_STREAM_STDERR;
	(void)node_lsel_split_finish(&c->sp[1], lsel_on_line, &f);
	if (run->ch == NULL || run->closing) {
		lsel_maybe_free(run);
		return;
	}
	if (status == DK_E_UNAVAILABLE && run->follow) {
		c->lost = 1;
		lsel_engine_lost(run, message);
	} else if ((status == 0 || status == DK_E_CANCELLED) && !run->follow)
		c->gone = 1;	/* its history is all there */
	else if (status == 0 || status == DK_E_CANCELLED)
		lsel_leave(c, "stopped");
	else {
		snprintf(why, sizeof(why), "failed: %s", message != NULL &&
		    *message != '\0' ? message : dk_strerror(status));
		lsel_leave(c, why);
	}
	lsel_pump(run);
}

/* The container if it streams now, else NULL. */
struct lsel_ctr *
lsel_live(struct lsel_run *run, const char *id)
{
	struct lsel_ctr	*c;

	for (c = run->ctrs; c != NULL; c = c->next)
		if (!c->gone && !c->lost && strcmp(c->id, id) == 0)
			return (c);
	return (NULL);
}

/* The container kept after the engine went away, else NULL. */
struct lsel_ctr *
lsel_lost(struct lsel_run *run, const char *id)
{
	struct lsel_ctr	*c;

	for (c = run->ctrs; c != NULL; c = c->next)
		if (c->lost && strcmp(c->id, id) == 0)
			return (c);
	return (NULL);
}

/* Ends containers still lost once the engine is back. */
void
lsel_drop_lost(struct lsel_run *run)
{
	struct lsel_ctr	*c;

	for (c = run->ctrs; c != NULL; c = c->next)
		if (c->lost) {
			c->lost = 0;
			lsel_leave(c, "stopped while the engine was away");
		}
	lsel_pump(run);
}

/* Starts or restarts a container's log stream; see logsel-int.h. */
int
lsel_ctr_start(struct lsel_run *run, struct lsel_ctr *c, const char *id,
    const char *name, int64_t since_ns, int join)
{
	struct dk_stream_cbs	 cbs;
	struct dk_logs_opts	 o;
	int			 err, fresh = c == NULL;

	if (fresh) {
		if (run->nctrs >= LSEL_CTR_MAX)
			return (-E2BIG);
		c = calloc(1, sizeof(*c));
		if (c == NULL || (run->context > 0 && (c->ring = calloc(
		    run->context, sizeof(*c->ring))) == NULL)) {
			free(c);
			return (-ENOMEM);
		}
		c->run = run;
		snprintf(c->id, sizeof(c->id), "%s", id);
		snprintf(c->name, sizeof(c->name), "%s", name);
		c->namelen = strlen(c->name);
	}
	memset(&o, 0, sizeof(o));
	o.stdout_on = run->stdout_on;
	o.stderr_on = run->stderr_on;
	o.follow = run->follow;
	o.timestamps = 1;
	o.tail = since_ns == 0 ? run->tail : -1;
	if (since_ns == 0)
		since_ns = run->since_ns;
	o.since = since_ns / 1000000000LL;
	o.since_nsec = since_ns % 1000000000LL;
	o.until = run->until;
	o.tty = DK_TTY_AUTO;
	node_lsel_split_init(&c->sp[0], c->last_t);
	node_lsel_split_init(&c->sp[1], c->last_t);
	if (!fresh) {
		/* Lines up to the last one read came already. */
		c->skip_t = c->last_t;
		c->skip_n = c->n_at_last;
	}
	memset(&cbs, 0, sizeof(cbs));
	cbs.on_chunk = lsel_chunk;
	cbs.on_end = lsel_end;
	cbs.arg = c;
	err = dk_logs(run->dk, c->id, &o, &cbs, &c->s);
	if (err != 0) {
		c->s = NULL;
		if (fresh) {
			free(c->ring);
			free(c);
		}
		return (err);
	}
	c->lost = 0;
	if (fresh) {
		c->next = run->ctrs;
		run->ctrs = c;
		run->nctrs++;
	}
	run->nlive++;
	if (c->head == NULL)
		run->nwaiting++;
	if (join)
		lsel_out_json(run, json_pack("{s:I, s:s, s:s, s:s}", "t",
		    (json_int_t)lsel_now_ns(), "c", c->name, "id", c->id,
		    "ev", "join"));
	return (0);
}

/* Sends the oldest head line; 0 when the merge must wait. */
static int
lsel_emit_one(struct lsel_run *run, uint64_t now, uint64_t *wait)
{
	struct lsel_ctr		*c, *best = NULL;
	struct node_lsel_rec	*r;
	char			 buf[NODE_LSEL_JSON_MAX];
	size_t			 len;

	for (c = run->ctrs; c != NULL; c = c->next)
		if (c->head != NULL && (best == NULL ||
		    c->head->t < best->head->t))
			best = c;
	if (best == NULL)
		return (0);
	r = best->head;
	if (run->nwaiting > 0) {
		if (!run->follow)
			return (0);
		if (now - r->arrived < LSEL_WINDOW_MS) {
			*wait = LSEL_WINDOW_MS - (now - r->arrived);
			return (0);
		}
	}
	best->head = r->next;
	if (best->head == NULL) {
		best->tail = NULL;
		if (best->s != NULL)
			run->nwaiting++;
	}
	best->qbytes -= sizeof(*r) + r->len;
	if (r->kind == LSEL_KIND_LEAVE) {
		lsel_out_json(run, json_pack("{s:I, s:s, s:s, s:s%}", "t",
		    (json_int_t)r->t, "c", best->name, "ev", "leave", "why",
		    r->line, (size_t)r->len));
	} else {
		len = node_lsel_encode(buf, r, best->name, best->namelen);
		lsel_out(run, buf, len);
		run->sent++;
		run->ctx_sent += r->ctx;
	}
	free(r);
	if (best->paused && best->s != NULL &&
	    best->qbytes < LSEL_QUEUE_MAX / 2) {
		best->paused = 0;
		dk_stream_resume(best->s);
	}
	return (1);
}

/* Unlinks and frees containers that ended and have sent everything. */
static void
lsel_reap(struct lsel_run *run)
{
	struct lsel_ctr	**cp, *c;

	for (cp = &run->ctrs; (c = *cp) != NULL;) {
		if (c->s == NULL && c->gone && c->head == NULL) {
			*cp = c->next;
			run->nctrs--;
			lsel_ctr_free(run, c);
		} else
			cp = &c->next;
	}
}

/* The window's end: merge what waited. */
static void
lsel_on_window(uv_timer_t *h)
{
	lsel_pump(h->data);
}

/* Writes the end line once every container has ended (no follow). */
static void
lsel_maybe_end(struct lsel_run *run)
{
	if (run->ended || !run->started || run->ch == NULL ||
	    run->nlive > 0 || run->ctrs != NULL || run->lost_at != 0)
		return;
	if (run->follow && run->ids == NULL)
		return;	/* a selection that containers may still join */
	/* Named containers have all left, as docker logs -f ends. */
	if (run->ev != NULL)
		dk_stream_cancel(run->ev);
	lsel_out_json(run, json_pack("{s:{s:I, s:I, s:I, s:I}}", "end",
	    "lines", (json_int_t)run->lines, "sent", (json_int_t)run->sent,
	    "context", (json_int_t)run->ctx_sent, "limited",
	    (json_int_t)node_lsel_grep_limited(run->grep)));
	run->ended = 1;
	lsel_flush(run);
	if (!run->blocked && ovl_chan_close(run->ch) != 0)
		ovl_chan_reset(run->ch);
}

/* Merges and writes what may go now; arms the window for the rest. */
void
lsel_pump(struct lsel_run *run)
{
	uint64_t	now, wait = 0;

	(void)uv_check_stop(&run->check);
	if (run->ch == NULL || run->closing)
		return;
	now = uv_now(run->n->loop);
	while (!run->blocked && !run->ended && lsel_emit_one(run, now, &wait))
		;
	lsel_flush(run);
	lsel_reap(run);
	if (wait > 0 && !run->blocked)
		(void)uv_timer_start(&run->window, lsel_on_window, wait, 0);
	if (!run->blocked)
		lsel_maybe_end(run);
}

/* The channel has room: what is held, then the merge again. */
static void
lsel_drain(struct ovl_chan *ch, void *arg)
{
	struct lsel_run	*run = arg;

	if (!run->blocked)
		return;
	run->blocked = 0;
	lsel_flush(run);
	if (run->blocked)
		return;
	if (run->ended) {
		if (ovl_chan_close(run->ch) != 0)
			ovl_chan_reset(run->ch);
		return;
	}
	lsel_pump(run);
}

/* The channel ended: the client left or read the end. */
static void
lsel_chan_close(struct ovl_chan *ch, int status, void *arg)
{
	struct lsel_run	*run = arg;
	struct lsel_ctr	*c;

	run->ch = NULL;
	node_log(&run->n->log, NODE_LOG_INFO, "%s: the channel closed; "
	    "stopping %zu streams", run->label, run->nlive);
	for (c = run->ctrs; c != NULL; c = c->next)
		if (c->s != NULL)
			dk_stream_cancel(c->s);
	if (run->ev != NULL)
		dk_stream_cancel(run->ev);
	if (run->req != NULL)
		dk_req_cancel(run->req);
	(void)uv_timer_stop(&run->retry);
	lsel_maybe_free(run);
}

static const struct ovl_chan_cbs lsel_chan_cbs = {
	.on_data = cmd_out_chan_data,
	.on_drain = lsel_drain,
	.on_close = lsel_chan_close,
};

/* A new run (its handles open); NULL if out of memory. */
struct lsel_run *
lsel_run_new(struct node *n, struct dk_client *dk)
{
	struct lsel_run	*run;

	run = calloc(1, sizeof(*run));
	if (run == NULL)
		return (NULL);
	run->out = malloc(LSEL_OUT_CAP);
	if (run->out == NULL) {
		free(run);
		return (NULL);
	}
	run->n = n;
	run->dk = dk;
	run->tail = -1;
	(void)uv_timer_init(n->loop, &run->window);
	(void)uv_timer_init(n->loop, &run->retry);
	(void)uv_check_init(n->loop, &run->check);
	run->window.data = run->retry.data = run->check.data = run;
	run->handles = 3;
	return (run);
}

/* The run owns ch from now on. */
void
lsel_run_attach(struct lsel_run *run, struct ovl_chan *ch)
{
	run->ch = ch;
	ovl_chan_set_cbs(ch, &lsel_chan_cbs, run);
	ovl_chan_resume(ch);
}

/* Frees a run that never got its channel. */
void
lsel_run_abort(struct lsel_run *run)
{
	lsel_maybe_free(run);
}
