/*
 * Tests of node/state.c and node/log.c: address parsing and formatting,
 * the listen file, turning listen addresses into join-key hints, the
 * default state directory, opening the state (identity and admin key
 * once), and the shape of a log line.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "node.h"

/* Good and bad HOST:PORT texts. */
static void
test_addr_parse(void)
{
	struct sockaddr_storage	 ss;
	char			 buf[64], *cause = NULL;

	ASSERT_OK(node_addr_parse("127.0.0.1:7437", &ss, NULL));
	ASSERT_EQ(ss.ss_family, AF_INET);
	ASSERT_OK(node_addr_format((struct sockaddr *)&ss, buf, sizeof(buf)));
	ASSERT_STREQ(buf, "127.0.0.1:7437");
	ASSERT_OK(node_addr_parse("[::1]:0", &ss, NULL));
	ASSERT_EQ(ss.ss_family, AF_INET6);
	ASSERT_OK(node_addr_format((struct sockaddr *)&ss, buf, sizeof(buf)));
	ASSERT_STREQ(buf, "[::1]:0");
	ASSERT_OK(node_addr_parse("[::]:7437", &ss, NULL));
	ASSERT_EQ(node_addr_parse("::1:7437", &ss, NULL), -EINVAL);
	ASSERT_EQ(node_addr_parse("127.0.0.1", &ss, NULL), -EINVAL);
	ASSERT_EQ(node_addr_parse("127.0.0.1:", &ss, NULL), -EINVAL);
	ASSERT_EQ(node_addr_parse("127.0.0.1:65536", &ss, NULL), -EINVAL);
	ASSERT_EQ(node_addr_parse("127.0.0.1:7x", &ss, NULL), -EINVAL);
	ASSERT_EQ(node_addr_parse("[127.0.0.1]:7", &ss, NULL), -EINVAL);
	ASSERT_EQ(node_addr_parse("example.com:7437", &ss, &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "example.com:7437");
	free(cause);
	ASSERT_EQ(node_addr_format((struct sockaddr *)&ss, buf, 4), -ENOSPC);
}

/* The listen file keeps what was saved, skipping damaged lines. */
static void
test_listen_file(void)
{
	char	*dir = test_tmpdir(), **v = NULL, *path;
	char	*in[] = { "127.0.0.1:1234", "[::1]:99", NULL };
	FILE	*fp;

	ASSERT_EQ(node_listen_load(dir, &v), -ENOENT);
	ASSERT_NULL(v);
	ASSERT_OK(node_listen_save(dir, in, NULL));
	ASSERT_OK(node_listen_load(dir, &v));
	ASSERT_EQ(node_strv_len(v), 2);
	ASSERT_STREQ(v[0], "127.0.0.1:1234");
	ASSERT_STREQ(v[1], "[::1]:99");
	node_strv_free(v);
	ASSERT(asprintf(&path, "%s/listen", dir) > 0);
	fp = fopen(path, "a");
	ASSERT_NOT_NULL(fp);
	fputs("garbage\n10.0.0.1:5\n", fp);
	fclose(fp);
	free(path);
	ASSERT_OK(node_listen_load(dir, &v));
	ASSERT_EQ(node_strv_len(v), 3);
	ASSERT_STREQ(v[2], "10.0.0.1:5");
	node_strv_free(v);
	test_rmtree(dir);
}

/* Specific addresses stay; loopback goes last; no duplicates. */
static void
test_hints_specific(void)
{
	char	*in[] = { "127.0.0.1:1", "192.0.2.7:2", "[::1]:3",
		    "[2001:db8::5]:4", "192.0.2.7:2", NULL };
	char	**h;

	ASSERT_OK(node_hints_from_listen(in, &h));
	ASSERT_EQ(node_strv_len(h), 4);
	ASSERT_STREQ(h[0], "192.0.2.7:2");
	ASSERT_STREQ(h[1], "[2001:db8::5]:4");
	ASSERT_STREQ(h[2], "127.0.0.1:1");
	ASSERT_STREQ(h[3], "[::1]:3");
	node_strv_free(h);
}

/* Wildcards become interface addresses with the port, loopback last. */
static void
test_hints_wildcard(void)
{
	char		*in[] = { "0.0.0.0:7437", "[::]:7437", NULL };
	char		**h;
	size_t		 i, n;
	int		 seen_loop = 0, is_loop;

	ASSERT_OK(node_hints_from_listen(in, &h));
	n = node_strv_len(h);
	ASSERT_GT(n, 0);
	ASSERT_LE(n, 8);
	for (i = 0; i < n; i++) {
		ASSERT_NULL(strstr(h[i], "0.0.0.0"));
		ASSERT_NULL(strstr(h[i], "[::]"));
		ASSERT_NULL(strstr(h[i], "[fe80:"));
		ASSERT(strlen(h[i]) > 5 &&
		    strcmp(h[i] + strlen(h[i]) - 5, ":7437") == 0);
		is_loop = strncmp(h[i], "127.", 4) == 0 ||
		    strcmp(h[i], "[::1]:7437") == 0;
		if (seen_loop)
			ASSERT(is_loop);
		seen_loop |= is_loop;
	}
	ASSERT(seen_loop);
	node_strv_free(h);
}

/* Root gets /var/lib/pier; others XDG_STATE_HOME or ~/.local/state. */
static void
test_state_dir_default(void)
{
	char	*d;

	d = node_state_dir_default();
	ASSERT_NOT_NULL(d);
	if (geteuid() == 0)
		ASSERT_STREQ(d, "/var/lib/pier");
	else
		ASSERT_CONTAINS(d, "/pier");
	free(d);
}

/* First open makes the dir 0700, a key and the admin key; then reuses. */
static void
test_state_open(void)
{
	struct ovl_identity		 a, b;
	struct ovl_keystore		*ks;
	const struct ovl_access_key	*admin;
	struct stat			 st;
	char				*top = test_tmpdir(), *dir;
	char				*cause = NULL;

	ASSERT(asprintf(&dir, "%s/deep/state", top) > 0);
	ASSERT_OK(node_state_open(dir, &a, &ks, &admin, &cause));
	ASSERT_NOT_NULL(admin);
	ASSERT_STREQ(admin->name, "admin");
	ASSERT_EQ(admin->role, PROTO_ROLE_ADMIN);
	ovl_keystore_free(ks);
	ASSERT_OK(stat(dir, &st));
	ASSERT_EQ(st.st_mode & 0777, 0700);
	ASSERT_OK(node_state_open(dir, &b, &ks, &admin, &cause));
	ASSERT_NULL(admin);
	ASSERT_EQ(ovl_keystore_count(ks), 1);
	ASSERT_MEMEQ(a.pub, b.pub, OVL_KEY_LEN);
	ovl_keystore_free(ks);
	ovl_identity_clear(&a);
	ovl_identity_clear(&b);
	free(dir);
	test_rmtree(top);
}

/* A log line: time, level, message, one line; levels filter. */
static void
test_log_line(void)
{
	struct node_log		 lg;
	enum node_log_level	 lv;
	char			*buf = NULL;
	size_t			 len = 0;
	FILE			*fp;

	ASSERT_OK(node_log_level_parse("WARN", &lv));
	ASSERT_EQ(lv, NODE_LOG_WARN);
	ASSERT_OK(node_log_level_parse("debug", &lv));
	ASSERT_EQ(node_log_level_parse("loud", &lv), -EINVAL);
	fp = open_memstream(&buf, &len);
	ASSERT_NOT_NULL(fp);
	node_log_init(&lg, fp, NODE_LOG_INFO);
	node_log(&lg, NODE_LOG_DEBUG, "hidden");
	node_log(&lg, NODE_LOG_WARN, "two\nlines %d", 7);
	fclose(fp);
	ASSERT_NULL(strstr(buf, "hidden"));
	ASSERT_CONTAINS(buf, "Z warn  two lines 7\n");
	ASSERT_EQ(strlen(buf), strlen("2026-01-01T00:00:00.000Z warn  "
	    "two lines 7\n"));
	ASSERT_EQ(buf[4], '-');
	free(buf);
}

TEST_MAIN(
	T(test_addr_parse),
	T(test_listen_file),
	T(test_hints_specific),
	T(test_hints_wildcard),
	T(test_state_dir_default),
	T(test_state_open),
	T(test_log_line)
)
