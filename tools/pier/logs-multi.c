/*
 * `pier logs` over logs.select: the logs of many containers on many
 * nodes as one stream. Each node merges its own containers' lines by
 * the engine's timestamps and filters them (--grep runs there); this
 * file merges the nodes' streams the same way and prints.
 *
 * The merge window. A node's lines come in time order, so the oldest
 * head line of all nodes may go once every node still streaming has a
 * line waiting: without -f that is an exact merge. With -f a quiet node
 * would hold the others back forever, so a line also goes once it has
 * waited LM_WINDOW_MS. That covers a node's own window (100 ms) plus a
 * difference in link delays of about 200 ms; a line later than that
 * behind a newer one of another node is printed out of order. Times are
 * each host's engine's: clocks that differ between hosts reorder lines
 * of different nodes by that skew (within a node the order is exact).
 *
 * Reconnecting. With -f, a node whose connection drops is dialed again
 * every LM_RETRY_MS; its stream is asked again from the newest time
 * received from it (since_ns), and the lines received at exactly that
 * time are recognised by a hash of container, stream and text and not
 * printed twice. Lines written while the node was away are still in the
 * engine's log and come then.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "cli.h"
#include "cli-stream.h"

#define LM_WINDOW_MS	300	/* a line waits at most this with -f */
#define LM_RETRY_MS	1000	/* a lost node is dialed again */
#define LM_SEEN_MAX	256	/* lines remembered at the newest time */

/* A line (or event) from a node, waiting to be merged. */
struct lm_line {
	struct lm_line	*next;
	int64_t		 t;
	uint64_t	 arrived;	/* loop ms */
	json_t		*o;		/* owned */
};

/* One node's stream. */
struct lm_node {
	struct cli_stream	 s;
	struct lm_run		*run;
	char			*name;
	json_t			*params;	/* owned: what to ask for */
	struct lm_line		*head, *tail;
	int			 done;	/* ended for good */
	int			 away;	/* lost; being dialed again */
	struct cli_rpc		*dialing;
	uv_timer_t		 retry;
	int64_t			 recv_t;	/* newest time received */
	uint64_t		 recv_h[LM_SEEN_MAX];	/* lines at recv_t */
	size_t			 nrecv_h;
	int64_t			 skip_t;	/* resuming: drop up to here */
	uint64_t		 skip_h[LM_SEEN_MAX];
	size_t			 nskip_h;
};

/* The whole run. */
struct lm_run {
	const struct cli_cmd	*self;
	struct cli_ctx		*x;
	struct lm_node		*nodes;
	size_t			 n;
	int			 follow, json, ts, prefix;
	int			 color[3];	/* per fd 1, 2 */
	int			 failed;
	uv_timer_t		 window;
};

/* FNV-1a over a line's container, stream and text. */
static uint64_t
lm_hash(const json_t *o)
{
	static const char *const keys[] = { "c", "s", "l", "ev", "why" };
	const char	*v;
	uint64_t	 h = 1469598103934665603ULL;
	size_t		 i, j, len;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		v = json_string_value(json_object_get(o, keys[i]));
		len = json_string_length(json_object_get(o, keys[i]));
		for (j = 0; v != NULL && j < len; j++)
			h = (h ^ (unsigned char)v[j]) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;
	}
	return (h);
}

/* RFC 3339 with nanoseconds in UTC, as docker logs -t writes it. */
static void
lm_time(int64_t t, char *buf, size_t len)
{
	struct tm	tm;
	time_t		s = (time_t)(t / 1000000000LL);
	char		day[32];

	(void)gmtime_r(&s, &tm);
	(void)strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09lldZ", day, (long long)(t % 1000000000LL));
}

/* The colour of a container, the same on every run. */
static int
lm_color(const char *node, const char *ctr)
{
	static const int	 pal[] = { 36, 33, 32, 35, 34, 31, 96, 93, 92,
	    95, 94, 91 };
	uint32_t		 h = 2166136261u;
	const char		*p;

	for (p = node; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (p = ctr; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return (pal[h % (sizeof(pal) / sizeof(pal[0]))]);
}

/* Prints an object (stolen) as one compact JSON line on stdout. */
static void
lm_print_json(json_t *o)
{
	char	*s;

	s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	if (s != NULL)
		printf("%s\n", s);
	free(s);
	json_decref(o);
}

/* Prints an event (join, leave, engine) as text on stderr, or JSON. */
static void
lm_print_event(struct lm_run *run, struct lm_node *ln, const json_t *o)
{
	const char	*ev = json_string_value(json_object_get(o, "ev"));
	const char	*c = json_string_value(json_object_get(o, "c"));
	const char	*why = json_string_value(json_object_get(o, "why"));
	char		 tb[48];

	if (run->json) {
		lm_time(json_integer_value(json_object_get(o, "t")), tb,
		    sizeof(tb));
		lm_print_json(json_pack("{s:s, s:s?, s:s, s:s?, s:s}", "node",
		    ln->name, "container", c, "event", ev, "why", why, "time",
		    tb));
		return;
	}
	if (!run->prefix && strcmp(ev, "engine") != 0)
		return;
	fflush(stdout);
	if (strcmp(ev, "join") == 0)
		fprintf(stderr, "%s/%s joined\n", ln->name, c);
	else if (strcmp(ev, "leave") == 0)
		fprintf(stderr, "%s/%s left: %s\n", ln->name, c, why != NULL ?
		    why : "stopped");
	else
		fprintf(stderr, "%s: %s\n", ln->name, why != NULL ? why : ev);
}

/* Prints one line: prefixed and coloured, or as docker logs, or JSON. */
static void
lm_print(struct lm_run *run, struct lm_node *ln, const json_t *o)
{
	const char	*c, *s, *l;
	char		 tb[48];
	FILE		*f;
	int		 err, ctx;
	size_t		 len;

	if (json_object_get(o, "ev") != NULL) {
		lm_print_event(run, ln, o);
		return;
	}
	c = json_string_value(json_object_get(o, "c"));
	s = json_string_value(json_object_get(o, "s"));
	l = json_string_value(json_object_get(o, "l"));
	len = json_string_length(json_object_get(o, "l"));
	if (c == NULL || s == NULL || l == NULL)
		return;
	err = strcmp(s, "stderr") == 0;
	ctx = json_object_get(o, "x") != NULL;
	if (run->json || run->ts)
		lm_time(json_integer_value(json_object_get(o, "t")), tb,
		    sizeof(tb));
	if (run->json) {
		lm_print_json(json_pack("{s:s, s:s, s:s, s:s, s:s%, s:b}",
		    "node", ln->name, "container", c, "stream", s, "time", tb,
		    "line", l, len, "context", ctx));
		return;
	}
	f = err ? stderr : stdout;
	if (run->prefix) {
		if (run->color[err])
			fprintf(f, "\033[%dm%s/%s\033[0m", lm_color(ln->name, c),
			    ln->name, c);
		else
			fprintf(f, "%s/%s", ln->name, c);
		fputs(ctx ? " - " : " | ", f);
	}
	if (run->ts)
		fprintf(f, "%s ", tb);
	fwrite(l, 1, len, f);
	fputc('\n', f);
}

/* Whether some node still streaming has nothing waiting. */
static int
lm_someone_waits(const struct lm_run *run)
{
	size_t	i;

	for (i = 0; i < run->n; i++)
		if (!run->nodes[i].done && run->nodes[i].head == NULL)
			return (1);
	return (0);
}

/* The window's end: merge again. */
static void lm_on_window(uv_timer_t *h);

/* Prints what may go now; stops the loop once every node is done. */
static void
lm_pump(struct lm_run *run)
{
	struct lm_node	*best;
	struct lm_line	*ln;
	uint64_t	 now = uv_now(&run->x->loop), age;
	size_t		 i, done = 0;

	for (;;) {
		best = NULL;
		for (i = 0; i < run->n; i++)
			if (run->nodes[i].head != NULL && (best == NULL ||
			    run->nodes[i].head->t < best->head->t))
				best = &run->nodes[i];
		if (best == NULL)
			break;
		if (lm_someone_waits(run)) {
			if (!run->follow)
				break;
			age = now - best->head->arrived;
			if (age < LM_WINDOW_MS) {
				(void)uv_timer_start(&run->window,
				    lm_on_window, LM_WINDOW_MS - age, 0);
				break;
			}
		}
		ln = best->head;
		best->head = ln->next;
		if (best->head == NULL)
			best->tail = NULL;
		lm_print(run, best, ln->o);
		json_decref(ln->o);
		free(ln);
	}
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < run->n; i++)
		done += run->nodes[i].done && run->nodes[i].head == NULL;
	if (done == run->n)
		uv_stop(&run->x->loop);
}

/* The window's end: merge again. */
static void
lm_on_window(uv_timer_t *h)
{
	lm_pump(container_of(h, struct lm_run, window));
}

/* Whether a line was received before the node was lost. */
static int
lm_seen(struct lm_node *ln, int64_t t, uint64_t h)
{
	size_t	i;

	if (t < ln->skip_t)
		return (1);
	if (t > ln->skip_t)
		return (0);
	for (i = 0; i < ln->nskip_h; i++)
		if (ln->skip_h[i] == h)
			return (1);
	return (0);
}

/* One line from a node: the end, or a line or event to merge. */
static int
lm_line(struct cli_stream *s, json_t *o)
{
	struct lm_node	*ln = container_of(s, struct lm_node, s);
	struct lm_line	*l;
	json_t		*t = json_object_get(o, "t");
	uint64_t	 h;
	int64_t		 tv;

	if (json_object_get(o, "end") != NULL)
		return (1);
	if (!json_is_integer(t))
		return (0);	/* a kind of line this client does not know */
	tv = json_integer_value(t);
	h = lm_hash(o);
	if (lm_seen(ln, tv, h))
		return (0);
	if (tv > ln->recv_t) {
		ln->recv_t = tv;
		ln->nrecv_h = 0;
	}
	if (tv == ln->recv_t && ln->nrecv_h < LM_SEEN_MAX)
		ln->recv_h[ln->nrecv_h++] = h;
	l = malloc(sizeof(*l));
	if (l == NULL)
		return (-1);
	l->next = NULL;
	l->t = tv;
	l->arrived = uv_now(&ln->run->x->loop);
	l->o = json_incref(o);
	if (ln->tail != NULL)
		ln->tail->next = l;
	else
		ln->head = l;
	ln->tail = l;
	lm_pump(ln->run);
	return (0);
}

static void	lm_retry(uv_timer_t *);

/* A node's stream ended: for good, or lost and dialed again with -f. */
static void
lm_end(struct cli_stream *s, const char *why)
{
	struct lm_node	*ln = container_of(s, struct lm_node, s);
	struct lm_run	*run = ln->run;

	if (why != NULL && s->lost && run->follow) {
		fflush(stdout);
		fprintf(stderr, "%s: %s; reconnecting\n", ln->name, why);
		ln->away = 1;
		(void)uv_timer_start(&ln->retry, lm_retry, LM_RETRY_MS, 0);
		return;
	}
	if (why != NULL) {
		fflush(stdout);
		(void)cli_error(run->self, "%s: %s", ln->name, why);
		run->failed = 1;
	}
	ln->done = 1;
	lm_pump(run);
}

static const struct cli_stream_ops lm_ops = {
	.flags = CLI_STREAM_LINES,
	.failed = "the logs failed on the node",
	.fin = NULL,
	.line = lm_line,
	.end = lm_end,
};

/* Sends logs.select on a connected node, resuming after a loss. */
static void
lm_call(struct lm_node *ln)
{
	json_t	*p = json_deep_copy(ln->params);	/* owned */

	if (p != NULL && ln->recv_t > 0) {
		(void)json_object_del(p, "tail");
		(void)json_object_del(p, "since");
		(void)json_object_set_new(p, "since_ns",
		    json_integer(ln->recv_t));
		ln->skip_t = ln->recv_t;
		memcpy(ln->skip_h, ln->recv_h, sizeof(ln->recv_h));
		ln->nskip_h = ln->nrecv_h;
	}
	cli_stream_call(&ln->s, "logs.select", p);
}

/* A lost node answered again, or did not. */
static void
lm_dialed(struct cli_rpc *r, int status, const char *why, void *arg)
{
	struct lm_node	*ln = arg;
	char		 tb[48];

	ln->dialing = NULL;
	if (status != 0) {
		(void)uv_timer_start(&ln->retry, lm_retry, LM_RETRY_MS, 0);
		return;
	}
	ln->away = 0;
	cli_stream_adopt(&ln->s, r);
	lm_time(ln->recv_t, tb, sizeof(tb));
	fflush(stdout);
	fprintf(stderr, "%s: reconnected; resuming after %s\n", ln->name,
	    ln->recv_t > 0 ? tb : "the start");
	lm_call(ln);
}

/* Dials a lost node again. */
static void
lm_retry(uv_timer_t *h)
{
	struct lm_node	*ln = container_of(h, struct lm_node, retry);
	char		*cause = NULL;

	cli_stream_close(&ln->s);
	cli_stream_init(&ln->s, ln->run->x, &lm_ops);
	if (cli_rpc_open_async(ln->run->x, ln->name, CLI_TIMEOUT_MS, lm_dialed,
	    ln, &ln->dialing, &cause) != 0) {
		ln->dialing = NULL;
		(void)uv_timer_start(&ln->retry, lm_retry, LM_RETRY_MS, 0);
	}
	free(cause);
}

/* The node entry of a name, added if missing (params from base). */
static struct lm_node *
lm_node(struct lm_run *run, const char *name, const json_t *base)
{
	struct lm_node	*ln;
	size_t		 i;

	for (i = 0; i < run->n; i++)
		if (strcmp(run->nodes[i].name, name) == 0)
			return (&run->nodes[i]);
	ln = &run->nodes[run->n];
	memset(ln, 0, sizeof(*ln));
	ln->run = run;
	ln->name = strdup(name);
	ln->params = json_deep_copy(base);
	cli_stream_init(&ln->s, run->x, &lm_ops);
	(void)uv_timer_init(&run->x->loop, &ln->retry);
	run->n++;
	if (ln->name == NULL || ln->params == NULL)
		return (NULL);
	return (ln);
}

/*
 * The nodes and their selections: NODE/CONTAINER names a container,
 * NODE/ every container of NODE, no target every joined node (with
 * filters). Returns 0, or an exit code with the error reported.
 */
static int
lm_targets(struct lm_run *run, int argc, char **argv, const json_t *base,
    int has_filters)
{
	struct cli_target	 tg;
	struct lm_node		*ln;
	json_t			*ids;	/* borrowed */
	char			*cause = NULL, *node;
	size_t			 i, len;
	int			 rc = 0;

	run->nodes = calloc((size_t)argc + run->x->book.n + 1,
	    sizeof(*run->nodes));
	if (run->nodes == NULL)
		return (cli_error(run->self, "out of memory"));
	for (i = 0; argc == 0 && i < run->x->book.n; i++)
		if (lm_node(run, run->x->book.nodes[i].name, base) == NULL)
			return (cli_error(run->self, "out of memory"));
	for (i = 0; i < (size_t)argc && rc == 0; i++) {
		len = strlen(argv[i]);
		if (len > 1 && argv[i][len - 1] == '/') {
			node = strndup(argv[i], len - 1);
			if (node == NULL || cli_book_find(&run->x->book,
			    node) == NULL) {
				rc = cli_usage_error(run->self, "%s: no such "
				    "node (see pier nodes)", argv[i]);
				free(node);
				break;
			}
			ln = lm_node(run, node, base);
			free(node);
			if (ln == NULL)
				return (cli_error(run->self, "out of memory"));
			if (json_object_get(ln->params, "ids") != NULL)
				rc = cli_usage_error(run->self, "%s: name a "
				    "node's containers or all of them, not "
				    "both", argv[i]);
			else if (!has_filters)
				(void)json_object_set_new(ln->params, "all",
				    json_true());
			continue;
		}
		if (has_filters) {
			rc = cli_usage_error(run->self, "--filter selects "
			    "containers; give NODE/ targets with it, not %s",
			    argv[i]);
			break;
		}
		memset(&tg, 0, sizeof(tg));
		if (cli_target_parse(&run->x->book, argv[i], &tg,
		    &cause) != 0) {
			rc = cli_fail(run->self, NULL, cause, "bad target");
			free(cause);
			break;
		}
		ln = lm_node(run, tg.node, base);
		if (ln == NULL)
			rc = cli_error(run->self, "out of memory");
		else if (json_object_get(ln->params, "all") != NULL)
			rc = cli_usage_error(run->self, "%s/: name a node's "
			    "containers or all of them, not both", tg.node);
		else {
			ids = json_object_get(ln->params, "ids");
			if (ids == NULL) {
				ids = json_array();
				(void)json_object_set_new(ln->params, "ids",
				    ids);
			}
			(void)json_array_append_new(ids,
			    json_string(tg.container));
		}
		cli_target_free(&tg);
	}
	if (rc == 0 && run->n == 0)
		rc = cli_error(run->self, "no node joined yet (see pier join)");
	return (rc);
}

/* Runs logs.select on the targets' nodes and prints the merge. */
int
cli_logs_multi(const struct cli_cmd *self, struct cli_ctx *x,
    const json_t *base, int argc, char **argv, const struct cli_logs_how *how)
{
	struct lm_run	 run;
	struct lm_line	*l;
	char		*cause = NULL;
	size_t		 i, started = 0;
	int		 rc;

	memset(&run, 0, sizeof(run));
	run.self = self;
	run.x = x;
	run.follow = how->follow;
	run.json = how->json;
	run.ts = how->timestamps;
	run.prefix = how->prefix;
	run.color[0] = isatty(1) && getenv("NO_COLOR") == NULL;
	run.color[1] = isatty(2) && getenv("NO_COLOR") == NULL;
	(void)uv_timer_init(&x->loop, &run.window);
	rc = lm_targets(&run, argc, argv, base, how->filters);
	for (i = 0; rc == 0 && i < run.n; i++) {
		if (cli_stream_open(&run.nodes[i].s, run.nodes[i].name,
		    &cause) != 0) {
			(void)cli_fail(self, run.nodes[i].name, cause,
			    "cannot connect");
			free(cause);
			cause = NULL;
			run.failed = 1;
			run.nodes[i].done = 1;
			continue;
		}
		lm_call(&run.nodes[i]);
		started++;
	}
	if (rc == 0 && started > 0)
		(void)cli_stream_loop(x, 1);
	if (rc == 0)
		rc = run.failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	uv_close((uv_handle_t *)&run.window, NULL);
	for (i = 0; i < run.n; i++) {
		run.nodes[i].s.live = 0;	/* quiet while closing */
		if (run.nodes[i].dialing != NULL)
			cli_rpc_close(run.nodes[i].dialing);
		cli_stream_close(&run.nodes[i].s);
		uv_close((uv_handle_t *)&run.nodes[i].retry, NULL);
		while ((l = run.nodes[i].head) != NULL) {
			run.nodes[i].head = l->next;
			json_decref(l->o);
			free(l);
		}
		json_decref(run.nodes[i].params);
		free(run.nodes[i].name);
	}
	uv_run(&x->loop, UV_RUN_NOWAIT);	/* the timers' closes */
	free(run.nodes);
	return (rc);
}
