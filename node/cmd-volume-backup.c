/*
 * volume.backup and volume.restore: a volume's contents as a tar, with
 * nothing run and nothing needed in any image. The node creates a helper
 * container that mounts the volume at VB_MOUNT and is never started
 * (its command is never looked at), reads or writes it through the
 * engine's archive endpoints (archive-run.c) and removes it at the end,
 * whatever the outcome. Any image on the node serves as the helper's
 * (the smallest, unless the caller names one): the engine needs one to
 * create a container, but the mount hides whatever the image has there.
 *
 * Restore goes into a volume that is new (the engine creates it with
 * the helper) or empty, unless force: emptiness is read from the head of
 * the engine's tar of the mount, whose entries after the mount's own
 * "./" would be its contents.
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"

#define VB_MOUNT	"/pier-volume"
#define VB_PEEK_MAX	65536	/* bytes of tar read to see emptiness */
#define VB_BLOCK	512

/* One backup or restore being set up. */
struct vb {
	struct node		*n;
	struct cmd_req		*r;
	struct dk_client	*dk;
	int			 restore;
	int			 existed;	/* the volume was there */
	char			*image;
	char			*helper;	/* created container id */
	struct dk_stream	*peek;
	unsigned char		 head[VB_PEEK_MAX];
	size_t			 head_len;
};

static void	vb_step_create(struct vb *);

/* Frees the setup (the helper, if not handed on, is removed). */
static void
vb_free(struct vb *v)
{
	if (v->helper != NULL)
		node_archive_helper_remove(v->n, v->dk, v->helper);
	free(v->image);
	free(v->helper);
	free(v);
}

/* Fails the request and frees the setup. */
static void
vb_fail_docker(struct vb *v, const struct dk_req *req, int status)
{
	struct cmd_req	*r = v->r;

	r->data = NULL;
	vb_free(v);
	(void)cmd_fail_docker(r, req, status);
}

/*
 * Reads the tar's head: 1 when an entry follows the mount's own, 0 when
 * the tar ends first, -1 when more is needed.
 */
static int
vb_nonempty(const unsigned char *p, size_t len)
{
	size_t		 off = 0, size, i;
	int		 entries = 0;
	char		 num[13];

	while (off + VB_BLOCK <= len) {
		for (i = 0; i < VB_BLOCK && p[off + i] == 0; i++)
			;
		if (i == VB_BLOCK)
			return (0);	/* the end blocks */
		memcpy(num, p + off + 124, 12);
		num[12] = '\0';
		size = (size_t)strtoull(num, NULL, 8);
		if (strchr("xgLK", p[off + 156]) == NULL && ++entries > 1)
			return (1);
		off += VB_BLOCK + (size + VB_BLOCK - 1) / VB_BLOCK * VB_BLOCK;
	}
	return (len >= VB_PEEK_MAX ? 1 : -1);
}

/* The peek's bytes: kept until the answer is known. */
static void
vb_peek_chunk(struct dk_stream *s, int kind, const char *buf, size_t len,
    void *arg)
{
	struct vb	*v = arg;
	size_t		 n = VB_PEEK_MAX - v->head_len;

	if (n > len)
		n = len;
	memcpy(v->head + v->head_len, buf, n);
	v->head_len += n;
	if (vb_nonempty(v->head, v->head_len) >= 0)
		dk_stream_cancel(s);
}

/* The peek is over: restore into an empty volume, or refuse. */
static void
vb_peek_end(struct dk_stream *s, int status, const char *message,
    void *arg)
{
	struct vb	*v = arg;
	struct cmd_req	*r = v->r;
	char		*helper;

	v->peek = NULL;
	cmd_docker_done(r);
	if (status != 0 && status != DK_E_CANCELLED) {
		r->data = NULL;
		vb_free(v);
		(void)cmd_fail(r, cmd_stream_err_from_dk(status), "%s",
		    message != NULL ? message : "cannot read the volume");
		return;
	}
	if (vb_nonempty(v->head, v->head_len) != 0) {
		r->data = NULL;
		vb_free(v);
		(void)cmd_fail(r, PROTO_E_CONFLICT, "volume %s is not empty: "
		    "restore goes into a new or empty volume unless force",
		    proto_param_str(r->params, "id", ""));
		return;
	}
	helper = v->helper;
	v->helper = NULL;
	r->data = NULL;
	node_archive_in(r, v->dk, helper, VB_MOUNT, 0, helper, NULL);
	free(helper);
	vb_free(v);
}

/* The helper exists: stream out, peek, or stream in. */
static void
vb_created(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct vb		*v = arg;
	struct cmd_req		*r = v->r;
	struct dk_stream_cbs	 cbs;
	const char		*id;
	char			*helper;
	int			 err;

	cmd_docker_done(r);
	id = json_string_value(json_object_get(res, "Id"));
	if (status != 0 || id == NULL) {
		json_decref(res);
		vb_fail_docker(v, req, status != 0 ? status : DK_E_BAD_RESPONSE);
		return;
	}
	v->helper = strdup(id);
	json_decref(res);
	if (v->helper == NULL) {
		vb_fail_docker(v, NULL, DK_E_INTERNAL);
		return;
	}
	if (v->restore && v->existed &&
	    !proto_param_bool(r->params, "force", 0)) {
		memset(&cbs, 0, sizeof(cbs));
		cbs.on_chunk = vb_peek_chunk;
		cbs.on_end = vb_peek_end;
		cbs.arg = v;
		err = dk_archive_get(v->dk, v->helper, VB_MOUNT "/.", &cbs,
		    &v->peek);
		if (err != 0) {
			vb_fail_docker(v, NULL, err);
			return;
		}
		cmd_docker_wait_stream(r, v->peek);
		return;
	}
	helper = v->helper;
	v->helper = NULL;
	r->data = NULL;
	if (v->restore)
		node_archive_in(r, v->dk, helper, VB_MOUNT, 0, helper, NULL);
	else
		node_archive_out(r, v->dk, helper, VB_MOUNT "/.", helper,
		    json_pack("{s:s}", "volume", proto_param_str(r->params,
		    "id", "")));
	free(helper);
	vb_free(v);
}

/* Creates the helper: the image known, the volume mounted. */
static void
vb_step_create(struct vb *v)
{
	struct cmd_req	*r = v->r;
	struct dk_req	*req;
	json_t		*body;	/* owned */
	int		 err;

	body = json_pack("{s:s, s:[s], s:b, s:{s:s}, s:{s:[{s:s, s:s, s:s, "
	    "s:b, s:{s:b}}]}}",
	    "Image", v->image,
	    "Entrypoint", "/pier-helper-never-started",
	    "NetworkDisabled", 1,
	    "Labels", "pier.helper", r->method->name,
	    "HostConfig", "Mounts", "Type", "volume",
	    "Source", proto_param_str(r->params, "id", ""),
	    "Target", VB_MOUNT, "ReadOnly", !v->restore,
	    "VolumeOptions", "NoCopy", 1);
	if (body == NULL) {
		vb_fail_docker(v, NULL, DK_E_INTERNAL);
		return;
	}
	err = dk_container_create_json(v->dk, NULL, body, vb_created, v, &req);
	json_decref(body);
	if (err != 0) {
		vb_fail_docker(v, NULL, err);
		return;
	}
	(void)cmd_docker_wait(r, req, 0);
}

/* The images: the smallest becomes the helper's. */
static void
vb_images(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct vb	*v = arg;
	struct cmd_req	*r;
	const json_t	*img, *best = NULL;	/* borrowed */
	size_t		 i;

	cmd_docker_done(v->r);
	if (status != 0) {
		json_decref(res);
		vb_fail_docker(v, req, status);
		return;
	}
	json_array_foreach(res, i, img)
		if (best == NULL || json_integer_value(json_object_get(img,
		    "Size")) < json_integer_value(json_object_get(best,
		    "Size")))
			best = img;
	if (best != NULL)
		v->image = strdup(cmd_jstr(best, "Id"));
	json_decref(res);
	if (best == NULL) {
		v->r->data = NULL;
		r = v->r;
		vb_free(v);
		(void)cmd_fail(r, PROTO_E_NOTFOUND, "the node has no image "
		    "to create the helper container from: pull one (any, e.g. "
		    "busybox) or name one with image");
		return;
	}
	vb_step_create(v);
}

/* The volume's inspect: backup needs it; restore notes it. */
static void
vb_inspected(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct vb	*v = arg;
	struct dk_req	*next;
	int		 err;

	cmd_docker_done(v->r);
	json_decref(res);
	if (status == DK_E_NOT_FOUND && v->restore)
		v->existed = 0;
	else if (status != 0) {
		vb_fail_docker(v, req, status);
		return;
	} else
		v->existed = 1;
	if (v->image != NULL) {
		vb_step_create(v);
		return;
	}
	err = dk_image_list(v->dk, 0, NULL, vb_images, v, &next);
	if (err != 0) {
		vb_fail_docker(v, NULL, err);
		return;
	}
	(void)cmd_docker_wait(v->r, next, 0);
}

/* volume.backup and volume.restore: inspect the volume first. */
static enum cmd_retval
vb_start(struct cmd_req *r, int restore)
{
	struct dk_client	*dk;
	struct dk_req		*req = NULL;
	struct vb		*v;
	const char		*img;
	int			 err;

	cmd_set_target(r, "%s", proto_param_str(r->params, "id", ""));
	dk = cmd_docker(r);
	if (dk == NULL)
		return (CMD_ERROR);
	v = calloc(1, sizeof(*v));
	img = proto_param_str(r->params, "image", NULL);
	if (v == NULL || (img != NULL && (v->image = strdup(img)) == NULL)) {
		free(v);
		return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	}
	v->n = r->node;
	v->r = r;
	v->dk = dk;
	v->restore = restore;
	r->data = v;
	err = dk_volume_inspect(dk, proto_param_str(r->params, "id", ""),
	    vb_inspected, v, &req);
	if (err != 0) {
		r->data = NULL;
		vb_free(v);
	}
	return (cmd_docker_wait(r, req, err));
}

/* volume.backup: a tar of a volume's contents on the channel. */
enum cmd_retval
cmd_volume_backup(struct cmd_req *r)
{
	return (vb_start(r, 0));
}

/* volume.restore: the client's tar into a new or empty volume. */
enum cmd_retval
cmd_volume_restore(struct cmd_req *r)
{
	return (vb_start(r, 1));
}
