/*
 * Streamed responses: one struct dk_stream wraps a streamed request of
 * the HTTP layer and decodes its body as it arrives, into log chunks
 * (raw or demultiplexed), stats samples, events or pull progress. The
 * decoders hold at most one partial frame header or one partial line, so
 * memory stays bounded however long a stream runs; pausing pauses the
 * transfer itself, so a slow consumer leaves the bytes in the socket.
 *
 * A stream ends exactly once, through on_end, always from the loop: when
 * the engine ends the body, when the body cannot be decoded (the request
 * is then cancelled and the decoding error reported), when the engine
 * reports a failure inside the body (a failed pull), when the connection
 * is lost, or when the consumer cancels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk-stream.h"

#define container_of(p, type, member)					\
	((type *)((char *)(p) - offsetof(type, member)))

/* Reports a stream failure found while decoding and stops the request. */
static void
stream_fail(struct dk_stream *s, int status, const char *msg)
{
	if (s->err != 0)
		return;
	s->err = status;
	free(s->msg);
	s->msg = strdup(msg != NULL ? msg : dk_strerror(status));
	if (s->req != NULL)
		dk_req_cancel(s->req);
}

/* Makes a stream with its callbacks; NULL when out of memory. */
struct dk_stream *
dk__stream_new(struct dk_client *c, const struct dk_stream_cbs *cbs,
    enum dk_stream_mode mode, const char *what)
{
	struct dk_stream *s;

	s = calloc(1, sizeof *s);
	if (s == NULL)
		return (NULL);
	s->what = strdup(what);
	if (s->what == NULL) {
		free(s);
		return (NULL);
	}
	s->c = c;
	s->cbs = *cbs;
	s->mode = mode;
	dk_demux_init(&s->demux, 0);
	dk_jsonl_init(&s->jsonl, 0);
	/* Last: nothing can fail once the handle exists. */
	(void)uv_timer_init(dk_client_loop(c), &s->kick);
	return (s);
}

/* Frees a stream's memory once its timer has closed. */
static void
stream_closed(uv_handle_t *h)
{
	struct dk_stream *s = container_of((uv_timer_t *)h, struct dk_stream,
	    kick);

	dk_jsonl_free(&s->jsonl);
	free(s->held);
	free(s->msg);
	free(s->what);
	free(s->id);
	free(s->logs);
	free(s);
}

/*
 * Frees a stream that will get no callback: its memory goes once the
 * timer has closed, on a later loop turn.
 */
void
dk__stream_free(struct dk_stream *s)
{
	s->ended = 1;
	uv_close((uv_handle_t *)&s->kick, stream_closed);
}

/* Ends a stream: on_end once, then free. */
void
dk__stream_end(struct dk_stream *s, int status, const char *msg)
{
	s->ended = 1;
	s->cbs.on_end(s, status, msg != NULL ? msg : dk_strerror(status),
	    s->cbs.arg);
	dk__stream_free(s);
}

/* One run of demultiplexed payload: to the consumer. */
static int
demux_cb(void *arg, int kind, const char *buf, size_t len)
{
	struct dk_stream *s = arg;

	/* stdin never comes back; "system" is the engine's, not output. */
	if (kind != DK_STREAM_STDOUT && kind != DK_STREAM_STDERR)
		return (0);
	s->cbs.on_chunk(s, kind, buf, len, s->cbs.arg);
	return (s->cancelled || s->err != 0 || s->paused);
}

/* One line of JSON: decoded by the stream's kind, to the consumer. */
static int
jsonl_cb(void *arg, json_t *obj)
{
	struct dk_stream *s = arg;
	struct dk_stats st;
	struct dk_event ev;
	struct dk_pull_event pe;
	char *cause = NULL;
	int rc;

	switch (s->mode) {
	case DK_SM_STATS:
		rc = dk_stats_from_json(obj, &st, &cause);
		if (rc != 0)
			break;
		s->cbs.on_stats(s, &st, obj, s->cbs.arg);
		break;
	case DK_SM_EVENTS:
		rc = dk_event_from_json(obj, &ev);
		if (rc != 0)
			break;
		s->cbs.on_event(s, &ev, obj, s->cbs.arg);
		break;
	case DK_SM_PULL:
		rc = dk_pull_from_json(obj, &pe, &cause);
		if (rc != 0) {
			/* The engine's final word on a failed pull. */
			stream_fail(s, DK_E_INTERNAL, cause);
			free(cause);
			return (1);
		}
		s->cbs.on_pull(s, &pe, s->cbs.arg);
		break;
	default:
		rc = -EPROTO;
		break;
	}
	if (rc != 0) {
		stream_fail(s, DK_E_BAD_RESPONSE, cause);
		free(cause);
		return (1);
	}
	return (s->cancelled || s->err != 0 || s->paused);
}

/* Names what a decoder error means, for the message. */
static const char *
decode_error(int rc)
{
	return (rc == -EMSGSIZE ? "a frame or line over the size bound" :
	    "bytes that are not what the API promises");
}

/*
 * Decodes and delivers bytes; returns how many were taken: all, unless
 * the consumer paused in the middle (then the rest is for later).
 */
static size_t
deliver(struct dk_stream *s, const char *buf, size_t len)
{
	char msg[256];
	size_t used = len;
	int rc = 0;

	switch (s->mode) {
	case DK_SM_RAW:
		s->cbs.on_chunk(s, DK_STREAM_RAW, buf, len, s->cbs.arg);
		break;
	case DK_SM_DEMUX:
		rc = dk_demux_feed(&s->demux, buf, len, demux_cb, s);
		used = s->demux.consumed;
		break;
	default:
		rc = dk_jsonl_feed(&s->jsonl, buf, len, jsonl_cb, s);
		used = s->jsonl.consumed;
		break;
	}
	if (rc < 0 && s->err == 0) {
		snprintf(msg, sizeof msg, "the %s stream from Docker held %s",
		    s->what, decode_error(rc));
		stream_fail(s, DK_E_BAD_RESPONSE, msg);
	}
	return (rc < 0 ? len : used);
}

/*
 * Keeps bytes the consumer paused before: the transfer is paused too, so
 * this is at most the rest of one read.
 */
static void
hold(struct dk_stream *s, const char *buf, size_t len)
{
	char *nb;

	if (s->held_off > 0) {
		memmove(s->held, s->held + s->held_off,
		    s->held_len - s->held_off);
		s->held_len -= s->held_off;
		s->held_off = 0;
	}
	nb = realloc(s->held, s->held_len + len);
	if (nb == NULL) {
		stream_fail(s, DK_E_INTERNAL, "out of memory");
		return;
	}
	s->held = nb;
	memcpy(s->held + s->held_len, buf, len);
	s->held_len += len;
}

/* The HTTP layer's data callback: decode, deliver, keep the rest. */
static void
data_cb(struct dk_req *req, const char *buf, size_t len, void *arg)
{
	struct dk_stream *s = arg;
	const char *ct;
	size_t used;

	/* API 1.42 and later label a multiplexed body as such. */
	if (s->bytes == 0 && s->mode == DK_SM_RAW) {
		ct = dk_req_header(req, "Content-Type");
		if (ct != NULL && strcmp(ct,
		    "application/vnd.docker.multiplexed-stream") == 0)
			s->mode = DK_SM_DEMUX;
	}
	s->bytes += len;
	if (s->cancelled || s->err != 0)
		return;
	if (s->held_len > s->held_off) {
		hold(s, buf, len);	/* behind what waits already */
		return;
	}
	used = deliver(s, buf, len);
	if (used < len && s->paused && !s->cancelled && s->err == 0)
		hold(s, buf + used, len - used);
}

/* The body is over: finish decoding, report, end (or confirm). */
static void
stream_finish(struct dk_stream *s, int status, const char *reqmsg)
{
	char msg[256];
	int rc = 0;

	if (status == 0 && s->err == 0 && !s->cancelled) {
		if (s->mode == DK_SM_DEMUX)
			rc = dk_demux_finish(&s->demux);
		else if (s->mode != DK_SM_RAW)
			rc = dk_jsonl_finish(&s->jsonl, jsonl_cb, s);
		if (rc < 0 && s->err == 0) {
			snprintf(msg, sizeof msg, "the %s stream from Docker "
			    "ended inside a frame or line", s->what);
			stream_fail(s, DK_E_BAD_RESPONSE, msg);
		}
	}
	if (s->err != 0)
		dk__stream_end(s, s->err, s->msg);
	else if (s->cancelled)
		dk__stream_end(s, DK_E_CANCELLED, "cancelled");
	else if (status == 0 && s->logs != NULL && s->logs->follow)
		dk__logs_confirm(s);
	else
		dk__stream_end(s, status, status != 0 ? reqmsg : "");
}

/* The HTTP layer's end callback. */
static void
end_cb(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct dk_stream *s = arg;

	json_decref(result);
	s->req = NULL;
	/* Bytes still held: the end waits until the consumer took them. */
	if (status == 0 && s->err == 0 && !s->cancelled &&
	    s->held_len > s->held_off) {
		s->end_pending = 1;
		return;
	}
	stream_finish(s, status, dk_req_message(req));
}

/* Deferred work: held bytes after a resume, a pending end or cancel. */
static void
kick_cb(uv_timer_t *t)
{
	struct dk_stream *s = container_of(t, struct dk_stream, kick);

	while (s->held_len > s->held_off && !s->paused && !s->cancelled &&
	    s->err == 0)
		s->held_off += deliver(s, s->held + s->held_off,
		    s->held_len - s->held_off);
	if (s->held_off == s->held_len) {
		free(s->held);
		s->held = NULL;
		s->held_len = s->held_off = 0;
	}
	if (s->req == NULL && s->end_pending) {
		if (s->cancelled || s->err != 0 || (!s->paused &&
		    s->held_len == 0))
			stream_finish(s, 0, "");
		return;
	}
	if (s->req != NULL && !s->paused && s->held_len == 0 && s->streaming)
		dk_req_resume(s->req);
}

/* Starts the streamed request of s; as dk_request. */
int
dk__stream_start(struct dk_stream *s, const char *method, const char *path)
{
	struct dk_req_opts o = {
		.method = method,
		.path = path,
		.flags = DK_REQ_STREAM,
		.on_data = data_cb,
	};
	int rc;

	rc = dk_request(s->c, &o, end_cb, s, &s->req);
	if (rc != 0)
		return (rc);
	s->streaming = 1;
	if (s->paused)
		dk_req_pause(s->req);
	return (0);
}

/* Builds a path and starts a stream on it, or frees the stream. */
static int
start_path(struct dk_stream *s, struct dk_path *p, const char *method,
    struct dk_stream **sp)
{
	int rc;

	rc = p->error;
	if (rc == 0)
		rc = dk__stream_start(s, method, p->buf);
	dk_path_free(p);
	if (rc != 0) {
		dk__stream_free(s);
		return (rc);
	}
	if (sp != NULL)
		*sp = s;
	return (0);
}

/* Checks the callbacks a stream of some mode needs. */
static int
cbs_ok(const struct dk_stream_cbs *cbs, enum dk_stream_mode mode)
{
	if (cbs == NULL || cbs->on_end == NULL)
		return (0);
	switch (mode) {
	case DK_SM_RAW:
	case DK_SM_DEMUX:
		return (cbs->on_chunk != NULL);
	case DK_SM_STATS:
		return (cbs->on_stats != NULL);
	case DK_SM_EVENTS:
		return (cbs->on_event != NULL);
	case DK_SM_PULL:
		return (cbs->on_pull != NULL);
	}
	return (0);
}

/* Streams stats; see docker-streams.h. */
int
dk_stats_stream(struct dk_client *c, const char *id, int one_shot,
    const struct dk_stream_cbs *cbs, struct dk_stream **sp)
{
	struct dk_stream *s;
	struct dk_path p;

	if (sp != NULL)
		*sp = NULL;
	if (!cbs_ok(cbs, DK_SM_STATS) || id == NULL || *id == '\0')
		return (-EINVAL);
	s = dk__stream_new(c, cbs, DK_SM_STATS, "stats");
	if (s == NULL)
		return (-ENOMEM);
	dk_path_init(&p, "/containers", id, "/stats");
	dk_path_add(&p, "stream", one_shot ? "false" : "true");
	return (start_path(s, &p, "GET", sp));
}

/* Streams events; see docker-streams.h. */
int
dk_events_stream(struct dk_client *c, const json_t *filters,
    long long since, long long until, const struct dk_stream_cbs *cbs,
    struct dk_stream **sp)
{
	struct dk_stream *s;
	struct dk_path p;

	if (sp != NULL)
		*sp = NULL;
	if (!cbs_ok(cbs, DK_SM_EVENTS) || since < 0 || until < 0)
		return (-EINVAL);
	s = dk__stream_new(c, cbs, DK_SM_EVENTS, "events");
	if (s == NULL)
		return (-ENOMEM);
	dk_path_init(&p, "/events", NULL, NULL);
	if (since > 0)
		dk_path_add_int(&p, "since", since);
	if (until > 0)
		dk_path_add_int(&p, "until", until);
	dk_path_add_json(&p, "filters", filters);
	return (start_path(s, &p, "GET", sp));
}

/* Pulls an image; see docker-streams.h. */
int
dk_image_pull(struct dk_client *c, const char *image, const char *tag,
    const struct dk_stream_cbs *cbs, struct dk_stream **sp)
{
	struct dk_stream *s;
	struct dk_path p;

	if (sp != NULL)
		*sp = NULL;
	if (!cbs_ok(cbs, DK_SM_PULL) || image == NULL || *image == '\0' ||
	    strlen(image) > 1024)
		return (-EINVAL);
	s = dk__stream_new(c, cbs, DK_SM_PULL, "pull");
	if (s == NULL)
		return (-ENOMEM);
	dk_path_init(&p, "/images/create", NULL, NULL);
	dk_path_add(&p, "fromImage", image);
	dk_path_add(&p, "tag", tag);
	return (start_path(s, &p, "POST", sp));
}

/* Pauses a stream. */
void
dk_stream_pause(struct dk_stream *s)
{
	if (s->ended || s->paused)
		return;
	s->paused = 1;
	if (s->req != NULL && s->streaming)
		dk_req_pause(s->req);
}

/* Resumes a stream: held bytes first, then the transfer. */
void
dk_stream_resume(struct dk_stream *s)
{
	if (s->ended || !s->paused)
		return;
	s->paused = 0;
	if (s->held_len > s->held_off || s->end_pending)
		(void)uv_timer_start(&s->kick, kick_cb, 0, 0);
	else if (s->req != NULL && s->streaming)
		dk_req_resume(s->req);
}

/* Cancels a stream. */
void
dk_stream_cancel(struct dk_stream *s)
{
	if (s->ended || s->cancelled)
		return;
	s->cancelled = 1;
	if (s->req != NULL)
		dk_req_cancel(s->req);
	else if (s->end_pending)
		(void)uv_timer_start(&s->kick, kick_cb, 0, 0);
}

/* Bytes received so far. */
uint64_t
dk_stream_bytes(const struct dk_stream *s)
{
	return (s->bytes);
}
