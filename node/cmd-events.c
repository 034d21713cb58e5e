/*
 * events.subscribe: the engine's events on a JSON-lines channel, one
 * event object per line, as the engine sends them, until the client
 * closes the channel. Filters are the engine's (type=, event=,
 * container=, label=, ...), checked by the engine.
 *
 * This file also holds the JSON-lines writer that image.pull shares: a
 * Docker stream feeding a channel with back-pressure. A line the channel
 * will not take is held (one line, at most PROTO_LINE_MAX bytes) and the
 * Docker stream paused until the channel drains, so a slow client never
 * makes the node buffer more than that.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* Frees the writer once neither the channel nor the stream holds it. */
static void
ls_maybe_free(struct node_lstream *ls)
{
	if (ls->ch != NULL || ls->s != NULL)
		return;
	node_log(&ls->n->log, NODE_LOG_INFO, "%s: stream freed (%llu lines "
	    "sent)", ls->label, (unsigned long long)ls->lines);
	free(ls->held);
	free(ls->last);
	free(ls);
}

/* Writes the final line (if any) and finishes the channel. */
static void
ls_finish(struct node_lstream *ls)
{
	if (ls->ch == NULL)
		return;
	if ((ls->last != NULL && ovl_chan_write(ls->ch, ls->last,
	    ls->last_len) != 0) || ovl_chan_close(ls->ch) != 0)
		ovl_chan_reset(ls->ch);
}

/* The channel has room: the held line, then the stream again. */
static void
ls_drain(struct ovl_chan *ch, void *arg)
{
	struct node_lstream	*ls = arg;
	int			 err;

	if (ls->held == NULL || ls->ch == NULL || ls->writing)
		return;
	ls->writing++;
	err = ovl_chan_write(ls->ch, ls->held, ls->held_len);
	ls->writing--;
	if (err != 0)
		return;
	free(ls->held);
	ls->held = NULL;
	ls->held_len = 0;
	ls->lines++;
	if (ls->s != NULL)
		dk_stream_resume(ls->s);
	else if (ls->ended)
		ls_finish(ls);
}

/* The channel ended: the client left or read the end. */
static void
ls_chan_close(struct ovl_chan *ch, int status, void *arg)
{
	struct node_lstream	*ls = arg;

	ls->ch = NULL;
	if (ls->s != NULL) {
		node_log(&ls->n->log, NODE_LOG_INFO, "%s: the client closed "
		    "the stream; stopping it", ls->label);
		dk_stream_cancel(ls->s);
	}
	ls_maybe_free(ls);
}

static const struct ovl_chan_cbs ls_chan_cbs = {
	.on_data = cmd_out_chan_data,
	.on_drain = ls_drain,
	.on_close = ls_chan_close,
};

/* Makes a writer on ch (now its own); NULL when out of memory. */
struct node_lstream *
node_lstream_new(struct node *n, struct ovl_chan *ch, const char *label)
{
	struct node_lstream	*ls;

	ls = calloc(1, sizeof(*ls));
	if (ls == NULL)
		return (NULL);
	ls->n = n;
	ls->ch = ch;
	snprintf(ls->label, sizeof(ls->label), "%s", label);
	ovl_chan_set_cbs(ch, &ls_chan_cbs, ls);
	return (ls);
}

/* Sends one line, or holds it and pauses the stream. */
void
node_lstream_line(struct node_lstream *ls, const json_t *obj)
{
	char	*buf;
	size_t	 len;
	int	 err;

	if (ls->ch == NULL)
		return;
	if (proto_line_encode(obj, &buf, &len) != 0) {
		node_log(&ls->n->log, NODE_LOG_DEBUG, "%s: a line too long "
		    "to send was left out", ls->label);
		return;
	}
	if (ls->held == NULL) {
		ls->writing++;
		err = ovl_chan_write(ls->ch, buf, len);
		ls->writing--;
		if (err == 0) {
			ls->lines++;
			free(buf);
			return;
		}
		ls->held = buf;
		ls->held_len = len;
	} else {
		/* Only after a pause that came too late: drop, never grow. */
		free(buf);
		ls->dropped++;
	}
	if (ls->s != NULL)
		dk_stream_pause(ls->s);
}

/* The stream is over: last (may be NULL) goes after what is held. */
void
node_lstream_end(struct node_lstream *ls, const json_t *last)
{
	ls->s = NULL;
	ls->ended = 1;
	if (last != NULL && proto_line_encode(last, &ls->last,
	    &ls->last_len) != 0) {
		ls->last = NULL;
		ls->last_len = 0;
	}
	if (ls->held == NULL)
		ls_finish(ls);
	ls_maybe_free(ls);
}

/* Resets the channel of a writer whose stream never started; frees it. */
void
node_lstream_abort(struct node_lstream *ls)
{
	ls->s = NULL;
	if (ls->ch != NULL)
		ovl_chan_reset(ls->ch);		/* frees ls */
	else
		ls_maybe_free(ls);
}

/* The error line of a stream: {"error": {code, name, message}}. */
json_t *
node_lstream_error(enum dk_err status, const char *message)
{
	enum proto_err	code = cmd_stream_err_from_dk(status);

	return (json_pack("{s:{s:i, s:s, s:s}}", "error", "code", code,
	    "name", proto_err_name(code), "message", message != NULL &&
	    message[0] != '\0' ? message : dk_strerror(status)));
}

/* One engine event: the engine's object as it came. */
static void
ev_event(struct dk_stream *s, const struct dk_event *ev, json_t *raw,
    void *arg)
{
	node_lstream_line(arg, raw);
}

/* The events stream ended (the client left, or the engine went away). */
static void
ev_end(struct dk_stream *s, int status, const char *message, void *arg)
{
	json_t	*last = NULL;	/* owned */

	if (status != 0 && status != DK_E_CANCELLED)
		last = node_lstream_error(status, message);
	node_lstream_end(arg, last);
	json_decref(last);
}

/* Builds the engine's filters from types and "K=V" filters; or NULL. */
static json_t *
ev_filters(const json_t *params, char **cause)
{
	const json_t	*a;	/* borrowed */
	const char	**kv;
	json_t		*f;	/* owned */
	size_t		 i, n = 0, na, nb;

	na = json_array_size(json_object_get(params, "types"));
	nb = json_array_size(json_object_get(params, "filters"));
	kv = calloc(na + nb + 1, sizeof(*kv));
	if (kv == NULL)
		return (NULL);
	a = json_object_get(params, "filters");
	for (i = 0; i < nb; i++)
		kv[n++] = json_string_value(json_array_get(a, i));
	f = dk_filters(kv);
	free(kv);
	if (f == NULL) {
		*cause = strdup("params.filters: each must be KEY=VALUE");
		return (NULL);
	}
	a = json_object_get(params, "types");
	for (i = 0; i < na; i++) {
		if (json_object_get(f, "type") == NULL)
			(void)json_object_set_new(f, "type", json_array());
		(void)json_array_append_new(json_object_get(f, "type"),
		    json_string(json_string_value(json_array_get(a, i))));
	}
	return (f);
}

/* events.subscribe: the engine's events until the channel closes. */
enum cmd_retval
cmd_events_subscribe(struct cmd_req *r)
{
	struct dk_stream_cbs	 cbs;
	struct node_lstream	*ls;
	struct dk_client	*dk;
	struct ovl_chan		*ch;
	json_t			*f;	/* owned */
	char			*cause = NULL;
	int			 err;

	dk = cmd_docker(r);
	if (dk == NULL)
		return (CMD_ERROR);
	f = ev_filters(r->params, &cause);
	if (f == NULL) {
		if (cause == NULL)
			return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
		(void)cmd_fail(r, PROTO_E_PARAMS, "%s", cause);
		free(cause);
		return (CMD_ERROR);
	}
	ch = cmd_take_chan(r);
	ls = ch != NULL ? node_lstream_new(r->node, ch, "events") : NULL;
	if (ls == NULL) {
		json_decref(f);
		if (ch != NULL)
			ovl_chan_reset(ch);
		return (cmd_fail(r, PROTO_E_CHANNEL, "cannot take the stream "
		    "channel"));
	}
	memset(&cbs, 0, sizeof(cbs));
	cbs.on_event = ev_event;
	cbs.on_end = ev_end;
	cbs.arg = ls;
	err = dk_events_stream(dk, json_object_size(f) > 0 ? f : NULL,
	    proto_param_int(r->params, "since", 0), 0, &cbs, &ls->s);
	json_decref(f);
	if (err != 0) {
		node_lstream_abort(ls);
		return (cmd_fail_docker(r, NULL, err));
	}
	ovl_chan_resume(ch);
	return (cmd_reply(r, NULL));
}
