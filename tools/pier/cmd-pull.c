/*
 * `pier pull NODE IMAGE`: pulls an image on a node and shows the
 * engine's progress as `docker pull` does: a line per layer redrawn in
 * place on a terminal, plain lines otherwise (cli-out.h's progress
 * display). Exits 0 once the node says the pull ended, 1 with the
 * engine's reason when it failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"
#include "cli-stream.h"

static int	pull_main(const struct cli_cmd *, int, char **);

static const struct cli_opt pull_opts[] = {
	{ .name = "quiet", .letter = 'q',
	  .help = "print only the image name when done" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_pull = {
	.name = "pull",
	.main = pull_main,
	.method = "image.pull",
	.role = PROTO_ROLE_ADMIN,
	.opts = pull_opts,
	.args_min = 1,
	.args_max = 2,
	.usage = "[NODE] IMAGE",
	.summary = "pull an image on a node, showing its progress",
	.help = "",
	.notes = "\n"
	    "NODE may be left out when only one node is joined.\n",
};

/* One pull in flight. */
struct prun {
	struct cli_stream	 s;
	struct cli_progress	 pg;
	int			 quiet;
	int			 ok;
};

/* One progress line (an error line ends the stream before). */
static int
pr_line(struct cli_stream *s, json_t *o)
{
	struct prun	*pr = container_of(s, struct prun, s);
	char		*cause = NULL;
	int		 rc;

	if (pr->quiet && json_object_get(o, "end") == NULL)
		return (0);
	rc = cli_progress_event(&pr->pg, o, &cause);
	if (rc == 1)
		pr->ok = 1;
	else if (rc < 0 && rc != -EPROTO)
		cli_stream_end(s, rc == -EIO && cause != NULL ? cause :
		    rc == -EIO ? "the pull failed" : "out of memory");
	free(cause);
	fflush(stdout);
	return (rc == 1 ? 1 : 0);
}

/* A pull ends on its end line; the channel's end before it is a failure. */
static const struct cli_stream_ops pr_ops = {
	.flags = CLI_STREAM_LINES,
	.failed = "the pull failed",
	.fin = "the stream ended before the pull did (the pull may go on on "
	    "the node)",
	.reset = "the stream ended before the pull did (the pull may go on "
	    "on the node)",
	.line = pr_line,
};

/* `pier pull`. */
static int
pull_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args	 a;
	struct cli_ctx	 x;
	struct prun	 pr;
	const char	*node = NULL, *image;
	unsigned	 rows = 0, cols = 0;
	char		*cause = NULL;
	int		 rc = CLI_EXIT_FAIL, tty;

	memset(&pr, 0, sizeof(pr));
	/* self may be run or deploy (cli_pull_missing): pull's own table. */
	rc = cli_args_parse(&cli_cmd_pull, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	rc = CLI_EXIT_FAIL;
	pr.quiet = cli_args_get(&cli_cmd_pull, &a, "quiet") != NULL;
	if (a.argc == 2)
		node = a.argv[0];
	image = a.argv[a.argc - 1];
	if (cli_ctx_open(&x, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		free(cause);
		return (CLI_EXIT_FAIL);
	}
	cli_stream_init(&pr.s, &x, &pr_ops);
	tty = isatty(1);
	if (tty && cli_tty_winsize(1, &rows, &cols) != 0)
		cols = 80;
	cli_progress_init(&pr.pg, stdout, tty, cols);
	if (cli_stream_open(&pr.s, node, &cause) != 0) {
		rc = cli_fail(self, NULL, cause, "failed");
		goto out;
	}
	cli_stream_call(&pr.s, cli_cmd_pull.method, json_pack("{s:s}", "image",
	    image));
	if (pr.s.live)
		(void)cli_stream_loop(&x, 0);
	if (pr.ok) {
		if (pr.quiet)
			printf("%s\n", image);
		rc = CLI_EXIT_OK;
	} else if (!cli_out_lost())
		rc = cli_error(self, "%s: %s", cli_rpc_node(pr.s.r),
		    pr.s.err != NULL ? pr.s.err : "failed");
out:
	cli_stream_close(&pr.s);
	cli_progress_free(&pr.pg);
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
