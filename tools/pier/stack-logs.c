/*
 * `pier stack logs`: a stack's logs merged from its containers', as
 * compose prints them: each line after its service's name ("web-1 |"),
 * stdout's lines to stdout and stderr's to stderr. stack.ps names the
 * containers; each gets its own container.logs stream (its own
 * connection), all on one loop, lines written whole as they complete,
 * so lines of two services never mix inside a line. Without -f it ends
 * when every stream has; with -f at Ctrl-C.
 *
 * This interleaves by arrival, not by time stamp; a node-side merge of
 * many containers' logs (one stream, ordered) should replace the
 * per-container streams here once the node offers it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-stack.h"
#include "cli-stream.h"

#define SL_LINE_MAX	65536	/* a longer line is cut there */

/* One container's stream and its partial lines. */
struct slog {
	struct cli_stream	 s;
	char			 prefix[96];
	char			*part[2];	/* stdout, stderr */
	size_t			 plen[2];
	size_t			*live;		/* streams still going */
};

/* Writes one whole line with the prefix to fd. */
static void
sl_line(struct slog *l, int fd, const char *buf, size_t len)
{
	cli_write_all(fd, l->prefix, strlen(l->prefix));
	cli_write_all(fd, buf, len);
	cli_write_all(fd, "\n", 1);
}

/* Output bytes: whole lines out, the rest kept. */
static void
sl_bytes(struct slog *l, int which, const uint8_t *data, size_t len)
{
	const uint8_t	*nl;
	char		*p;
	size_t		 n;

	while (len > 0) {
		nl = memchr(data, '\n', len);
		n = nl != NULL ? (size_t)(nl - data) : len;
		if (l->plen[which] + n > SL_LINE_MAX)
			n = SL_LINE_MAX - l->plen[which];
		p = realloc(l->part[which], l->plen[which] + n + 1);
		if (p == NULL)
			return;
		memcpy(p + l->plen[which], data, n);
		l->part[which] = p;
		l->plen[which] += n;
		if (nl != NULL || l->plen[which] >= SL_LINE_MAX) {
			sl_line(l, which + 1, p, l->plen[which]);
			l->plen[which] = 0;
			if (nl != NULL && (size_t)(nl - data) == n)
				n++;	/* the newline itself */
		}
		data += n;
		len -= n;
	}
}

/* Writes what is left of unfinished lines. */
static void
sl_flush(struct slog *l)
{
	int	i;

	for (i = 0; i < 2; i++)
		if (l->plen[i] > 0)
			sl_line(l, i + 1, l->part[i], l->plen[i]);
	l->plen[0] = l->plen[1] = 0;
}

/* A frame: output, or END/EXIT for this container's end. */
static int
sl_frame(struct cli_stream *s, enum proto_frame type, const uint8_t *data,
    size_t len)
{
	struct slog	*l = container_of(s, struct slog, s);

	if (type == PROTO_FRAME_STDOUT || type == PROTO_FRAME_STDERR) {
		sl_bytes(l, type == PROTO_FRAME_STDERR, data, len);
		return (0);
	}
	return (type == PROTO_FRAME_END || type == PROTO_FRAME_EXIT);
}

/* One container's logs ended: the loop stops after the last. */
static void
sl_end(struct cli_stream *s, const char *why)
{
	struct slog	*l = container_of(s, struct slog, s);

	sl_flush(l);
	if (why != NULL)
		fprintf(stderr, "%s(logs ended: %s)\n", l->prefix, why);
	if (--*l->live == 0)
		uv_stop(&s->x->loop);
}

static const struct cli_stream_ops sl_ops = {
	.flags = CLI_STREAM_RAW,
	.failed = "the logs failed on the node",
	.frame = sl_frame,
	.end = sl_end,
};

/* The stack's containers from stack.ps: 0 with *rows (owned). */
static int
sl_containers(const struct cli_cmd *self, const char *node,
    const char *name, json_t **rows)
{
	struct cli_link	 l;
	json_t		*res = NULL;	/* owned */
	int		 rc;

	*rows = NULL;
	rc = cli_link_open(self, &l, node);
	if (rc != CLI_EXIT_OK)
		return (rc);
	rc = cli_link_call(self, &l, "stack.ps", json_pack("{s:s}", "name",
	    name), &res);
	if (rc == CLI_EXIT_OK) {
		*rows = json_incref(json_object_get(res, "containers"));
		json_decref(res);
	}
	cli_link_close(&l);
	return (rc);
}

/* Prints the logs of a stack (see cli-stack.h). */
int
cli_stack_logs(const struct cli_cmd *self, const char *node,
    const char *name, int follow, long long tail)
{
	struct cli_ctx	 x;
	struct slog	*ls;
	json_t		*rows, *p;	/* owned */
	const json_t	*c;
	const char	*svc;
	char		*cause = NULL;
	size_t		 i, n, live = 0;
	int		 rc;

	rc = sl_containers(self, node, name, &rows);
	if (rc != CLI_EXIT_OK)
		return (rc);
	n = json_array_size(rows);
	ls = calloc(n + 1, sizeof(*ls));
	if (ls == NULL || cli_ctx_open(&x, &cause) != 0) {
		free(ls);
		json_decref(rows);
		rc = cli_fail(self, NULL, cause, "out of memory");
		free(cause);
		return (rc);
	}
	for (i = 0; i < n; i++) {
		c = json_array_get(rows, i);
		svc = json_string_value(json_object_get(c, "name"));
		cli_stream_init(&ls[i].s, &x, &sl_ops);
		ls[i].live = &live;
		snprintf(ls[i].prefix, sizeof(ls[i].prefix), "%-*s | ",
		    n > 1 ? 16 : 0, svc != NULL ? svc : "?");
		if (cli_stream_open(&ls[i].s, node, &cause) != 0) {
			rc = cli_fail(self, NULL, cause, "failed");
			free(cause);
			cause = NULL;
			continue;
		}
		live++;
		p = json_pack("{s:s, s:b}", "id", json_string_value(
		    json_object_get(c, "id")), "follow", follow);
		if (p != NULL && tail >= 0)
			(void)json_object_set_new(p, "tail", json_integer(tail));
		cli_stream_call(&ls[i].s, "container.logs", p);
	}
	if (live > 0 && cli_stream_loop(&x, 1) < 0)
		rc = cli_error(self, "cannot watch for Ctrl-C");
	for (i = 0; i < n; i++) {
		sl_flush(&ls[i]);
		cli_stream_close(&ls[i].s);
		free(ls[i].part[0]);
		free(ls[i].part[1]);
	}
	cli_ctx_close(&x);
	free(ls);
	json_decref(rows);
	return (rc);
}
