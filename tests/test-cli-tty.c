/*
 * Tests of tools/pier/tty.c. The escape filter against a table of ssh's
 * behaviour, each input also fed split at every byte boundary (and in
 * every possible set of chunks for short inputs, and random inputs), so
 * a sequence cut across reads acts as if whole. Raw mode on a real PTY
 * pair (openpty): the flags set, then restored exactly by
 * cli_tty_restore(), at exit, and when a forked child dies of SIGTERM,
 * SIGINT, SIGHUP or SIGQUIT; cooked while stopped by SIGTSTP and raw
 * again on SIGCONT; the window size through TIOCGWINSZ.
 */
#include <errno.h>
#include <pty.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "cli-out.h"

/* Most bytes a filter run produces in these tests. */
#define OUT_MAX		4096

/* What a filter run produced: forwarded bytes and the actions, in order. */
struct esc_run {
	uint8_t		out[OUT_MAX];
	size_t		outlen;
	char		acts[64];	/* 'D' detach, 'H' help */
	size_t		nacts;
	int		detached;
};

/* Feeds one chunk, acting on help by going on, stopping at detach. */
static void
esc_chunk(struct cli_esc *e, struct esc_run *r, const uint8_t *in,
    size_t len)
{
	uint8_t out[OUT_MAX + 1];
	enum cli_esc_action a;
	size_t used, n;

	while (len > 0 && !r->detached) {
		a = cli_esc_feed(e, in, len, &used, out, &n);
		ASSERT_LE(used, len);
		ASSERT_LE(n, used + 1);
		ASSERT(used > 0);
		ASSERT_LE(r->outlen + n, OUT_MAX);
		memcpy(r->out + r->outlen, out, n);
		r->outlen += n;
		if (a == CLI_ESC_DETACH) {
			r->acts[r->nacts++] = 'D';
			r->detached = 1;
		} else if (a == CLI_ESC_HELP)
			r->acts[r->nacts++] = 'H';
		else
			ASSERT_EQ(used, len);	/* no action: all read */
		in += used;
		len -= used;
	}
}

/* Runs input through a fresh filter in chunks cut where mask says. */
static void
esc_run(int ch, const char *input, size_t len, uint64_t mask,
    struct esc_run *r)
{
	struct cli_esc e;
	size_t start = 0, i;

	memset(r, 0, sizeof(*r));
	cli_esc_init(&e, ch);
	for (i = 1; i <= len; i++) {
		if (i == len || (mask & (UINT64_C(1) << (i - 1)))) {
			esc_chunk(&e, r, (const uint8_t *)input + start,
			    i - start);
			start = i;
		}
	}
}

/* Checks that every way of cutting input gives the same result. */
static void
esc_check_splits(int ch, const char *input, size_t len,
    const struct esc_run *whole)
{
	struct esc_run r;
	uint64_t mask, all;

	if (len < 2)
		return;
	/* Every set of chunks for short inputs; else each single cut. */
	if (len <= 13) {
		all = (UINT64_C(1) << (len - 1)) - 1;
		for (mask = 1; mask <= all; mask++) {
			esc_run(ch, input, len, mask, &r);
			if (r.outlen != whole->outlen ||
			    memcmp(r.out, whole->out, r.outlen) != 0 ||
			    r.nacts != whole->nacts ||
			    memcmp(r.acts, whole->acts, r.nacts) != 0)
				FAIL("\"%s\" cut by mask %#llx differs", input,
				    (unsigned long long)mask);
		}
		return;
	}
	for (mask = 0; mask + 1 < len && mask < 64; mask++) {
		esc_run(ch, input, len, UINT64_C(1) << mask, &r);
		if (r.outlen != whole->outlen ||
		    memcmp(r.out, whole->out, r.outlen) != 0 ||
		    r.nacts != whole->nacts)
			FAIL("\"%s\" cut at %llu differs", input,
			    (unsigned long long)mask + 1);
	}
	esc_run(ch, input, len, ~UINT64_C(0), &r);	/* byte by byte */
	if (r.outlen != whole->outlen ||
	    memcmp(r.out, whole->out, r.outlen) != 0)
		FAIL("\"%s\" byte by byte differs", input);
}

/* ssh's escapes: input, forwarded bytes, actions. */
static void
test_esc_table(void)
{
	static const struct {
		int		 ch;
		const char	*in;
		const char	*out;
		const char	*acts;
	} cases[] = {
		{ '~', "ls -l\r", "ls -l\r", "" },
		{ '~', "~.", "", "D" },
		{ '~', "~.after", "", "D" },
		{ '~', "a~.", "a~.", "" },
		{ '~', "a\r~.", "a\r", "D" },
		{ '~', "a\n~.", "a\n", "D" },
		{ '~', "~~", "~", "" },
		{ '~', "~~.", "~.", "" },
		{ '~', "x\r~~~.", "x\r~~.", "" },
		{ '~', "~x", "~x", "" },
		{ '~', "~\r~.", "~\r", "D" },
		{ '~', "~?", "", "H" },
		{ '~', "~?~.", "", "HD" },
		{ '~', "~?x~.", "x~.", "H" },
		{ '~', "\r~?\r~?", "\r\r", "HH" },
		{ '~', "~", "", "" },		/* held, waiting */
		{ '~', "abc~", "abc~", "" },
		{ '~', "\r\r\r~.", "\r\r\r", "D" },
		{ '~', "vi x\r~:wq\r", "vi x\r~:wq\r", "" },
		{ '~', "\x1b[A~.", "\x1b[A~.", "" },
		/* A terminal's reports are not typing: after \r, ~. works. */
		{ '~', "\r\x1b[23;5R~.", "\r\x1b[23;5R", "D" },
		{ '~', "\x1b[0n~.", "\x1b[0n", "D" },
		{ '~', "\x1b[?1;2c\r\x1b[8;24;80t~?", "\x1b[?1;2c\r\x1b[8;24;80t",
		    "H" },
		{ '~', "a\x1b[23;5R~.", "a\x1b[23;5R~.", "" },
		{ '~', "\r\x1b[1;5A~.", "\r\x1b[1;5A~.", "" },
		{ '~', "\r\x1bx~.", "\r\x1bx~.", "" },
		{ CLI_ESC_NONE, "~.", "~.", "" },
		{ CLI_ESC_NONE, "\r~?~~", "\r~?~~", "" },
		{ 0x1d, "\x1d.", "", "D" },
		{ 0x1d, "~.", "~.", "" },
		{ 0x1d, "\x1d\x1d", "\x1d", "" },
		{ 0x1d, "a\r\x1d" "b", "a\r\x1d" "b", "" },
		{ '%', "%.", "", "D" },
	};
	struct esc_run r;
	size_t i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = strlen(cases[i].in);
		esc_run(cases[i].ch, cases[i].in, len, 0, &r);
		if (r.outlen != strlen(cases[i].out) ||
		    memcmp(r.out, cases[i].out, r.outlen) != 0)
			FAIL("case %zu \"%s\": forwarded \"%.*s\", want \"%s\"",
			    i, cases[i].in, (int)r.outlen, (char *)r.out,
			    cases[i].out);
		if (r.nacts != strlen(cases[i].acts) ||
		    memcmp(r.acts, cases[i].acts, r.nacts) != 0)
			FAIL("case %zu \"%s\": actions \"%.*s\", want \"%s\"",
			    i, cases[i].in, (int)r.nacts, r.acts,
			    cases[i].acts);
		esc_check_splits(cases[i].ch, cases[i].in, len, &r);
	}
}

/* Random inputs over the interesting bytes: cuts never matter. */
static void
test_esc_random_splits(void)
{
	static const char alphabet[] = "~.?\r\nab";
	char in[40];
	struct esc_run whole;
	unsigned seed = 12345;
	size_t i, k, len;

	for (i = 0; i < 3000; i++) {
		seed = seed * 1103515245 + 12345;
		len = 2 + (seed >> 16) % (sizeof in - 2);
		for (k = 0; k < len; k++) {
			seed = seed * 1103515245 + 12345;
			in[k] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
		}
		in[len] = '\0';
		esc_run('~', in, len, 0, &whole);
		esc_check_splits('~', in, len, &whole);
	}
}

/* The held escape character comes out with the next byte. */
static void
test_esc_held(void)
{
	struct cli_esc e;
	uint8_t out[4];
	size_t used, n;

	cli_esc_init(&e, '~');
	ASSERT_EQ(cli_esc_feed(&e, (const uint8_t *)"~", 1, &used, out, &n),
	    CLI_ESC_FORWARD);
	ASSERT_EQ(used, 1);
	ASSERT_EQ(n, 0);
	ASSERT(e.pending);
	ASSERT_EQ(cli_esc_feed(&e, (const uint8_t *)"x", 1, &used, out, &n),
	    CLI_ESC_FORWARD);
	ASSERT_EQ(n, 2);		/* len + 1 */
	ASSERT_MEMEQ(out, "~x", 2);
	ASSERT_EQ(cli_esc_feed(&e, (const uint8_t *)"", 0, &used, out, &n),
	    CLI_ESC_FORWARD);
	ASSERT_EQ(used, 0);
	ASSERT_EQ(n, 0);
}

/* -e/--escape values, and the help text. */
static void
test_esc_parse_help(void)
{
	char buf[512], *cause;
	int ch;

	ASSERT_OK(cli_esc_parse("~", &ch, NULL));
	ASSERT_EQ(ch, '~');
	ASSERT_OK(cli_esc_parse("^]", &ch, NULL));
	ASSERT_EQ(ch, 0x1d);
	ASSERT_OK(cli_esc_parse("^a", &ch, NULL));
	ASSERT_EQ(ch, 1);
	ASSERT_OK(cli_esc_parse("none", &ch, NULL));
	ASSERT_EQ(ch, CLI_ESC_NONE);
	ASSERT_OK(cli_esc_parse("^", &ch, NULL));
	ASSERT_EQ(ch, '^');
	ASSERT_EQ(cli_esc_parse("", &ch, &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "bad escape character");
	free(cause);
	ASSERT_EQ(cli_esc_parse("ab", &ch, &cause), -EINVAL);
	free(cause);
	ASSERT_EQ(cli_esc_parse("^ab", &ch, NULL), -EINVAL);
	ASSERT_OK(cli_esc_parse("^?", &ch, NULL));
	ASSERT_EQ(ch, 127);
	ASSERT_OK(cli_esc_parse("^@", &ch, NULL));
	ASSERT_EQ(ch, 0);
	/* Not a control character's name: refused, not masked to one. */
	ASSERT_EQ(cli_esc_parse("^1", &ch, NULL), -EINVAL);
	ASSERT_EQ(cli_esc_parse("^~", &ch, NULL), -EINVAL);

	ASSERT_STREQ(cli_esc_help('~', buf, sizeof buf),
	    "Supported escape sequences:\r\n"
	    " ~.   - detach (the session keeps running)\r\n"
	    " ~?   - this message\r\n"
	    " ~~   - send the escape character by typing it twice\r\n"
	    "(Note that escapes are only recognized immediately after "
	    "newline.)\r\n");
	ASSERT_CONTAINS(cli_esc_help(0x1d, buf, sizeof buf), " ^]. ");
	ASSERT_CONTAINS(cli_esc_help(127, buf, sizeof buf), " ^?. ");
	ASSERT_STREQ(cli_esc_help(CLI_ESC_NONE, buf, sizeof buf),
	    "Escape sequences are disabled.\r\n");
	ASSERT_STREQ(cli_esc_help('~', buf, 10), "Supported");
}

/* Compares two terminal settings field by field. */
static int
termios_same(const struct termios *a, const struct termios *b)
{
	return (a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag &&
	    a->c_cflag == b->c_cflag && a->c_lflag == b->c_lflag &&
	    memcmp(a->c_cc, b->c_cc, sizeof(a->c_cc)) == 0 &&
	    cfgetispeed(a) == cfgetispeed(b) &&
	    cfgetospeed(a) == cfgetospeed(b));
}

/* Checks the raw flags on a terminal. */
static void
assert_raw(int fd)
{
	struct termios t;

	ASSERT_OK(tcgetattr(fd, &t));
	ASSERT_EQ(t.c_lflag & (ICANON | ECHO | ISIG | IEXTEN | ECHONL), 0);
	ASSERT_EQ(t.c_iflag & (ICRNL | IXON | ISTRIP | INLCR | IGNCR), 0);
	ASSERT_EQ(t.c_oflag & OPOST, 0);
	ASSERT_EQ(t.c_cflag & CSIZE, CS8);
	ASSERT_EQ(t.c_cflag & PARENB, 0);
	ASSERT_EQ(t.c_cc[VMIN], 1);
	ASSERT_EQ(t.c_cc[VTIME], 0);
}

/* Raw mode on a PTY, then restored exactly; signal hooks come and go. */
static void
test_tty_raw_restore(void)
{
	struct termios before, after;
	struct sigaction sa;
	int m, s, p[2];

	ASSERT_OK(openpty(&m, &s, NULL, NULL, NULL));
	ASSERT_OK(tcgetattr(s, &before));
	ASSERT(before.c_lflag & ICANON);	/* a fresh PTY is cooked */
	ASSERT(!cli_tty_is_raw());
	ASSERT_OK(cli_tty_raw(s));
	ASSERT(cli_tty_is_raw());
	assert_raw(s);
	ASSERT_EQ(cli_tty_raw(s), -EBUSY);
	ASSERT_OK(sigaction(SIGTERM, NULL, &sa));
	ASSERT(sa.sa_handler != SIG_DFL);
	ASSERT_OK(cli_tty_restore());
	ASSERT(!cli_tty_is_raw());
	ASSERT_OK(tcgetattr(s, &after));
	ASSERT(termios_same(&before, &after));
	ASSERT_OK(sigaction(SIGTERM, NULL, &sa));
	ASSERT(sa.sa_handler == SIG_DFL);
	ASSERT_OK(cli_tty_restore());		/* nothing to do */

	/* A signal the program handles itself is left alone. */
	ASSERT(signal(SIGHUP, SIG_IGN) != SIG_ERR);
	ASSERT_OK(cli_tty_raw(s));
	ASSERT_OK(sigaction(SIGHUP, NULL, &sa));
	ASSERT(sa.sa_handler == SIG_IGN);
	ASSERT_OK(cli_tty_restore());
	ASSERT_OK(sigaction(SIGHUP, NULL, &sa));
	ASSERT(sa.sa_handler == SIG_IGN);
	ASSERT(signal(SIGHUP, SIG_DFL) != SIG_ERR);

	/* Not a terminal. */
	ASSERT_OK(pipe(p));
	ASSERT_EQ(cli_tty_raw(p[0]), -ENOTTY);
	ASSERT(!cli_tty_is_raw());
	ASSERT_OK(close(p[0]));
	ASSERT_OK(close(p[1]));
	ASSERT_OK(close(m));
	ASSERT_OK(close(s));
}

/* The window size as the PTY's master set it. */
static void
test_tty_winsize(void)
{
	struct winsize ws = { .ws_row = 40, .ws_col = 132 };
	unsigned rows = 0, cols = 0;
	int m, s, p[2];

	ASSERT_OK(openpty(&m, &s, NULL, NULL, &ws));
	ASSERT_OK(cli_tty_winsize(s, &rows, &cols));
	ASSERT_EQ(rows, 40);
	ASSERT_EQ(cols, 132);
	ws.ws_row = 25;
	ws.ws_col = 80;
	ASSERT_OK(ioctl(m, TIOCSWINSZ, &ws));
	ASSERT_OK(cli_tty_winsize(s, &rows, &cols));
	ASSERT_EQ(rows, 25);
	ASSERT_EQ(cols, 80);
	ASSERT_OK(pipe(p));
	ASSERT_EQ(cli_tty_winsize(p[0], &rows, &cols), -ENOTTY);
	ASSERT_OK(close(p[0]));
	ASSERT_OK(close(p[1]));
	ASSERT_OK(close(m));
	ASSERT_OK(close(s));
}

/* How the child of run_child ends. */
enum child_end {
	END_SIGNAL,	/* killed by the parent with a signal */
	END_EXIT,	/* returns from main without restoring */
	END_STOP,	/* stopped, continued, then killed with sig */
};

/* Waits (up to 5 s) until the terminal on fd is raw; 0 or -1. */
static int
wait_raw(int fd)
{
	struct timespec ms = { 0, 1000000 };
	struct termios t;
	int i;

	for (i = 0; i < 5000; i++) {
		if (tcgetattr(fd, &t) == 0 && !(t.c_lflag & ICANON))
			return (0);
		(void)nanosleep(&ms, NULL);
	}
	return (-1);
}

/*
 * Forks a child that puts the PTY's slave in raw mode and then ends as
 * told; checks the terminal is raw while it runs and restored after.
 */
static void
run_child(int sig, enum child_end how)
{
	struct termios before, after;
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
	    SIGTSTP, SIGCONT };
	struct rlimit no_core = { 0, 0 };
	sigset_t none;
	int m, s, ready[2], go[2], status;
	char c;
	pid_t pid;

	ASSERT_OK(openpty(&m, &s, NULL, NULL, NULL));
	ASSERT_OK(tcgetattr(s, &before));
	ASSERT_OK(pipe(ready));
	ASSERT_OK(pipe(go));
	(void)fflush(stdout);
	(void)fflush(stderr);
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		(void)setrlimit(RLIMIT_CORE, &no_core);
		/*
		 * The hooks take only signals left at their default, and a
		 * test started from a background job of a shell inherits
		 * SIGINT and SIGQUIT ignored (nohup: SIGHUP): start from the
		 * defaults, nothing blocked.
		 */
		for (c = 0; c < (char)(sizeof(sigs) / sizeof(sigs[0])); c++)
			(void)signal(sigs[(int)c], SIG_DFL);
		(void)sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		/*
		 * A job of its own, as a shell makes one: a group whose
		 * parent is outside it is not orphaned, so SIGTSTP stops it
		 * (meson runs tests as session leaders).
		 */
		(void)setpgid(0, 0);
		(void)close(ready[0]);
		(void)close(go[1]);
		if (cli_tty_raw(s) != 0)
			_exit(90);
		if (write(ready[1], "R", 1) != 1)
			_exit(91);
		/* Wait for the parent's look, then end as told. */
		while (read(go[0], &c, 1) != 1) {
			if (errno != EINTR)
				_exit(92);
		}
		if (how == END_EXIT)
			exit(0);	/* atexit restores */
		for (;;)
			pause();
	}
	ASSERT_OK(close(ready[1]));
	ASSERT_OK(close(go[0]));
	ASSERT_EQ(read(ready[0], &c, 1), 1);
	assert_raw(s);		/* the child's raw mode, seen from here */
	if (how == END_STOP) {
		/* Stopped: cooked for the shell; continued: raw again. */
		ASSERT_OK(kill(pid, SIGTSTP));
		ASSERT_EQ(waitpid(pid, &status, WUNTRACED), pid);
		ASSERT(WIFSTOPPED(status));
		ASSERT_EQ(WSTOPSIG(status), SIGTSTP);
		ASSERT_OK(tcgetattr(s, &after));
		if (!termios_same(&before, &after))
			FAIL("terminal not restored while stopped");
		ASSERT_OK(kill(pid, SIGCONT));
		if (wait_raw(s) != 0)
			FAIL("terminal not raw again after SIGCONT");
		assert_raw(s);
		how = END_SIGNAL;	/* and then it dies of sig */
	}
	if (how == END_SIGNAL) {
		ASSERT_EQ(write(go[1], "G", 1), 1);
		/* The child waits in pause() once it read "G". */
		ASSERT_OK(kill(pid, sig));
	} else
		ASSERT_EQ(write(go[1], "G", 1), 1);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	if (how == END_SIGNAL) {
		if (!WIFSIGNALED(status) || WTERMSIG(status) != sig)
			FAIL("child status %#x, want death by signal %d",
			    status, sig);
	} else {
		ASSERT(WIFEXITED(status));
		ASSERT_EQ(WEXITSTATUS(status), 0);
	}
	ASSERT_OK(tcgetattr(s, &after));
	if (!termios_same(&before, &after))
		FAIL("terminal not restored after %s %d",
		    how == END_SIGNAL ? "signal" : "exit", sig);
	ASSERT_OK(close(ready[0]));
	ASSERT_OK(close(go[1]));
	ASSERT_OK(close(m));
	ASSERT_OK(close(s));
}

/* SIGTERM: restored, and the child still dies of SIGTERM. */
static void
test_tty_sigterm(void)
{
	run_child(SIGTERM, END_SIGNAL);
}

/* SIGINT, SIGHUP and SIGQUIT take the same path. */
static void
test_tty_other_signals(void)
{
	run_child(SIGINT, END_SIGNAL);
	run_child(SIGHUP, END_SIGNAL);
	run_child(SIGQUIT, END_SIGNAL);
}

/* SIGTSTP restores while stopped; SIGCONT makes it raw again. */
static void
test_tty_stop_cont(void)
{
	run_child(SIGTERM, END_STOP);
}

/* exit() without cli_tty_restore: the atexit hook restores. */
static void
test_tty_atexit(void)
{
	run_child(0, END_EXIT);
}

TEST_MAIN(
	T(test_esc_table),
	T(test_esc_random_splits),
	T(test_esc_held),
	T(test_esc_parse_help),
	T(test_tty_raw_restore),
	T(test_tty_winsize),
	T(test_tty_sigterm),
	T(test_tty_other_signals),
	T(test_tty_stop_cont),
	T(test_tty_atexit))
