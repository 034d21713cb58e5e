/*
 * logs.select: the logs of a selection of containers as one stream of
 * JSON lines, merged by the engine's timestamps and filtered on the node
 * (logsel.c runs the streams; this file takes the request and keeps the
 * selection).
 *
 * The selection is named containers (`ids`: name, full id or unique id
 * prefix each), every container (`all`), or the engine's own filters
 * (`filters`: label=, name=, ...), resolved with one list call: running
 * containers with follow, every container without (a history search
 * reads stopped ones too). More than LSEL_CTR_MAX matching containers is
 * refused, naming the limit, before any stream starts.
 *
 * With follow, the engine's start events (a stream opened before the
 * list, so a container starting in between is not missed) let a
 * container that starts later and matches join: named ones by their id,
 * filtered ones by a list call with the selection's filters narrowed to
 * that id, so the engine decides what matches. When the engine goes
 * away (its streams end and a fresh connection is refused) the run says
 * so in an engine line, asks again every LSEL_RETRY_MS, and once it
 * answers, lists the selection again and resumes each container from
 * the last line read before the loss, skipping the lines read already.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "logsel-int.h"

static int	ls_list(struct lsel_run *, struct cmd_req *);
static int	ls_events(struct lsel_run *, long long);
static void	ls_retry(uv_timer_t *);

/* The first name of an engine container summary, without its '/'. */
static const char *
ls_name(const json_t *c)
{
	const char	*s;

	s = json_string_value(json_array_get(json_object_get(c, "Names"), 0));
	if (s == NULL)
		return ("");
	return (s[0] == '/' ? s + 1 : s);
}

/* Whether a full id is one of the named containers. */
static int
ls_wanted(const struct lsel_run *run, const char *id)
{
	size_t	i;

	for (i = 0; i < json_array_size(run->want); i++)
		if (strcmp(json_string_value(json_array_get(run->want, i)),
		    id) == 0)
			return (1);
	return (0);
}

/*
 * The containers of a list answer that the selection takes: named ones
 * resolved (the first time, into run->want), or every one listed. Adds
 * {id, name} to out; -ENOENT etc. with *cause when a name fails.
 */
static int
ls_pick(struct lsel_run *run, const json_t *list, json_t *out, char **cause)
{
	const json_t	*c;
	json_t		*m = NULL;	/* owned */
	const char	*name;
	size_t		 i, idx;
	int		 err;

	if (run->ids != NULL && run->want == NULL) {
		run->want = json_array();
		for (i = 0; i < json_array_size(run->ids); i++) {
			name = json_string_value(json_array_get(run->ids, i));
			err = node_resolve_match(list, name, &idx, &m);
			json_decref(m);
			if (err != 0) {
				if (asprintf(cause, err == -ENOENT ? "no such "
				    "container: %s" : "%s names more than one "
				    "container", name) < 0)
					*cause = NULL;
				return (err);
			}
			c = json_array_get(list, idx);
			if (!ls_wanted(run, cmd_jstr(c, "Id")))
				(void)json_array_append_new(run->want,
				    json_string(cmd_jstr(c, "Id")));
		}
	}
	for (i = 0; i < json_array_size(list); i++) {
		c = json_array_get(list, i);
		if (run->want != NULL && !ls_wanted(run, cmd_jstr(c, "Id")))
			continue;
		(void)json_array_append_new(out, json_pack("{s:s, s:s}", "id",
		    cmd_jstr(c, "Id"), "name", ls_name(c)));
	}
	return (0);
}

/* Starts the streams of the picked containers; see the head comment. */
static int
ls_start_all(struct lsel_run *run, const json_t *picked, int resume,
    char **cause)
{
	struct lsel_ctr	*c;
	const json_t	*e;
	const char	*id;
	size_t		 i;
	int		 err;

	for (i = 0; i < json_array_size(picked); i++) {
		e = json_array_get(picked, i);
		id = cmd_jstr(e, "id");
		if (lsel_live(run, id) != NULL)
			continue;
		c = resume ? lsel_lost(run, id) : NULL;
		err = lsel_ctr_start(run, c, id, cmd_jstr(e, "name"),
		    c != NULL ? c->last_t : resume ? run->lost_at : 0,
		    resume && c == NULL);
		if (err != 0) {
			if (asprintf(cause, "cannot read the logs of %s: %s",
			    cmd_jstr(e, "name"), err == -E2BIG ? "too many "
			    "containers" : dk_strerror(err)) < 0)
				*cause = NULL;
			return (err);
		}
	}
	return (0);
}

/* A late joiner's narrowed list answered: it joins if it matches. */
struct ls_join {
	struct lsel_run	*run;
	int64_t		 t;	/* its start, ns */
};

/* The narrowed list of a started container answered. */
static void
ls_join_listed(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct ls_join	*j = arg;
	struct lsel_run	*run = j->run;
	const json_t	*c;

	run->njoin--;
	c = json_array_get(res, 0);
	if (status == 0 && c != NULL && run->ch != NULL && !run->closing &&
	    lsel_live(run, cmd_jstr(c, "Id")) == NULL &&
	    lsel_ctr_start(run, NULL, cmd_jstr(c, "Id"), ls_name(c), j->t,
	    1) == 0)
		lsel_pump(run);
	json_decref(res);
	free(j);
	lsel_maybe_free(run);
}

/* A container started: does it join the selection? */
static void
ls_on_event(struct dk_stream *s, const struct dk_event *ev, json_t *raw,
    void *arg)
{
	struct lsel_run	*run = arg;
	struct ls_join	*j;
	json_t		*f;	/* owned */
	int64_t		 t = ev->time_ns > 0 ? ev->time_ns : lsel_now_ns();
	int		 err;

	/*
	 * The engine sends "start" once the process runs, so its first
	 * lines may be older: read from a second before (but nothing from
	 * before the call: a container restarted within that second may
	 * repeat its last lines).
	 */
	t -= 1000000000LL;
	if (t < run->list_since * 1000000000LL)
		t = run->list_since * 1000000000LL;

	if (strcmp(ev->action, "start") != 0 || ev->id[0] == '\0' ||
	    run->ch == NULL || lsel_live(run, ev->id) != NULL)
		return;
	if (run->want != NULL) {
		if (ls_wanted(run, ev->id) && lsel_ctr_start(run, NULL, ev->id,
		    ev->name, t, 1) == 0)
			lsel_pump(run);
		return;
	}
	if (run->filters == NULL) {
		if (lsel_ctr_start(run, NULL, ev->id, ev->name, t, 1) == 0)
			lsel_pump(run);
		return;
	}
	/* The engine decides whether it matches the filters. */
	f = json_deep_copy(run->filters);
	j = malloc(sizeof(*j));
	if (f == NULL || j == NULL || json_object_set_new(f, "id",
	    json_pack("[s]", ev->id)) != 0) {
		json_decref(f);
		free(j);
		return;
	}
	j->run = run;
	j->t = t;
	err = dk_container_list(run->dk, 1, f, ls_join_listed, j, NULL);
	json_decref(f);
	if (err != 0)
		free(j);
	else
		run->njoin++;
}

/* The events stream ended: the engine went away (or the run ends). */
static void
ls_on_events_end(struct dk_stream *s, int status, const char *message,
    void *arg)
{
	struct lsel_run	*run = arg;

	run->ev = NULL;
	if (run->ch != NULL && !run->closing)
		lsel_engine_lost(run, message != NULL && *message != '\0' ?
		    message : "the events stream ended");
	lsel_maybe_free(run);
}

/* Follows the engine's container start events from since (seconds). */
static int
ls_events(struct lsel_run *run, long long since)
{
	static const char *const kv[] = { "type=container", "event=start",
	    NULL };
	struct dk_stream_cbs	 cbs;
	json_t			*f;	/* owned */
	int			 err;

	f = dk_filters(kv);
	if (f == NULL)
		return (-ENOMEM);
	memset(&cbs, 0, sizeof(cbs));
	cbs.on_event = ls_on_event;
	cbs.on_end = ls_on_events_end;
	cbs.arg = run;
	err = dk_events_stream(run->dk, f, since, 0, &cbs, &run->ev);
	json_decref(f);
	if (err != 0)
		run->ev = NULL;
	return (err);
}

/* The engine went away under a follow: say so, ask again later. */
void
lsel_engine_lost(struct lsel_run *run, const char *why)
{
	char	msg[512];

	if (run->lost_at != 0 || run->ch == NULL)
		return;
	run->lost_at = lsel_now_ns();
	snprintf(msg, sizeof(msg), "the engine went away (%s); reconnecting",
	    why != NULL && *why != '\0' ? why : "no answer");
	node_log(&run->n->log, NODE_LOG_INFO, "%s: %s", run->label, msg);
	lsel_engine_line(run, msg);
	if (run->ev != NULL)
		dk_stream_cancel(run->ev);
	(void)uv_timer_start(&run->retry, ls_retry,
	    LSEL_RETRY_MS, 0);
}

/* The first list answered: reply, take the channel, start the streams. */
static void
ls_first(struct lsel_run *run, struct cmd_req *r, json_t *picked, int err,
    char *cause, long long since)
{
	struct ovl_chan	*ch;

	if (err == 0 && run->follow && ls_events(run, since) != 0) {
		err = -EIO;
		cause = "cannot follow the engine's events";
	}
	if (err == 0 && (ch = cmd_take_chan(r)) == NULL) {
		err = -EPIPE;
		cause = "the stream channel is gone";
	}
	if (err != 0) {
		(void)cmd_fail(r, err == -E2BIG ? PROTO_E_TOOLARGE : err ==
		    -ENOENT ? PROTO_E_NOTFOUND : err == -EEXIST ?
		    PROTO_E_AMBIGUOUS : err == -EPIPE ? PROTO_E_CHANNEL :
		    PROTO_E_DOCKER, "%s", cause != NULL ? cause : "failed");
		if (run->ev != NULL)
			dk_stream_cancel(run->ev);
		lsel_run_abort(run);
		return;
	}
	lsel_run_attach(run, ch);
	run->started = 1;
	if (ls_start_all(run, picked, 0, &cause) != 0) {
		(void)cmd_reply(r, NULL);
		lsel_fail(run, PROTO_E_DOCKER, cause);
		free(cause);
		return;
	}
	(void)cmd_reply(r, json_pack("{s:O}", "containers", picked));
	lsel_pump(run);
}

/* The selection's list answered: start the streams, or resume them. */
static void
ls_listed(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct lsel_run	*run = arg;
	struct cmd_req	*r = run->pending;
	json_t		*picked;	/* owned */
	char		*cause = NULL;
	int		 err;

	run->req = NULL;
	run->pending = NULL;
	if (r != NULL && cmd_docker_failed(r, req, status, res)) {
		lsel_run_abort(run);
		return;
	}
	if (r == NULL && (status != 0 || run->ch == NULL)) {
		json_decref(res);
		if (run->ch != NULL)
			(void)uv_timer_start(&run->retry, ls_retry, LSEL_RETRY_MS, 0);
		lsel_maybe_free(run);
		return;
	}
	picked = json_array();
	if (json_array_size(res) > LSEL_CTR_MAX) {
		err = -E2BIG;
		if (asprintf(&cause, "the selection matches %zu containers; "
		    "at most %d can be read at once (logs.select's limit)",
		    json_array_size(res), LSEL_CTR_MAX) < 0)
			cause = NULL;
	} else
		err = ls_pick(run, res, picked, &cause);
	json_decref(res);
	if (r != NULL) {
		ls_first(run, r, picked, err, cause, run->list_since);
	} else {
		run->lost_at_done = run->lost_at;
		lsel_engine_line(run, "the engine answers again; resuming");
		if (err == 0)
			err = ls_start_all(run, picked, 1, &cause);
		run->lost_at = 0;
		if (err == 0)
			lsel_drop_lost(run);
		if (err == 0 && run->follow && ls_events(run,
		    run->lost_at_done / 1000000000LL) != 0)
			lsel_engine_lost(run, "cannot follow its events");
		if (err != 0)
			lsel_fail(run, PROTO_E_DOCKER, cause != NULL ? cause :
			    "cannot resume");
		lsel_pump(run);
	}
	json_decref(picked);
	free(cause);
}

/* Lists the selection's candidates (r: the first time, else NULL). */
static int
ls_list(struct lsel_run *run, struct cmd_req *r)
{
	int	err;

	run->pending = r;
	if (r != NULL)
		run->list_since = lsel_now_ns() / 1000000000LL;
	err = dk_container_list(run->dk, !run->follow || run->ids != NULL,
	    run->filters, ls_listed, run, &run->req);
	if (err != 0) {
		run->req = NULL;
		run->pending = NULL;
	}
	return (err);
}

/* The engine's retry timer: ask again. */
static void
ls_retry(uv_timer_t *h)
{
	struct lsel_run	*run = h->data;

	if (run->ch == NULL || run->req != NULL)
		return;
	if (ls_list(run, NULL) != 0)
		(void)uv_timer_start(&run->retry, ls_retry,
		    LSEL_RETRY_MS, 0);
}

/* Reads the request's choices into the run; an error is answered. */
static int
ls_params(struct lsel_run *run, struct cmd_req *r)
{
	const json_t	*p = r->params, *v;
	const char	*kv[33], *pat;
	char		*cause = NULL;
	size_t		 i;
	int		 err;

	run->follow = proto_param_bool(p, "follow", 0);
	run->tail = proto_param_int(p, "tail", -1);
	run->since_ns = proto_param_int(p, "since_ns", 0);
	if (run->since_ns == 0)
		run->since_ns = proto_param_int(p, "since", 0) * 1000000000LL;
	run->until = proto_param_int(p, "until", 0);
	run->stdout_on = proto_param_bool(p, "stdout", 1);
	run->stderr_on = proto_param_bool(p, "stderr", 1);
	run->context = (unsigned)proto_param_int(p, "context", 0);
	run->all = proto_param_bool(p, "all", 0);
	if (!run->stdout_on && !run->stderr_on) {
		(void)cmd_fail(r, PROTO_E_PARAMS, "params: stdout and stderr "
		    "are both false: nothing to show");
		return (-EINVAL);
	}
	if (run->until > 0 && run->until * 1000000000LL < run->since_ns) {
		(void)cmd_fail(r, PROTO_E_PARAMS, "params: until is before "
		    "since");
		return (-EINVAL);
	}
	v = json_object_get(p, "ids");
	if (v != NULL)
		run->ids = json_deep_copy(v);
	v = json_object_get(p, "filters");
	if (json_array_size(v) > 0) {
		for (i = 0; i < json_array_size(v) && i < 32; i++)
			kv[i] = json_string_value(json_array_get(v, i));
		kv[i] = NULL;
		run->filters = dk_filters(kv);
		if (run->filters == NULL) {
			(void)cmd_fail(r, PROTO_E_PARAMS, "params.filters: "
			    "each is KEY=VALUE (label=app=web, name=web)");
			return (-EINVAL);
		}
	}
	if (run->ids != NULL && (run->filters != NULL || run->all)) {
		(void)cmd_fail(r, PROTO_E_PARAMS, "params: ids name the "
		    "containers; they cannot be combined with all or filters");
		return (-EINVAL);
	}
	if (run->ids == NULL && run->filters == NULL && !run->all) {
		(void)cmd_fail(r, PROTO_E_PARAMS, "params: nothing selected: "
		    "give ids, all or filters");
		return (-EINVAL);
	}
	pat = proto_param_str(p, "grep", NULL);
	if (pat != NULL) {
		err = node_lsel_grep_new(pat, proto_param_bool(p, "icase", 0),
		    proto_param_bool(p, "invert", 0), &run->grep, &cause);
		if (err != 0) {
			(void)cmd_fail(r, PROTO_E_PARAMS, "params.grep: %s",
			    cause != NULL ? cause : "out of memory");
			free(cause);
			return (err);
		}
	}
	return (0);
}

/* logs.select: read the choices, then list the selection. */
enum cmd_retval
cmd_logs_select(struct cmd_req *r)
{
	struct dk_client	*dk;
	struct lsel_run		*run;
	int			 err;

	dk = cmd_docker(r);
	if (dk == NULL)
		return (CMD_ERROR);
	run = lsel_run_new(r->node, dk);
	if (run == NULL)
		return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	if (ls_params(run, r) != 0) {
		lsel_run_abort(run);
		return (CMD_ERROR);
	}
	cmd_set_target(r, "%s", run->ids != NULL ? "named containers" :
	    run->filters != NULL ? "filtered containers" : "all containers");
	snprintf(run->label, sizeof(run->label), "logs.select (%s)",
	    r->target);
	err = ls_list(run, r);
	if (err != 0) {
		lsel_run_abort(run);
		return (cmd_fail_docker(r, NULL, err));
	}
	return (cmd_docker_wait(r, run->req, 0));
}
