/*
 * `pier events [NODE...] [--filter K=V] [--json]`: the engines' events
 * from every joined node (or the named ones), merged as they come, until
 * Ctrl-C. Each line names its node; --json prints the engine's event
 * objects, one per line, with a "node" field added. A node that cannot
 * be reached, or whose stream ends, is reported on stderr and the others
 * go on; pier exits 1 once no node is left, 0 after Ctrl-C.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"

static int	events_main(const struct cli_cmd *, int, char **);

const struct cli_cmd cli_cmd_events = {
	.name = "events",
	.main = events_main,
	.usage = "[--filter K=V] [--json] [NODE...]",
	.summary = "show the Docker engines' events live",
	.help =
	    "  -f, --filter K=V  the engine's filters (type=container,\n"
	    "                    event=start, container=NAME, label=K=V,\n"
	    "                    ...); repeatable\n"
	    "      --since T     replay events since T (unix seconds)\n"
	    "      --json        the event objects, one per line, with "
	    "\"node\"\n"
	    "\n"
	    "With no NODE, every joined node. Runs until Ctrl-C.\n",
};

/* One node's events stream. */
struct evnode {
	struct evrun		*er;
	struct cli_rpc		*r;
	struct ovl_chan		*ch;
	struct proto_ldec	 ldec;
	char			*name;
	int			 live;
};

/* The whole run. */
struct evrun {
	const struct cli_cmd	*self;
	struct cli_ctx		*x;
	struct evnode		*nodes;
	size_t			 n;
	size_t			 live;
	int			 json;
	uv_signal_t		 sigint;
	int			 interrupted;
};

/* A node's stream is over; the run ends with the last one. */
static void
ev_node_end(struct evnode *en, const char *msg)
{
	if (!en->live)
		return;
	en->live = 0;
	if (msg != NULL)
		(void)cli_error(en->er->self, "%s: %s", en->name, msg);
	if (--en->er->live == 0)
		uv_stop(&en->er->x->loop);
}

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

/* One line of a node's stream. */
static int
ev_line(void *arg, const char *body, size_t len)
{
	struct evnode	*en = arg;
	json_t		*o;	/* owned */
	const char	*m;

	o = json_loadb(body, len, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		ev_node_end(en, "the node sent a broken stream");
		return (1);
	}
	if (json_object_get(o, "error") != NULL) {
		m = json_string_value(json_object_get(json_object_get(o,
		    "error"), "message"));
		ev_node_end(en, m != NULL ? m : "the events stream failed");
	} else if (json_object_get(o, "end") != NULL)
		ev_node_end(en, NULL);
	else
		ev_print(en, o);
	json_decref(o);
	return (en->live ? 0 : 1);
}

/* Stream bytes from a node. */
static void
ev_data(struct ovl_chan *ch, const uint8_t *buf, size_t len, void *arg)
{
	struct evnode	*en = arg;

	if (len == 0 || !en->live)
		return;
	if (proto_ldec_feed(&en->ldec, buf, len, ev_line, en) < 0)
		ev_node_end(en, "the node sent a broken stream");
}

/* The channel ended (with the connection: ev_lost follows and says why). */
static void
ev_close(struct ovl_chan *ch, int status, void *arg)
{
	struct evnode	*en = arg;

	en->ch = NULL;
	if (status == -ECONNABORTED)
		return;
	ev_node_end(en, status == 0 ? "the node ended the events stream" :
	    "the connection to the node dropped");
}

/* The node's connection ended: its reason, or the transport's. */
static void
ev_lost(struct cli_rpc *r, const char *why, void *arg)
{
	ev_node_end(arg, why);
}

static const struct ovl_chan_cbs ev_cbs = {
	.on_data = ev_data,
	.on_close = ev_close,
};

/* events.subscribe's reply: only an error matters. */
static void
ev_reply(struct cli_rpc *r, const json_t *result,
    const struct cli_rpc_error *e, void *arg)
{
	if (e != NULL)
		ev_node_end(arg, e->message != NULL ? e->message : "failed");
}

/* Ctrl-C: stop, exit 0. */
static void
ev_sigint(uv_signal_t *h, int signum)
{
	struct evrun	*er = container_of(h, struct evrun, sigint);

	er->interrupted = 1;
	uv_stop(&er->x->loop);
}

/* Connects to one node and starts its stream. */
static void
ev_start(struct evrun *er, struct evnode *en, const json_t *params)
{
	json_t	*p;	/* owned */
	char	*cause = NULL;

	en->er = er;
	proto_ldec_init(&en->ldec, 0);
	if (cli_rpc_open(er->x, en->name, &en->r, &cause) != 0) {
		(void)cli_error(er->self, "%s: %s", en->name, cause != NULL ?
		    cause : "cannot connect");
		free(cause);
		en->r = NULL;
		return;
	}
	en->live = 1;
	er->live++;
	cli_rpc_on_lost(en->r, ev_lost, en);
	p = json_deep_copy(params);
	if (p == NULL || cli_rpc_stream_open(en->r, &ev_cbs, en, p,
	    &en->ch) != 0) {
		json_decref(p);
		ev_node_end(en, "cannot open a stream");
		return;
	}
	if (cli_rpc_call_async(en->r, "events.subscribe", p, 0, ev_reply,
	    en) != 0)
		ev_node_end(en, "cannot send the request");
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
	static const struct option longopts[] = {
		{ "filter", required_argument, NULL, 'f' },
		{ "since", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct evrun	 er;
	struct cli_ctx	 x;
	json_t		*params;	/* owned */
	char		*cause = NULL, *end;
	long long	 since;
	size_t		 i;
	int		 ch, bad = 0, rc, sig_ok;

	memset(&er, 0, sizeof(er));
	er.self = self;
	params = json_object();
	if (params == NULL)
		return (cli_error(self, "out of memory"));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (strchr(optarg, '=') == NULL || optarg[0] == '=') {
				json_decref(params);
				return (cli_usage_error(self, "--filter %s: "
				    "expected KEY=VALUE", optarg));
			}
			bad |= ev_push(params, optarg);
			break;
		case 'S':
			since = strtoll(optarg, &end, 10);
			if (*end != '\0' || end == optarg || since < 0 ||
			    since > 253402300799LL) {
				json_decref(params);
				return (cli_usage_error(self, "--since %s: "
				    "expected unix seconds", optarg));
			}
			bad |= json_object_set_new(params, "since",
			    json_integer(since));
			break;
		case 'j':
			er.json = 1;
			break;
		case 'h':
			json_decref(params);
			return (cli_help(self));
		default:
			json_decref(params);
			return (cli_usage(self));
		}
	}
	if (bad) {
		json_decref(params);
		return (cli_usage(self));
	}
	if (cli_ctx_open(&x, &cause) != 0) {
		cli_error(self, "%s", cause != NULL ? cause : "failed");
		free(cause);
		json_decref(params);
		return (CLI_EXIT_FAIL);
	}
	er.x = &x;
	er.n = optind < argc ? (size_t)(argc - optind) : x.book.n;
	er.nodes = calloc(er.n + 1, sizeof(*er.nodes));
	for (i = 0; er.nodes != NULL && i < er.n; i++) {
		er.nodes[i].name = strdup(optind < argc ? argv[optind + i] :
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
	(void)cli_out_watch(&x);	/* `| head` ends it */
	sig_ok = uv_signal_init(&x.loop, &er.sigint) == 0;
	if (sig_ok)
		(void)uv_signal_start(&er.sigint, ev_sigint, SIGINT);
	if (er.live > 0)
		uv_run(&x.loop, UV_RUN_DEFAULT);
	rc = er.interrupted ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	if (sig_ok)
		uv_close((uv_handle_t *)&er.sigint, NULL);
	for (i = 0; er.nodes != NULL && i < er.n; i++)
		er.nodes[i].live = 0;	/* quiet while closing */
	for (i = 0; er.nodes != NULL && i < er.n; i++) {
		if (er.nodes[i].ch != NULL) {
			ovl_chan_set_data(er.nodes[i].ch, NULL);
			ovl_chan_reset(er.nodes[i].ch);
		}
		if (er.nodes[i].r != NULL)
			cli_rpc_close(er.nodes[i].r);
		proto_ldec_free(&er.nodes[i].ldec);
		free(er.nodes[i].name);
	}
	free(er.nodes);
	json_decref(params);
	cli_ctx_close(&x);
	return (rc);
}
