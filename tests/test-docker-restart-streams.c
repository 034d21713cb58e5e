/*
 * Streams while the engine restarts: a `logs --follow` and a stats
 * stream are running when `tools/docker-engine restart` restarts the
 * engine. Each must end, once, with "engine unavailable" and a message,
 * and new streams on the same client must work once the engine is back.
 * Only an engine that script started is restarted (else the test SKIPs
 * and says why).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "dkt.h"
#include "loop.h"
#include "test.h"

/* One stream's story. */
struct story {
	int		 data;		/* chunks or samples */
	int		 ended;
	int		 status;
	char		 msg[512];
	struct dk_stream *s;
};

/* on_chunk of the logs stream. */
static void
on_chunk(struct dk_stream *s, int kind, const char *buf, size_t len,
    void *arg)
{
	(void)s;
	(void)kind;
	(void)buf;
	(void)len;
	((struct story *)arg)->data++;
}

/* on_stats of the stats stream. */
static void
on_stats(struct dk_stream *s, const struct dk_stats *st, json_t *raw,
    void *arg)
{
	(void)s;
	(void)st;
	(void)raw;
	((struct story *)arg)->data++;
}

/* on_end of either. */
static void
on_end(struct dk_stream *s, int status, const char *msg, void *arg)
{
	struct story *k = arg;

	(void)s;
	k->ended++;
	k->status = status;
	snprintf(k->msg, sizeof k->msg, "%s", msg);
}

/* Tells whether tools/docker-engine started the running engine. */
static int
engine_is_ours(char *why, size_t len)
{
	const char *state = test_env("PIER_DOCKER_STATE",
	    "/var/tmp/pier-docker");
	char path[256], *text;
	long pid;

	snprintf(path, sizeof path, "%s/dockerd.pid", state);
	text = test_read_file(path, NULL);
	if (text == NULL) {
		snprintf(why, len, "the engine was not started by "
		    "tools/docker-engine (no %s); not restarting it", path);
		return (0);
	}
	pid = strtol(text, NULL, 10);
	free(text);
	if (pid <= 0 || kill((pid_t)pid, 0) != 0) {
		snprintf(why, len, "the dockerd of %s is not running; not "
		    "restarting an engine tools/docker-engine did not start",
		    path);
		return (0);
	}
	return (1);
}

/* The restart script ended. */
static void
exit_cb(uv_process_t *p, int64_t status, int sig)
{
	int *done = p->data;

	(void)sig;
	*done = status == 0 ? 1 : -(int)status - 1;
	uv_close((uv_handle_t *)p, NULL);
}

/* Starts the logs and stats streams of a container. */
static void
start_streams(struct dk_client *c, const char *id, struct story *logs,
    struct story *stats)
{
	struct dk_logs_opts o = { .follow = 1, .tail = 0 };
	struct dk_stream_cbs lc = { .on_chunk = on_chunk, .on_end = on_end,
	    .arg = logs };
	struct dk_stream_cbs sc = { .on_stats = on_stats, .on_end = on_end,
	    .arg = stats };

	memset(logs, 0, sizeof *logs);
	memset(stats, 0, sizeof *stats);
	ASSERT_OK(dk_logs(c, id, &o, &lc, &logs->s));
	ASSERT_OK(dk_stats_stream(c, id, 0, &sc, &stats->s));
}

/* Both streams end with "engine unavailable"; new ones work after. */
static void
test_restart(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	static const char *const cmd[] = { "sh", "-c",
	    "while true; do echo tick; sleep 0.2; done", NULL };
	struct story logs, stats;
	struct dkt_res res = { 0 };
	uv_process_t proc;
	uv_process_options_t po;
	uv_stdio_container_t stdio[3];
	const char *tag = dkt_tag("restart-streams");
	char script[1024], why[512];
	char *args[3], *id;
	int done = 0;

	c = dkt_client(&loop);
	if (!engine_is_ours(why, sizeof why)) {
		dkt_close(&loop, c);
		SKIP("%s", why);
	}
	id = dkt_container(&loop, c, tag, NULL, (const char *const *)cmd, 1);
	start_streams(c, id, &logs, &stats);
	RUN_UNTIL(&loop, (logs.data > 0 && stats.data > 0) || logs.ended ||
	    stats.ended);
	ASSERT_EQ(logs.ended + stats.ended, 0);

	snprintf(script, sizeof script, "%s/tools/docker-engine",
	    test_env("PIER_SOURCE_ROOT", "."));
	args[0] = script;
	args[1] = "restart";
	args[2] = NULL;
	memset(&po, 0, sizeof po);
	memset(stdio, 0, sizeof stdio);
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = 2;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = 2;
	po.file = script;
	po.args = args;
	po.exit_cb = exit_cb;
	po.stdio = stdio;
	po.stdio_count = 3;
	proc.data = &done;
	ASSERT_OK(uv_spawn(&loop, &proc, &po));

	/* Both end while the engine is away, each once, each saying so. */
	RUN_UNTIL(&loop, logs.ended && stats.ended);
	ASSERT_EQ(logs.status, DK_E_UNAVAILABLE);
	ASSERT_EQ(stats.status, DK_E_UNAVAILABLE);
	ASSERT(logs.msg[0] != '\0');
	ASSERT(stats.msg[0] != '\0');
	printf("# logs: %s\n# stats: %s\n", logs.msg, stats.msg);
	RUN_UNTIL(&loop, done != 0);
	if (done != 1)
		FAIL("tools/docker-engine restart failed (%d)", -done - 1);
	ASSERT_EQ(logs.ended, 1);
	ASSERT_EQ(stats.ended, 1);

	/* The engine stopped the container; start it, stream again. */
	DKT(&loop, res, dk_container_start(c, id, dkt_cb, &res, NULL));
	if (res.status != 0)
		FAIL("start after the restart: %s", res.msg);
	dkt_reset(&res);
	start_streams(c, id, &logs, &stats);
	RUN_UNTIL(&loop, (logs.data > 0 && stats.data > 1) || logs.ended ||
	    stats.ended);
	ASSERT_EQ(logs.ended + stats.ended, 0);
	dk_stream_cancel(logs.s);
	dk_stream_cancel(stats.s);
	RUN_UNTIL(&loop, logs.ended && stats.ended);
	ASSERT_EQ(logs.status, DK_E_CANCELLED);
	ASSERT_EQ(stats.status, DK_E_CANCELLED);

	dkt_cleanup(&loop, c, tag);
	free(id);
	dkt_close(&loop, c);
}

/*
 * Last: removes what a failed case of this run left behind (the cases
 * clean up after themselves when they pass).
 */
static void
test_cleanup(void)
{
	static const char *const names[] = { "restart-streams" };
	uv_loop_t loop;
	struct dk_client *c;
	char tag[160];
	size_t i;

	c = dkt_client(&loop);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(tag, sizeof tag, "%s", dkt_tag(names[i]));
		dkt_cleanup(&loop, c, tag);
	}
	dkt_close(&loop, c);
}

TEST_MAIN(T(test_restart), T(test_cleanup))
