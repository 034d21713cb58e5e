/*
 * image.pull: pulls an image on the node and reports the engine's
 * progress on a JSON-lines channel, one {id, status, current, total}
 * line per update (current and total only when the engine gave them),
 * then {"end": {"id": IMAGE}} or {"error": {code, name, message}}. The
 * reply comes once the pull started; a pull the engine refuses at once
 * (no registry, unknown image) ends in the error line. The channel's
 * back-pressure pauses the engine's stream (node_lstream, cmd-events.c).
 * Its audit line is written when the pull ends, with its real outcome
 * (ok, failed with the engine's reason, or cancelled), not at the reply.
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* What the pull's end line needs. */
struct pull {
	struct node_lstream	*ls;
	struct cmd_req		*audit;	/* audited at the end, or NULL */
	char			 image[520];
};

/* One progress message of the engine. */
static void
pull_progress(struct dk_stream *s, const struct dk_pull_event *ev,
    void *arg)
{
	struct pull	*p = arg;
	json_t		*o;	/* owned */

	o = json_pack("{s:s, s:s}", "id", ev->id, "status", ev->status);
	if (o == NULL)
		return;
	if (ev->current >= 0)
		(void)json_object_set_new(o, "current",
		    json_integer(ev->current));
	if (ev->total >= 0)
		(void)json_object_set_new(o, "total", json_integer(ev->total));
	node_lstream_line(p->ls, o);
	json_decref(o);
}

/* The pull is over: the end line, or the engine's error. */
static void
pull_end(struct dk_stream *s, int status, const char *message, void *arg)
{
	struct pull	*p = arg;
	json_t		*last;	/* owned */
	int		 code = 0;

	if (status == 0)
		last = json_pack("{s:{s:s}}", "end", "id", p->image);
	else if (status == DK_E_CANCELLED)
		last = NULL;
	else
		last = node_lstream_error(status, message);
	/* The audit says what became of the pull, not that it started. */
	if (status == DK_E_CANCELLED)
		code = PROTO_E_CANCELLED;
	else if (status != 0)
		code = (int)json_integer_value(json_object_get(
		    json_object_get(last, "error"), "code"));
	cmd_audit_end(p->audit, status != 0 && code == 0 ? PROTO_E_DOCKER :
	    code, status == 0 ? NULL : message != NULL && message[0] != '\0' ?
	    message : dk_strerror(status));
	node_log(&p->ls->n->log, status == 0 ? NODE_LOG_INFO : NODE_LOG_WARN,
	    "pull of %s: %s", p->image, status == 0 ? "done" : message !=
	    NULL && message[0] != '\0' ? message : dk_strerror(status));
	node_lstream_end(p->ls, last);
	json_decref(last);
	free(p);
}

/* image.pull: start the pull, reply, then progress on the channel. */
enum cmd_retval
cmd_image_pull(struct cmd_req *r)
{
	struct dk_stream_cbs	 cbs;
	struct dk_client	*dk;
	struct ovl_chan		*ch;
	struct pull		*p;
	const char		*image;
	char			 label[600];
	int			 err;

	image = proto_param_str(r->params, "image", "");
	cmd_set_target(r, "%s", image);
	if (proto_param_str(r->params, "platform", NULL) != NULL)
		return (cmd_fail(r, PROTO_E_PARAMS, "params.platform: pulling "
		    "for another platform is not supported yet"));
	dk = cmd_docker(r);
	if (dk == NULL)
		return (CMD_ERROR);
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	snprintf(p->image, sizeof(p->image), "%s", image);
	snprintf(label, sizeof(label), "pull of %s", image);
	ch = cmd_take_chan(r);
	p->ls = ch != NULL ? node_lstream_new(r->node, ch, label) : NULL;
	if (p->ls == NULL) {
		free(p);
		if (ch != NULL)
			ovl_chan_reset(ch);
		return (cmd_fail(r, PROTO_E_CHANNEL, "cannot take the stream "
		    "channel"));
	}
	memset(&cbs, 0, sizeof(cbs));
	cbs.on_pull = pull_progress;
	cbs.on_end = pull_end;
	cbs.arg = p;
	err = dk_image_pull(dk, image, NULL, &cbs, &p->ls->s);
	if (err != 0) {
		node_lstream_abort(p->ls);
		free(p);
		return (cmd_fail_docker(r, NULL, err));
	}
	ovl_chan_resume(ch);
	p->audit = cmd_audit_later(r);
	return (cmd_reply(r, NULL));
}
