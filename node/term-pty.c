/*
 * A local process under a PTY, on the node's libuv loop: the Docker CLI
 * terminal runs the host's docker CLI this way. The master side is read
 * and written without blocking through one uv_poll handle; input waits in
 * a bounded queue; output goes to a read callback, which may pause
 * reading to push back on a slow consumer (the process then blocks on a
 * full PTY buffer and nothing grows here).
 *
 * Why not uv_spawn: it cannot give the child a controlling terminal.
 * openpty + fork + execve is what forkpty does, with two changes: the
 * program is looked up in PATH before fork (only async-signal-safe calls
 * in the child), and an exec failure comes back through a close-on-exec
 * pipe, as uv_spawn does, so term_pty_spawn returns it.
 *
 * Exit status: a uv_signal_t on SIGCHLD per process, and waitpid(pid,
 * WNOHANG) for that pid only, never -1, so libuv's own process handles
 * (and other sessions) keep theirs. The exit callback runs once the
 * process is reaped and its output is drained (EOF/EIO on the master),
 * or TERM_PTY_DRAIN_MS after reaping if a grandchild keeps the PTY open.
 *
 * Closing hangs up (closes the master), sends SIGHUP, and SIGKILL after
 * TERM_PTY_KILL_MS if the process is still there; the struct is freed
 * when the process is reaped and every handle's close callback has run.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "term.h"

#define PATH_DEFAULT	"/usr/local/bin:/usr/bin:/bin"
#define READS_PER_WAKE	16	/* reads before yielding to the loop */

/* The state of one PTY process. */
struct term_pty {
	uv_loop_t		*loop;
	uv_poll_t		 poll;	/* master fd */
	uv_signal_t		 sigchld;
	uv_timer_t		 timer;	/* drain, then kill wait */
	int			 fd;	/* master, -1 once closed */
	int			 pid;

	term_pty_read_cb	 read_cb;
	term_pty_exit_cb	 exit_cb;
	void			*arg;
	term_pty_close_cb	 close_cb;
	void			*close_arg;

	char			*rbuf;
	char			*wq;	/* input: wq[woff..wlen) */
	size_t			 woff;
	size_t			 wlen;
	size_t			 wmax;

	int64_t			 status;
	int			 term_signal;
	unsigned		 paused:1;
	unsigned		 eof:1;		/* master read EOF/EIO */
	unsigned		 reaped:1;
	unsigned		 exit_told:1;
	unsigned		 closing:1;
	unsigned		 write_dead:1;
	int			 handles;	/* open uv handles */
};

static void pty_update(struct term_pty *);

/* Returns an errno-style code from the last system error. */
static int
syserr(void)
{
	return (errno != 0 ? -errno : -EIO);
}

/* Finds NAME's value in an environment vector. */
static const char *
env_get(const char *const *env, const char *name)
{
	size_t n = strlen(name);

	if (env == NULL)
		return (getenv(name));
	for (; *env != NULL; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return (*env + n + 1);
	return (NULL);
}

/* Resolves argv[0] through PATH into buf; -ENOENT if nowhere. */
static int
resolve(const char *prog, const char *const *env, char *buf, size_t size)
{
	const char *path, *p, *end;
	size_t dlen;
	int n, err = -ENOENT;

	if (strchr(prog, '/') != NULL) {
		n = snprintf(buf, size, "%s", prog);
		return (n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0);
	}
	path = env_get(env, "PATH");
	if (path == NULL || *path == '\0')
		path = PATH_DEFAULT;
	for (p = path; ; p = end + 1) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		dlen = (size_t)(end - p);
		n = snprintf(buf, size, "%.*s%s%s", (int)dlen, p,
		    dlen > 0 ? "/" : "", prog);
		if (n >= 0 && (size_t)n < size) {
			if (access(buf, X_OK) == 0)
				return (0);
			if (errno == EACCES)
				err = -EACCES;
		}
		if (*end == '\0')
			break;
	}
	return (err);
}

/* The child, between fork and exec: only async-signal-safe calls. */
static void __attribute__((noreturn))
child(int slave, int errfd, const char *path, const struct term_pty_opts *o,
    char *const *envp)
{
	struct sigaction sa;
	sigset_t set;
	int sig, err;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	(void)sigprocmask(SIG_SETMASK, &set, NULL);
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		goto fail;
	if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
		goto fail;
	if (slave > 2)
		close(slave);
	if (o->cwd != NULL && chdir(o->cwd) < 0)
		goto fail;
	execve(path, (char *const *)o->argv, envp);
fail:
	err = errno;
	while (write(errfd, &err, sizeof(err)) < 0 && errno == EINTR)
		;
	_exit(127);
}

/* Sets close-on-exec (and optionally non-blocking) on fd. */
static int
fd_flags(int fd, int nonblock)
{
	int fl;

	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return (syserr());
	if (!nonblock)
		return (0);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return (syserr());
	return (0);
}

/* Formats a cause string (caller frees). */
static void __attribute__((format(printf, 2, 3)))
set_cause(char **cause, const char *fmt, ...)
{
	va_list ap;

	if (cause == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) < 0)
		*cause = NULL;
	va_end(ap);
}

/* Frees the struct once the last handle has closed. */
static void
pty_handle_closed(struct term_pty *p)
{
	if (--p->handles > 0)
		return;
	if (p->close_cb != NULL)
		p->close_cb(p, p->close_arg);
	free(p->rbuf);
	free(p->wq);
	free(p);
}

/* The poll handle is closed. */
static void
on_poll_closed(uv_handle_t *h)
{
	pty_handle_closed(container_of((uv_poll_t *)h, struct term_pty,
	    poll));
}

/* The SIGCHLD handle is closed. */
static void
on_signal_closed(uv_handle_t *h)
{
	pty_handle_closed(container_of((uv_signal_t *)h, struct term_pty,
	    sigchld));
}

/* The timer is closed. */
static void
on_timer_closed(uv_handle_t *h)
{
	pty_handle_closed(container_of((uv_timer_t *)h, struct term_pty,
	    timer));
}

/* Closes the handles once the process is reaped (after term_pty_close). */
static void
pty_finish(struct term_pty *p)
{
	if (!p->closing || !p->reaped)
		return;
	if (!uv_is_closing((uv_handle_t *)&p->sigchld))
		uv_close((uv_handle_t *)&p->sigchld, on_signal_closed);
	if (!uv_is_closing((uv_handle_t *)&p->timer))
		uv_close((uv_handle_t *)&p->timer, on_timer_closed);
}

/* Tells the owner the process is gone, once. */
static void
pty_tell_exit(struct term_pty *p)
{
	if (p->exit_told || p->closing)
		return;
	p->exit_told = 1;
	uv_timer_stop(&p->timer);
	if (p->exit_cb != NULL)
		p->exit_cb(p, p->status, p->term_signal, p->arg);
}

/* Drain wait over: a grandchild holds the PTY; report the exit anyway,
 * unless reading is paused (then the output is simply not read yet). */
static void
on_drain_timer(uv_timer_t *t)
{
	struct term_pty *p = container_of(t, struct term_pty, timer);

	if (p->closing) {
		/* The kill wait: the process outlived the hangup. */
		if (!p->reaped) {
			(void)kill(-p->pid, SIGKILL);
			(void)kill(p->pid, SIGKILL);
		}
		return;
	}
	if (!p->paused)
		pty_tell_exit(p);
}

/* SIGCHLD: reap our pid if it is done. */
static void
on_sigchld(uv_signal_t *h, int signum)
{
	struct term_pty *p = container_of(h, struct term_pty, sigchld);
	int st;
	pid_t r;

	if (p->reaped)
		return;
	do
		r = waitpid(p->pid, &st, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return;
	p->reaped = 1;
	uv_signal_stop(&p->sigchld);
	if (r > 0 && WIFEXITED(st))
		p->status = WEXITSTATUS(st);
	else if (r > 0 && WIFSIGNALED(st))
		p->term_signal = WTERMSIG(st);
	if (p->closing) {
		pty_finish(p);
		return;
	}
	if (p->eof)
		pty_tell_exit(p);
	else
		uv_timer_start(&p->timer, on_drain_timer, TERM_PTY_DRAIN_MS,
		    0);
}

/* Reads what the master has, a bounded number of times. */
static void
pty_read(struct term_pty *p)
{
	ssize_t n;
	int i;

	for (i = 0; i < READS_PER_WAKE; i++) {
		if (p->paused || p->eof || p->closing)
			return;
		n = read(p->fd, p->rbuf, TERM_PTY_READ_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			/* EIO: every slave fd is closed. */
			p->eof = 1;
			p->read_cb(p, NULL, UV_EOF, p->arg);
			if (p->reaped && !p->closing)
				pty_tell_exit(p);
			return;
		}
		p->read_cb(p, p->rbuf, n, p->arg);
	}
}

/* Writes queued input until the master would block. */
static void
pty_flush(struct term_pty *p)
{
	ssize_t n;

	while (p->woff < p->wlen && !p->write_dead) {
		n = write(p->fd, p->wq + p->woff, p->wlen - p->woff);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			p->write_dead = 1;
			break;
		}
		p->woff += (size_t)n;
	}
	if (p->woff == p->wlen || p->write_dead)
		p->woff = p->wlen = 0;
}

/* The master is readable or writable. */
static void
on_poll(uv_poll_t *h, int status, int events)
{
	struct term_pty *p = container_of(h, struct term_pty, poll);

	if (status < 0) {
		if (!p->eof) {
			p->eof = 1;
			p->read_cb(p, NULL, status, p->arg);
		}
		p->write_dead = 1;
		p->woff = p->wlen = 0;
		if (!p->closing && p->reaped)
			pty_tell_exit(p);
		if (!p->closing)
			pty_update(p);
		return;
	}
	if ((events & UV_WRITABLE) != 0)
		pty_flush(p);
	if ((events & UV_READABLE) != 0)
		pty_read(p);
	if (!p->closing)
		pty_update(p);
}

/* Watches the master for what is wanted now. */
static void
pty_update(struct term_pty *p)
{
	int ev = 0;

	if (!p->paused && !p->eof)
		ev |= UV_READABLE;
	if (p->wlen > p->woff && !p->write_dead)
		ev |= UV_WRITABLE;
	if (ev == 0)
		uv_poll_stop(&p->poll);
	else
		(void)uv_poll_start(&p->poll, ev, on_poll);
}

/* Checks the options and finds the program in PATH (into path). */
static int
spawn_check(const struct term_pty_opts *o, char *path, size_t size,
    char **cause)
{
	int err;

	if (o->argv == NULL || o->argv[0] == NULL || o->read_cb == NULL ||
	    o->rows < 1 || o->cols < 1 || o->rows > TERM_MAX_ROWS ||
	    o->cols > TERM_MAX_COLS) {
		set_cause(cause, "bad terminal process options");
		return (-EINVAL);
	}
	err = resolve(o->argv[0], o->env, path, size);
	if (err != 0)
		set_cause(cause, "%s: %s", o->argv[0], strerror(-err));
	return (err);
}

/* A process record with its read buffer and no handle yet, or NULL. */
static struct term_pty *
pty_new(uv_loop_t *loop, const struct term_pty_opts *o)
{
	struct term_pty *p;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return (NULL);
	p->loop = loop;
	p->fd = -1;
	p->read_cb = o->read_cb;
	p->exit_cb = o->exit_cb;
	p->arg = o->arg;
	p->wmax = o->write_max > 0 ? o->write_max : TERM_PTY_WRITE_MAX;
	p->rbuf = malloc(TERM_PTY_READ_SIZE);
	if (p->rbuf == NULL) {
		free(p);
		return (NULL);
	}
	return (p);
}

/* Opens the PTY pair at the first window size, the master non-blocking. */
static int
pty_open(const struct term_pty_opts *o, int *master, int *slave,
    char **cause)
{
	struct winsize ws;
	int err;

	memset(&ws, 0, sizeof(ws));
	ws.ws_row = (unsigned short)o->rows;
	ws.ws_col = (unsigned short)o->cols;
	if (openpty(master, slave, NULL, NULL, &ws) < 0) {
		err = syserr();
		set_cause(cause, "openpty: %s", strerror(-err));
		return (err);
	}
	if ((err = fd_flags(*master, 1)) != 0 ||
	    (err = fd_flags(*slave, 0)) != 0)
		return (err);
	return (0);
}

/* Watches SIGCHLD (before the child can exist) and readies the timer. */
static int
pty_watch(uv_loop_t *loop, struct term_pty *p)
{
	int err;

	err = uv_signal_init(loop, &p->sigchld);
	if (err != 0)
		return (err);
	p->handles++;
	err = uv_timer_init(loop, &p->timer);
	if (err != 0)
		return (err);
	p->handles++;
	return (uv_signal_start(&p->sigchld, on_sigchld, SIGCHLD));
}

/* Reaps a child that is not to run (it is exiting, or was killed). */
static void
reap_now(struct term_pty *p)
{
	int st;

	while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
		;
	p->reaped = 1;
}

/*
 * Blocks only until the child has exec'd (its close-on-exec pipe fd
 * closes) or failed to (it writes its errno there): 1 with *err set and
 * the child reaped when it failed, else 0.
 */
static int
exec_wait(struct term_pty *p, int fd, const char *path, int *err,
    char **cause)
{
	ssize_t n;
	int cerr;

	do
		n = read(fd, &cerr, sizeof(cerr));
	while (n < 0 && errno == EINTR);
	if (n != sizeof(cerr))
		return (0);
	*err = -cerr;
	set_cause(cause, "%s: %s", path, strerror(cerr));
	reap_now(p);
	return (1);
}

/* Undoes a spawn that failed half way; the caller gets no callback. */
static void
spawn_undo(struct term_pty *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->closing = 1;
	if (p->handles == 0) {
		free(p->rbuf);
		free(p);
		return;
	}
	p->close_cb = NULL;
	uv_close((uv_handle_t *)&p->sigchld, on_signal_closed);
	if (p->handles > 1)
		uv_close((uv_handle_t *)&p->timer, on_timer_closed);
}

/* Starts the process. */
int
term_pty_spawn(uv_loop_t *loop, const struct term_pty_opts *o,
    struct term_pty **out, char **cause)
{
	struct term_pty *p;
	char path[PATH_MAX];
	int master = -1, slave = -1, errpipe[2] = { -1, -1 };
	int err;
	pid_t pid;

	*out = NULL;
	if (cause != NULL)
		*cause = NULL;
	err = spawn_check(o, path, sizeof path, cause);
	if (err != 0)
		return (err);
	p = pty_new(loop, o);
	if (p == NULL)
		return (-ENOMEM);
	err = pty_open(o, &master, &slave, cause);
	if (err != 0)
		goto out;
	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		err = syserr();
		goto out;
	}
	err = pty_watch(loop, p);
	if (err != 0)
		goto out;
	pid = fork();
	if (pid < 0) {
		err = syserr();
		set_cause(cause, "fork: %s", strerror(-err));
		goto out;
	}
	if (pid == 0)
		child(slave, errpipe[1], path, o,
		    o->env != NULL ? (char *const *)o->env : environ);
	p->pid = pid;
	close(slave);
	slave = -1;
	close(errpipe[1]);
	errpipe[1] = -1;
	if (exec_wait(p, errpipe[0], path, &err, cause))
		goto out;
	p->fd = master;
	master = -1;
	err = uv_poll_init(loop, &p->poll, p->fd);
	if (err != 0) {
		/* Not ours to leave running. */
		(void)kill(pid, SIGKILL);
		reap_now(p);
		goto out;
	}
	p->handles++;
	pty_update(p);
	*out = p;
	p = NULL;
out:
	if (errpipe[0] >= 0)
		close(errpipe[0]);
	if (errpipe[1] >= 0)
		close(errpipe[1]);
	if (slave >= 0)
		close(slave);
	if (master >= 0)
		close(master);
	if (p != NULL)
		spawn_undo(p);
	return (err);
}

/* Queues input. */
int
term_pty_write(struct term_pty *p, const void *buf, size_t len)
{
	char *q;

	if (p->closing || p->write_dead)
		return (-EPIPE);
	if (len == 0)
		return (0);
	if (len > p->wmax - (p->wlen - p->woff))
		return (-ENOBUFS);
	if (p->wq == NULL) {
		p->wq = malloc(p->wmax);
		if (p->wq == NULL)
			return (-ENOMEM);
	}
	if (p->woff > 0) {
		memmove(p->wq, p->wq + p->woff, p->wlen - p->woff);
		p->wlen -= p->woff;
		p->woff = 0;
	}
	q = p->wq;
	memcpy(q + p->wlen, buf, len);
	p->wlen += len;
	pty_flush(p);
	if (p->wlen == 0) {
		/* Drained at once: give the queue's memory back. */
		free(p->wq);
		p->wq = NULL;
	}
	pty_update(p);
	return (0);
}

/* Returns the queued input. */
size_t
term_pty_write_queued(const struct term_pty *p)
{
	return (p->wlen - p->woff);
}

/* Sets the window size. */
int
term_pty_resize(struct term_pty *p, int rows, int cols)
{
	struct winsize ws;

	if (p->closing)
		return (-EPIPE);
	if (rows < 1 || cols < 1 || rows > TERM_MAX_ROWS ||
	    cols > TERM_MAX_COLS)
		return (-EINVAL);
	memset(&ws, 0, sizeof(ws));
	ws.ws_row = (unsigned short)rows;
	ws.ws_col = (unsigned short)cols;
	if (ioctl(p->fd, TIOCSWINSZ, &ws) < 0)
		return (syserr());
	return (0);
}

/* Stops reading. */
void
term_pty_pause(struct term_pty *p)
{
	if (p->closing || p->paused)
		return;
	p->paused = 1;
	pty_update(p);
}

/* Reads again. */
void
term_pty_resume(struct term_pty *p)
{
	if (p->closing || !p->paused)
		return;
	p->paused = 0;
	pty_update(p);
	/* A drain wait that ran out while paused ends now if it has to. */
	if (p->reaped && !p->eof && !uv_is_active((uv_handle_t *)&p->timer))
		uv_timer_start(&p->timer, on_drain_timer, TERM_PTY_DRAIN_MS,
		    0);
}

/* Signals the process and its group. */
int
term_pty_kill(struct term_pty *p, int signum)
{
	if (p->reaped)
		return (-ESRCH);
	(void)kill(-p->pid, signum);
	if (kill(p->pid, signum) < 0)
		return (syserr());
	return (0);
}

/* Returns the process id. */
int
term_pty_pid(const struct term_pty *p)
{
	return (p->pid);
}

/* Hangs up and frees everything once the process is reaped. */
void
term_pty_close(struct term_pty *p, term_pty_close_cb close_cb, void *arg)
{
	if (p->closing)
		return;
	p->closing = 1;
	p->close_cb = close_cb;
	p->close_arg = arg;
	uv_close((uv_handle_t *)&p->poll, on_poll_closed);
	/* Closing the master hangs up: the foreground group gets SIGHUP. */
	close(p->fd);
	p->fd = -1;
	if (!p->reaped) {
		(void)kill(-p->pid, SIGHUP);
		(void)kill(p->pid, SIGHUP);
		uv_timer_stop(&p->timer);
		uv_timer_start(&p->timer, on_drain_timer, TERM_PTY_KILL_MS,
		    0);
		/* It may already be gone without a new SIGCHLD. */
		on_sigchld(&p->sigchld, SIGCHLD);
	}
	pty_finish(p);
}
