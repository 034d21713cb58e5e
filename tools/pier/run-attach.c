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
 * is still there or not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli-out.h"

/* Attaches to container id on node and starts it; pier's exit code. */
int
cli_run_attach(const struct cli_cmd *self, const char *node, const char *id,
    int tty, int interactive)
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
	return (rc);
}
