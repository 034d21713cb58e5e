/*
 * Answers from the container model (model.c): whether it can answer a
 * listing now, later (once the refreshes the node's own calls asked for
 * are back) or not at all, the rows it answers with, and its counters
 * for node.info.
 */
#include <stdlib.h>
#include <string.h>

#include "model-int.h"

/* A waiter waited long enough: answer from the model as it is. */
static void
on_wait_timer(uv_timer_t *t)
{
	node_model__wake(container_of(t, struct node_model, wait_timer));
}

/*
 * Whether the model can answer r now: 0 yes (call node_model_rows), 1
 * it will say through cb once its refreshes are back (ok 0: ask the
 * engine), -EAGAIN no (ask the engine).
 */
int
node_model_wait(struct node *n, struct cmd_req *r, node_model_cb cb,
    void *arg)
{
	struct node_model	*m = n->model;
	struct mwait		*w;

	if (m == NULL || m->state != NODE_MODEL_READY) {
		if (m != NULL)
			m->st.forwarded++;
		return (-EAGAIN);
	}
	if (m->touched == 0)
		return (0);
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return (-EAGAIN);
	w->r = r;
	w->cb = cb;
	w->arg = arg;
	cmd_req_ref(r);
	if (TAILQ_EMPTY(&m->waits))
		(void)uv_timer_start(&m->wait_timer, on_wait_timer,
		    MODEL_WAIT_MS, 0);
	TAILQ_INSERT_TAIL(&m->waits, w, entry);
	m->st.waited++;
	return (1);
}

/* Orders summaries newest first, as the engine lists them, for qsort. */
static int
by_created(const void *a, const void *b)
{
	int64_t	 x, y;

	x = node_model_created_ns(*(json_t *const *)a);
	y = node_model_created_ns(*(json_t *const *)b);
	return (x < y ? 1 : x > y ? -1 : 0);
}

/*
 * The model's containers (a new array of summaries, the engine's
 * fields with State and Status as of now), newest first: running ones
 * unless all, with every label of labels ("KEY" or "KEY=VALUE").
 */
json_t *
node_model_rows(struct node *n, int all, const json_t *labels)
{
	struct node_model	*m = n->model;
	const char		*key;
	json_t			*v, **vec, *out;	/* out owned */
	size_t			 i, k = 0;
	int64_t			 now = node_model_now_ns();

	if (m == NULL)
		return (NULL);
	vec = calloc(json_object_size(m->ctrs) + 1, sizeof(*vec));
	out = json_array();
	if (vec == NULL || out == NULL) {
		free(vec);
		json_decref(out);
		return (NULL);
	}
	json_object_foreach(m->ctrs, key, v) {
		if (!all && !node_model_is_running(v))
			continue;
		if (!node_model_has_labels(v, labels))
			continue;
		node_model_stamp_status(v, now);
		vec[k++] = v;
	}
	qsort(vec, k, sizeof(*vec), by_created);
	for (i = 0; i < k; i++)
		(void)json_array_append(out, vec[i]);
	free(vec);
	m->st.answered++;
	return (out);
}

/* What the model holds and has done, for node.info (a new reference). */
json_t *
node_model_json(const struct node *n)
{
	const struct node_model	*m = n->model;
	static const char *const states[] = { "off", "building", "ready" };

	if (m == NULL)
		return (json_null());
	return (json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I}",
	    "state", states[m->state],
	    "containers", (json_int_t)json_object_size(m->ctrs),
	    "events", (json_int_t)m->st.events,
	    "refreshes", (json_int_t)m->st.refreshes,
	    "lists", (json_int_t)m->st.lists,
	    "rebuilds", (json_int_t)m->st.rebuilds,
	    "checks", (json_int_t)m->st.checks,
	    "mismatches", (json_int_t)m->st.mismatches,
	    "answered", (json_int_t)m->st.answered,
	    "waited", (json_int_t)m->st.waited,
	    "forwarded", (json_int_t)m->st.forwarded));
}
