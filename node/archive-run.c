/*
 * A tar between a stream channel and a container's filesystem, through
 * the engine's archive endpoints: container.download and volume.backup
 * send one (GET), container.upload and volume.restore receive one (PUT).
 * The engine packs and unpacks; the node only moves bytes, so it never
 * reads a path of the container itself and cannot be led out of it.
 *
 * Out (GET): the engine's bytes become STDOUT frames, then END, or ERROR
 * when the engine failed midway. A channel that will not take a chunk
 * pauses the engine's stream until it drains (one chunk held), as
 * container.logs does.
 *
 * In (PUT): the client's STDIN frames go to the upload in order and its
 * FIN ends the tar; the engine's answer comes last as EXIT 0 or ERROR.
 * Input the upload's buffer (DK_UPLOAD_MAX) cannot take is held with the
 * channel paused until the upload has room (on_sent), so a fast client
 * is held by credit. A client that leaves first cancels the upload: the
 * engine gets a cut tar and refuses it.
 *
 * Memory: one chunk of the engine's (out), or DK_UPLOAD_MAX plus one
 * record's frames (in), whatever the size of the tar.
 *
 * A run may own a helper container (volume backups): it is removed
 * (forced) once the run is over, whatever the outcome.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

#define ARUN_IN_STEP	16384	/* input given to the upload at once */

/* One archive run. */
struct arun {
	struct node		*n;
	struct dk_client	*dk;
	struct node_fwriter	 fw;
	struct dk_stream	*s;	/* out: the engine's tar */
	struct dk_req		*req;	/* in: the upload */
	struct cmd_req		*audit;	/* in: its audit, at the end */
	struct proto_fdec	 fdec;
	char			*in;	/* input the upload did not take */
	size_t			 in_len;
	char			*helper;	/* container to remove, or NULL */
	char			 what[160];	/* for the log */
	unsigned		 in_eof:1;
	unsigned		 ended:1;	/* out: the stream ended */
	unsigned		 freeing:1;
	unsigned		 busy;	/* inside a call that may close */
	int			 end_code;
	char			*end_msg;
};

/* The helper container is removed (or could not be): log only. */
static void
ar_helper_removed(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct node	*n = arg;

	json_decref(res);
	if (status != 0 && status != DK_E_NOT_FOUND)
		node_log(&n->log, NODE_LOG_WARN, "archive: cannot remove "
		    "the helper container: %s", dk_req_message(req));
}

/* Removes a helper container (forced), logging a failure only. */
void
node_archive_helper_remove(struct node *n, struct dk_client *dk,
    const char *id)
{
	if (dk_container_remove(dk, id, 1, 0, ar_helper_removed, n, NULL) != 0)
		node_log(&n->log, NODE_LOG_WARN, "archive: cannot remove "
		    "helper container %s", id);
}

/* Frees the run once neither the channel nor the engine holds it. */
static void
ar_maybe_free(struct arun *ar)
{
	if (ar->fw.ch != NULL || ar->s != NULL || ar->req != NULL ||
	    ar->freeing || ar->busy > 0)
		return;
	ar->freeing = 1;
	node_log(&ar->n->log, NODE_LOG_INFO, "%s: over (%llu bytes)",
	    ar->what, (unsigned long long)ar->fw.bytes);
	if (ar->helper != NULL)
		node_archive_helper_remove(ar->n, ar->dk, ar->helper);
	if (ar->audit != NULL)
		cmd_audit_end(ar->audit, ar->end_code, ar->end_msg);
	node_fwriter_free(&ar->fw);
	free(ar->in);
	free(ar->helper);
	free(ar->end_msg);
	free(ar);
}

/* Keeps the first failure of the run. */
static void
ar_set_end(struct arun *ar, int code, const char *msg)
{
	if (ar->end_code != 0)
		return;
	ar->end_code = code;
	free(ar->end_msg);
	ar->end_msg = strdup(msg != NULL && *msg != '\0' ? msg :
	    proto_strerror(code));
}

/* Out: the last frame once nothing is held. */
static void
ar_out_finish(struct arun *ar)
{
	if (ar->end_code == 0)
		node_fwriter_end(&ar->fw, PROTO_FRAME_END, NULL, 0);
	else
		node_fwriter_error(&ar->fw, ar->end_code, ar->end_msg);
}

/* Out: a chunk of the tar; the stream waits while the channel is full. */
static void
ar_chunk(struct dk_stream *s, int kind, const char *buf, size_t len,
    void *arg)
{
	struct arun	*ar = arg;

	if (ar->fw.ch != NULL && node_fwriter_write(&ar->fw,
	    PROTO_FRAME_STDOUT, buf, len) == -ENOBUFS)
		dk_stream_pause(s);
}

/* Out: the engine's stream is over. */
static void
ar_out_end(struct dk_stream *s, int status, const char *message, void *arg)
{
	struct arun	*ar = arg;

	ar->s = NULL;
	ar->ended = 1;
	if (status != 0 && status != DK_E_CANCELLED)
		ar_set_end(ar, cmd_stream_err_from_dk(status), message);
	ar->busy++;	/* the end may close the channel under us */
	if (ar->fw.held_len == 0)
		ar_out_finish(ar);
	ar->busy--;
	ar_maybe_free(ar);
}

/* The channel has room: what is held, then the engine again. */
static void
ar_drain(struct ovl_chan *ch, void *arg)
{
	struct arun	*ar = arg;

	if (!node_fwriter_drain(&ar->fw))
		return;
	if (ar->s != NULL)
		dk_stream_resume(ar->s);
	else if (ar->ended)
		ar_out_finish(ar);
}

/* The channel ended: the client left or read the end. */
static void
ar_chan_close(struct ovl_chan *ch, int status, void *arg)
{
	struct arun	*ar = arg;

	ar->fw.ch = NULL;
	if (ar->s != NULL)
		dk_stream_cancel(ar->s);
	if (ar->req != NULL) {
		ar_set_end(ar, PROTO_E_CANCELLED, "the client left before "
		    "the end of the tar");
		dk_req_cancel(ar->req);
	}
	ar_maybe_free(ar);
}

/*
 * In: gives held input to the upload; 1 while some is left (wait for
 * on_sent), else 0 (and the end of the tar once the client's FIN came).
 */
static int
ar_in_give(struct arun *ar)
{
	size_t	n = 0, len;
	int	err;

	while (n < ar->in_len && ar->req != NULL) {
		len = ar->in_len - n;
		if (len > ARUN_IN_STEP)
			len = ARUN_IN_STEP;
		err = dk_req_send(ar->req, ar->in + n, len);
		if (err == -ENOBUFS)
			break;
		n += len;	/* taken, or the upload is over: dropped */
	}
	if (ar->req == NULL)
		n = ar->in_len;
	memmove(ar->in, ar->in + n, ar->in_len - n);
	ar->in_len -= n;
	if (ar->in_len > 0)
		return (1);
	if (ar->in_eof && ar->req != NULL)
		dk_req_send_end(ar->req);
	return (0);
}

/* In: the upload has room again. */
static void
ar_sent(struct dk_req *req, void *arg)
{
	struct arun	*ar = arg;

	if (ar_in_give(ar) == 0 && ar->fw.ch != NULL && !ar->in_eof)
		ovl_chan_resume(ar->fw.ch);
}

/* In: one frame of the client's; STDIN is the tar, others are ignored. */
static int
ar_in_frame(void *arg, enum proto_frame type, const uint8_t *data,
    size_t len)
{
	struct arun	*ar = arg;
	char		*p;

	if (type != PROTO_FRAME_STDIN || ar->in_eof)
		return (0);
	p = realloc(ar->in, ar->in_len + len);
	if (p == NULL)
		return (-ENOMEM);
	memcpy(p + ar->in_len, data, len);
	ar->in = p;
	ar->in_len += len;
	return (0);
}

/* In: the client's bytes, STDIN frames, then FIN for the tar's end. */
static void
ar_in_data(struct ovl_chan *ch, const uint8_t *buf, size_t len, void *arg)
{
	struct arun	*ar = arg;

	if (len == 0) {
		if (ovl_chan_finished(ch))
			return;		/* the answer to our FIN */
		ar->in_eof = 1;
		if (ar->in_len == 0 && ar->req != NULL)
			dk_req_send_end(ar->req);
		return;
	}
	if (proto_fdec_feed(&ar->fdec, buf, len, ar_in_frame, ar) != 0) {
		ovl_chan_reset(ch);	/* a broken stream */
		return;
	}
	if (ar_in_give(ar))
		ovl_chan_pause(ch);
}

/* In: the engine answered the upload. */
static void
ar_put_done(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct arun	*ar = arg;
	const char	*msg = dk_req_message(req);

	json_decref(res);
	ar->req = NULL;
	if (status != 0 && status != DK_E_CANCELLED)
		ar_set_end(ar, cmd_err_from_dk(status), msg);
	else if (status == 0 && !ar->in_eof)
		ar_set_end(ar, PROTO_E_DOCKER, "the engine ended the upload "
		    "before the end of the tar");
	ar->busy++;	/* the end may close the channel under us */
	if (ar->end_code == 0)
		node_fwriter_exit(&ar->fw, 0);
	else
		node_fwriter_error(&ar->fw, ar->end_code, ar->end_msg);
	ar->busy--;
	ar_maybe_free(ar);
}

static const struct ovl_chan_cbs ar_out_cbs = {
	.on_data = cmd_out_chan_data,
	.on_drain = ar_drain,
	.on_close = ar_chan_close,
};

static const struct ovl_chan_cbs ar_in_cbs = {
	.on_data = ar_in_data,
	.on_close = ar_chan_close,
};

/* Makes a run for r and takes r's channel; NULL with r failed. */
static struct arun *
ar_new(struct cmd_req *r, struct dk_client *dk, const char *helper,
    const char *what)
{
	struct arun	*ar;

	ar = calloc(1, sizeof(*ar));
	if (ar == NULL || (helper != NULL &&
	    (ar->helper = strdup(helper)) == NULL)) {
		free(ar);
		(void)cmd_fail(r, PROTO_E_INTERNAL, "out of memory");
		return (NULL);
	}
	ar->n = r->node;
	ar->dk = dk;
	proto_fdec_init(&ar->fdec);
	snprintf(ar->what, sizeof(ar->what), "%s", what);
	ar->fw.ch = cmd_take_chan(r);
	if (ar->fw.ch == NULL) {
		free(ar->helper);
		free(ar);
		(void)cmd_fail(r, PROTO_E_CHANNEL, "the stream channel is "
		    "gone");
		return (NULL);
	}
	return (ar);
}

/* Starts sending a tar of path; see node.h. */
void
node_archive_out(struct cmd_req *r, struct dk_client *dk, const char *cid,
    const char *path, const char *helper, json_t *result)
{
	struct dk_stream_cbs	 cbs;
	struct arun		*ar;
	int			 err;

	ar = ar_new(r, dk, helper, r->method->name);
	if (ar == NULL) {
		json_decref(result);
		return;
	}
	ovl_chan_set_cbs(ar->fw.ch, &ar_out_cbs, ar);
	memset(&cbs, 0, sizeof(cbs));
	cbs.on_chunk = ar_chunk;
	cbs.on_end = ar_out_end;
	cbs.arg = ar;
	err = dk_archive_get(dk, cid, path, &cbs, &ar->s);
	if (err != 0) {
		ar->s = NULL;
		json_decref(result);
		(void)cmd_fail_docker(r, NULL, err);
		ovl_chan_reset(ar->fw.ch);	/* frees ar */
		return;
	}
	ovl_chan_resume(ar->fw.ch);
	(void)cmd_reply(r, result);
}

/* Starts receiving a tar into dir; see node.h. */
void
node_archive_in(struct cmd_req *r, struct dk_client *dk, const char *cid,
    const char *dir, int flags, const char *helper, json_t *result)
{
	struct arun	*ar;
	int		 err;

	ar = ar_new(r, dk, helper, r->method->name);
	if (ar == NULL) {
		json_decref(result);
		return;
	}
	ovl_chan_set_cbs(ar->fw.ch, &ar_in_cbs, ar);
	err = dk_archive_put(dk, cid, dir, flags, ar_sent, ar_put_done, ar,
	    &ar->req);
	if (err != 0) {
		ar->req = NULL;
		json_decref(result);
		(void)cmd_fail_docker(r, NULL, err);
		ovl_chan_reset(ar->fw.ch);	/* frees ar */
		return;
	}
	ovl_chan_resume(ar->fw.ch);
	ar->audit = cmd_audit_later(r);
	(void)cmd_reply(r, result);
}
