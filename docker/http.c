/*
 * The HTTP layer of the Docker client: requests moved through libcurl's
 * multi interface, which a struct dk_curl_uv (curl-uv.c) drives from the
 * libuv loop. One struct dk_client holds that glue and a "kick" timer;
 * each request is a struct dk_req found from its easy handle through
 * CURLOPT_PRIVATE when curl reports its transfer finished. libcurl is
 * loaded (libcurl/dk-curl.h) and the glue made by the client's first request,
 * not before: a node nobody asks about Docker never maps libcurl.
 *
 * User callbacks never run inside a call the user made: requests start,
 * resume and end by cancellation on the kick timer, and complete after
 * curl_multi_socket_action has returned. The first request of a client
 * waits for a /_ping that settles the API version.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk-http.h"

static void	kick_cb(uv_timer_t *);
static void	finish(struct dk_req *, int, json_t *, const char *);
static void	finishf(struct dk_req *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Schedules the kick timer for the next loop turn. */
void
dk__kick(struct dk_client *c)
{
	if (!c->shut)
		(void)uv_timer_start(&c->kick, kick_cb, 0, 0);
}

/* Called when a handle of the client has closed; frees at the last. */
static void
closed_one(struct dk_client *c)
{
	dk_close_cb *cb;
	void *arg;

	if (--c->nclosing > 0 || !c->shut)
		return;
	cb = c->close_cb;
	arg = c->close_arg;
	dk_endpoint_clear(&c->ep);
	free(c->version);
	free(c->neg_msg);
	free(c);
	if (cb != NULL)
		cb(arg);
}

/* The client's curl-on-the-loop has closed its handles. */
static void
cu_closed_cb(struct dk_curl_uv *cu, void *arg)
{
	(void)cu;
	closed_one(arg);
}

/* Close callback of the kick timer. */
static void
kick_close_cb(uv_handle_t *h)
{
	closed_one(container_of((uv_timer_t *)h, struct dk_client, kick));
}

/* Tells whether a request is the ping that settles the version. */
static int
is_ping(const struct dk_req *req)
{
	return ((req->flags & DK_REQ_NOVERSION) &&
	    strcmp(req->path, "/_ping") == 0);
}

/* Ends a request: calls its callback once, then frees it. */
static void
finish(struct dk_req *req, int status, json_t *result, const char *msg)
{
	struct dk_client *c = req->c;

	if (req->state == DK_RS_ACTIVE)
		(void)curl_multi_remove_handle(c->cu.multi, req->easy);
	req->state = DK_RS_DONE;
	TAILQ_REMOVE(&c->reqs, req, entry);
	c->nreqs--;
	free(req->message);
	req->message = strdup(msg != NULL ? msg : "");
	req->cb(req, status, result, req->arg);
	dk__req_free(req);
	if (c->closing)
		dk__kick(c);
}

/* Ends a request with an error formatted from fmt. */
static void
finishf(struct dk_req *req, int status, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	finish(req, status, NULL, msg != NULL ? msg : dk_strerror(status));
	free(msg);
}

/* Ends a request whose transfer failed in curl. */
static void
finish_curl_error(struct dk_req *req, CURLcode code)
{
	long oserr = 0;
	char *msg = NULL;
	int status;

	(void)curl_easy_getinfo(req->easy, CURLINFO_OS_ERRNO, &oserr);
	status = dk__curl_error(code, oserr, req->c->ep.host, req->method,
	    req->path, req->errbuf[0] ? req->errbuf : curl_easy_strerror(code),
	    &msg);
	finish(req, status, NULL, msg);
	free(msg);
}

/* Settles the API version from a ping's Api-Version header. */
static int
negotiate(struct dk_req *req, char **msg)
{
	struct dk_client *c = req->c;

	if (c->version != NULL)
		return (0);
	return (dk__negotiate(c->ep.host, dk_req_header(req, "Api-Version"),
	    &c->version, msg));
}

/* Tells whether the response's Content-Type is JSON. */
static int
is_json_type(const struct dk_req *req)
{
	const char *ct = dk_req_header(req, "Content-Type");

	return (ct != NULL && strncasecmp(ct, "application/json", 16) == 0);
}

/* Ends a request whose transfer completed: status, body, errors. */
static void
complete(struct dk_req *req, CURLcode code)
{
	json_t *result = NULL;	/* owned, passed on */
	json_error_t jerr;
	char *msg = NULL;
	int status;

	if (req->http_status == 0)
		(void)curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE,
		    &req->http_status);
	if (req->cancelled) {
		finish(req, DK_E_CANCELLED, NULL, "cancelled");
		return;
	}
	if (req->local_err != 0) {
		finish(req, req->local_err, NULL, req->local_msg != NULL ?
		    req->local_msg : dk_strerror(req->local_err));
		return;
	}
	if (code != CURLE_OK) {
		finish_curl_error(req, code);
		return;
	}
	status = dk_err_from_http(req->http_status);
	if (status != 0) {
		msg = dk__engine_message(req->body, req->len,
		    req->http_status, req->method, req->path);
		finish(req, status, NULL, msg);
		free(msg);
		return;
	}
	if (is_ping(req)) {
		status = negotiate(req, &msg);
		if (status != 0) {
			finish(req, status, NULL, msg);
			free(msg);
			return;
		}
	}
	if ((req->flags & DK_REQ_STREAM) || req->len == 0) {
		finish(req, 0, NULL, NULL);
		return;
	}
	if (req->flags & DK_REQ_RAW) {
		result = json_stringn_nocheck(req->body, req->len);
		finish(req, result ? 0 : DK_E_INTERNAL, result, NULL);
		return;
	}
	if (!is_json_type(req)) {
		finishf(req, DK_E_BAD_RESPONSE, "unexpected content type "
		    "\"%s\" in the answer to %s %s", dk_req_header(req,
		    "Content-Type") ? dk_req_header(req, "Content-Type") :
		    "(none)", req->method, req->path);
		return;
	}
	result = json_loadb(req->body, req->len, JSON_DECODE_ANY, &jerr);
	if (result == NULL) {
		finishf(req, DK_E_BAD_RESPONSE, "bad JSON in the answer to %s "
		    "%s: %s", req->method, req->path, jerr.text);
		return;
	}
	finish(req, 0, result, NULL);
}

/* A transfer finished: end the request it belongs to. */
static void
transfer_done(struct dk_curl_uv *cu, CURL *easy, CURLcode code, void *arg)
{
	char *priv;

	(void)cu;
	(void)arg;
	if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv) != CURLE_OK ||
	    priv == NULL)
		return;
	complete((struct dk_req *)(void *)priv, code);
}

/* Sets the options that need the API version, and hands req to curl. */
static int
req_start(struct dk_req *req)
{
	struct dk_client *c = req->c;
	char *url;
	CURLcode rc;

	if (req->flags & DK_REQ_NOVERSION)
		url = dk__asprintf("%s%s", c->ep.base_url, req->path);
	else
		url = dk__asprintf("%s/v%s%s", c->ep.base_url, c->version,
		    req->path);
	if (url == NULL)
		return (DK_E_INTERNAL);
	rc = curl_easy_setopt(req->easy, CURLOPT_URL, url);
	free(url);
	if (rc != CURLE_OK)
		return (DK_E_INTERNAL);
	if (curl_multi_add_handle(c->cu.multi, req->easy) != CURLM_OK)
		return (DK_E_INTERNAL);
	req->state = DK_RS_ACTIVE;
	if (req->paused)
		(void)curl_easy_pause(req->easy, CURLPAUSE_RECV);
	return (0);
}

/* Starts a request, or ends it with the reason it cannot start. */
static void
req_start_or_fail(struct dk_req *req)
{
	if (req_start(req) != 0)
		finishf(req, DK_E_INTERNAL, "cannot start %s %s",
		    req->method, req->path);
}

/* Called when the version ping ends (success or not). */
static void
negotiated_cb(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct dk_client *c = arg;

	json_decref(result);
	c->negotiating = 0;
	if (status != 0 && c->version == NULL) {
		c->neg_err = status;
		free(c->neg_msg);
		c->neg_msg = strdup(dk_req_message(req));
	}
	dk__kick(c);
}

/* Sends the internal /_ping that settles the version. */
static void
start_negotiation(struct dk_client *c)
{
	struct dk_req_opts o = {
		.path = "/_ping",
		.flags = DK_REQ_RAW | DK_REQ_NOVERSION,
	};
	struct dk_req *req;

	if (dk_request(c, &o, negotiated_cb, c, &req) != 0) {
		c->neg_err = DK_E_INTERNAL;
		return;
	}
	c->negotiating = 1;
}

/* The kick timer: starts, resumes and cancels requests, then shuts. */
static void
kick_cb(uv_timer_t *t)
{
	struct dk_client *c = container_of(t, struct dk_client, kick);
	struct dk_req *req, *next;
	int poke = 0, neg_err;
	char *neg_msg;

	neg_err = c->neg_err;
	neg_msg = c->neg_msg;
	c->neg_err = 0;
	c->neg_msg = NULL;
	for (req = TAILQ_FIRST(&c->reqs); req != NULL; req = next) {
		next = TAILQ_NEXT(req, entry);
		if (req->cancelled) {
			finish(req, DK_E_CANCELLED, NULL, "cancelled");
			continue;
		}
		/* No libcurl (or no multi): the reason is the outcome. */
		if (req->state == DK_RS_WAITING && req->local_err != 0) {
			finish(req, req->local_err, NULL, req->local_msg !=
			    NULL ? req->local_msg : dk_strerror(req->local_err));
			continue;
		}
		if (req->state == DK_RS_ACTIVE && req->up_sent) {
			req->up_sent = 0;
			req->on_sent(req, req->arg);
			if (req->cancelled)
				continue;	/* ends on the next kick */
		}
		if (req->state == DK_RS_ACTIVE && req->resume_pending) {
			req->resume_pending = 0;
			(void)curl_easy_pause(req->easy, CURLPAUSE_CONT);
			poke = 1;
		}
		if (req->state != DK_RS_WAITING)
			continue;
		if ((req->flags & DK_REQ_NOVERSION) || c->version != NULL) {
			req_start_or_fail(req);
			poke = 1;
		}
		else if (neg_err != 0)
			finish(req, neg_err, NULL, neg_msg);
		else if (!c->negotiating) {
			start_negotiation(c);
			dk__kick(c);
		}
	}
	free(neg_msg);
	/* Drive curl now rather than a millisecond later on its timer. */
	if (poke && !c->shut)
		dk__curl_uv_drive(&c->cu);
	if (c->closing && !c->shut && TAILQ_EMPTY(&c->reqs)) {
		c->shut = 1;
		c->nclosing++;
		uv_close((uv_handle_t *)&c->kick, kick_close_cb);
		if (c->cu_on) {
			c->nclosing++;
			dk__curl_uv_close(&c->cu, cu_closed_cb, c);
		}
	}
}

/* Makes a client; see docker.h. */
int
dk_client_new(uv_loop_t *loop, const struct dk_endpoint *ep,
    const struct dk_client_opts *opts, struct dk_client **cp, char **cause)
{
	struct dk_client *c;
	int rc;

	*cp = NULL;
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return (-ENOMEM);
	c->loop = loop;
	TAILQ_INIT(&c->reqs);
	if (opts != NULL)
		c->opts = *opts;
	if (c->opts.max_body == 0)
		c->opts.max_body = DK_MAX_BODY;
	if (c->opts.timeout_ms == 0)
		c->opts.timeout_ms = DK_REQ_TIMEOUT_MS;
	if (c->opts.connect_timeout_ms == 0)
		c->opts.connect_timeout_ms = DK_CONNECT_TIMEOUT_MS;
	rc = dk_endpoint_copy(&c->ep, ep);
	if (rc != 0)
		goto fail;
	if (ep->api_version != NULL) {
		if (dk__version_num(ep->api_version) <
		    dk__version_num(DK_API_VERSION_MIN)) {
			*cause = dk__asprintf("API version %s is older than "
			    "the oldest this client speaks (%s)",
			    ep->api_version, DK_API_VERSION_MIN);
			rc = -EINVAL;
			goto fail;
		}
		c->version = strdup(ep->api_version);
		if (c->version == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	/* Last: nothing fails after it. libcurl waits for a request. */
	rc = uv_timer_init(loop, &c->kick);
	if (rc != 0)
		goto fail;
	*cp = c;
	return (0);
fail:
	dk_endpoint_clear(&c->ep);
	free(c->version);
	free(c);
	return (rc);
}

/* Loads libcurl and makes the client's multi; see dk-http.h. */
int
dk__client_curl(struct dk_client *c, char **cause)
{
	int rc;

	*cause = NULL;
	if (c->cu_on)
		return (0);
	if (dk_curl_load(cause) != 0)
		return (DK_E_UNAVAILABLE);
	rc = dk__curl_uv_init(&c->cu, c->loop, transfer_done, c);
	if (rc != 0) {
		*cause = dk__asprintf("cannot set up libcurl for Docker at "
		    "%s: %s", c->ep.host, strerror(-rc));
		return (DK_E_INTERNAL);
	}
	c->cu_on = 1;
	return (0);
}

/* Starts closing a client; see docker.h. */
void
dk_client_close(struct dk_client *c, dk_close_cb *cb, void *arg)
{
	struct dk_req *req;

	if (c->closing)
		return;
	c->closing = 1;
	c->close_cb = cb;
	c->close_arg = arg;
	TAILQ_FOREACH(req, &c->reqs, entry)
		req->cancelled = 1;
	dk__kick(c);
}

/* Returns the client's loop. */
uv_loop_t *
dk_client_loop(const struct dk_client *c)
{
	return (c->loop);
}

/* Returns the client's endpoint. */
const struct dk_endpoint *
dk_client_endpoint(const struct dk_client *c)
{
	return (&c->ep);
}

/* Returns the negotiated API version or NULL. */
const char *
dk_client_api_version(const struct dk_client *c)
{
	return (c->version);
}

/* Returns how many requests have not ended. */
size_t
dk_client_pending(const struct dk_client *c)
{
	return (c->nreqs);
}

