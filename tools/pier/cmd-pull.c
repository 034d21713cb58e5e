/*
 * `pier pull NODE IMAGE`: pulls an image on a node and shows the
 * engine's progress as `docker pull` does: a line per layer redrawn in
 * place on a terminal, plain lines otherwise (cli-out.h's progress
 * display). Exits 0 once the node says the pull ended, 1 with the
 * engine's reason when it failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"

static int	pull_main(const struct cli_cmd *, int, char **);

const struct cli_cmd cli_cmd_pull = {
	.name = "pull",
	.main = pull_main,
	.usage = "[NODE] IMAGE",
	.summary = "pull an image on a node, showing its progress",
	.help =
	    "  -q, --quiet     print only the image name when done\n"
	    "\n"
	    "NODE may be left out when only one node is joined.\n",
};

/* One pull in flight. */
struct prun {
	struct cli_ctx		*x;
	struct ovl_chan		*ch;
	struct proto_ldec	 ldec;
	struct cli_progress	 pg;
	int			 quiet;
	int			 done;
	int			 ok;
	char			*err;
};

/* Ends the pull (the first end wins). */
static void
pr_done(struct prun *pr, int ok, const char *msg)
{
	if (pr->done)
		return;
	pr->done = 1;
	pr->ok = ok;
	if (msg != NULL)
		pr->err = strdup(msg);
	uv_stop(&pr->x->loop);
}

/* One progress line. */
static int
pr_line(void *arg, const char *body, size_t len)
{
	struct prun	*pr = arg;
	json_t		*o;	/* owned */
	char		*cause = NULL;
	int		 rc;

	o = json_loadb(body, len, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		pr_done(pr, 0, "the node sent a broken stream");
		return (1);
	}
	if (pr->quiet && json_object_get(o, "end") == NULL &&
	    json_object_get(o, "error") == NULL) {
		json_decref(o);
		return (0);
	}
	rc = cli_progress_event(&pr->pg, o, &cause);
	json_decref(o);
	if (rc == 1)
		pr_done(pr, 1, NULL);
	else if (rc == -EIO)
		pr_done(pr, 0, cause != NULL ? cause : "the pull failed");
	else if (rc < 0 && rc != -EPROTO)
		pr_done(pr, 0, "out of memory");
	free(cause);
	fflush(stdout);
	return (pr->done ? 1 : 0);
}

/* Stream bytes. */
static void
pr_data(struct ovl_chan *ch, const uint8_t *buf, size_t len, void *arg)
{
	struct prun	*pr = arg;

	if (len == 0 || pr->done)
		return;
	if (proto_ldec_feed(&pr->ldec, buf, len, pr_line, pr) < 0)
		pr_done(pr, 0, "the node sent a broken stream");
}

/*
 * The channel ended; before the end line it means the link dropped. When
 * the whole connection ended (-ECONNABORTED), pr_lost follows with why.
 */
static void
pr_close(struct ovl_chan *ch, int status, void *arg)
{
	struct prun	*pr = arg;

	pr->ch = NULL;
	if (status == -ECONNABORTED)
		return;
	pr_done(pr, 0, "the stream ended before the pull did (the pull may "
	    "go on on the node)");
}

/* The connection ended: the node's reason, or the transport's. */
static void
pr_lost(struct cli_rpc *r, const char *why, void *arg)
{
	pr_done(arg, 0, why);
}

static const struct ovl_chan_cbs pr_cbs = {
	.on_data = pr_data,
	.on_close = pr_close,
};

/* image.pull's reply: only an error matters. */
static void
pr_reply(struct cli_rpc *r, const json_t *result,
    const struct cli_rpc_error *e, void *arg)
{
	if (e != NULL)
		pr_done(arg, 0, e->message != NULL ? e->message : "failed");
}

/* `pier pull`. */
static int
pull_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_rpc	*r = NULL;
	struct cli_ctx	 x;
	struct prun	 pr;
	const char	*node = NULL, *image;
	unsigned	 rows = 0, cols = 0;
	json_t		*params;	/* owned */
	char		*cause = NULL;
	int		 ch, rc = CLI_EXIT_FAIL, tty;

	memset(&pr, 0, sizeof(pr));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'q':
			pr.quiet = 1;
			break;
		case 'h':
			return (cli_help(self));
		default:
			return (cli_usage(self));
		}
	}
	if (argc - optind == 2)
		node = argv[optind++];
	else if (argc - optind != 1)
		return (cli_usage(self));
	image = argv[optind];
	if (cli_ctx_open(&x, &cause) != 0) {
		cli_error(self, "%s", cause != NULL ? cause : "failed");
		free(cause);
		return (CLI_EXIT_FAIL);
	}
	pr.x = &x;
	proto_ldec_init(&pr.ldec, 0);
	tty = isatty(1);
	if (tty && cli_tty_winsize(1, &rows, &cols) != 0)
		cols = 80;
	cli_progress_init(&pr.pg, stdout, tty, cols);
	if (cli_rpc_open(&x, node, &r, &cause) != 0) {
		rc = cli_error(self, "%s", cause != NULL ? cause : "failed");
		goto out;
	}
	cli_rpc_on_lost(r, pr_lost, &pr);
	(void)cli_out_watch(&x);	/* `| head` ends it */
	params = json_pack("{s:s}", "image", image);
	if (params == NULL || cli_rpc_stream_open(r, &pr_cbs, &pr, params,
	    &pr.ch) != 0) {
		json_decref(params);
		pr_done(&pr, 0, "cannot open a stream");
	} else if (cli_rpc_call_async(r, "image.pull", params, 0, pr_reply,
	    &pr) != 0)
		pr_done(&pr, 0, "cannot send the request");
	if (!pr.done)
		uv_run(&x.loop, UV_RUN_DEFAULT);
	pr.done = 1;
	if (pr.ch != NULL) {
		ovl_chan_set_data(pr.ch, NULL);
		ovl_chan_reset(pr.ch);
	}
	if (pr.ok) {
		if (pr.quiet)
			printf("%s\n", image);
		rc = CLI_EXIT_OK;
	} else if (!cli_out_lost())
		rc = cli_error(self, "%s: %s", cli_rpc_node(r), pr.err !=
		    NULL ? pr.err : "failed");
	cli_rpc_close(r);
out:
	cli_progress_free(&pr.pg);
	proto_ldec_free(&pr.ldec);
	free(pr.err);
	free(cause);
	cli_ctx_close(&x);
	return (rc);
}

/*
 * Pulls an image that run or deploy found missing, with `pier pull`'s
 * progress on stderr so that stdout keeps only what the command prints.
 */
int
cli_pull_missing(const struct cli_cmd *cmd, const char *node,
    const char *image)
{
	char	*argv[4];
	int	 saved, rc;

	fprintf(stderr, "Unable to find image '%s' on %s; pulling it\n",
	    image, node);
	argv[0] = (char *)"pull";
	argv[1] = (char *)node;
	argv[2] = (char *)image;
	argv[3] = NULL;
	fflush(stdout);
	saved = fcntl(1, F_DUPFD_CLOEXEC, 3);
	if (saved < 0 || dup2(2, 1) < 0) {
		if (saved >= 0)
			close(saved);
		return (CLI_EXIT_FAIL);
	}
	/* Complaints name the command typed (run, deploy), not pull. */
	rc = cli_cmd_pull.main(cmd, 3, argv);
	fflush(stdout);
	if (dup2(saved, 1) < 0)
		rc = CLI_EXIT_FAIL;
	close(saved);
	return (rc);
}
