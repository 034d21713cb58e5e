/*
 * Exec and attach against the real engine: without a TTY stdout and
 * stderr stay apart and the exit code comes from inspect; with a TTY a
 * resize shows in `stty size`; stdin reaches the process and closing it
 * ends `cat`; attach joins a container's own stdio; errors (no such exec,
 * no such container) carry the engine's message; a paused consumer stops
 * the reading; cancel ends at once; the write queue is bounded; and the
 * same over TCP, through a relay to the engine's socket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "dkt.h"
#include "loop.h"
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
	int		 pause_every;	/* pause in each chunk, resume soon */
	int		 paused;
	int		 violations;	/* chunks that came while paused */
	uv_timer_t	*resumer;
	struct dk_hijack *h;
};

/* Resumes a hijack the consumer paused. */
static void
resume_cb(uv_timer_t *t)
{
	struct sink *k = t->data;

	k->paused = 0;
	if (k->h != NULL && !k->ended)
		dk_hijack_resume(k->h);
}

/* on_data: keeps stdout (or raw) and stderr apart. */
static void
on_data(struct dk_hijack *h, int kind, const char *buf, size_t len,
    void *arg)
{
	struct sink *k = arg;
	size_t n;

	k->chunks++;
	k->total += len;
	if (k->paused)
		k->violations++;
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
	if (k->pause_every) {
		dk_hijack_pause(h);
		k->paused = 1;
		k->resumer->data = k;
		if (uv_timer_start(k->resumer, resume_cb, 0, 0) != 0)
			abort();
	}
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

/* Attach with a TTY: a container's shell, resized, its exit code. */
static void
test_attach_tty(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	static struct sink k;
	struct dk_hijack_cbs cbs = { .on_data = on_data, .on_end = on_end,
	    .arg = &k };
	const char *tag = dkt_tag("exec-attach-tty");
	char label[192];
	const char *labels[] = { "pier.test=1", label, NULL };
	const char *cmd[] = { "sh", NULL };
	struct dk_create_opts co = { .image = dkt_image(), .cmd = cmd,
	    .labels = labels, .open_stdin = 1, .tty = 1 };
	struct dkt_res res = { 0 };
	char *id;

	memset(&k, 0, sizeof k);
	c = dkt_client(&loop);
	snprintf(label, sizeof label, "pier.test.case=%s", tag);
	DKT(&loop, res, dk_container_create(c, &co, dkt_cb, &res, NULL));
	if (res.status != 0)
		FAIL("create: %s", res.msg);
	id = strdup(json_string_value(json_object_get(res.result, "Id")));
	DKT(&loop, res, dk_container_start(c, id, dkt_cb, &res, NULL));
	ASSERT_OK(res.status);
	ASSERT_OK(dk_container_attach(c, id, 1, 1, 0, &cbs, &k.h));
	DKT(&loop, res, dk_container_resize(c, id, 25, 77, dkt_cb, &res,
	    NULL));
	if (res.status != 0)
		FAIL("resize: %s", res.msg);
	ASSERT_OK(dk_hijack_write(k.h, "stty size; exit 9\n", 18));
	RUN_UNTIL(&loop, k.ended);
	if (k.status != 0)
		FAIL("attach ended %d: %s", k.status, k.msg);
	ASSERT_CONTAINS(k.out, "25 77\r\n");
	ASSERT_EQ(k.raw, k.chunks);
	DKT(&loop, res, dk_container_wait(c, id, NULL, dkt_cb, &res, NULL));
	ASSERT_EQ(json_integer_value(json_object_get(res.result,
	    "StatusCode")), 9);
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
	/* stdout and stderr in turn: many small frames in each read. */
	const char *lines[] = { "sh", "-c",
	    "for i in $(seq 1 1000); do echo $i; echo e >&2; done", NULL };
	struct dk_exec_opts o = { .cmd = cmd };
	static struct sink k;
	struct dk_hijack_cbs cbs = { .on_data = on_data, .on_end = on_end,
	    .arg = &k };
	const char *tag = dkt_tag("exec-pause");
	uv_timer_t timer, resumer;
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

	/* Paused inside every chunk, resumed a turn later: exact, in order. */
	memset(&k, 0, sizeof k);
	k.pause_every = 1;
	k.resumer = &resumer;
	ASSERT_OK(uv_timer_init(&loop, &resumer));
	o.cmd = lines;
	eid = exec_create(&loop, c, id, &o);
	ASSERT_OK(dk_exec_start(c, eid, 0, &cbs, &k.h));
	RUN_UNTIL(&loop, k.ended);
	ASSERT_OK(k.status);
	ASSERT_EQ(k.violations, 0);
	ASSERT_EQ(k.nout, 3893);	/* bytes of `seq 1 1000` */
	ASSERT_EQ(strncmp(k.out, "1\n2\n3\n", 6), 0);
	ASSERT_EQ(strncmp(k.out + k.nout - 9, "999\n1000\n", 9), 0);
	ASSERT_EQ(k.nerr, 2000);
	free(eid);
	uv_close((uv_handle_t *)&resumer, NULL);

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

/* Counts a closed client. */
static void
fk_count(void *arg)
{
	(*(int *)arg)++;
}

/*
 * A TCP relay to the engine's unix socket, so the hijack runs over TCP:
 * each accepted connection gets a pipe to the socket, bytes pumped both
 * ways, both closed when either side ends.
 */
struct relay {
	uv_tcp_t	 srv;
	int		 port;
	const char	*sock;
	int		 conns;
	int		 open;
};

/* One relayed connection. */
struct leg {
	uv_tcp_t	 tcp;
	uv_pipe_t	 pipe;
	uv_connect_t	 creq;
	uv_shutdown_t	 sreq;
	struct relay	*r;
	int		 shutting;
	int		 closing;
	int		 nclosed;
};

/* Gives a read a buffer of its own. */
static void
relay_alloc(uv_handle_t *h, size_t size, uv_buf_t *b)
{
	(void)h;
	b->base = malloc(size);
	b->len = b->base != NULL ? size : 0;
}

/* Frees a leg when both its handles closed. */
static void
leg_closed(uv_handle_t *h)
{
	struct leg *l = h->data;

	if (++l->nclosed == 2) {
		l->r->open--;
		free(l);
	}
}

/* Closes both sides of a leg. */
static void
leg_close(struct leg *l)
{
	if (l->closing)
		return;
	l->closing = 1;
	uv_close((uv_handle_t *)&l->tcp, leg_closed);
	uv_close((uv_handle_t *)&l->pipe, leg_closed);
}

/* Frees a relayed write's buffer. */
static void
relay_written(uv_write_t *w, int status)
{
	(void)status;
	free(w->data);
	free(w);
}

/* The other side drained after an EOF: the leg is done. */
static void
relay_shut(uv_shutdown_t *req, int status)
{
	(void)status;
	leg_close(req->data);
}

/* Pumps what one side read into the other. */
static void
relay_read(uv_stream_t *from, ssize_t n, const uv_buf_t *b)
{
	struct leg *l = from->data;
	uv_stream_t *to = from == (uv_stream_t *)&l->tcp ?
	    (uv_stream_t *)&l->pipe : (uv_stream_t *)&l->tcp;
	uv_write_t *w;
	uv_buf_t out;

	if (n < 0) {
		free(b->base);
		/* At EOF, let the queued writes reach the other side. */
		if (n == UV_EOF && !l->shutting && !l->closing) {
			l->shutting = 1;
			l->sreq.data = l;
			if (uv_shutdown(&l->sreq, to, relay_shut) == 0)
				return;
		}
		leg_close(l);
		return;
	}
	if (n == 0 || l->closing) {
		free(b->base);
		return;
	}
	w = malloc(sizeof *w);
	out = uv_buf_init(b->base, (unsigned)n);
	w->data = b->base;
	if (uv_write(w, to, &out, 1, relay_written) != 0) {
		free(b->base);
		free(w);
		leg_close(l);
	}
}

/* The pipe to the engine is up: pump both ways. */
static void
relay_connected(uv_connect_t *c, int status)
{
	struct leg *l = c->data;

	if (status != 0 || l->closing) {
		leg_close(l);
		return;
	}
	(void)uv_read_start((uv_stream_t *)&l->tcp, relay_alloc, relay_read);
	(void)uv_read_start((uv_stream_t *)&l->pipe, relay_alloc,
	    relay_read);
}

/* A client connected to the relay. */
static void
relay_conn(uv_stream_t *srv, int status)
{
	struct relay *r = srv->data;
	struct leg *l;

	if (status != 0)
		return;
	l = calloc(1, sizeof *l);
	if (l == NULL)
		abort();
	l->r = r;
	(void)uv_tcp_init(srv->loop, &l->tcp);
	(void)uv_pipe_init(srv->loop, &l->pipe, 0);
	l->tcp.data = l->pipe.data = l->creq.data = l;
	r->conns++;
	r->open++;
	if (uv_accept(srv, (uv_stream_t *)&l->tcp) != 0) {
		leg_close(l);
		return;
	}
	uv_pipe_connect(&l->creq, &l->pipe, r->sock, relay_connected);
}

/* Starts the relay on 127.0.0.1 with a port of the kernel's choosing. */
static void
relay_start(struct relay *r, uv_loop_t *loop)
{
	struct sockaddr_in sin;
	struct sockaddr_storage ss;
	int len = sizeof ss;

	memset(r, 0, sizeof *r);
	r->sock = test_env("PIER_DOCKER_SOCK", "/var/run/docker.sock");
	ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &sin));
	ASSERT_OK(uv_tcp_init(loop, &r->srv));
	r->srv.data = r;
	ASSERT_OK(uv_tcp_bind(&r->srv, (struct sockaddr *)&sin, 0));
	ASSERT_OK(uv_tcp_getsockname(&r->srv, (struct sockaddr *)&ss, &len));
	r->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	ASSERT_OK(uv_listen((uv_stream_t *)&r->srv, 8, relay_conn));
}

/* Over TCP: exec with and without a TTY through the relay. */
static void
test_tcp(void)
{
	uv_loop_t loop;
	struct dk_client *c, *tc;
	struct dk_endpoint ep;
	struct relay r;
	const char *cmd[] = { "sh", "-c", "echo out; echo err >&2; exit 5",
	    NULL };
	const char *tcmd[] = { "sh", "-c", "stty size", NULL };
	const char *cat[] = { "cat", NULL };
	struct dk_exec_opts o = { .cmd = cmd };
	static struct sink k;
	struct dk_hijack_cbs cbs = { .on_data = on_data, .on_end = on_end,
	    .arg = &k };
	struct dkt_res res = { 0 };
	const char *tag = dkt_tag("exec-tcp");
	char host[64], *id, *eid, *cause = NULL;
	int closed = 0;

	memset(&k, 0, sizeof k);
	c = dkt_client(&loop);
	id = dkt_container(&loop, c, tag, NULL, NULL, 1);
	relay_start(&r, &loop);
	snprintf(host, sizeof host, "tcp://127.0.0.1:%d", r.port);
	ASSERT_OK(dk_endpoint_parse(&ep, host, 0, 0, NULL, &cause));
	ASSERT_OK(dk_client_new(&loop, &ep, NULL, &tc, &cause));
	dk_endpoint_clear(&ep);

	eid = exec_create(&loop, tc, id, &o);
	ASSERT_OK(dk_exec_start(tc, eid, 0, &cbs, &k.h));
	RUN_UNTIL(&loop, k.ended);
	if (k.status != 0)
		FAIL("exec over tcp: %s", k.msg);
	ASSERT_STREQ(k.out, "out\n");
	ASSERT_STREQ(k.err, "err\n");
	ASSERT_EQ(exit_code(&loop, tc, eid), 5);
	free(eid);

	/* A TTY exec, sized before it starts reading. */
	memset(&k, 0, sizeof k);
	o.cmd = tcmd;
	o.tty = 1;
	eid = exec_create(&loop, tc, id, &o);
	ASSERT_OK(dk_exec_start(tc, eid, 1, &cbs, &k.h));
	RUN_UNTIL(&loop, k.ended);
	ASSERT_OK(k.status);
	ASSERT_GT(k.raw, 0);
	ASSERT_CONTAINS(k.out, "\r\n");
	free(eid);
	ASSERT_GE(r.conns, 2);	/* each hijack has its own connection */

	/* A running hijack outlives its client. */
	memset(&k, 0, sizeof k);
	o.cmd = cat;
	o.tty = 0;
	o.stdin_on = 1;
	eid = exec_create(&loop, tc, id, &o);
	ASSERT_OK(dk_exec_start(tc, eid, 0, &cbs, &k.h));
	ASSERT_OK(dk_hijack_write(k.h, "bye\n", 4));
	RUN_UNTIL(&loop, k.ended || k.nout >= 4);
	dk_client_close(tc, fk_count, &closed);
	RUN_UNTIL(&loop, closed);
	ASSERT_EQ(k.ended, 0);
	dk_hijack_close_write(k.h);
	RUN_UNTIL(&loop, k.ended);
	ASSERT_OK(k.status);
	ASSERT_STREQ(k.out, "bye\n");
	free(eid);
	RUN_UNTIL(&loop, r.open == 0);
	uv_close((uv_handle_t *)&r.srv, NULL);
	dkt_reset(&res);
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
	static const char *const names[] = { "exec-notty", "exec-tty",
	    "exec-stdin", "exec-attach", "exec-attach-tty", "exec-pause",
	    "exec-tcp" };
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

TEST_MAIN(T(test_notty), T(test_tty_resize), T(test_stdin), T(test_attach),
    T(test_attach_tty), T(test_errors), T(test_pause_cancel), T(test_tcp),
    T(test_cleanup))
