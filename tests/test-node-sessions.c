/*
 * Loop tests of node/sessions.c and node/term-exec.c together, against
 * the real engine: a session in the node's table runs a Docker exec with
 * a TTY; two viewers attach (one read-only, whose input is refused), the
 * read-write one types and both see the answer, then the process's exit
 * code reaches both and the session leaves the table. A shell session
 * that loses its last viewer stays while viewers come and go and ends
 * after the node's idle time once nobody watches; its processes go with
 * it, a job in the background too. Closing the node's sessions ends a
 * running one and calls back once. The viewers here sit directly on the
 * term_session (the layer node_session_attach puts channels on; the
 * channel glue is driven end to end by test-e2e-shell).
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "dkt.h"
#include "node.h"

#define SEEN_MAX	65536	/* output kept per viewer */
#define WAIT_MS		20000	/* a step's longest wait */

/* One viewer: what it got and how it ended. */
struct viewer {
	struct term_viewer	*tv;
	char			 seen[SEEN_MAX];
	size_t			 seen_len;
	int			 ended;
	int			 end_err;
	int64_t			 end_status;
};

/* The node-shaped fixture: a loop, a client, a log, the table. */
struct fx {
	uv_loop_t		 loop;
	struct node		 n;
	char			*ctr;
	char			 name[64];	/* the container's, per process */
	int			 ready, ready_status, ready_code;
	char			 ready_msg[256];
	int			 closed_all;
	uv_timer_t		 tick;
};

/* A viewer's sink: keeps the last SEEN_MAX bytes, takes everything. */
static size_t
v_send(struct term_viewer *tv, const char *buf, size_t len, void *arg)
{
	struct viewer	*v = arg;
	size_t		 n = len, drop;

	if (n >= SEEN_MAX) {
		buf += n - (SEEN_MAX - 1);
		n = SEEN_MAX - 1;
	}
	if (v->seen_len + n >= SEEN_MAX) {
		drop = v->seen_len + n - (SEEN_MAX - 1);
		memmove(v->seen, v->seen + drop, v->seen_len - drop);
		v->seen_len -= drop;
	}
	memcpy(v->seen + v->seen_len, buf, n);
	v->seen_len += n;
	v->seen[v->seen_len] = '\0';
	return (len);
}

/* The session ended for this viewer. */
static void
v_ended(struct term_viewer *tv, int err, int64_t status, int sig,
    void *arg)
{
	struct viewer	*v = arg;

	v->ended++;
	v->end_err = err;
	v->end_status = sig != 0 ? 128 + sig : status;
	v->tv = NULL;
}

static const struct term_viewer_ops v_ops = {
	.send = v_send,
	.ended = v_ended,
};

/* The exec runs, or could not start. */
static void
on_ready(struct term_exec *x, int status, int code, const char *message,
    void *arg)
{
	struct fx	*f = arg;

	f->ready++;
	f->ready_status = status;
	f->ready_code = code;
	snprintf(f->ready_msg, sizeof(f->ready_msg), "%s",
	    message != NULL ? message : "");
}

/* The table is empty after node_sessions_close. */
static void
on_all_closed(struct node *n)
{
	struct fx	*f = container_of(n, struct fx, n);

	f->closed_all++;
}

/* Wakes the loop now and then, so conditions are looked at. */
static void
on_tick(uv_timer_t *t)
{
}

/* Runs the loop until a condition holds, at most ms. */
#define RUN_UNTIL(f, cond, ms) do {					\
	uint64_t start_ = uv_now(&(f)->loop);				\
	while (!(cond) && uv_now(&(f)->loop) - start_ < (ms))		\
		uv_run(&(f)->loop, UV_RUN_ONCE);			\
} while (0)

/* Runs the loop for ms whatever happens. */
static void
run_for(struct fx *f, uint64_t ms)
{
	uint64_t start = uv_now(&f->loop);

	while (uv_now(&f->loop) - start < ms)
		uv_run(&f->loop, UV_RUN_ONCE);
}

/* Sets up the fixture with a running container. */
static void
fx_init(struct fx *f, const char *tag)
{
	memset(f, 0, sizeof(*f));
	f->n.dk = dkt_client(&f->loop);
	f->n.loop = &f->loop;
	node_log_init(&f->n.log, stderr, NODE_LOG_WARN);
	ASSERT_OK(uv_timer_init(&f->loop, &f->tick));
	ASSERT_OK(uv_timer_start(&f->tick, on_tick, 50, 50));
	/* Two runs at once on one engine must not share a name. */
	(void)snprintf(f->name, sizeof(f->name), "pier-%s-%ld", tag,
	    (long)getpid());
	f->ctr = dkt_container(&f->loop, f->n.dk, dkt_tag(tag), f->name, NULL,
	    1);
}

/* Removes the container, closes the client, checks the loop. */
static void
fx_done(struct fx *f, const char *tag)
{
	ASSERT_EQ(f->n.sess.n, 0);
	dkt_cleanup(&f->loop, f->n.dk, dkt_tag(tag));
	free(f->ctr);
	uv_close((uv_handle_t *)&f->tick, NULL);
	dkt_close(&f->loop, f->n.dk);
}

/* Opens a session running cmd (NULL: a shell) as cmd-session.c does. */
static struct node_session_entry *
open_session(struct fx *f, const char *const *cmd)
{
	struct node_session_entry *ns;
	struct term_exec_opts	 xo;
	struct term_session_opts o;

	ASSERT_OK(node_session_new(&f->n, cmd != NULL ? NODE_SESSION_EXEC :
	    NODE_SESSION_SHELL, f->name, &ns));
	memset(&xo, 0, sizeof(xo));
	xo.container = f->ctr;
	xo.name = f->name;
	xo.cmd = cmd;
	xo.rows = 24;
	xo.cols = 80;
	ASSERT_OK(term_exec_new(f->n.dk, &xo, &ns->x));
	node_session_opts(ns, &o, 24, 80);
	ASSERT_OK(term_session_new(&f->loop, &o, &term_exec_ops, ns->x,
	    &ns->ts));
	f->ready = 0;
	term_exec_start(ns->x, ns->ts, on_ready, f);
	RUN_UNTIL(f, f->ready > 0, WAIT_MS);
	ASSERT_EQ(f->ready, 1);
	if (f->ready_status != 0)
		FAIL("the session did not start: %s", f->ready_msg);
	node_session_set_cmd(ns, term_exec_cmd(ns->x));
	ns->running = 1;
	return (ns);
}

/* Attaches a viewer. */
static void
attach(struct node_session_entry *ns, struct viewer *v, int ro)
{
	memset(v, 0, sizeof(*v));
	ASSERT_OK(term_viewer_attach(ns->ts, &v_ops, v, ro ?
	    TERM_VIEWER_READONLY : 0, 24, 80, &v->tv));
}

/* Types a line. */
static void
type(struct viewer *v, const char *s)
{
	ASSERT_OK(term_viewer_input(v->tv, s, strlen(s)));
}

/*
 * How many processes of the fixture's container run exactly this command
 * line (its id is in their cgroup path, with cgroup v1 and v2 alike), so
 * another run of this test on the same engine is not counted.
 */
static int
count_procs(const struct fx *f, const char *cmdline)
{
	char	 path[300], buf[256], cg[1024];
	struct dirent *de;
	DIR	*d;
	FILE	*fp;
	size_t	 n, i;
	int	 count = 0;

	d = opendir("/proc");
	ASSERT(d != NULL);
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		fp = fopen(path, "r");
		if (fp == NULL)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
		for (i = 0; i + 1 < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[n] = '\0';
		if (n > 0 && buf[n - 1] == '\0')
			buf[n - 1] = '\0';
		if (strcmp(buf, cmdline) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cgroup", de->d_name);
		fp = fopen(path, "r");
		if (fp == NULL)
			continue;
		n = fread(cg, 1, sizeof(cg) - 1, fp);
		fclose(fp);
		cg[n] = '\0';
		if (strstr(cg, f->ctr) != NULL)
			count++;
	}
	closedir(d);
	return (count);
}

/* Two viewers, input, the exit code to both, then gone from the table. */
static void
test_two_viewers_exit_code(void)
{
	static const char *const cmd[] = { "sh", "-c",
	    "read x; echo got-$x; read y; exit 7", NULL };
	struct node_session_entry *ns;
	struct viewer		 a, b;
	struct fx		 f;
	json_t			*j;

	fx_init(&f, "sess-exit");
	ns = open_session(&f, cmd);
	ASSERT_EQ(f.n.sess.n, 1);
	ASSERT(node_session_find(&f.n, ns->id) == ns);
	ASSERT(node_session_find(&f.n, "") == NULL);
	ASSERT_STREQ(ns->cmd, "sh -c read x; echo got-$x; read y; exit 7");
	attach(ns, &a, 0);
	attach(ns, &b, 1);
	j = node_session_json(ns);
	ASSERT_EQ(json_integer_value(json_object_get(j, "viewers")), 2);
	ASSERT_STREQ(json_string_value(json_object_get(j, "kind")), "exec");
	json_decref(j);
	/* The read-only viewer's keys are refused, not sent. */
	ASSERT_EQ(term_viewer_input(b.tv, "ro\r", 3), -EPERM);
	type(&a, "abc\r");
	RUN_UNTIL(&f, strstr(a.seen, "got-abc") != NULL &&
	    strstr(b.seen, "got-abc") != NULL, WAIT_MS);
	ASSERT_CONTAINS(a.seen, "got-abc");
	ASSERT_CONTAINS(b.seen, "got-abc");
	ASSERT(strstr(a.seen, "got-ro") == NULL);
	type(&a, "done\r");
	RUN_UNTIL(&f, a.ended && b.ended && f.n.sess.n == 0, WAIT_MS);
	ASSERT_EQ(a.ended, 1);
	ASSERT_EQ(b.ended, 1);
	ASSERT_EQ(a.end_err, 0);
	ASSERT_EQ(a.end_status, 7);
	ASSERT_EQ(b.end_status, 7);
	ASSERT_EQ(f.n.sess.n, 0);
	fx_done(&f, "sess-exit");
}

/*
 * A shell that loses its viewer lives on while someone comes back, and
 * ends after the idle time with nobody; its jobs end with it.
 */
static void
test_detach_idle_end(void)
{
	struct node_session_entry *ns;
	struct viewer		 a, c;
	struct fx		 f;
	char			 id[NODE_SESSION_ID_LEN + 1];

	fx_init(&f, "sess-idle");
	f.n.session_idle_ms = 1500;
	ns = open_session(&f, NULL);
	memcpy(id, ns->id, sizeof(id));
	attach(ns, &a, 0);
	type(&a, "sleep 4245 & sleep 4246\r");
	RUN_UNTIL(&f, count_procs(&f, "sleep 4245") == 1 &&
	    count_procs(&f, "sleep 4246") == 1, WAIT_MS);
	ASSERT_EQ(count_procs(&f, "sleep 4245"), 1);
	ASSERT_EQ(count_procs(&f, "sleep 4246"), 1);
	term_viewer_detach(a.tv);
	a.tv = NULL;
	/* Detached, then back before the idle time: it stays (the waits
	 * leave the idle time a second of slack for a loaded machine). */
	run_for(&f, 400);
	ASSERT(node_session_find(&f.n, id) == ns);
	attach(ns, &c, 0);
	run_for(&f, 2000);
	ASSERT(node_session_find(&f.n, id) == ns);
	ASSERT_EQ(c.ended, 0);
	term_viewer_detach(c.tv);
	c.tv = NULL;
	/* Nobody now: gone after 1.5 s, with its processes. */
	run_for(&f, 400);
	ASSERT(node_session_find(&f.n, id) == ns);
	RUN_UNTIL(&f, f.n.sess.n == 0, WAIT_MS);
	ASSERT_EQ(f.n.sess.n, 0);
	RUN_UNTIL(&f, count_procs(&f, "sleep 4245") == 0 &&
	    count_procs(&f, "sleep 4246") == 0, 3 * TERM_EXEC_KILL_MS);
	ASSERT_EQ(count_procs(&f, "sleep 4246"), 0);
	ASSERT_EQ(count_procs(&f, "sleep 4245"), 0);
	fx_done(&f, "sess-idle");
}

/* Closing the node's sessions ends a running one; done runs once. */
static void
test_close_all(void)
{
	static const char *const cmd[] = { "sleep", "4247", NULL };
	struct node_session_entry *ns;
	struct viewer		 a;
	struct fx		 f;

	fx_init(&f, "sess-close");
	ns = open_session(&f, cmd);
	attach(ns, &a, 0);
	RUN_UNTIL(&f, count_procs(&f, "sleep 4247") == 1, WAIT_MS);
	ASSERT_EQ(count_procs(&f, "sleep 4247"), 1);
	node_sessions_close(&f.n, on_all_closed);
	RUN_UNTIL(&f, f.closed_all > 0, WAIT_MS);
	ASSERT_EQ(f.closed_all, 1);
	ASSERT_EQ(a.ended, 1);
	ASSERT_EQ(a.end_err, -ECANCELED);
	ASSERT_EQ(count_procs(&f, "sleep 4247"), 0);
	ASSERT_EQ(node_session_new(&f.n, NODE_SESSION_SHELL, "x", &ns),
	    -ECANCELED);
	fx_done(&f, "sess-close");
}

TEST_MAIN(T(test_two_viewers_exit_code), T(test_detach_idle_end),
    T(test_close_all))
