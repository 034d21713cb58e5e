/*
 * Volume operations: list, inspect, create, remove and prune. Volume
 * names are escaped like container names.
 */
#include <stdlib.h>
#include <string.h>

#include "docker.h"

/* Lists volumes. */
int
dk_volume_list(struct dk_client *c, const json_t *filters, dk_req_cb *cb,
    void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	dk_path_init(&p, "/volumes", NULL, NULL);
	dk_path_add_json(&p, "filters", filters);
	rc = dk_path_request(c, &p, "GET", NULL, 0, cb, arg, reqp);
	dk_path_free(&p);
	return (rc);
}

/* Inspects a volume. */
int
dk_volume_inspect(struct dk_client *c, const char *name, dk_req_cb *cb,
    void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	dk_path_init(&p, "/volumes", name, "");
	rc = dk_path_request(c, &p, "GET", NULL, 0, cb, arg, reqp);
	dk_path_free(&p);
	return (rc);
}

/* Creates a volume. */
int
dk_volume_create(struct dk_client *c, const char *name, const char *driver,
    const char *const *labels, dk_req_cb *cb, void *arg,
    struct dk_req **reqp)
{
	struct dk_path p;
	json_t *b, *l;		/* owned */
	const char *eq;
	char *k;
	int rc;

	if (reqp != NULL)
		*reqp = NULL;
	b = json_pack("{s:s}", "Driver", driver != NULL ? driver : "local");
	l = json_object();
	if (b == NULL || l == NULL)
		goto oom;
	if (name != NULL && json_object_set_new(b, "Name",
	    json_string(name)) != 0)
		goto oom;
	for (; labels != NULL && *labels != NULL; labels++) {
		eq = strchr(*labels, '=');
		if (eq == NULL || eq == *labels) {
			json_decref(b);
			json_decref(l);
			return (-EINVAL);
		}
		k = strndup(*labels, (size_t)(eq - *labels));
		if (k == NULL || json_object_set_new(l, k,
		    json_string(eq + 1)) != 0) {
			free(k);
			goto oom;
		}
		free(k);
	}
	rc = json_object_set_new(b, "Labels", l);
	l = NULL;
	if (rc != 0)
		goto oom;
	dk_path_init(&p, "/volumes/create", NULL, NULL);
	rc = dk_path_request(c, &p, "POST", b, 0, cb, arg, reqp);
	dk_path_free(&p);
	json_decref(b);
	return (rc);
oom:
	json_decref(b);
	json_decref(l);
	return (-ENOMEM);
}

/* Removes a volume. */
int
dk_volume_remove(struct dk_client *c, const char *name, int force,
    dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	dk_path_init(&p, "/volumes", name, "");
	dk_path_add_bool(&p, "force", force);
	rc = dk_path_request(c, &p, "DELETE", NULL, 0, cb, arg, reqp);
	dk_path_free(&p);
	return (rc);
}

/* Removes unused volumes. */
int
dk_volume_prune(struct dk_client *c, const json_t *filters, dk_req_cb *cb,
    void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	dk_path_init(&p, "/volumes/prune", NULL, NULL);
	dk_path_add_json(&p, "filters", filters);
	rc = dk_path_request(c, &p, "POST", NULL, DK_REQ_NOTIMEOUT, cb, arg,
	    reqp);
	dk_path_free(&p);
	return (rc);
}
