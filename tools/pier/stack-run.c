/*
 * One compose call on a node with its output live (stack.up, .pull,
 * .down, .restart): compose's stdout and stderr to pier's own as they
 * come, its exit code pier's.
 *
 * Ctrl-C is two-step, because a deployment cut in half is worse than
 * one left to finish. The first Ctrl-C says so and waits
 * CLI_STACK_GRACE_MS, output still flowing; when it passes, pier
 * detaches: it finishes the channel (FIN) rather than resetting it, and
 * the node lets compose run to its end (pier exits 0). A second Ctrl-C
 * within the grace resets the channel: the node stops compose and its
 * children (pier exits 130). A connection that drops also leaves compose
 * running on the node.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-stack.h"
#include "cli-stream.h"

/* One stack call. */
struct srun {
	struct cli_stream	 s;
	uv_signal_t		 sig;
	uv_timer_t		 grace;
	const char		*node;
	int			 code;		/* EXIT's, or -1 */
	int			 sigints;
	int			 detached;
	int			 stopped;
};

/* EXIT: the stream's good end with compose's code. */
static int
sr_frame(struct cli_stream *s, enum proto_frame type, const uint8_t *data,
    size_t len)
{
	struct srun	*sr = container_of(s, struct srun, s);

	if (type != PROTO_FRAME_EXIT)
		return (0);
	if (len != 4)
		return (-1);
	sr->code = (int)((uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
	    (uint32_t)data[2] << 8 | (uint32_t)data[3]);
	return (1);
}

static const struct cli_stream_ops sr_ops = {
	.flags = CLI_STREAM_CLOSE_WAITS,
	.failed = "compose failed on the node",
	.lost_suffix = " (compose goes on on the node)",
	.frame = sr_frame,
};

/* The channel's callbacks once pier has let go of it. */
static void
sr_ignore_data(struct ovl_chan *ch, const uint8_t *buf, size_t len,
    void *arg)
{
}

/* As sr_ignore_data, for the channel's end. */
static void
sr_ignore_close(struct ovl_chan *ch, int status, void *arg)
{
}

static const struct ovl_chan_cbs sr_gone_cbs = {
	.on_data = sr_ignore_data,
	.on_close = sr_ignore_close,
};

/* The grace passed after one Ctrl-C: detach, compose goes on. */
static void
sr_detach(uv_timer_t *t)
{
	struct srun	*sr = container_of(t, struct srun, grace);

	if (sr->s.ch != NULL) {
		ovl_chan_set_cbs(sr->s.ch, &sr_gone_cbs, NULL);
		(void)ovl_chan_close(sr->s.ch);	/* FIN: detach */
		sr->s.ch = NULL;
	}
	sr->detached = 1;
	uv_stop(t->loop);
}

/* Ctrl-C: the first starts the grace, the second stops compose. */
static void
sr_sigint(uv_signal_t *h, int signum)
{
	struct srun	*sr = container_of(h, struct srun, sig);

	if (++sr->sigints == 1) {
		fprintf(stderr, "pier: compose goes on on %s; Ctrl-C again "
		    "within %d s stops it\n", sr->node,
		    CLI_STACK_GRACE_MS / 1000);
		(void)uv_timer_start(&sr->grace, sr_detach,
		    CLI_STACK_GRACE_MS, 0);
		return;
	}
	uv_timer_stop(&sr->grace);
	sr->stopped = 1;
	uv_stop(h->loop);	/* cli_stream_close resets the channel */
}

/* Runs a stack method on node with compose's output live. */
int
cli_stack_stream(const struct cli_cmd *self, const char *node,
    const char *method, json_t *params)
{
	struct cli_ctx	 x;
	struct srun	 sr;
	char		*cause = NULL;
	int		 rc = CLI_EXIT_FAIL;

	if (cli_ctx_open(&x, &cause) != 0) {
		json_decref(params);
		rc = cli_fail(self, NULL, cause, "failed");
		free(cause);
		return (rc);
	}
	memset(&sr, 0, sizeof(sr));
	sr.code = -1;
	cli_stream_init(&sr.s, &x, &sr_ops);
	if (uv_signal_init(&x.loop, &sr.sig) != 0) {
		json_decref(params);
		cli_ctx_close(&x);
		return (cli_error(self, "cannot watch for Ctrl-C"));
	}
	(void)uv_timer_init(&x.loop, &sr.grace);	/* cannot fail */
	if (cli_target_node(&x.book, node, &cause) == NULL ||
	    cli_stream_open(&sr.s, node, &cause) != 0) {
		json_decref(params);
		rc = cli_fail(self, NULL, cause, "failed");
		goto out;
	}
	sr.node = cli_rpc_node(sr.s.r);
	(void)uv_signal_start(&sr.sig, sr_sigint, SIGINT);
	cli_stream_call(&sr.s, method, params);
	if (sr.s.live)
		(void)cli_stream_loop(&x, 0);
	if (sr.detached) {
		fprintf(stderr, "pier: detached; compose goes on on %s\n",
		    sr.node);
		rc = CLI_EXIT_OK;
	} else if (sr.stopped) {
		fprintf(stderr, "pier: stopping compose on %s\n", sr.node);
		rc = 130;
	} else if (sr.s.err != NULL)
		rc = cli_error(self, "%s: %s", sr.node, sr.s.err);
	else if (sr.code >= 0)
		rc = sr.code;
out:
	uv_close((uv_handle_t *)&sr.sig, NULL);
	uv_close((uv_handle_t *)&sr.grace, NULL);
	cli_stream_close(&sr.s);
	cli_ctx_close(&x);
	free(cause);
	return (rc);
}
