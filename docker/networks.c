/*
 * Network operations: list and inspect. Creating and connecting networks
 * is not needed by node/ yet.
 */
#include "docker.h"

/* Lists networks. */
int
dk_network_list(struct dk_client *c, const json_t *filters, dk_req_cb *cb,
    void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	dk_path_init(&p, "/networks", NULL, NULL);
	dk_path_add_json(&p, "filters", filters);
	rc = dk_path_request(c, &p, "GET", NULL, 0, cb, arg, reqp);
	dk_path_free(&p);
	return (rc);
}

/* Inspects a network. */
int
dk_network_inspect(struct dk_client *c, const char *id, dk_req_cb *cb,
    void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	dk_path_init(&p, "/networks", id, "");
	rc = dk_path_request(c, &p, "GET", NULL, 0, cb, arg, reqp);
	dk_path_free(&p);
	return (rc);
}
