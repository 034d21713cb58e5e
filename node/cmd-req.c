/*
 * The life of a request, from the dispatcher's hands to its one end.
 *
 * cmd-conn.c reads a call off channel 0, checks it against the catalogue
 * and makes its struct cmd_req here (cmd__req_new): the caller's
 * identity is copied in, since the request may outlive its connection,
 * and the audit target defaults to the params' id, name or image.
 * cmd__req_run then refuses what the handler must not see (no handler,
 * Docker unreachable for a method that needs it) and calls the
 * handler's exec.
 *
 * A handler ends the request exactly once with cmd_reply or cmd_fail
 * (cmd_fail_docker maps an engine error), now or after returning
 * CMD_WAIT. While it waits on the engine, the Docker request (or stream)
 * it waits on is held in the cmd_req by cmd_docker_wait and let go in
 * its callback by cmd_docker_failed or cmd_docker_done; the request
 * waits on at most one thing at a time. If the client goes away first,
 * cmd__req_cancel marks the request cancelled and cancels what it waits
 * on: the engine then answers DK_E_CANCELLED, the callback ends the
 * request as usual, and the reply goes nowhere.
 *
 * Ending (req_end) sends the reply if the connection is still there,
 * writes the audit line of a mutating or refused call (a stream whose
 * outcome comes after its reply defers it: cmd_audit_later), resets a
 * stream channel the handler never took, and drops the dispatcher's
 * reference. References (cmd_req_ref) keep the record alive for
 * callbacks that come after the end; the last one frees it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "node.h"

static enum cmd_retval cmd_vfail(struct cmd_req *, int, json_t *,
		    const char *, va_list)
		    __attribute__((format(printf, 4, 0)));

/* The text a call acts on, for the audit: params id, name or image. */
static void
default_target(const json_t *params, char *buf, size_t len)
{
	static const char *const keys[] = { "id", "name", "image" };
	const char	*s;
	size_t		 i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		s = json_string_value(json_object_get(params, keys[i]));
		if (s != NULL) {
			snprintf(buf, len, "%s", s);
			return;
		}
	}
}

/* Writes one audit line for a call by caller c. */
static void
audit(struct node *n, const struct cmd_caller *c, const char *method,
    const char *target, const char *outcome, int code, const char *msg)
{
	struct node_audit_entry	 e;
	char			*error = NULL;

	memset(&e, 0, sizeof(e));
	e.client = c->client;
	e.client_name = c->client_name;
	e.key = c->key;
	e.role = proto_role_name(c->role);
	e.method = method;
	e.target = target != NULL && target[0] != '\0' ? target : NULL;
	e.outcome = outcome;
	if (code != 0)
		error = proto_xasprintf("%s: %s", proto_err_name(code),
		    msg != NULL ? msg : proto_strerror(code));
	e.error = error;
	if (node_audit_write(&n->audit, &e) != 0 && n->audit.failures == 1)
		node_log(&n->log, NODE_LOG_ERROR, "cannot write the audit log "
		    "%s", n->audit.path);
	free(error);
}

/* The outcome word of an ended call. */
static const char *
outcome_of(const struct cmd_req *r, int code)
{
	if (code == 0)
		return ("ok");
	if (r->cancelled)
		return ("cancelled");
	if (code == PROTO_E_FORBIDDEN || code == PROTO_E_KEYMGMT ||
	    code == PROTO_E_PARAMS)
		return ("refused");
	return ("failed");
}

/* Ends a request: sends msg (stolen) if anyone listens, audits, frees. */
static void
req_end(struct cmd_req *r, json_t *msg, int code, const char *text)
{
	struct ovl_chan	*ch;

	r->ended = 1;
	if (((r->method->flags & PROTO_MUTATING) && !(r->audit_later &&
	    code == 0)) || code == PROTO_E_FORBIDDEN)
		audit(r->node, &r->caller, r->method->name, r->target,
		    outcome_of(r, code), code, text);
	if (code != 0 && r->audit_later) {
		/* Audited above after all: nothing waits any more. */
		r->audit_later = 0;
		cmd_req_unref(r);
	}
	ch = r->chan;
	r->chan = NULL;
	/* The channel if never taken: nobody serves it. */
	cmd__conn_end(r->conn, r, r->id != NULL ? msg : NULL, ch);
	if (r->id == NULL)
		json_decref(msg);
	r->node->nserved++;
	cmd_req_unref(r);
}

/* Makes the request record of a checked call on connection cc. */
struct cmd_req *
cmd__req_new(struct node *n, struct cmd_conn *cc,
    const struct cmd_caller *caller, const struct proto_msg *m,
    const struct proto_method *pm)
{
	struct cmd_req	*r;

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return (NULL);
	r->params = m->params != NULL ? json_incref(m->params) :
	    json_object();
	if (r->params == NULL) {
		free(r);
		return (NULL);
	}
	r->node = n;
	r->conn = cc;
	r->method = pm;
	r->entry = cmd_find(pm->name);
	r->id = m->id != NULL ? json_incref(m->id) : NULL;
	r->caller = *caller;
	default_target(r->params, r->target, sizeof(r->target));
	r->refs = 1;
	n->nreqs++;
	return (r);
}

/* Runs a request the dispatcher made: the last refusals, then exec. */
void
cmd__req_run(struct cmd_req *r)
{
	const struct proto_method	*pm = r->method;
	enum cmd_retval			 rv;

	if (!r->ended && r->entry == NULL)
		(void)cmd_fail(r, PROTO_E_INTERNAL, "%s has no handler on this "
		    "node", pm->name);
	if (!r->ended && (pm->flags & PROTO_NEEDS_DOCKER))
		(void)cmd_docker(r);	/* answers when it fails */
	if (!r->ended) {
		rv = r->entry->exec(r);
		if (!r->ended && rv != CMD_WAIT)
			(void)cmd_fail(r, PROTO_E_INTERNAL, "%s ended without "
			    "a reply", pm->name);
	}
}

/* The client went away: cancel what the request waits on. */
void
cmd__req_cancel(struct cmd_req *r)
{
	r->conn = NULL;
	r->cancelled = 1;
	if (r->ended)
		return;
	if (r->wait_req != NULL)
		dk_req_cancel(r->wait_req);
	if (r->wait_stream != NULL)
		dk_stream_cancel(r->wait_stream);
}

/* Audits a call refused before it reached a handler. */
void
cmd__audit_refusal(struct node *n, const struct cmd_caller *caller,
    const struct proto_msg *m, const struct proto_method *pm, int code,
    const json_t *reply)
{
	const char	*msg = NULL;
	char		 target[256];

	if (code != PROTO_E_FORBIDDEN &&
	    (pm == NULL || !(pm->flags & PROTO_MUTATING)))
		return;
	if (reply != NULL)
		msg = json_string_value(json_object_get(json_object_get(reply,
		    "error"), "message"));
	default_target(m->params, target, sizeof(target));
	audit(n, caller, m->method, target, "refused", code, msg);
}

/* Defers the audit of a request to cmd_audit_end; r with a reference. */
struct cmd_req *
cmd_audit_later(struct cmd_req *r)
{
	if (r->ended || r->audit_later)
		return (NULL);
	r->audit_later = 1;
	cmd_req_ref(r);
	return (r);
}

/* Writes the deferred audit line with the call's real outcome. */
void
cmd_audit_end(struct cmd_req *r, int code, const char *msg)
{
	if (r == NULL || !r->audit_later)
		return;
	r->audit_later = 0;
	if (r->method->flags & PROTO_MUTATING)
		audit(r->node, &r->caller, r->method->name, r->target,
		    code == PROTO_E_CANCELLED ? "cancelled" :
		    outcome_of(r, code), code, msg);
	cmd_req_unref(r);
}

/* Sends a result, audits, and ends the request. */
enum cmd_retval
cmd_reply(struct cmd_req *r, json_t *result)
{
	if (r->ended) {
		json_decref(result);
		return (CMD_DONE);
	}
	req_end(r, proto_result_new(r->id, result), 0, NULL);
	return (CMD_DONE);
}

/* Sends an error with data (stolen) and a formatted message; ends it. */
static enum cmd_retval
cmd_vfail(struct cmd_req *r, enum proto_err code, json_t *data,
    const char *fmt, va_list ap)
{
	char	*msg = NULL;

	if (r->ended) {
		json_decref(data);
		return (CMD_ERROR);
	}
	if (fmt != NULL && vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	req_end(r, proto_error_new(r->id, code, msg, data), code, msg);
	free(msg);
	return (CMD_ERROR);
}

/* Sends an error (code, printf message), audits, and ends the request. */
enum cmd_retval
cmd_fail(struct cmd_req *r, enum proto_err code, const char *fmt, ...)
{
	enum cmd_retval	rv;
	va_list		ap;

	va_start(ap, fmt);
	rv = cmd_vfail(r, code, NULL, fmt, ap);
	va_end(ap);
	return (rv);
}

/* cmd_fail with data for the error object (stolen). */
enum cmd_retval
cmd_fail_data(struct cmd_req *r, enum proto_err code, json_t *data,
    const char *fmt, ...)
{
	enum cmd_retval	rv;
	va_list		ap;

	va_start(ap, fmt);
	rv = cmd_vfail(r, code, data, fmt, ap);
	va_end(ap);
	return (rv);
}

/* The protocol code of a failed Docker request. */
enum proto_err
cmd_err_from_dk(enum dk_err status)
{
	switch (status) {
	case DK_E_NOT_FOUND:
		return (PROTO_E_NOTFOUND);
	case DK_E_CONFLICT:
		return (PROTO_E_CONFLICT);
	case DK_E_NOT_MODIFIED:
		return (PROTO_E_STATE);
	case DK_E_UNAVAILABLE:
	case DK_E_PERMISSION:
		return (PROTO_E_DOCKER_DOWN);
	case DK_E_TIMEOUT:
		return (PROTO_E_TIMEOUT);
	case DK_E_CANCELLED:
		return (PROTO_E_CANCELLED);
	default:
		return (PROTO_E_DOCKER);
	}
}

/* The protocol code a Docker stream ends with. */
enum proto_err
cmd_stream_err_from_dk(enum dk_err status)
{
	switch (status) {
	case DK_E_UNAVAILABLE:
		return (PROTO_E_DOCKER_DOWN);
	case DK_E_NOT_FOUND:
		return (PROTO_E_NOTFOUND);
	default:
		return (PROTO_E_DOCKER);
	}
}

/* Ends a request after a failed Docker request, with a mapped code. */
enum cmd_retval
cmd_fail_docker(struct cmd_req *r, const struct dk_req *req,
    enum dk_err status)
{
	const char	*msg = req != NULL ? dk_req_message(req) : "";
	enum proto_err	 code = cmd_err_from_dk(status);

	if (msg == NULL || msg[0] == '\0')
		msg = dk_strerror(status);
	if (code == PROTO_E_DOCKER_DOWN)
		return (cmd_fail(r, code, "docker unavailable: %s", msg));
	if (code == PROTO_E_TIMEOUT)
		return (cmd_fail(r, code, "Docker did not answer in time: %s",
		    msg));
	return (cmd_fail(r, code, "%s", msg));
}

/* Holds req in r until its callback, so a client leaving cancels it. */
enum cmd_retval
cmd_docker_wait(struct cmd_req *r, struct dk_req *req, enum dk_err err)
{
	if (err != 0)
		return (cmd_fail_docker(r, NULL, err));
	r->wait_req = req;
	return (CMD_WAIT);
}

/* Holds s in r until its on_end, so a client leaving cancels it. */
void
cmd_docker_wait_stream(struct cmd_req *r, struct dk_stream *s)
{
	r->wait_stream = s;
}

/* In the callback: r waits on nothing any more. */
void
cmd_docker_done(struct cmd_req *r)
{
	r->wait_req = NULL;
	r->wait_stream = NULL;
}

/* Ends r after a failed engine request; returns whether it failed. */
int
cmd_docker_failed(struct cmd_req *r, const struct dk_req *req,
    enum dk_err status, json_t *res)
{
	cmd_docker_done(r);
	if (status == 0)
		return (0);
	json_decref(res);
	(void)cmd_fail_docker(r, req, status);
	return (1);
}

/* Sets the audit target of a request. */
void
cmd_set_target(struct cmd_req *r, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(r->target, sizeof(r->target), fmt, ap);
	va_end(ap);
}

/* Hands the request's stream channel to its handler. */
struct ovl_chan *
cmd_take_chan(struct cmd_req *r)
{
	struct ovl_chan	*ch = r->chan;

	r->chan = NULL;
	if (ch != NULL)
		ovl_chan_set_data(ch, NULL);
	return (ch);
}

/* The docker client, or NULL after answering docker_unavailable. */
struct dk_client *
cmd_docker(struct cmd_req *r)
{
	struct node	*n = r->node;

	if (n->dk != NULL) {
		if (n->model == NULL)
			node_model_start(n);
		return (n->dk);
	}
	(void)cmd_fail(r, PROTO_E_DOCKER_DOWN, "docker unavailable: %s",
	    n->dk_cause != NULL ? n->dk_cause : "no Docker endpoint");
	return (NULL);
}

/* Takes a reference on a request. */
void
cmd_req_ref(struct cmd_req *r)
{
	r->refs++;
}

/* Drops a reference; the last frees the request. */
void
cmd_req_unref(struct cmd_req *r)
{
	if (--r->refs > 0)
		return;
	json_decref(r->id);
	json_decref(r->params);
	if (--r->node->nreqs == 0)
		node_idle_soon(r->node);
	sodium_memzero(&r->caller, sizeof(r->caller));
	free(r);
}
