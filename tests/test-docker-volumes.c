/*
 * Volume operations against the real engine: create with labels,
 * inspect, list by label, remove (in use: a conflict), and prune limited
 * to this test's label so no one else's volumes are touched.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "dkt.h"

/* Create, inspect, list, remove, and the errors on the way. */
static void
test_volume_lifecycle(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	char name[96], label[160], lf[170], bind[160];
	const char *labels[] = { "pier.test=1", label, NULL };
	const char *kv[] = { lf, NULL };
	const char *binds[] = { bind, NULL };
	const char *clabels[] = { "pier.test=1", label, NULL };
	struct dk_create_opts o = { .image = dkt_image(), .binds = binds,
	    .labels = clabels };
	json_t *f;
	const char *cid;

	c = dkt_client(&loop);
	(void)snprintf(name, sizeof name, "pier-test-vol-%ld", (long)getpid());
	(void)snprintf(label, sizeof label, "pier.test.case=%s",
	    dkt_tag("volumes"));
	(void)snprintf(lf, sizeof lf, "label=%s", label);
	(void)snprintf(bind, sizeof bind, "%s:/data", name);
	DKT(&loop, res, dk_volume_create(c, name, NULL, labels, dkt_cb, &res,
	    NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(json_string_value(json_object_get(res.result, "Name")),
	    name);
	ASSERT_STREQ(json_string_value(json_object_get(res.result,
	    "Driver")), "local");

	DKT(&loop, res, dk_volume_inspect(c, name, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(
	    res.result, "Labels"), "pier.test")), "1");

	f = dk_filters(kv);
	DKT(&loop, res, dk_volume_list(c, f, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(json_array_size(json_object_get(res.result, "Volumes")), 1);

	/* In use by a container: remove is a conflict. */
	DKT(&loop, res, dk_container_create(c, &o, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	cid = json_string_value(json_object_get(res.result, "Id"));
	ASSERT_NOT_NULL(cid);
	{
		struct dkt_res r2 = { 0 };

		DKT(&loop, r2, dk_volume_remove(c, name, 0, dkt_cb, &r2,
		    NULL));
		ASSERT_EQ(r2.status, DK_E_CONFLICT);
		ASSERT_CONTAINS(r2.msg, "volume is in use");
		DKT(&loop, r2, dk_container_remove(c, cid, 1, 0, dkt_cb, &r2,
		    NULL));
		ASSERT_EQ(r2.status, 0);
		dkt_reset(&r2);
	}

	DKT(&loop, res, dk_volume_remove(c, name, 0, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	DKT(&loop, res, dk_volume_inspect(c, name, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, DK_E_NOT_FOUND);
	ASSERT_CONTAINS(res.msg, "no such volume");
	DKT(&loop, res, dk_volume_list(c, f, dkt_cb, &res, NULL));
	ASSERT_EQ(json_array_size(json_object_get(res.result, "Volumes")), 0);
	json_decref(f);
	dkt_reset(&res);
	dkt_close(&loop, c);
}

/* Prune removes this test's unused volumes, and only those. */
static void
test_volume_prune(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	char label[160], lf[170];
	const char *labels[] = { "pier.test=1", label, NULL };
	const char *kv[] = { lf, NULL };
	json_t *f;

	c = dkt_client(&loop);
	(void)snprintf(label, sizeof label, "pier.test.case=%s",
	    dkt_tag("volumes-prune"));
	(void)snprintf(lf, sizeof lf, "label=%s", label);
	DKT(&loop, res, dk_volume_create(c, NULL, "local", labels, dkt_cb,
	    &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT_GT(strlen(json_string_value(json_object_get(res.result,
	    "Name"))), 10);
	f = dk_filters(kv);
	DKT(&loop, res, dk_volume_prune(c, f, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(json_array_size(json_object_get(res.result,
	    "VolumesDeleted")), 1);
	DKT(&loop, res, dk_volume_list(c, f, dkt_cb, &res, NULL));
	ASSERT_EQ(json_array_size(json_object_get(res.result, "Volumes")), 0);
	json_decref(f);
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
	char name[96], lf[170];
	const char *kv[] = { lf, NULL };
	json_t *f;

	c = dkt_client(&loop);
	dkt_cleanup(&loop, c, dkt_tag("volumes"));
	(void)snprintf(name, sizeof name, "pier-test-vol-%ld", (long)getpid());
	DKT(&loop, res, dk_volume_remove(c, name, 1, dkt_cb, &res, NULL));
	(void)snprintf(lf, sizeof lf, "label=pier.test.case=%s",
	    dkt_tag("volumes-prune"));
	f = dk_filters(kv);
	DKT(&loop, res, dk_volume_prune(c, f, dkt_cb, &res, NULL));
	json_decref(f);
	ASSERT_EQ(res.status, 0);
	dkt_reset(&res);
	dkt_close(&loop, c);
}

TEST_MAIN(
	T(test_volume_lifecycle),
	T(test_volume_prune),
	T(test_zz_cleanup),
)
