/*
 * Image operations against the real engine: list, inspect and history of
 * the test image, a tag made, inspected and removed again, an image's
 * errors, and prune (limited by a label no image has, so nothing of
 * anyone's is removed).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "dkt.h"

/* List, inspect and history of the test image. */
static void
test_list_inspect_history(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	const char *kv[] = { NULL, NULL };
	char ref[160];
	json_t *f;

	c = dkt_client(&loop);
	(void)snprintf(ref, sizeof ref, "reference=%s", dkt_image());
	kv[0] = ref;
	f = dk_filters(kv);
	DKT(&loop, res, dk_image_list(c, 0, f, dkt_cb, &res, NULL));
	json_decref(f);
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(json_array_size(res.result), 1);
	DKT(&loop, res, dk_image_list(c, 1, NULL, dkt_cb, &res, NULL));
	ASSERT_GE(json_array_size(res.result), 1);

	DKT(&loop, res, dk_image_inspect(c, dkt_image(), dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(json_string_value(json_object_get(res.result, "Os")),
	    "linux");
	ASSERT_CONTAINS(json_string_value(json_array_get(json_object_get(
	    res.result, "RepoTags"), 0)), "pier-test/busybox");

	DKT(&loop, res, dk_image_history(c, dkt_image(), dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT_GE(json_array_size(res.result), 1);
	dkt_reset(&res);
	dkt_close(&loop, c);
}

/* A tag is made, seen and removed; removing it again is not found. */
static void
test_tag_remove(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	char repo[96], ref[128];
	json_t *it;
	size_t i;
	int untagged = 0;

	c = dkt_client(&loop);
	(void)snprintf(repo, sizeof repo, "pier-test/tag-%ld",
	    (long)getpid());
	(void)snprintf(ref, sizeof ref, "%s:t1", repo);
	DKT(&loop, res, dk_image_tag(c, dkt_image(), repo, "t1", dkt_cb,
	    &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(res.http, 201);
	DKT(&loop, res, dk_image_inspect(c, ref, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	DKT(&loop, res, dk_image_remove(c, ref, 0, 0, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	json_array_foreach(res.result, i, it)
		if (json_object_get(it, "Untagged") != NULL)
			untagged++;
	ASSERT_EQ(untagged, 1);
	DKT(&loop, res, dk_image_remove(c, ref, 0, 0, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, DK_E_NOT_FOUND);
	ASSERT_CONTAINS(res.msg, "No such image");
	DKT(&loop, res, dk_image_inspect(c, "pier-test/none:x", dkt_cb, &res,
	    NULL));
	ASSERT_EQ(res.status, DK_E_NOT_FOUND);
	ASSERT_CONTAINS(res.msg, "No such image: pier-test/none:x");
	/* The test image stays. */
	DKT(&loop, res, dk_image_inspect(c, dkt_image(), dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	dkt_reset(&res);
	dkt_close(&loop, c);
}

/* An image a container uses cannot be removed without force. */
static void
test_remove_in_use(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	const char *tag = dkt_tag("images");
	char *id, repo[96], ref[128];

	c = dkt_client(&loop);
	(void)snprintf(repo, sizeof repo, "pier-test/inuse-%ld",
	    (long)getpid());
	(void)snprintf(ref, sizeof ref, "%s:latest", repo);
	DKT(&loop, res, dk_image_tag(c, dkt_image(), repo, NULL, dkt_cb,
	    &res, NULL));
	ASSERT_EQ(res.status, 0);
	id = dkt_container(&loop, c, tag, NULL, NULL, 0);
	DKT(&loop, res, dk_image_inspect(c, ref, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	/* Removing by id while two tags point at it is a conflict. */
	(void)snprintf(ref, sizeof ref, "%s", json_string_value(
	    json_object_get(res.result, "Id")));
	DKT(&loop, res, dk_image_remove(c, ref, 0, 0, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, DK_E_CONFLICT);
	ASSERT_EQ(res.http, 409);
	(void)snprintf(ref, sizeof ref, "%s:latest", repo);
	DKT(&loop, res, dk_image_remove(c, ref, 0, 1, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	dkt_cleanup(&loop, c, tag);
	free(id);
	dkt_reset(&res);
	dkt_close(&loop, c);
}

/* Prune answers with what it removed (nothing, by our filter). */
static void
test_prune(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	const char *kv[] = { "label=pier.test.none=1", "dangling=true", NULL };
	json_t *f;

	c = dkt_client(&loop);
	f = dk_filters(kv);
	DKT(&loop, res, dk_image_prune(c, f, dkt_cb, &res, NULL));
	json_decref(f);
	ASSERT_EQ(res.status, 0);
	ASSERT(json_is_integer(json_object_get(res.result,
	    "SpaceReclaimed")));
	ASSERT_EQ(json_integer_value(json_object_get(res.result,
	    "SpaceReclaimed")), 0);
	dkt_reset(&res);
	dkt_close(&loop, c);
}

/* Removes what a failed case may have left. */
static void
test_zz_cleanup(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	char ref[128];

	c = dkt_client(&loop);
	dkt_cleanup(&loop, c, dkt_tag("images"));
	(void)snprintf(ref, sizeof ref, "pier-test/tag-%ld:t1",
	    (long)getpid());
	DKT(&loop, res, dk_image_remove(c, ref, 0, 1, dkt_cb, &res, NULL));
	(void)snprintf(ref, sizeof ref, "pier-test/inuse-%ld:latest",
	    (long)getpid());
	DKT(&loop, res, dk_image_remove(c, ref, 0, 1, dkt_cb, &res, NULL));
	dkt_reset(&res);
	dkt_close(&loop, c);
}

TEST_MAIN(
	T(test_list_inspect_history),
	T(test_tag_remove),
	T(test_remove_in_use),
	T(test_prune),
	T(test_zz_cleanup),
)
