/*
 * Tests of the screen worker (node/term-worker.c, term-wmain.c) under
 * terminal sessions with real PTYs: this binary is the worker too, as
 * pierd is. A late viewer's repaint comes from the worker; killing the
 * worker mid-session leaves each session streaming, tells each viewer
 * once, and the next session gets a fresh worker; a crash loop is cut
 * off; a worker that stops reading costs the session that floods it its
 * screen, not the node's memory. The worker runs as nobody under
 * seccomp.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "term.h"
#include "test.h"

#define WAIT_MS		20000	/* a wait fails after */

/* A fake viewer: keeps every byte and shows them on a terminal. */
struct fv {
	struct term_viewer	*v;
	struct term_screen	*scr;
	char			*raw;
	size_t			 len;
	int			 ended;
};

/* One session and its viewers. */
struct sess {
	struct term_session	*s;
	int			 end;
	int			 closed;
};

static uv_loop_t	 loop;
static uv_timer_t	 tick;
static struct term_worker *worker;

/* Sink: takes everything. */
static size_t
fv_send(struct term_viewer *v, const char *buf, size_t len, void *arg)
{
	struct fv *f = arg;

	f->raw = realloc(f->raw, f->len + len + 1);
	ASSERT(f->raw != NULL);
	memcpy(f->raw + f->len, buf, len);
	f->len += len;
	f->raw[f->len] = '\0';
	term_screen_feed(f->scr, buf, len);
	return (len);
}

/* The session ended for this viewer. */
static void
fv_ended(struct term_viewer *v, int err, int64_t status, int sig,
    void *arg)
{
	struct fv *f = arg;

	f->ended = 1;
	f->v = NULL;
}

static const struct term_viewer_ops fv_ops = {
	.send = fv_send,
	.ended = fv_ended,
};

/* Counts the lost lines a viewer got. */
static int
fv_lost_lines(const struct fv *f)
{
	const char *p = f->raw;
	int n = 0;

	while (p != NULL && (p = strstr(p, TERM_LOST_LINE)) != NULL) {
		n++;
		p++;
	}
	return (n);
}

/* Returns 1 if the viewer received needle. */
static int
fv_got(const struct fv *f, const char *needle)
{
	return (f->raw != NULL && strstr(f->raw, needle) != NULL);
}

/* Returns 1 if any row of the viewer's terminal contains needle. */
static int
fv_shows(const struct fv *f, const char *needle)
{
	VTermScreenCell cell;
	char row[256];
	int rows, cols, r, c, n;

	term_screen_size(f->scr, &rows, &cols);
	for (r = 0; r < rows; r++) {
		n = 0;
		for (c = 0; c < cols && n < (int)sizeof(row) - 1; c++) {
			ASSERT_OK(term_screen_cell(f->scr, r, c, &cell));
			row[n++] = cell.chars[0] >= 0x20 &&
			    cell.chars[0] < 0x7f ? (char)cell.chars[0] : ' ';
		}
		row[n] = '\0';
		if (strstr(row, needle) != NULL)
			return (1);
	}
	return (0);
}

/* Wakes the loop now and then so waits can look again. */
static void
on_tick(uv_timer_t *t)
{
}

/* Runs the loop until cond holds; fails after WAIT_MS. */
#define WAIT_FOR(cond) do {						\
	uint64_t until_ = uv_now(&loop) + WAIT_MS;			\
	while (!(cond)) {						\
		if (uv_now(&loop) > until_)				\
			FAIL("timed out waiting for %s", #cond);	\
		uv_run(&loop, UV_RUN_ONCE);				\
	}								\
} while (0)

/* The session ended. */
static void
on_end(struct term_session *s, int err, int64_t status, int sig,
    void *arg)
{
	struct sess *x = arg;

	x->end = 1;
}

/* The session is freed. */
static void
on_closed(struct term_session *s, void *arg)
{
	struct sess *x = arg;

	x->closed = 1;
}

/* Sets up the loop and a worker link. */
static void
setup(void)
{
	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_OK(uv_timer_init(&loop, &tick));
	ASSERT_OK(uv_timer_start(&tick, on_tick, 10, 10));
	ASSERT_OK(term_worker_new(&loop, NULL, NULL, NULL, &worker));
}

/* Closes the link and the loop. */
static void
teardown(void)
{
	term_worker_close(worker);
	worker = NULL;
	uv_close((uv_handle_t *)&tick, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);	/* until the process has exited */
	test_loop_close(&loop);
}

/* Starts argv in a 24x80 session whose screen is in the worker. */
static void
start(struct sess *x, const char *const *argv)
{
	struct term_session_opts o;
	struct term_pty_opts po;
	char *cause = NULL;

	memset(x, 0, sizeof(*x));
	memset(&o, 0, sizeof(o));
	o.rows = 24;
	o.cols = 80;
	o.sb_lines = 100;
	o.sb_bytes = 64 * 1024;
	o.end_cb = on_end;
	o.arg = x;
	o.worker = worker;
	memset(&po, 0, sizeof(po));
	po.argv = argv;
	if (term_session_spawn(&loop, &o, &po, &x->s, &cause) != 0)
		FAIL("spawn: %s", cause ? cause : "");
}

/* Closes a session and waits until it is freed. */
static void
stop(struct sess *x)
{
	term_session_close(x->s, on_closed, x);
	WAIT_FOR(x->closed);
}

/* Attaches a fake viewer. */
static void
attach(struct sess *x, struct fv *f, int flags)
{
	memset(f, 0, sizeof(*f));
	ASSERT_OK(term_screen_new(&f->scr, 24, 80, 0, 0));
	ASSERT_OK(term_viewer_attach(x->s, &fv_ops, f, flags, 24, 80,
	    &f->v));
}

/* Frees a fake viewer's terminal. */
static void
fv_free(struct fv *f)
{
	term_screen_free(f->scr);
	free(f->raw);
	memset(f, 0, sizeof(*f));
}

/* A shell-like program: prints, then echoes each line read. */
static const char *const echo_argv[] = { "sh", "-c",
    "printf '\\033[1mready\\033[0m\\n'; while read x; do echo \"got $x\"; "
    "done", NULL };

#define FLOOD_BYTES	6000000
/* Waits for a line, then prints FLOOD_BYTES of x. */
static const char *const flood_argv[] = { "sh", "-c",
    "read x; head -c 6000000 /dev/zero | tr '\\0' x; echo; "
    "echo flood-done; read y", NULL };

/* Counts the x a viewer got. */
static size_t
fv_xs(const struct fv *f)
{
	size_t i, n = 0;

	for (i = 0; i < f->len; i++)
		n += f->raw[i] == 'x';
	return (n);
}

/* Reads a field of /proc/PID/status ("Uid:"); -1 if absent. */
static long
proc_status(int pid, const char *field)
{
	char path[64], line[256];
	long v = -1;
	FILE *fp;

	(void)snprintf(path, sizeof(path), "/proc/%d/status", pid);
	fp = fopen(path, "r");
	if (fp == NULL)
		return (-1);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, strlen(field)) == 0)
			v = strtol(line + strlen(field), NULL, 10);
	(void)fclose(fp);
	return (v);
}

/* A late viewer's repaint comes from the worker and matches what the
 * first viewer shows; the worker runs as nobody under seccomp. */
static void
test_worker_repaint(void)
{
	struct sess x;
	struct fv a, b;
	int pid;

	setup();
	start(&x, echo_argv);
	attach(&x, &a, TERM_VIEWER_NO_REPAINT);
	WAIT_FOR(fv_shows(&a, "ready"));
	ASSERT_OK(term_viewer_input(a.v, "one\r", 4));
	WAIT_FOR(fv_shows(&a, "got one"));
	attach(&x, &b, TERM_VIEWER_READONLY);
	WAIT_FOR(fv_shows(&b, "got one"));
	ASSERT(fv_shows(&b, "ready"));
	ASSERT_OK(term_viewer_input(a.v, "two\r", 4));
	WAIT_FOR(fv_shows(&b, "got two"));
	ASSERT_EQ(term_session_lost(x.s), 0);
	pid = term_worker_pid(worker);
	ASSERT(pid > 0);
	if (geteuid() == 0) {
		ASSERT_EQ(proc_status(pid, "Uid:"), 65534);
		ASSERT_EQ(proc_status(pid, "Gid:"), 65534);
		ASSERT_EQ(proc_status(pid, "CapEff:"), 0);
	}
	ASSERT_EQ(proc_status(pid, "NoNewPrivs:"), 1);
	ASSERT_EQ(proc_status(pid, "Seccomp:"), 2);
	stop(&x);
	fv_free(&a);
	fv_free(&b);
	teardown();
}

/* Kills the worker and waits until the link has noticed. */
static void
kill_worker(unsigned deaths)
{
	int pid = term_worker_pid(worker);

	ASSERT(pid > 0);
	ASSERT_OK(kill(pid, SIGKILL));
	WAIT_FOR(term_worker_deaths(worker) == deaths);
}

/* A worker killed mid-session: both sessions go on as plain streams,
 * each viewer hears it once, a late viewer gets the line for a repaint,
 * and a new session gets a fresh worker and a working screen. */
static void
test_worker_killed(void)
{
	struct sess x, y, z;
	struct fv a, b, c, d;
	int pid;

	setup();
	start(&x, echo_argv);
	start(&y, echo_argv);
	attach(&x, &a, TERM_VIEWER_NO_REPAINT);
	attach(&y, &b, TERM_VIEWER_NO_REPAINT);
	WAIT_FOR(fv_shows(&a, "ready") && fv_shows(&b, "ready"));
	pid = term_worker_pid(worker);
	kill_worker(1);
	ASSERT(term_session_lost(x.s) && term_session_lost(y.s));
	ASSERT_EQ(fv_lost_lines(&a), 1);
	ASSERT_EQ(fv_lost_lines(&b), 1);
	ASSERT_EQ(term_worker_pid(worker), 0);
	ASSERT_OK(term_viewer_input(a.v, "after\r", 6));
	WAIT_FOR(fv_got(&a, "got after"));
	ASSERT_OK(term_viewer_input(b.v, "too\r", 4));
	WAIT_FOR(fv_got(&b, "got too"));
	attach(&x, &c, 0);
	ASSERT_EQ(fv_lost_lines(&c), 1);
	ASSERT_OK(term_viewer_input(c.v, "late\r", 5));
	WAIT_FOR(fv_got(&c, "got late") && fv_got(&a, "got late"));
	ASSERT_EQ(fv_lost_lines(&a), 1);
	ASSERT_EQ(fv_lost_lines(&c), 1);
	/* A new session: a new worker, and a repaint from it. */
	start(&z, echo_argv);
	ASSERT(term_worker_pid(worker) > 0);
	ASSERT(term_worker_pid(worker) != pid);
	attach(&z, &d, TERM_VIEWER_NO_REPAINT);
	WAIT_FOR(fv_shows(&d, "ready"));
	fv_free(&d);
	attach(&z, &d, 0);
	WAIT_FOR(fv_shows(&d, "ready"));
	ASSERT_EQ(fv_lost_lines(&d), 0);
	ASSERT_EQ(term_session_lost(z.s), 0);
	stop(&x);
	stop(&y);
	stop(&z);
	fv_free(&a);
	fv_free(&b);
	fv_free(&c);
	fv_free(&d);
	teardown();
}

/* A worker that dies at every start is started TERM_WORKER_RESTARTS
 * times a window, no more; sessions made then stream without a screen. */
static void
test_worker_crash_loop(void)
{
	struct sess x;
	struct fv a;
	unsigned i;

	setup();
	for (i = 1; i <= TERM_WORKER_RESTARTS; i++) {
		start(&x, echo_argv);
		attach(&x, &a, TERM_VIEWER_NO_REPAINT);
		kill_worker(i);
		ASSERT(term_session_lost(x.s));
		stop(&x);
		fv_free(&a);
	}
	start(&x, echo_argv);
	ASSERT_EQ(term_worker_pid(worker), 0);
	ASSERT(term_session_lost(x.s));
	attach(&x, &a, TERM_VIEWER_NO_REPAINT);
	WAIT_FOR(fv_shows(&a, "ready"));
	ASSERT_OK(term_viewer_input(a.v, "plain\r", 6));
	WAIT_FOR(fv_shows(&a, "got plain"));
	ASSERT_EQ(fv_lost_lines(&a), 0);
	stop(&x);
	fv_free(&a);
	teardown();
}

/* Output faster than the worker: the source waits for it, the screen
 * is kept, and the viewer misses nothing. */
static void
test_worker_flood(void)
{
	struct sess x;
	struct fv a, b;

	setup();
	start(&x, flood_argv);
	attach(&x, &a, TERM_VIEWER_NO_REPAINT);
	ASSERT_OK(term_viewer_input(a.v, "go\r", 3));
	WAIT_FOR(fv_got(&a, "flood-done"));
	ASSERT_EQ(term_session_lost(x.s), 0);
	ASSERT_EQ(fv_xs(&a), FLOOD_BYTES);
	attach(&x, &b, TERM_VIEWER_READONLY);
	WAIT_FOR(fv_shows(&b, "flood-done"));
	ASSERT_EQ(fv_lost_lines(&b), 0);
	stop(&x);
	fv_free(&a);
	fv_free(&b);
	teardown();
}

/* A worker that stops (libvterm in an endless loop, here SIGSTOP) is
 * killed after TERM_WORKER_STALL_MS: the session flooding it and the
 * quiet one go on, each viewer told once, and the node's memory stayed
 * bounded meanwhile (the flood waited for the worker). */
static void
test_worker_stalled(void)
{
	struct sess x, y;
	struct fv a, b;
	int pid;

	setup();
	start(&x, flood_argv);
	start(&y, echo_argv);
	attach(&x, &a, TERM_VIEWER_NO_REPAINT);
	attach(&y, &b, TERM_VIEWER_NO_REPAINT);
	WAIT_FOR(fv_shows(&b, "ready"));
	pid = term_worker_pid(worker);
	ASSERT_OK(kill(pid, SIGSTOP));
	ASSERT_OK(term_viewer_input(a.v, "go\r", 3));
	WAIT_FOR(term_session_paused(x.s));
	ASSERT(!fv_got(&a, "flood-done"));
	WAIT_FOR(term_worker_deaths(worker) == 1);
	ASSERT(term_session_lost(x.s) && term_session_lost(y.s));
	WAIT_FOR(fv_got(&a, "flood-done"));
	ASSERT_EQ(fv_xs(&a), FLOOD_BYTES);
	ASSERT_EQ(fv_lost_lines(&a), 1);
	ASSERT_EQ(fv_lost_lines(&b), 1);
	ASSERT_OK(term_viewer_input(b.v, "still\r", 6));
	WAIT_FOR(fv_got(&b, "got still"));
	(void)kill(pid, SIGCONT);
	stop(&x);
	stop(&y);
	fv_free(&a);
	fv_free(&b);
	teardown();
}

/* Fails unless two terminals show the same cells and cursor. */
static void
assert_same(const struct fv *want, const struct fv *got)
{
	VTermScreenCell a, b;
	int rows, cols, r, c, ar, ac, av, br, bc, bv;

	term_screen_size(want->scr, &rows, &cols);
	for (r = 0; r < rows; r++)
		for (c = 0; c < cols; c++) {
			ASSERT_OK(term_screen_cell(want->scr, r, c, &a));
			ASSERT_OK(term_screen_cell(got->scr, r, c, &b));
			if (a.chars[0] != b.chars[0])
				FAIL("cell %d,%d: U+%04X != U+%04X", r, c,
				    a.chars[0], b.chars[0]);
		}
	term_screen_cursor(want->scr, &ar, &ac, &av);
	term_screen_cursor(got->scr, &br, &bc, &bv);
	ASSERT_EQ(ar, br);
	ASSERT_EQ(ac, bc);
}

/* A viewer attaching while output streams, with the worker stopped so
 * the snapshot comes late: what it keeps meanwhile follows the
 * snapshot, nothing lost or repeated. Once more with a backlog bound
 * the kept bytes pass, so the viewer asks again. */
static void
test_worker_repaint_midstream(void)
{
	static const char *const argv[] = { "sh", "-c",
	    "read x; i=0; while [ $i -lt 3000 ]; do echo \"line $i\"; "
	    "i=$((i+1)); done; echo stream-done; read y", NULL };
	struct term_session_opts o;
	struct term_pty_opts po;
	struct sess x;
	struct fv a, b;
	char *cause = NULL;
	int round, pid;

	for (round = 0; round < 2; round++) {
		setup();
		memset(&x, 0, sizeof(x));
		memset(&o, 0, sizeof(o));
		o.rows = 24;
		o.cols = 80;
		o.sb_lines = 100;
		o.sb_bytes = 64 * 1024;
		o.end_cb = on_end;
		o.arg = &x;
		o.worker = worker;
		o.backlog_max = round == 0 ? 0 : 4096;
		memset(&po, 0, sizeof(po));
		po.argv = argv;
		if (term_session_spawn(&loop, &o, &po, &x.s, &cause) != 0)
			FAIL("spawn: %s", cause ? cause : "");
		attach(&x, &a, TERM_VIEWER_NO_REPAINT);
		ASSERT_OK(term_viewer_input(a.v, "go\r", 3));
		WAIT_FOR(fv_got(&a, "line 100"));
		pid = term_worker_pid(worker);
		ASSERT_OK(kill(pid, SIGSTOP));
		attach(&x, &b, TERM_VIEWER_READONLY);
		ASSERT_EQ(b.len, 0);	/* waits for the snapshot */
		WAIT_FOR(fv_got(&a, "stream-done") ||
		    term_session_paused(x.s));
		ASSERT_OK(kill(pid, SIGCONT));
		WAIT_FOR(fv_shows(&b, "stream-done"));
		ASSERT_EQ(term_session_lost(x.s), 0);
		assert_same(&a, &b);
		ASSERT_EQ(fv_lost_lines(&b), 0);
		stop(&x);
		fv_free(&a);
		fv_free(&b);
		teardown();
	}
}

/* The worker, when this binary is started as one; the tests otherwise. */
int
main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		T(test_worker_repaint),
		T(test_worker_repaint_midstream),
		T(test_worker_killed),
		T(test_worker_crash_loop),
		T(test_worker_flood),
		T(test_worker_stalled),
	};

	if (argc == 2 && strcmp(argv[1], TERM_WORKER_ARG) == 0)
		return (term_worker_main());
	return (test_run(argc, argv, cases, sizeof(cases) / sizeof(cases[0])));
}
