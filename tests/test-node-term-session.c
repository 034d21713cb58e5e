/*
 * Tests of terminal sessions (node/term-session.c) with a real local PTY
 * and fake in-memory viewers. Each viewer feeds what it receives into a
 * screen of its own, standing in for the user's terminal, so "the viewer
 * sees what the session sees" is checked cell by cell: a late viewer's
 * repaint, a stalled viewer brought up to date by a fresh repaint, a lone
 * slow viewer held by flow control (nothing skipped), read-only viewers,
 * the size following the most recently active viewer, exit codes, the
 * idle timeout and closing with viewers attached.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "term.h"
#include "test.h"

#define WAIT_MS		20000	/* a step fails after */
#define TAKE_ALL	((size_t)-1)

/* A fake viewer: a sink taking up to `take` bytes per call. */
struct fv {
	struct term_viewer	*v;
	struct term_screen	*scr;	/* what its terminal shows */
	size_t			 take;
	uint64_t		 total;
	int			 ended;
	int			 err;
	int64_t			 status;
	int			 sig;
};

/* One test's loop and session. */
struct ctx {
	uv_loop_t		 loop;
	uv_timer_t		 timer;
	struct term_session	*s;
	int			 timed_out;
	int			 end;
	int			 end_err;
	int64_t			 end_status;
	int			 closed;
	int			 close_in_end;
};

/* Sink: takes what it may and shows it on its terminal. */
static size_t
fv_send(struct term_viewer *v, const char *buf, size_t len, void *arg)
{
	struct fv *f = arg;
	size_t n = len < f->take ? len : f->take;

	term_screen_feed(f->scr, buf, n);
	f->total += n;
	return (n);
}

/* The session ended for this viewer. */
static void
fv_ended(struct term_viewer *v, int err, int64_t status, int sig,
    void *arg)
{
	struct fv *f = arg;

	ASSERT_EQ(f->ended, 0);
	f->ended = 1;
	f->err = err;
	f->status = status;
	f->sig = sig;
	f->v = NULL;
}

static const struct term_viewer_ops fv_ops = {
	.send = fv_send,
	.ended = fv_ended,
};

/* The session is freed. */
static void
on_closed(struct term_session *s, void *arg)
{
	struct ctx *c = arg;

	c->closed++;
}

/* The session is over. */
static void
on_end(struct term_session *s, int err, int64_t status, int sig,
    void *arg)
{
	struct ctx *c = arg;

	ASSERT_EQ(c->end, 0);
	c->end = 1;
	c->end_err = err;
	c->end_status = status;
	if (c->close_in_end)
		term_session_close(s, on_closed, c);
}

/* A step ran out of time. */
static void
on_timeout(uv_timer_t *t)
{
	struct ctx *c = container_of(t, struct ctx, timer);

	c->timed_out = 1;
}

/* Runs the loop until *flag (or fails after ms). */
static void
run_until(struct ctx *c, int *flag, uint64_t ms)
{
	c->timed_out = 0;
	ASSERT_OK(uv_timer_start(&c->timer, on_timeout, ms, 0));
	while (!*flag && !c->timed_out)
		uv_run(&c->loop, UV_RUN_ONCE);
	uv_timer_stop(&c->timer);
	if (!*flag)
		FAIL("timed out");
}

/* Runs the loop for ms. */
static void
run_for(struct ctx *c, uint64_t ms)
{
	c->timed_out = 0;
	ASSERT_OK(uv_timer_start(&c->timer, on_timeout, ms, 0));
	while (!c->timed_out)
		uv_run(&c->loop, UV_RUN_ONCE);
}

/* Starts argv in a session of rows x cols. */
static void
start(struct ctx *c, const char *const *argv, int rows, int cols,
    uint64_t idle_ms, size_t backlog)
{
	struct term_session_opts o;
	struct term_pty_opts po;
	char *cause = NULL;
	int err;

	memset(c, 0, sizeof(*c));
	ASSERT_OK(uv_loop_init(&c->loop));
	ASSERT_OK(uv_timer_init(&c->loop, &c->timer));
	memset(&o, 0, sizeof(o));
	o.rows = rows;
	o.cols = cols;
	o.sb_lines = 100;
	o.sb_bytes = 64 * 1024;
	o.idle_ms = idle_ms;
	o.backlog_max = backlog;
	o.end_cb = on_end;
	o.arg = c;
	memset(&po, 0, sizeof(po));
	po.argv = argv;
	err = term_session_spawn(&c->loop, &o, &po, &c->s, &cause);
	if (err != 0)
		FAIL("spawn: %d %s", err, cause ? cause : "");
}

/* Attaches a fake viewer whose terminal is rows x cols. */
static void
attach(struct ctx *c, struct fv *f, int flags, int rows, int cols)
{
	memset(f, 0, sizeof(*f));
	f->take = TAKE_ALL;
	ASSERT_OK(term_screen_new(&f->scr, rows, cols, 0, 0));
	ASSERT_OK(term_viewer_attach(c->s, &fv_ops, f, flags, rows, cols,
	    &f->v));
}

/* Returns row r of a screen as text (static buffer). */
static const char *
row_text(struct term_screen *s, int r)
{
	static char out[512];
	VTermScreenCell cell;
	int rows, cols, c;
	size_t n = 0;

	term_screen_size(s, &rows, &cols);
	for (c = 0; c < cols && n < sizeof(out) - 8; c++) {
		ASSERT_OK(term_screen_cell(s, r, c, &cell));
		out[n++] = cell.chars[0] >= 0x20 && cell.chars[0] < 0x7f ?
		    (char)cell.chars[0] : ' ';
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return (out);
}

/* Returns 1 if any row of the screen contains needle. */
static int
screen_has(struct term_screen *s, const char *needle)
{
	int rows, cols, r;

	term_screen_size(s, &rows, &cols);
	for (r = 0; r < rows; r++)
		if (strstr(row_text(s, r), needle) != NULL)
			return (1);
	return (0);
}

/* Fails unless the viewer's terminal shows the session's screen. */
static void
assert_sees(struct term_screen *want, struct term_screen *got)
{
	VTermScreenCell a, b;
	int rows, cols, r, c, ar, ac, av, br, bc, bv;

	term_screen_size(want, &rows, &cols);
	term_screen_size(got, &r, &c);
	ASSERT_EQ(rows, r);
	ASSERT_EQ(cols, c);
	for (r = 0; r < rows; r++)
		for (c = 0; c < cols; c++) {
			ASSERT_OK(term_screen_cell(want, r, c, &a));
			ASSERT_OK(term_screen_cell(got, r, c, &b));
			if (a.chars[0] != b.chars[0] ||
			    a.attrs.bold != b.attrs.bold ||
			    a.attrs.reverse != b.attrs.reverse)
				FAIL("cell %d,%d: U+%04X != U+%04X "
				    "(row \"%s\")", r, c, a.chars[0],
				    b.chars[0], row_text(want, r));
		}
	term_screen_cursor(want, &ar, &ac, &av);
	term_screen_cursor(got, &br, &bc, &bv);
	ASSERT_EQ(ar, br);
	ASSERT_EQ(ac, bc);
}

/* Closes the session (if still there) and the loop. */
static void
finish(struct ctx *c)
{
	if (c->s != NULL) {
		term_session_close(c->s, on_closed, c);
		c->s = NULL;
		run_until(c, &c->closed, WAIT_MS);
	}
	test_loop_close(&c->loop);
}

/* Frees a fake viewer's terminal. */
static void
fv_free(struct fv *f)
{
	term_screen_free(f->scr);
	f->scr = NULL;
}

/* A viewer that attaches late gets the screen as it is; input from a
 * read-write viewer reaches the process; everyone gets the exit code. */
static void
test_late_viewer(void)
{
	static const char *const argv[] = { "sh", "-c",
	    "printf '\\033[1;31mhello\\033[0m world\\n'; read x; "
	    "echo \"got $x\"; exit 5", NULL };
	struct ctx c;
	struct fv a, b;
	int seen = 0;

	start(&c, argv, 24, 80, 0, 0);
	attach(&c, &a, 0, 24, 80);
	while (!seen) {
		run_for(&c, 10);
		seen = screen_has(a.scr, "hello world");
	}
	attach(&c, &b, TERM_VIEWER_READONLY, 24, 80);
	assert_sees(term_session_screen(c.s), b.scr);
	ASSERT_EQ(term_session_viewers(c.s), 2);
	ASSERT_EQ(term_viewer_input(b.v, "no\r", 3), -EPERM);
	ASSERT_OK(term_viewer_input(a.v, "yes\r", 4));
	run_until(&c, &c.end, WAIT_MS);
	ASSERT_EQ(c.end_err, 0);
	ASSERT_EQ(c.end_status, 5);
	ASSERT(a.ended && b.ended);
	ASSERT_EQ(a.status, 5);
	ASSERT_EQ(b.status, 5);
	ASSERT(screen_has(b.scr, "got yes"));
	assert_sees(term_session_screen(c.s), a.scr);
	assert_sees(term_session_screen(c.s), b.scr);
	ASSERT_EQ(term_session_viewers(c.s), 0);
	fv_free(&a);
	fv_free(&b);
	finish(&c);
	ASSERT_EQ(c.closed, 1);
}

/* The window size follows whoever was active last; read-only viewers
 * never change it. */
static void
test_size_follows_active(void)
{
	static const char *const argv[] = { "sh", "-c",
	    "while read l; do stty size; done", NULL };
	struct ctx c;
	struct fv a, b, r;
	int rows, cols;

	start(&c, argv, 24, 80, 0, 0);
	attach(&c, &a, 0, 24, 80);
	attach(&c, &b, 0, 30, 100);
	term_screen_size(term_session_screen(c.s), &rows, &cols);
	ASSERT_EQ(rows, 30);
	ASSERT_EQ(cols, 100);
	attach(&c, &r, TERM_VIEWER_READONLY, 50, 50);
	ASSERT_OK(term_viewer_resize(r.v, 60, 60));
	term_screen_size(term_session_screen(c.s), &rows, &cols);
	ASSERT_EQ(rows, 30);
	ASSERT_OK(term_viewer_input(a.v, "\r", 1));
	term_screen_size(term_session_screen(c.s), &rows, &cols);
	ASSERT_EQ(rows, 24);
	ASSERT_EQ(cols, 80);
	while (!screen_has(a.scr, "24 80"))
		run_for(&c, 10);
	/* Out of bounds is clamped: 0 rows is 1, 1 column is 2. */
	ASSERT_OK(term_viewer_resize(b.v, 0, 1));
	term_screen_size(term_session_screen(c.s), &rows, &cols);
	ASSERT_EQ(rows, 1);
	ASSERT_EQ(cols, TERM_MIN_COLS);
	ASSERT_OK(term_viewer_resize(b.v, 512, 1024));
	term_screen_size(term_session_screen(c.s), &rows, &cols);
	ASSERT_EQ(cols, 1024);
	ASSERT_LE((long)rows * cols, TERM_MAX_CELLS);
	ASSERT_OK(term_viewer_resize(b.v, 40, 120));
	ASSERT_OK(term_viewer_input(b.v, "\r", 1));
	while (!screen_has(b.scr, "40 120"))
		run_for(&c, 10);
	term_viewer_detach(r.v);
	ASSERT_EQ(term_session_viewers(c.s), 2);
	finish(&c);
	ASSERT(a.ended && b.ended && !r.ended);
	ASSERT_EQ(a.err, -ECANCELED);
	fv_free(&a);
	fv_free(&b);
	fv_free(&r);
}

/* The bytes `seq 1 n` writes to a terminal (\n becomes \r\n). */
static uint64_t
seq_bytes(int n)
{
	uint64_t t = 0;
	char tmp[16];
	int i;

	for (i = 1; i <= n; i++)
		t += (uint64_t)snprintf(tmp, sizeof tmp, "%d", i) + 2;
	return (t);
}

/* A stalled viewer does not slow a fast one, keeps a bounded backlog and
 * is brought up to date by a repaint. */
static void
test_stalled_viewer(void)
{
	static const char *const argv[] = { "seq", "1", "200000", NULL };
	struct ctx c;
	struct fv a, b;
	uint64_t repaint;

	start(&c, argv, 24, 80, 0, 64 * 1024);
	attach(&c, &a, 0, 24, 80);
	repaint = a.total;
	attach(&c, &b, TERM_VIEWER_READONLY, 24, 80);
	b.take = 0;
	while (!a.ended) {
		ASSERT_LE(term_viewer_backlog(b.v), 64 * 1024);
		ASSERT_EQ(term_session_paused(c.s), 0);
		run_for(&c, 5);
	}
	/* A saw every byte; the process is done, B still owes. */
	ASSERT_EQ(a.total, repaint + seq_bytes(200000));
	ASSERT_EQ(a.status, 0);
	ASSERT_EQ(c.end, 0);
	ASSERT(!b.ended);
	b.take = TAKE_ALL;
	term_viewer_writable(b.v);
	ASSERT(b.ended);
	ASSERT_LT(b.total, a.total);	/* it skipped, by a repaint */
	assert_sees(term_session_screen(c.s), b.scr);
	assert_sees(term_session_screen(c.s), a.scr);
	ASSERT(screen_has(b.scr, "200000"));
	run_until(&c, &c.end, WAIT_MS);
	fv_free(&a);
	fv_free(&b);
	finish(&c);
}

/* A lone slow viewer holds the process back instead: it skips nothing. */
static void
test_lone_slow_viewer(void)
{
	static const char *const argv[] = { "seq", "1", "100000", NULL };
	struct ctx c;
	struct fv a;
	int was_paused = 0;
	uint64_t repaint;

	start(&c, argv, 24, 80, 0, 64 * 1024);
	attach(&c, &a, 0, 24, 80);
	repaint = a.total;
	a.take = 0;
	/* Held back, not skipped: the source pauses. */
	while (!term_session_paused(c.s)) {
		ASSERT(!a.ended);
		run_for(&c, 10);
	}
	ASSERT_LE(term_viewer_backlog(a.v), 64 * 1024);
	a.take = 1000;
	while (!a.ended) {
		if (term_session_paused(c.s))
			was_paused = 1;
		term_viewer_writable(a.v);
		if (!a.ended)
			run_for(&c, 1);
	}
	ASSERT(was_paused);
	ASSERT_EQ(a.total, repaint + seq_bytes(100000));
	ASSERT_EQ(a.status, 0);
	assert_sees(term_session_screen(c.s), a.scr);
	run_until(&c, &c.end, WAIT_MS);
	fv_free(&a);
	finish(&c);
}

/* With no viewer the session ends after idle_ms; a viewer holds it. */
static void
test_idle_timeout(void)
{
	static const char *const argv[] = { "sleep", "30", NULL };
	struct ctx c;
	struct fv a;

	start(&c, argv, 24, 80, 100, 0);
	attach(&c, &a, 0, 24, 80);
	run_for(&c, 300);
	ASSERT_EQ(c.end, 0);
	term_viewer_detach(a.v);
	run_until(&c, &c.end, WAIT_MS);
	ASSERT_EQ(c.end_err, -ETIMEDOUT);
	ASSERT_EQ(a.ended, 0);
	fv_free(&a);
	/* Closing kills the sleeping process and reaps it. */
	finish(&c);
	ASSERT_EQ(c.closed, 1);
}

/* A viewer may detach, and the session may close, from inside the
 * viewer's own callback. */
static size_t
detaching_send(struct term_viewer *v, const char *buf, size_t len,
    void *arg)
{
	struct fv *f = arg;

	f->total += len;
	if (f->total > 1000 && f->v != NULL) {
		term_viewer_detach(v);
		f->v = NULL;
		return (0);
	}
	return (len);
}

static const struct term_viewer_ops detaching_ops = {
	.send = detaching_send,
	.ended = fv_ended,
};

/* Re-entrant detach and close from callbacks. */
static void
test_reentrant(void)
{
	static const char *const argv[] = { "seq", "1", "100000", NULL };
	struct ctx c;
	struct fv a, b;

	start(&c, argv, 24, 80, 0, 0);
	c.close_in_end = 1;
	attach(&c, &b, 0, 24, 80);
	memset(&a, 0, sizeof(a));
	ASSERT_OK(term_viewer_attach(c.s, &detaching_ops, &a, 0, 24, 80,
	    &a.v));
	while (a.v != NULL)
		run_for(&c, 5);
	ASSERT_EQ(term_session_viewers(c.s), 1);
	run_until(&c, &b.ended, WAIT_MS);
	/* B got a repaint and then every byte. */
	ASSERT_GT(b.total, seq_bytes(100000));
	/* The owner closes the session from its end callback. */
	run_until(&c, &c.closed, WAIT_MS);
	c.s = NULL;
	fv_free(&b);
	finish(&c);
}

/* A program that cannot start leaves nothing behind. */
static void
test_spawn_failure(void)
{
	static const char *const argv[] = { "no-such-program-pier", NULL };
	struct term_session_opts o;
	struct term_pty_opts po;
	struct term_session *s;
	char *cause = NULL;
	uv_loop_t loop;

	ASSERT_OK(uv_loop_init(&loop));
	memset(&o, 0, sizeof(o));
	o.rows = 24;
	o.cols = 80;
	memset(&po, 0, sizeof(po));
	po.argv = argv;
	ASSERT_EQ(term_session_spawn(&loop, &o, &po, &s, &cause), -ENOENT);
	ASSERT_NULL(s);
	ASSERT_CONTAINS(cause, "no-such-program-pier");
	free(cause);
	o.rows = 0;
	ASSERT_EQ(term_session_spawn(&loop, &o, &po, &s, &cause), -EINVAL);
	free(cause);
	test_loop_close(&loop);
}

TEST_MAIN(
	T(test_late_viewer),
	T(test_size_follows_active),
	T(test_stalled_viewer),
	T(test_lone_slow_viewer),
	T(test_idle_timeout),
	T(test_reentrant),
	T(test_spawn_failure)
)
