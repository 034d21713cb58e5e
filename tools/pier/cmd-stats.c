/*
 * `pier stats [NODE/CONTAINER...] [--no-stream] [--json]`: live resource
 * usage as `docker stats` shows it, across nodes, with a NODE column.
 * With no argument: every running container of every joined node,
 * following containers as they start and stop. Each node serves its
 * containers from one stats.subscribe stream (its stats hub), and the
 * table is redrawn once a second (cli-out.h's live table). --no-stream
 * prints one table once every container has a sample (or after a few
 * seconds with what came) and exits; --json prints rows as JSON.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"
#include "cli-stream.h"

#define STATS_REDRAW_MS		1000	/* table refresh */
#define STATS_STALE_MS		3500	/* a row not updated: gone */
#define STATS_ONCE_MS		20000	/* --no-stream waits, */
#define STATS_QUIET_MS		3000	/* or this with no new row */

static int	stats_main(const struct cli_cmd *, int, char **);

static const struct cli_opt stats_opts[] = {
	{ .name = "no-stream", .help = "print one table and exit" },
	{ .name = "json", .help = "rows as JSON (with --no-stream an array,\n"
	  "else one sample object per line)" },
	{ .name = "no-trunc", .help = "full container ids" },
	{ .name = "format", .arg = "TEMPLATE", .kind = CLI_K_ARG,
	  .help = "print each row with a Go template, as docker:\n"
	  "'table {{.Name}}\\t{{.CPUPerc}}', '{{json .}}'; .Node is\n"
	  "the node" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_stats = {
	.name = "stats",
	.main = stats_main,
	.method = "stats.subscribe",
	.role = PROTO_ROLE_VIEWER,
	.opts = stats_opts,
	.args_max = -1,
	.usage = "[--no-stream] [--json] [--no-trunc] [--format TEMPLATE] "
	    "[NODE/CONTAINER...]",
	.summary = "show containers' resource usage live",
	.help = "",
	.notes = "\n"
	    "With no container, every running container of every joined\n"
	    "node. Runs until Ctrl-C unless --no-stream.\n",
};

/* One node's subscription. */
struct snode {
	struct cli_stream	 s;
	struct srun		*sr;
	char			*name;
	json_t			*ids;	/* owned: names, or NULL */
	json_t			*rows;	/* owned: id: {sample, seen} */
	size_t			 expect; /* rows --no-stream wants */
};

/* The whole run. */
struct srun {
	const struct cli_cmd	*self;
	struct cli_ctx		*x;
	struct snode		*nodes;
	size_t			 n;
	size_t			 live;
	int			 once;
	int			 json;
	int			 no_trunc;
	const struct cli_fmt	*fmt;	/* --format, or NULL */
	int			 failed;
	struct cli_live		 lv;
	uv_timer_t		 tick;
	uint64_t		 started;
	uint64_t		 last_new;	/* a new row came (loop ms) */
};

/* A node is done (error or end); the run ends with the last one. */
static void
st_end(struct cli_stream *s, const char *why)
{
	struct snode	*sn = container_of(s, struct snode, s);

	if (why != NULL) {
		(void)cli_error(sn->sr->self, "%s: %s", sn->name, why);
		sn->sr->failed = 1;
	}
	if (--sn->sr->live == 0)
		uv_stop(&sn->sr->x->loop);
}

/* Compares two rows by node, then name, for a stable table. */
static int
st_row_cmp(const void *a, const void *b)
{
	const json_t	*x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int		 c;

	c = strcmp(json_string_value(json_object_get(x, "node")),
	    json_string_value(json_object_get(y, "node")));
	if (c != 0)
		return (c);
	return (strcmp(json_string_value(json_object_get(x, "name")) != NULL ?
	    json_string_value(json_object_get(x, "name")) : "",
	    json_string_value(json_object_get(y, "name")) != NULL ?
	    json_string_value(json_object_get(y, "name")) : ""));
}

/* docker stats' fields and headers, for --format. */
static const char *const stats_fields[] = {
	"Container", "CONTAINER", "Name", "NAME", "ID", "CONTAINER ID",
	"CPUPerc", "CPU %", "MemUsage", "MEM USAGE / LIMIT", "MemPerc",
	"MEM %", "NetIO", "NET I/O", "BlockIO", "BLOCK I/O", "PIDs", "PIDS",
	"Node", "NODE", NULL
};
static const struct cli_fmt_spec stats_spec = { stats_fields, 0, 1 };

/*
 * .Container as docker fills it: the name or id prefix the user gave
 * for this sample's container, else its short id (into id).
 */
static const char *
st_given(const struct srun *sr, const json_t *sample,
    char id[static CLI_SHORT_ID + 1])
{
	const char	*node = json_string_value(json_object_get(sample,
			    "node"));
	const char	*name = json_string_value(json_object_get(sample,
			    "name"));
	const char	*full = json_string_value(json_object_get(sample,
			    "id")), *g;
	size_t		 i, k;

	for (i = 0; node != NULL && i < sr->n; i++) {
		if (strcmp(sr->nodes[i].name, node) != 0)
			continue;
		for (k = 0; k < json_array_size(sr->nodes[i].ids); k++) {
			g = json_string_value(json_array_get(sr->nodes[i].ids,
			    k));
			if (g != NULL && ((name != NULL && strcmp(g, name) ==
			    0) || (full != NULL && strncmp(g, full,
			    strlen(g)) == 0)))
				return (g);
		}
	}
	return (cli_short_id(id, full != NULL ? full : ""));
}

/* Draws the sorted samples v[0..nv) through --format. */
static void
st_draw_format(struct srun *sr, json_t **v, size_t nv)
{
	static const char *const keys[CLI_STATS_COLS] = { "ID", "Name",
	    "CPUPerc", "MemUsage", "MemPerc", "NetIO", "BlockIO", "PIDs" };
	char		 cells[CLI_STATS_COLS][CLI_STATS_CELL];
	char		 id[CLI_SHORT_ID + 1], *cause = NULL, *t = NULL;
	struct cli__buf	 b;
	json_t		*ctx;
	size_t		 i, j, len;

	memset(&b, 0, sizeof(b));
	cli__buf_add(&b, "", 0);
	if (cli_fmt_is_table(sr->fmt) && cli_fmt_header(sr->fmt, &b,
	    &cause) != 0)
		goto fail;
	for (j = 0; j < nv; j++) {
		if (cli_stats_cells(v[j], sr->no_trunc, cells) != 0 ||
		    (ctx = json_object()) == NULL)
			continue;
		for (i = 0; i < CLI_STATS_COLS; i++)
			(void)json_object_set_new(ctx, keys[i],
			    json_string(cells[i]));
		(void)json_object_set_new(ctx, "Container", json_string(
		    st_given(sr, v[j], id)));
		i = (size_t)cli_fmt_row(sr->fmt, ctx, NULL, json_string_value(
		    json_object_get(v[j], "node")), &b, &cause);
		json_decref(ctx);
		if (i != 0)
			goto fail;
	}
	if (cli_fmt_is_table(sr->fmt) && (t = cli_tabwrite(b.p, b.len,
	    &len)) == NULL)
		goto fail;
	if (sr->lv.is_terminal && !sr->once)
		cli_write_all(STDOUT_FILENO, "\033[2J\033[H", 7);
	cli_write_all(STDOUT_FILENO, t != NULL ? t : b.p, t != NULL ? len :
	    b.len);
	free(t);
	free(b.p);
	return;
fail:
	cli_error(sr->self, "%s", cause != NULL ? cause : "out of memory");
	free(cause);
	free(b.p);
	sr->failed = 1;
	uv_stop(&sr->x->loop);
}

/* Draws the table of every fresh row. */
static void
st_draw(struct srun *sr)
{
	static const char *hdr[CLI_STATS_COLS + 1];
	char		 cells[CLI_STATS_COLS][CLI_STATS_CELL];
	const char	*row[CLI_STATS_COLS + 1];
	struct cli_table *t;
	json_t		**v, *e, *s;	/* borrowed */
	uint64_t	 now = uv_now(&sr->x->loop);
	const char	*k;
	size_t		 i, j, nv = 0, cap = 0;
	void		*tmp;
	int		 err;

	hdr[0] = "NODE";
	for (i = 0; i < CLI_STATS_COLS; i++)
		hdr[i + 1] = cli_stats_headers[i];
	t = cli_table_new(hdr, CLI_STATS_COLS + 1);
	v = NULL;
	for (i = 0; t != NULL && i < sr->n; i++) {
		tmp = NULL;
		json_object_foreach_safe(sr->nodes[i].rows, tmp, k, e) {
			if (sr->nodes[i].ids == NULL && !sr->once &&
			    now - (uint64_t)json_integer_value(json_object_get(
			    e, "seen")) > STATS_STALE_MS) {
				(void)json_object_del(sr->nodes[i].rows, k);
				continue;
			}
			if (nv == cap) {
				cap = cap ? cap * 2 : 64;
				v = realloc(v, cap * sizeof(*v));
				if (v == NULL)
					break;
			}
			v[nv++] = json_object_get(e, "sample");
		}
	}
	if (v != NULL)
		qsort(v, nv, sizeof(*v), st_row_cmp);
	if (sr->fmt != NULL) {
		st_draw_format(sr, v, v != NULL ? nv : 0);
		free(v);
		cli_table_free(t);
		return;
	}
	for (j = 0; t != NULL && v != NULL && j < nv; j++) {
		s = v[j];
		if (cli_stats_cells(s, sr->no_trunc, cells) != 0)
			continue;
		row[0] = json_string_value(json_object_get(s, "node"));
		for (i = 0; i < CLI_STATS_COLS; i++)
			row[i + 1] = cells[i];
		if (cli_table_add(t, row) != 0 ||
		    cli_table_add_json(t, json_deep_copy(s)) != 0)
			break;
	}
	if (t != NULL) {
		if (sr->once)
			err = cli_table_print(t, stdout, sr->json ?
			    CLI_TABLE_JSON : 0);
		else
			err = cli_live_frame(&sr->lv, t, 0);
		if (err != 0)
			sr->failed = 1;
		fflush(stdout);
	}
	free(v);
	cli_table_free(t);
}

/* Tells whether every node has the rows --no-stream waits for. */
static int
st_complete(const struct srun *sr)
{
	size_t	i;

	for (i = 0; i < sr->n; i++)
		if (sr->nodes[i].s.live &&
		    json_object_size(sr->nodes[i].rows) < sr->nodes[i].expect)
			return (0);
	return (1);
}

/* One sample line from a node. */
static int
st_line(struct cli_stream *s, json_t *o)
{
	struct snode	*sn = container_of(s, struct snode, s);
	struct srun	*sr = sn->sr;
	const char	*id;
	char		*str;

	id = json_string_value(json_object_get(o, "id"));
	if (id != NULL) {
		(void)json_object_set_new(o, "node", json_string(sn->name));
		if (sr->json && !sr->once) {
			str = json_dumps(o, JSON_COMPACT);
			if (str != NULL)
				printf("%s\n", str);
			free(str);
			fflush(stdout);
		}
		if (json_object_get(sn->rows, id) == NULL)
			sr->last_new = uv_now(&sr->x->loop);
		(void)json_object_set_new(sn->rows, id, json_pack("{s:O, s:I}",
		    "sample", o, "seen", (json_int_t)uv_now(&sr->x->loop)));
	}
	if (sr->once && st_complete(sr))
		uv_stop(&sr->x->loop);
	return (0);
}

/* Each node's stream runs until Ctrl-C (or --no-stream's table). */
static const struct cli_stream_ops st_ops = {
	.flags = CLI_STREAM_LINES,
	.failed = "the stats stream failed",
	.fin = "the node ended the stats stream",
	.line = st_line,
	.end = st_end,
};

/* Once a second: redraw; --no-stream gives up waiting after a while. */
static void
st_tick(uv_timer_t *h)
{
	struct srun	*sr = container_of(h, struct srun, tick);

	if (sr->once) {
		/* Containers may come and go: stop once rows stop coming. */
		if (uv_now(&sr->x->loop) - sr->started >= STATS_ONCE_MS ||
		    (sr->last_new != 0 && uv_now(&sr->x->loop) -
		    sr->last_new >= STATS_QUIET_MS))
			uv_stop(&sr->x->loop);
		return;
	}
	if (!sr->json)
		st_draw(sr);
}

/* Connects to one node, counts what --no-stream waits for, subscribes. */
static void
st_start(struct srun *sr, struct snode *sn)
{
	struct cli_rpc_error	 err;
	json_t			*res = NULL;	/* owned */
	char			*cause = NULL;

	sn->sr = sr;
	if (cli_stream_open(&sn->s, sn->name, &cause) != 0) {
		(void)cli_fail(sr->self, sn->name, cause, "cannot connect");
		free(cause);
		sr->failed = 1;
		return;
	}
	sr->live++;
	memset(&err, 0, sizeof(err));
	if (sn->ids != NULL)
		sn->expect = json_array_size(sn->ids);
	else if (sr->once && cli_rpc_call(sn->s.r, "container.list", NULL, 0,
	    &res, &err) == 0)
		sn->expect = json_array_size(json_object_get(res,
		    "containers"));
	json_decref(res);
	cli_rpc_error_clear(&err);
	cli_stream_call(&sn->s, sr->self->method, sn->ids != NULL ?
	    json_pack("{s:O}", "ids", sn->ids) : json_object());
}

/* The node entry of a name, added if missing. */
static struct snode *
st_node(struct srun *sr, const char *name)
{
	size_t	i;

	for (i = 0; i < sr->n; i++)
		if (strcmp(sr->nodes[i].name, name) == 0)
			return (&sr->nodes[i]);
	sr->nodes[sr->n].name = strdup(name);
	sr->nodes[sr->n].rows = json_object();
	cli_stream_init(&sr->nodes[sr->n].s, sr->x, &st_ops);
	if (sr->nodes[sr->n].name == NULL || sr->nodes[sr->n].rows == NULL)
		return (NULL);
	return (&sr->nodes[sr->n++]);
}

/* Fills the node list from the arguments (or every joined node). */
static int
st_targets(struct srun *sr, int argc, char **argv)
{
	struct cli_target	 tg;
	struct snode		*sn;
	char			*cause = NULL;
	size_t			 i, max;
	int			 rc = 0;

	max = argc > 0 ? (size_t)argc : sr->x->book.n;
	sr->nodes = calloc(max + 1, sizeof(*sr->nodes));
	if (sr->nodes == NULL)
		return (cli_error(sr->self, "out of memory"));
	for (i = 0; argc == 0 && i < max; i++)
		if (st_node(sr, sr->x->book.nodes[i].name) == NULL)
			return (cli_error(sr->self, "out of memory"));
	for (i = 0; i < (size_t)argc && rc == 0; i++) {
		memset(&tg, 0, sizeof(tg));
		if (cli_target_parse(&sr->x->book, argv[i], &tg,
		    &cause) != 0) {
			rc = cli_fail(sr->self, NULL, cause, "bad target");
			free(cause);
			break;
		}
		sn = st_node(sr, tg.node);
		if (sn == NULL || (sn->ids == NULL &&
		    (sn->ids = json_array()) == NULL) ||
		    json_array_append_new(sn->ids,
		    json_string(tg.container)) != 0)
			rc = cli_error(sr->self, "out of memory");
		cli_target_free(&tg);
	}
	if (rc == 0 && sr->n == 0)
		rc = cli_error(sr->self, "no node joined yet (see pier join)");
	return (rc);
}

/* `pier stats`. */
static int
stats_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args	 a;
	struct srun	 sr;
	struct cli_ctx	 x;
	struct cli_fmt	*f = NULL;
	const char	*v;
	unsigned	 rows = 0, cols = 0;
	char		*cause = NULL;
	size_t		 i;
	int		 rc, tty, handles = 0;

	memset(&sr, 0, sizeof(sr));
	sr.self = self;
	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	sr.once = cli_args_get(self, &a, "no-stream") != NULL;
	sr.json = cli_args_get(self, &a, "json") != NULL;
	sr.no_trunc = cli_args_get(self, &a, "no-trunc") != NULL;
	v = cli_args_get(self, &a, "format");
	if (v != NULL && strcmp(v, "table") != 0 && cli_fmt_parse(v,
	    &stats_spec, &f, &cause) != 0) {
		rc = cli_usage_error(self, "--format: %s", cause != NULL ?
		    cause : "out of memory");
		free(cause);
		return (rc);
	}
	sr.fmt = f;
	if (cli_ctx_open(&x, &cause) != 0) {
		cli_fmt_free(f);
		cli_fail(self, NULL, cause, "failed");
		free(cause);
		return (CLI_EXIT_FAIL);
	}
	sr.x = &x;
	rc = st_targets(&sr, a.argc, a.argv);
	tty = isatty(1);
	if (tty && cli_tty_winsize(1, &rows, &cols) != 0)
		rows = cols = 0;
	cli_live_init(&sr.lv, stdout, tty, rows, cols);
	for (i = 0; rc == 0 && i < sr.n; i++)
		st_start(&sr, &sr.nodes[i]);
	sr.started = uv_now(&x.loop);
	if (rc == 0 && uv_timer_init(&x.loop, &sr.tick) == 0) {
		handles = 1;
		(void)uv_timer_start(&sr.tick, st_tick, STATS_REDRAW_MS,
		    STATS_REDRAW_MS);
	}
	if (rc == 0 && sr.live > 0 && !(sr.once && st_complete(&sr)))
		(void)cli_stream_loop(&x, 1);
	if (rc == 0 && sr.once && sr.live > 0)
		st_draw(&sr);
	if (rc == 0)
		rc = sr.failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	if (handles)
		uv_close((uv_handle_t *)&sr.tick, NULL);
	for (i = 0; sr.nodes != NULL && i < sr.n; i++)
		sr.nodes[i].s.live = 0;	/* quiet while closing */
	for (i = 0; sr.nodes != NULL && i < sr.n; i++) {
		cli_stream_close(&sr.nodes[i].s);
		json_decref(sr.nodes[i].ids);
		json_decref(sr.nodes[i].rows);
		free(sr.nodes[i].name);
	}
	free(sr.nodes);
	cli_ctx_close(&x);
	cli_fmt_free(f);
	return (rc);
}
