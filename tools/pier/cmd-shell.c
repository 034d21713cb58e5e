/*
 * `pier shell NODE/CONTAINER [--user U] [--workdir DIR] [--env K=V]`: an
 * interactive shell in a container (bash if it has one, else sh), as a
 * session on the node that survives a dropped connection and can be
 * detached with `~.` and joined again with `pier attach`. --escape picks
 * another escape character or none (-e is --env here, as in docker).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"

static int	shell_main(const struct cli_cmd *, int, char **);

static const struct cli_opt shell_opts[] = {
	CLI_OPTS_TERM("user[:group] to run the shell as",
	    "the escape character: one character, ^X for a\n"
	    "control character (^] is Ctrl-]), or none\n"
	    "(default ~; -e is --env, as in docker)"),
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_shell = {
	.name = "shell",
	.main = shell_main,
	.method = "session.open",
	.role = PROTO_ROLE_OPERATOR,
	.opts = shell_opts,
	.args_min = 1,
	.args_max = 1,
	.usage = "NODE/CONTAINER [--user U] [--workdir DIR] [--env K=V]...\n"
	    "       [--escape CHAR]",
	.summary = "open an interactive shell in a container",
	.help =
	    "  NODE/CONTAINER  a container on a joined node (name, id or id\n"
	    "                  prefix; NODE/ may be left out with one node)\n",
	.notes = "\n"
	    "The shell is bash if the container has it, else sh. It runs in a\n"
	    "session on the node: if the connection drops, pier reconnects\n"
	    "and shows the screen as it is now.\n"
	    "\n"
	    "Escapes (typed after a newline, as in ssh):\n"
	    "  ~.  detach, leaving the session running (pier attach returns)\n"
	    "  ~?  list the escapes\n"
	    "  ~~  send a ~\n"
	    "(~ stands for the escape character.)\n",
};

/* `pier shell`. */
static int
shell_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_term_opts	 o;
	struct cli_args		 a;
	struct cli_target	 tg;
	struct cli_ctx		 x;
	json_t			*params;	/* owned */
	char			*cause = NULL;
	int			 rc;
	int			 esc_set = 0, esc = CLI_ESC_DEFAULT;

	rc = cli_args_term(self, argc, argv, &a, &params, &esc_set, &esc);
	if (rc < 0 && json_object_set_new(params, "kind",
	    json_string("shell")) != 0)
		rc = cli_usage(self);
	if (rc >= 0) {
		json_decref(params);
		return (rc);
	}
	rc = CLI_EXIT_FAIL;
	memset(&tg, 0, sizeof(tg));
	if (cli_ctx_open(&x, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		free(cause);
		json_decref(params);
		return (CLI_EXIT_FAIL);
	}
	if (cli_target_parse(&x.book, a.argv[0], &tg, &cause) != 0) {
		rc = cli_fail(self, NULL, cause, "bad target");
		goto out;
	}
	(void)json_object_set_new(params, "container",
	    json_string(tg.container));
	memset(&o, 0, sizeof(o));
	o.node = tg.node;
	o.method = self->method;
	o.params = params;
	o.reconnect = 1;
	o.need_tty = 1;
	o.escape_set = esc_set;
	o.escape = esc;
	rc = cli_term_run(self, &x, &o);
out:
	cli_target_free(&tg);
	json_decref(params);
	cli_ctx_close(&x);
	free(cause);
	return (rc);
}
