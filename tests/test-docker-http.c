/*
 * The HTTP layer of the Docker client against a fake engine on a unix
 * socket (and one on loopback TCP), for what a real engine will not do on
 * request: truncated JSON, a wrong content type, a connection dropped in
 * the middle of a body, a server that never answers, an oversized body,
 * an old API version. Also cancellation, client shutdown with requests in
 * flight, unreachable sockets and bad arguments. Streams are in
 * test-docker-http-stream.c.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "dkt.h"
#include "dk-fake.h"


/* A plain GET negotiates the version first and returns the JSON. */
static void
test_json_and_version(void)
{
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dkt_res res = { 0 };

	fk_start(&srv, &loop, 0);
	c = fk_client(&srv, NULL);
	fk_get(c, &loop, "/containers/json?all=1", &res);
	ASSERT_EQ(res.done, 1);
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(res.http, 200);
	ASSERT(json_is_true(json_object_get(res.result, "ok")));
	ASSERT_STREQ(srv.last_path, "/v1.41/containers/json?all=1");
	ASSERT_STREQ(dk_client_api_version(c), "1.41");
	ASSERT_EQ(srv.nping, 1);
	/* Known now: no second ping. */
	fk_get(c, &loop, "/info", &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(srv.nping, 1);
	ASSERT_STREQ(srv.last_path, "/v1.41/info");
	dkt_reset(&res);
	fk_finish(&srv, c);
}

/* A newer engine is spoken to in our version; an older one refused. */
static void
test_version_rules(void)
{
	static const struct {
		const char	*api;
		int		 status;
		const char	*want;
	} cases[] = {
		{ "1.45", 0, "1.43" },
		{ "1.42", 0, "1.42" },
		{ "1.40", DK_E_UNAVAILABLE, "older than the oldest" },
		{ NULL, DK_E_BAD_RESPONSE, "no usable Api-Version" },
		{ "banana", DK_E_BAD_RESPONSE, "no usable Api-Version" },
	};
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fk_start(&srv, &loop, 0);
		srv.api = cases[i].api;
		c = fk_client(&srv, NULL);
		fk_get(c, &loop, "/version", &res);
		ASSERT_EQ(res.status, cases[i].status);
		if (res.status == 0) {
			ASSERT_STREQ(dk_client_api_version(c), cases[i].want);
			ASSERT_CONTAINS(srv.last_path, cases[i].want);
		} else {
			ASSERT_CONTAINS(res.msg, cases[i].want);
			ASSERT_NULL(dk_client_api_version(c));
			ASSERT_EQ(srv.nreq, 1);	/* only the ping */
		}
		dkt_reset(&res);
		fk_finish(&srv, c);
	}
}

/* Faults of the response are errors with a clear message. */
static void
test_bad_responses(void)
{
	static const struct {
		enum fk_mode	 mode;
		int		 status;
		const char	*want;
	} cases[] = {
		{ FK_TRUNCATED, DK_E_BAD_RESPONSE, "bad JSON" },
		{ FK_HTML, DK_E_BAD_RESPONSE, "unexpected content type "
		    "\"text/html\"" },
		{ FK_RESET, DK_E_UNAVAILABLE, "lost during GET /x" },
		{ FK_404, DK_E_NOT_FOUND, "No such container: web" },
		{ FK_TEXT_ERR, DK_E_INTERNAL, "engine on fire" },
		{ FK_HEADERS, DK_E_BAD_RESPONSE, "headers of the answer to GET "
		    "/x are larger than 16384 bytes" },
	};
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fk_start(&srv, &loop, 0);
		srv.mode = cases[i].mode;
		c = fk_client(&srv, NULL);
		fk_get(c, &loop, "/x", &res);
		ASSERT_EQ(res.done, 1);
		ASSERT_EQ(res.status, cases[i].status);
		ASSERT_NULL(res.result);
		ASSERT_CONTAINS(res.msg, cases[i].want);
		dkt_reset(&res);
		fk_finish(&srv, c);
	}
}

/* A body over the client's bound fails cleanly; under it, it passes. */
static void
test_body_bound(void)
{
	struct dk_client_opts small = { .max_body = 4096 };
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dkt_res res = { 0 };

	fk_start(&srv, &loop, 0);
	srv.mode = FK_BIG;
	c = fk_client(&srv, &small);
	fk_get(c, &loop, "/big", &res);
	ASSERT_EQ(res.status, DK_E_BAD_RESPONSE);
	ASSERT_CONTAINS(res.msg, "larger than 4096 bytes");
	fk_finish(&srv, c);

	fk_start(&srv, &loop, 0);
	srv.mode = FK_BIG;
	c = fk_client(&srv, NULL);
	fk_get(c, &loop, "/big", &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(json_string_length(res.result), 8297);
	dkt_reset(&res);
	fk_finish(&srv, c);
}

/* A server that never answers meets the request's timeout. */
static void
test_slow_server(void)
{
	struct dk_client_opts o = { .timeout_ms = 200 };
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	uint64_t t0;

	fk_start(&srv, &loop, 0);
	srv.mode = FK_SILENT;
	c = fk_client(&srv, &o);
	t0 = uv_hrtime();
	fk_get(c, &loop, "/slow", &res);
	ASSERT_EQ(res.status, DK_E_TIMEOUT);
	ASSERT_CONTAINS(res.msg, "did not answer GET /slow in time");
	ASSERT_GE((uv_hrtime() - t0) / 1000000, 190);
	ASSERT_LT((uv_hrtime() - t0) / 1000000, 5000);
	fk_finish(&srv, c);
}

/*
 * A slow server dripping its body: assembled whole within the timeout,
 * and a timeout in the middle of the body when it is shorter.
 */
static void
test_drip(void)
{
	struct dk_client_opts o = { .timeout_ms = 100 };
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dkt_res res = { 0 };

	fk_start(&srv, &loop, 0);
	srv.mode = FK_DRIP;
	c = fk_client(&srv, NULL);
	fk_get(c, &loop, "/drip", &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(json_array_size(res.result), 100);
	ASSERT_EQ(json_integer_value(json_array_get(res.result, 99)), 99);
	dkt_reset(&res);
	fk_finish(&srv, c);

	fk_start(&srv, &loop, 0);
	srv.mode = FK_DRIP;
	c = fk_client(&srv, &o);
	fk_get(c, &loop, "/drip", &res);
	ASSERT_EQ(res.status, DK_E_TIMEOUT);
	ASSERT_EQ(res.http, 200);	/* the headers had come */
	ASSERT_CONTAINS(res.msg, "did not answer GET /drip in time");
	fk_finish(&srv, c);
}

/* A connection reset in the middle of a body. */
static void
test_reset_mid_body(void)
{
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dkt_res res = { 0 };

	fk_start(&srv, &loop, 1);
	srv.mode = FK_RST;
	c = fk_client(&srv, NULL);
	fk_get(c, &loop, "/rst", &res);
	ASSERT_EQ(res.done, 1);
	ASSERT_EQ(res.status, DK_E_UNAVAILABLE);
	ASSERT_CONTAINS(res.msg, "connection to Docker at tcp://127.0.0.1:");
	ASSERT_CONTAINS(res.msg, "lost during GET /rst");
	ASSERT_CONTAINS(res.msg, "Connection reset by peer");
	printf("# %s\n", res.msg);
	ASSERT_NULL(res.result);
	fk_finish(&srv, c);
}

/* The same over tcp://127.0.0.1. */
static void
test_tcp_endpoint(void)
{
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dkt_res res = { 0 };

	fk_start(&srv, &loop, 1);
	c = fk_client(&srv, NULL);
	fk_get(c, &loop, "/containers/json", &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(srv.last_path, "/v1.41/containers/json");
	dkt_reset(&res);
	fk_finish(&srv, c);
}

/* A POST carries its JSON body with the right headers. */
static void
test_post_body(void)
{
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	static const char *const cmd[] = { "echo", "hi there", NULL };
	struct dk_create_opts o = {
		.name = "we b",
		.image = "img",
		.cmd = cmd,
	};

	fk_start(&srv, &loop, 0);
	c = fk_client(&srv, NULL);
	DKT(&loop, res, dk_container_create(c, &o, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(srv.last_method, "POST");
	ASSERT_STREQ(srv.last_path, "/v1.41/containers/create?name=we%20b");
	ASSERT_CONTAINS(srv.last_body, "\"Cmd\":[\"echo\",\"hi there\"]");
	ASSERT_CONTAINS(srv.last_body, "\"Image\":\"img\"");
	dkt_reset(&res);
	fk_finish(&srv, c);
}

/* Cancelling before the request started, and a silent one in flight. */
static void
test_cancel_pending(void)
{
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dk_req_opts o = { .path = "/never" };
	struct dkt_res a = { 0 }, b = { 0 };
	struct dk_req *ra, *rb;

	fk_start(&srv, &loop, 0);
	srv.mode = FK_SILENT;
	c = fk_client(&srv, NULL);
	ASSERT_OK(dk_request(c, &o, dkt_cb, &a, &ra));
	ASSERT_OK(dk_request(c, &o, dkt_cb, &b, &rb));
	dk_req_cancel(ra);		/* before anything ran */
	ASSERT_EQ(a.done, 0);		/* never from inside the call */
	while (srv.nreq < 2)		/* ping, then the second one */
		ASSERT(uv_run(&loop, UV_RUN_ONCE) != 0);
	ASSERT_EQ(a.done, 1);
	ASSERT_EQ(a.status, -ECANCELED);
	ASSERT_EQ(b.done, 0);
	dk_req_cancel(rb);		/* in flight at the server */
	dkt_wait(&loop, &b);
	ASSERT_EQ(b.status, -ECANCELED);
	ASSERT_EQ(a.done, 1);
	fk_finish(&srv, c);
}

/* Closing a client with requests in flight cancels each once. */
static void
test_close_with_pending(void)
{
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dk_req_opts o = { .path = "/never" };
	struct dkt_res res[5];
	int i, closed = 0;

	memset(res, 0, sizeof res);
	fk_start(&srv, &loop, 0);
	srv.mode = FK_SILENT;
	c = fk_client(&srv, NULL);
	for (i = 0; i < 5; i++)
		ASSERT_OK(dk_request(c, &o, dkt_cb, &res[i], NULL));
	while (srv.nreq < 6)
		ASSERT(uv_run(&loop, UV_RUN_ONCE) != 0);
	ASSERT_EQ(dk_client_pending(c), 5);
	dk_client_close(c, fk_closed_cb, &closed);
	ASSERT_EQ(dk_request(c, &o, dkt_cb, &res[0], NULL), -ECANCELED);
	while (closed == 0)
		(void)uv_run(&loop, UV_RUN_ONCE);
	ASSERT_EQ(closed, 1);
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(res[i].done, 1);
		ASSERT_EQ(res[i].status, -ECANCELED);
	}
	fk_finish(&srv, NULL);
}

/* What the close-from-a-callback cases share. */
struct reenter_ctx {
	struct dk_client *c;
	struct dkt_res	 res;
	int		 closed;
	int		 data_calls;
	int		 late;		/* requests refused while closing */
};

/* Closes the client from inside a completion callback. */
static void
close_in_done_cb(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct reenter_ctx *rc = arg;
	struct dk_req_opts o = { .path = "/late" };

	dkt_cb(req, status, result, &rc->res);
	dk_client_close(rc->c, fk_closed_cb, &rc->closed);
	dk_client_close(rc->c, fk_closed_cb, &rc->closed);	/* no-op */
	if (dk_request(rc->c, &o, dkt_cb, &rc->res, NULL) == -ECANCELED)
		rc->late++;
}

/* Closes the client from inside a stream's data callback. */
static void
close_in_data_cb(struct dk_req *req, const char *buf, size_t len,
    void *arg)
{
	struct reenter_ctx *rc = arg;

	(void)buf;
	(void)len;
	if (rc->data_calls++ == 0)
		dk_client_close(dk_req_client(req), fk_closed_cb,
		    &rc->closed);
}

/* The end of a stream closed from inside. */
static void
reenter_done_cb(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct reenter_ctx *rc = arg;

	dkt_cb(req, status, result, &rc->res);
}

/* A client closed from inside its own callbacks ends cleanly. */
static void
test_close_from_callbacks(void)
{
	uv_loop_t loop;
	struct fk_srv srv;
	struct reenter_ctx rc;
	struct dkt_res other = { 0 };
	struct dk_req_opts get = { .path = "/x" };
	struct dk_req_opts never = { .path = "/never" };
	struct dk_req_opts stream = { .path = "/logs",
	    .flags = DK_REQ_STREAM, .on_data = close_in_data_cb };

	memset(&rc, 0, sizeof rc);
	fk_start(&srv, &loop, 0);
	rc.c = fk_client(&srv, NULL);
	ASSERT_OK(dk_request(rc.c, &get, close_in_done_cb, &rc, NULL));
	while (rc.res.done == 0)
		(void)uv_run(&loop, UV_RUN_ONCE);
	while (rc.closed == 0)
		(void)uv_run(&loop, UV_RUN_ONCE);
	ASSERT_EQ(rc.res.done, 1);
	ASSERT_EQ(rc.res.status, 0);
	ASSERT_EQ(rc.late, 1);
	ASSERT_EQ(rc.closed, 1);
	dkt_reset(&rc.res);
	fk_finish(&srv, NULL);

	memset(&rc, 0, sizeof rc);
	fk_start(&srv, &loop, 0);
	srv.mode = FK_STREAM;
	rc.c = fk_client(&srv, NULL);
	ASSERT_OK(dk_request(rc.c, &stream, reenter_done_cb, &rc, NULL));
	ASSERT_OK(dk_request(rc.c, &never, dkt_cb, &other, NULL));
	while (rc.closed == 0)
		(void)uv_run(&loop, UV_RUN_ONCE);
	ASSERT_EQ(rc.data_calls, 1);	/* nothing after the close */
	ASSERT_EQ(rc.res.done, 1);
	ASSERT_EQ(rc.res.status, -ECANCELED);
	ASSERT_EQ(other.done, 1);
	ASSERT_EQ(other.status, -ECANCELED);
	fk_finish(&srv, NULL);
}

/* Many requests at once all complete. */
static void
test_many_parallel(void)
{
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dk_req_opts o = { .path = "/containers/json" };
	struct dkt_res res[40];
	int i, done = 0;

	memset(res, 0, sizeof res);
	fk_start(&srv, &loop, 0);
	c = fk_client(&srv, NULL);
	for (i = 0; i < 40; i++)
		ASSERT_OK(dk_request(c, &o, dkt_cb, &res[i], NULL));
	while (done < 40) {
		(void)uv_run(&loop, UV_RUN_ONCE);	/* the server stays */
		for (done = 0, i = 0; i < 40; i++)
			done += res[i].done;
	}
	for (i = 0; i < 40; i++) {
		ASSERT_EQ(res[i].done, 1);
		ASSERT_EQ(res[i].status, 0);
		dkt_reset(&res[i]);
	}
	ASSERT_EQ(srv.nping, 1);
	fk_finish(&srv, c);
}

/* No socket, and a socket nobody listens on, give clear messages. */
static void
test_unreachable(void)
{
	uv_loop_t loop;
	struct dk_endpoint ep;
	struct dk_client *c;
	struct dkt_res res = { 0 }, res2 = { 0 };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char host[200], *dir, *cause = NULL;
	int fd;

	dir = test_tmpdir();
	ASSERT_OK(uv_loop_init(&loop));
	(void)snprintf(host, sizeof host, "unix://%s/none.sock", dir);
	ASSERT_OK(dk_endpoint_parse(&ep, host, 0, 0, NULL, &cause));
	ASSERT_OK(dk_client_new(&loop, &ep, NULL, &c, &cause));
	dk_endpoint_clear(&ep);
	DKT(&loop, res, dk_version(c, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, DK_E_UNAVAILABLE);
	ASSERT_CONTAINS(res.msg, "cannot reach Docker at unix://");
	ASSERT_CONTAINS(res.msg, "none.sock: no such file (is dockerd "
	    "running?)");
	dkt_close(&loop, c);

	/* A bound socket that is not listening refuses connections. */
	(void)snprintf(sun.sun_path, sizeof sun.sun_path, "%s/refuse.sock",
	    dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ASSERT_GE(fd, 0);
	ASSERT_OK(bind(fd, (struct sockaddr *)&sun, sizeof sun));
	ASSERT_OK(uv_loop_init(&loop));
	(void)snprintf(host, sizeof host, "unix://%s", sun.sun_path);
	ASSERT_OK(dk_endpoint_parse(&ep, host, 0, 0, NULL, &cause));
	ASSERT_OK(dk_client_new(&loop, &ep, NULL, &c, &cause));
	dk_endpoint_clear(&ep);
	DKT(&loop, res, dk_ping(c, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, DK_E_UNAVAILABLE);
	ASSERT_CONTAINS(res.msg, "refuse.sock: connection refused (is "
	    "dockerd running?)");
	/* Requests waiting on the version get the same error. */
	DKT(&loop, res2, dk_info(c, dkt_cb, &res2, NULL));
	ASSERT_EQ(res2.status, DK_E_UNAVAILABLE);
	ASSERT_STREQ(res2.msg, res.msg);
	dkt_close(&loop, c);
	close(fd);
	test_rmtree(dir);
}

/* Asks host once on a fresh loop; writes "status message" to fd. */
static void
ask_and_report(const char *host, int fd)
{
	uv_loop_t loop;
	struct dk_endpoint ep;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	char *cause = NULL, out[1100];
	int n;

	if (uv_loop_init(&loop) != 0 ||
	    dk_endpoint_parse(&ep, host, 0, 0, NULL, &cause) != 0 ||
	    dk_client_new(&loop, &ep, NULL, &c, &cause) != 0 ||
	    dk_version(c, dkt_cb, &res, NULL) != 0)
		_exit(3);
	dk_endpoint_clear(&ep);
	while (res.done == 0)
		(void)uv_run(&loop, UV_RUN_ONCE);
	n = snprintf(out, sizeof out, "%d %s", res.status, res.msg);
	dk_client_close(c, NULL, NULL);
	(void)uv_run(&loop, UV_RUN_DEFAULT);
	(void)uv_loop_close(&loop);
	if (write(fd, out, (size_t)n) != n)
		_exit(4);
}

/*
 * A socket this user may not open: the message says to join the docker
 * group. As root (who opens anything) the client runs in a child that
 * has become nobody.
 */
static void
test_permission_denied(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char host[200], *dir, buf[1100];
	int fd, fds[2], st;
	ssize_t n;
	pid_t pid;

	dir = test_tmpdir();
	ASSERT_OK(chmod(dir, 0755));
	(void)snprintf(sun.sun_path, sizeof sun.sun_path, "%s/docker.sock",
	    dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ASSERT_GE(fd, 0);
	ASSERT_OK(bind(fd, (struct sockaddr *)&sun, sizeof sun));
	ASSERT_OK(listen(fd, 4));
	ASSERT_OK(chmod(sun.sun_path, geteuid() == 0 ? 0600 : 0));
	(void)snprintf(host, sizeof host, "unix://%s", sun.sun_path);
	ASSERT_OK(pipe(fds));
	fflush(stdout);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		if (geteuid() == 0 && (setgid(65534) != 0 ||
		    setuid(65534) != 0))
			_exit(2);
		free(dir);
		ask_and_report(host, fds[1]);
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof buf - 1);
	close(fds[0]);
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT(WIFEXITED(st));
	ASSERT_EQ(WEXITSTATUS(st), 0);
	ASSERT_GT(n, 0);
	buf[n] = '\0';
	ASSERT_EQ(atoi(buf), DK_E_PERMISSION);
	ASSERT_CONTAINS(buf, "cannot reach Docker at unix://");
	ASSERT_CONTAINS(buf, "docker.sock: permission denied (is this user "
	    "in the docker group?)");
	close(fd);
	test_rmtree(dir);
}

/* Bad arguments are refused up front, without a callback. */
static void
test_bad_arguments(void)
{
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	struct dk_req_opts nopath = { .path = "relative" };
	struct dk_req_opts nodata = { .path = "/x", .flags = DK_REQ_STREAM };
	struct dk_req_opts crlf = { .path = "/x\r\nX-Evil: 1" };
	struct dk_req_opts space = { .path = "/x y" };
	struct dk_req_opts method = { .method = "GET /y HTTP/1.1\r\n",
	    .path = "/x" };
	struct dk_create_opts noimage = { .name = "x" };
	struct dk_req *r = (struct dk_req *)&res;

	fk_start(&srv, &loop, 0);
	c = fk_client(&srv, NULL);
	ASSERT_EQ(dk_request(c, &nopath, dkt_cb, &res, &r), -EINVAL);
	ASSERT_NULL(r);
	ASSERT_EQ(dk_request(c, &nodata, dkt_cb, &res, NULL), -EINVAL);
	ASSERT_EQ(dk_request(c, &crlf, dkt_cb, &res, NULL), -EINVAL);
	ASSERT_EQ(dk_request(c, &space, dkt_cb, &res, NULL), -EINVAL);
	ASSERT_EQ(dk_request(c, &method, dkt_cb, &res, NULL), -EINVAL);
	ASSERT_EQ(dk_container_create(c, &noimage, dkt_cb, &res, NULL),
	    -EINVAL);
	ASSERT_EQ(dk_container_start(c, "", dkt_cb, &res, NULL), -EINVAL);
	ASSERT_EQ(dk_container_inspect(c, NULL, 0, dkt_cb, &res, NULL),
	    -EINVAL);
	ASSERT_EQ(dk_container_rename(c, "a", "", dkt_cb, &res, NULL),
	    -EINVAL);
	uv_run(&loop, UV_RUN_NOWAIT);
	ASSERT_EQ(res.done, 0);
	ASSERT_EQ(dk_client_pending(c), 0);
	fk_finish(&srv, c);
}

TEST_MAIN(
	T(test_json_and_version),
	T(test_version_rules),
	T(test_bad_responses),
	T(test_body_bound),
	T(test_slow_server),
	T(test_drip),
	T(test_reset_mid_body),
	T(test_tcp_endpoint),
	T(test_post_body),
	T(test_cancel_pending),
	T(test_close_with_pending),
	T(test_close_from_callbacks),
	T(test_many_parallel),
	T(test_unreachable),
	T(test_permission_denied),
	T(test_bad_arguments),
)
