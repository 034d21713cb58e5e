/*
 * The HTTP layer of the Docker client: libcurl's multi interface driven by
 * the libuv loop, as curl's multi-uv example intends but with every handle
 * owned and closed. One struct dk_client holds the CURLM, curl's timer and
 * a "kick" timer; each socket curl opens gets a struct dk_sock (a
 * uv_poll_t) attached with curl_multi_assign; each request is a struct
 * dk_req found from its easy handle through CURLOPT_PRIVATE.
 *
 * User callbacks never run inside a call the user made: requests start,
 * resume and end by cancellation on the kick timer, and complete after
 * curl_multi_socket_action has returned. The first request of a client
 * waits for a /_ping that settles the API version.
 */
#include <sys/queue.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "pier-config.h"
#include "docker.h"

#define container_of(p, type, member)					\
	((type *)((char *)(p) - offsetof(type, member)))

#define DK_MAX_HEADERS		(16 * 1024)	/* bytes of headers kept */
#define DK_MAX_ERROR_BODY	(64 * 1024)	/* error body of a stream */
#define DK_CONNECT_TIMEOUT_MS	10000

/* Where a request is in its life. */
enum dk_req_state {
	DK_RS_WAITING,		/* not yet handed to curl */
	DK_RS_ACTIVE,		/* in the multi handle */
	DK_RS_DONE,		/* callback running or ran */
};

/* One socket curl watches, polled by the loop. */
struct dk_sock {
	uv_poll_t		 poll;
	curl_socket_t		 fd;
	struct dk_client	*c;
	LIST_ENTRY(dk_sock)	 entry;
};

/* One request, from dk_request until its callback returns. */
struct dk_req {
	struct dk_client	*c;
	CURL			*easy;
	struct curl_slist	*out_hdrs;
	char			*method;
	char			*path;
	char			*out_body;	/* serialised JSON, or NULL */
	int			 flags;
	long			 timeout_ms;
	dk_req_cb		*cb;
	dk_data_cb		*on_data;
	void			*arg;

	enum dk_req_state	 state;
	int			 cancelled;
	int			 paused;
	int			 resume_pending;
	int			 local_err;	/* set by a curl callback */
	char			*local_msg;

	long			 http_status;
	char			*body;
	size_t			 len;
	size_t			 cap;
	char			*hdrs;		/* "name\0value\0" pairs */
	size_t			 hlen;
	char			*message;
	char			 errbuf[CURL_ERROR_SIZE];

	TAILQ_ENTRY(dk_req)	 entry;
};

/* A client of one engine. */
struct dk_client {
	uv_loop_t		*loop;
	CURLM			*multi;
	uv_timer_t		 timer;		/* curl's timeouts */
	uv_timer_t		 kick;		/* our deferred work */
	struct dk_endpoint	 ep;
	struct dk_client_opts	 opts;

	char			*version;	/* negotiated, or NULL */
	int			 negotiating;
	int			 neg_err;	/* last negotiation's failure */
	char			*neg_msg;

	TAILQ_HEAD(, dk_req)	 reqs;		/* every request not ended */
	size_t			 nreqs;
	LIST_HEAD(, dk_sock)	 socks;

	int			 closing;
	int			 shut;		/* curl gone, handles closing */
	int			 nclosing;	/* close callbacks to come */
	dk_close_cb		*close_cb;
	void			*close_arg;
};

static void	kick_cb(uv_timer_t *);
static void	drain(struct dk_client *);
static void	finish(struct dk_req *, int, json_t *, const char *);

/* Formats into a new string; NULL when out of memory. */
static char *
dk_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return (n < 0 ? NULL : s);
}

/* Parses "1.41" into 141; -1 if it is not a version. */
static int
version_num(const char *v)
{
	char *end;
	long maj, min;

	if (v == NULL || !isdigit((unsigned char)*v))
		return (-1);
	maj = strtol(v, &end, 10);
	if (*end != '.' || !isdigit((unsigned char)end[1]))
		return (-1);
	min = strtol(end + 1, &end, 10);
	if (*end != '\0' || maj > 99 || min > 99)
		return (-1);
	return ((int)(maj * 100 + min));
}

/* Schedules the kick timer for the next loop turn. */
static void
kick(struct dk_client *c)
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
	curl_global_cleanup();
	if (cb != NULL)
		cb(arg);
}

/* Close callback of a socket's poll handle. */
static void
sock_close_cb(uv_handle_t *h)
{
	struct dk_sock *s = container_of((uv_poll_t *)h, struct dk_sock,
	    poll);
	struct dk_client *c = s->c;

	LIST_REMOVE(s, entry);
	free(s);
	closed_one(c);
}

/* Close callback of curl's timer. */
static void
timer_close_cb(uv_handle_t *h)
{
	closed_one(container_of((uv_timer_t *)h, struct dk_client, timer));
}

/* Close callback of the kick timer. */
static void
kick_close_cb(uv_handle_t *h)
{
	closed_one(container_of((uv_timer_t *)h, struct dk_client, kick));
}

/* Stops watching a socket and closes its poll handle. */
static void
sock_close(struct dk_sock *s)
{
	if (uv_is_closing((uv_handle_t *)&s->poll))
		return;
	s->c->nclosing++;
	uv_close((uv_handle_t *)&s->poll, sock_close_cb);
}

/* A socket is ready: tell curl, then collect finished transfers. */
static void
poll_cb(uv_poll_t *h, int status, int events)
{
	struct dk_sock *s = container_of(h, struct dk_sock, poll);
	struct dk_client *c = s->c;
	int flags = 0, running;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	else {
		if (events & UV_READABLE)
			flags |= CURL_CSELECT_IN;
		if (events & UV_WRITABLE)
			flags |= CURL_CSELECT_OUT;
	}
	/* s may be closed by curl inside this call; c stays. */
	(void)curl_multi_socket_action(c->multi, s->fd, flags, &running);
	drain(c);
}

/* curl's timeout expired. */
static void
timer_cb(uv_timer_t *t)
{
	struct dk_client *c = container_of(t, struct dk_client, timer);
	int running;

	(void)curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	drain(c);
}

/* CURLMOPT_SOCKETFUNCTION: watch, change or forget one socket. */
static int
socket_fn(CURL *easy, curl_socket_t fd, int what, void *userp,
    void *socketp)
{
	struct dk_client *c = userp;
	struct dk_sock *s = socketp;
	int events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			(void)curl_multi_assign(c->multi, fd, NULL);
			sock_close(s);
		}
		return (0);
	}
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	if (s == NULL) {
		s = calloc(1, sizeof *s);
		if (s == NULL)
			return (-1);
		if (uv_poll_init_socket(c->loop, &s->poll, fd) != 0) {
			free(s);
			return (-1);
		}
		s->fd = fd;
		s->c = c;
		LIST_INSERT_HEAD(&c->socks, s, entry);
		if (curl_multi_assign(c->multi, fd, s) != CURLM_OK) {
			sock_close(s);
			return (-1);
		}
	}
	if (uv_poll_start(&s->poll, events, poll_cb) != 0)
		return (-1);
	return (0);
}

/* CURLMOPT_TIMERFUNCTION: curl wants to be called after ms. */
static int
timer_fn(CURLM *multi, long ms, void *userp)
{
	struct dk_client *c = userp;

	(void)multi;
	if (c->shut)
		return (0);
	if (ms < 0)
		(void)uv_timer_stop(&c->timer);
	else if (uv_timer_start(&c->timer, timer_cb,
	    ms == 0 ? 1 : (uint64_t)ms, 0) != 0)
		return (-1);
	return (0);
}

/* Tells whether a request is the ping that settles the version. */
static int
is_ping(const struct dk_req *req)
{
	return ((req->flags & DK_REQ_NOVERSION) &&
	    strcmp(req->path, "/_ping") == 0);
}

/* CURLOPT_WRITEFUNCTION: a run of body bytes arrived. */
static size_t
write_fn(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct dk_req *req = arg;
	size_t n = size * nmemb, max, cap;
	char *nb;

	if (req->cancelled)
		return (0);
	if (req->http_status == 0)
		(void)curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE,
		    &req->http_status);
	if ((req->flags & DK_REQ_STREAM) && req->http_status / 100 == 2) {
		if (req->paused)
			return (CURL_WRITEFUNC_PAUSE);
		if (req->on_data != NULL)
			req->on_data(req, ptr, n, req->arg);
		return (req->cancelled ? 0 : n);
	}
	max = (req->flags & DK_REQ_STREAM) ? DK_MAX_ERROR_BODY :
	    req->c->opts.max_body;
	if (n > max - req->len) {
		req->local_err = DK_E_BAD_RESPONSE;
		free(req->local_msg);
		req->local_msg = dk_asprintf("response to %s %s is larger "
		    "than %zu bytes", req->method, req->path, max);
		return (0);
	}
	if (req->len + n + 1 > req->cap) {
		cap = req->cap ? req->cap : 4096;
		while (cap < req->len + n + 1)
			cap *= 2;
		nb = realloc(req->body, cap);
		if (nb == NULL) {
			req->local_err = DK_E_INTERNAL;
			return (0);
		}
		req->body = nb;
		req->cap = cap;
	}
	memcpy(req->body + req->len, ptr, n);
	req->len += n;
	req->body[req->len] = '\0';
	return (n);
}

/* CURLOPT_HEADERFUNCTION: keeps "name\0value\0" pairs, bounded. */
static size_t
header_fn(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct dk_req *req = arg;
	size_t n = size * nmemb, nl, vl;
	const char *colon, *v, *end;
	char *nb;

	if (n >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		req->hlen = 0;		/* a new response (after 1xx) */
		return (n);
	}
	colon = memchr(buf, ':', n);
	if (colon == NULL)
		return (n);
	nl = (size_t)(colon - buf);
	v = colon + 1;
	end = buf + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
	    end[-1] == ' '))
		end--;
	vl = (size_t)(end - v);
	if (req->hlen + nl + vl + 2 > DK_MAX_HEADERS)
		return (n);		/* bounded: drop the rest */
	if (req->hdrs == NULL) {
		nb = malloc(DK_MAX_HEADERS);
		if (nb == NULL)
			return (n);
		req->hdrs = nb;
	}
	memcpy(req->hdrs + req->hlen, buf, nl);
	req->hdrs[req->hlen + nl] = '\0';
	memcpy(req->hdrs + req->hlen + nl + 1, v, vl);
	req->hdrs[req->hlen + nl + 1 + vl] = '\0';
	req->hlen += nl + vl + 2;
	return (n);
}

/* Frees a request and its easy handle (already out of the multi). */
static void
req_free(struct dk_req *req)
{
	if (req->easy != NULL)
		curl_easy_cleanup(req->easy);
	curl_slist_free_all(req->out_hdrs);
	free(req->method);
	free(req->path);
	free(req->out_body);
	free(req->local_msg);
	free(req->body);
	free(req->hdrs);
	free(req->message);
	free(req);
}

/* Ends a request: calls its callback once, then frees it. */
static void
finish(struct dk_req *req, int status, json_t *result, const char *msg)
{
	struct dk_client *c = req->c;

	if (req->state == DK_RS_ACTIVE)
		(void)curl_multi_remove_handle(c->multi, req->easy);
	req->state = DK_RS_DONE;
	TAILQ_REMOVE(&c->reqs, req, entry);
	c->nreqs--;
	free(req->message);
	req->message = strdup(msg != NULL ? msg : "");
	req->cb(req, status, result, req->arg);
	req_free(req);
	if (c->closing)
		kick(c);
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

/* Reason for a failed connect, from the socket's errno. */
static const char *
connect_reason(long err, int *status)
{
	*status = DK_E_UNAVAILABLE;
	switch (err) {
	case ENOENT:
		return ("no such file (is dockerd running?)");
	case EACCES:
	case EPERM:
		*status = DK_E_PERMISSION;
		return ("permission denied (is this user in the docker "
		    "group?)");
	case ECONNREFUSED:
		return ("connection refused (is dockerd running?)");
	case ENOTSOCK:
		return ("not a socket");
	case ETIMEDOUT:
		*status = DK_E_TIMEOUT;
		return ("connection timed out");
	default:
		return (NULL);
	}
}

/* Ends a request whose transfer failed in curl. */
static void
finish_curl_error(struct dk_req *req, CURLcode code)
{
	const char *host = req->c->ep.host, *why, *detail;
	long oserr = 0;
	int status;

	detail = req->errbuf[0] ? req->errbuf : curl_easy_strerror(code);
	switch (code) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		(void)curl_easy_getinfo(req->easy, CURLINFO_OS_ERRNO, &oserr);
		why = connect_reason(oserr, &status);
		finishf(req, status, "cannot reach Docker at %s: %s", host,
		    why != NULL ? why : detail);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		finishf(req, DK_E_TIMEOUT, "Docker at %s did not answer %s %s "
		    "in time: %s", host, req->method, req->path, detail);
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		finishf(req, DK_E_UNAVAILABLE, "cannot reach Docker at %s: "
		    "TLS: %s", host, detail);
		break;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		finishf(req, DK_E_UNAVAILABLE, "connection to Docker at %s "
		    "lost during %s %s: %s", host, req->method, req->path,
		    detail);
		break;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_HTTP2:
		finishf(req, DK_E_BAD_RESPONSE, "bad response from Docker at "
		    "%s to %s %s: %s", host, req->method, req->path, detail);
		break;
	case CURLE_OUT_OF_MEMORY:
		finishf(req, DK_E_INTERNAL, "out of memory");
		break;
	default:
		finishf(req, DK_E_INTERNAL, "%s %s to Docker at %s: %s",
		    req->method, req->path, host, detail);
		break;
	}
}

/* The engine's error text: its JSON "message", else the body's text. */
static char *
engine_message(struct dk_req *req)
{
	json_t *j, *m;		/* owned, borrowed */
	char *s = NULL;
	size_t n;

	if (req->len > 0) {
		j = json_loadb(req->body, req->len, JSON_DECODE_ANY, NULL);
		m = json_is_object(j) ? json_object_get(j, "message") : NULL;
		if (json_is_string(m))
			s = strdup(json_string_value(m));
		json_decref(j);
		if (s != NULL)
			return (s);
		n = req->len > 512 ? 512 : req->len;
		while (n > 0 && isspace((unsigned char)req->body[n - 1]))
			n--;
		if (n > 0)
			return (strndup(req->body, n));
	}
	if (req->http_status == 304)
		return (dk_asprintf("%s %s: not modified (already in that "
		    "state)", req->method, req->path));
	return (dk_asprintf("%s %s: HTTP %ld from Docker", req->method,
	    req->path, req->http_status));
}

/* Settles the API version from a ping's Api-Version header. */
static int
negotiate(struct dk_req *req, char **msg)
{
	struct dk_client *c = req->c;
	const char *theirs = dk_req_header(req, "Api-Version");
	int n = version_num(theirs);

	if (c->version != NULL)
		return (0);
	if (n < 0) {
		*msg = dk_asprintf("Docker at %s sent no usable Api-Version "
		    "in its /_ping answer", c->ep.host);
		return (DK_E_BAD_RESPONSE);
	}
	if (n < version_num(DK_API_VERSION_MIN)) {
		*msg = dk_asprintf("Docker at %s speaks API %s, older than "
		    "the oldest this client speaks (%s)", c->ep.host, theirs,
		    DK_API_VERSION_MIN);
		return (DK_E_UNAVAILABLE);
	}
	if (n > version_num(DK_API_VERSION))
		theirs = DK_API_VERSION;
	c->version = strdup(theirs);
	return (c->version == NULL ? DK_E_INTERNAL : 0);
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
		msg = engine_message(req);
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

/* Collects every finished transfer and ends its request. */
static void
drain(struct dk_client *c)
{
	CURLMsg *m;
	struct dk_req *req;
	CURLcode code;
	char *priv;
	int left;

	if (c->shut)
		return;
	while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		code = m->data.result;
		if (curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
		    &priv) != CURLE_OK || priv == NULL)
			continue;
		req = (struct dk_req *)(void *)priv;
		complete(req, code);
	}
}

/* Sets the options that need the API version, and hands req to curl. */
static int
req_start(struct dk_req *req)
{
	struct dk_client *c = req->c;
	char *url;
	CURLcode rc;

	if (req->flags & DK_REQ_NOVERSION)
		url = dk_asprintf("%s%s", c->ep.base_url, req->path);
	else
		url = dk_asprintf("%s/v%s%s", c->ep.base_url, c->version,
		    req->path);
	if (url == NULL)
		return (DK_E_INTERNAL);
	rc = curl_easy_setopt(req->easy, CURLOPT_URL, url);
	free(url);
	if (rc != CURLE_OK)
		return (DK_E_INTERNAL);
	if (curl_multi_add_handle(c->multi, req->easy) != CURLM_OK)
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
	kick(c);
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
	int poke = 0, running, neg_err;
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
		if (req->state == DK_RS_ACTIVE && req->resume_pending) {
			req->resume_pending = 0;
			(void)curl_easy_pause(req->easy, CURLPAUSE_CONT);
			poke = 1;
		}
		if (req->state != DK_RS_WAITING)
			continue;
		if ((req->flags & DK_REQ_NOVERSION) || c->version != NULL)
			req_start_or_fail(req);
		else if (neg_err != 0)
			finish(req, neg_err, NULL, neg_msg);
		else if (!c->negotiating) {
			start_negotiation(c);
			kick(c);
		}
	}
	free(neg_msg);
	if (poke && !c->shut) {
		(void)curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT,
		    0, &running);
		drain(c);
	}
	if (c->closing && !c->shut && TAILQ_EMPTY(&c->reqs)) {
		struct dk_sock *s;

		c->shut = 1;
		LIST_FOREACH(s, &c->socks, entry)
			if (!uv_is_closing((uv_handle_t *)&s->poll))
				(void)uv_poll_stop(&s->poll);
		(void)curl_multi_cleanup(c->multi);
		c->multi = NULL;
		LIST_FOREACH(s, &c->socks, entry)
			sock_close(s);
		c->nclosing += 2;
		uv_close((uv_handle_t *)&c->timer, timer_close_cb);
		uv_close((uv_handle_t *)&c->kick, kick_close_cb);
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
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		*cause = strdup("cannot initialise libcurl");
		return (-EIO);
	}
	c = calloc(1, sizeof *c);
	if (c == NULL) {
		curl_global_cleanup();
		return (-ENOMEM);
	}
	c->loop = loop;
	TAILQ_INIT(&c->reqs);
	LIST_INIT(&c->socks);
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
		if (version_num(ep->api_version) <
		    version_num(DK_API_VERSION_MIN)) {
			*cause = dk_asprintf("API version %s is older than the "
			    "oldest this client speaks (%s)", ep->api_version,
			    DK_API_VERSION_MIN);
			rc = -EINVAL;
			goto fail;
		}
		c->version = strdup(ep->api_version);
		if (c->version == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	c->multi = curl_multi_init();
	if (c->multi == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	if (curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION,
	    socket_fn) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION,
	    timer_fn) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c) != CURLM_OK) {
		rc = -EIO;
		goto fail;
	}
	/* Both timers are initialised last: nothing can fail after. */
	if ((rc = uv_timer_init(loop, &c->timer)) != 0)
		goto fail;
	if ((rc = uv_timer_init(loop, &c->kick)) != 0) {
		/* The timer is a handle now: close it, free later. */
		c->closing = 1;
		c->shut = 1;
		c->nclosing = 1;
		(void)curl_multi_cleanup(c->multi);
		c->multi = NULL;
		uv_close((uv_handle_t *)&c->timer, timer_close_cb);
		return (rc);
	}
	*cp = c;
	return (0);
fail:
	if (c->multi != NULL)
		(void)curl_multi_cleanup(c->multi);
	dk_endpoint_clear(&c->ep);
	free(c->version);
	free(c);
	curl_global_cleanup();
	return (rc);
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
	kick(c);
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

/* Sets the curl options that do not depend on the API version. */
static int
req_setup(struct dk_req *req, const struct dk_req_opts *o)
{
	struct dk_client *c = req->c;
	const struct dk_endpoint *ep = &c->ep;
	CURL *e = req->easy;
	struct curl_slist *l;
	int bad = 0;

#define SET(opt, v)	(bad |= curl_easy_setopt(e, opt, v) != CURLE_OK)
	SET(CURLOPT_PRIVATE, (char *)req);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, req->errbuf);
	SET(CURLOPT_WRITEFUNCTION, write_fn);
	SET(CURLOPT_WRITEDATA, req);
	SET(CURLOPT_HEADERFUNCTION, header_fn);
	SET(CURLOPT_HEADERDATA, req);
	SET(CURLOPT_USERAGENT, "pier/" PIER_VERSION);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_CONNECTTIMEOUT_MS, c->opts.connect_timeout_ms);
	if (!(req->flags & (DK_REQ_STREAM | DK_REQ_NOTIMEOUT)))
		SET(CURLOPT_TIMEOUT_MS, o->timeout_ms > 0 ? o->timeout_ms :
		    c->opts.timeout_ms);
	if (req->flags & DK_REQ_STREAM)
		SET(CURLOPT_TCP_KEEPALIVE, 1L);
	if (ep->unix_path != NULL)
		SET(CURLOPT_UNIX_SOCKET_PATH, ep->unix_path);
	if (ep->tls) {
		SET(CURLOPT_SSL_VERIFYPEER, ep->tls_verify ? 1L : 0L);
		SET(CURLOPT_SSL_VERIFYHOST, ep->tls_verify ? 2L : 0L);
		if (ep->ca != NULL)
			SET(CURLOPT_CAINFO, ep->ca);
		if (ep->cert != NULL)
			SET(CURLOPT_SSLCERT, ep->cert);
		if (ep->key != NULL)
			SET(CURLOPT_SSLKEY, ep->key);
	}
	if (strcmp(req->method, "GET") == 0)
		SET(CURLOPT_HTTPGET, 1L);
	else if (strcmp(req->method, "HEAD") == 0)
		SET(CURLOPT_NOBODY, 1L);
	else {
		SET(CURLOPT_CUSTOMREQUEST, req->method);
		if (req->out_body != NULL || strcmp(req->method, "POST") == 0) {
			SET(CURLOPT_POSTFIELDS, req->out_body != NULL ?
			    req->out_body : "");
			SET(CURLOPT_POSTFIELDSIZE, req->out_body != NULL ?
			    (long)strlen(req->out_body) : 0L);
		}
	}
	l = curl_slist_append(NULL, "Expect:");
	if (l != NULL && req->out_body != NULL)
		l = curl_slist_append(l, "Content-Type: application/json");
	if (l == NULL)
		return (-ENOMEM);
	req->out_hdrs = l;
	SET(CURLOPT_HTTPHEADER, l);
#undef SET
	return (bad ? -EINVAL : 0);
}

/* Starts a request; see docker.h. */
int
dk_request(struct dk_client *c, const struct dk_req_opts *o, dk_req_cb *cb,
    void *arg, struct dk_req **reqp)
{
	struct dk_req *req;
	const char *m = o->method != NULL ? o->method : "GET";
	int rc;

	if (reqp != NULL)
		*reqp = NULL;
	if (c->closing)
		return (-ECANCELED);
	if (cb == NULL || o->path == NULL || o->path[0] != '/' ||
	    ((o->flags & DK_REQ_STREAM) && o->on_data == NULL))
		return (-EINVAL);
	req = calloc(1, sizeof *req);
	if (req == NULL)
		return (-ENOMEM);
	req->c = c;
	req->flags = o->flags;
	req->timeout_ms = o->timeout_ms;
	req->cb = cb;
	req->on_data = o->on_data;
	req->arg = arg;
	req->method = strdup(m);
	req->path = strdup(o->path);
	req->easy = curl_easy_init();
	if (req->method == NULL || req->path == NULL || req->easy == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	if (o->body != NULL) {
		req->out_body = json_dumps(o->body, JSON_COMPACT |
		    JSON_ENCODE_ANY);
		if (req->out_body == NULL) {
			rc = -EINVAL;
			goto fail;
		}
	}
	rc = req_setup(req, o);
	if (rc != 0)
		goto fail;
	req->state = DK_RS_WAITING;
	TAILQ_INSERT_TAIL(&c->reqs, req, entry);
	c->nreqs++;
	kick(c);
	if (reqp != NULL)
		*reqp = req;
	return (0);
fail:
	req_free(req);
	return (rc);
}

/* Cancels a request; see docker.h. */
void
dk_req_cancel(struct dk_req *req)
{
	if (req->state == DK_RS_DONE || req->cancelled)
		return;
	req->cancelled = 1;
	kick(req->c);
}

/* Pauses a stream's delivery. */
void
dk_req_pause(struct dk_req *req)
{
	if (req->state == DK_RS_DONE || req->paused)
		return;
	req->paused = 1;
	req->resume_pending = 0;
	if (req->state == DK_RS_ACTIVE)
		(void)curl_easy_pause(req->easy, CURLPAUSE_RECV);
}

/* Resumes a paused stream on the next loop turn. */
void
dk_req_resume(struct dk_req *req)
{
	if (req->state == DK_RS_DONE || !req->paused)
		return;
	req->paused = 0;
	req->resume_pending = 1;
	kick(req->c);
}

/* Returns the HTTP status. */
long
dk_req_http_status(const struct dk_req *req)
{
	return (req->http_status);
}

/* Returns the outcome's text. */
const char *
dk_req_message(const struct dk_req *req)
{
	return (req->message != NULL ? req->message : "");
}

/* Looks a response header up by name. */
const char *
dk_req_header(const struct dk_req *req, const char *name)
{
	size_t off = 0, nl;

	while (off < req->hlen) {
		nl = strlen(req->hdrs + off);
		if (strcasecmp(req->hdrs + off, name) == 0)
			return (req->hdrs + off + nl + 1);
		off += nl + 1;
		off += strlen(req->hdrs + off) + 1;
	}
	return (NULL);
}

/* Returns the body kept so far. */
const char *
dk_req_body(const struct dk_req *req, size_t *len)
{
	*len = req->len;
	return (req->body != NULL ? req->body : "");
}

/* Returns the request's client. */
struct dk_client *
dk_req_client(const struct dk_req *req)
{
	return (req->c);
}
