/*
 * `pier docker NODE -- ARGS...`: the Docker CLI terminal. The node runs
 * its host's docker CLI with ARGS (an argv, never through a shell) under
 * a PTY of its own, as a session: `pier docker prod -- compose ps`,
 * `pier docker prod -- run --rm -it IMAGE sh`. Admin only.
 *
 * When stdin or stdout is not a terminal (a script, a pipe), it runs
 * with pipes instead (docker.run), as `ssh host cmd` does without -t:
 * stdout and stderr apart, the exit code kept, so `pier docker prod --
 * ps -q | wc -l` counts what `docker ps -q` prints. A stdin that is not
 * a terminal is passed along (`tar c . | pier docker prod -- cp -
 * C:/srv`); a terminal's is not, so `pier docker prod -- logs -f C |
 * less` leaves the keys to less.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli-out.h"

static int	docker_main(const struct cli_cmd *, int, char **);

const struct cli_cmd cli_cmd_docker = {
	.name = "docker",
	.main = docker_main,
	.usage = "[NODE] [--escape CHAR] -- ARGS...",
	.summary = "run the node host's docker CLI in a terminal (admin)",
	.help =
	    "  NODE     a joined node (optional when only one is joined)\n"
	    "  ARGS     the docker CLI's arguments, after --\n"
	    "  --escape CHAR  the escape character: one character, ^X for a\n"
	    "                 control character, or none (default ~)\n"
	    "\n"
	    "The CLI runs on the node's host under a PTY, as a session that\n"
	    "survives a dropped connection. Escapes after a newline: ~.\n"
	    "detaches (pier attach returns), ~? lists them. When stdin or\n"
	    "stdout is not a terminal it runs with pipes instead, as ssh\n"
	    "without -t: stdout and stderr apart, its exit code pier's, and\n"
	    "stdin passed along unless it is a terminal. Needs a key with\n"
	    "the admin role.\n",
};

/* `pier docker`. */
static int
docker_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_term_opts	 o;
	struct cli_ctx		 x;
	const char		*node = NULL;
	json_t			*params;	/* owned */
	char			*cause = NULL;
	const char		*esc_arg = NULL;
	int			 i = 1, rc, bad = 0, esc = CLI_ESC_DEFAULT;

	/* Options and NODE, in any order, end at "--": ARGS are the CLI's. */
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return (cli_help(self));
		if (strncmp(argv[i], "--escape=", 9) == 0)
			esc_arg = argv[i] + 9;
		else if (strcmp(argv[i], "--escape") == 0 && i + 1 < argc)
			esc_arg = argv[++i];
		else if (argv[i][0] != '-' && node == NULL)
			node = argv[i];
		else
			return (cli_usage(self));
	}
	if (esc_arg != NULL && cli_esc_option("docker", esc_arg, &esc) != 0)
		return (CLI_EXIT_USAGE);
	if (i + 1 >= argc)
		return (cli_usage(self));
	i++;
	params = json_pack("{s:s}", "kind", "docker");
	if (params == NULL)
		return (cli_error(self, "out of memory"));
	for (; i < argc; i++)
		bad |= cli_params_push(params, "cmd", argv[i]);
	if (bad || cli_ctx_open(&x, &cause) != 0) {
		rc = cli_fail(self, NULL, cause, "failed");
		free(cause);
		json_decref(params);
		return (rc);
	}
	if (cli_target_node(&x.book, node, &cause) == NULL) {
		rc = cli_fail(self, NULL, cause, "no node");
		goto out;
	}
	if (!isatty(0) || !isatty(1)) {
		(void)json_object_del(params, "kind");
		(void)json_object_set_new(params, "stdin",
		    json_boolean(!isatty(0)));
		rc = cli_exec_stream(self, &x, node, "docker.run", params);
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.node = node;
	o.method = "session.open";
	o.params = params;
	o.reconnect = 1;
	o.escape_set = esc_arg != NULL;
	o.escape = esc;
	rc = cli_term_run(self, &x, &o);
out:
	json_decref(params);
	cli_ctx_close(&x);
	free(cause);
	return (rc);
}
