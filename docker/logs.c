/*
 * Container logs (GET /containers/{id}/logs) as a stream. The body is
 * multiplexed (8-byte frame headers) when the container has no TTY and
 * raw when it has one, and engines before API 1.42 label both the same,
 * so unless the caller knows, the container is inspected first. Each run
 * of bytes reaches the consumer with its stream kind; with follow the
 * stream lasts until the container stops or the consumer cancels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk-stream.h"

/* Builds the logs path from the options and starts the stream. */
static int
start_logs(struct dk_stream *s, int tty)
{
	const struct dk_logs_opts *o = s->logs;
	struct dk_path p;
	char frac[48];
	int both, rc;

	s->mode = tty ? DK_SM_RAW : DK_SM_DEMUX;
	both = !o->stdout_on && !o->stderr_on;
	dk_path_init(&p, "/containers", s->id, "/logs");
	dk_path_add_bool(&p, "stdout", both || o->stdout_on);
	dk_path_add_bool(&p, "stderr", both || o->stderr_on);
	dk_path_add_bool(&p, "follow", o->follow);
	dk_path_add_bool(&p, "timestamps", o->timestamps);
	if (o->tail >= 0)
		dk_path_add_int(&p, "tail", o->tail);
	else
		dk_path_add(&p, "tail", "all");
	if (o->since > 0 && o->since_nsec > 0) {
		/* The engine reads "seconds.nanoseconds" (inclusive). */
		snprintf(frac, sizeof(frac), "%lld.%09lld", o->since,
		    o->since_nsec);
		dk_path_add(&p, "since", frac);
	} else if (o->since > 0)
		dk_path_add_int(&p, "since", o->since);
	if (o->until > 0)
		dk_path_add_int(&p, "until", o->until);
	rc = p.error;
	if (rc == 0)
		rc = dk__stream_start(s, "GET", p.buf);
	dk_path_free(&p);
	return (rc);
}

/* The inspect answered: learn the TTY setting, then stream. */
static void
inspect_cb(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct dk_stream *s = arg;
	json_t *tty;	/* borrowed */
	char msg[256];
	int rc;

	s->req = NULL;
	if (s->cancelled) {
		json_decref(result);
		dk__stream_end(s, DK_E_CANCELLED, "cancelled");
		return;
	}
	if (status != 0) {
		json_decref(result);
		dk__stream_end(s, status, dk_req_message(req));
		return;
	}
	tty = json_object_get(json_object_get(result, "Config"), "Tty");
	if (!json_is_boolean(tty)) {
		json_decref(result);
		dk__stream_end(s, DK_E_BAD_RESPONSE, "container inspect "
		    "gave no Config.Tty");
		return;
	}
	rc = start_logs(s, json_is_true(tty));
	json_decref(result);
	if (rc != 0) {
		snprintf(msg, sizeof msg, "cannot start the logs of %s: %s",
		    s->id, dk_strerror(rc));
		dk__stream_end(s, rc, msg);
	}
}

/* The container's state after a follow stream ended cleanly. */
static void
confirm_cb(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct dk_stream *s = arg;
	char msg[512];

	json_decref(result);
	s->req = NULL;
	if (s->cancelled) {
		dk__stream_end(s, DK_E_CANCELLED, "cancelled");
		return;
	}
	/* Gone with its container, or answering: the end was the log's. */
	if (status == 0 || status == DK_E_NOT_FOUND) {
		dk__stream_end(s, 0, "");
		return;
	}
	snprintf(msg, sizeof msg, "the logs of %s ended because Docker "
	    "went away: %s", s->id, dk_req_message(req));
	dk__stream_end(s, status, msg);
}

/*
 * A follow stream ended cleanly, which the engine also does when it shuts
 * down: it closes its listener, then stops the containers, and the log
 * ends with them. Asking about the container on a new connection (a kept
 * one would still reach the old server) tells the two apart.
 */
void
dk__logs_confirm(struct dk_stream *s)
{
	struct dk_path p;
	struct dk_req_opts o = { .flags = DK_REQ_FRESH };
	int rc;

	s->streaming = 0;
	dk_path_init(&p, "/containers", s->id, "/json");
	rc = p.error;
	o.path = p.buf;
	if (rc == 0)
		rc = dk_request(s->c, &o, confirm_cb, s, &s->req);
	dk_path_free(&p);
	if (rc != 0)
		dk__stream_end(s, 0, "");
}

/* Streams a container's logs; see docker-streams.h. */
int
dk_logs(struct dk_client *c, const char *id, const struct dk_logs_opts *o,
    const struct dk_stream_cbs *cbs, struct dk_stream **sp)
{
	struct dk_stream *s;
	int rc;

	if (sp != NULL)
		*sp = NULL;
	if (cbs == NULL || cbs->on_chunk == NULL || cbs->on_end == NULL ||
	    o == NULL || id == NULL || *id == '\0' || o->since < 0 ||
	    o->since_nsec < 0 || o->since_nsec > 999999999 ||
	    o->until < 0 || (o->until > 0 && o->until < o->since))
		return (-EINVAL);
	s = dk__stream_new(c, cbs, DK_SM_DEMUX, "logs");
	if (s == NULL)
		return (-ENOMEM);
	s->id = strdup(id);
	s->logs = malloc(sizeof *s->logs);
	if (s->id == NULL || s->logs == NULL) {
		dk__stream_free(s);
		return (-ENOMEM);
	}
	*s->logs = *o;
	if (o->tty == DK_TTY_AUTO)
		rc = dk_container_inspect(c, id, 0, inspect_cb, s, &s->req);
	else
		rc = start_logs(s, o->tty == DK_TTY_YES);
	if (rc != 0) {
		dk__stream_free(s);
		return (rc);
	}
	if (sp != NULL)
		*sp = s;
	return (0);
}
