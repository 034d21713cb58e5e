/*
 * Tests of the local PTY process (node/term-pty.c) with real PTYs: window
 * size and resize as `stty size` sees them, SIGWINCH, typing into `cat`,
 * exit codes and signals, exec failures, a flood that is paused, a full
 * input queue, kill, close of a process that ignores SIGHUP, and no
 * leaked descriptors or zombies afterwards.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "term.h"
#include "test.h"

#define OUT_MAX		(64 * 1024)	/* output a test keeps */
#define WAIT_MS		10000		/* a step fails after */

/* What one test saw. */
struct ctx {
	uv_loop_t	 loop;
	uv_timer_t	 timer;
	struct term_pty	*p;
	char		 out[OUT_MAX + 1];
	size_t		 len;
	uint64_t	 total;
	int		 eof;
	int		 exited;
	int64_t		 status;
	int		 sig;
	int		 closed;
	int		 timed_out;
	int		 fds;
};

/* Counts this process's open descriptors. */
static int
count_fds(void)
{
	DIR *d;
	struct dirent *de;
	int n = 0;

	d = opendir("/proc/self/fd");
	ASSERT_NOT_NULL(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return (n - 1);	/* the one opendir holds */
}

/* Output arrived. */
static void
on_read(struct term_pty *p, const char *buf, ssize_t n, void *arg)
{
	struct ctx *c = arg;
	size_t k;

	if (n < 0) {
		ASSERT_EQ(c->eof, 0);
		c->eof = 1;
		return;
	}
	c->total += (uint64_t)n;
	k = (size_t)n;
	if (k > OUT_MAX - c->len)
		k = OUT_MAX - c->len;
	memcpy(c->out + c->len, buf, k);
	c->len += k;
	c->out[c->len] = '\0';
}

/* The process ended. */
static void
on_exit_cb(struct term_pty *p, int64_t status, int sig, void *arg)
{
	struct ctx *c = arg;

	ASSERT_EQ(c->exited, 0);
	c->exited = 1;
	c->status = status;
	c->sig = sig;
}

/* Everything is freed. */
static void
on_close(struct term_pty *p, void *arg)
{
	struct ctx *c = arg;

	c->closed++;
}

/* A step took too long. */
static void
on_timeout(uv_timer_t *t)
{
	struct ctx *c = container_of(t, struct ctx, timer);

	c->timed_out = 1;
}

/* A signal callback that is never called. */
static void
on_signal_unused(uv_signal_t *h, int signum)
{
	FAIL("signal %d", signum);
}

/* Makes libuv open its process-wide signal pipe now, so the first
 * test's descriptor count does not see it appear. */
static void
warm_up_signals(void)
{
	uv_loop_t loop;
	uv_signal_t sig;

	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_OK(uv_signal_init(&loop, &sig));
	ASSERT_OK(uv_signal_start(&sig, on_signal_unused, SIGUSR2));
	test_loop_close(&loop);
}

/* Sets up a loop and counts descriptors. */
static void
ctx_init(struct ctx *c)
{
	warm_up_signals();
	memset(c, 0, sizeof(*c));
	c->fds = count_fds();
	ASSERT_OK(uv_loop_init(&c->loop));
	ASSERT_OK(uv_timer_init(&c->loop, &c->timer));
}

/* Runs the loop until cond holds; fails the case after ms. */
#define RUN_UNTIL(c, cond, ms) do {					\
	(c)->timed_out = 0;						\
	ASSERT_OK(uv_timer_start(&(c)->timer, on_timeout, (ms), 0));	\
	while (!(cond) && !(c)->timed_out)				\
		uv_run(&(c)->loop, UV_RUN_ONCE);			\
	uv_timer_stop(&(c)->timer);					\
	if (!(cond))							\
		FAIL("timed out waiting for %s; output so far: \"%s\"",	\
		    #cond, (c)->out);					\
} while (0)

/* Runs the loop for ms, whatever happens. */
static void
run_for(struct ctx *c, uint64_t ms)
{
	c->timed_out = 0;
	ASSERT_OK(uv_timer_start(&c->timer, on_timeout, ms, 0));
	while (!c->timed_out)
		uv_run(&c->loop, UV_RUN_ONCE);
}

/* Spawns argv at rows x cols. */
static void
spawn(struct ctx *c, const char *const *argv, int rows, int cols)
{
	struct term_pty_opts o;
	char *cause = NULL;
	int err;

	memset(&o, 0, sizeof(o));
	o.argv = argv;
	o.rows = rows;
	o.cols = cols;
	o.read_cb = on_read;
	o.exit_cb = on_exit_cb;
	o.arg = c;
	err = term_pty_spawn(&c->loop, &o, &c->p, &cause);
	if (err != 0)
		FAIL("spawn %s: %d %s", argv[0], err, cause ? cause : "");
}

/* Closes the PTY, checks the process is reaped, nothing leaks. */
static void
ctx_done(struct ctx *c)
{
	int pid, st;

	if (c->p != NULL) {
		pid = term_pty_pid(c->p);
		term_pty_close(c->p, on_close, c);
		c->p = NULL;
		RUN_UNTIL(c, c->closed, WAIT_MS);
		ASSERT_EQ(c->closed, 1);
		/* Reaped: no zombie left behind. */
		ASSERT_EQ(waitpid(pid, &st, WNOHANG), -1);
		ASSERT_EQ(errno, ECHILD);
	}
	test_loop_close(&c->loop);
	ASSERT_EQ(count_fds(), c->fds);
}

/* The window size is set before the program starts. */
static void
test_stty_size(void)
{
	static const char *const argv[] = { "/bin/sh", "-c",
	    "stty size; echo hi", NULL };
	struct ctx c;

	ctx_init(&c);
	spawn(&c, argv, 24, 80);
	RUN_UNTIL(&c, c.exited, WAIT_MS);
	ASSERT_EQ(c.eof, 1);	/* output drained before the exit */
	ASSERT_EQ(c.status, 0);
	ASSERT_EQ(c.sig, 0);
	ASSERT_CONTAINS(c.out, "24 80\r\n");
	ASSERT_CONTAINS(c.out, "hi\r\n");
	ctx_done(&c);
}

/* A resize reaches the program as SIGWINCH and a new `stty size`. */
static void
test_resize(void)
{
	static const char *const argv[] = { "sh", "-c",
	    "trap 'echo WINCH' WINCH; echo ready; read x; stty size", NULL };
	struct ctx c;

	ctx_init(&c);
	spawn(&c, argv, 24, 80);
	RUN_UNTIL(&c, strstr(c.out, "ready") != NULL || c.exited, WAIT_MS);
	ASSERT_EQ(c.exited, 0);
	ASSERT_OK(term_pty_resize(c.p, 30, 100));
	ASSERT_EQ(term_pty_resize(c.p, 0, 100), -EINVAL);
	ASSERT_OK(term_pty_write(c.p, "go\n", 3));
	RUN_UNTIL(&c, c.exited, WAIT_MS);
	ASSERT_EQ(c.status, 0);
	ASSERT_CONTAINS(c.out, "30 100\r\n");
	ASSERT_CONTAINS(c.out, "WINCH");
	ctx_done(&c);
}

/* Typing into cat: the terminal echoes, cat repeats, ^D ends it. */
static void
test_cat_echo(void)
{
	static const char *const argv[] = { "cat", NULL };
	struct ctx c;

	ctx_init(&c);
	spawn(&c, argv, 24, 80);
	ASSERT_OK(term_pty_write(c.p, "hello\n", 6));
	RUN_UNTIL(&c, strstr(c.out, "hello\r\nhello\r\n") != NULL || c.exited,
	    WAIT_MS);
	ASSERT_EQ(c.exited, 0);
	ASSERT_OK(term_pty_write(c.p, "\004", 1));
	RUN_UNTIL(&c, c.exited, WAIT_MS);
	ASSERT_EQ(c.status, 0);
	ASSERT_EQ(term_pty_write_queued(c.p), 0);
	ctx_done(&c);
}

/* Exit codes and death by signal come back as such. */
static void
test_exit_codes(void)
{
	static const char *const exit3[] = { "sh", "-c", "exit 3", NULL };
	static const char *const killed[] = { "sh", "-c", "kill -TERM $$",
	    NULL };
	struct ctx c;

	ctx_init(&c);
	spawn(&c, exit3, 24, 80);
	RUN_UNTIL(&c, c.exited, WAIT_MS);
	ASSERT_EQ(c.status, 3);
	ASSERT_EQ(c.sig, 0);
	ctx_done(&c);

	ctx_init(&c);
	spawn(&c, killed, 24, 80);
	RUN_UNTIL(&c, c.exited, WAIT_MS);
	ASSERT_EQ(c.sig, SIGTERM);
	ctx_done(&c);
}

/* Programs that cannot run fail at spawn, with a cause, leaking
 * nothing. */
static void
test_exec_failures(void)
{
	static const char *const missing[] = { "/nonexistent/prog", NULL };
	static const char *const nopath[] = { "no-such-program-pier", NULL };
	static const char *const ok[] = { "true", NULL };
	static const char *const noshell[] = { "echo $HOME", NULL };
	struct term_pty_opts o;
	struct term_pty *p;
	char *cause = NULL;
	struct ctx c;

	ctx_init(&c);
	memset(&o, 0, sizeof(o));
	o.rows = 24;
	o.cols = 80;
	o.read_cb = on_read;
	o.arg = &c;
	o.argv = missing;
	ASSERT_EQ(term_pty_spawn(&c.loop, &o, &p, &cause), -ENOENT);
	ASSERT_NULL(p);
	ASSERT_CONTAINS(cause, "/nonexistent/prog");
	free(cause);
	o.argv = nopath;
	ASSERT_EQ(term_pty_spawn(&c.loop, &o, &p, &cause), -ENOENT);
	ASSERT_CONTAINS(cause, "no-such-program-pier");
	free(cause);
	/* Never through a shell. */
	o.argv = noshell;
	ASSERT_EQ(term_pty_spawn(&c.loop, &o, &p, &cause), -ENOENT);
	free(cause);
	/* A working directory that is not there fails in the child. */
	o.argv = ok;
	o.cwd = "/nonexistent-dir";
	ASSERT_EQ(term_pty_spawn(&c.loop, &o, &p, &cause), -ENOENT);
	ASSERT_CONTAINS(cause, "No such file");
	free(cause);
	o.cwd = NULL;
	o.rows = 0;
	ASSERT_EQ(term_pty_spawn(&c.loop, &o, &p, &cause), -EINVAL);
	free(cause);
	uv_run(&c.loop, UV_RUN_NOWAIT);
	ctx_done(&c);
}

/* env and cwd reach the program. */
static void
test_env_cwd(void)
{
	static const char *const argv[] = { "sh", "-c",
	    "echo \"v=$PIER_T\"; pwd", NULL };
	static const char *const env[] = { "PIER_T=x y",
	    "PATH=/usr/bin:/bin", NULL };
	struct term_pty_opts o;
	char *cause = NULL;
	struct ctx c;

	ctx_init(&c);
	memset(&o, 0, sizeof(o));
	o.argv = argv;
	o.env = env;
	o.cwd = "/tmp";
	o.rows = 24;
	o.cols = 80;
	o.read_cb = on_read;
	o.exit_cb = on_exit_cb;
	o.arg = &c;
	ASSERT_OK(term_pty_spawn(&c.loop, &o, &c.p, &cause));
	RUN_UNTIL(&c, c.exited, WAIT_MS);
	ASSERT_CONTAINS(c.out, "v=x y\r\n/tmp\r\n");
	ctx_done(&c);
}

/* A flood while paused: nothing is read, nothing grows; resume reads
 * again; kill ends it. */
static void
test_flood_paused(void)
{
	static const char *const argv[] = { "yes", NULL };
	struct ctx c;
	uint64_t before;

	ctx_init(&c);
	spawn(&c, argv, 24, 80);
	RUN_UNTIL(&c, c.total >= 100000, WAIT_MS);
	term_pty_pause(c.p);
	before = c.total;
	run_for(&c, 300);
	ASSERT_EQ(c.total, before);
	term_pty_resume(c.p);
	RUN_UNTIL(&c, c.total > before, WAIT_MS);
	ASSERT_OK(term_pty_kill(c.p, SIGKILL));
	RUN_UNTIL(&c, c.exited, WAIT_MS);
	ASSERT_EQ(c.sig, SIGKILL);
	ASSERT_EQ(term_pty_kill(c.p, SIGTERM), -ESRCH);
	ctx_done(&c);
}

/* Input to a program that never reads: the queue stops at its bound. */
static void
test_write_bound(void)
{
	static const char *const argv[] = { "sleep", "60", NULL };
	struct term_pty_opts o;
	char *cause = NULL, chunk[4096];
	struct ctx c;
	int i, err = 0;

	ctx_init(&c);
	memset(&o, 0, sizeof(o));
	o.argv = argv;
	o.rows = 24;
	o.cols = 80;
	o.write_max = 16384;
	o.read_cb = on_read;
	o.exit_cb = on_exit_cb;
	o.arg = &c;
	ASSERT_OK(term_pty_spawn(&c.loop, &o, &c.p, &cause));
	memset(chunk, 'a', sizeof chunk);
	/* The queue is read when the refusal comes: the kernel takes more
	 * from the master whenever its worker has moved the tty's buffers
	 * on, so a loop turn after the refusal may drain the queue. */
	for (i = 0; i < 1000; i++) {
		err = term_pty_write(c.p, chunk, sizeof chunk);
		if (err != 0)
			break;
		uv_run(&c.loop, UV_RUN_NOWAIT);
	}
	ASSERT_EQ(err, -ENOBUFS);
	ASSERT_LE(term_pty_write_queued(c.p), 16384);
	ASSERT_GT(term_pty_write_queued(c.p), 16384 - sizeof chunk);
	/* Closing a busy process frees its queue and reaps it. */
	ctx_done(&c);
	ASSERT_EQ(c.exited, 0);	/* no callback after close */
}

/* A process that ignores the hangup is killed; close still finishes. */
static void
test_close_stubborn(void)
{
	static const char *const argv[] = { "sh", "-c",
	    "trap '' HUP; echo armed; while :; do sleep 1; done", NULL };
	struct ctx c;

	ctx_init(&c);
	spawn(&c, argv, 24, 80);
	RUN_UNTIL(&c, strstr(c.out, "armed") != NULL, WAIT_MS);
	ctx_done(&c);
}

/* Two processes at once each get their own exit status. */
static void
test_two_at_once(void)
{
	static const char *const a[] = { "sh", "-c", "read x; exit 7",
	    NULL };
	static const char *const b[] = { "sh", "-c", "exit 9", NULL };
	struct ctx c, d;

	ctx_init(&c);
	spawn(&c, a, 24, 80);
	memset(&d, 0, sizeof(d));	/* the same loop, its own results */
	{
		struct term_pty_opts o;
		char *cause = NULL;

		memset(&o, 0, sizeof(o));
		o.argv = b;
		o.rows = 24;
		o.cols = 80;
		o.read_cb = on_read;
		o.exit_cb = on_exit_cb;
		o.arg = &d;
		ASSERT_OK(term_pty_spawn(&c.loop, &o, &d.p, &cause));
	}
	RUN_UNTIL(&c, d.exited, WAIT_MS);
	ASSERT_EQ(d.status, 9);
	ASSERT_EQ(c.exited, 0);
	ASSERT_OK(term_pty_write(c.p, "go\n", 3));
	RUN_UNTIL(&c, c.exited, WAIT_MS);
	ASSERT_EQ(c.status, 7);
	term_pty_close(d.p, on_close, &d);
	RUN_UNTIL(&c, d.closed, WAIT_MS);
	ctx_done(&c);
}

TEST_MAIN(
	T(test_stty_size),
	T(test_resize),
	T(test_cat_echo),
	T(test_exit_codes),
	T(test_exec_failures),
	T(test_env_cwd),
	T(test_flood_paused),
	T(test_write_bound),
	T(test_close_stubborn),
	T(test_two_at_once)
)
