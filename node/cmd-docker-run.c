/*
 * docker.run: the host's docker CLI with pipes, no PTY, as `ssh host
 * cmd` runs a command without -t. `pier docker n1 -- ps -q | cat` must
 * print what `docker ps -q` prints on the host, byte for byte: the CLI's
 * stdout and stderr stay apart (STDOUT and STDERR frames, the framing of
 * exec.run), its exit code comes last in EXIT (128 + the signal when a
 * signal ended it). With stdin, the client's STDIN frames go to the CLI's
 * stdin and its FIN closes it; without, the CLI's stdin is /dev/null and
 * a FIN stops it. Output the channel cannot take is held and the pipes
 * are no longer read, so the CLI is held by the client's credit.
 *
 * The CLI runs in a process group of its own (plugins such as compose are
 * its children); a client that leaves first takes the group with it:
 * SIGTERM, then SIGKILL after DRUN_KILL_MS.
 *
 * The stacks (cmd-stack.c) run compose through the same runner
 * (cmd__run_cli) with CMD_RUN_DETACH: there only the client's reset
 * (Ctrl-C twice) stops the process; its FIN (Ctrl-C once) or a dropped
 * connection detaches it, and its output is read and dropped until it
 * ends, so a half-made deployment is never cut short by a laptop lid.
 * A detached run holds no reference on the loop (it is on node->runs);
 * when pierd stops, cmd_runs_abandon hands each one's pipes to a `cat`
 * of their own, which drains them to the end, and lets go of the
 * process, so compose neither stops pierd's exit nor dies writing to a
 * pipe nobody reads.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

#define DRUN_READ_MAX	65536	/* one read from a pipe */
#define DRUN_IN_MAX	(256 * 1024)	/* input queued before pausing */
#define DRUN_KILL_MS	1000	/* SIGTERM, then SIGKILL */

/* One docker.run in flight. */
struct drun {
	struct node_fwriter	 fw;	/* the channel and held frames */
	uv_process_t		 proc;
	uv_pipe_t		 in, out, err;
	uv_timer_t		 kill;
	uv_shutdown_t		 shut;
	struct proto_fdec	 fdec;
	int64_t			 status;	/* exit code, once exited */
	int			 exited;
	int			 open_out;	/* output pipes not at EOF */
	int			 handles;	/* not yet closed */
	int			 stdin_on;
	int			 in_shut;	/* stdin closed or closing */
	int			 reading;	/* the pipes are read */
	int			 detach;	/* CMD_RUN_DETACH */
	void			(*exit_cb)(struct node *, int64_t, void *);
	void			*exit_arg;
	struct node		*node;
	struct drun		*next;	/* in node->runs once detached */
	struct drun		**prevp;	/* NULL while not */
};

/* Takes a detached run off the node's list. */
static void
dr_unlink(struct drun *dr)
{
	if (dr->prevp == NULL)
		return;
	*dr->prevp = dr->next;
	if (dr->next != NULL)
		dr->next->prevp = dr->prevp;
	dr->prevp = NULL;
	dr->next = NULL;
}

/* Frees the run once every handle has closed. */
static void
dr_closed(uv_handle_t *h)
{
	struct drun	*dr = h->data;

	if (--dr->handles > 0)
		return;
	dr_unlink(dr);
	node_fwriter_free(&dr->fw);
	free(dr);
}

/* Sends EXIT (the process ended and its output is out), then FIN. */
static void
dr_conclude(struct drun *dr)
{
	if (!dr->exited || dr->open_out > 0 || dr->fw.held_len > 0)
		return;
	node_fwriter_exit(&dr->fw, (int32_t)dr->status);
}

/* Closes every handle; the last close frees the run. */
static void
dr_release(struct drun *dr)
{
	uv_handle_t	*hs[] = { (uv_handle_t *)&dr->proc,
			    (uv_handle_t *)&dr->in, (uv_handle_t *)&dr->out,
			    (uv_handle_t *)&dr->err, (uv_handle_t *)&dr->kill };
	size_t		 i;

	for (i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
		if (hs[i]->data == dr && !uv_is_closing(hs[i]))
			uv_close(hs[i], dr_closed);
}

/* The process is gone and the channel too: nothing is left to do. */
static void
dr_maybe_release(struct drun *dr)
{
	if (dr->fw.ch == NULL && dr->exited)
		dr_release(dr);
}

/* Writes output as frames; the rest is held and the pipes wait. */
static void
dr_output(struct drun *dr, enum proto_frame type, const char *buf,
    size_t len)
{
	if (node_fwriter_write(&dr->fw, type, buf, len) == -ENOMEM)
		return;
	if (dr->fw.held_len > 0 && dr->reading) {
		dr->reading = 0;
		(void)uv_read_stop((uv_stream_t *)&dr->out);
		(void)uv_read_stop((uv_stream_t *)&dr->err);
	}
}

/* A read buffer. */
static void
dr_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	b->base = malloc(DRUN_READ_MAX);
	b->len = b->base != NULL ? DRUN_READ_MAX : 0;
}

/* Output from the CLI, or the end of one pipe. */
static void
dr_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct drun	*dr = s->data;

	if (n > 0 && dr->fw.ch != NULL)
		dr_output(dr, s == (uv_stream_t *)&dr->err ?
		    PROTO_FRAME_STDERR : PROTO_FRAME_STDOUT, b->base,
		    (size_t)n);
	free(b->base);
	if (n >= 0 || n == UV_ENOBUFS)
		return;
	(void)uv_read_stop(s);
	dr->open_out--;
	uv_close((uv_handle_t *)s, dr_closed);
	dr_conclude(dr);
}

/* Starts reading both output pipes that are still open. */
static void
dr_read_start(struct drun *dr)
{
	dr->reading = 1;
	if (!uv_is_closing((uv_handle_t *)&dr->out))
		(void)uv_read_start((uv_stream_t *)&dr->out, dr_alloc, dr_read);
	if (!uv_is_closing((uv_handle_t *)&dr->err))
		(void)uv_read_start((uv_stream_t *)&dr->err, dr_alloc, dr_read);
}

/* The channel has room: held output, then the pipes again. */
static void
dr_drain(struct ovl_chan *ch, void *arg)
{
	struct drun	*dr = arg;

	if (!node_fwriter_drain(&dr->fw))
		return;
	if (!dr->reading)
		dr_read_start(dr);
	dr_conclude(dr);
}

/* The process ended: its code, 128 + the signal for a signal. */
static void
dr_exit(uv_process_t *p, int64_t status, int sig)
{
	struct drun	*dr = p->data;

	dr->exited = 1;
	dr->status = sig != 0 ? 128 + sig : status;
	uv_timer_stop(&dr->kill);
	if (dr->exit_cb != NULL)
		dr->exit_cb(dr->node, dr->status, dr->exit_arg);
	dr->exit_cb = NULL;
	dr_conclude(dr);
	dr_maybe_release(dr);
}

/* SIGTERM did not do: SIGKILL to the group. */
static void
dr_kill_now(uv_timer_t *t)
{
	struct drun	*dr = t->data;

	if (!dr->exited)
		(void)uv_kill(-dr->proc.pid, SIGKILL);
}

/* A write to stdin finished: take the client's input again. */
static void
dr_written(uv_write_t *w, int status)
{
	struct drun	*dr = w->data;

	free(w);
	if (dr->fw.ch != NULL && uv_stream_get_write_queue_size(
	    (uv_stream_t *)&dr->in) < DRUN_IN_MAX)
		ovl_chan_resume(dr->fw.ch);
}

/* Closes the CLI's stdin after what was written (the client's FIN). */
static void
dr_shut_in(struct drun *dr)
{
	if (dr->in_shut || !dr->stdin_on)
		return;
	dr->in_shut = 1;
	dr->shut.data = dr;
	if (uv_shutdown(&dr->shut, (uv_stream_t *)&dr->in, NULL) != 0 &&
	    !uv_is_closing((uv_handle_t *)&dr->in))
		uv_close((uv_handle_t *)&dr->in, dr_closed);
}

/* One frame from the client: STDIN to the CLI; the rest is ignored. */
static int
dr_frame(void *arg, enum proto_frame type, const uint8_t *data, size_t len)
{
	struct drun	*dr = arg;
	uv_write_t	*w;
	uv_buf_t	 b;

	if (type != PROTO_FRAME_STDIN || !dr->stdin_on || dr->in_shut)
		return (0);
	w = malloc(sizeof(*w) + len);
	if (w == NULL)
		return (-ENOMEM);
	memcpy(w + 1, data, len);
	w->data = dr;
	b = uv_buf_init((char *)(w + 1), (unsigned)len);
	if (uv_write(w, (uv_stream_t *)&dr->in, &b, 1, dr_written) != 0)
		free(w);	/* stdin is gone: dropped */
	return (0);
}

/* The client's bytes: STDIN frames, then FIN for the end of input. */
static void
dr_chan_data(struct ovl_chan *ch, const uint8_t *buf, size_t len, void *arg)
{
	struct drun	*dr = arg;

	if (len == 0 && dr->detach)
		(void)ovl_chan_close(ch);	/* FIN: detach */
	else if (len == 0 && !dr->stdin_on)
		ovl_chan_reset(ch);	/* FIN: stop, as a close does */
	else if (len == 0)
		dr_shut_in(dr);
	else if (proto_fdec_feed(&dr->fdec, buf, len, dr_frame, dr) != 0)
		ovl_chan_reset(ch);	/* a broken stream */
	else if (dr->stdin_on && uv_stream_get_write_queue_size(
	    (uv_stream_t *)&dr->in) >= DRUN_IN_MAX)
		ovl_chan_pause(ch);	/* dr_written resumes */
}

/* Frees a drainer's process handle. */
static void
drainer_closed(uv_handle_t *h)
{
	free(h);
}

/* Starts `cat` reading pipe s to its end, output to nowhere. */
static void
dr_drainer(uv_loop_t *loop, uv_pipe_t *s)
{
	struct uv_process_options_s o;
	uv_stdio_container_t	 io[3];
	uv_process_t		*p;
	uv_os_fd_t		 fd;
	char			*argv[2];

	if (uv_is_closing((uv_handle_t *)s) || uv_fileno((uv_handle_t *)s,
	    &fd) != 0)
		return;
	argv[0] = cmd_find_exe("cat");
	argv[1] = NULL;
	p = argv[0] != NULL ? malloc(sizeof(*p)) : NULL;
	if (p == NULL) {
		free(argv[0]);
		return;
	}
	memset(&o, 0, sizeof(o));
	memset(io, 0, sizeof(io));
	io[0].flags = UV_INHERIT_FD;
	io[0].data.fd = fd;
	io[1].flags = UV_IGNORE;
	io[2].flags = UV_IGNORE;
	o.file = argv[0];
	o.args = argv;
	o.stdio = io;
	o.stdio_count = 3;
	o.flags = UV_PROCESS_DETACHED;
	(void)uv_spawn(loop, p, &o);
	uv_close((uv_handle_t *)p, drainer_closed);	/* it runs on */
	free(argv[0]);
}

/* Lets go of a detached run as pierd stops (see the head comment). */
static void
dr_abandon(struct drun *dr)
{
	uv_loop_t	*loop = dr->proc.loop;

	dr_unlink(dr);
	if (dr->exit_cb != NULL)
		dr->exit_cb(dr->node, -1, dr->exit_arg);
	dr->exit_cb = NULL;
	dr_drainer(loop, &dr->out);
	dr_drainer(loop, &dr->err);
	dr->exited = 1;		/* for pierd, it has */
	dr_release(dr);
}

/* Lets go of every detached run: pierd is stopping. */
void
cmd_runs_abandon(struct node *n)
{
	while (n->runs != NULL)
		dr_abandon(n->runs);
}

/* The client let go of a detach-mode run: it goes on without the loop. */
static void
dr_detached(struct drun *dr)
{
	struct node	*n = dr->node;
	uv_handle_t	*hs[] = { (uv_handle_t *)&dr->proc,
			    (uv_handle_t *)&dr->in, (uv_handle_t *)&dr->out,
			    (uv_handle_t *)&dr->err, (uv_handle_t *)&dr->kill };
	size_t		 i;

	dr->next = n->runs;
	if (n->runs != NULL)
		n->runs->prevp = &dr->next;
	n->runs = dr;
	dr->prevp = &n->runs;
	for (i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
		if (hs[i]->data == dr && !uv_is_closing(hs[i]))
			uv_unref(hs[i]);
}

/* The channel ended: the client read the end, or left first. */
static void
dr_chan_close(struct ovl_chan *ch, int status, void *arg)
{
	struct drun	*dr = arg;

	dr->fw.ch = NULL;
	node_fwriter_free(&dr->fw);	/* nobody will read it */
	if (!dr->exited && (!dr->detach || status == -ECONNRESET)) {
		(void)uv_kill(-dr->proc.pid, SIGTERM);
		(void)uv_timer_start(&dr->kill, dr_kill_now, DRUN_KILL_MS, 0);
	} else if (!dr->exited && dr->node->closing) {
		dr_abandon(dr);
		return;
	} else if (!dr->exited)
		dr_detached(dr);
	if (!dr->reading && dr->open_out > 0)
		dr_read_start(dr);	/* drain the pipes to the end */
	dr_maybe_release(dr);
}

static const struct ovl_chan_cbs dr_chan_cbs = {
	.on_data = dr_chan_data,
	.on_drain = dr_drain,
	.on_close = dr_chan_close,
};

/* Makes the run's pipes and timer; 0 or a libuv error. */
static int
dr_handles(struct drun *dr, uv_loop_t *loop)
{
	int	err;

	err = uv_timer_init(loop, &dr->kill);
	if (err != 0)
		return (err);
	dr->kill.data = dr;
	dr->handles++;
	err = uv_pipe_init(loop, &dr->in, 0);
	if (err != 0)
		return (err);
	dr->in.data = dr;
	dr->handles++;
	err = uv_pipe_init(loop, &dr->out, 0);
	if (err != 0)
		return (err);
	dr->out.data = dr;
	dr->handles++;
	err = uv_pipe_init(loop, &dr->err, 0);
	if (err != 0)
		return (err);
	dr->err.data = dr;
	dr->handles++;
	return (0);
}

/* Runs argv with pipes on r's channel (see node.h); argv, env borrowed. */
enum cmd_retval
cmd__run_cli(struct cmd_req *r, char **argv, char **env,
    const struct cmd_run_opts *ro, json_t *reply)
{
	struct node		*n = r->node;
	struct uv_process_options_s o;
	uv_stdio_container_t	 io[3];
	struct drun		*dr;
	int			 err;

	dr = calloc(1, sizeof(*dr));
	if (dr == NULL) {
		json_decref(reply);
		return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	}
	dr->stdin_on = (ro->flags & CMD_RUN_STDIN) != 0;
	dr->detach = (ro->flags & CMD_RUN_DETACH) != 0;
	dr->node = n;
	proto_fdec_init(&dr->fdec);
	err = dr_handles(dr, n->loop);
	memset(&o, 0, sizeof(o));
	memset(io, 0, sizeof(io));
	io[0].flags = dr->stdin_on ? UV_CREATE_PIPE | UV_READABLE_PIPE :
	    UV_IGNORE;
	io[0].data.stream = (uv_stream_t *)&dr->in;
	io[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	io[1].data.stream = (uv_stream_t *)&dr->out;
	io[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	io[2].data.stream = (uv_stream_t *)&dr->err;
	o.file = argv[0];
	o.args = argv;
	o.env = env;
	o.cwd = ro->cwd;
	o.stdio = io;
	o.stdio_count = 3;
	o.exit_cb = dr_exit;
	o.flags = UV_PROCESS_DETACHED;	/* a group of its own */
	dr->proc.data = dr;
	if (err == 0) {
		err = uv_spawn(n->loop, &dr->proc, &o);
		dr->handles++;	/* closed even when the spawn failed */
	}
	if (err == 0)
		dr->fw.ch = cmd_take_chan(r);
	if (err != 0 || dr->fw.ch == NULL) {
		if (err == 0)
			(void)uv_kill(-dr->proc.pid, SIGKILL);
		dr->exited = err != 0;	/* else dr_exit says it */
		dr_release(dr);
		json_decref(reply);
		return (err != 0 ? cmd_fail(r, PROTO_E_HOST, "cannot run %s: "
		    "%s", argv[0], uv_strerror(err)) : cmd_fail(r,
		    PROTO_E_CHANNEL, "the stream channel is gone"));
	}
	if (!dr->stdin_on)
		dr->in_shut = 1;
	dr->open_out = 2;
	dr->exit_cb = ro->exit_cb;
	dr->exit_arg = ro->exit_arg;
	ovl_chan_set_cbs(dr->fw.ch, &dr_chan_cbs, dr);
	dr_read_start(dr);
	ovl_chan_resume(dr->fw.ch);
	if (reply == NULL)
		reply = json_object();
	if (reply != NULL)
		(void)json_object_set_new(reply, "pid",
		    json_integer(dr->proc.pid));
	return (cmd_reply(r, reply));
}

/* docker.run: the host's docker CLI with pipes; output, then the code. */
enum cmd_retval
cmd_docker_run(struct cmd_req *r)
{
	struct cmd_run_opts	 ro;
	char			**argv = NULL, **env = NULL;
	enum cmd_retval		 rv;
	int			 err;

	err = cmd_docker_argv(r, &argv, &env);
	if (err == -ENOENT)
		return (CMD_ERROR);	/* answered */
	if (err != 0)
		return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	cmd_set_target(r, "docker");
	memset(&ro, 0, sizeof(ro));
	ro.flags = proto_param_bool(r->params, "stdin", 0) ? CMD_RUN_STDIN : 0;
	rv = cmd__run_cli(r, argv, env, &ro, NULL);
	node_strv_free(argv);
	node_strv_free(env);
	return (rv);
}
