/*
 * Hijacked connections (exec start, container attach): the engine answers
 * the HTTP request with "101 UPGRADED" (or, on old engines, 200 with a
 * raw-stream type) and the connection then carries raw bytes both ways.
 *
 * libcurl cannot hand a normal transfer's socket over, so the connection
 * is made with CURLOPT_CONNECT_ONLY through a multi handle of its own,
 * driven by the loop like the client's (nothing blocks, and unix, tcp and
 * TLS endpoints all work); the easy handle must stay in that multi for
 * as long as the connection lives, since removing a connect-only handle
 * closes its connection. Then the request is written and the response
 * head read with curl_easy_send/recv, polled with a uv_poll_t on
 * CURLINFO_ACTIVESOCKET. After the head, bytes go to the consumer (raw
 * with a TTY, demultiplexed without), and writes are queued, bounded.
 * A paused consumer stops the reading, so the engine waits on its socket.
 *
 * The end comes once, through on_end, after every handle has closed.
 */
#include <sys/socket.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dk-hijack.h"
#include "pier-config.h"

static void	hj_arm(struct dk_hijack *);
static void	hj_io(struct dk_hijack *, int);

/* Frees a hijack's memory (every handle closed, curl cleaned up). */
static void
hj_free(struct dk_hijack *h)
{
	free(h->what);
	free(h->method);
	free(h->path);
	free(h->body);
	free(h->rbuf);
	free(h->wbuf);
	free(h->held);
	free(h->head);
	free(h->msg);
	free(h->version);
	dk_endpoint_clear(&h->ep);
	free(h);
}

/* One close callback (or the ping) came back; the last one ends it. */
void
dk__hj_closed_one(struct dk_hijack *h)
{
	/* The ping's callback may come back before the end, too. */
	if (--h->nclosing > 0 || h->state != HJ_ENDED)
		return;
	/* The connection goes last, its multi's close comes back here. */
	if (dk__hj_disconnect(h))
		return;
	h->cbs.on_end(h, h->status, h->msg != NULL ? h->msg :
	    dk_strerror(h->status), h->cbs.arg);
	hj_free(h);
}

/* Close callback of the hijack's own handles. */
static void
hj_handle_closed(uv_handle_t *handle)
{
	dk__hj_closed_one(handle->data);
}

/* Ends the hijack with status: closes every handle; on_end follows. */
void
dk__hj_end(struct dk_hijack *h, int status, const char *msg)
{
	enum hj_state was = h->state;

	if (h->state == HJ_ENDED)
		return;
	h->state = HJ_ENDED;
	h->status = status;
	free(h->msg);
	h->msg = msg != NULL ? strdup(msg) : NULL;
	if (h->ping != NULL)
		dk_req_cancel(h->ping);
	/* A connection not yet made is dropped now, its sockets with it. */
	if (was == HJ_CONNECTING && h->easy != NULL) {
		(void)curl_multi_remove_handle(h->cu.multi, h->easy);
		curl_easy_cleanup(h->easy);
		h->easy = NULL;
	}
	if (h->poll_on) {
		h->nclosing++;
		uv_close((uv_handle_t *)&h->poll, hj_handle_closed);
	}
	h->nclosing++;
	uv_close((uv_handle_t *)&h->kick, hj_handle_closed);
}

/* Ends the hijack with a formatted message. */
void
dk__hj_endf(struct dk_hijack *h, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	dk__hj_end(h, status, msg);
}

/* Appends to the write queue; -ENOBUFS over the bound. */
static int
hj_queue(struct dk_hijack *h, const char *buf, size_t len)
{
	char *nb;

	if (h->woff > 0 && h->woff == h->wlen)
		h->woff = h->wlen = 0;
	if (len > h->wmax - (h->wlen - h->woff))
		return (-ENOBUFS);
	if (h->woff > 0) {
		memmove(h->wbuf, h->wbuf + h->woff, h->wlen - h->woff);
		h->wlen -= h->woff;
		h->woff = 0;
	}
	nb = realloc(h->wbuf, h->wlen + len);
	if (nb == NULL)
		return (-ENOMEM);
	h->wbuf = nb;
	memcpy(h->wbuf + h->wlen, buf, len);
	h->wlen += len;
	return (0);
}

/*
 * Builds the HTTP request that asks for the upgrade. It goes out alone:
 * the engine drops whatever it read past the request when it hijacks the
 * connection, so the consumer's bytes wait for the upgrade.
 */
static int
hj_make_request(struct dk_hijack *h)
{
	size_t blen = h->body != NULL ? strlen(h->body) : 0;
	int n;

	n = asprintf(&h->rbuf, "%s /v%s%s HTTP/1.1\r\n"
	    "Host: docker\r\n"
	    "User-Agent: pier/" PIER_VERSION "\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %zu\r\n"
	    "Connection: Upgrade\r\n"
	    "Upgrade: tcp\r\n"
	    "\r\n%s", h->method, h->version, h->path, blen,
	    h->body != NULL ? h->body : "");
	if (n < 0) {
		h->rbuf = NULL;
		return (-ENOMEM);
	}
	h->rlen = (size_t)n;
	h->roff = 0;
	return (0);
}

/* The connection is made: take the socket over, send the request. */
void
dk__hj_connected(struct dk_hijack *h)
{
	curl_socket_t fd;
	int rc;

	if (curl_easy_getinfo(h->easy, CURLINFO_ACTIVESOCKET, &fd) !=
	    CURLE_OK || fd == CURL_SOCKET_BAD) {
		dk__hj_endf(h, DK_E_INTERNAL,
		    "no socket after connecting to %s",
		    h->ep.host);
		return;
	}
	h->fd = fd;
	h->state = HJ_HEAD;
	rc = uv_poll_init_socket(h->loop, &h->poll, fd);
	if (rc != 0) {
		dk__hj_endf(h, DK_E_INTERNAL, "cannot watch the connection: %s",
		    uv_strerror(rc));
		return;
	}
	h->poll.data = h;
	h->poll_on = 1;
	rc = hj_make_request(h);
	if (rc != 0) {
		dk__hj_endf(h, rc, "cannot send %s", h->what);
		return;
	}
	hj_arm(h);
}

/* The version ping ended: connect, or end with its error. */
static void
hj_ping_cb(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct dk_hijack *h = arg;

	json_decref(result);
	h->ping = NULL;
	if (h->state == HJ_ENDED) {
		dk__hj_closed_one(h);	/* the ping was counted as a close */
		return;
	}
	h->nclosing--;
	if (status == 0 && dk_client_api_version(h->c) != NULL)
		h->version = strdup(dk_client_api_version(h->c));
	if (status != 0)
		dk__hj_end(h, status, dk_req_message(req));
	else if (h->version == NULL)
		dk__hj_end(h, DK_E_BAD_RESPONSE, "no API version after /_ping");
	else
		dk__hj_connect(h);
}

/* Kick: deferred work (a read after resume, a requested end). */
static void
hj_kick_cb(uv_timer_t *t)
{
	struct dk_hijack *h = container_of(t, struct dk_hijack, kick);

	if (h->cancelled) {
		dk__hj_end(h, DK_E_CANCELLED, "cancelled");
		return;
	}
	if (h->state == HJ_VERSION && h->ping == NULL) {
		dk__hj_connect(h);
		return;
	}
	/* After a resume: bytes may wait in curl's (TLS) buffers. */
	if (h->state >= HJ_HEAD && h->state <= HJ_STREAM)
		hj_io(h, UV_READABLE);
}

/* The connection is ready for reading or writing. */
static void
hj_poll_cb(uv_poll_t *p, int status, int events)
{
	struct dk_hijack *h = container_of(p, struct dk_hijack, poll);
	char msg[256];

	if (status < 0) {
		snprintf(msg, sizeof msg, "connection to Docker at %s lost "
		    "during %s: %s", h->ep.host, h->what,
		    uv_strerror(status));
		dk__hj_end(h, DK_E_UNAVAILABLE, msg);
		return;
	}
	if (events & UV_DISCONNECT)
		events |= UV_READABLE;
	hj_io(h, events);
}

/* Starts or updates the poll to what the hijack waits for. */
static void
hj_arm(struct dk_hijack *h)
{
	int events = 0;

	if (!h->poll_on || h->state == HJ_ENDED)
		return;
	if (!h->paused || h->state != HJ_STREAM)
		events |= UV_READABLE | UV_DISCONNECT;
	if (h->rlen > h->roff || (h->state == HJ_STREAM &&
	    (h->wlen > h->woff || (h->shut_wanted && !h->shut_done))))
		events |= UV_WRITABLE;
	if (events == h->events)
		return;
	h->events = events;
	if (events == 0)
		(void)uv_poll_stop(&h->poll);
	else if (uv_poll_start(&h->poll, events, hj_poll_cb) != 0)
		dk__hj_end(h, DK_E_INTERNAL, "cannot watch the connection");
}

/* Writes queued bytes until the socket is full; 0 or ended. */
static int
hj_flush(struct dk_hijack *h)
{
	size_t n;
	CURLcode rc;

	while (h->rlen > h->roff) {
		n = 0;
		rc = curl_easy_send(h->easy, h->rbuf + h->roff,
		    h->rlen - h->roff, &n);
		if (rc == CURLE_AGAIN)
			return (0);
		if (rc != CURLE_OK) {
			dk__hj_endf(h, DK_E_UNAVAILABLE, "connection to "
			    "Docker lost while sending %s: %s", h->what,
			    curl_easy_strerror(rc));
			return (-1);
		}
		h->roff += n;
	}
	if (h->state != HJ_STREAM)
		return (0);
	while (h->wlen > h->woff) {
		n = 0;
		rc = curl_easy_send(h->easy, h->wbuf + h->woff,
		    h->wlen - h->woff, &n);
		if (rc == CURLE_AGAIN)
			break;
		if (rc != CURLE_OK) {
			dk__hj_endf(h, DK_E_UNAVAILABLE, "connection to "
			    "Docker lost while writing: %s",
			    curl_easy_strerror(rc));
			return (-1);
		}
		h->woff += n;
		h->bytes_out += n;
	}
	if (h->wlen == h->woff) {
		h->wlen = h->woff = 0;
		/* Stdin closed: half-close (TLS has no half-close). */
		if (h->shut_wanted && !h->shut_done && h->state == HJ_STREAM) {
			h->shut_done = 1;
			if (!h->ep.tls)
				(void)shutdown(h->fd, SHUT_WR);
		}
	}
	return (0);
}

/* Demultiplexed payload: to the consumer. */
static int
hj_demux_cb(void *arg, int kind, const char *buf, size_t len)
{
	struct dk_hijack *h = arg;

	if (kind == DK_STREAM_STDOUT || kind == DK_STREAM_STDERR)
		h->cbs.on_data(h, kind, buf, len, h->cbs.arg);
	return (h->state != HJ_STREAM || h->paused);
}

/* Demultiplexes to the consumer; returns the bytes taken. */
static size_t
hj_feed(struct dk_hijack *h, const char *buf, size_t len)
{
	int rc;

	rc = dk_demux_feed(&h->demux, buf, len, hj_demux_cb, h);
	if (rc < 0) {
		dk__hj_endf(h, DK_E_BAD_RESPONSE, "the stream of %s held bytes "
		    "that are not multiplexed frames", h->what);
		return (len);
	}
	return (h->demux.consumed);
}

/* Keeps the rest of a read the consumer paused in (reading stopped). */
static void
hj_hold(struct dk_hijack *h, const char *buf, size_t len)
{
	char *nb;

	if (h->held_off > 0) {
		memmove(h->held, h->held + h->held_off,
		    h->held_len - h->held_off);
		h->held_len -= h->held_off;
		h->held_off = 0;
	}
	nb = realloc(h->held, h->held_len + len);
	if (nb == NULL) {
		dk__hj_end(h, DK_E_INTERNAL, "out of memory");
		return;
	}
	h->held = nb;
	memcpy(h->held + h->held_len, buf, len);
	h->held_len += len;
}

/* Delivers held bytes while the consumer lets it. */
static void
hj_drain(struct dk_hijack *h)
{
	while (h->held_off < h->held_len && !h->paused &&
	    h->state == HJ_STREAM)
		h->held_off += hj_feed(h, h->held + h->held_off,
		    h->held_len - h->held_off);
	if (h->held_off == h->held_len) {
		free(h->held);
		h->held = NULL;
		h->held_len = h->held_off = 0;
	}
}

/* Stream bytes: raw or demultiplexed to the consumer. */
static void
hj_deliver(struct dk_hijack *h, const char *buf, size_t len)
{
	size_t used;

	if (len == 0)
		return;
	h->bytes_in += len;
	if (h->tty) {
		h->cbs.on_data(h, DK_STREAM_RAW, buf, len, h->cbs.arg);
		return;
	}
	if (h->held_len > h->held_off) {
		hj_hold(h, buf, len);
		return;
	}
	used = hj_feed(h, buf, len);
	if (used < len && h->paused && h->state == HJ_STREAM)
		hj_hold(h, buf + used, len - used);
}

/* Finds "name: value" in a response head; the value or NULL. */
static const char *
hj_header(const char *head, const char *name, size_t *vlen)
{
	const char *p = head, *eol, *v;
	size_t nl = strlen(name);

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, nl) != 0 || p[nl] != ':')
			continue;
		v = p + nl + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		eol = strstr(v, "\r\n");
		*vlen = eol != NULL ? (size_t)(eol - v) : strlen(v);
		return (v);
	}
	return (NULL);
}

/* The head ended at hlen: upgraded, or an error with its body. */
static void
hj_head_done(struct dk_hijack *h, size_t end)
{
	const char *ct, *cl;
	size_t ctlen = 0, cllen = 0, rest;
	int upgraded;

	h->head[end - 2] = '\0';	/* keep the last header's \r\n */
	if (sscanf(h->head, "HTTP/1.%*1d %ld", &h->http) != 1) {
		dk__hj_endf(h, DK_E_BAD_RESPONSE,
		    "the answer to %s is not HTTP",
		    h->what);
		return;
	}
	ct = hj_header(h->head, "Content-Type", &ctlen);
	cl = hj_header(h->head, "Content-Length", &cllen);
	upgraded = h->http == 101 || (h->http == 200 && ct != NULL &&
	    strncmp(ct, "application/vnd.docker.", 23) == 0);
	rest = h->hlen - end;
	if (upgraded) {
		h->state = HJ_STREAM;
		hj_deliver(h, h->head + end, rest);
		h->hlen = 0;
		return;
	}
	/* Not upgraded: the engine's error is in the body. */
	h->state = HJ_ERRBODY;
	memmove(h->head, h->head + end, rest);
	h->hlen = rest;
	h->body_want = SIZE_MAX;
	if (cl != NULL)
		h->body_want = (size_t)strtoul(cl, NULL, 10);
	if (h->http / 100 == 2 && cl == NULL)
		h->body_want = 0;
}

/* Ends a hijack that was not upgraded, with the engine's message. */
static void
hj_errbody_done(struct dk_hijack *h)
{
	char *msg;
	int status;

	status = dk_err_from_http(h->http);
	if (status == 0) {
		dk__hj_endf(h, DK_E_BAD_RESPONSE, "Docker did not upgrade the "
		    "connection for %s", h->what);
		return;
	}
	msg = dk__engine_message(h->head, h->hlen, h->http, h->method,
	    h->path);
	dk__hj_end(h, status, msg);
	free(msg);
}

/* Takes in bytes read in the head or error-body phase. */
static void
hj_take(struct dk_hijack *h, const char *buf, size_t len)
{
	char *end;

	if (h->state == HJ_STREAM) {
		hj_deliver(h, buf, len);
		return;
	}
	if (len > HJ_MAX_HEAD - h->hlen) {
		dk__hj_endf(h, DK_E_BAD_RESPONSE,
		    "the answer to %s is too large",
		    h->what);
		return;
	}
	memcpy(h->head + h->hlen, buf, len);
	h->hlen += len;
	h->head[h->hlen] = '\0';
	if (h->state == HJ_HEAD) {
		end = strstr(h->head, "\r\n\r\n");
		if (end != NULL)
			hj_head_done(h, (size_t)(end - h->head) + 4);
	}
	if (h->state == HJ_ERRBODY && h->hlen >= h->body_want)
		hj_errbody_done(h);
}

/* The engine closed the connection. */
static void
hj_eof(struct dk_hijack *h)
{
	switch (h->state) {
	case HJ_STREAM:
		if (!h->tty && dk_demux_finish(&h->demux) != 0)
			dk__hj_endf(h, DK_E_BAD_RESPONSE, "the stream of %s "
			    "ended inside a frame", h->what);
		else
			dk__hj_end(h, 0, "");
		break;
	case HJ_ERRBODY:
		hj_errbody_done(h);
		break;
	default:
		dk__hj_endf(h, DK_E_UNAVAILABLE, "Docker closed the connection "
		    "before answering %s", h->what);
		break;
	}
}

/* Reads until the socket is empty, the consumer pauses, or the end. */
static void
hj_read(struct dk_hijack *h)
{
	char buf[HJ_READ_SIZE + 1];
	size_t n;
	CURLcode rc;

	hj_drain(h);
	while (h->state != HJ_ENDED && !(h->paused && h->state == HJ_STREAM) &&
	    h->held_len == 0) {
		n = 0;
		h->reads++;
		rc = curl_easy_recv(h->easy, buf, HJ_READ_SIZE, &n);
		if (rc == CURLE_AGAIN)
			return;
		if (rc != CURLE_OK) {
			dk__hj_endf(h, DK_E_UNAVAILABLE, "connection to "
			    "Docker lost: %s", curl_easy_strerror(rc));
			return;
		}
		if (n == 0) {
			hj_eof(h);
			return;
		}
		hj_take(h, buf, n);
		/*
		 * A short read on a plain socket emptied it (a stream read
		 * takes all that is queued, up to the size), and the poll is
		 * level-triggered: reading again would only meet EAGAIN, one
		 * system call per keystroke's echo. Over TLS, libcurl may
		 * hold decrypted bytes the socket no longer shows.
		 */
		if (n < HJ_READ_SIZE && !h->ep.tls)
			return;
	}
}

/* Does the I/O the poll reported, then re-arms it. */
static void
hj_io(struct dk_hijack *h, int events)
{
	if (h->state == HJ_ENDED)
		return;
	if ((events & UV_WRITABLE) && hj_flush(h) != 0)
		return;
	if (events & UV_READABLE)
		hj_read(h);
	hj_arm(h);
}

/* Starts a hijacked request; see docker-streams.h. */
int
dk_hijack_start(struct dk_client *c, const char *method, const char *path,
    const json_t *body, int tty, const struct dk_hijack_cbs *cbs,
    struct dk_hijack **hp)
{
	struct dk_hijack *h;
	int rc;

	if (hp != NULL)
		*hp = NULL;
	if (cbs == NULL || cbs->on_data == NULL || cbs->on_end == NULL ||
	    method == NULL || path == NULL || path[0] != '/' ||
	    strpbrk(path, " \r\n") != NULL)
		return (-EINVAL);
	h = calloc(1, sizeof *h);
	if (h == NULL)
		return (-ENOMEM);
	h->c = c;
	h->loop = dk_client_loop(c);
	h->cbs = *cbs;
	h->tty = tty;
	h->wmax = cbs->max_queued != 0 ? cbs->max_queued : HJ_MAX_QUEUE;
	h->fd = CURL_SOCKET_BAD;
	dk_demux_init(&h->demux, 0);
	h->method = strdup(method);
	h->path = strdup(path);
	h->what = dk__asprintf("%s %s", method, path);
	h->head = malloc(HJ_MAX_HEAD + 1);
	if (body != NULL)
		h->body = json_dumps(body, JSON_COMPACT);
	if (dk_client_api_version(c) != NULL)
		h->version = strdup(dk_client_api_version(c));
	if (h->method == NULL || h->path == NULL || h->what == NULL ||
	    h->head == NULL || (body != NULL && h->body == NULL) ||
	    (dk_client_api_version(c) != NULL && h->version == NULL) ||
	    dk_endpoint_copy(&h->ep, dk_client_endpoint(c)) != 0) {
		hj_free(h);
		return (-ENOMEM);
	}
	h->state = HJ_VERSION;
	if (h->version == NULL) {
		rc = dk_ping(c, hj_ping_cb, h, &h->ping);
		if (rc != 0) {
			hj_free(h);
			return (rc);
		}
		h->nclosing++;		/* the ping's callback is awaited */
	}
	/* The timer last: nothing fails after it. */
	(void)uv_timer_init(h->loop, &h->kick);
	h->kick.data = h;
	if (h->ping == NULL)
		(void)uv_timer_start(&h->kick, hj_kick_cb, 0, 0);
	if (hp != NULL)
		*hp = h;
	return (0);
}

/* Writes bytes to the engine, queueing what the socket does not take. */
int
dk_hijack_write(struct dk_hijack *h, const char *buf, size_t len)
{
	int rc;

	if (h->state == HJ_ENDED || h->cancelled || h->shut_wanted)
		return (-EPIPE);
	rc = hj_queue(h, buf, len);
	if (rc != 0 || h->state != HJ_STREAM)
		return (rc);
	/*
	 * Out at once while the socket takes it: a keystroke leaves in this
	 * loop turn instead of after a poll for writable. A failure ends the
	 * hijack and on_end follows from the loop, as from the poll.
	 */
	if (hj_flush(h) == 0)
		hj_arm(h);
	return (0);
}

/* Closes the engine's stdin once the queue drains. */
void
dk_hijack_close_write(struct dk_hijack *h)
{
	if (h->state == HJ_ENDED || h->shut_wanted)
		return;
	h->shut_wanted = 1;
	if (h->state == HJ_STREAM && h->wlen == h->woff)
		(void)hj_flush(h);
}

/* Bytes queued and not yet written. */
size_t
dk_hijack_queued(const struct dk_hijack *h)
{
	return (h->wlen - h->woff);
}

/* Pauses reading. */
void
dk_hijack_pause(struct dk_hijack *h)
{
	if (h->state == HJ_ENDED || h->paused)
		return;
	h->paused = 1;
	hj_arm(h);
}

/* Resumes reading from the next loop turn. */
void
dk_hijack_resume(struct dk_hijack *h)
{
	if (h->state == HJ_ENDED || !h->paused)
		return;
	h->paused = 0;
	hj_arm(h);
	(void)uv_timer_start(&h->kick, hj_kick_cb, 0, 0);
}

/* Cancels; on_end follows from the loop. */
void
dk_hijack_cancel(struct dk_hijack *h)
{
	if (h->state == HJ_ENDED || h->cancelled)
		return;
	h->cancelled = 1;
	(void)uv_timer_start(&h->kick, hj_kick_cb, 0, 0);
}

/* Bytes received and sent on the stream. */
void
dk_hijack_bytes(const struct dk_hijack *h, uint64_t *in, uint64_t *out)
{
	if (in != NULL)
		*in = h->bytes_in;
	if (out != NULL)
		*out = h->bytes_out;
}

/* Receive calls made so far. */
uint64_t
dk_hijack_reads(const struct dk_hijack *h)
{
	return (h->reads);
}
