/*
 * Shared helpers of the Docker client's tests (see dkt.h). They FAIL the
 * running case through the harness, so call them from the case itself,
 * never from a callback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "dkt.h"

/* The test image's tag. */
const char *
dkt_image(void)
{
	return (test_env("PIER_TEST_IMAGE", "pier-test/busybox:latest"));
}

/* Builds "name-pid" in a static buffer (tests are single-threaded). */
const char *
dkt_tag(const char *name)
{
	static char buf[128];

	(void)snprintf(buf, sizeof buf, "%s-%ld", name, (long)getpid());
	return (buf);
}

/* Fills a struct dkt_res. */
void
dkt_cb(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct dkt_res *res = arg;

	res->done++;
	res->status = status;
	res->http = dk_req_http_status(req);
	json_decref(res->result);
	res->result = result;
	(void)snprintf(res->msg, sizeof res->msg, "%s", dk_req_message(req));
}

/* Runs the loop until the request ended. */
void
dkt_wait(uv_loop_t *loop, struct dkt_res *res)
{
	while (res->done == 0)
		if (uv_run(loop, UV_RUN_ONCE) == 0 && res->done == 0)
			FAIL("the loop ran dry before the request ended");
}

/* Clears a result. */
void
dkt_reset(struct dkt_res *res)
{
	json_decref(res->result);
	memset(res, 0, sizeof *res);
}

/* Notes that a client finished closing. */
static void
closed_cb(void *arg)
{
	(*(int *)arg)++;
}

/* Closes a client and the loop. */
void
dkt_close(uv_loop_t *loop, struct dk_client *c)
{
	int closed = 0;

	dk_client_close(c, closed_cb, &closed);
	uv_run(loop, UV_RUN_DEFAULT);
	ASSERT_EQ(closed, 1);
	test_loop_close(loop);
}

/* Makes a client on the engine, or fails or skips saying why. */
struct dk_client *
dkt_client(uv_loop_t *loop)
{
	struct dk_endpoint ep;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	const char *opt = getenv("PIER_DOCKER_TESTS");
	char *cause = NULL;
	int rc;

	if (opt != NULL && strcmp(opt, "0") == 0)
		SKIP("PIER_DOCKER_TESTS=0: Docker engine tests turned off");
	ASSERT_OK(uv_loop_init(loop));
	rc = dk_endpoint_from_env(&ep, &cause);
	if (rc != 0)
		FAIL("DOCKER_HOST: %s", cause ? cause : "bad");
	rc = dk_client_new(loop, &ep, NULL, &c, &cause);
	dk_endpoint_clear(&ep);
	if (rc != 0)
		FAIL("dk_client_new: %d %s", rc, cause ? cause : "");
	ASSERT_OK(dk_ping(c, dkt_cb, &res, NULL));
	dkt_wait(loop, &res);
	if (res.status != 0) {
		dkt_close(loop, c);
		FAIL("no Docker engine answers (run tools/docker-engine, or "
		    "set PIER_DOCKER_TESTS=0 to skip): %s", res.msg);
	}
	dkt_reset(&res);
	return (c);
}

/* Creates a labelled container from the test image. */
char *
dkt_container(uv_loop_t *loop, struct dk_client *c, const char *tag,
    const char *name, const char *const *cmd, int start)
{
	static const char *const sleep_cmd[] = { "sleep", "600", NULL };
	char label[192];
	const char *labels[] = { "pier.test=1", label, NULL };
	struct dk_create_opts o = {
		.name = name,
		.image = dkt_image(),
		.cmd = cmd != NULL ? cmd : sleep_cmd,
		.labels = labels,
	};
	struct dkt_res res = { 0 };
	char *id;

	(void)snprintf(label, sizeof label, "pier.test.case=%s", tag);
	DKT(loop, res, dk_container_create(c, &o, dkt_cb, &res, NULL));
	if (res.status != 0)
		FAIL("create %s: %s", name ? name : "", res.msg);
	id = strdup(json_string_value(json_object_get(res.result, "Id")));
	ASSERT_NOT_NULL(id);
	if (start) {
		DKT(loop, res, dk_container_start(c, id, dkt_cb, &res, NULL));
		if (res.status != 0) {
			free(id);
			FAIL("start: %s", res.msg);
		}
	}
	dkt_reset(&res);
	return (id);
}

/* Removes this test's containers. */
void
dkt_cleanup(uv_loop_t *loop, struct dk_client *c, const char *tag)
{
	struct dkt_res res = { 0 }, rm = { 0 };
	char label[192];
	const char *kv[] = { label, NULL };
	json_t *f, *item;	/* owned, borrowed */
	size_t i;

	(void)snprintf(label, sizeof label, "label=pier.test.case=%s", tag);
	f = dk_filters(kv);
	ASSERT_NOT_NULL(f);
	dkt_reset(&res);
	if (dk_container_list(c, 1, f, dkt_cb, &res, NULL) != 0) {
		json_decref(f);
		FAIL("cleanup: list failed");
	}
	json_decref(f);
	dkt_wait(loop, &res);
	json_array_foreach(res.result, i, item) {
		DKT(loop, rm, dk_container_remove(c, json_string_value(
		    json_object_get(item, "Id")), 1, 1, dkt_cb, &rm, NULL));
	}
	dkt_reset(&rm);
	dkt_reset(&res);
}
