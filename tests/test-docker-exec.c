/*
 * Exec and attach against the real engine: without a TTY stdout and
 * stderr stay apart and the exit code comes from inspect; with a TTY a
 * resize shows in `stty size`; stdin reaches the process and closing it
 * ends `cat`; attach joins a container's own stdio; errors (no such exec,
 * no such container) carry the engine's message; a paused consumer stops
 * the reading; cancel ends at once; the write queue is bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "dkt.h"
#include "test.h"

/* What a hijack consumer collected. */
struct sink {
	char		 out[1 << 16];
	size_t		 nout;
	char		 err[4096];
	size_t		 nerr;
	uint64_t	 total;		/* every byte, even past out[] */
	int		 raw;
	int		 chunks;
	int		 ended;
	int		 status;
	char		 msg[512];
	int		 pause_at;
	struct dk_hijack *h;
};

/* on_data: keeps stdout (or raw) and stderr apart. */
static void
on_data(struct dk_hijack *h, int kind, const char *buf, size_t len,
    void *arg)
{
	struct sink *k = arg;
	size_t n;

	k->chunks++;
	k->total += len;
	if (kind == DK_STREAM_RAW)
		k->raw++;
	if (kind == DK_STREAM_STDERR) {
		n = len < sizeof k->err - 1 - k->nerr ? len :
		    sizeof k->err - 1 - k->nerr;
		memcpy(k->err + k->nerr, buf, n);
		k->nerr += n;
		k->err[k->nerr] = '\0';
	} else {
		n = len < sizeof k->out - 1 - k->nout ? len :
		    sizeof k->out - 1 - k->nout;
		memcpy(k->out + k->nout, buf, n);
		k->nout += n;
		k->out[k->nout] = '\0';
	}
	if (k->pause_at != 0 && k->chunks == k->pause_at)
		dk_hijack_pause(h);
}

/* on_end: records the outcome. */
static void
on_end(struct dk_hijack *h, int status, const char *msg, void *arg)
{
	struct sink *k = arg;

	(void)h;
	k->ended++;
	k->status = status;
	k->h = NULL;
	snprintf(k->msg, sizeof k->msg, "%s", msg);
}

/* Runs the loop until cond holds; FAILs if it runs dry. */
#define RUN_UNTIL(loop, cond) do {					\
	while (!(cond))							\
		if (uv_run((loop), UV_RUN_ONCE) == 0 && !(cond))	\
			FAIL("loop ran dry waiting for %s", #cond);	\
} while (0)

/* Creates an exec in id and returns its id (caller frees). */
static char *
exec_create(uv_loop_t *loop, struct dk_client *c, const char *id,
    const struct dk_exec_opts *o)
{
	struct dkt_res res = { 0 };
	char *eid;

	DKT(loop, res, dk_exec_create(c, id, o, dkt_cb, &res, NULL));
	if (res.status != 0)
		FAIL("exec create: %s", res.msg);
	eid = strdup(json_string_value(json_object_get(res.result, "Id")));
	dkt_reset(&res);
	return (eid);
}

/* Returns an exec's exit code from inspect; FAILs while it runs. */
static int
exit_code(uv_loop_t *loop, struct dk_client *c, const char *eid)
{
	struct dkt_res res = { 0 };
	int code;

	DKT(loop, res, dk_exec_inspect(c, eid, dkt_cb, &res, NULL));
	ASSERT_OK(res.status);
	ASSERT(json_is_false(json_object_get(res.result, "Running")));
	code = (int)json_integer_value(json_object_get(res.result,
	    "ExitCode"));
	dkt_reset(&res);
	return (code);
}

/* Without a TTY: stdout and stderr apart, exit code from inspect. */
static void
test_notty(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	const char *cmd[] = { "sh", "-c", "echo out; echo err >&2; "
	    "echo out2; exit 7", NULL };
	struct dk_exec_opts o = { .cmd = cmd };
	static struct sink k;
	struct dk_hijack_cbs cbs = { .on_data = on_data, .on_end = on_end,
	    .arg = &k };
	const char *tag = dkt_tag("exec-notty");
	char *id, *eid;

	memset(&k, 0, sizeof k);
	c = dkt_client(&loop);
	id = dkt_container(&loop, c, tag, NULL, NULL, 1);
	eid = exec_create(&loop, c, id, &o);
	ASSERT_OK(dk_exec_start(c, eid, 0, &cbs, &k.h));
	RUN_UNTIL(&loop, k.ended);
	ASSERT_EQ(k.ended, 1);
	if (k.status != 0)
		FAIL("exec ended %d: %s", k.status, k.msg);
	ASSERT_STREQ(k.out, "out\nout2\n");
	ASSERT_STREQ(k.err, "err\n");
	ASSERT_EQ(k.raw, 0);
	ASSERT_EQ(exit_code(&loop, c, eid), 7);
	free(eid);
	dkt_cleanup(&loop, c, tag);
	free(id);
	dkt_close(&loop, c);
}

/* With a TTY: a resize shows in `stty size`; exit code 3. */
static void
test_tty_resize(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	const char *cmd[] = { "sh", NULL };
	struct dk_exec_opts o = { .cmd = cmd, .tty = 1, .stdin_on = 1 };
	static struct sink k;
	struct dk_hijack_cbs cbs = { .on_data = on_data, .on_end = on_end,
	    .arg = &k };
	struct dkt_res res = { 0 };
	const char *tag = dkt_tag("exec-tty");
	char *id, *eid;

	memset(&k, 0, sizeof k);
	c = dkt_client(&loop);
	id = dkt_container(&loop, c, tag, NULL, NULL, 1);
	eid = exec_create(&loop, c, id, &o);
	ASSERT_OK(dk_exec_start(c, eid, 1, &cbs, &k.h));
	/* The shell's prompt says it runs. */
	RUN_UNTIL(&loop, k.ended || strstr(k.out, "# ") != NULL);
	ASSERT_EQ(k.ended, 0);
	DKT(&loop, res, dk_exec_resize(c, eid, 37, 101, dkt_cb, &res, NULL));
	if (res.status != 0)
		FAIL("resize: %s", res.msg);
	ASSERT_OK(dk_hijack_write(k.h, "stty size\n", 10));
	RUN_UNTIL(&loop, k.ended || strstr(k.out, "37 101\r\n") != NULL);
	ASSERT_EQ(k.raw, k.chunks);
	/* And again, smaller. */
	DKT(&loop, res, dk_exec_resize(c, eid, 20, 60, dkt_cb, &res, NULL));
	ASSERT_OK(res.status);
	ASSERT_OK(dk_hijack_write(k.h, "stty size; exit 3\n", 18));
	RUN_UNTIL(&loop, k.ended);
	ASSERT_OK(k.status);
	ASSERT_CONTAINS(k.out, "20 60\r\n");
	ASSERT_EQ(exit_code(&loop, c, eid), 3);
	/* Bad sizes are refused before anything is sent. */
	ASSERT_EQ(dk_exec_resize(c, eid, 0, 80, dkt_cb, &res, NULL),
	    -EINVAL);
	dkt_reset(&res);
	free(eid);
	dkt_cleanup(&loop, c, tag);
	free(id);
	dkt_close(&loop, c);
}

/* Stdin reaches the process; closing it ends `cat`. */
static void
test_stdin(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	const char *cmd[] = { "cat", NULL };
	struct dk_exec_opts o = { .cmd = cmd, .stdin_on = 1 };
	static struct sink k;
	struct dk_hijack_cbs cbs = { .on_data = on_data, .on_end = on_end,
	    .arg = &k };
	const char *tag = dkt_tag("exec-stdin");
	char *id, *eid;

	memset(&k, 0, sizeof k);
	c = dkt_client(&loop);
	id = dkt_container(&loop, c, tag, NULL, NULL, 1);
	eid = exec_create(&loop, c, id, &o);
	/* Written before the upgrade: queued behind the request. */
	ASSERT_OK(dk_exec_start(c, eid, 0, &cbs, &k.h));
	ASSERT_OK(dk_hijack_write(k.h, "hello ", 6));
	ASSERT_OK(dk_hijack_write(k.h, "cat\n", 4));
	RUN_UNTIL(&loop, k.ended || k.nout >= 10);
	ASSERT_STREQ(k.out, "hello cat\n");
	dk_hijack_close_write(k.h);
	ASSERT_EQ(dk_hijack_write(k.h, "x", 1), -EPIPE);
	RUN_UNTIL(&loop, k.ended);
	ASSERT_OK(k.status);
	ASSERT_EQ(exit_code(&loop, c, eid), 0);
	free(eid);
	dkt_cleanup(&loop, c, tag);
	free(id);
	dkt_close(&loop, c);
}

/* Attach: a container's own stdio, stdin included. */
static void
test_attach(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	static struct sink k;
	struct dk_hijack_cbs cbs = { .on_data = on_data, .on_end = on_end,
	    .arg = &k };
	const char *tag = dkt_tag("exec-attach");
	char label[192];
	const char *labels[] = { "pier.test=1", label, NULL };
	const char *cmd[] = { "sh", "-c", "read line; echo got:$line; "
	    "echo bye >&2", NULL };
	struct dk_create_opts co = { .image = dkt_image(), .cmd = cmd,
	    .labels = labels, .open_stdin = 1 };
	struct dkt_res res = { 0 };
	char *id;

	memset(&k, 0, sizeof k);
	c = dkt_client(&loop);
	snprintf(label, sizeof label, "pier.test.case=%s", tag);
	DKT(&loop, res, dk_container_create(c, &co, dkt_cb, &res, NULL));
	if (res.status != 0)
		FAIL("create: %s", res.msg);
	id = strdup(json_string_value(json_object_get(res.result, "Id")));
	/* Attach first, then start, as `docker run -i` does. */
	ASSERT_OK(dk_container_attach(c, id, 0, 1, 0, &cbs, &k.h));
	ASSERT_OK(dk_hijack_write(k.h, "abc\n", 4));
	while (dk_hijack_queued(k.h) > 0 && !k.ended)
		uv_run(&loop, UV_RUN_ONCE);
	DKT(&loop, res, dk_container_start(c, id, dkt_cb, &res, NULL));
	if (res.status != 0)
		FAIL("start: %s", res.msg);
	RUN_UNTIL(&loop, k.ended);
	if (k.status != 0)
		FAIL("attach ended %d: %s", k.status, k.msg);
	ASSERT_STREQ(k.out, "got:abc\n");
	ASSERT_STREQ(k.err, "bye\n");
	dkt_reset(&res);
	dkt_cleanup(&loop, c, tag);
	free(id);
	dkt_close(&loop, c);
}

/* Errors come with the engine's message; no callback on refusal. */
static void
test_errors(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	const char *cmd[] = { "true", NULL };
	struct dk_exec_opts o = { .cmd = cmd };
	static struct sink k;
	struct dk_hijack_cbs cbs = { .on_data = on_data, .on_end = on_end,
	    .arg = &k };
	struct dkt_res res = { 0 };

	memset(&k, 0, sizeof k);
	c = dkt_client(&loop);
	ASSERT_OK(dk_exec_start(c, "0123456789abcdef", 0, &cbs, &k.h));
	RUN_UNTIL(&loop, k.ended);
	ASSERT_EQ(k.status, DK_E_NOT_FOUND);
	ASSERT_CONTAINS(k.msg, "No such exec instance");
	DKT(&loop, res, dk_exec_create(c, "pier-no-such-container", &o,
	    dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, DK_E_NOT_FOUND);
	ASSERT_CONTAINS(res.msg, "No such container");
	dkt_reset(&res);
	/* Attach to a missing container: not upgraded, the engine's text. */
	memset(&k, 0, sizeof k);
	ASSERT_OK(dk_container_attach(c, "pier-no-such-container", 0, 0, 0,
	    &cbs, &k.h));
	RUN_UNTIL(&loop, k.ended);
	ASSERT_EQ(k.status, DK_E_NOT_FOUND);
	ASSERT_CONTAINS(k.msg, "No such container");
	/* Refused arguments: an error and never a callback. */
	o.cmd = NULL;
	ASSERT_EQ(dk_exec_create(c, "x", &o, dkt_cb, &res, NULL), -EINVAL);
	cbs.on_end = NULL;
	ASSERT_EQ(dk_exec_start(c, "x", 0, &cbs, NULL), -EINVAL);
	ASSERT_EQ(res.done, 0);
	dkt_close(&loop, c);
}

/* Fires to end a wait. */
static void
timer_cb(uv_timer_t *t)
{
	(*(int *)t->data)++;
}

/* Paused: reading stops (bytes stay put); then the rest; cancel. */
static void
test_pause_cancel(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	const char *cmd[] = { "seq", "1", "200000", NULL };
	const char *slow[] = { "sleep", "30", NULL };
	struct dk_exec_opts o = { .cmd = cmd };
	static struct sink k;
	struct dk_hijack_cbs cbs = { .on_data = on_data, .on_end = on_end,
	    .arg = &k };
	const char *tag = dkt_tag("exec-pause");
	uv_timer_t timer;
	uint64_t in, held;
	char *id, *eid;
	int fired = 0;

	memset(&k, 0, sizeof k);
	c = dkt_client(&loop);
	id = dkt_container(&loop, c, tag, NULL, NULL, 1);
	eid = exec_create(&loop, c, id, &o);
	k.pause_at = 1;
	ASSERT_OK(dk_exec_start(c, eid, 0, &cbs, &k.h));
	RUN_UNTIL(&loop, k.ended || k.chunks > 0);
	ASSERT_EQ(k.ended, 0);
	dk_hijack_bytes(k.h, &held, NULL);
	ASSERT_OK(uv_timer_init(&loop, &timer));
	timer.data = &fired;
	ASSERT_OK(uv_timer_start(&timer, timer_cb, 1000, 0));
	RUN_UNTIL(&loop, fired);
	dk_hijack_bytes(k.h, &in, NULL);
	ASSERT_EQ(in, held);
	ASSERT_LE(held, 16 * 1024);
	/* The process is blocked on its full pipe, not finished. */
	ASSERT_EQ(k.chunks, 1);
	k.pause_at = 0;
	dk_hijack_resume(k.h);
	RUN_UNTIL(&loop, k.ended);
	ASSERT_OK(k.status);
	ASSERT_EQ(k.total, 1288895);	/* bytes of `seq 1 200000` */
	free(eid);

	/* Cancel a stream that would run 30 s: it ends now. */
	memset(&k, 0, sizeof k);
	o.cmd = slow;
	eid = exec_create(&loop, c, id, &o);
	ASSERT_OK(dk_exec_start(c, eid, 0, &cbs, &k.h));
	fired = 0;
	ASSERT_OK(uv_timer_start(&timer, timer_cb, 300, 0));
	RUN_UNTIL(&loop, fired || k.ended);
	ASSERT_EQ(k.ended, 0);
	dk_hijack_cancel(k.h);
	dk_hijack_cancel(k.h);
	RUN_UNTIL(&loop, k.ended);
	ASSERT_EQ(k.ended, 1);
	ASSERT_EQ(k.status, DK_E_CANCELLED);
	free(eid);

	/* The write queue is bounded: a write past it queues nothing. */
	memset(&k, 0, sizeof k);
	cbs.max_queued = 1000;
	eid = exec_create(&loop, c, id, &o);
	ASSERT_OK(dk_exec_start(c, eid, 0, &cbs, &k.h));
	ASSERT_OK(dk_hijack_write(k.h, k.out, 600));
	ASSERT_EQ(dk_hijack_write(k.h, k.out, 600), -ENOBUFS);
	ASSERT_EQ(dk_hijack_queued(k.h), 600);
	dk_hijack_cancel(k.h);
	RUN_UNTIL(&loop, k.ended);
	ASSERT_EQ(k.status, DK_E_CANCELLED);
	free(eid);

	uv_close((uv_handle_t *)&timer, NULL);
	dkt_cleanup(&loop, c, tag);
	free(id);
	dkt_close(&loop, c);
}

TEST_MAIN(T(test_notty), T(test_tty_resize), T(test_stdin), T(test_attach),
    T(test_errors), T(test_pause_cancel))
