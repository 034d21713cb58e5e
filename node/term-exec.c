/*
 * A terminal session source over a Docker exec with a TTY: the process
 * runs in the container under the engine's PTY, its bytes come over the
 * hijacked connection of POST /exec/{id}/start and go to the session's
 * screen and viewers; input goes back the same way.
 *
 * A shell session first finds a shell: it runs `bash -c :`, then `sh -c
 * :` as plain probes and takes the first that exits 0, so the error for
 * a container with neither names both. Resizes are sent one at a time
 * (the latest size wins). The engine has no call to end an exec, so
 * closing the source looks up the exec's process id and sends SIGHUP
 * (then SIGKILL after TERM_EXEC_KILL_MS) to it and every process of its
 * session in the container, background jobs too (term-reap.c), before
 * dropping the connection; that works when pierd shares the engine's
 * process namespace, as it does on the host, and the connection drop
 * still happens otherwise.
 *
 * How a session ended is told plainly: an exec the engine cannot find
 * while its container is still there, or a container that stopped under
 * a killed process with the engine silent a moment later, means the
 * engine went away (a restart forgets execs and stops containers).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* What the source is doing. */
enum xstate {
	X_PROBE,	/* a shell probe exec is created or running */
	X_CREATE,	/* the exec is being created */
	X_RUN,		/* the hijack carries the terminal */
	X_END,		/* the process ended; inspecting for its code */
	X_DONE,		/* exited reported */
};

/* The shells tried, in order. */
static const char *const shells[] = { "bash", "sh" };
#define NSHELLS	(sizeof(shells) / sizeof(shells[0]))

struct term_exec {
	struct dk_client	*dk;
	struct term_session	*s;
	enum xstate		 state;
	char			*container;
	char			*name;		/* for messages */
	char			**cmd;		/* owned argv */
	char			**env;
	char			*user;
	char			*workdir;
	char			*exec_id;
	size_t			 probe;		/* index into shells */
	struct dk_req		*req;		/* create, inspect, probe */
	struct dk_hijack	*h;		/* the terminal or a probe */
	struct dk_req		*rsz;		/* resize in flight */
	int			 rows, cols;	/* wanted size */
	int			 rsz_rows, rsz_cols; /* last sent */
	int			 paused;
	int			 closing;
	int			 pid;		/* from the closing inspect */
	uv_timer_t		 kill_timer;
	int			 timer_on;
	term_exec_ready_cb	 ready_cb;
	void			*ready_arg;
	char			*error;		/* why it ended, or NULL */
	char			*lost;		/* the hijack's failure, or NULL */
	int64_t			 exit_st;	/* the exec's, while checking */
	int			 rechecked;	/* the container, once more */
};

/* What viewers read when the engine restarted or stopped under them. */
#define ENGINE_GONE	"the Docker engine went away; session ended"
/* After the container stopped under a session: ask the engine then. */
#define STOPPED_PING_MS	2000
/*
 * A process killed while its container still runs: look at the container
 * again after this long. When the container's first process dies, the
 * kernel kills the rest of it and the engine may see the exec end before
 * the container does.
 */
#define KILLED_RECHECK_MS	1000

static void	exec_created(struct dk_req *, int, json_t *, void *);
static void	probe_created(struct dk_req *, int, json_t *, void *);
static void	maybe_free(struct term_exec *);

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
static void __attribute__((format(printf, 2, 3)))
set_error(struct term_exec *x, const char *fmt, ...)
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
static void
ready(struct term_exec *x, int status, int code)
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
		set_error(x, "container %s is not running (or is paused or "
		    "restarting); start it first", x->name);
		return (PROTO_E_STATE);
	}
	if (status == DK_E_NOT_FOUND) {
		set_error(x, "no such container: %s", x->name);
		return (PROTO_E_NOTFOUND);
	}
	if (status == DK_E_UNAVAILABLE) {
		set_error(x, "Docker is unavailable: %s", m);
		return (PROTO_E_DOCKER_DOWN);
	}
	set_error(x, "docker exec failed: %s", m);
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
		maybe_free(x);
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

/* Ends the session with exit status st (and x->error, if set). */
static void
end_now(struct term_exec *x, int64_t st)
{
	x->state = X_DONE;
	term_session_exited(x->s, st, 0);
}

/*
 * The exec is gone but was not asked about the container: a removed
 * container takes its execs along, while a restarted engine forgets
 * every exec but keeps the containers (a stopped one keeps its execs).
 */
static void
end_container(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct term_exec	*x = arg;

	x->req = NULL;
	json_decref(result);
	if (x->closing) {
		maybe_free(x);
		return;
	}
	if (status == DK_E_NOT_FOUND)
		set_error(x, "container %s was removed while the session ran",
		    x->name);
	else if (status == 0 || status == DK_E_UNAVAILABLE)
		set_error(x, ENGINE_GONE);
	else
		set_error(x, "the session's exec is gone: %s",
		    dk_req_message(req));
	end_now(x, -1);
}

/* The engine answers after its container stopped, or not. */
static void
end_pinged(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct term_exec	*x = arg;

	x->req = NULL;
	json_decref(result);
	if (x->closing) {
		maybe_free(x);
		return;
	}
	if (status != 0)
		set_error(x, ENGINE_GONE);
	else
		set_error(x, "container %s stopped while the session ran "
		    "(docker stop, or the engine restarting); session ended",
		    x->name);
	end_now(x, -1);
}

/* A moment after the container stopped: is the engine still there? */
static void
end_ping_timer(uv_timer_t *t)
{
	struct term_exec *x = container_of(t, struct term_exec, kill_timer);

	if (x->closing)
		return;
	if (dk_ping(x->dk, end_pinged, x, &x->req) != 0) {
		x->req = NULL;
		set_error(x, ENGINE_GONE);
		end_now(x, -1);
	}
}

static void	end_killed(struct dk_req *, int, json_t *, void *);

/* A moment after a killed process: is its container still running? */
static void
end_recheck_timer(uv_timer_t *t)
{
	struct term_exec *x = container_of(t, struct term_exec, kill_timer);

	if (x->closing)
		return;
	if (dk_container_inspect(x->dk, x->container, 0, end_killed, x,
	    &x->req) != 0) {
		x->req = NULL;
		end_now(x, x->exit_st);
	}
}

/*
 * The process died of a signal: a container that stopped under it (an
 * engine shutting down stops them all, then answers no more) is said so,
 * not passed off as the program's own exit code.
 */
static void
end_killed(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct term_exec	*x = arg;
	json_t			*st;	/* borrowed */
	int			 running;

	x->req = NULL;
	st = json_object_get(result, "State");
	running = json_is_true(json_object_get(st, "Running"));
	json_decref(result);
	if (x->closing) {
		maybe_free(x);
		return;
	}
	if (status == 0 && running && !x->rechecked) {
		x->rechecked = 1;
		if (uv_timer_start(&x->kill_timer, end_recheck_timer,
		    KILLED_RECHECK_MS, 0) == 0)
			return;
	}
	if (status == 0 && running) {
		end_now(x, x->exit_st);	/* only the process was killed */
		return;
	}
	if (status == DK_E_NOT_FOUND)
		set_error(x, "container %s was removed while the session ran",
		    x->name);
	else if (status == DK_E_UNAVAILABLE)
		set_error(x, ENGINE_GONE);
	if (x->error != NULL || status != 0 || uv_timer_start(&x->kill_timer,
	    end_ping_timer, STOPPED_PING_MS, 0) != 0)
		end_now(x, x->error != NULL ? -1 : x->exit_st);
}

/* The exec's final inspect: its exit code ends the session. */
static void
end_inspected(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct term_exec	*x = arg;
	json_t			*code;	/* borrowed */
	int64_t			 st = -1;

	x->req = NULL;
	if (x->closing) {
		json_decref(result);
		maybe_free(x);
		return;
	}
	if (status == 0) {
		code = json_object_get(result, "ExitCode");
		if (json_is_integer(code))
			st = json_integer_value(code);
		else if (x->lost != NULL)
			set_error(x, "%s", x->lost);
		json_decref(result);
		x->exit_st = st;
		if (st >= 128 && x->error == NULL &&
		    dk_container_inspect(x->dk, x->container, 0, end_killed, x,
		    &x->req) == 0)
			return;
		x->req = NULL;
		end_now(x, st);
		return;
	} else if (status == DK_E_NOT_FOUND) {
		json_decref(result);
		if (dk_container_inspect(x->dk, x->container, 0,
		    end_container, x, &x->req) == 0)
			return;
		x->req = NULL;
		set_error(x, "the session's exec is gone");
		end_now(x, -1);
		return;
	} else if (status == DK_E_UNAVAILABLE)
		set_error(x, ENGINE_GONE);
	else
		set_error(x, "cannot read the exit code: %s",
		    dk_req_message(req));
	json_decref(result);
	end_now(x, st);
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

/* The terminal's connection ended: the process exited (or worse). */
static void
on_end(struct dk_hijack *h, int status, const char *message, void *arg)
{
	struct term_exec	*x = arg;

	x->h = NULL;
	if (x->closing) {
		maybe_free(x);
		return;
	}
	/* The inspect tells an engine gone from a link lost. */
	if (status != 0 && status != DK_E_CANCELLED && x->lost == NULL &&
	    asprintf(&x->lost, "the connection to Docker ended: %s",
	    message != NULL && message[0] != '\0' ? message :
	    dk_strerror(status)) < 0)
		x->lost = NULL;
	x->state = X_END;
	if (dk_exec_inspect(x->dk, x->exec_id, end_inspected, x,
	    &x->req) != 0) {
		x->req = NULL;
		set_error(x, "cannot read the exit code");
		end_now(x, -1);
	}
}

/*
 * An exec (the terminal's or a shell probe's) was created: keeps its id
 * and starts it over a hijacked connection with cbs (arg: x). 0 when it
 * runs; else the session is told (ready) and nonzero is returned. A
 * session closing meanwhile is freed here.
 */
static int
created_start(struct term_exec *x, struct dk_req *req, int status,
    json_t *result, int tty, struct dk_hijack_cbs *cbs, const char *what)
{
	const char	*id;
	int		 code;

	x->req = NULL;
	if (x->closing) {
		json_decref(result);
		maybe_free(x);
		return (-1);
	}
	id = json_string_value(json_object_get(result, "Id"));
	if (status != 0 || id == NULL) {
		code = fail_code(x, req, status != 0 ? status : DK_E_BAD_RESPONSE);
		json_decref(result);
		ready(x, -EIO, code);
		return (-1);
	}
	free(x->exec_id);	/* a shell probe's */
	x->exec_id = strdup(id);
	json_decref(result);
	if (x->exec_id == NULL) {
		set_error(x, "out of memory");
		ready(x, -ENOMEM, PROTO_E_INTERNAL);
		return (-1);
	}
	cbs->arg = x;
	if (dk_exec_start(x->dk, x->exec_id, tty, cbs, &x->h) != 0) {
		x->h = NULL;
		set_error(x, "%s", what);
		ready(x, -EIO, PROTO_E_DOCKER);
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
	cbs.on_end = on_end;
	cbs.max_queued = TERM_PTY_WRITE_MAX;
	if (created_start(x, req, status, result, 1, &cbs,
	    "cannot start the exec") != 0)
		return;
	x->state = X_RUN;
	if (x->paused)
		dk_hijack_pause(x->h);
	resize_send(x);
	ready(x, 0, 0);
}

/* Creates the terminal's exec with x->cmd. */
static void
create_exec(struct term_exec *x)
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
		set_error(x, "cannot create the exec");
		ready(x, -EIO, PROTO_E_DOCKER);
	}
}

/* Starts the probe of shells[x->probe]. */
static void
probe_next(struct term_exec *x)
{
	struct dk_exec_opts	 o;
	const char		*argv[4];

	argv[0] = shells[x->probe];
	argv[1] = "-c";
	argv[2] = ":";
	argv[3] = NULL;
	memset(&o, 0, sizeof(o));
	o.cmd = argv;
	o.user = x->user;
	x->state = X_PROBE;
	if (dk_exec_create(x->dk, x->container, &o, probe_created, x,
	    &x->req) != 0) {
		x->req = NULL;
		set_error(x, "cannot create the exec");
		ready(x, -EIO, PROTO_E_DOCKER);
	}
}

/* A probe's exit code: 0 picks the shell, else the next one. */
static void
probe_inspected(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct term_exec	*x = arg;
	json_t			*code;	/* borrowed */
	int			 ok;

	x->req = NULL;
	code = json_object_get(result, "ExitCode");
	ok = status == 0 && json_is_integer(code) &&
	    json_integer_value(code) == 0;
	json_decref(result);
	if (x->closing) {
		maybe_free(x);
		return;
	}
	if (ok) {
		if (node_strv_push(&x->cmd, shells[x->probe]) != 0) {
			set_error(x, "out of memory");
			ready(x, -ENOMEM, PROTO_E_INTERNAL);
			return;
		}
		create_exec(x);
		return;
	}
	if (++x->probe < NSHELLS) {
		probe_next(x);
		return;
	}
	set_error(x, "container %s has no shell: tried bash and sh; run a "
	    "command with `pier exec -it` instead", x->name);
	ready(x, -ENOENT, PROTO_E_NOSHELL);
}

/* A probe's connection ended: read its exit code. */
static void
probe_end(struct dk_hijack *h, int status, const char *message, void *arg)
{
	struct term_exec	*x = arg;

	x->h = NULL;
	if (x->closing) {
		maybe_free(x);
		return;
	}
	if (dk_exec_inspect(x->dk, x->exec_id, probe_inspected, x,
	    &x->req) != 0) {
		x->req = NULL;
		set_error(x, "cannot inspect the shell probe");
		ready(x, -EIO, PROTO_E_DOCKER);
	}
}

/* A probe's output is not needed. */
static void
probe_data(struct dk_hijack *h, int kind, const char *buf, size_t len,
    void *arg)
{
}

/* A probe exec exists: run it. */
static void
probe_created(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct dk_hijack_cbs	 cbs;

	memset(&cbs, 0, sizeof(cbs));
	cbs.on_data = probe_data;
	cbs.on_end = probe_end;
	(void)created_start(arg, req, status, result, 0, &cbs,
	    "cannot start the shell probe");
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
		probe_next(x);
	else
		create_exec(x);
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
	maybe_free(x);
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
	maybe_free(x);
}

/* Frees the source once nothing of it is in flight. */
static void
maybe_free(struct term_exec *x)
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
		set_error(x, "the session was closed before it started");
		ready(x, -ECANCELED, PROTO_E_CANCELLED);
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
	maybe_free(x);
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
