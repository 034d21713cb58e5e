/*
 * Network operations against the real engine: list (with a name filter)
 * and inspect of the default bridge, and a missing network's error.
 */
#include <string.h>

#include "test.h"
#include "dkt.h"

/* The default networks are listed and inspected. */
static void
test_list_inspect(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	const char *kv[] = { "name=bridge", NULL };
	json_t *f, *it;
	size_t i;
	int bridge = 0, host = 0;

	c = dkt_client(&loop);
	DKT(&loop, res, dk_network_list(c, NULL, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	json_array_foreach(res.result, i, it) {
		const char *n = json_string_value(json_object_get(it, "Name"));

		bridge += strcmp(n, "bridge") == 0;
		host += strcmp(n, "host") == 0;
	}
	ASSERT_EQ(bridge, 1);
	ASSERT_EQ(host, 1);
	f = dk_filters(kv);
	DKT(&loop, res, dk_network_list(c, f, dkt_cb, &res, NULL));
	json_decref(f);
	ASSERT_EQ(res.status, 0);
	ASSERT_GE(json_array_size(res.result), 1);

	DKT(&loop, res, dk_network_inspect(c, "bridge", dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(json_string_value(json_object_get(res.result, "Driver")),
	    "bridge");
	ASSERT(json_is_object(json_object_get(res.result, "IPAM")));

	DKT(&loop, res, dk_network_inspect(c, "pier-test-no-such-net",
	    dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, DK_E_NOT_FOUND);
	ASSERT_CONTAINS(res.msg, "pier-test-no-such-net");
	dkt_reset(&res);
	dkt_close(&loop, c);
}

TEST_MAIN(
	T(test_list_inspect),
)
