/*
 * Files in and out of containers through the engine's archive endpoints:
 * HEAD for a path's stat (the X-Docker-Container-Path-Stat header),
 * GET for a tar of a path as a raw stream, PUT for a tar unpacked into a
 * directory as an upload fed by dk_req_send. The engine packs and
 * unpacks itself, so nothing is needed inside the container: not even a
 * started one (a created container's filesystem is there to read and
 * write, which volume backups rely on).
 */
#include <stdlib.h>
#include <string.h>

#include "dk-http.h"
#include "dk-stream.h"

/* Starts a request on /containers/{id}/archive?path=... */
static int
archive_request(struct dk_client *c, const char *id, const char *path,
    struct dk_path *p)
{
	if (id == NULL || *id == '\0' || path == NULL || *path == '\0')
		return (-EINVAL);
	dk_path_init(p, "/containers", id, "/archive");
	dk_path_add(p, "path", path);
	return (p->error);
}

/* HEAD /containers/{id}/archive; see docker.h. */
int
dk_archive_stat(struct dk_client *c, const char *id, const char *path,
    dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	if (reqp != NULL)
		*reqp = NULL;
	rc = archive_request(c, id, path, &p);
	if (rc == 0)
		rc = dk_path_request(c, &p, "HEAD", NULL, 0, cb, arg, reqp);
	dk_path_free(&p);
	return (rc);
}

/* The stat header of a finished HEAD or GET (borrowed), or NULL. */
const char *
dk_archive_stat_header(const struct dk_req *req)
{
	return (dk_req_header(req, "X-Docker-Container-Path-Stat"));
}

/* GET /containers/{id}/archive as a raw stream; see docker.h. */
int
dk_archive_get(struct dk_client *c, const char *id, const char *path,
    const struct dk_stream_cbs *cbs, struct dk_stream **sp)
{
	struct dk_stream *s;
	struct dk_path p;
	int rc;

	if (sp != NULL)
		*sp = NULL;
	if (cbs == NULL || cbs->on_chunk == NULL || cbs->on_end == NULL)
		return (-EINVAL);
	rc = archive_request(c, id, path, &p);
	if (rc != 0) {
		dk_path_free(&p);
		return (rc);
	}
	s = dk__stream_new(c, cbs, DK_SM_RAW, "archive");
	if (s == NULL) {
		dk_path_free(&p);
		return (-ENOMEM);
	}
	rc = dk__stream_start(s, "GET", p.buf);
	dk_path_free(&p);
	if (rc != 0) {
		dk__stream_free(s);
		return (rc);
	}
	if (sp != NULL)
		*sp = s;
	return (0);
}

/* PUT /containers/{id}/archive as an upload; see docker.h. */
int
dk_archive_put(struct dk_client *c, const char *id, const char *dir,
    int flags, dk_sent_cb *on_sent, dk_req_cb *cb, void *arg,
    struct dk_req **reqp)
{
	struct dk_req_opts o;
	struct dk_path p;
	int rc;

	if (reqp != NULL)
		*reqp = NULL;
	rc = archive_request(c, id, dir, &p);
	if (rc == 0) {
		dk_path_add_bool(&p, "noOverwriteDirNonDir",
		    flags & DK_ARCHIVE_NO_OVERWRITE_DIR);
		dk_path_add_bool(&p, "copyUIDGID", flags & DK_ARCHIVE_COPY_IDS);
		rc = p.error;
	}
	if (rc == 0) {
		memset(&o, 0, sizeof o);
		o.method = "PUT";
		o.path = p.buf;
		o.flags = DK_REQ_UPLOAD;
		o.on_sent = on_sent;
		o.content_type = "application/x-tar";
		rc = dk_request(c, &o, cb, arg, reqp);
	}
	dk_path_free(&p);
	return (rc);
}
