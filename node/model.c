/*
 * The node's model of its engine's containers, so that container.list
 * and the resolution of a container's name answer without a round trip
 * to the engine.
 *
 * It starts with the node's first Docker request (a node never asked
 * about Docker never loads libcurl): an events stream (type container
 * and image, replayed from a second before, so nothing between the
 * subscription and the list is lost), then one list of every container,
 * then one inspect per container for the timestamps the status text is
 * computed from. From then on every container event (create, start,
 * die, stop, pause, unpause, rename, destroy, health_status, ...) is
 * followed by a list of the one container it names (the engine's own
 * summary: names, image, command, ports, labels) and an inspect of it
 * (state, started and finished times, exit code, health); an image
 * event lists every container again, as an image tag that moves changes
 * what the Image column shows. The status text ("Up 5 minutes") is made
 * at answer time from the timestamps, as the engine makes it.
 *
 * It is never wrong for long: an events stream that ends (the engine
 * went away or restarted) takes the model down, and listings go to the
 * engine until a new stream and a fresh list rebuilt it; every
 * MODEL_CHECK_MS the engine's container counts (GET /info) are compared
 * with the model's, and two mismatches in a row list every container
 * again. Every request is stamped with a counter (ops) when it leaves
 * and every container with the stamp of what it was last set from, so a
 * reply older than what a container already holds is dropped, and a
 * container an event names while its refresh is out is refreshed once
 * more when that one comes back.
 *
 * A listing waits, at most MODEL_WAIT_MS, for the refreshes out to come
 * back, and the node's own lifecycle calls refresh their container
 * before they answer (node_model_touch), so `pier stop web; pier ps`
 * shows web stopped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model-int.h"

#define MODEL_INFLIGHT_MAX	8	/* refreshes out at once */
#define MODEL_CHECK_MS		(30 * 1000)	/* the periodic check */
#define MODEL_RECHECK_MS	1000	/* a mismatch looked at again after */
#define MODEL_RETRY_MIN_MS	250	/* a rebuild after a failure: first */
#define MODEL_RETRY_MAX_MS	(10 * 1000)	/* and at most */


static void	model_rebuild(struct node_model *);
static void	model_down(struct node_model *, const char *);
static void	mref_start(struct node_model *);
static void	model_arm(struct node_model *, uint64_t);
static void	on_inspect(struct dk_req *, int, json_t *, void *);
static void	on_list_one(struct dk_req *, int, json_t *, void *);
static int	mref_send(struct mref *);
static void	model_refresh(struct node_model *, const char *, json_t *, int);

/* Frees the model once its handles are closed and nothing is out. */
static void
model_maybe_free(struct node_model *m)
{
	if (!m->closing || m->handles > 0 || m->out > 0 || m->pending > 0)
		return;
	json_decref(m->ctrs);
	json_decref(m->busy);
	free(m);
}

/* One of the model's timers closed. */
static void
on_timer_closed(uv_handle_t *h)
{
	struct node_model	*m = h->data;

	m->handles--;
	model_maybe_free(m);
}

/* Answers every waiter: from the model when ok, else from the engine. */
void
node_model__wake(struct node_model *m)
{
	struct mwait	*w;
	int		 ok;

	(void)uv_timer_stop(&m->wait_timer);
	while ((w = TAILQ_FIRST(&m->waits)) != NULL) {
		TAILQ_REMOVE(&m->waits, w, entry);
		ok = m->state == NODE_MODEL_READY && !m->closing;
		w->cb(w->r, ok, w->arg);
		cmd_req_unref(w->r);
		free(w);
	}
}

/* Whether the model has nothing out that would change an answer. */
static int
model_settled(const struct node_model *m)
{
	return (m->out == 0 && TAILQ_EMPTY(&m->refs) && m->list == NULL);
}

/*
 * Nothing the node's own calls asked for is out: waiters are answered;
 * nothing at all is out: a model being built is ready.
 */
static void
model_settle(struct node_model *m)
{
	if (m->touched == 0 && m->state == NODE_MODEL_READY)
		node_model__wake(m);
	if (!model_settled(m))
		return;
	if (m->state == NODE_MODEL_BUILDING) {
		m->state = NODE_MODEL_READY;
		m->retry_ms = 0;
		node_log(&m->n->log, NODE_LOG_DEBUG, "container model ready: "
		    "%zu containers", json_object_size(m->ctrs));
	}
	node_model__wake(m);
}

/* Sets a container's summary, stamped with op (sum stolen). */
static void
model_put(struct node_model *m, const char *id, json_t *sum, uint64_t op)
{
	(void)json_object_set_new(sum, "_op", json_integer((json_int_t)op));
	(void)json_object_set_new(m->ctrs, id, sum);
}

/* The stamp of what a container was last set from; 0 if unknown. */
static uint64_t
model_stamp(const struct node_model *m, const char *id)
{
	return ((uint64_t)json_integer_value(json_object_get(
	    json_object_get(m->ctrs, id), "_op")));
}

/* A refresh is over: free it, start the next, wake the waiters. */
static void
mref_done(struct mref *f)
{
	struct node_model	*m = f->m;
	json_t			*b;	/* borrowed */
	int			 again = 0, touched = f->touched;

	if (f->started)
		m->out--;
	if (f->touched)
		m->touched--;
	TAILQ_REMOVE(&m->refs, f, entry);
	if (f->gen == m->gen && !m->closing) {
		b = json_object_get(m->busy, f->id);
		again = json_integer_value(b) > 1;
		(void)json_object_del(m->busy, f->id);
	}
	if (again)
		model_refresh(m, f->id, NULL, touched);
	json_decref(f->sum);
	free(f);
	if (m->closing) {
		model_maybe_free(m);
		return;
	}
	mref_start(m);
	model_settle(m);
}

/* The inspect of a refreshed container arrived: set it. */
static void
on_inspect(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct mref		*f = arg;
	struct node_model	*m = f->m;
	json_t			*sum;	/* owned */

	f->req = NULL;
	if (m->closing || f->gen != m->gen || status == DK_E_CANCELLED) {
		json_decref(res);
		mref_done(f);
		return;
	}
	if (status == DK_E_NOT_FOUND) {
		if (model_stamp(m, f->id) < f->op)
			(void)json_object_del(m->ctrs, f->id);
	} else if (status != 0) {
		json_decref(res);
		model_down(m, dk_req_message(req));
		mref_done(f);
		return;
	} else if (model_stamp(m, f->id) < f->op) {
		sum = f->sum;
		f->sum = NULL;
		node_model_set_state(sum, json_object_get(res, "State"),
		    json_object_get(res, "Created"));
		model_put(m, f->id, sum, f->op);
		m->st.refreshes++;
	}
	json_decref(res);
	mref_done(f);
}


/* The list of one container arrived: keep its summary, inspect it. */
static void
on_list_one(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct mref		*f = arg;
	struct node_model	*m = f->m;

	f->req = NULL;
	if (m->closing || f->gen != m->gen || status == DK_E_CANCELLED) {
		json_decref(res);
		mref_done(f);
		return;
	}
	if (status != 0) {
		json_decref(res);
		model_down(m, dk_req_message(req));
		mref_done(f);
		return;
	}
	if (json_array_size(res) == 0) {
		/* Gone: destroyed, or never made it. */
		if (model_stamp(m, f->id) < f->op)
			(void)json_object_del(m->ctrs, f->id);
		json_decref(res);
		mref_done(f);
		return;
	}
	f->sum = node_model_summary(json_array_get(res, 0));
	json_decref(res);
	if (f->sum == NULL || mref_send(f) != 0) {
		f->req = NULL;
		mref_done(f);
	}
}

/* Sends a refresh's first request: the inspect, or the list by id. */
static int
mref_send(struct mref *f)
{
	struct node_model	*m = f->m;
	json_t			*flt;	/* owned */
	const char		*kv[2];
	char			 buf[80];
	int			 err;

	if (f->sum != NULL)
		return (dk_container_inspect(m->dk, f->id, 0, on_inspect, f,
		    &f->req));
	snprintf(buf, sizeof(buf), "id=%s", f->id);
	kv[0] = buf;
	kv[1] = NULL;
	flt = dk_filters(kv);
	err = flt == NULL ? -ENOMEM : dk_container_list(m->dk, 1, flt,
	    on_list_one, f, &f->req);
	json_decref(flt);
	return (err);
}

/* Starts queued refreshes while fewer than MODEL_INFLIGHT_MAX are out. */
static void
mref_start(struct node_model *m)
{
	struct mref	*f;

	while (m->out < MODEL_INFLIGHT_MAX) {
		/* Those out come first: they were queued first. */
		TAILQ_FOREACH(f, &m->refs, entry)
			if (!f->started)
				break;
		if (f == NULL)
			return;
		f->started = 1;
		f->op = ++m->ops;
		m->out++;
		if (mref_send(f) != 0) {
			f->req = NULL;
			model_down(m, "cannot ask the engine");
			mref_done(f);
			return;
		}
	}
}

/*
 * The node's own call changed id while a refresh of it is out: that one
 * may have left before the change, so the one after it is waited for
 * (it is queued when the first comes back: mark the first).
 */
static void
model_touch_busy(struct node_model *m, const char *id)
{
	struct mref	*f;

	TAILQ_FOREACH(f, &m->refs, entry) {
		if (strcmp(f->id, id) == 0 && !f->touched) {
			f->touched = 1;
			m->touched++;
			return;
		}
	}
}

/*
 * Queues a refresh of id; sum (stolen, may be NULL) skips the list.
 * touched: the node's own call changed it, and listings wait for it.
 */
static void
model_refresh(struct node_model *m, const char *id, json_t *sum,
    int touched)
{
	struct mref	*f;
	json_t		*b;	/* borrowed */

	if (m->closing || id == NULL || strlen(id) >= sizeof(f->id)) {
		json_decref(sum);
		return;
	}
	b = json_object_get(m->busy, id);
	if (b != NULL) {
		/* One is out or queued: it goes once more when back. */
		if (json_integer_value(b) == 1)
			(void)json_object_set_new(m->busy, id,
			    json_integer(2));
		if (touched)
			model_touch_busy(m, id);
		json_decref(sum);
		return;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL || json_object_set_new(m->busy, id,
	    json_integer(1)) != 0) {
		free(f);
		json_decref(sum);
		return;
	}
	f->m = m;
	f->gen = m->gen;
	f->sum = sum;
	f->touched = touched;
	m->touched += touched != 0;
	snprintf(f->id, sizeof(f->id), "%s", id);
	TAILQ_INSERT_TAIL(&m->refs, f, entry);
	mref_start(m);
}

/* Refreshes a container the node itself just changed (by full id). */
void
node_model_touch(struct node_model *m, const char *id)
{
	if (m == NULL || m->state == NODE_MODEL_OFF)
		return;
	model_refresh(m, id, NULL, 1);
}

/* The list of every container arrived: take it in. */
static void
on_list_all(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct node_model	*m = arg;
	const json_t		*c;
	const char		*id, *key;
	json_t			*seen, *v;	/* seen owned, v borrowed */
	uint64_t		 op;
	size_t			 i;
	void			*tmp;

	m->pending--;
	if (req != m->list || m->closing || status == DK_E_CANCELLED) {
		json_decref(res);
		model_maybe_free(m);
		return;
	}
	m->list = NULL;
	if (status != 0 || !json_is_array(res)) {
		json_decref(res);
		model_down(m, status != 0 ? dk_req_message(req) :
		    "the engine's list is not an array");
		return;
	}
	if (json_array_size(res) > NODE_MODEL_CTRS_MAX) {
		json_decref(res);
		model_down(m, "more containers than the model holds");
		return;
	}
	op = m->list_op;
	seen = json_object();
	for (i = 0; seen != NULL && i < json_array_size(res); i++) {
		c = json_array_get(res, i);
		id = json_string_value(json_object_get(c, "Id"));
		if (id == NULL)
			continue;
		(void)json_object_set_new(seen, id, json_true());
		if (model_stamp(m, id) >= op)
			continue;	/* newer than this list */
		v = json_object_get(m->ctrs, id);
		if (!m->list_full && v != NULL && strcmp(cmd_jstr(v, "State"),
		    cmd_jstr(c, "State")) == 0) {
			/* The same state: the timestamps stand. */
			node_model_merge(v, c);
			(void)json_object_set_new(v, "_op",
			    json_integer((json_int_t)op));
			continue;
		}
		model_refresh(m, id, node_model_summary(c), 0);
	}
	/* Those the list does not have, unless set after it left. */
	json_object_foreach_safe(m->ctrs, tmp, key, v) {
		if (seen != NULL && json_object_get(seen, key) == NULL &&
		    (uint64_t)json_integer_value(json_object_get(v, "_op")) <
		    op)
			(void)json_object_del(m->ctrs, key);
	}
	json_decref(seen);
	json_decref(res);
	m->st.lists++;
	if (m->list_again) {
		m->list_again = 0;
		node_model_relist(m, 0);
	}
	model_settle(m);
}

/* Lists every container; full inspects each, else only new ones. */
static void
model_list(struct node_model *m, int full)
{
	int	 err;

	if (m->closing || m->state == NODE_MODEL_OFF)
		return;
	if (m->list != NULL) {
		m->list_again = 1;
		return;
	}
	m->list_full = full;
	m->list_op = ++m->ops;
	err = dk_container_list(m->dk, 1, NULL, on_list_all, m, &m->list);
	if (err != 0) {
		m->list = NULL;
		model_down(m, "cannot list the containers");
		return;
	}
	m->pending++;
}

/* Lists every container again (an image moved, a check failed). */
void
node_model_relist(struct node_model *m, int full)
{
	model_list(m, full);
}

/* Whether an event action changes what a container's row shows. */
static int
event_changes_row(const char *action)
{
	static const char *const acts[] = { "create", "start", "restart",
	    "die", "stop", "pause", "unpause", "rename", "destroy", "oom",
	    "update", NULL };
	size_t	 i;

	if (strncmp(action, "health_status", 13) == 0)
		return (1);
	for (i = 0; acts[i] != NULL; i++)
		if (strcmp(action, acts[i]) == 0)
			return (1);
	return (0);
}

/* An engine event: refresh the container it names, or list again. */
static void
on_event(struct dk_stream *s, const struct dk_event *ev, json_t *raw,
    void *arg)
{
	static const char *const image_acts[] = { "tag", "untag", "delete",
	    "import", "load", "pull", NULL };
	struct node_model	*m = arg;
	size_t			 i;

	(void)raw;
	if (s != m->ev || m->closing)
		return;
	m->st.events++;
	if (strcmp(ev->type, "container") == 0) {
		if (event_changes_row(ev->action))
			model_refresh(m, ev->id, NULL, 0);
		return;
	}
	if (strcmp(ev->type, "image") != 0)
		return;
	for (i = 0; image_acts[i] != NULL; i++)
		if (strcmp(ev->action, image_acts[i]) == 0) {
			model_list(m, 0);
			return;
		}
}

/* The events stream ended: the engine went away, or we cancelled it. */
static void
on_event_end(struct dk_stream *s, int status, const char *message,
    void *arg)
{
	struct node_model	*m = arg;

	m->pending--;
	if (s != m->ev || m->closing || status == DK_E_CANCELLED) {
		model_maybe_free(m);
		return;
	}
	m->ev = NULL;
	model_down(m, message != NULL && message[0] != '\0' ? message :
	    "the engine ended its events stream");
}

/* Forgets every container and what is queued (refreshes out are dropped). */
static void
model_forget(struct node_model *m)
{
	struct mref	*f, *next;

	m->gen++;
	for (f = TAILQ_FIRST(&m->refs); f != NULL; f = next) {
		next = TAILQ_NEXT(f, entry);
		if (f->started) {
			if (f->req != NULL)
				dk_req_cancel(f->req);
			continue;
		}
		TAILQ_REMOVE(&m->refs, f, entry);
		if (f->touched)
			m->touched--;
		json_decref(f->sum);
		free(f);
	}
	json_object_clear(m->ctrs);
	json_object_clear(m->busy);
}

/* Cancels the stream, the list and the check. */
static void
model_cancel(struct node_model *m)
{
	if (m->ev != NULL)
		dk_stream_cancel(m->ev);
	if (m->list != NULL)
		dk_req_cancel(m->list);
	if (m->check != NULL)
		dk_req_cancel(m->check);
	m->ev = NULL;
	m->list = NULL;
	m->check = NULL;
	m->list_again = 0;
}

/* The model cannot be trusted: listings go to the engine; rebuild later. */
static void
model_down(struct node_model *m, const char *why)
{
	if (m->closing)
		return;
	if (m->state != NODE_MODEL_OFF)
		node_log(&m->n->log, NODE_LOG_INFO, "container model down "
		    "(%s): listings ask the engine until it is rebuilt",
		    why != NULL && why[0] != '\0' ? why : "engine error");
	m->state = NODE_MODEL_OFF;
	model_cancel(m);
	model_forget(m);
	node_model__wake(m);
	m->retry_ms = m->retry_ms == 0 ? MODEL_RETRY_MIN_MS :
	    m->retry_ms * 2 > MODEL_RETRY_MAX_MS ? MODEL_RETRY_MAX_MS :
	    m->retry_ms * 2;
	model_arm(m, m->retry_ms);
}

/* Subscribes to the engine's events, then lists every container. */
static void
model_rebuild(struct node_model *m)
{
	static const char *const kv[] = { "type=container", "type=image",
	    NULL };
	struct dk_stream_cbs	 cbs;
	json_t			*f;	/* owned */
	int			 err;

	if (m->closing)
		return;
	model_cancel(m);
	model_forget(m);
	m->state = NODE_MODEL_BUILDING;
	m->mismatch = 0;
	m->st.rebuilds++;
	memset(&cbs, 0, sizeof(cbs));
	cbs.on_event = on_event;
	cbs.on_end = on_event_end;
	cbs.arg = m;
	f = dk_filters(kv);
	/* From a second back: what happens before the list is not lost. */
	err = f == NULL ? -ENOMEM : dk_events_stream(m->dk, f,
	    (long long)time(NULL) - 1, 0, &cbs, &m->ev);
	json_decref(f);
	if (err != 0) {
		m->ev = NULL;
		model_down(m, "cannot follow the engine's events");
		return;
	}
	m->pending++;
	model_list(m, 1);
}

/* Counts the model's containers in a state word ("running", ...). */
static json_int_t
model_count(const struct node_model *m, const char *state)
{
	const char	*key;
	json_t		*v;	/* borrowed */
	json_int_t	 k = 0;

	json_object_foreach(m->ctrs, key, v) {
		if (strcmp(node_model_state(v), state) == 0)
			k++;
	}
	return (k);
}

/* The engine's counts arrived: do they match the model's? */
static void
on_check(struct dk_req *req, int status, json_t *info, void *arg)
{
	struct node_model	*m = arg;
	json_int_t		 total, running, paused;

	m->pending--;
	if (req != m->check || m->closing || status == DK_E_CANCELLED) {
		json_decref(info);
		model_maybe_free(m);
		return;
	}
	m->check = NULL;
	m->st.checks++;
	if (status != 0 || m->state != NODE_MODEL_READY ||
	    !model_settled(m)) {
		json_decref(info);
		return;
	}
	total = json_integer_value(json_object_get(info, "Containers"));
	running = json_integer_value(json_object_get(info,
	    "ContainersRunning"));
	paused = json_integer_value(json_object_get(info,
	    "ContainersPaused"));
	json_decref(info);
	if (total == (json_int_t)json_object_size(m->ctrs) &&
	    running == model_count(m, "running") &&
	    paused == model_count(m, "paused")) {
		m->mismatch = 0;
		return;
	}
	if (++m->mismatch < 2) {
		model_arm(m, MODEL_RECHECK_MS);
		return;
	}
	node_log(&m->n->log, NODE_LOG_INFO, "container model: the engine "
	    "counts %lld containers (%lld running, %lld paused), the model "
	    "%zu: listing them again", (long long)total, (long long)running,
	    (long long)paused, json_object_size(m->ctrs));
	m->mismatch = 0;
	m->st.mismatches++;
	model_list(m, 1);
}

/* The timer: rebuild a model that is down, check one that is ready. */
static void
on_tick(uv_timer_t *t)
{
	struct node_model	*m = container_of(t, struct node_model, timer);

	if (m->closing)
		return;
	if (m->state == NODE_MODEL_OFF) {
		model_rebuild(m);
		return;
	}
	if (m->state != NODE_MODEL_READY || m->check != NULL ||
	    !model_settled(m))
		return;
	if (dk_info(m->dk, on_check, m, &m->check) != 0) {
		m->check = NULL;
		return;
	}
	m->pending++;
}

/* Fires the timer after ms, then every MODEL_CHECK_MS. */
static void
model_arm(struct node_model *m, uint64_t ms)
{
	(void)uv_timer_start(&m->timer, on_tick, ms, MODEL_CHECK_MS);
}

/* Starts the node's model if it has none and has an engine. */
void
node_model_start(struct node *n)
{
	struct node_model	*m;

	if (n->model != NULL || n->dk == NULL || n->closing)
		return;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return;
	m->ctrs = json_object();
	m->busy = json_object();
	if (m->ctrs == NULL || m->busy == NULL) {
		json_decref(m->ctrs);
		json_decref(m->busy);
		free(m);
		return;
	}
	m->n = n;
	m->dk = n->dk;
	TAILQ_INIT(&m->refs);
	TAILQ_INIT(&m->waits);
	(void)uv_timer_init(n->loop, &m->timer);
	(void)uv_timer_init(n->loop, &m->wait_timer);
	m->timer.data = m;
	m->wait_timer.data = m;
	m->handles = 2;
	n->model = m;
	model_rebuild(m);
	if (m->state != NODE_MODEL_OFF)
		model_arm(m, MODEL_CHECK_MS);
}

/* Stops following the engine and frees the model once all is back. */
void
node_model_close(struct node *n)
{
	struct node_model	*m = n->model;

	if (m == NULL)
		return;
	n->model = NULL;
	model_cancel(m);
	model_forget(m);
	m->closing = 1;
	node_model__wake(m);
	uv_close((uv_handle_t *)&m->timer, on_timer_closed);
	uv_close((uv_handle_t *)&m->wait_timer, on_timer_closed);
}

