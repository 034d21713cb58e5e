/*
 * stats.subscribe and container.stats, both served by the node's stats
 * hub (stats-hub.c), so a container has one Docker stats stream however
 * many clients watch it.
 *
 * stats.subscribe puts each sample line on the client's JSON-lines
 * channel while the channel's queue is under NODE_STATS_QUEUE_MAX; past
 * that the sample is dropped (the next one supersedes it), so a client
 * that stops reading costs the node a bounded queue and nothing more.
 * Named containers are resolved with one list call (Docker's rule, see
 * resolve.c) before the channel is taken.
 *
 * container.stats answers with the hub's latest sample of a container
 * when the hub watches it, else with one one-shot sample from the engine.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* One stats.subscribe stream. */
struct ssub {
	struct node		*n;
	struct ovl_chan		*ch;
	struct node_stats_sub	*sub;
	size_t			 nids;
};

/* Offers one sample line to the channel; -ENOBUFS drops it. */
static int
ss_sink(struct node_stats_sub *sub, const char *line, size_t len,
    const json_t *sample, void *arg)
{
	struct ssub	*ss = arg;

	if (ss->ch == NULL || ovl_chan_queued(ss->ch) + len >
	    NODE_STATS_QUEUE_MAX)
		return (-ENOBUFS);
	return (ovl_chan_write(ss->ch, line, len));
}

/* The hub ended the subscription (the engine went away): error line. */
static void
ss_end(struct node_stats_sub *sub, int code, const char *message, void *arg)
{
	struct ssub	*ss = arg;
	json_t		*o;	/* owned */
	char		*line;
	size_t		 len;

	node_stats_unsubscribe(ss->sub);
	ss->sub = NULL;
	if (ss->ch == NULL)
		return;
	o = json_pack("{s:{s:i, s:s, s:s}}", "error", "code", code, "name",
	    proto_err_name(code), "message", message != NULL ? message :
	    "the stats stream ended");
	line = NULL;
	if (o == NULL || proto_line_encode(o, &line, &len) != 0 ||
	    ovl_chan_write(ss->ch, line, len) != 0 ||
	    ovl_chan_close(ss->ch) != 0)
		ovl_chan_reset(ss->ch);		/* may free ss */
	free(line);
	json_decref(o);
}

/* The channel ended: leave the hub. */
static void
ss_chan_close(struct ovl_chan *ch, int status, void *arg)
{
	struct ssub	*ss = arg;

	ss->ch = NULL;
	node_log(&ss->n->log, NODE_LOG_INFO, "stats: a subscriber of %s "
	    "left", ss->nids > 0 ? "named containers" : "every container");
	if (ss->sub != NULL)
		node_stats_unsubscribe(ss->sub);
	free(ss);
}

static const struct ovl_chan_cbs ss_chan_cbs = {
	.on_data = cmd_out_chan_data,
	.on_close = ss_chan_close,
};

/* Subscribes (ids NULL: all running) and replies. */
static void
ss_start(struct cmd_req *r, const char *const *ids, size_t nids)
{
	struct node_stats_hub	*h;
	struct ssub		*ss;
	int			 err;

	h = node_stats_hub(&r->node->stats, r->node->dk, &r->node->log);
	ss = calloc(1, sizeof(*ss));
	if (h == NULL || ss == NULL) {
		free(ss);
		(void)cmd_fail(r, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	ss->n = r->node;
	ss->nids = nids;
	ss->ch = cmd_take_chan(r);
	if (ss->ch == NULL) {
		free(ss);
		(void)cmd_fail(r, PROTO_E_CHANNEL, "the stream channel is "
		    "gone");
		return;
	}
	ovl_chan_set_cbs(ss->ch, &ss_chan_cbs, ss);
	err = node_stats_subscribe(h, ids, nids, (unsigned)proto_param_int(
	    r->params, "interval", 1), ss_sink, ss_end, ss, &ss->sub);
	if (err != 0) {
		ss->sub = NULL;
		ovl_chan_reset(ss->ch);		/* frees ss */
		(void)cmd_fail_docker(r, NULL, err);
		return;
	}
	ovl_chan_resume(ss->ch);
	(void)cmd_reply(r, NULL);
}

/* The containers, to resolve the names the caller gave. */
static void
ss_listed(struct dk_req *req, int status, json_t *list, void *arg)
{
	struct cmd_req	*r = arg;
	const json_t	*a = json_object_get(r->params, "ids");
	const char	**ids;
	json_t		*matches = NULL;	/* owned */
	const char	*name;
	size_t		 i, n = json_array_size(a), idx;
	int		 rc = 0;

	if (cmd_docker_failed(r, req, status, list))
		return;
	ids = calloc(n + 1, sizeof(*ids));
	for (i = 0; ids != NULL && i < n; i++) {
		name = json_string_value(json_array_get(a, i));
		rc = node_resolve_match(list, name, &idx, &matches);
		if (rc == -ENOENT)
			(void)cmd_fail(r, PROTO_E_NOTFOUND,
			    "no such container: %s", name);
		else if (rc != 0)
			(void)cmd_fail_data(r, PROTO_E_AMBIGUOUS, json_pack(
			    "{s:o}", "matches", matches), "%s matches more "
			    "than one container", name);
		if (rc != 0)
			break;
		ids[i] = json_string_value(json_object_get(json_array_get(
		    list, idx), "Id"));
		if (ids[i] == NULL) {
			(void)cmd_fail(r, PROTO_E_DOCKER, "the engine's list "
			    "has a container without an id");
			rc = -EPROTO;
			break;
		}
	}
	if (ids == NULL)
		(void)cmd_fail(r, PROTO_E_INTERNAL, "out of memory");
	else if (rc == 0)
		ss_start(r, ids, n);
	free(ids);
	json_decref(list);
}

/* stats.subscribe: samples of named containers, or of all running. */
enum cmd_retval
cmd_stats_subscribe(struct cmd_req *r)
{
	struct dk_client	*dk;
	struct dk_req		*req = NULL;
	int			 err;

	dk = cmd_docker(r);
	if (dk == NULL)
		return (CMD_ERROR);
	if (json_array_size(json_object_get(r->params, "ids")) == 0) {
		cmd_set_target(r, "all");
		ss_start(r, NULL, 0);
		return (CMD_DONE);
	}
	err = dk_container_list(dk, 1, NULL, ss_listed, r, &req);
	return (cmd_docker_wait(r, req, err));
}

/* The one-shot sample. */
static void
cs_stats(struct dk_stream *s, const struct dk_stats *st, json_t *raw,
    void *arg)
{
	struct cmd_req	*r = arg;
	json_t		*o;	/* owned */

	if (r->ended)
		return;
	o = node_stats_json(st, NULL);
	if (o == NULL)
		(void)cmd_fail(r, PROTO_E_INTERNAL, "out of memory");
	else
		(void)cmd_reply(r, o);
}

/* The one-shot stream ended: an error if no sample came. */
static void
cs_end(struct dk_stream *s, int status, const char *message, void *arg)
{
	struct cmd_req	*r = arg;

	cmd_docker_done(r);
	if (!r->ended)
		(void)cmd_fail_docker(r, NULL, status != 0 ? status :
		    DK_E_BAD_RESPONSE);
	cmd_req_unref(r);
}

/* The container is known: the hub's latest sample, or ask the engine. */
static void
cs_resolved(struct cmd_req *r, const char *id, const char *name, void *arg)
{
	struct dk_stream_cbs	 cbs;
	struct dk_stream	*s = NULL;
	const json_t		*last;
	int			 err;

	last = node_stats_latest(r->node->stats, id);
	if (last != NULL) {
		(void)cmd_reply(r, json_deep_copy(last));
		return;
	}
	if (cmd_docker(r) == NULL)
		return;
	memset(&cbs, 0, sizeof(cbs));
	cbs.on_stats = cs_stats;
	cbs.on_end = cs_end;
	cbs.arg = r;
	err = dk_stats_stream(r->node->dk, id, 1, &cbs, &s);
	if (err != 0) {
		(void)cmd_fail_docker(r, NULL, err);
		return;
	}
	cmd_req_ref(r);
	cmd_docker_wait_stream(r, s);
}

/* container.stats: one sample of one container. */
enum cmd_retval
cmd_container_stats(struct cmd_req *r)
{
	const char	*c = proto_param_str(r->params, "id", "");

	cmd_set_target(r, "%s", c);
	return (node_resolve_container(r, c, cs_resolved, NULL));
}
