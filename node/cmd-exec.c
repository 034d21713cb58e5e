/*
 * exec.run: a command in a container without a terminal, as `docker
 * exec` without -t. Its stdout and stderr stay apart (STDOUT and STDERR
 * frames on the output channel), and its exit code comes last in an
 * EXIT frame, so the client can make it its own. When the channel is
 * full the engine's connection is paused (one chunk held), so a command
 * printing without end is held by the client's credit. A client that
 * leaves before the command ends takes the command with it: there is no
 * session to come back to and no one to read its output, so the node
 * looks up the exec's process and ends it and what it started (SIGTERM,
 * then SIGKILL, term-reap.c), where `docker exec` would leave it
 * running; then it drops the connection to the engine.
 *
 * With stdin (docker exec -i), the client's STDIN frames go to the
 * command's stdin and the client's FIN closes it, as the CLI's half-close
 * of the engine's connection does; input the engine's queue cannot take
 * yet is held with the channel paused, so a fast writer is held by
 * credit. Without stdin, the client's FIN stops the command as a close.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

#define XRUN_IN_MAX	16384	/* input given to the engine at once */
#define XRUN_RETRY_MS	2	/* input retry while the queue is full */
#define XRUN_PID_MS	50	/* exec inspect again for a late Pid */
#define XRUN_PID_TRIES	40

/* One exec.run in flight. */
struct xrun {
	struct cmd_req		*r;	/* until the reply */
	struct dk_client	*dk;
	struct node_fwriter	 fw;	/* the channel and held output */
	struct dk_hijack	*h;
	struct dk_req		*req;
	char			*container;	/* full id */
	char			*exec_id;
	int			 ended;	/* the hijack is over */
	struct proto_fdec	 fdec;	/* the client's frames */
	uv_timer_t		 retry;	/* input retry; a late Pid */
	char			*in;	/* input the engine did not take yet */
	size_t			 in_len;
	unsigned		 pid_tries;	/* inspects that had no Pid */
	unsigned		 stdin_on:1;
	unsigned		 in_eof:1;	/* the client's FIN came */
	unsigned		 retry_on:1;	/* retry made, not closed */
	unsigned		 freeing:1;
};

/* Frees the run. */
static void
xr_free(struct xrun *xr)
{
	free(xr->container);
	free(xr->exec_id);
	node_fwriter_free(&xr->fw);
	free(xr->in);
	free(xr);
}

/* The retry timer closed: the last of the run. */
static void
xr_retry_closed(uv_handle_t *t)
{
	xr_free(t->data);
}

/* Frees the run once nothing of it is in flight. */
static void
xr_maybe_free(struct xrun *xr)
{
	if (xr->fw.ch != NULL || xr->h != NULL || xr->req != NULL ||
	    xr->r != NULL || xr->freeing)
		return;
	xr->freeing = 1;
	if (xr->retry_on)
		uv_close((uv_handle_t *)&xr->retry, xr_retry_closed);
	else
		xr_free(xr);
}

/* Sends the last frame (EXIT, or ERROR) and finishes the channel. */
static void
xr_finish(struct xrun *xr, enum proto_err code, const char *msg,
    int64_t status)
{
	if (code == 0)
		node_fwriter_exit(&xr->fw, (int32_t)status);
	else
		node_fwriter_error(&xr->fw, code, msg);
}

/* The exit code is known: EXIT. */
static void
xr_inspected(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct xrun	*xr = arg;
	json_t		*code;	/* borrowed */

	xr->req = NULL;
	code = json_object_get(result, "ExitCode");
	if (status == 0 && json_is_integer(code))
		xr_finish(xr, 0, NULL, json_integer_value(code));
	else if (status == DK_E_UNAVAILABLE)
		xr_finish(xr, PROTO_E_DOCKER_DOWN, "the Docker engine went "
		    "away; the command's exit code is lost", 0);
	else
		xr_finish(xr, PROTO_E_DOCKER, status == DK_E_NOT_FOUND ?
		    "the exec is gone: the container was removed, or the "
		    "Docker engine restarted, while the command ran" :
		    "cannot read the exit code", 0);
	json_decref(result);
	xr_maybe_free(xr);
}

/* Output and the end are out: ask for the exit code. */
static void
xr_conclude(struct xrun *xr)
{
	if (xr->fw.ch == NULL || xr->req != NULL)
		return;
	if (dk_exec_inspect(xr->dk, xr->exec_id, xr_inspected, xr,
	    &xr->req) != 0) {
		xr->req = NULL;
		xr_finish(xr, PROTO_E_DOCKER, "cannot read the exit code", 0);
	}
}

/* Output from the engine: frames, or held with the engine paused. */
static void
xr_data(struct dk_hijack *h, int kind, const char *buf, size_t len,
    void *arg)
{
	struct xrun	*xr = arg;

	if (xr->fw.ch == NULL)
		return;
	if (node_fwriter_write(&xr->fw, kind == DK_STREAM_STDERR ?
	    PROTO_FRAME_STDERR : PROTO_FRAME_STDOUT, buf, len) == -ENOBUFS)
		dk_hijack_pause(h);
}

/* The engine closed the connection: the command ended. */
static void
xr_end(struct dk_hijack *h, int status, const char *message, void *arg)
{
	struct xrun	*xr = arg;

	xr->h = NULL;
	xr->ended = 1;
	if (xr->fw.ch != NULL && status != 0 && status != DK_E_CANCELLED)
		xr_finish(xr, PROTO_E_DOCKER, message != NULL &&
		    message[0] != '\0' ? message : dk_strerror(status), 0);
	else if (xr->fw.held_len == 0)
		xr_conclude(xr);
	xr_maybe_free(xr);
}

/* The channel has room: the held output, then the engine again. */
static void
xr_drain(struct ovl_chan *ch, void *arg)
{
	struct xrun	*xr = arg;

	if (!node_fwriter_drain(&xr->fw))
		return;
	if (xr->h != NULL)
		dk_hijack_resume(xr->h);
	else if (xr->ended)
		xr_conclude(xr);
}

/* Gives held input to the engine (then EOF after a FIN): 1 if some is left. */
static int
xr_in_give(struct xrun *xr)
{
	size_t	n = 0, len;
	int	err;

	while (n < xr->in_len) {
		len = xr->in_len - n;
		if (len > XRUN_IN_MAX)
			len = XRUN_IN_MAX;
		err = xr->h != NULL ? dk_hijack_write(xr->h, xr->in + n,
		    len) : -EPIPE;
		if (err == -ENOBUFS)
			break;
		n += len;	/* taken, or stdin is gone: dropped */
	}
	memmove(xr->in, xr->in + n, xr->in_len - n);
	xr->in_len -= n;
	if (xr->in_len > 0)
		return (1);
	if (xr->in_eof && xr->h != NULL)
		dk_hijack_close_write(xr->h);
	return (0);
}

/* The retry time is up: the held input again, then the channel. */
static void
xr_in_retry(uv_timer_t *t)
{
	struct xrun	*xr = t->data;

	if (xr_in_give(xr))
		(void)uv_timer_start(&xr->retry, xr_in_retry, XRUN_RETRY_MS,
		    0);
	else if (xr->fw.ch != NULL)
		ovl_chan_resume(xr->fw.ch);
}

/* One frame from the client: STDIN with stdin on; the rest is ignored. */
static int
xr_in_frame(void *arg, enum proto_frame type, const uint8_t *data,
    size_t len)
{
	struct xrun	*xr = arg;
	char		*p;

	if (type != PROTO_FRAME_STDIN || !xr->stdin_on || xr->in_eof)
		return (0);
	p = realloc(xr->in, xr->in_len + len);
	if (p == NULL)
		return (-ENOMEM);
	memcpy(p + xr->in_len, data, len);
	xr->in = p;
	xr->in_len += len;
	return (0);
}

/* The client's bytes: STDIN frames, then FIN for the end of input. */
static void
xr_chan_data(struct ovl_chan *ch, const uint8_t *buf, size_t len, void *arg)
{
	struct xrun	*xr = arg;
	size_t		 before = xr->in_len;

	if (len == 0 && !xr->stdin_on) {
		ovl_chan_reset(ch);	/* FIN: stop, as a close does */
		return;
	}
	if (len == 0) {
		xr->in_eof = 1;
		if (xr->in_len == 0 && xr->h != NULL)
			dk_hijack_close_write(xr->h);
		return;
	}
	if (proto_fdec_feed(&xr->fdec, buf, len, xr_in_frame, xr) != 0) {
		ovl_chan_reset(ch);	/* a broken stream */
		return;
	}
	if (before > 0 || xr->in_len == 0 || !xr_in_give(xr))
		return;		/* a retry is due, or all of it went */
	if (!xr->retry_on) {
		ovl_chan_reset(ch);
		return;
	}
	ovl_chan_pause(ch);
	(void)uv_timer_start(&xr->retry, xr_in_retry, XRUN_RETRY_MS, 0);
}

static void	xr_abandoned(struct dk_req *, int, json_t *, void *);

/* A moment later: the left command's Pid again. */
static void
xr_reinspect(uv_timer_t *t)
{
	struct xrun	*xr = t->data;

	if (xr->h != NULL && dk_exec_inspect(xr->dk, xr->exec_id,
	    xr_abandoned, xr, &xr->req) == 0)
		return;
	xr->req = NULL;
	if (xr->h != NULL)
		dk_hijack_cancel(xr->h);
	xr_maybe_free(xr);
}

/*
 * The left command's process is known: end it, then the connection. An
 * exec that streams output may still show Pid 0 (the engine records it
 * after the start): ask again, up to XRUN_PID_TRIES times.
 */
static void
xr_abandoned(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct xrun	*xr = arg;
	json_t		*pid;	/* borrowed */
	json_int_t	 p;

	xr->req = NULL;
	pid = json_object_get(result, "Pid");
	p = json_is_integer(pid) ? json_integer_value(pid) : 0;
	if (status == 0 && json_is_true(json_object_get(result, "Running")) &&
	    p == 0 && xr->h != NULL && xr->retry_on &&
	    xr->pid_tries++ < XRUN_PID_TRIES) {
		json_decref(result);	/* started, its Pid not yet known */
		(void)uv_timer_start(&xr->retry, xr_reinspect, XRUN_PID_MS, 0);
		return;
	}
	if (status == 0 && json_is_true(json_object_get(result, "Running")) &&
	    p > 1 && p < INT32_MAX)
		(void)term_exec_reap(dk_client_loop(xr->dk), xr->container,
		    (int)p, SIGTERM);
	json_decref(result);
	if (xr->h != NULL)
		dk_hijack_cancel(xr->h);
	xr_maybe_free(xr);
}

/* The channel ended: the client left or read the end. */
static void
xr_chan_close(struct ovl_chan *ch, int status, void *arg)
{
	struct xrun	*xr = arg;

	xr->fw.ch = NULL;
	if (xr->retry_on)
		uv_timer_stop(&xr->retry);	/* no input is due now */
	if (xr->req != NULL)
		dk_req_cancel(xr->req);	/* the last inspect: it frees */
	else if (xr->h != NULL && xr->exec_id != NULL) {
		if (dk_exec_inspect(xr->dk, xr->exec_id, xr_abandoned, xr,
		    &xr->req) == 0)
			return;	/* the command runs on: end it first */
		xr->req = NULL;
	}
	if (xr->h != NULL)
		dk_hijack_cancel(xr->h);
	xr_maybe_free(xr);
}

static const struct ovl_chan_cbs xr_chan_cbs = {
	.on_data = xr_chan_data,
	.on_drain = xr_drain,
	.on_close = xr_chan_close,
};

/* The exec exists: take the channel, start it, reply. */
static void
xr_created(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct xrun		*xr = arg;
	struct cmd_req		*r = xr->r;
	struct dk_hijack_cbs	 cbs;
	const char		*id;

	xr->req = NULL;
	xr->r = NULL;
	id = json_string_value(json_object_get(result, "Id"));
	if (status != 0 || id == NULL || r->cancelled) {
		(void)cmd_fail_docker(r, req, status != 0 ? status :
		    r->cancelled ? DK_E_CANCELLED : DK_E_BAD_RESPONSE);
		goto out;
	}
	xr->exec_id = strdup(id);
	xr->fw.ch = cmd_take_chan(r);
	if (xr->exec_id == NULL || xr->fw.ch == NULL) {
		(void)cmd_fail(r, PROTO_E_CHANNEL, "the stream channel is gone");
		goto out;
	}
	ovl_chan_set_cbs(xr->fw.ch, &xr_chan_cbs, xr);
	memset(&cbs, 0, sizeof(cbs));
	cbs.on_data = xr_data;
	cbs.on_end = xr_end;
	cbs.arg = xr;
	if (dk_exec_start(xr->dk, xr->exec_id, 0, &cbs, &xr->h) != 0) {
		xr->h = NULL;
		(void)cmd_fail(r, PROTO_E_DOCKER, "cannot start the exec");
		goto out;
	}
	ovl_chan_resume(xr->fw.ch);
	(void)cmd_reply(r, json_pack("{s:s}", "exec", xr->exec_id));
out:
	if (xr->fw.ch != NULL && xr->h == NULL)
		ovl_chan_reset(xr->fw.ch);	/* xr_chan_close runs */
	json_decref(result);
	cmd_req_unref(r);
	xr_maybe_free(xr);
}

/* The container is known: create the exec. */
static void
xr_resolved(struct cmd_req *r, const char *id, const char *name, void *arg)
{
	struct dk_exec_opts	 o;
	struct xrun		*xr;
	struct dk_client	*dk;
	char			**cmd = NULL, **env = NULL;
	const json_t		*a;
	size_t			 i;
	int			 err = 0;

	dk = cmd_docker(r);
	if (dk == NULL)
		return;
	xr = calloc(1, sizeof(*xr));
	if (xr != NULL && (xr->container = strdup(id)) == NULL)
		err = -ENOMEM;
	a = json_object_get(r->params, "cmd");
	for (i = 0; err == 0 && i < json_array_size(a); i++)
		err = node_strv_push(&cmd, json_string_value(json_array_get(a,
		    i)));
	a = json_object_get(r->params, "env");
	for (i = 0; err == 0 && i < json_array_size(a); i++)
		err = node_strv_push(&env, json_string_value(json_array_get(a,
		    i)));
	if (xr == NULL || err != 0) {
		if (xr != NULL)
			free(xr->container);
		free(xr);
		node_strv_free(cmd);
		node_strv_free(env);
		(void)cmd_fail(r, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	xr->dk = dk;
	memset(&o, 0, sizeof(o));
	o.cmd = (const char *const *)cmd;
	o.env = (const char *const *)env;
	o.user = proto_param_str(r->params, "user", NULL);
	o.working_dir = proto_param_str(r->params, "workdir", NULL);
	xr->stdin_on = proto_param_bool(r->params, "stdin", 0);
	o.stdin_on = xr->stdin_on;
	proto_fdec_init(&xr->fdec);
	err = dk_exec_create(dk, id, &o, xr_created, xr, &xr->req);
	node_strv_free(cmd);
	node_strv_free(env);
	if (err != 0) {
		free(xr->container);
		free(xr);
		(void)cmd_fail_docker(r, NULL, err);
		return;
	}
	if (uv_timer_init(dk_client_loop(dk), &xr->retry) == 0) {
		xr->retry.data = xr;
		xr->retry_on = 1;
	}
	cmd_req_ref(r);
	xr->r = r;
}

/* exec.run: a command without a terminal; output, then the exit code. */
enum cmd_retval
cmd_exec_run(struct cmd_req *r)
{
	const char	*c = proto_param_str(r->params, "id", "");

	cmd_set_target(r, "%s", c);
	return (node_resolve_container(r, c, xr_resolved, NULL));
}
