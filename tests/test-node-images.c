/*
 * Unit tests of the image and volume families' pure parts: the engine's
 * prune filters from image.prune's and volume.prune's params (dangling
 * or not, label filters as given, bounded), so a prune held to a label
 * never reaches the engine without it.
 */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "node.h"

/* The compact JSON of a value (caller frees). */
static char *
dump(const json_t *v)
{
	return (json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS));
}

/* Dangling alone, labels alone, both, and none. */
static void
test_prune_filters(void)
{
	json_t	*labels, *f;	/* owned */
	char	*s;

	labels = json_pack("[s, s]", "pier.test=1", "tier");
	f = node_prune_filters(labels, "dangling=true");
	s = dump(f);
	ASSERT_STREQ(s, "{\"dangling\":[\"true\"],\"label\":"
	    "[\"pier.test=1\",\"tier\"]}");
	free(s);
	json_decref(f);
	f = node_prune_filters(NULL, "dangling=false");
	s = dump(f);
	ASSERT_STREQ(s, "{\"dangling\":[\"false\"]}");
	free(s);
	json_decref(f);
	f = node_prune_filters(labels, NULL);
	s = dump(f);
	ASSERT_STREQ(s, "{\"label\":[\"pier.test=1\",\"tier\"]}");
	free(s);
	json_decref(f);
	f = node_prune_filters(NULL, NULL);
	s = dump(f);
	ASSERT_STREQ(s, "{}");
	free(s);
	json_decref(f);
	json_decref(labels);
}

/* More labels than the schema allows are cut at its bound, not overrun. */
static void
test_prune_filters_bound(void)
{
	json_t	*labels, *f;	/* owned */
	char	 buf[32];
	int	 i;

	labels = json_array();
	for (i = 0; i < 100; i++) {
		snprintf(buf, sizeof(buf), "k%d=v", i);
		ASSERT_OK(json_array_append_new(labels, json_string(buf)));
	}
	f = node_prune_filters(labels, "dangling=true");
	ASSERT_NOT_NULL(f);
	ASSERT_EQ(json_array_size(json_object_get(f, "label")), 32);
	ASSERT_STREQ(json_string_value(json_array_get(json_object_get(f,
	    "label"), 31)), "k31=v");
	json_decref(f);
	json_decref(labels);
}

/* The catalogue bounds the labels of both prunes at that same 32. */
static void
test_prune_schema(void)
{
	const char		*names[] = { "image.prune", "volume.prune" };
	const struct proto_method *m;
	const struct proto_field *fl;
	size_t			 i;
	int			 found;

	for (i = 0; i < 2; i++) {
		m = proto_method_find(names[i]);
		ASSERT_NOT_NULL(m);
		found = 0;
		for (fl = m->params; fl->name != NULL; fl++) {
			if (strcmp(fl->name, "labels") != 0)
				continue;
			found = 1;
			ASSERT_EQ(fl->type, PROTO_T_STRINGS);
			ASSERT_EQ(fl->max, 32);
		}
		ASSERT(found);
		ASSERT_NOT_NULL(cmd_find(names[i]));
		ASSERT(cmd_find(names[i])->exec != cmd_not_implemented);
	}
}

TEST_MAIN(
	T(test_prune_filters),
	T(test_prune_filters_bound),
	T(test_prune_schema)
)
