/*
 * `pier run -i`, `-t` and `-it` without -d: docker run's attached run.
 * cmd-run.c creates the container stopped (container.create, start
 * false); here the node's host runs `docker start -a[i] ID` for it,
 * which attaches before it starts, so not a byte of output is lost:
 *
 * - with -t, as a terminal session (session.open, kind docker): the
 *   terminal raw, its size followed, ~. to detach and pier attach to
 *   come back, a dropped connection reattached (term-client.c); -t
 *   alone leaves stdin out, as docker run -t does;
 * - with -i alone, over pipes (docker.run): stdout and stderr apart,
 *   stdin passed along and its end the container's (the container was
 *   made with stdin_once).
 *
 * Either way the container's exit code becomes pier's, and --rm is the
 * engine's (AutoRemove): the container goes once it exits, whether pier
 * is still there or not. When the attach fails before the container
 * ever started (no docker CLI on the node's host, say), the container
 * is not left behind unsaid: with --rm it is removed, else named.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli-out.h"

/*
 * After a failed attach: a container that never started is removed
 * (remove: --rm, which only an exit would have done) or named.
 */
static void
run_leftover(const struct cli_cmd *self, const char *node, const char *id,
    int remove)
{
	struct cli_link	 l;
	json_t		*res = NULL, *gone = NULL;	/* owned */
	const char	*at;

	if (cli_link_open(self, &l, node) != CLI_EXIT_OK)
		return;
	if (cli_link_call(self, &l, "container.inspect", json_pack("{s:s}",
	    "id", id), &res) == CLI_EXIT_OK) {
		at = json_string_value(json_object_get(json_object_get(res,
		    "State"), "StartedAt"));
		if (at == NULL || strncmp(at, "0001-", 5) != 0)
			;	/* it ran: the failure came later */
		else if (remove && cli_link_call(self, &l, "container.remove",
		    json_pack("{s:s, s:b}", "id", id, "volumes", 1), &gone) ==
		    CLI_EXIT_OK)
			fprintf(stderr, "pier %s: removed %.12s, which never "
			    "started (--rm)\n", self->name, id);
		else if (!remove)
			fprintf(stderr, "pier %s: %.12s was created but never "
			    "started (pier start %s/%.12s, or pier rm)\n",
			    self->name, id, node, id);
	}
	json_decref(res);
	json_decref(gone);
	cli_link_close(&l);
}

/* Attaches to container id on node and starts it; pier's exit code. */
int
cli_run_attach(const struct cli_cmd *self, const char *node, const char *id,
    int tty, int interactive, int remove)
{
	struct cli_term_opts	 o;
	struct cli_ctx		 x;
	json_t			*params;	/* owned */
	char			*cause = NULL;
	int			 rc;

	params = json_pack("{s:[s, s, s]}", "cmd", "start",
	    interactive ? "-ai" : "-a", id);
	if (params == NULL)
		return (cli_error(self, "out of memory"));
	if (cli_ctx_open(&x, &cause) != 0) {
		rc = cli_fail(self, NULL, cause, "failed");
		free(cause);
		json_decref(params);
		return (rc);
	}
	if (!tty) {
		(void)json_object_set_new(params, "stdin", json_true());
		rc = cli_exec_stream(self, &x, node, "docker.run", params);
		goto out;
	}
	(void)json_object_set_new(params, "kind", json_string("docker"));
	memset(&o, 0, sizeof(o));
	o.node = node;
	o.method = "session.open";
	o.params = params;
	o.reconnect = 1;
	o.need_tty = interactive;	/* as docker: -it needs a terminal */
	o.no_input = !interactive;	/* -t alone: stdin not attached */
	o.quiet_exit = 1;		/* the code is the container's */
	rc = cli_term_run(self, &x, &o);
out:
	json_decref(params);
	cli_ctx_close(&x);
	if (rc == CLI_EXIT_FAIL)
		run_leftover(self, node, id, remove);
	return (rc);
}
