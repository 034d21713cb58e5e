/*
 * The shell probe of a terminal session over a Docker exec (term-exec.c):
 * a shell session with no command first runs `bash -c :`, then `sh -c :`
 * as plain execs without a TTY, and takes the first that exits 0 as the
 * session's command, so the error for a container with neither names
 * both. A probe's output is dropped; only its exit code counts.
 */
#include <errno.h>
#include <string.h>

#include "term-exec-int.h"

/* The shells tried, in order. */
static const char *const shells[] = { "bash", "sh" };
#define NSHELLS	(sizeof(shells) / sizeof(shells[0]))

static void	probe_created(struct dk_req *, int, json_t *, void *);

/* Starts the probe of shells[x->probe]. */
void
term__exec_probe_next(struct term_exec *x)
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
		term__exec_set_error(x, "cannot create the exec");
		term__exec_ready(x, -EIO, PROTO_E_DOCKER);
	}
}

/* A probe's exit code: 0 picks the shell, else the next one. */
static void
probe_inspected(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct term_exec	*x = arg;
	json_t			*code;	/* borrowed */
	int			 ok;

	code = json_object_get(result, "ExitCode");
	ok = status == 0 && json_is_integer(code) &&
	    json_integer_value(code) == 0;
	json_decref(result);
	if (term__exec_settled(x))
		return;
	if (ok) {
		if (node_strv_push(&x->cmd, shells[x->probe]) != 0) {
			term__exec_set_error(x, "out of memory");
			term__exec_ready(x, -ENOMEM, PROTO_E_INTERNAL);
			return;
		}
		term__exec_create(x);
		return;
	}
	if (++x->probe < NSHELLS) {
		term__exec_probe_next(x);
		return;
	}
	term__exec_set_error(x, "container %s has no shell: tried bash and "
	    "sh; run a command with `pier exec -it` instead", x->name);
	term__exec_ready(x, -ENOENT, PROTO_E_NOSHELL);
}

/* A probe's connection ended: read its exit code. */
static void
probe_end(struct dk_hijack *h, int status, const char *message, void *arg)
{
	struct term_exec	*x = arg;

	x->h = NULL;
	if (x->closing) {
		term__exec_maybe_free(x);
		return;
	}
	if (dk_exec_inspect(x->dk, x->exec_id, probe_inspected, x,
	    &x->req) != 0) {
		x->req = NULL;
		term__exec_set_error(x, "cannot inspect the shell probe");
		term__exec_ready(x, -EIO, PROTO_E_DOCKER);
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
	(void)term__exec_created_start(arg, req, status, result, 0, &cbs,
	    "cannot start the shell probe");
}
