/*
 * Requests of the Docker client: building the curl easy handle of each
 * (method, body, headers, endpoint, timeouts), receiving its headers and
 * body under bounds, and the calls a caller makes on a request while it
 * runs (cancel, pause, resume, and reading the status, message, headers
 * and body during its callback). http.c moves them through curl.
 */
#include <stdlib.h>
#include <string.h>

#include "pier-config.h"
#include "dk-http.h"

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
		req->local_msg = dk__asprintf("response to %s %s is larger "
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

/*
 * CURLOPT_READFUNCTION of an upload: bytes from the ring; a pause while
 * it is empty and the body not ended (dk_req_send resumes it).
 */
static size_t
read_fn(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct dk_req *req = arg;
	size_t n = size * nmemb, run;

	if (req->cancelled)
		return (CURL_READFUNC_ABORT);
	if (req->up_len == 0) {
		if (req->up_end)
			return (0);
		req->up_waiting = 1;
		return (CURL_READFUNC_PAUSE);
	}
	if (n > req->up_len)
		n = req->up_len;
	run = DK_UPLOAD_MAX - req->up_off;
	if (run > n)
		run = n;
	memcpy(ptr, req->up + req->up_off, run);
	memcpy(ptr + run, req->up, n - run);
	req->up_off = (req->up_off + n) % DK_UPLOAD_MAX;
	req->up_len -= n;
	if (req->up_full && req->up_len <= DK_UPLOAD_MAX / 2) {
		req->up_full = 0;
		req->up_sent = 1;
		dk__kick(req->c);
	}
	return (n);
}

/*
 * CURLOPT_HEADERFUNCTION: keeps "name\0value\0" pairs; more than
 * DK_MAX_HEADERS bytes of them fail the request.
 */
static size_t
header_fn(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct dk_req *req = arg;
	size_t n = size * nmemb, nl, vl, cap;
	const char *colon, *v, *end;
	char *nb;

	if (n >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		req->hlen = 0;		/* a new response (after 1xx) */
		return (n);
	}
	colon = memchr(buf, ':', n);
	if (colon == NULL || memchr(buf, '\0', n) != NULL)
		return (n);		/* not a header we can keep */
	nl = (size_t)(colon - buf);
	v = colon + 1;
	end = buf + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
	    end[-1] == ' '))
		end--;
	vl = (size_t)(end - v);
	if (req->hlen + nl + vl + 2 > DK_MAX_HEADERS) {
		req->local_err = DK_E_BAD_RESPONSE;
		free(req->local_msg);
		req->local_msg = dk__asprintf("the headers of the answer to "
		    "%s %s are larger than %d bytes", req->method, req->path,
		    DK_MAX_HEADERS);
		return (0);
	}
	if (req->hlen + nl + vl + 2 > req->hcap) {
		cap = req->hcap ? req->hcap : 512;
		while (cap < req->hlen + nl + vl + 2)
			cap *= 2;
		nb = realloc(req->hdrs, cap);
		if (nb == NULL)
			return (n);
		req->hdrs = nb;
		req->hcap = cap;
	}
	memcpy(req->hdrs + req->hlen, buf, nl);
	req->hdrs[req->hlen + nl] = '\0';
	memcpy(req->hdrs + req->hlen + nl + 1, v, vl);
	req->hdrs[req->hlen + nl + 1 + vl] = '\0';
	req->hlen += nl + vl + 2;
	return (n);
}

/* Frees a request and its easy handle (already out of the multi). */
void
dk__req_free(struct dk_req *req)
{
	/* Without libcurl a request holds no curl objects. */
	if (req->easy != NULL)
		curl_easy_cleanup(req->easy);
	if (req->out_hdrs != NULL)
		curl_slist_free_all(req->out_hdrs);
	free(req->method);
	free(req->path);
	free(req->out_body);
	free(req->local_msg);
	free(req->body);
	free(req->hdrs);
	free(req->message);
	free(req->up);
	free(req);
}

/* Sets the curl options that do not depend on the API version. */
int
dk__req_setup(struct dk_req *req, const struct dk_req_opts *o)
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
	/* The Engine API is HTTP/1.1: no h2 by ALPN on a TLS endpoint. */
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_CONNECTTIMEOUT_MS, c->opts.connect_timeout_ms);
	if (!(req->flags & (DK_REQ_STREAM | DK_REQ_NOTIMEOUT | DK_REQ_UPLOAD)))
		SET(CURLOPT_TIMEOUT_MS, o->timeout_ms > 0 ? o->timeout_ms :
		    c->opts.timeout_ms);
	if (req->flags & DK_REQ_STREAM)
		SET(CURLOPT_TCP_KEEPALIVE, 1L);
	if (req->flags & DK_REQ_FRESH) {
		SET(CURLOPT_FRESH_CONNECT, 1L);
		SET(CURLOPT_FORBID_REUSE, 1L);
	}
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
	else if (req->flags & DK_REQ_UPLOAD) {
		/* Size unknown: HTTP/1.1 chunked, which the engine takes. */
		SET(CURLOPT_UPLOAD, 1L);
		SET(CURLOPT_CUSTOMREQUEST, req->method);
		SET(CURLOPT_READFUNCTION, read_fn);
		SET(CURLOPT_READDATA, req);
		SET(CURLOPT_TCP_KEEPALIVE, 1L);
	} else {
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
	if (l != NULL && (req->flags & DK_REQ_UPLOAD) &&
	    o->content_type != NULL) {
		char h[128];

		snprintf(h, sizeof h, "Content-Type: %s", o->content_type);
		l = curl_slist_append(l, h);
	}
	if (l == NULL)
		return (-ENOMEM);
	req->out_hdrs = l;
	SET(CURLOPT_HTTPHEADER, l);
#undef SET
	return (bad ? -EINVAL : 0);
}

/* Tells whether a method and a path are safe to put on the wire. */
static int
valid_target(const char *m, const char *path)
{
	size_t i;

	if (m[0] == '\0' || strlen(m) > 16 || strspn(m,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(m))
		return (0);
	if (path == NULL || path[0] != '/')
		return (0);
	for (i = 0; path[i] != '\0'; i++)
		if ((unsigned char)path[i] <= ' ' || path[i] == 0x7f)
			return (0);
	return (1);
}

/* Starts a request; see docker.h. */
int
dk_request(struct dk_client *c, const struct dk_req_opts *o, dk_req_cb *cb,
    void *arg, struct dk_req **reqp)
{
	struct dk_req *req;
	const char *m = o->method != NULL ? o->method : "GET";
	char *cause;
	int rc;

	if (reqp != NULL)
		*reqp = NULL;
	if (c->closing)
		return (-ECANCELED);
	if (cb == NULL || !valid_target(m, o->path) ||
	    ((o->flags & DK_REQ_STREAM) && o->on_data == NULL) ||
	    ((o->flags & DK_REQ_UPLOAD) && (o->on_sent == NULL ||
	    o->body != NULL || strcmp(m, "GET") == 0 ||
	    strcmp(m, "HEAD") == 0)) || (o->content_type != NULL &&
	    strpbrk(o->content_type, "\r\n") != NULL))
		return (-EINVAL);
	req = calloc(1, sizeof *req);
	if (req == NULL)
		return (-ENOMEM);
	req->c = c;
	req->flags = o->flags;
	req->cb = cb;
	req->on_data = o->on_data;
	req->on_sent = o->on_sent;
	req->arg = arg;
	if ((o->flags & DK_REQ_UPLOAD) &&
	    (req->up = malloc(DK_UPLOAD_MAX)) == NULL) {
		free(req);
		return (-ENOMEM);
	}
	req->method = strdup(m);
	req->path = strdup(o->path);
	if (req->method == NULL || req->path == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	/* Without libcurl the request ends, from the loop, saying why. */
	req->local_err = dk__client_curl(c, &cause);
	if (req->local_err != 0) {
		req->local_msg = cause;
		goto queue;
	}
	req->easy = curl_easy_init();
	if (req->easy == NULL) {
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
	rc = dk__req_setup(req, o);
	if (rc != 0)
		goto fail;
queue:
	req->state = DK_RS_WAITING;
	TAILQ_INSERT_TAIL(&c->reqs, req, entry);
	c->nreqs++;
	dk__kick(c);
	if (reqp != NULL)
		*reqp = req;
	return (0);
fail:
	dk__req_free(req);
	return (rc);
}

/* Cancels a request; see docker.h. */
void
dk_req_cancel(struct dk_req *req)
{
	if (req->state == DK_RS_DONE || req->cancelled)
		return;
	req->cancelled = 1;
	dk__kick(req->c);
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
	dk__kick(req->c);
}

/* Adds bytes to an upload; see docker.h. */
int
dk_req_send(struct dk_req *req, const void *buf, size_t len)
{
	size_t tail, run;

	if (!(req->flags & DK_REQ_UPLOAD))
		return (-EINVAL);
	if (req->state == DK_RS_DONE || req->up_end || req->cancelled)
		return (-EPIPE);
	if (len > DK_UPLOAD_MAX - req->up_len) {
		req->up_full = 1;
		return (-ENOBUFS);
	}
	tail = (req->up_off + req->up_len) % DK_UPLOAD_MAX;
	run = DK_UPLOAD_MAX - tail;
	if (run > len)
		run = len;
	memcpy(req->up + tail, buf, run);
	memcpy(req->up, (const char *)buf + run, len - run);
	req->up_len += len;
	if (req->up_waiting && len > 0) {
		req->up_waiting = 0;
		req->resume_pending = 1;
		dk__kick(req->c);
	}
	return (0);
}

/* Ends an upload's body; see docker.h. */
void
dk_req_send_end(struct dk_req *req)
{
	if (!(req->flags & DK_REQ_UPLOAD) || req->state == DK_RS_DONE ||
	    req->up_end)
		return;
	req->up_end = 1;
	if (req->up_waiting) {
		req->up_waiting = 0;
		req->resume_pending = 1;
		dk__kick(req->c);
	}
}

/* Bytes an upload holds; see docker.h. */
size_t
dk_req_send_held(const struct dk_req *req)
{
	return (req->up_len);
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
