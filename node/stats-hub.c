/*
 * The stats hub: one Docker stats stream per container, shared by every
 * subscriber on the node. A container's stream starts with its first
 * subscriber and is cancelled after its last one leaves. A subscription
 * to "every running container" follows containers as they start and
 * stop through one engine events stream (start, die, destroy), seeded
 * by one list of the running containers.
 *
 * Each sample is turned into its JSON line once and offered to every
 * subscriber watching that container. A subscriber's sink takes it or
 * refuses it (its channel is full); a refused sample is simply dropped,
 * since the next one, a second later, supersedes it. So a slow
 * subscriber gets the latest values and never a backlog, and the hub
 * holds one sample per container whatever its subscribers do.
 *
 * The hub frees itself (and clears the slot that points at it) once it
 * has no subscriber, no container stream and no events stream left.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node.h"

/* One container whose stats stream the hub runs. */
struct hub_ctr {
	struct hub_ctr		*next;
	struct node_stats_hub	*h;
	struct dk_stream	*s;	/* NULL once it ended */
	char			 id[72];
	unsigned		 nexplicit;	/* subscribers naming it */
	int			 in_all;	/* running: "all" sees it */
	uint64_t		 seq;		/* samples received */
	json_t			*last;	/* owned: latest sample */
};

/* One subscriber. */
struct node_stats_sub {
	struct node_stats_sub	*next;
	struct node_stats_hub	*h;
	char			**ids;	/* full ids; NULL: all */
	size_t			 nids;
	unsigned		 interval;	/* samples between lines */
	node_stats_sink		 sink;
	node_stats_end		 end;
	void			*arg;
	int			 dead;
};

/* The hub of a node. */
struct node_stats_hub {
	struct node_stats_hub	**slot;
	struct dk_client	*dk;
	const struct node_log	*log;
	struct hub_ctr		*ctrs;
	struct node_stats_sub	*subs;
	size_t			 nall;	/* live "all" subscribers */
	struct dk_stream	*ev;	/* events, while nall > 0 */
	struct dk_req		*list;	/* the seeding list */
	int			 dispatching;
	struct node_stats_counts cnt;
};

static void	hub_ctr_release(struct hub_ctr *);

/* Frees the hub once nothing is left in it. */
static void
hub_maybe_free(struct node_stats_hub *h)
{
	if (h->subs != NULL || h->ctrs != NULL || h->ev != NULL ||
	    h->list != NULL || h->dispatching)
		return;
	node_log(h->log, NODE_LOG_INFO, "stats hub: idle, freed (%llu "
	    "streams started, %llu samples)",
	    (unsigned long long)h->cnt.started,
	    (unsigned long long)h->cnt.samples);
	*h->slot = NULL;
	free(h);
}

/* Unlinks and frees the subscribers marked dead. */
static void
hub_reap(struct node_stats_hub *h)
{
	struct node_stats_sub	**pp, *sub;

	pp = &h->subs;
	while (*pp != NULL) {
		sub = *pp;
		if (!sub->dead) {
			pp = &sub->next;
			continue;
		}
		*pp = sub->next;
		node_strv_free(sub->ids);
		free(sub);
		h->cnt.subs--;
	}
}

/* The container with this id, or NULL. */
static struct hub_ctr *
hub_ctr_find(struct node_stats_hub *h, const char *id)
{
	struct hub_ctr	*c;

	for (c = h->ctrs; c != NULL; c = c->next)
		if (strcmp(c->id, id) == 0)
			return (c);
	return (NULL);
}

/* Unlinks and frees a container whose stream is over. */
static void
hub_ctr_free(struct hub_ctr *c)
{
	struct node_stats_hub	*h = c->h;
	struct hub_ctr		**pp;

	for (pp = &h->ctrs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	json_decref(c->last);
	free(c);
	h->cnt.containers--;
}

/* Tells whether a subscriber watches a container. */
static int
hub_sub_watches(const struct node_stats_sub *sub, const struct hub_ctr *c)
{
	size_t	i;

	if (sub->dead)
		return (0);
	if (sub->ids == NULL)
		return (c->in_all);
	for (i = 0; i < sub->nids; i++)
		if (strcmp(sub->ids[i], c->id) == 0)
			return (1);
	return (0);
}

/* Ends (through their end callback) the subscribers watching c. */
static void
hub_end_watchers(struct node_stats_hub *h, struct hub_ctr *c, int all,
    int code, const char *msg)
{
	struct node_stats_sub	*sub;

	h->dispatching++;
	for (sub = h->subs; sub != NULL; sub = sub->next) {
		if (sub->dead)
			continue;
		if ((c != NULL && hub_sub_watches(sub, c)) ||
		    (all && sub->ids == NULL)) {
			if (sub->end != NULL)
				sub->end(sub, code, msg, sub->arg);
		}
	}
	h->dispatching--;
	hub_reap(h);
}

/* One sample: the line, offered to every subscriber watching. */
static void
hub_ctr_stats(struct dk_stream *s, const struct dk_stats *st, json_t *raw,
    void *arg)
{
	struct hub_ctr		*c = arg;
	struct node_stats_hub	*h = c->h;
	struct node_stats_sub	*sub;
	const char		*rd;
	char			*line;
	size_t			 len;
	json_t			*o;	/* owned */

	/*
	 * The engine publishes an empty sample (zero read time, no CPU, no
	 * memory) when it failed to collect one: not a sample at all.
	 */
	rd = json_string_value(json_object_get(raw, "read"));
	if (rd != NULL && strncmp(rd, "0001-01-01", 10) == 0)
		return;
	c->seq++;
	h->cnt.samples++;
	if (c->seq < 2)
		return;		/* the first has no CPU base */
	o = node_stats_json(st, c->id);
	if (o == NULL)
		return;
	json_decref(c->last);
	c->last = o;
	if (proto_line_encode(o, &line, &len) != 0)
		return;
	h->dispatching++;
	for (sub = h->subs; sub != NULL; sub = sub->next) {
		if (!hub_sub_watches(sub, c) ||
		    (c->seq - 2) % sub->interval != 0)
			continue;
		if (sub->sink(sub, line, len, o, sub->arg) != 0)
			h->cnt.dropped++;
		else
			h->cnt.lines++;
	}
	h->dispatching--;
	free(line);
	hub_reap(h);
	hub_maybe_free(h);
}

/* A container's stream ended: it stopped being watched or went away. */
static void
hub_ctr_end(struct dk_stream *s, int status, const char *message, void *arg)
{
	struct hub_ctr		*c = arg;
	struct node_stats_hub	*h = c->h;

	c->s = NULL;
	h->cnt.streams--;
	node_log(h->log, NODE_LOG_INFO, "stats hub: stream of %.12s closed "
	    "(%s)", c->id, status == DK_E_CANCELLED ? "no subscriber left" :
	    status == 0 ? "ended" : message != NULL ? message : "failed");
	if (status == DK_E_UNAVAILABLE)
		hub_end_watchers(h, c, 0, PROTO_E_DOCKER_DOWN, message);
	hub_ctr_free(c);
	hub_maybe_free(h);
}

/* The container with this id, its stream started if new; or NULL. */
static struct hub_ctr *
hub_ctr_get(struct node_stats_hub *h, const char *id)
{
	struct dk_stream_cbs	 cbs;
	struct hub_ctr		*c;

	c = hub_ctr_find(h, id);
	if (c != NULL)
		return (c);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return (NULL);
	c->h = h;
	snprintf(c->id, sizeof(c->id), "%s", id);
	memset(&cbs, 0, sizeof(cbs));
	cbs.on_stats = hub_ctr_stats;
	cbs.on_end = hub_ctr_end;
	cbs.arg = c;
	if (h->dk == NULL || dk_stats_stream(h->dk, id, 0, &cbs, &c->s) != 0) {
		free(c);
		return (NULL);
	}
	c->next = h->ctrs;
	h->ctrs = c;
	h->cnt.containers++;
	h->cnt.streams++;
	h->cnt.started++;
	return (c);
}

/* Stops a container's stream when no one watches it any more. */
static void
hub_ctr_release(struct hub_ctr *c)
{
	if (c->nexplicit > 0 || c->in_all)
		return;
	if (c->s != NULL)
		dk_stream_cancel(c->s);	/* hub_ctr_end frees it */
}

/* A container runs: "all" subscribers watch it from now on. */
static void
hub_all_add(struct node_stats_hub *h, const char *id)
{
	struct hub_ctr	*c;

	if (h->nall == 0 || id == NULL || strlen(id) >= sizeof(c->id))
		return;
	c = hub_ctr_get(h, id);
	if (c != NULL)
		c->in_all = 1;
}

/* A container stopped: "all" subscribers no longer watch it. */
static void
hub_all_remove(struct node_stats_hub *h, const char *id)
{
	struct hub_ctr	*c;

	c = hub_ctr_find(h, id);
	if (c == NULL || !c->in_all)
		return;
	c->in_all = 0;
	hub_ctr_release(c);
}

/* An engine event while "all" subscribers are there. */
static void
hub_event(struct dk_stream *s, const struct dk_event *ev, json_t *raw,
    void *arg)
{
	struct node_stats_hub	*h = arg;

	if (strcmp(ev->type, "container") != 0)
		return;
	if (strcmp(ev->action, "start") == 0 ||
	    strcmp(ev->action, "unpause") == 0)
		hub_all_add(h, ev->id);
	else if (strcmp(ev->action, "die") == 0 ||
	    strcmp(ev->action, "destroy") == 0)
		hub_all_remove(h, ev->id);
}

/* The events stream ended: cancelled, or the engine went away. */
static void
hub_event_end(struct dk_stream *s, int status, const char *message,
    void *arg)
{
	struct node_stats_hub	*h = arg;

	h->ev = NULL;
	if (status != DK_E_CANCELLED)
		hub_end_watchers(h, NULL, 1, status == DK_E_UNAVAILABLE ?
		    PROTO_E_DOCKER_DOWN : PROTO_E_DOCKER, message != NULL &&
		    message[0] != '\0' ? message : "the engine's events "
		    "stream ended");
	hub_maybe_free(h);
}

/* The running containers when the first "all" subscriber came. */
static void
hub_listed(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct node_stats_hub	*h = arg;
	size_t			 i;

	h->list = NULL;
	if (status == 0)
		for (i = 0; i < json_array_size(result); i++)
			hub_all_add(h, json_string_value(json_object_get(
			    json_array_get(result, i), "Id")));
	else if (status != DK_E_CANCELLED)
		hub_end_watchers(h, NULL, 1, status == DK_E_UNAVAILABLE ?
		    PROTO_E_DOCKER_DOWN : PROTO_E_DOCKER, dk_req_message(req));
	json_decref(result);
	hub_maybe_free(h);
}

/* The first "all" subscriber: events first, then the list. */
static int
hub_all_start(struct node_stats_hub *h)
{
	static const char *const kv[] = { "type=container", "event=start",
	    "event=unpause", "event=die", "event=destroy", NULL };
	struct dk_stream_cbs	 cbs;
	json_t			*f;	/* owned */
	int			 err;

	f = dk_filters(kv);
	if (f == NULL)
		return (-ENOMEM);
	memset(&cbs, 0, sizeof(cbs));
	cbs.on_event = hub_event;
	cbs.on_end = hub_event_end;
	cbs.arg = h;
	err = dk_events_stream(h->dk, f, 0, 0, &cbs, &h->ev);
	json_decref(f);
	if (err != 0) {
		h->ev = NULL;
		return (err);
	}
	if (dk_container_list(h->dk, 0, NULL, hub_listed, h, &h->list) != 0) {
		h->list = NULL;
		dk_stream_cancel(h->ev);
		return (-ENOMEM);
	}
	return (0);
}

/* The last "all" subscriber left: stop following. */
static void
hub_all_stop(struct node_stats_hub *h)
{
	struct hub_ctr	*c;

	if (h->ev != NULL)
		dk_stream_cancel(h->ev);
	if (h->list != NULL)
		dk_req_cancel(h->list);
	for (c = h->ctrs; c != NULL; c = c->next) {
		c->in_all = 0;
		hub_ctr_release(c);
	}
}

/* The hub in *slot, made if missing; NULL when out of memory. */
struct node_stats_hub *
node_stats_hub(struct node_stats_hub **slot, struct dk_client *dk,
    const struct node_log *log)
{
	struct node_stats_hub	*h = *slot;

	if (h != NULL)
		return (h);
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return (NULL);
	h->slot = slot;
	h->dk = dk;
	h->log = log;
	*slot = h;
	return (h);
}

/* Subscribes to containers (ids NULL: every running one). */
int
node_stats_subscribe(struct node_stats_hub *h, const char *const *ids,
    size_t nids, unsigned interval, node_stats_sink sink,
    node_stats_end end, void *arg, struct node_stats_sub **out)
{
	struct node_stats_sub	*sub;
	struct hub_ctr		*c;
	size_t			 i;
	int			 err = 0;

	*out = NULL;
	sub = calloc(1, sizeof(*sub));
	if (sub == NULL)
		return (-ENOMEM);
	for (i = 0; ids != NULL && err == 0 && i < nids; i++)
		err = node_strv_push(&sub->ids, ids[i]);
	if (err != 0) {
		node_strv_free(sub->ids);
		free(sub);
		return (err);
	}
	sub->h = h;
	sub->nids = ids != NULL ? nids : 0;
	sub->interval = interval > 0 ? interval : 1;
	sub->sink = sink;
	sub->end = end;
	sub->arg = arg;
	if (ids == NULL && h->nall == 0 && (err = hub_all_start(h)) != 0) {
		free(sub);
		hub_maybe_free(h);
		return (err);
	}
	sub->next = h->subs;
	h->subs = sub;
	h->cnt.subs++;
	if (ids == NULL)
		h->nall++;
	for (i = 0; i < sub->nids; i++) {
		c = hub_ctr_get(h, sub->ids[i]);
		if (c != NULL)
			c->nexplicit++;
	}
	*out = sub;
	return (0);
}

/* Ends a subscription; streams no one else watches stop. */
void
node_stats_unsubscribe(struct node_stats_sub *sub)
{
	struct node_stats_hub	*h = sub->h;
	struct hub_ctr		*c;
	size_t			 i;

	if (sub->dead)
		return;
	sub->dead = 1;
	for (i = 0; i < sub->nids; i++) {
		c = hub_ctr_find(h, sub->ids[i]);
		if (c != NULL && c->nexplicit > 0) {
			c->nexplicit--;
			hub_ctr_release(c);
		}
	}
	if (sub->ids == NULL && --h->nall == 0)
		hub_all_stop(h);
	if (h->dispatching)
		return;		/* reaped after the dispatch */
	hub_reap(h);
	hub_maybe_free(h);
}

/* The latest sample of a container the hub watches (borrowed), or NULL. */
const json_t *
node_stats_latest(const struct node_stats_hub *h, const char *id)
{
	const struct hub_ctr	*c;

	for (c = h != NULL ? h->ctrs : NULL; c != NULL; c = c->next)
		if (strcmp(c->id, id) == 0)
			return (c->last);
	return (NULL);
}

/* The hub's counters (all zero when h is NULL). */
void
node_stats_counts(const struct node_stats_hub *h,
    struct node_stats_counts *out)
{
	if (h == NULL)
		memset(out, 0, sizeof(*out));
	else
		*out = h->cnt;
}

/* A sample as container.stats and stats.subscribe send it (new). */
json_t *
node_stats_json(const struct dk_stats *st, const char *id)
{
	return (json_pack("{s:s, s:s, s:f, s:I, s:I, s:f, s:I, s:I, s:I, "
	    "s:I, s:I, s:I}", "id", id != NULL ? id : st->id, "name",
	    st->name, "cpu_pct", st->cpu_percent, "mem_used",
	    (json_int_t)st->mem_usage, "mem_limit", (json_int_t)st->mem_limit,
	    "mem_pct", st->mem_percent, "net_rx", (json_int_t)st->net_rx,
	    "net_tx", (json_int_t)st->net_tx, "blk_read",
	    (json_int_t)st->blk_read, "blk_write", (json_int_t)st->blk_write,
	    "pids", (json_int_t)st->pids, "time", (json_int_t)time(NULL)));
}
