/*
 * The local terminal during `pier shell`, `exec -it` and `attach`: raw
 * mode that is always undone, the window size, and the escape filter that
 * lets the user detach.
 *
 * Raw mode is set as ssh sets it (no echo, no line editing, no signals
 * from keys, no output processing, 8-bit) after saving the settings, and
 * the saved settings come back on every way out: cli_tty_restore(), exit
 * (an atexit hook), and SIGINT, SIGTERM, SIGHUP or SIGQUIT sent to the
 * process (a handler, installed only for those signals still at their
 * default action, restores with tcsetattr, puts the default action back
 * and re-raises, so the process still dies of the signal; it calls only
 * async-signal-safe functions). SIGTSTP likewise restores and stops, and
 * SIGCONT makes the terminal raw again. A handler has no argument and
 * atexit no context, so the saved settings live in file-scope state: the
 * terminal is one per process anyway, and a second cli_tty_raw is refused.
 *
 * The escape filter is ssh's: the escape character (default '~') right
 * after a newline or at the very start is held; "~." then detaches, "~?"
 * asks for help, "~~" sends one '~', and '~' followed by anything else
 * sends both. It is a state machine over chunks, so a sequence split
 * across reads behaves as if it came in one. One difference from ssh:
 * the terminal's own reports on stdin (ESC [ ... R, the cursor position
 * that busybox's shell asks for after every prompt, and the other CSI
 * replies ending in c, n, t or y) are not typing, so they do not move
 * the "after a newline" point; else "~." would never detach there.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cli-out.h"

static void tty_on_fatal(int);
static void tty_on_stop(int);
static void tty_on_cont(int);

/* A signal we watch while the terminal is raw, and our handler for it. */
struct tty_hook {
	int	  sig;
	void	(*fn)(int);
};

/*
 * The signals after which the terminal must not stay raw: those that end
 * the process, and a stop (cooked while stopped, raw again on SIGCONT, as
 * ssh does, so the shell the user returns to is usable).
 */
static const struct tty_hook tty_hooks[] = {
	{ SIGINT, tty_on_fatal }, { SIGTERM, tty_on_fatal },
	{ SIGHUP, tty_on_fatal }, { SIGQUIT, tty_on_fatal },
	{ SIGTSTP, tty_on_stop }, { SIGCONT, tty_on_cont },
};
#define TTY_NHOOKS	(sizeof(tty_hooks) / sizeof(tty_hooks[0]))

/* The raw terminal's fd, or -1; read by the signal handlers. */
static volatile sig_atomic_t tty_fd = -1;
/* Its settings before raw mode, and in raw mode. */
static struct termios tty_saved;
static struct termios tty_raw;
/* The actions our handlers replaced, and which ones they did. */
static struct sigaction tty_old[TTY_NHOOKS];
static volatile sig_atomic_t tty_hooked[TTY_NHOOKS];
/* Whether the atexit hook is registered. */
static int tty_atexit_set;

/* Sets the action of hook i to our handler or to the default. */
static void
tty_set_action(size_t i, int ours)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ours ? tty_hooks[i].fn : SIG_DFL;
	sa.sa_flags = SA_RESTART;
	(void)sigfillset(&sa.sa_mask);
	(void)sigaction(tty_hooks[i].sig, &sa, NULL);
}

/* Restores the terminal, then dies of the signal as if not caught. */
static void
tty_on_fatal(int sig)
{
	int saved_errno = errno, fd = (int)tty_fd;
	size_t i;

	if (fd >= 0)
		(void)tcsetattr(fd, TCSANOW, &tty_saved);
	tty_fd = -1;
	for (i = 0; i < TTY_NHOOKS; i++) {
		if (tty_hooks[i].sig == sig && tty_hooked[i]) {
			(void)sigaction(sig, &tty_old[i], NULL);
			tty_hooked[i] = 0;
		}
	}
	/* Blocked while we run: delivered, by default, when we return. */
	(void)raise(sig);
	errno = saved_errno;
}

/* Restores the terminal, then stops as if not caught. */
static void
tty_on_stop(int sig)
{
	int saved_errno = errno, fd = (int)tty_fd;
	size_t i;

	if (fd >= 0)
		(void)tcsetattr(fd, TCSANOW, &tty_saved);
	for (i = 0; i < TTY_NHOOKS; i++) {
		if (tty_hooks[i].sig == sig)
			tty_set_action(i, 0);	/* SIGCONT hooks it again */
	}
	(void)raise(sig);
	errno = saved_errno;
}

/* Back from a stop: raw again, and ready for the next stop. */
static void
tty_on_cont(int sig)
{
	int saved_errno = errno, fd = (int)tty_fd;
	size_t i;

	(void)sig;
	if (fd >= 0)
		(void)tcsetattr(fd, TCSANOW, &tty_raw);
	for (i = 0; i < TTY_NHOOKS; i++) {
		if (tty_hooks[i].sig == SIGTSTP && tty_hooked[i])
			tty_set_action(i, 1);
	}
	errno = saved_errno;
}

/* The atexit hook. */
static void
tty_at_exit(void)
{
	(void)cli_tty_restore();
}

/* Sets a terminal's attributes, retrying when interrupted. */
static int
tty_set(int fd, int when, const struct termios *tio)
{
	while (tcsetattr(fd, when, tio) != 0) {
		if (errno != EINTR)
			return (-errno);
	}
	return (0);
}

/* Installs our handlers where the action is still the default. */
static void
tty_hook_signals(void)
{
	size_t i;

	for (i = 0; i < TTY_NHOOKS; i++) {
		if (sigaction(tty_hooks[i].sig, NULL, &tty_old[i]) != 0)
			continue;
		if ((tty_old[i].sa_flags & SA_SIGINFO) ||
		    tty_old[i].sa_handler != SIG_DFL)
			continue;	/* the program handles it itself */
		tty_hooked[i] = 1;
		tty_set_action(i, 1);
	}
}

/* Puts the old actions back where we replaced them. */
static void
tty_unhook_signals(void)
{
	struct sigaction cur;
	size_t i;

	for (i = 0; i < TTY_NHOOKS; i++) {
		if (!tty_hooked[i])
			continue;
		tty_hooked[i] = 0;
		if (sigaction(tty_hooks[i].sig, NULL, &cur) == 0 &&
		    !(cur.sa_flags & SA_SIGINFO) &&
		    (cur.sa_handler == tty_hooks[i].fn ||
		    cur.sa_handler == SIG_DFL))
			(void)sigaction(tty_hooks[i].sig, &tty_old[i], NULL);
	}
}

/* Puts a terminal in raw mode, restored on every way out. */
int
cli_tty_raw(int fd)
{
	int rc;

	if (tty_fd >= 0)
		return (-EBUSY);
	if (!isatty(fd))
		return (-ENOTTY);
	if (tcgetattr(fd, &tty_saved) != 0)
		return (-errno);
	tty_raw = tty_saved;
	tty_raw.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP |
	    INLCR | IGNCR | ICRNL | IXON | IXANY | IXOFF);
	tty_raw.c_iflag |= IGNPAR;
	tty_raw.c_oflag &= ~(tcflag_t)OPOST;
	tty_raw.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL | ICANON |
	    ISIG | IEXTEN);
	tty_raw.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	tty_raw.c_cflag |= CS8;
	tty_raw.c_cc[VMIN] = 1;
	tty_raw.c_cc[VTIME] = 0;
	if (!tty_atexit_set) {
		if (atexit(tty_at_exit) != 0)
			return (-ENOMEM);
		tty_atexit_set = 1;
	}
	/* Hooks first: from the moment it is raw, a signal restores it. */
	tty_fd = fd;
	tty_hook_signals();
	rc = tty_set(fd, TCSADRAIN, &tty_raw);
	if (rc != 0) {
		tty_unhook_signals();
		tty_fd = -1;
	}
	return (rc);
}

/* Restores the saved settings. */
int
cli_tty_restore(void)
{
	int fd = (int)tty_fd, rc;

	if (fd < 0)
		return (0);
	rc = tty_set(fd, TCSADRAIN, &tty_saved);
	tty_fd = -1;
	tty_unhook_signals();
	return (rc);
}

/* Tells whether a terminal is raw by our doing. */
int
cli_tty_is_raw(void)
{
	return (tty_fd >= 0);
}

/* A terminal's window size. */
int
cli_tty_winsize(int fd, unsigned *rows, unsigned *cols)
{
	struct winsize ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) != 0)
		return (-errno);
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return (0);
}

/* Starts an escape filter. */
void
cli_esc_init(struct cli_esc *e, int ch)
{
	e->ch = ch;
	e->at_line_start = 1;
	e->pending = 0;
	e->csi = 0;
	e->csi_line_start = 0;
}

/* Tracks CSI sequences (prev: the line start before c); a terminal's
 * report keeps the line start it came at. */
static void
esc_track_csi(struct cli_esc *e, int c, int prev)
{
	if (c == 0x1b) {
		e->csi = 1;
		e->csi_line_start = prev;
		return;
	}
	if (e->csi == 1) {
		e->csi = c == '[' ? 2 : 0;
		return;
	}
	if (e->csi == 2 && c >= 0x40 && c <= 0x7e) {
		e->csi = 0;
		if (strchr("Rcnty", c) != NULL)
			e->at_line_start = e->csi_line_start;
	} else if (e->csi == 2 && (c < 0x20 || c > 0x3f))
		e->csi = 0;	/* not a CSI after all */
}

/* Parses -e/--escape. */
int
cli_esc_parse(const char *arg, int *ch, char **cause)
{
	if (strcmp(arg, "none") == 0)
		*ch = CLI_ESC_NONE;
	else if (strlen(arg) == 1)
		*ch = (unsigned char)arg[0];
	else if (strlen(arg) == 2 && arg[0] == '^' && arg[1] == '?')
		*ch = 127;	/* DEL */
	else if (strlen(arg) == 2 && arg[0] == '^' &&
	    ((arg[1] >= '@' && arg[1] <= '_') ||
	    (arg[1] >= 'a' && arg[1] <= 'z')))
		*ch = (unsigned char)arg[1] & 31;
	else
		return (cli__error(cause, -EINVAL, "bad escape character "
		    "\"%s\": give one character, ^X or none", arg));
	return (0);
}

/* Filters typed input. */
enum cli_esc_action
cli_esc_feed(struct cli_esc *e, const uint8_t *in, size_t len, size_t *used,
    uint8_t *out, size_t *outlen)
{
	enum cli_esc_action act = CLI_ESC_FORWARD;
	size_t i, o = 0;
	int c, prev;

	for (i = 0; i < len; i++) {
		c = in[i];
		if (e->ch == CLI_ESC_NONE) {
			out[o++] = (uint8_t)c;
			continue;
		}
		if (e->pending) {
			e->pending = 0;
			if (c == '.') {
				act = CLI_ESC_DETACH;
				i++;
				break;
			}
			if (c == '?') {
				/* Still at a line start: "~?~." detaches. */
				act = CLI_ESC_HELP;
				i++;
				break;
			}
			if (c != e->ch)
				out[o++] = (uint8_t)e->ch;
		} else if (e->at_line_start && c == e->ch) {
			e->pending = 1;
			continue;
		}
		prev = e->at_line_start;
		e->at_line_start = c == '\r' || c == '\n';
		if (e->ch != 0x1b)
			esc_track_csi(e, c, prev);
		out[o++] = (uint8_t)c;
	}
	*used = i;
	*outlen = o;
	return (act);
}

/* Writes the escapes' help for a raw terminal. */
char *
cli_esc_help(int ch, char *buf, size_t len)
{
	char e[3];

	if (len == 0)
		return (buf);
	if (ch == CLI_ESC_NONE) {
		(void)snprintf(buf, len, "Escape sequences are disabled.\r\n");
		return (buf);
	}
	if (ch < 32 || ch == 127) {
		e[0] = '^';
		e[1] = ch == 127 ? '?' : (char)(ch + '@');
		e[2] = '\0';
	} else {
		e[0] = (char)ch;
		e[1] = '\0';
	}
	(void)snprintf(buf, len,
	    "Supported escape sequences:\r\n"
	    " %s.   - detach (the session keeps running)\r\n"
	    " %s?   - this message\r\n"
	    " %s%s   - send the escape character by typing it twice\r\n"
	    "(Note that escapes are only recognized immediately after "
	    "newline.)\r\n", e, e, e, e);
	return (buf);
}

/* Parses a command's --escape option, saying what is wrong on stderr. */
int
cli_esc_option(const char *cmd, const char *arg, int *ch)
{
	char	*cause = NULL;

	if (cli_esc_parse(arg, ch, &cause) == 0)
		return (0);
	fprintf(stderr, "pier %s: --escape: %s\n", cmd, cause != NULL ?
	    cause : "bad escape character");
	free(cause);
	return (-EINVAL);
}
