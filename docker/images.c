/*
 * Image operations: list, inspect, history, tag, remove and prune. Pull
 * is a stream with per-layer progress and lives with the streams.
 * Image references keep their '/', ':' and '@' in the path; everything
 * else in them is escaped.
 */
#include "docker.h"

/* Sends a request about one image. */
static int
one(struct dk_client *c, const char *method, const char *name,
    const char *suffix, dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	dk_path_init_image(&p, "/images", name, suffix);
	rc = dk_path_request(c, &p, method, NULL, 0, cb, arg, reqp);
	dk_path_free(&p);
	return (rc);
}

/* Lists images. */
int
dk_image_list(struct dk_client *c, int all, const json_t *filters,
    dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	dk_path_init(&p, "/images/json", NULL, NULL);
	dk_path_add_bool(&p, "all", all);
	dk_path_add_json(&p, "filters", filters);
	rc = dk_path_request(c, &p, "GET", NULL, 0, cb, arg, reqp);
	dk_path_free(&p);
	return (rc);
}

/* Inspects an image. */
int
dk_image_inspect(struct dk_client *c, const char *name, dk_req_cb *cb,
    void *arg, struct dk_req **reqp)
{
	return (one(c, "GET", name, "/json", cb, arg, reqp));
}

/* Lists an image's layers. */
int
dk_image_history(struct dk_client *c, const char *name, dk_req_cb *cb,
    void *arg, struct dk_req **reqp)
{
	return (one(c, "GET", name, "/history", cb, arg, reqp));
}

/* Tags an image. */
int
dk_image_tag(struct dk_client *c, const char *name, const char *repo,
    const char *tag, dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	if (repo == NULL || repo[0] == '\0')
		return (-EINVAL);
	dk_path_init_image(&p, "/images", name, "/tag");
	dk_path_add(&p, "repo", repo);
	dk_path_add(&p, "tag", tag != NULL ? tag : "latest");
	rc = dk_path_request(c, &p, "POST", NULL, 0, cb, arg, reqp);
	dk_path_free(&p);
	return (rc);
}

/* Removes an image. */
int
dk_image_remove(struct dk_client *c, const char *name, int force,
    int noprune, dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	dk_path_init_image(&p, "/images", name, NULL);
	dk_path_add_bool(&p, "force", force);
	dk_path_add_bool(&p, "noprune", noprune);
	rc = dk_path_request(c, &p, "DELETE", NULL, 0, cb, arg, reqp);
	dk_path_free(&p);
	return (rc);
}

/* Removes unused images. */
int
dk_image_prune(struct dk_client *c, const json_t *filters, dk_req_cb *cb,
    void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	dk_path_init(&p, "/images/prune", NULL, NULL);
	dk_path_add_json(&p, "filters", filters);
	rc = dk_path_request(c, &p, "POST", NULL, DK_REQ_NOTIMEOUT, cb, arg,
	    reqp);
	dk_path_free(&p);
	return (rc);
}
