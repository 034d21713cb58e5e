/*
 * The end of stdout: `pier logs -f | head -1` must return once head has
 * gone, even when nothing more is printed. pier ignores SIGPIPE (a node
 * that goes away mid-write is an error to report), so a command that
 * streams watches its stdout on its loop: a pipe whose reader has gone
 * polls as an error at once. The watch then stops the loop; the command
 * ends its streams as on Ctrl-C (RST on the channel, a go-away), and
 * main() dies of SIGPIPE, as the docker CLI and any Unix filter do, so
 * the shell sees 141 and `set -o pipefail` can tell. A regular file or a
 * terminal cannot be watched this way and is left alone (a write error
 * there is not a closed reader).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"

static int	out_lost;	/* stdout's reader went away */

/*
 * stdout polled as an error: its reader is gone. A socket's peer that
 * only shut its sending half polls as a hang-up and may still read:
 * that stops the watch and nothing else (a write says the rest).
 */
static void
out_event(uv_poll_t *p, int status, int events)
{
	struct cli_ctx	*x = p->data;

	(void)uv_poll_stop(p);
	if (status >= 0)
		return;
	out_lost = 1;
	uv_stop(&x->loop);
}

/*
 * Watches stdout on x's loop; 0, or a negative errno when it cannot.
 * uv_poll_init makes the descriptor non-blocking, which stdio's writes
 * (and whoever shares the pipe) do not expect: its flags are put back,
 * as polling needs no more.
 */
int
cli_out_watch(struct cli_ctx *x)
{
	int	fl, err;

	if (x->out_on)
		return (0);
	if (isatty(1))
		return (-ENOTSUP);	/* a terminal: hang-ups come as SIGHUP */
	fl = fcntl(1, F_GETFL);
	err = uv_poll_init(&x->loop, &x->out, 1);
	if (fl >= 0)
		(void)fcntl(1, F_SETFL, fl);
	if (err != 0)
		return (-ENOTSUP);	/* a regular file, /dev/null */
	x->out.data = x;
	x->out_on = 1;
	return (uv_poll_start(&x->out, UV_DISCONNECT, out_event));
}

/* Stops watching stdout (cli_ctx_close calls it). */
void
cli_out_unwatch(struct cli_ctx *x)
{
	if (!x->out_on)
		return;
	x->out_on = 0;
	uv_close((uv_handle_t *)&x->out, NULL);
}

/* 1 once stdout's reader has gone. */
int
cli_out_lost(void)
{
	return (out_lost);
}

/* Dies of SIGPIPE, as a filter whose reader left does. */
void
cli_out_die(void)
{
	(void)fflush(NULL);
	(void)signal(SIGPIPE, SIG_DFL);
	(void)raise(SIGPIPE);
	_exit(128 + SIGPIPE);
}
