/*
 * Tests of node/stack-files.c: which stack names and paths the node
 * takes, writing a stack's folder (modes, subfolders, the record), a
 * second write replacing the first whole, a refused path or size leaving
 * the old folder as it was, the list of kept stacks and purging.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "test.h"
#include "node.h"

/* A files map of one path with text (base64), a new reference. */
static json_t *
files1(const char *path, const char *text)
{
	char	 b64[1024];
	json_t	*f = json_object();

	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)text,
	    strlen(text), sodium_base64_VARIANT_ORIGINAL);
	ASSERT_OK(json_object_set_new(f, path, json_string(b64)));
	return (f);
}

/* The mode bits of path. */
static unsigned
mode_of(const char *dir, const char *rel)
{
	struct stat	 st;
	char		 path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	ASSERT_OK(stat(path, &st));
	return (st.st_mode & 07777);
}

/* Compose project names. */
static void
test_names(void)
{
	ASSERT(node_stack_name_ok("web"));
	ASSERT(node_stack_name_ok("a"));
	ASSERT(node_stack_name_ok("0shop_2-x"));
	ASSERT(!node_stack_name_ok(""));
	ASSERT(!node_stack_name_ok("Web"));
	ASSERT(!node_stack_name_ok("-web"));
	ASSERT(!node_stack_name_ok("_web"));
	ASSERT(!node_stack_name_ok("we b"));
	ASSERT(!node_stack_name_ok("web."));
	ASSERT(!node_stack_name_ok("../x"));
	ASSERT(node_stack_name_ok("a23456789012345678901234567890123456789012"
	    "345678901234567890123"));
	ASSERT(!node_stack_name_ok("a23456789012345678901234567890123456789012"
	    "3456789012345678901234"));
}

/* Paths that stay in the folder, and those that do not. */
static void
test_paths(void)
{
	ASSERT(node_stack_path_ok("compose.yml"));
	ASSERT(node_stack_path_ok(".env"));
	ASSERT(node_stack_path_ok("conf/nginx/site.conf"));
	ASSERT(node_stack_path_ok("a..b/c"));
	ASSERT(node_stack_path_ok("conf/.pier"));
	ASSERT(!node_stack_path_ok(""));
	ASSERT(!node_stack_path_ok("/etc/passwd"));
	ASSERT(!node_stack_path_ok("../x"));
	ASSERT(!node_stack_path_ok("a/../../x"));
	ASSERT(!node_stack_path_ok("a/.."));
	ASSERT(!node_stack_path_ok("./x"));
	ASSERT(!node_stack_path_ok("a//b"));
	ASSERT(!node_stack_path_ok("a/"));
	ASSERT(!node_stack_path_ok(".pier-stack.json"));
	ASSERT(!node_stack_path_ok(".pierx"));
	ASSERT(!node_stack_path_ok("a\\b"));
	ASSERT(!node_stack_path_ok("a\nb"));
	ASSERT(!node_stack_path_ok("1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/"
	    "17"));
	ASSERT(node_stack_path_ok("1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16"));
}

/* Writing, replacing, refusing, listing and purging a stack's folder. */
static void
test_write(void)
{
	struct node	 n;
	json_t		*f, *f2, *meta, *got, *names;
	char		*dir = test_tmpdir(), *sdir, *cause = NULL, *text, *big;
	char		 path[1024];
	size_t		 len;

	memset(&n, 0, sizeof(n));
	n.state_dir = dir;
	meta = json_pack("{s:[s], s:b}", "compose_files", "compose.yml",
	    "swarm", 0);
	f = files1("compose.yml", "services: {}\n");
	f2 = files1("conf/a/b.txt", "bee");
	ASSERT_OK(json_object_update(f, f2));
	json_decref(f2);
	ASSERT_OK(node_stack_write(&n, "web", f, meta, &cause));
	json_decref(f);
	sdir = node_stack_dir(&n, "web");
	ASSERT_EQ(mode_of(dir, "stacks"), 0700);
	ASSERT_EQ(mode_of(sdir, ""), 0700);
	ASSERT_EQ(mode_of(sdir, "compose.yml"), 0600);
	ASSERT_EQ(mode_of(sdir, "conf/a"), 0700);
	snprintf(path, sizeof(path), "%s/conf/a/b.txt", sdir);
	text = test_read_file(path, &len);
	ASSERT_STREQ(text, "bee");
	free(text);
	ASSERT_OK(node_stack_meta(&n, "web", &got));
	ASSERT(json_equal(got, meta));
	json_decref(got);

	/* A second set replaces the first whole. */
	f = files1("other.yml", "x: 1\n");
	ASSERT_OK(node_stack_write(&n, "web", f, meta, &cause));
	json_decref(f);
	snprintf(path, sizeof(path), "%s/compose.yml", sdir);
	ASSERT_NULL(test_read_file(path, &len));
	snprintf(path, sizeof(path), "%s/other.yml", sdir);
	text = test_read_file(path, &len);
	ASSERT_STREQ(text, "x: 1\n");
	free(text);

	/* A bad path, bad base64 or a big file leaves the old set. */
	f = files1("../escape", "no");
	ASSERT_EQ(node_stack_write(&n, "web", f, meta, &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "../escape: not a path inside");
	free(cause);
	cause = NULL;
	json_decref(f);
	f = json_pack("{s:s}", "a.yml", "!!notbase64");
	ASSERT_EQ(node_stack_write(&n, "web", f, meta, &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "a.yml: not base64");
	free(cause);
	cause = NULL;
	json_decref(f);
	big = malloc(NODE_STACK_FILE_MAX + 2);
	memset(big, 'x', NODE_STACK_FILE_MAX + 1);
	big[NODE_STACK_FILE_MAX + 1] = '\0';
	f = json_object();
	text = malloc(NODE_STACK_FILE_MAX * 2);
	sodium_bin2base64(text, NODE_STACK_FILE_MAX * 2,
	    (const unsigned char *)big, NODE_STACK_FILE_MAX + 1,
	    sodium_base64_VARIANT_ORIGINAL);
	ASSERT_OK(json_object_set_new(f, "big", json_string(text)));
	ASSERT_EQ(node_stack_write(&n, "web", f, meta, &cause), -EFBIG);
	ASSERT_CONTAINS(cause, "over the limit");
	free(cause);
	cause = NULL;
	free(text);
	free(big);
	json_decref(f);
	text = test_read_file(path, &len);
	ASSERT_STREQ(text, "x: 1\n");
	free(text);

	/* The kept stacks, then none. */
	names = node_stack_stored(&n);
	ASSERT_EQ(json_array_size(names), 1);
	ASSERT_STREQ(json_string_value(json_array_get(names, 0)), "web");
	json_decref(names);
	ASSERT_OK(node_stack_purge(&n, "web"));
	ASSERT_EQ(node_stack_meta(&n, "web", &got), -ENOENT);
	names = node_stack_stored(&n);
	ASSERT_EQ(json_array_size(names), 0);
	json_decref(names);
	json_decref(meta);
	free(sdir);
	test_rmtree(dir);
}

TEST_MAIN(
	T(test_names),
	T(test_paths),
	T(test_write)
)
