/*
 * `pier shell NODE/CONTAINER [--user U] [--workdir DIR] [--env K=V]`: an
 * interactive shell in a container (bash if it has one, else sh), as a
 * session on the node that survives a dropped connection and can be
 * detached with `~.` and joined again with `pier attach`. --escape picks
 * another escape character or none (-e is --env here, as in docker).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli-out.h"

static int	shell_main(const struct cli_cmd *, int, char **);

const struct cli_cmd cli_cmd_shell = {
	.name = "shell",
	.main = shell_main,
	.usage = "NODE/CONTAINER [--user U] [--workdir DIR] [--env K=V]...\n"
	    "       [--escape CHAR]",
	.summary = "open an interactive shell in a container",
	.help =
	    "  NODE/CONTAINER  a container on a joined node (name, id or id\n"
	    "                  prefix; NODE/ may be left out with one node)\n"
	    "  -u, --user U    user[:group] to run the shell as\n"
	    "  -w, --workdir DIR  working directory\n"
	    "  -e, --env K=V   set an environment variable (repeatable)\n"
	    "  --escape CHAR   the escape character: one character, ^X for a\n"
	    "                  control character (^] is Ctrl-]), or none\n"
	    "                  (default ~; -e is --env, as in docker)\n"
	    "\n"
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
	static const struct option longopts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "env", required_argument, NULL, 'e' },
		{ "escape", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_term_opts	 o;
	struct cli_target	 tg;
	struct cli_ctx		 x;
	json_t			*params;	/* owned */
	char			*cause = NULL;
	int			 ch, rc = CLI_EXIT_FAIL, bad = 0;
	int			 esc_set = 0, esc = CLI_ESC_DEFAULT;

	params = json_pack("{s:s}", "kind", "shell");
	if (params == NULL)
		return (cli_error(self, "out of memory"));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "u:w:e:h", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'u':
			bad |= json_object_set_new(params, "user",
			    json_string(optarg));
			break;
		case 'w':
			bad |= json_object_set_new(params, "workdir",
			    json_string(optarg));
			break;
		case 'e':
			if (strchr(optarg, '=') == NULL) {
				json_decref(params);
				return (cli_usage_error(self, "--env %s: "
				    "expected K=V", optarg));
			}
			bad |= cli_params_push(params, "env", optarg);
			break;
		case 'E':
			if (cli_esc_option("shell", optarg, &esc) != 0) {
				json_decref(params);
				return (CLI_EXIT_USAGE);
			}
			esc_set = 1;
			break;
		case 'h':
			json_decref(params);
			return (cli_help(self));
		default:
			json_decref(params);
			return (cli_usage(self));
		}
	}
	if (argc - optind != 1 || bad) {
		json_decref(params);
		return (cli_usage(self));
	}
	memset(&tg, 0, sizeof(tg));
	if (cli_ctx_open(&x, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		free(cause);
		json_decref(params);
		return (CLI_EXIT_FAIL);
	}
	if (cli_target_parse(&x.book, argv[optind], &tg, &cause) != 0) {
		rc = cli_fail(self, NULL, cause, "bad target");
		goto out;
	}
	(void)json_object_set_new(params, "container",
	    json_string(tg.container));
	memset(&o, 0, sizeof(o));
	o.node = tg.node;
	o.method = "session.open";
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
