/*
 * System operations against the real engine: ping settles the API
 * version (the engine's or ours, whichever is lower, never below the
 * floor), and version, info and disk usage come back as the engine's
 * JSON. A pinned DOCKER_API_VERSION below the floor is refused.
 */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "dkt.h"

/* Ping reports the engine's version and OS; the client keeps it. */
static void
test_ping(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	const char *v;

	c = dkt_client(&loop);
	DKT(&loop, res, dk_ping(c, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(res.http, 200);
	v = json_string_value(json_object_get(res.result, "ApiVersion"));
	ASSERT_NOT_NULL(v);
	ASSERT_STREQ(json_string_value(json_object_get(res.result,
	    "OSType")), "linux");
	ASSERT(json_is_boolean(json_object_get(res.result, "Experimental")));
	ASSERT_NOT_NULL(dk_client_api_version(c));
	/* Ours is the lower of the two. */
	ASSERT(strcmp(dk_client_api_version(c), DK_API_VERSION) <= 0);
	ASSERT(strcmp(dk_client_api_version(c), v) <= 0);
	ASSERT(strcmp(dk_client_api_version(c), DK_API_VERSION_MIN) >= 0);
	dkt_reset(&res);
	dkt_close(&loop, c);
}

/* Version, info and disk usage. */
static void
test_version_info_df(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dkt_res res = { 0 };

	c = dkt_client(&loop);
	DKT(&loop, res, dk_version(c, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT_NOT_NULL(json_string_value(json_object_get(res.result,
	    "Version")));
	ASSERT_NOT_NULL(json_string_value(json_object_get(res.result,
	    "ApiVersion")));
	ASSERT(json_is_array(json_object_get(res.result, "Components")));

	DKT(&loop, res, dk_info(c, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT(json_is_integer(json_object_get(res.result, "Containers")));
	ASSERT_NOT_NULL(json_string_value(json_object_get(res.result,
	    "ServerVersion")));
	ASSERT_GE(json_integer_value(json_object_get(res.result, "NCPU")), 1);

	DKT(&loop, res, dk_disk_usage(c, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT(json_is_array(json_object_get(res.result, "Images")));
	ASSERT_GE(json_array_size(json_object_get(res.result, "Images")), 1);
	ASSERT(json_is_integer(json_object_get(res.result, "LayersSize")));
	dkt_reset(&res);
	dkt_close(&loop, c);
}

/* A pinned version is used as is; one below the floor is refused. */
static void
test_pinned_version(void)
{
	uv_loop_t loop, l2;
	struct dk_client *c, *c2;
	struct dk_endpoint ep;
	struct dkt_res res = { 0 };
	char *cause = NULL;

	c = dkt_client(&loop);
	ASSERT_OK(dk_endpoint_copy(&ep, dk_client_endpoint(c)));
	ep.api_version = strdup("1.40");
	ASSERT_EQ(dk_client_new(&loop, &ep, NULL, &c2, &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "older than the oldest");
	free(cause);
	free(ep.api_version);
	ep.api_version = strdup("1.41");
	ASSERT_OK(uv_loop_init(&l2));
	ASSERT_OK(dk_client_new(&l2, &ep, NULL, &c2, &cause));
	dk_endpoint_clear(&ep);
	ASSERT_STREQ(dk_client_api_version(c2), "1.41");
	DKT(&l2, res, dk_info(c2, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	dkt_reset(&res);
	dkt_close(&l2, c2);
	dkt_close(&loop, c);
}

/* A hundred requests at once, on as many connections, all answered. */
static void
test_parallel(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dkt_res res[100];
	int i, done = 0, alive = 1;

	memset(res, 0, sizeof res);
	c = dkt_client(&loop);
	for (i = 0; i < 100; i++)
		ASSERT_OK(dk_version(c, dkt_cb, &res[i], NULL));
	ASSERT_EQ(dk_client_pending(c), 100);
	while (done < 100) {
		if (!alive)
			FAIL("the loop ran dry with requests pending");
		alive = uv_run(&loop, UV_RUN_ONCE);
		for (done = 0, i = 0; i < 100; i++)
			done += res[i].done;
	}
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(res[i].done, 1);
		ASSERT_EQ(res[i].status, 0);
		ASSERT_NOT_NULL(json_object_get(res[i].result, "Version"));
		dkt_reset(&res[i]);
	}
	ASSERT_EQ(dk_client_pending(c), 0);
	dkt_close(&loop, c);
}

TEST_MAIN(
	T(test_ping),
	T(test_parallel),
	T(test_version_info_df),
	T(test_pinned_version),
)
