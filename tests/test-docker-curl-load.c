/*
 * libcurl loaded on first use (libcurl/dk-curl.h): a process that makes a
 * Docker client has not mapped libcurl until the client's first request;
 * that request loads it and works; a hijack with a pinned API version,
 * the one path that reaches curl without a request, loads it too. And
 * where libcurl.so.4 cannot be loaded (a file that is not a library put
 * first on LD_LIBRARY_PATH), requests and hijacks end with a clear
 * error naming the library, nothing reaches the engine, the loop goes on
 * serving, and everything closes without a leak.
 *
 * Cases that need a process of their own (a fresh one, or one with the
 * broken library) run this program again as a child with "--child NAME"
 * and read its TAP output.
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docker.h"
#include "dk-fake.h"
#include "test.h"

/* Tells whether libcurl is mapped into this process. */
static int
curl_mapped(void)
{
	char *maps = test_read_file("/proc/self/maps", NULL);
	int found;

	ASSERT_NOT_NULL(maps);
	found = strstr(maps, "libcurl.so") != NULL;
	free(maps);
	return (found);
}

/* Runs this program's child case name; its TAP lines become comments. */
static void
run_child(const char *name, const char *libdir)
{
	char *dir, *out, *text, *line, *save = NULL;
	const char *self = "/proc/self/exe";
	int st, fd, ok = 0;
	pid_t pid;

	dir = test_tmpdir();
	ASSERT(asprintf(&out, "%s/out", dir) > 0);
	fflush(stdout);
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
			_exit(126);
		if (libdir != NULL)
			(void)setenv("LD_LIBRARY_PATH", libdir, 1);
		execl(self, "test-docker-curl-load", "--child", name,
		    (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	text = test_read_file(out, NULL);
	ASSERT_NOT_NULL(text);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		printf("# child %s: %s\n", name, line);
		if (strncmp(line, "ok 1 - ", 7) == 0)
			ok = 1;
	}
	free(text);
	free(out);
	test_rmtree(dir);
	ASSERT(WIFEXITED(st));
	ASSERT_EQ(WEXITSTATUS(st), 0);
	ASSERT(ok);
}

/* Counts a timer's firings. */
static void
tick_cb(uv_timer_t *t)
{
	(*(int *)t->data)++;
}

/*
 * GETs path and waits for the end. A request that fails without I/O
 * ends on a timer, after which UV_RUN_ONCE would poll with no timeout:
 * a ticking timer keeps the wait's loop turning.
 */
static void
get(struct dk_client *c, uv_loop_t *loop, const char *path,
    struct dkt_res *res)
{
	struct dk_req_opts o = { .path = path };
	uv_timer_t tick;
	int ticks = 0;

	dkt_reset(res);
	ASSERT_OK(uv_timer_init(loop, &tick));
	tick.data = &ticks;
	ASSERT_OK(uv_timer_start(&tick, tick_cb, 5, 5));
	ASSERT_OK(dk_request(c, &o, dkt_cb, res, NULL));
	while (res->done == 0 && ticks < 2000)
		(void)uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&tick, NULL);
	(void)uv_run(loop, UV_RUN_NOWAIT);	/* the close, tick is ours */
	ASSERT_EQ(res->done, 1);
}

/* What a hijack's callbacks saw. */
struct hj_res {
	int	 ended;
	int	 status;
	char	 msg[1024];
	size_t	 bytes;
};

/* Hijack output: counted, not expected here. */
static void
hj_data(struct dk_hijack *h, int kind, const char *buf, size_t len,
    void *arg)
{
	struct hj_res *r = arg;

	(void)h;
	(void)kind;
	(void)buf;
	r->bytes += len;
}

/* The hijack's end. */
static void
hj_end(struct dk_hijack *h, int status, const char *msg, void *arg)
{
	struct hj_res *r = arg;

	(void)h;
	r->ended++;
	r->status = status;
	(void)snprintf(r->msg, sizeof r->msg, "%s", msg);
}

/* Runs a hijack of POST path to its end. */
static void
hijack(struct dk_client *c, uv_loop_t *loop, struct hj_res *r)
{
	struct dk_hijack_cbs cbs = {
		.on_data = hj_data,
		.on_end = hj_end,
		.arg = r,
	};

	uv_timer_t tick;
	int ticks = 0;

	memset(r, 0, sizeof *r);
	ASSERT_OK(uv_timer_init(loop, &tick));
	tick.data = &ticks;
	ASSERT_OK(uv_timer_start(&tick, tick_cb, 5, 5));
	ASSERT_OK(dk_hijack_start(c, "POST", "/exec/x/start", NULL, 0, &cbs,
	    NULL));
	while (r->ended == 0 && ticks < 2000)
		(void)uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&tick, NULL);
	(void)uv_run(loop, UV_RUN_NOWAIT);	/* the close, tick is ours */
	ASSERT_EQ(r->ended, 1);
}

/* A client of the fake engine with the API version pinned (no ping). */
static struct dk_client *
pinned_client(struct fk_srv *srv)
{
	struct dk_endpoint ep;
	struct dk_client *c;
	char host[160], *cause = NULL;

	(void)snprintf(host, sizeof host, "unix://%s", srv->path);
	ASSERT_OK(dk_endpoint_parse(&ep, host, 0, 0, NULL, &cause));
	ep.api_version = strdup("1.41");
	ASSERT_NOT_NULL(ep.api_version);
	ASSERT_OK(dk_client_new(srv->loop, &ep, NULL, &c, &cause));
	dk_endpoint_clear(&ep);
	return (c);
}

/* Making and closing a client maps no libcurl; the first request does. */
static void
test_loaded_by_first_request(void)
{
	struct fk_srv srv;
	struct dkt_res res = { 0 };
	struct dk_client *c;
	uv_loop_t loop;
	int closed = 0;

	ASSERT(!curl_mapped());
	fk_start(&srv, &loop, 0);
	c = fk_client(&srv, NULL);
	ASSERT(!curl_mapped());
	dk_client_close(c, fk_closed_cb, &closed);
	while (closed == 0)
		ASSERT(uv_run(&loop, UV_RUN_ONCE) != 0 || closed != 0);
	ASSERT(!curl_mapped());

	c = fk_client(&srv, NULL);
	get(c, &loop, "/containers/json", &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_NOT_NULL(res.result);
	ASSERT(curl_mapped());
	ASSERT_EQ(srv.nping, 1);
	ASSERT_EQ(srv.nreq, 2);
	get(c, &loop, "/info", &res);
	ASSERT_EQ(res.status, 0);
	dkt_reset(&res);
	fk_finish(&srv, c);
}

/* Child: a hijack with a pinned version is the first use of curl. */
static void
test_child_pinned_hijack(void)
{
	struct fk_srv srv;
	struct hj_res r;
	struct dk_client *c;
	uv_loop_t loop;

	ASSERT(!curl_mapped());
	fk_start(&srv, &loop, 0);
	c = pinned_client(&srv);
	hijack(c, &loop, &r);
	/* The fake answers 200 JSON: it connected, and was not upgraded. */
	ASSERT(curl_mapped());
	ASSERT_EQ(r.status, DK_E_BAD_RESPONSE);
	ASSERT_CONTAINS(r.msg, "did not upgrade");
	ASSERT_EQ(srv.nping, 0);
	ASSERT_EQ(srv.nreq, 1);
	ASSERT_STREQ(srv.last_path, "/v1.41/exec/x/start");
	fk_finish(&srv, c);
}

/* Child, libcurl broken: requests end saying why, and again. */
static void
test_child_request_without_curl(void)
{
	struct fk_srv srv;
	struct dkt_res res = { 0 };
	struct dk_client *c;
	uv_loop_t loop;
	const char *dir = getenv("LD_LIBRARY_PATH");
	int i;

	ASSERT_NOT_NULL(dir);
	fk_start(&srv, &loop, 0);
	c = fk_client(&srv, NULL);
	/* Each request tries again, and says why it failed. */
	for (i = 0; i < 2; i++) {
		get(c, &loop, "/containers/json", &res);
		ASSERT_EQ(res.status, DK_E_UNAVAILABLE);
		ASSERT_NULL(res.result);
		ASSERT_CONTAINS(res.msg, "cannot load libcurl.so.4: ");
		ASSERT_CONTAINS(res.msg, dir);	/* dlerror names the file */
		ASSERT_CONTAINS(res.msg, "; install libcurl4");
	}
	ASSERT_EQ(srv.nconn, 0);
	ASSERT_EQ(srv.nreq, 0);
	ASSERT(!curl_mapped());
	fk_finish(&srv, c);
}

/* Child, libcurl broken: hijacks end saying why, with or without ping. */
static void
test_child_hijack_without_curl(void)
{
	struct fk_srv srv;
	struct hj_res r;
	struct dk_client *c;
	uv_loop_t loop;

	fk_start(&srv, &loop, 0);
	c = pinned_client(&srv);
	hijack(c, &loop, &r);
	ASSERT_EQ(r.status, DK_E_UNAVAILABLE);
	ASSERT_CONTAINS(r.msg, "cannot load libcurl.so.4: ");
	ASSERT_CONTAINS(r.msg, "install libcurl4");
	fk_finish(&srv, c);

	/* Without a pinned version the ping fails first, the same way. */
	fk_start(&srv, &loop, 0);
	c = fk_client(&srv, NULL);
	hijack(c, &loop, &r);
	ASSERT_EQ(r.status, DK_E_UNAVAILABLE);
	ASSERT_CONTAINS(r.msg, "cannot load libcurl.so.4: ");
	ASSERT_EQ(r.bytes, 0);
	ASSERT_EQ(srv.nconn, 0);
	ASSERT(!curl_mapped());
	fk_finish(&srv, c);
}

/* Runs a child case with a libcurl.so.4 that is not a library first. */
static void
run_broken(const char *name)
{
	static const char junk[] = "this is not a shared library\n";
	char *dir, *lib;
	FILE *f;

	dir = test_tmpdir();
	ASSERT(asprintf(&lib, "%s/libcurl.so.4", dir) > 0);
	f = fopen(lib, "w");
	ASSERT_NOT_NULL(f);
	ASSERT_EQ(fwrite(junk, 1, sizeof junk - 1, f), sizeof junk - 1);
	ASSERT_OK(fclose(f));
	free(lib);
	run_child(name, dir);
	test_rmtree(dir);
}

/* A fresh process whose first curl use is a pinned-version hijack. */
static void
test_pinned_hijack_loads(void)
{
	run_child("test_child_pinned_hijack", NULL);
}

/* A process that cannot load libcurl: requests. */
static void
test_request_without_curl(void)
{
	run_broken("test_child_request_without_curl");
}

/* A process that cannot load libcurl: hijacks. */
static void
test_hijack_without_curl(void)
{
	run_broken("test_child_hijack_without_curl");
}

/* The cases, or with "--child NAME" one case of a child process. */
int
main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		T(test_loaded_by_first_request),
		T(test_pinned_hijack_loads),
		T(test_request_without_curl),
		T(test_hijack_without_curl),
	};
	static const struct test_case child_cases[] = {
		T(test_child_pinned_hijack),
		T(test_child_request_without_curl),
		T(test_child_hijack_without_curl),
	};

	if (argc == 3 && strcmp(argv[1], "--child") == 0)
		return (test_run(argc - 1, argv + 1, child_cases,
		    sizeof child_cases / sizeof child_cases[0]));
	return (test_run(argc, argv, cases, sizeof cases / sizeof cases[0]));
}
