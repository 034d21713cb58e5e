/*
 * How a terminal session over a Docker exec ended (term-exec.c), told
 * plainly. When the hijacked connection ends, the exec is inspected for
 * its exit code; from there a chain of callbacks tells the cases apart:
 *
 * - an exit code: the process ended; the session ends with it, unless
 *   the code says a signal (128 and up), when the container is inspected
 *   (end_killed): still running, once more after KILLED_RECHECK_MS (the
 *   engine may see the exec end before its container), then the code
 *   stands; stopped, the engine is pinged STOPPED_PING_MS later
 *   (end_ping_timer, end_pinged): an engine that shuts down stops every
 *   container and then answers no more;
 * - no such exec: the container is inspected (end_container): a removed
 *   container took its execs along, one still there means the engine
 *   restarted and forgot its execs.
 *
 * Every step first checks whether the session closed meanwhile, and
 * then only frees the source.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "term-exec-int.h"

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

	json_decref(result);
	if (term__exec_settled(x))
		return;
	if (status == DK_E_NOT_FOUND)
		term__exec_set_error(x, "container %s was removed while the "
		    "session ran", x->name);
	else if (status == 0 || status == DK_E_UNAVAILABLE)
		term__exec_set_error(x, ENGINE_GONE);
	else
		term__exec_set_error(x, "the session's exec is gone: %s",
		    dk_req_message(req));
	end_now(x, -1);
}

/* The engine answers after its container stopped, or not. */
static void
end_pinged(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct term_exec	*x = arg;

	json_decref(result);
	if (term__exec_settled(x))
		return;
	if (status != 0)
		term__exec_set_error(x, ENGINE_GONE);
	else
		term__exec_set_error(x, "container %s stopped while the "
		    "session ran (docker stop, or the engine restarting); "
		    "session ended", x->name);
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
		term__exec_set_error(x, ENGINE_GONE);
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

	st = json_object_get(result, "State");
	running = json_is_true(json_object_get(st, "Running"));
	json_decref(result);
	if (term__exec_settled(x))
		return;
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
		term__exec_set_error(x, "container %s was removed while the "
		    "session ran", x->name);
	else if (status == DK_E_UNAVAILABLE)
		term__exec_set_error(x, ENGINE_GONE);
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

	if (term__exec_settled(x)) {
		json_decref(result);
		return;
	}
	if (status == 0) {
		code = json_object_get(result, "ExitCode");
		if (json_is_integer(code))
			st = json_integer_value(code);
		else if (x->lost != NULL)
			term__exec_set_error(x, "%s", x->lost);
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
		term__exec_set_error(x, "the session's exec is gone");
		end_now(x, -1);
		return;
	} else if (status == DK_E_UNAVAILABLE)
		term__exec_set_error(x, ENGINE_GONE);
	else
		term__exec_set_error(x, "cannot read the exit code: %s",
		    dk_req_message(req));
	json_decref(result);
	end_now(x, st);
}

/* The terminal's connection ended: the process exited (or worse). */
void
term__exec_on_end(struct dk_hijack *h, int status, const char *message,
    void *arg)
{
	struct term_exec	*x = arg;

	x->h = NULL;
	if (x->closing) {
		term__exec_maybe_free(x);
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
		term__exec_set_error(x, "cannot read the exit code");
		end_now(x, -1);
	}
}
