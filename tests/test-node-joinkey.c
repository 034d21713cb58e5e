/*
 * The join key text, built once (node_joinkey_text in node/state.c) for
 * the three places that print it: the first start's log line, key.create
 * and `pierd key show`. A listen address with an IPv6 zone ("[::1%lo]")
 * is a fine place to listen but no hint a joiner can parse, so every
 * printed key leaves it out and still parses; the first start's log line
 * once put it in, and its key was refused by `pier join`.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "node.h"

/* Parses text as a join key; 0 or the parse error. */
static int
parse(const char *text, struct ovl_joinkey *jk)
{
	char	*cause = NULL;
	int	 rc;

	rc = ovl_joinkey_parse(text, jk, &cause);
	if (rc != 0)
		printf("# %s: %s\n", text, cause != NULL ? cause : "?");
	free(cause);
	return (rc);
}

/* A zoned hint is left out, the others kept in order. */
static void
test_text_checks_hints(void)
{
	uint8_t			 pub[OVL_KEY_LEN], secret[OVL_KEY_LEN];
	struct ovl_joinkey	 jk;
	char			**listen = NULL, *text;

	memset(pub, 7, sizeof(pub));
	memset(secret, 9, sizeof(secret));
	ASSERT_OK(node_strv_push(&listen, "192.0.2.1:7437"));
	ASSERT_OK(node_strv_push(&listen, "[fe80::1%eth0]:7437"));
	ASSERT_OK(node_strv_push(&listen, "[2001:db8::1]:7437"));
	text = node_joinkey_text(NULL, pub, secret, listen);
	ASSERT_NOT_NULL(text);
	ASSERT_OK(parse(text, &jk));
	ASSERT_MEMEQ(jk.node_pub, pub, OVL_KEY_LEN);
	ASSERT_MEMEQ(jk.secret, secret, OVL_KEY_LEN);
	ASSERT_EQ(jk.naddrs, 2);
	ASSERT_STREQ(jk.addrs[0], "192.0.2.1:7437");
	ASSERT_STREQ(jk.addrs[1], "[2001:db8::1]:7437");
	free(text);
	node_strv_free(listen);
}

/* Stops n, frees it and closes its loop. */
static void
close_node(struct node *n, uv_loop_t *loop)
{
	node_close(n);
	uv_run(loop, UV_RUN_DEFAULT);
	node_free(n);
	test_loop_close(loop);
}

/*
 * A first start on 127.0.0.1 and [::1%lo] logs an admin join key that
 * parses, with the 127.0.0.1 hint only. The log goes to stderr, which
 * is a file for the length of node_new.
 */
static void
test_first_start_log(void)
{
	struct node_config	 cfg;
	struct ovl_joinkey	 jk;
	struct node		*n = NULL;
	uv_loop_t		 loop;
	char			*dir = test_tmpdir(), *logpath, *log;
	char			*key, *end, *cause = NULL;
	int			 fd, saved, rc, ipv6;

	memset(&cfg, 0, sizeof(cfg));
	cfg.state_dir = dir;
	cfg.log_level = NODE_LOG_INFO;
	ASSERT_OK(node_strv_push(&cfg.listen, "127.0.0.1:0"));
	ASSERT_OK(node_strv_push(&cfg.listen, "[::1%lo]:0"));
	ASSERT(asprintf(&logpath, "%s/log", dir) > 0);
	ASSERT_OK(uv_loop_init(&loop));
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT(saved >= 0 && fd >= 0);
	ASSERT(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
	rc = node_new(&loop, &cfg, &n, &cause);
	fflush(stderr);
	ASSERT(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
	close(fd);
	close(saved);
	if (rc != 0)
		FAIL("node_new: %s", cause);
	node_strv_free(cfg.listen);
	log = test_read_file(logpath, NULL);
	ASSERT_NOT_NULL(log);
	/* Without IPv6 on lo, [::1%lo] is skipped and there is no case. */
	ipv6 = node_strv_len(n->bound) == 2;
	if (!ipv6) {
		close_node(n, &loop);
		free(log);
		free(logpath);
		test_rmtree(dir);
		SKIP("no IPv6 on lo, so no zoned address to leave out");
	}
	key = strstr(log, "pier join ");
	ASSERT_NOT_NULL(key);
	key += strlen("pier join ");
	end = strchr(key, '\n');
	if (end != NULL)
		*end = '\0';
	ASSERT_OK(parse(key, &jk));
	ASSERT_MEMEQ(jk.node_pub, n->id.pub, OVL_KEY_LEN);
	ASSERT_EQ(jk.naddrs, 1);
	ASSERT_STREQ(jk.addrs[0], n->bound[0]);

	close_node(n, &loop);
	free(log);
	free(logpath);
	test_rmtree(dir);
}

TEST_MAIN(
	T(test_text_checks_hints),
	T(test_first_start_log)
)
