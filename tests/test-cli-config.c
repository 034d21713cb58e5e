/*
 * Tests of tools/pier/config.c: where the config directory is, node
 * names, and the address book (round trip, replace by name, removal,
 * modes, and a damaged book reported and left untouched).
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "cli.h"

/* $PIER_CONFIG_DIR wins, then $XDG_CONFIG_HOME/pier, then ~/.config. */
static void
test_config_dir(void)
{
	char	*d;

	setenv("PIER_CONFIG_DIR", "/tmp/a", 1);
	setenv("XDG_CONFIG_HOME", "/tmp/x", 1);
	d = cli_config_dir();
	ASSERT_STREQ(d, "/tmp/a");
	free(d);
	unsetenv("PIER_CONFIG_DIR");
	d = cli_config_dir();
	ASSERT_STREQ(d, "/tmp/x/pier");
	free(d);
	setenv("XDG_CONFIG_HOME", "relative", 1);
	setenv("HOME", "/home/u", 1);
	d = cli_config_dir();
	ASSERT_STREQ(d, "/home/u/.config/pier");
	free(d);
	unsetenv("XDG_CONFIG_HOME");
}

/* Names: letters, digits, . _ -, not leading - or ., 1..64 chars. */
static void
test_names(void)
{
	char	long_name[CLI_NAME_MAX + 2];

	ASSERT_OK(cli_name_check("prod"));
	ASSERT_OK(cli_name_check("Web-1.eu_2"));
	ASSERT_EQ(cli_name_check(""), -EINVAL);
	ASSERT_EQ(cli_name_check("-x"), -EINVAL);
	ASSERT_EQ(cli_name_check(".x"), -EINVAL);
	ASSERT_EQ(cli_name_check("a/b"), -EINVAL);
	ASSERT_EQ(cli_name_check("a b"), -EINVAL);
	ASSERT_EQ(cli_name_check("a:b"), -EINVAL);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[CLI_NAME_MAX] = '\0';
	ASSERT_OK(cli_name_check(long_name));
	long_name[CLI_NAME_MAX] = 'a';
	long_name[CLI_NAME_MAX + 1] = '\0';
	ASSERT_EQ(cli_name_check(long_name), -EINVAL);
}

/* Put, save, load, replace, remove; the file is 0600. */
static void
test_book_round_trip(void)
{
	struct cli_book	 b;
	struct cli_node	 n;
	struct stat	 st;
	char		*dir = test_tmpdir(), *sub, *cause = NULL;

	ASSERT(asprintf(&sub, "%s/cfg/pier", dir) > 0);
	ASSERT_OK(cli_config_dir_make(sub, &cause));
	ASSERT_OK(stat(sub, &st));
	ASSERT_EQ(st.st_mode & 0777, 0700);
	ASSERT_OK(cli_book_load(&b, sub, &cause));
	ASSERT_EQ(b.n, 0);
	memset(&n, 0, sizeof(n));
	n.name = "a";
	n.key = "pier1aaaa";
	n.addr = "127.0.0.1:1";
	n.joined = 5;
	ASSERT_OK(cli_book_put(&b, &n));
	n.name = "b";
	n.fingerprint = "abcd-efgh";
	n.role = "viewer";
	ASSERT_OK(cli_book_put(&b, &n));
	n.key = "pier1bbbb";
	ASSERT_OK(cli_book_put(&b, &n));
	ASSERT_EQ(b.n, 2);
	ASSERT_OK(cli_book_save(&b, &cause));
	cli_book_free(&b);

	ASSERT_OK(cli_book_load(&b, sub, &cause));
	ASSERT_EQ(b.n, 2);
	ASSERT_STREQ(cli_book_find(&b, "b")->key, "pier1bbbb");
	ASSERT_STREQ(cli_book_find(&b, "b")->role, "viewer");
	ASSERT_NULL(cli_book_find(&b, "a")->role);
	ASSERT_EQ(cli_book_find(&b, "a")->joined, 5);
	ASSERT_OK(stat(b.path, &st));
	ASSERT_EQ(st.st_mode & 0777, 0600);
	ASSERT_NULL(cli_book_pick(&b, NULL, &cause));
	ASSERT_CONTAINS(cause, "2 are joined");
	free(cause);
	ASSERT_NULL(cli_book_pick(&b, "zz", &cause));
	ASSERT_CONTAINS(cause, "no node named zz");
	free(cause);
	ASSERT_OK(cli_book_remove(&b, "a"));
	ASSERT_EQ(cli_book_remove(&b, "a"), -ENOENT);
	ASSERT(cli_book_pick(&b, NULL, &cause) == cli_book_find(&b, "b"));
	ASSERT_NULL(cli_book_find(&b, "a"));
	ASSERT_NOT_NULL(cli_book_find(&b, "b"));
	cli_book_free(&b);
	free(sub);
	test_rmtree(dir);
}

/* A book that does not parse, or has a bad entry, is refused as is. */
static void
test_book_damaged(void)
{
	static const char *bad[] = {
		"{\"nodes\": [",
		"{\"nodes\": 3}",
		"{\"nodes\": [{\"name\": \"a\"}]}",
		"{\"nodes\": [{\"name\": \"a/b\", \"key\": \"k\"}]}",
		"{\"nodes\": [{\"name\": \"a\", \"key\": 7}]}",
	};
	struct cli_book	 b;
	char		*dir = test_tmpdir(), *path, *cause, *got;
	size_t		 i, len;
	FILE		*fp;

	ASSERT(asprintf(&path, "%s/nodes.json", dir) > 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fp = fopen(path, "w");
		ASSERT_NOT_NULL(fp);
		fputs(bad[i], fp);
		fclose(fp);
		cause = NULL;
		ASSERT_EQ(cli_book_load(&b, dir, &cause), -EINVAL);
		ASSERT_NOT_NULL(cause);
		ASSERT_CONTAINS(cause, path);
		free(cause);
		got = test_read_file(path, &len);
		ASSERT_STREQ(got, bad[i]);
		free(got);
	}
	free(path);
	test_rmtree(dir);
}

/* Times print as UTC ISO 8601. */
static void
test_time_format(void)
{
	char	buf[32];

	cli_time_format(0, buf, sizeof(buf));
	ASSERT_STREQ(buf, "1970-01-01T00:00:00Z");
	cli_time_format(1795336362, buf, sizeof(buf));
	ASSERT_STREQ(buf, "2026-11-22T08:32:42Z");
}

TEST_MAIN(
	T(test_config_dir),
	T(test_names),
	T(test_book_round_trip),
	T(test_book_damaged),
	T(test_time_format)
)
