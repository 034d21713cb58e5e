/*
 * The engine restarting under the client: a request in flight when the
 * engine goes away fails with "engine unavailable", requests made while
 * it is down fail the same way with a message naming the socket, and the
 * first request after it is back works on the same client. The engine is
 * restarted with `tools/docker-engine restart`, and only if that script
 * started it (else the test SKIPs and says why), since restarting
 * someone's own dockerd is not a test's business.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "dkt.h"

#define container_of(p, type, member)					\
	((type *)((char *)(p) - offsetof(type, member)))

/* What the restart case watches. */
struct restart_ctx {
	struct dk_client *c;
	uv_process_t	 proc;
	uv_timer_t	 probe;
	uv_timer_t	 guard;
	int		 exited;
	int64_t		 exit_status;
	int		 in_flight;
	int		 nfail;
	int		 nok_after;
	int		 fail_status;
	int		 timed_out;
	char		 fail_msg[512];
};

/* Tells whether tools/docker-engine started the running engine. */
static int
engine_is_ours(char *why, size_t len)
{
	const char *state = test_env("PIER_DOCKER_STATE",
	    "/var/tmp/pier-docker");
	char path[256], *text;
	long pid;

	(void)snprintf(path, sizeof path, "%s/dockerd.pid", state);
	text = test_read_file(path, NULL);
	if (text == NULL) {
		(void)snprintf(why, len, "the engine was not started by "
		    "tools/docker-engine (no %s); not restarting it", path);
		return (0);
	}
	pid = strtol(text, NULL, 10);
	free(text);
	if (pid <= 0 || kill((pid_t)pid, 0) != 0) {
		(void)snprintf(why, len, "the dockerd in %s is not running; "
		    "not restarting an engine tools/docker-engine did not "
		    "start", path);
		return (0);
	}
	return (1);
}

/* The restart script ended. */
static void
exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct restart_ctx *rc = container_of(p, struct restart_ctx, proc);

	(void)sig;
	rc->exited = 1;
	rc->exit_status = status;
	uv_close((uv_handle_t *)p, NULL);
}

/* A probe request ended: count failures, and successes after. */
static void
probe_done_cb(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct restart_ctx *rc = arg;

	json_decref(result);
	rc->in_flight = 0;
	if (status != 0) {
		rc->nfail++;
		rc->fail_status = status;
		(void)snprintf(rc->fail_msg, sizeof rc->fail_msg, "%s",
		    dk_req_message(req));
	} else if (rc->exited)
		rc->nok_after++;
}

/* Every 50 ms, one request to the engine unless one is in flight. */
static void
probe_cb(uv_timer_t *t)
{
	struct restart_ctx *rc = container_of(t, struct restart_ctx, probe);

	if (rc->in_flight)
		return;
	if (dk_info(rc->c, probe_done_cb, rc, NULL) == 0)
		rc->in_flight = 1;
}

/* Gives up if the engine never comes back. */
static void
guard_cb(uv_timer_t *t)
{
	struct restart_ctx *rc = container_of(t, struct restart_ctx, guard);

	rc->timed_out = 1;
}

/* Pending and new requests fail while the engine restarts; then work. */
static void
test_restart(void)
{
	uv_loop_t loop;
	struct restart_ctx rc;
	struct dkt_res w = { 0 }, res = { 0 };
	uv_process_options_t po;
	uv_stdio_container_t stdio[3];
	char why[1024], script[512];
	char *args[3], *id;
	const char *tag = dkt_tag("restart");

	if (!engine_is_ours(why, sizeof why))
		SKIP("%s", why);
	memset(&rc, 0, sizeof rc);
	rc.c = dkt_client(&loop);
	id = dkt_container(&loop, rc.c, tag, NULL, NULL, 1);
	/*
	 * The engine stops its containers as it shuts down, so a wait for
	 * "not-running" may be answered; one for "removed" stays pending.
	 */
	ASSERT_OK(dk_container_wait(rc.c, id, "removed", dkt_cb, &w, NULL));
	/* Let the wait reach the engine before it goes. */
	ASSERT_OK(uv_timer_init(&loop, &rc.probe));
	ASSERT_OK(uv_timer_init(&loop, &rc.guard));
	ASSERT_OK(uv_timer_start(&rc.guard, guard_cb, 300, 0));
	while (!rc.timed_out)
		(void)uv_run(&loop, UV_RUN_ONCE);
	rc.timed_out = 0;
	ASSERT_EQ(w.done, 0);

	(void)snprintf(script, sizeof script, "%s/tools/docker-engine",
	    test_env("PIER_SOURCE_ROOT", "."));
	args[0] = script;
	args[1] = "restart";
	args[2] = NULL;
	memset(&po, 0, sizeof po);
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_IGNORE;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = 2;
	po.file = script;
	po.args = args;
	po.exit_cb = exit_cb;
	po.stdio = stdio;
	po.stdio_count = 3;
	ASSERT_OK(uv_spawn(&loop, &rc.proc, &po));
	ASSERT_OK(uv_timer_start(&rc.probe, probe_cb, 0, 50));
	ASSERT_OK(uv_timer_start(&rc.guard, guard_cb, 150 * 1000, 0));
	while (!rc.timed_out && !(rc.exited && rc.nok_after > 0))
		(void)uv_run(&loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&rc.probe, NULL);
	uv_close((uv_handle_t *)&rc.guard, NULL);
	while (rc.in_flight)
		(void)uv_run(&loop, UV_RUN_ONCE);
	ASSERT(!rc.timed_out);
	ASSERT_EQ(rc.exit_status, 0);

	/* The wait in flight ended with the engine. */
	ASSERT_EQ(w.done, 1);
	ASSERT_EQ(w.status, DK_E_UNAVAILABLE);
	ASSERT_CONTAINS(w.msg, "lost during POST /containers/");
	/* Requests while it was down failed, saying where and why. */
	ASSERT_GE(rc.nfail, 1);
	ASSERT_EQ(rc.fail_status, DK_E_UNAVAILABLE);
	ASSERT_CONTAINS(rc.fail_msg, "cannot reach Docker at unix://");
	ASSERT_CONTAINS(rc.fail_msg, "(is dockerd running?)");
	/* And the same client works again. */
	ASSERT_GE(rc.nok_after, 1);
	DKT(&loop, res, dk_container_inspect(rc.c, id, 0, dkt_cb, &res,
	    NULL));
	ASSERT_EQ(res.status, 0);
	dkt_cleanup(&loop, rc.c, tag);
	free(id);
	dkt_reset(&w);
	dkt_reset(&res);
	dkt_close(&loop, rc.c);
}

TEST_MAIN(
	T(test_restart),
)
