/*
 * container.statpath, container.download and container.upload: what
 * `pier cp` needs, as `docker cp` has it from the engine's archive
 * endpoints. A path is read with HEAD first, so a missing one is an
 * ordinary error reply and the client knows a file from a directory
 * before any byte of tar; the tar itself moves in archive-run.c.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "node.h"

#define STAT_HDR_MAX	8192	/* base64 bytes of a path's stat */

/* Go's os.FileMode bits the engine's stat carries. */
#define GO_MODE_DIR		(1u << 31)
#define GO_MODE_SYMLINK		(1u << 27)
#define GO_MODE_SETUID		(1u << 23)
#define GO_MODE_SETGID		(1u << 22)
#define GO_MODE_STICKY		(1u << 20)
#define GO_MODE_OTHER		(0xffu << 20 & ~(GO_MODE_SETUID | \
	GO_MODE_SETGID | GO_MODE_STICKY) & ~GO_MODE_SYMLINK)

/*
 * The engine's stat header as {name, size, mode, type, mtime,
 * link_target} (a new reference), or NULL when it is not one.
 */
json_t *
node_archive_stat(const char *hdr)
{
	unsigned char	*raw;
	size_t		 len;
	json_t		*o, *res;	/* owned */
	json_int_t	 m;
	unsigned	 mode, perm;
	const char	*type;

	if (hdr == NULL || strlen(hdr) > STAT_HDR_MAX)
		return (NULL);
	raw = malloc(STAT_HDR_MAX);
	if (raw == NULL)
		return (NULL);
	if (sodium_base642bin(raw, STAT_HDR_MAX, hdr, strlen(hdr), NULL,
	    &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
		free(raw);
		return (NULL);
	}
	o = json_loadb((const char *)raw, len, 0, NULL);
	free(raw);
	if (!json_is_object(o) || !json_is_integer(json_object_get(o,
	    "mode"))) {
		json_decref(o);
		return (NULL);
	}
	m = json_integer_value(json_object_get(o, "mode"));
	mode = (unsigned)m;
	perm = mode & 0777;
	if (mode & GO_MODE_SETUID)
		perm |= 04000;
	if (mode & GO_MODE_SETGID)
		perm |= 02000;
	if (mode & GO_MODE_STICKY)
		perm |= 01000;
	if (mode & GO_MODE_DIR)
		type = "dir";
	else if (mode & GO_MODE_SYMLINK)
		type = "symlink";
	else if (mode & GO_MODE_OTHER)
		type = "other";
	else
		type = "file";
	res = json_pack("{s:s, s:I, s:i, s:s, s:s, s:s}",
	    "name", cmd_jstr(o, "name"),
	    "size", json_is_integer(json_object_get(o, "size")) ?
	    json_integer_value(json_object_get(o, "size")) : (json_int_t)0,
	    "mode", (int)perm, "type", type,
	    "mtime", cmd_jstr(o, "mtime"),
	    "link_target", cmd_jstr(o, "linkTarget"));
	json_decref(o);
	return (res);
}

/* What a statpath or download call goes on with, once stat is known. */
struct astat {
	char	 id[80];
	int	 copy;		/* download: stream the tar next */
};

/* The engine's answer to the HEAD: the stat, then maybe the tar. */
static void
as_done(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct cmd_req	*r = arg;
	struct astat	*as = r->data;
	const char	*path = proto_param_str(r->params, "path", "");
	json_t		*st;	/* owned */
	struct dk_client *dk = dk_req_client(req);

	cmd_docker_done(r);
	json_decref(res);
	if (status == DK_E_NOT_FOUND) {
		free(as);
		(void)cmd_fail(r, PROTO_E_NOTFOUND, "%s: no such file or "
		    "directory in the container (or no such container)", path);
		return;
	}
	if (status != 0) {
		free(as);
		(void)cmd_fail_docker(r, req, status);
		return;
	}
	st = node_archive_stat(dk_archive_stat_header(req));
	if (st == NULL) {
		free(as);
		(void)cmd_fail(r, PROTO_E_DOCKER, "the engine's stat of %s "
		    "cannot be read", path);
		return;
	}
	if (!as->copy) {
		free(as);
		(void)cmd_reply(r, st);
		return;
	}
	r->data = NULL;
	node_archive_out(r, dk, as->id, path, NULL, json_pack("{s:o}",
	    "stat", st));
	free(as);
}

/* The container is known: HEAD its path. */
static void
as_resolved(struct cmd_req *r, const char *id, const char *name, void *arg)
{
	struct dk_client	*dk;
	struct dk_req		*req;
	struct astat		*as;
	int			 err;

	dk = cmd_docker(r);
	if (dk == NULL)
		return;
	as = calloc(1, sizeof(*as));
	if (as == NULL) {
		(void)cmd_fail(r, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	snprintf(as->id, sizeof(as->id), "%s", id);
	as->copy = arg != NULL;
	r->data = as;
	err = dk_archive_stat(dk, id, proto_param_str(r->params, "path", ""),
	    as_done, r, &req);
	if (err != 0)
		free(as);
	(void)cmd_docker_wait(r, req, err);
}

/* container.statpath: what a path in a container is. */
enum cmd_retval
cmd_container_statpath(struct cmd_req *r)
{
	const char	*c = proto_param_str(r->params, "id", "");

	cmd_set_target(r, "%s:%s", c, proto_param_str(r->params, "path", ""));
	return (node_resolve_container(r, c, as_resolved, NULL));
}

/* container.download: a tar of a path in a container, on the channel. */
enum cmd_retval
cmd_container_download(struct cmd_req *r)
{
	const char	*c = proto_param_str(r->params, "id", "");

	cmd_set_target(r, "%s:%s", c, proto_param_str(r->params, "path", ""));
	return (node_resolve_container(r, c, as_resolved, r));
}

/* The container is known: take the tar into its directory. */
static void
ct_resolved(struct cmd_req *r, const char *id, const char *name, void *arg)
{
	struct dk_client	*dk;
	int			 flags = 0;

	dk = cmd_docker(r);
	if (dk == NULL)
		return;
	if (!proto_param_bool(r->params, "overwrite_dir_non_dir", 0))
		flags |= DK_ARCHIVE_NO_OVERWRITE_DIR;
	if (proto_param_bool(r->params, "copy_uid_gid", 0))
		flags |= DK_ARCHIVE_COPY_IDS;
	node_archive_in(r, dk, id, proto_param_str(r->params, "path", ""),
	    flags, NULL, NULL);
}

/* container.upload: the client's tar unpacked into a directory. */
enum cmd_retval
cmd_container_upload(struct cmd_req *r)
{
	const char	*c = proto_param_str(r->params, "id", "");

	cmd_set_target(r, "%s:%s", c, proto_param_str(r->params, "path", ""));
	return (node_resolve_container(r, c, ct_resolved, NULL));
}
