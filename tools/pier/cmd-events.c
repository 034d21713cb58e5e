/*
 * `pier events [NODE...] [--filter K=V] [--json]`: the engines' events
 * from every joined node (or the named ones), merged as they come, until
 * Ctrl-C. Each line names its node; --json prints the engine's event
 * objects, one per line, with a "node" field added. A node that cannot
 * be reached, or whose stream ends, is reported on stderr and the others
 * go on; pier exits 1 once no node is left, 0 after Ctrl-C.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"
#include "cli-stream.h"

static int	events_main(const struct cli_cmd *, int, char **);

static const struct cli_opt events_opts[] = {
	{ .name = "filter", .letter = 'f', .arg = "K=V", .kind = CLI_K_ARG,
	  .help = "the engine's filters (type=container,\n"
	  "event=start, container=NAME, label=K=V,\n...); repeatable" },
	{ .name = "since", .arg = "T", .kind = CLI_K_ARG,
	  .help = "replay events since T (unix seconds)" },
	{ .name = "json",
	  .help = "the event objects, one per line, with \"node\"" },
	{ .name = "format", .arg = "TEMPLATE", .kind = CLI_K_ARG,
	  .help = "print each event with a Go template, as docker:\n"
	  "'{{.Type}} {{.Action}} {{.Actor.ID}}', '{{json .}}'; .Node\n"
	  "is the node" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_events = {
	.name = "events",
	.main = events_main,
	.method = "events.subscribe",
	.role = PROTO_ROLE_VIEWER,
	.opts = events_opts,
	.args_max = -1,
	.usage = "[--filter K=V] [--json] [--format TEMPLATE] [NODE...]",
	.summary = "show the Docker engines' events live",
	.help = "",
	.notes = "\n"
	    "With no NODE, every joined node. Runs until Ctrl-C.\n",
};

/* One node's events stream. */
struct evnode {
	struct cli_stream	 s;
	struct evrun		*er;
	char			*name;
};

/* The whole run. */
struct evrun {
	const struct cli_cmd	*self;
	struct cli_ctx		*x;
	struct evnode		*nodes;
	size_t			 n;
	size_t			 live;
	int			 json;
	const struct cli_fmt	*fmt;	/* --format, or NULL */
};

/* Prints one event as a line. */
static void
ev_print(struct evnode *en, json_t *ev)
{
	const json_t	*attrs;	/* borrowed */
	const char	*k, *type, *action, *id;
	char		 tbuf[64], *s, *t, *ty;
	json_t		*v;	/* borrowed */
	json_int_t	 ns;
	time_t		 sec;
	struct tm	 tm;
	int		 first = 1;

	if (en->er->fmt != NULL) {
		struct cli__buf	b;

		memset(&b, 0, sizeof(b));
		s = NULL;
		if (cli_fmt_row(en->er->fmt, ev, NULL, en->name, &b, &s) == 0)
			cli_write_all(STDOUT_FILENO, b.p, b.len);
		else
			(void)cli_error(en->er->self, "%s", s != NULL ? s :
			    "out of memory");
		free(s);
		free(b.p);
		return;
	}
	if (en->er->json) {
		(void)json_object_set_new(ev, "node", json_string(en->name));
		s = json_dumps(ev, JSON_COMPACT);
		if (s != NULL)
			printf("%s\n", s);
		free(s);
		fflush(stdout);
		return;
	}
	ns = json_integer_value(json_object_get(ev, "timeNano"));
	sec = (time_t)(ns / 1000000000);
	if (ns == 0)
		sec = (time_t)json_integer_value(json_object_get(ev, "time"));
	gmtime_r(&sec, &tm);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
	type = json_string_value(json_object_get(ev, "Type"));
	action = json_string_value(json_object_get(ev, "Action"));
	id = json_string_value(json_object_get(json_object_get(ev, "Actor"),
	    "ID"));
	s = cli_sanitize(en->name, 256);
	t = cli_sanitize(action != NULL ? action : "?", 256);
	ty = cli_sanitize(type != NULL ? type : "?", 64);
	printf("%s.%09lldZ %s %s %s", tbuf, (long long)(ns % 1000000000),
	    s != NULL ? s : "?", ty != NULL ? ty : "?", t != NULL ? t : "?");
	free(s);
	free(t);
	free(ty);
	if (id != NULL) {
		s = cli_sanitize(id, 256);
		printf(" %s", s != NULL ? s : "?");
		free(s);
	}
	attrs = json_object_get(json_object_get(ev, "Actor"), "Attributes");
	json_object_foreach((json_t *)attrs, k, v) {
		if (!json_is_string(v))
			continue;
		s = cli_sanitize(k, 256);
		t = cli_sanitize(json_string_value(v), 1024);
		printf("%s%s=%s", first ? " (" : ", ", s != NULL ? s : "?",
		    t != NULL ? t : "?");
		free(s);
		free(t);
		first = 0;
	}
	printf("%s\n", first ? "" : ")");
	fflush(stdout);
}

/* One line of a node's stream: an event, or the end. */
static int
ev_line(struct cli_stream *s, json_t *o)
{
	if (json_object_get(o, "end") != NULL)
		return (1);
	ev_print(container_of(s, struct evnode, s), o);
	return (0);
}

/* A node's stream is over; the run ends with the last one. */
static void
ev_end(struct cli_stream *s, const char *why)
{
	struct evnode	*en = container_of(s, struct evnode, s);

	if (why != NULL)
		(void)cli_error(en->er->self, "%s: %s", en->name, why);
	if (--en->er->live == 0)
		uv_stop(&en->er->x->loop);
}

/* Each node's stream runs until Ctrl-C; an end is reported. */
static const struct cli_stream_ops ev_ops = {
	.flags = CLI_STREAM_LINES,
	.failed = "the events stream failed",
	.fin = "the node ended the events stream",
	.line = ev_line,
	.end = ev_end,
};

/* Connects to one node and starts its stream. */
static void
ev_start(struct evrun *er, struct evnode *en, const json_t *params)
{
	char	*cause = NULL;

	en->er = er;
	cli_stream_init(&en->s, er->x, &ev_ops);
	if (cli_stream_open(&en->s, en->name, &cause) != 0) {
		(void)cli_fail(er->self, en->name, cause, "cannot connect");
		free(cause);
		return;
	}
	er->live++;
	cli_stream_call(&en->s, er->self->method, json_deep_copy(params));
}

/* Appends a filter to params.filters (made if missing); 0 or -1. */
static int
ev_push(json_t *params, const char *kv)
{
	json_t	*a;	/* borrowed */

	a = json_object_get(params, "filters");
	if (a == NULL) {
		if (json_object_set_new(params, "filters", json_array()) != 0)
			return (-1);
		a = json_object_get(params, "filters");
	}
	return (json_array_append_new(a, json_string(kv)));
}

/* `pier events`. */
static int
events_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const struct cli_fmt_spec spec = { .fields = NULL };
	struct cli_args	 a;
	struct evrun	 er;
	struct cli_ctx	 x;
	struct cli_fmt	*f = NULL;
	json_t		*params;	/* owned */
	const char	*arg;
	char		*cause = NULL, *end;
	long long	 since;
	size_t		 i, pos = 0;
	int		 bad = 0, rc;

	memset(&er, 0, sizeof(er));
	er.self = self;
	rc = cli_args_parse(self, argc, argv, &a);
	params = a.params;
	a.params = NULL;
	cli_args_free(&a);
	while (rc < 0 && (arg = cli_args_next(self, &a, "filter",
	    &pos)) != NULL) {
		if (strchr(arg, '=') == NULL || arg[0] == '=')
			rc = cli_usage_error(self, "--filter %s: expected "
			    "KEY=VALUE", arg);
		else
			bad |= ev_push(params, arg);
	}
	arg = cli_args_get(self, &a, "since");
	if (rc < 0 && arg != NULL) {
		since = strtoll(arg, &end, 10);
		if (*end != '\0' || end == arg || since < 0 ||
		    since > 253402300799LL)
			rc = cli_usage_error(self, "--since %s: expected unix "
			    "seconds", arg);
		else
			bad |= json_object_set_new(params, "since",
			    json_integer(since));
	}
	if (rc < 0 && bad)
		rc = cli_usage(self);
	arg = rc < 0 ? cli_args_get(self, &a, "format") : NULL;
	if (arg != NULL && cli_fmt_parse(arg, &spec, &f, &cause) != 0) {
		rc = cli_usage_error(self, "--format: %s", cause != NULL ?
		    cause : "out of memory");
		free(cause);
		cause = NULL;
	}
	if (rc >= 0) {
		json_decref(params);
		return (rc);
	}
	er.fmt = f;
	er.json = cli_args_get(self, &a, "json") != NULL;
	if (cli_ctx_open(&x, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		free(cause);
		json_decref(params);
		cli_fmt_free(f);
		return (CLI_EXIT_FAIL);
	}
	er.x = &x;
	er.n = a.argc > 0 ? (size_t)a.argc : x.book.n;
	er.nodes = calloc(er.n + 1, sizeof(*er.nodes));
	for (i = 0; er.nodes != NULL && i < er.n; i++) {
		er.nodes[i].name = strdup(a.argc > 0 ? a.argv[i] :
		    x.book.nodes[i].name);
		if (er.nodes[i].name != NULL && cli_book_find(&x.book,
		    er.nodes[i].name) == NULL) {
			(void)cli_error(self, "%s: no such node (see pier "
			    "nodes)", er.nodes[i].name);
			continue;
		}
		if (er.nodes[i].name != NULL)
			ev_start(&er, &er.nodes[i], params);
	}
	if (er.n == 0)
		(void)cli_error(self, "no node joined yet (see pier join)");
	rc = CLI_EXIT_FAIL;
	if (er.live > 0 && cli_stream_loop(&x, 1) == 1)
		rc = CLI_EXIT_OK;
	for (i = 0; er.nodes != NULL && i < er.n; i++)
		er.nodes[i].s.live = 0;	/* quiet while closing */
	for (i = 0; er.nodes != NULL && i < er.n; i++) {
		cli_stream_close(&er.nodes[i].s);
		free(er.nodes[i].name);
	}
	free(er.nodes);
	json_decref(params);
	cli_ctx_close(&x);
	cli_fmt_free(f);
	return (rc);
}
