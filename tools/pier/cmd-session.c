/*
 * Terminal sessions on nodes: `pier sessions [NODE...]` lists them (one
 * table for every node asked, in parallel), `pier attach NODE/SESSION
 * [--read-only]` joins one (a repaint of the screen, then the live
 * stream; -e/--escape as in ssh), `pier kill-session NODE/SESSION` ends
 * one and its process.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"

static int	sessions_main(const struct cli_cmd *, int, char **);
static int	attach_main(const struct cli_cmd *, int, char **);
static int	kill_main(const struct cli_cmd *, int, char **);

static const struct cli_opt sessions_opts[] = {
	{ .name = "json", .help = "print the rows as JSON" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_sessions = {
	.name = "sessions",
	.main = sessions_main,
	.method = "session.list",
	.role = PROTO_ROLE_OPERATOR,
	.opts = sessions_opts,
	.args_max = -1,
	.usage = "[NODE...] [--json]",
	.summary = "list terminal sessions (shells, exec -it, docker CLI)",
	.help =
	    "  NODE            joined nodes to ask (default: all of them)\n",
};

static const struct cli_opt attach_opts[] = {
	{ .name = "read-only", .letter = 'r', .help = "watch without typing" },
	{ .name = "escape", .letter = 'e', .arg = "CHAR", .kind = CLI_K_ARG,
	  .help = "the escape character, as ssh -e: one\n"
	  "character, ^X for a control character (^] is\n"
	  "Ctrl-]), or none (default ~)" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_attach = {
	.name = "attach",
	.main = attach_main,
	.method = "session.attach",
	.role = PROTO_ROLE_OPERATOR,
	.opts = attach_opts,
	.args_min = 1,
	.args_max = 1,
	.usage = "NODE/SESSION [--read-only] [-e CHAR]",
	.summary = "join a terminal session: its screen now, then live",
	.help =
	    "  NODE/SESSION    a session id (or unique prefix) from pier "
	    "sessions\n",
	.notes = "\n"
	    "Escapes (typed after a newline, as in ssh; ~ stands for the\n"
	    "escape character):\n"
	    "  ~.  detach, leaving the session running\n"
	    "  ~?  list the escapes\n"
	    "  ~~  send a ~\n",
};

const struct cli_cmd cli_cmd_kill_session = {
	.name = "kill-session",
	.main = kill_main,
	.method = "session.kill",
	.role = PROTO_ROLE_OPERATOR,
	.args_min = 1,
	.args_max = 1,
	.usage = "NODE/SESSION",
	.summary = "end a terminal session and its process",
	.help = "  NODE/SESSION   a session id (or unique prefix)\n",
};

/* Column headers of pier sessions. */
static const char *const sess_headers[] = {
	"node", "id", "target", "command", "started", "viewers", "idle"
};
#define SESS_NCOLS	(sizeof(sess_headers) / sizeof(sess_headers[0]))

/* Adds one session row (and its JSON twin). */
static int
sess_row(struct cli_table *t, const char *node, const json_t *s,
    int64_t now)
{
	const char	*cells[SESS_NCOLS];
	char		 started[CLI_HUMAN_LEN], idle[CLI_HUMAN_LEN];
	char		 viewers[32];
	json_t		*row;	/* owned */
	json_int_t	 v = json_integer_value(json_object_get(s, "viewers"));

	cli_human_ago(started, json_integer_value(json_object_get(s,
	    "started")), now);
	if (v > 0)
		snprintf(idle, sizeof(idle), "-");
	else
		cli_human_duration(idle, json_integer_value(json_object_get(s,
		    "idle")));
	snprintf(viewers, sizeof(viewers), "%lld", (long long)v);
	cells[0] = node;
	cells[1] = json_string_value(json_object_get(s, "id"));
	cells[2] = json_string_value(json_object_get(s, "target"));
	cells[3] = json_string_value(json_object_get(s, "cmd"));
	cells[4] = started;
	cells[5] = viewers;
	cells[6] = idle;
	if (cli_table_add(t, cells) != 0)
		return (-ENOMEM);
	row = json_deep_copy(s);
	if (row == NULL || json_object_set_new(row, "node",
	    json_string(node)) != 0) {
		json_decref(row);
		return (-ENOMEM);
	}
	return (cli_table_add_json(t, row));
}

/* `pier sessions [NODE...]`. */
static int
sessions_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args		 a;
	struct cli_ctx		 x;
	struct cli_multi	*m = NULL;
	struct cli_table	*t = NULL;
	const json_t		*rows;
	char			*cause = NULL;
	size_t			 nm = 0, i, k;
	int			 json, rc = CLI_EXIT_FAIL, missing = 0;

	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	rc = CLI_EXIT_FAIL;
	json = cli_args_get(self, &a, "json") != NULL;
	if (cli_ctx_open(&x, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		free(cause);
		return (CLI_EXIT_FAIL);
	}
	if (cli_rpc_multi(&x, (const char *const *)a.argv, (size_t)a.argc,
	    self->method, NULL, 0, &m, &nm, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		goto out;
	}
	t = cli_table_new(sess_headers, SESS_NCOLS);
	if (t == NULL)
		goto out;
	cli_table_max_width(t, 3, 40);
	for (i = 0; i < nm; i++) {
		if (m[i].status != 0) {
			missing++;
			cli_error(self, "%s: %s", m[i].node,
			    m[i].err.message != NULL ? m[i].err.message :
			    "no answer");
			continue;
		}
		rows = json_object_get(m[i].result, "sessions");
		for (k = 0; k < json_array_size(rows); k++)
			if (sess_row(t, m[i].node, json_array_get(rows, k),
			    (int64_t)time(NULL)) != 0)
				goto out;
	}
	if (cli_table_print(t, stdout, json ? CLI_TABLE_JSON : 0) != 0)
		goto out;
	rc = missing > 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
out:
	cli_table_free(t);
	cli_multi_free(m, nm);
	cli_ctx_close(&x);
	free(cause);
	return (rc);
}

/* `pier attach NODE/SESSION [--read-only]`. */
static int
attach_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_term_opts	 o;
	struct cli_args		 a;
	struct cli_target	 tg;
	struct cli_ctx		 x;
	const char		*arg;
	char			*cause = NULL;
	int			 ro, rc;
	int			 esc_set = 0, esc = CLI_ESC_DEFAULT;

	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	ro = cli_args_get(self, &a, "read-only") != NULL;
	arg = cli_args_get(self, &a, "escape");
	if (arg != NULL) {
		if (cli_esc_option("attach", arg, &esc) != 0)
			return (CLI_EXIT_USAGE);
		esc_set = 1;
	}
	memset(&tg, 0, sizeof(tg));
	if (cli_ctx_open(&x, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		free(cause);
		return (CLI_EXIT_FAIL);
	}
	if (cli_target_parse(&x.book, a.argv[0], &tg, &cause) != 0) {
		rc = cli_fail(self, NULL, cause, "bad target");
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.node = tg.node;
	o.method = self->method;
	o.attach_id = tg.container;
	o.read_only = ro;
	o.need_tty = !ro;	/* a watcher types nothing */
	o.reconnect = 1;
	o.escape_set = esc_set;
	o.escape = esc;
	rc = cli_term_run(self, &x, &o);
out:
	cli_target_free(&tg);
	cli_ctx_close(&x);
	free(cause);
	return (rc);
}

/* `pier kill-session NODE/SESSION`. */
static int
kill_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args		 a;
	struct cli_target	 tg;
	struct cli_link		 l;
	json_t			*res = NULL;	/* owned */
	char			*cause = NULL;
	int			 rc;

	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	rc = CLI_EXIT_FAIL;
	memset(&tg, 0, sizeof(tg));
	if (cli_link_ctx(self, &l) != CLI_EXIT_OK)
		return (CLI_EXIT_FAIL);
	if (cli_target_parse(&l.x.book, a.argv[0], &tg, &cause) != 0) {
		rc = cli_fail(self, NULL, cause, "failed");
		goto out;
	}
	if (cli_link_connect(self, &l, tg.node) != CLI_EXIT_OK ||
	    cli_link_call(self, &l, self->method, json_pack("{s:s}", "id",
	    tg.container), &res) != CLI_EXIT_OK)
		goto out;
	printf("%s\n", json_string_value(json_object_get(res, "session")));
	rc = CLI_EXIT_OK;
out:
	json_decref(res);
	cli_link_close(&l);
	cli_target_free(&tg);
	free(cause);
	return (rc);
}
