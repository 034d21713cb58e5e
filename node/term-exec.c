/*
 * A terminal session source over a Docker exec with a TTY: the process
 * runs in the container under the engine's PTY, its bytes come over the
 * hijacked connection of POST /exec/{id}/start and go to the session's
 * screen and viewers; input goes back the same way.
 *
 * A shell session first finds a shell (term-exec-probe.c): it runs `bash
 * -c :`, then `sh -c :` as plain probes and takes the first that exits
 * 0. Resizes are sent one at a time (the latest size wins). The engine
 * has no call to end an exec, so closing the source looks up the exec's
 * process id and sends SIGHUP (then SIGKILL after TERM_EXEC_KILL_MS) to
 * it and every process of its session in the container, background jobs
 * too (term-reap.c), before dropping the connection; that works when
 * pierd shares the engine's process namespace, as it does on the host,
 * and the connection drop still happens otherwise.
 *
 * How a session ended is told plainly (term-exec-end.c): an exec the
 * engine cannot find while its container is still there, or a container
 * that stopped under a killed process with the engine silent a moment
 * later, means the engine went away (a restart forgets execs and stops
 * containers).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "term-exec-int.h"

static void	exec_created(struct dk_req *, int, json_t *, void *);

/* Duplicates a NULL-terminated vector; NULL in gives NULL out. */
static int
strv_dup(const char *const *v, char ***out)
{
	size_t	i;

	*out = NULL;
	for (i = 0; v != NULL && v[i] != NULL; i++)
		if (node_strv_push(out, v[i]) != 0)
			return (-ENOMEM);
	return (0);
}

/* Records why the session failed or ended (first reason wins). */
void
term__exec_set_error(struct term_exec *x, const char *fmt, ...)
{
	va_list	ap;
	char	*s;

	if (x->error != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	x->error = s;
}

/* Tells the opener how the start went, once. */
void
term__exec_ready(struct term_exec *x, int status, int code)
{
	term_exec_ready_cb	cb = x->ready_cb;

	x->ready_cb = NULL;
	if (cb != NULL)
		cb(x, status, code, x->error, x->ready_arg);
}

/* Maps a failed create to a proto error code and a message. */
static int
fail_code(struct term_exec *x, struct dk_req *req, int status)
{
	const char	*m = req != NULL ? dk_req_message(req) : "";

	if (m == NULL || m[0] == '\0')
		m = dk_strerror(status);
	if (status == DK_E_CONFLICT) {
		term__exec_set_error(x, "container %s is not running (or is "
		    "paused or restarting); start it first", x->name);
		return (PROTO_E_STATE);
	}
	if (status == DK_E_NOT_FOUND) {
		term__exec_set_error(x, "no such container: %s", x->name);
		return (PROTO_E_NOTFOUND);
	}
	if (status == DK_E_UNAVAILABLE) {
		term__exec_set_error(x, "Docker is unavailable: %s", m);
		return (PROTO_E_DOCKER_DOWN);
	}
	term__exec_set_error(x, "docker exec failed: %s", m);
	return (PROTO_E_DOCKER);
}

/* Sends the wanted size if it changed and no resize is in flight. */
static void resize_send(struct term_exec *);

/* A resize came back; send the next one if the size moved again. */
static void
resize_done(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct term_exec	*x = arg;

	json_decref(result);
	x->rsz = NULL;
	if (x->closing) {
		term__exec_maybe_free(x);
		return;
	}
	resize_send(x);
}

/* Sends the wanted size if it changed and no resize is in flight. */
static void
resize_send(struct term_exec *x)
{
	if (x->rsz != NULL || x->state != X_RUN || x->closing)
		return;
	if (x->rows == x->rsz_rows && x->cols == x->rsz_cols)
		return;
	x->rsz_rows = x->rows;
	x->rsz_cols = x->cols;
	if (dk_exec_resize(x->dk, x->exec_id, (unsigned)x->rows,
	    (unsigned)x->cols, resize_done, x, &x->rsz) != 0)
		x->rsz = NULL;
}

/* Terminal bytes from the engine. */
static void
on_data(struct dk_hijack *h, int kind, const char *buf, size_t len,
    void *arg)
{
	struct term_exec	*x = arg;

	if (!x->closing)
		term_session_output(x->s, buf, len);
}


/*
 * A Docker request of x's has answered: it is no longer x's. 1 when x is
 * closing (and freed here if nothing else holds it): the caller returns.
 */
int
term__exec_settled(struct term_exec *x)
{
	x->req = NULL;
	if (!x->closing)
		return (0);
	term__exec_maybe_free(x);
	return (1);
}

/*
 * An exec (the terminal's or a shell probe's) was created: keeps its id
 * and starts it over a hijacked connection with cbs (arg: x). 0 when it
 * runs; else the session is told (ready) and nonzero is returned. A
 * session closing meanwhile is freed here.
 */
int
term__exec_created_start(struct term_exec *x, struct dk_req *req, int status,
    json_t *result, int tty, struct dk_hijack_cbs *cbs, const char *what)
{
	const char	*id;
	int		 code;

	if (term__exec_settled(x)) {
		json_decref(result);
		return (-1);
	}
	id = json_string_value(json_object_get(result, "Id"));
	if (status != 0 || id == NULL) {
		code = fail_code(x, req, status != 0 ? status :
		    DK_E_BAD_RESPONSE);
		json_decref(result);
		term__exec_ready(x, -EIO, code);
		return (-1);
	}
	free(x->exec_id);	/* a shell probe's */
	x->exec_id = strdup(id);
	json_decref(result);
	if (x->exec_id == NULL) {
		term__exec_set_error(x, "out of memory");
		term__exec_ready(x, -ENOMEM, PROTO_E_INTERNAL);
		return (-1);
	}
	cbs->arg = x;
	if (dk_exec_start(x->dk, x->exec_id, tty, cbs, &x->h) != 0) {
		x->h = NULL;
		term__exec_set_error(x, "%s", what);
		term__exec_ready(x, -EIO, PROTO_E_DOCKER);
		return (-1);
	}
	return (0);
}

/* The exec exists: start it over a hijacked connection. */
static void
exec_created(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct term_exec	*x = arg;
	struct dk_hijack_cbs	 cbs;

	memset(&cbs, 0, sizeof(cbs));
	cbs.on_data = on_data;
	cbs.on_end = term__exec_on_end;
	cbs.max_queued = TERM_PTY_WRITE_MAX;
	if (term__exec_created_start(x, req, status, result, 1, &cbs,
	    "cannot start the exec") != 0)
		return;
	x->state = X_RUN;
	if (x->paused)
		dk_hijack_pause(x->h);
	resize_send(x);
	term__exec_ready(x, 0, 0);
}

/* Creates the terminal's exec with x->cmd. */
void
term__exec_create(struct term_exec *x)
{
	struct dk_exec_opts	o;

	memset(&o, 0, sizeof(o));
	o.cmd = (const char *const *)x->cmd;
	o.env = (const char *const *)x->env;
	o.user = x->user;
	o.working_dir = x->workdir;
	o.tty = 1;
	o.stdin_on = 1;
	x->state = X_CREATE;
	if (dk_exec_create(x->dk, x->container, &o, exec_created, x,
	    &x->req) != 0) {
		x->req = NULL;
		term__exec_set_error(x, "cannot create the exec");
		term__exec_ready(x, -EIO, PROTO_E_DOCKER);
	}
}

/* Makes the source (not started); see node.h. */
int
term_exec_new(struct dk_client *dk, const struct term_exec_opts *o,
    struct term_exec **out)
{
	struct term_exec	*x;

	*out = NULL;
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return (-ENOMEM);
	x->dk = dk;
	x->rows = o->rows;
	x->cols = o->cols;
	x->container = strdup(o->container);
	x->name = strdup(o->name != NULL ? o->name : o->container);
	if (x->container == NULL || x->name == NULL ||
	    strv_dup(o->cmd, &x->cmd) != 0 || strv_dup(o->env, &x->env) != 0 ||
	    (o->user != NULL && (x->user = strdup(o->user)) == NULL) ||
	    (o->workdir != NULL && (x->workdir = strdup(o->workdir)) == NULL) ||
	    uv_timer_init(dk_client_loop(dk), &x->kill_timer) != 0) {
		free(x->container);
		free(x->name);
		node_strv_free(x->cmd);
		node_strv_free(x->env);
		free(x->user);
		free(x->workdir);
		free(x);
		return (-ENOMEM);
	}
	x->timer_on = 1;
	*out = x;
	return (0);
}

/* Starts the exec for session s; cb says whether it runs. */
void
term_exec_start(struct term_exec *x, struct term_session *s,
    term_exec_ready_cb cb, void *arg)
{
	x->s = s;
	x->ready_cb = cb;
	x->ready_arg = arg;
	if (x->cmd == NULL)
		term__exec_probe_next(x);
	else
		term__exec_create(x);
}

/* Why the session failed or ended abnormally, or NULL. */
const char *
term_exec_error(const struct term_exec *x)
{
	return (x->error);
}

/* The command the session runs (the shell found, once found). */
char *const *
term_exec_cmd(const struct term_exec *x)
{
	return (x->cmd);
}

/* Source op: input for the process. */
static int
src_write(void *src, const void *buf, size_t len)
{
	struct term_exec	*x = src;

	if (x->state != X_RUN || x->h == NULL || x->closing)
		return (-EPIPE);
	return (dk_hijack_write(x->h, buf, len));
}

/* Source op: the window size. */
static int
src_resize(void *src, int rows, int cols)
{
	struct term_exec	*x = src;

	x->rows = rows;
	x->cols = cols;
	resize_send(x);
	return (0);
}

/* Source op: hold output in the engine's socket. */
static void
src_pause(void *src)
{
	struct term_exec	*x = src;

	x->paused = 1;
	if (x->state == X_RUN && x->h != NULL)
		dk_hijack_pause(x->h);
}

/* Source op: deliver output again. */
static void
src_resume(void *src)
{
	struct term_exec	*x = src;

	x->paused = 0;
	if (x->state == X_RUN && x->h != NULL)
		dk_hijack_resume(x->h);
}

/* Signals the process and its session (term-reap.c), if known. */
static int
signal_pid(struct term_exec *x, int signum)
{
	int	n;

	if (x->pid <= 0)
		return (-ESRCH);
	n = term_exec_signal(x->container, x->pid, signum);
	return (n > 0 ? 0 : n);
}

/* The process outlived SIGHUP: SIGKILL, and drop the connection. */
static void
on_kill_timer(uv_timer_t *t)
{
	struct term_exec *x = container_of(t, struct term_exec, kill_timer);

	(void)signal_pid(x, SIGKILL);
	if (x->h != NULL)
		dk_hijack_cancel(x->h);
}

/* The closing inspect: hang up the process, then drop the connection. */
static void
close_inspected(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct term_exec	*x = arg;
	json_t			*pid;	/* borrowed */

	x->req = NULL;
	pid = json_object_get(result, "Pid");
	if (status == 0 && json_is_true(json_object_get(result, "Running")) &&
	    json_is_integer(pid) && json_integer_value(pid) > 1 &&
	    json_integer_value(pid) < INT32_MAX) {
		x->pid = (int)json_integer_value(pid);
		if (signal_pid(x, SIGHUP) == 0 && x->h != NULL) {
			/* Give it a moment to go; the hijack then ends. */
			(void)uv_timer_start(&x->kill_timer, on_kill_timer,
			    TERM_EXEC_KILL_MS, 0);
			json_decref(result);
			return;
		}
	}
	json_decref(result);
	if (x->h != NULL)
		dk_hijack_cancel(x->h);
	term__exec_maybe_free(x);
}

/* Source op: signal the process. */
static int
src_kill(void *src, int signum)
{
	return (signal_pid(src, signum));
}

/* The kill timer is closed: the last handle. */
static void
on_timer_closed(uv_handle_t *h)
{
	struct term_exec *x = container_of((uv_timer_t *)h, struct term_exec,
	    kill_timer);

	x->timer_on = 0;
	term__exec_maybe_free(x);
}

/* Frees the source once nothing of it is in flight. */
void
term__exec_maybe_free(struct term_exec *x)
{
	struct term_session	*s = x->s;

	if (!x->closing || x->req != NULL || x->h != NULL || x->rsz != NULL)
		return;
	if (x->timer_on == 1) {
		x->timer_on = 2;
		uv_close((uv_handle_t *)&x->kill_timer, on_timer_closed);
		return;
	}
	if (x->timer_on != 0)
		return;
	free(x->container);
	free(x->name);
	node_strv_free(x->cmd);
	node_strv_free(x->env);
	free(x->user);
	free(x->workdir);
	free(x->exec_id);
	free(x->error);
	free(x->lost);
	free(x);
	if (s != NULL)
		term_session_source_closed(s);
}

/* Source op: end the process and free the source. */
static void
src_close(void *src, struct term_session *s)
{
	struct term_exec	*x = src;

	x->s = s;
	x->closing = 1;
	if (x->ready_cb != NULL) {
		term__exec_set_error(x,
		    "the session was closed before it started");
		term__exec_ready(x, -ECANCELED, PROTO_E_CANCELLED);
	}
	if (x->req != NULL)
		dk_req_cancel(x->req);
	if (x->rsz != NULL)
		dk_req_cancel(x->rsz);
	if (x->h != NULL && x->state == X_RUN && x->exec_id != NULL) {
		if (dk_exec_inspect(x->dk, x->exec_id, close_inspected, x,
		    &x->req) == 0)
			return;
		x->req = NULL;
	}
	if (x->h != NULL)
		dk_hijack_cancel(x->h);
	term__exec_maybe_free(x);
}

/* The table the session calls. */
const struct term_source_ops term_exec_ops = {
	.write = src_write,
	.resize = src_resize,
	.pause = src_pause,
	.resume = src_resume,
	.kill = src_kill,
	.close = src_close,
};

/* Frees a source that never became a session's. */
void
term_exec_discard(struct term_exec *x)
{
	src_close(x, NULL);
}
