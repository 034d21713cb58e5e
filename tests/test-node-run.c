/*
 * Loop tests of node/node.c: a node on a private loop (no globals, no
 * default loop) starts on 127.0.0.1:0, records the port it bound, lets a
 * client in with a key created after it started, closes that client when
 * the key is revoked by another process's view of the store, and stops
 * with every handle closed; it tells a service manager's NOTIFY_SOCKET
 * (a path or an abstract name) READY=1 once it listens, STOPPING=1 when
 * it begins to stop.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "node.h"

/* What the callbacks saw. */
struct run {
	uv_loop_t	 loop;
	struct node	*node;
	struct ovl_identity client;
	struct ovl_conn	*conn;
	int		 dialed, dial_status;
	int		 closed, close_status;
	int		 node_closed;
	uv_timer_t	 timer;
	struct ovl_keystore *cli_ks;	/* a second view of the store */
};

/* The node finished closing. */
static void
on_node_closed(struct node *n)
{
	struct run	*r = n->closed_arg;

	r->node_closed++;
}

/* Starts a node with a fresh state dir on 127.0.0.1:0. */
static void
start(struct run *r, char *dir)
{
	struct node_config	 cfg;
	char			*cause = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.state_dir = dir;
	cfg.log_level = NODE_LOG_WARN;
	ASSERT_OK(node_strv_push(&cfg.listen, "127.0.0.1:0"));
	ASSERT_OK(uv_loop_init(&r->loop));
	if (node_new(&r->loop, &cfg, &r->node, &cause) != 0)
		FAIL("node_new: %s", cause);
	node_strv_free(cfg.listen);
	r->node->closed_arg = r;
	node_set_closed_cb(r->node, on_node_closed);
}

/* Start, check the recorded address, stop: the loop closes clean. */
static void
test_start_stop(void)
{
	struct run	 r;
	char		*dir = test_tmpdir(), **v = NULL;

	memset(&r, 0, sizeof(r));
	start(&r, dir);
	ASSERT_EQ(node_strv_len(r.node->bound), 1);
	ASSERT(strncmp(r.node->bound[0], "127.0.0.1:", 10) == 0);
	ASSERT_NE(atoi(r.node->bound[0] + 10), 0);
	ASSERT_OK(node_listen_load(dir, &v));
	ASSERT_STREQ(v[0], r.node->bound[0]);
	node_strv_free(v);
	node_close(r.node);
	node_close(r.node);
	uv_run(&r.loop, UV_RUN_DEFAULT);
	ASSERT_EQ(r.node_closed, 1);
	ASSERT_EQ(node_exit_code(r.node), 0);
	node_free(r.node);
	test_loop_close(&r.loop);
	test_rmtree(dir);
}

/* The client's connection ended. */
static void
on_conn_closed(struct ovl_conn *c, int status, const char *reason,
    void *arg)
{
	struct run	*r = arg;

	r->closed++;
	r->close_status = status;
	node_close(r->node);
}

/* The dial finished: keep the connection, then revoke its key. */
static void
on_dialed(struct ovl_dial *d, struct ovl_conn *conn, int status,
    const char *cause, void *arg)
{
	static const struct ovl_conn_cbs cbs = { .on_close = on_conn_closed };
	struct run	*r = arg;

	r->dialed++;
	r->dial_status = status;
	if (status != 0) {
		node_close(r->node);
		return;
	}
	r->conn = conn;
	ovl_conn_ref(conn, __func__);
	ovl_conn_set_cbs(conn, &cbs, r);
	/* Another process revokes the key: the node must notice. */
	ASSERT_OK(ovl_keystore_revoke(r->cli_ks, "v1", NULL));
}

/* A guard: the test fails rather than hang. */
static void
on_guard(uv_timer_t *t)
{
	struct run	*r = container_of(t, struct run, timer);

	if (r->conn != NULL)
		ovl_conn_close(r->conn, OVL_GA_NORMAL, "guard");
	node_close(r->node);
}

/* A key made after start lets a client in; revoking it drops it. */
static void
test_key_created_then_revoked(void)
{
	const struct ovl_access_key	*k;
	struct ovl_dial_cfg		 dcfg;
	struct run			 r;
	const char			*addr;
	char				*dir = test_tmpdir();
	uint8_t				 secret[OVL_KEY_LEN];

	memset(&r, 0, sizeof(r));
	start(&r, dir);
	ASSERT_OK(ovl_keystore_open(&r.cli_ks, dir, NULL));
	ASSERT_OK(ovl_keystore_create(r.cli_ks, "v1", PROTO_ROLE_VIEWER, 1, &k,
	    NULL));
	memcpy(secret, k->secret, sizeof(secret));
	/* Let the node see the new keys file before dialing. */
	uv_run(&r.loop, UV_RUN_NOWAIT);
	ASSERT_OK(node_keys_reload(r.node));
	ovl_identity_generate(&r.client);
	memset(&dcfg, 0, sizeof(dcfg));
	dcfg.timeout_ms = 3000;
	addr = r.node->bound[0];
	ASSERT_OK(ovl_dial(&r.loop, &r.client, r.node->id.pub, secret, &addr,
	    1, "test", &dcfg, on_dialed, &r, NULL));
	ASSERT_OK(uv_timer_init(&r.loop, &r.timer));
	ASSERT_OK(uv_timer_start(&r.timer, on_guard, 5000, 0));
	uv_unref((uv_handle_t *)&r.timer);
	uv_run(&r.loop, UV_RUN_DEFAULT);
	ASSERT_EQ(r.dialed, 1);
	ASSERT_OK(r.dial_status);
	ASSERT_EQ(r.closed, 1);
	ASSERT_NE(r.close_status, 0);
	ASSERT_EQ(r.node_closed, 1);
	if (r.conn != NULL)
		ovl_conn_unref(r.conn, __func__);
	uv_close((uv_handle_t *)&r.timer, NULL);
	uv_run(&r.loop, UV_RUN_DEFAULT);
	node_free(r.node);
	ovl_keystore_free(r.cli_ks);
	ovl_identity_clear(&r.client);
	test_loop_close(&r.loop);
	test_rmtree(dir);
}

/* Binds a datagram socket at path ("@name": abstract); returns its fd. */
static int
notify_listen(const char *path)
{
	struct sockaddr_un	sun;
	size_t			len = strlen(path);
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ASSERT(len < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT(fd >= 0);
	ASSERT_OK(bind(fd, (struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)));
	return (fd);
}

/* The datagram waiting on fd, as a string (sends are synchronous). */
static void
notify_read(int fd, char *buf, size_t size)
{
	ssize_t	n;

	n = recv(fd, buf, size - 1, MSG_DONTWAIT);
	if (n < 0)
		FAIL("no notification: %s", strerror(errno));
	buf[n] = '\0';
}

/* node_notify: nothing without NOTIFY_SOCKET, a datagram with one. */
static void
test_notify_socket(void)
{
	char	*dir = test_tmpdir(), *path, abs[64], buf[256];
	int	 fd;

	ASSERT_OK(unsetenv("NOTIFY_SOCKET"));
	ASSERT_OK(node_notify("READY=1"));
	ASSERT(asprintf(&path, "%s/notify", dir) > 0);
	fd = notify_listen(path);
	ASSERT_OK(setenv("NOTIFY_SOCKET", path, 1));
	ASSERT_OK(node_notify("READY=1\nSTATUS=up"));
	notify_read(fd, buf, sizeof(buf));
	ASSERT_STREQ(buf, "READY=1\nSTATUS=up");
	close(fd);
	ASSERT_EQ(node_notify("READY=1"), -ECONNREFUSED);
	snprintf(abs, sizeof(abs), "@pier-test-notify-%ld", (long)getpid());
	fd = notify_listen(abs);
	ASSERT_OK(setenv("NOTIFY_SOCKET", abs, 1));
	ASSERT_OK(node_notify("STOPPING=1"));
	notify_read(fd, buf, sizeof(buf));
	ASSERT_STREQ(buf, "STOPPING=1");
	close(fd);
	ASSERT_OK(setenv("NOTIFY_SOCKET", "vsock:2:9", 1));
	ASSERT_EQ(node_notify("READY=1"), -EAFNOSUPPORT);
	ASSERT_OK(unsetenv("NOTIFY_SOCKET"));
	free(path);
	test_rmtree(dir);
}

/* A node says READY=1 once it listens and STOPPING=1 as it stops. */
static void
test_notify_node(void)
{
	struct run	 r;
	char		*dir = test_tmpdir(), *path, buf[256];
	int		 fd;

	ASSERT(asprintf(&path, "%s/notify", dir) > 0);
	fd = notify_listen(path);
	ASSERT_OK(setenv("NOTIFY_SOCKET", path, 1));
	memset(&r, 0, sizeof(r));
	start(&r, dir);
	notify_read(fd, buf, sizeof(buf));
	ASSERT(strncmp(buf, "READY=1\nSTATUS=listening; node key ",
	    strlen("READY=1\nSTATUS=listening; node key ")) == 0);
	ASSERT_CONTAINS(buf, r.node->fingerprint);
	ASSERT_CONTAINS(buf, "; 1 access key");
	ASSERT_EQ(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	node_close(r.node);
	notify_read(fd, buf, sizeof(buf));
	ASSERT_STREQ(buf, "STOPPING=1\nSTATUS=stopping");
	uv_run(&r.loop, UV_RUN_DEFAULT);
	ASSERT_EQ(node_exit_code(r.node), 0);
	node_free(r.node);
	test_loop_close(&r.loop);
	ASSERT_OK(unsetenv("NOTIFY_SOCKET"));
	close(fd);
	free(path);
	test_rmtree(dir);
}

TEST_MAIN(
	T(test_start_stop),
	T(test_key_created_then_revoked),
	T(test_notify_socket),
	T(test_notify_node)
)
