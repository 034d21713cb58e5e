/*
 * `pier ui`: serves a web page for the joined nodes on the loopback, from
 * this process (ui-http.c, ui-ws.c, ui-nodes.c; docs/UI.md). It prints the
 * page's URL with its secret token, opens the browser unless told not
 * to, and runs until Ctrl-C. Nothing new listens on any node: the page
 * talks to pier, pier talks to the nodes over the overlay, as the
 * other commands do, with the same methods.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

static int	ui_main(const struct cli_cmd *, int, char **);

static const struct cli_opt ui_opts[] = {
	{ .name = "listen", .arg = "ADDR:PORT", .kind = CLI_K_ARG,
	  .help = "serve on this loopback address (default "
	  "127.0.0.1, any free port)" },
	{ .name = "no-browser", .help = "print the URL only" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_ui = {
	.name = "ui",
	.main = ui_main,
	.opts = ui_opts,
	.usage = "[--listen ADDR:PORT] [--no-browser]",
	.summary = "serve a web page for the joined nodes on this machine",
	.help = "The page's URL carries a secret token: anyone with it can "
	    "use your\naccess keys, as with the pier command itself.\n",
};

/* What the command runs with. */
struct ui_run {
	struct ui	 u;
	uv_signal_t	 sig[2];
	uv_process_t	 browser;
	int		 browser_on;
	int		 stopped;
};

/* Ctrl-C (or SIGTERM): stop serving. */
static void
on_signal(uv_signal_t *h, int signum)
{
	struct ui_run	*run = h->data;

	run->stopped = 1;
	uv_stop(h->loop);
}

/* The browser opener exited; its handle goes. */
static void
on_browser_exit(uv_process_t *p, int64_t status, int sig)
{
	uv_close((uv_handle_t *)p, NULL);
}

/* Opens the URL with xdg-open, quietly; failures only cost the help. */
static void
open_browser(struct ui_run *run, const char *url)
{
	uv_process_options_t	 o;
	uv_stdio_container_t	 io[3];
	char			*args[3];

	memset(&o, 0, sizeof(o));
	args[0] = "xdg-open";
	args[1] = (char *)url;
	args[2] = NULL;
	io[0].flags = UV_IGNORE;
	io[1].flags = UV_IGNORE;
	io[2].flags = UV_IGNORE;
	o.file = args[0];
	o.args = args;
	o.stdio = io;
	o.stdio_count = 3;
	o.exit_cb = on_browser_exit;
	if (uv_spawn(&run->u.x->loop, &run->browser, &o) == 0)
		run->browser_on = 1;
	else
		fprintf(stderr, "pier ui: could not start xdg-open: open the "
		    "URL in a browser\n");
}

/* Splits ADDR:PORT (the address a loopback one). */
static int
parse_listen(const char *s, char *host, size_t hlen, int *port)
{
	const char	*c = strrchr(s, ':');
	char		*end;
	long		 p;

	if (c == NULL || (size_t)(c - s) >= hlen || c == s)
		return (-1);
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = '\0';
	p = strtol(c + 1, &end, 10);
	if (*end != '\0' || c[1] == '\0' || p < 0 || p > 65535)
		return (-1);
	*port = (int)p;
	return (0);
}

/* `pier ui`. */
static int
ui_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args	 a;
	struct cli_ctx	 x;
	struct ui_run	 run;
	const char	*listen;
	char		 host[64] = "127.0.0.1", url[UI_HOST_MAX + 64];
	char		*cause = NULL;
	int		 rc, port = 0, i, browser;
	static const int sigs[2] = { SIGINT, SIGTERM };

	rc = cli_args_parse(self, argc, argv, &a);
	listen = cli_args_get(self, &a, "listen");
	browser = cli_args_get(self, &a, "no-browser") == NULL;
	if (rc < 0 && listen != NULL && parse_listen(listen, host,
	    sizeof(host), &port) != 0)
		rc = cli_usage_error(self, "--listen: expected ADDR:PORT, "
		    "as 127.0.0.1:8080");
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (strncmp(host, "127.", 4) != 0)
		fprintf(stderr, "pier ui: warning: %s is not a loopback "
		    "address: other machines can reach the page (the token "
		    "still guards it)\n", host);
	if (cli_ctx_open(&x, &cause) != 0)
		return (cli_fail(self, NULL, cause, "cannot start"));
	memset(&run, 0, sizeof(run));
	run.u.x = &x;
	if (ui_nodes_init(&run.u) != 0) {
		rc = cli_error(self, "out of memory");
		goto out;
	}
	if (ui_http_start(&run.u, &x, host, port, &cause) != 0) {
		rc = cli_fail(self, NULL, cause, "cannot serve");
		goto out;
	}
	for (i = 0; i < 2; i++) {
		(void)uv_signal_init(&x.loop, &run.sig[i]);
		run.sig[i].data = &run;
		(void)uv_signal_start(&run.sig[i], on_signal, sigs[i]);
	}
	ui_nodes_tick_start(&run.u);
	snprintf(url, sizeof(url), "http://%s/?token=%s", run.u.host,
	    run.u.token);
	printf("pier ui: serving %zu node%s at\n    %s\n", run.u.nnodes,
	    run.u.nnodes == 1 ? "" : "s", url);
	fflush(stdout);
	if (browser)
		open_browser(&run, url);
	while (!run.stopped)
		uv_run(&x.loop, UV_RUN_DEFAULT);
	ui_http_stop(&run.u);
	for (i = 0; i < 2; i++)
		uv_close((uv_handle_t *)&run.sig[i], NULL);
	if (run.browser_on && !uv_is_closing((uv_handle_t *)&run.browser))
		uv_close((uv_handle_t *)&run.browser, NULL);
	rc = CLI_EXIT_OK;
out:
	ui_nodes_free(&run.u);
	ui_tpl_free(&run.u);
	/* lws on a foreign loop ends in a second call, its handles closed. */
	ui_http_stop(&run.u);
	cli_ctx_close(&x);
	free(cause);
	return (rc);
}
