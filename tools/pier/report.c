/*
 * How a command speaks to the operator when something is wrong: "pier
 * NAME: message" on stderr with exit code 1, or 2 for a usage error, and
 * the usage line itself; and the write that waits on a full pipe.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"

/* Prints "usage: pier NAME USAGE" to stderr; returns CLI_EXIT_USAGE. */
int
cli_usage(const struct cli_cmd *cmd)
{
	fprintf(stderr, "usage: pier %s%s%s\n", cmd->name,
	    cmd->usage[0] != '\0' ? " " : "", cmd->usage);
	fprintf(stderr, "Run 'pier %s --help' for the options.\n", cmd->name);
	return (CLI_EXIT_USAGE);
}

/* Writes all of buf to fd, waiting while it would block. */
void
cli_write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	struct pollfd	 pfd;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			(void)poll(&pfd, 1, -1);
			continue;
		}
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/* Writes every piece of iov to fd (blocking), as cli_write_all. */
void
cli_writev_all(int fd, struct iovec *iov, int n)
{
	struct pollfd	 pfd;
	ssize_t		 w;
	size_t		 k;

	while (n > 0) {
		w = writev(fd, iov, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			(void)poll(&pfd, 1, -1);
			continue;
		}
		if (w <= 0)
			return;
		for (k = (size_t)w; n > 0 && k >= iov->iov_len; iov++, n--)
			k -= iov->iov_len;
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + k;
			iov->iov_len -= k;
		}
	}
}

/* Prints "pier NAME: " and the message, one line on stderr. */
static void __attribute__((format(printf, 2, 0)))
complain(const struct cli_cmd *cmd, const char *fmt, va_list ap)
{
	fprintf(stderr, "pier %s: ", cmd->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* Prints "pier NAME: message" to stderr; returns CLI_EXIT_FAIL. */
int
cli_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	complain(cmd, fmt, ap);
	va_end(ap);
	return (CLI_EXIT_FAIL);
}

/* Prints "pier NAME: message" to stderr; returns CLI_EXIT_USAGE. */
int
cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	complain(cmd, fmt, ap);
	va_end(ap);
	return (CLI_EXIT_USAGE);
}

/*
 * Prints "pier NAME: WHAT: CAUSE" (no WHAT when NULL), with dflt for a
 * failure that gave no cause; returns CLI_EXIT_FAIL.
 */
int
cli_fail(const struct cli_cmd *cmd, const char *what, const char *cause,
    const char *dflt)
{
	if (cause == NULL)
		cause = dflt;
	if (what != NULL)
		return (cli_error(cmd, "%s: %s", what, cause));
	return (cli_error(cmd, "%s", cause));
}
