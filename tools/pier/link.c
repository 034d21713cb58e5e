/*
 * One node's connection for a command that makes a few calls in a row
 * (pier rmi, volume rm, deploy, ...): open it once, call, close, with
 * every failure already printed as the command's error, and the small
 * questions some commands ask on a terminal (prune's "are you sure",
 * deploy's missing values). Also the NODE-or-not rule of commands whose
 * node may be left out: a first word that names a joined node is one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Opens the context alone (the book, to read a target in). */
int
cli_link_ctx(const struct cli_cmd *cmd, struct cli_link *l)
{
	char	*cause = NULL;

	memset(l, 0, sizeof(*l));
	if (cli_ctx_open(&l->x, &cause) != 0) {
		cli_fail(cmd, NULL, cause, "failed");
		free(cause);
		cli_ctx_close(&l->x);
		return (CLI_EXIT_FAIL);
	}
	l->ctx_open = 1;
	return (CLI_EXIT_OK);
}

/* Connects an open context to node (NULL: the only one joined). */
int
cli_link_connect(const struct cli_cmd *cmd, struct cli_link *l,
    const char *node)
{
	char	*cause = NULL;

	if (cli_rpc_open(&l->x, node, &l->r, &cause) != 0) {
		cli_fail(cmd, NULL, cause, "failed");
		free(cause);
		l->r = NULL;
		cli_link_close(l);
		return (CLI_EXIT_FAIL);
	}
	return (CLI_EXIT_OK);
}

/* Opens the context and connects to node (NULL: the only one joined). */
int
cli_link_open(const struct cli_cmd *cmd, struct cli_link *l,
    const char *node)
{
	int	rc;

	rc = cli_link_ctx(cmd, l);
	if (rc == CLI_EXIT_OK)
		rc = cli_link_connect(cmd, l, node);
	return (rc);
}

/* Calls method (params stolen); 0 with *res, else the error printed. */
int
cli_link_call(const struct cli_cmd *cmd, struct cli_link *l,
    const char *method, json_t *params, json_t **res)
{
	struct cli_rpc_error	e;
	int			rc;

	*res = NULL;
	memset(&e, 0, sizeof(e));
	if (cli_rpc_call(l->r, method, params, 0, res, &e) == 0)
		return (CLI_EXIT_OK);
	rc = cli_rpc_fail(cmd, cli_rpc_node(l->r), &e);
	cli_rpc_error_clear(&e);
	return (rc);
}

/* Closes what cli_link_open opened. */
void
cli_link_close(struct cli_link *l)
{
	if (l->r != NULL)
		cli_rpc_close(l->r);
	l->r = NULL;
	if (l->ctx_open)
		cli_ctx_close(&l->x);
	l->ctx_open = 0;
}

/* Tells whether name is a joined node's name (the book read here). */
int
cli_is_node(const char *name)
{
	struct cli_book	 b;
	char		*dir, *cause = NULL;
	int		 found = 0;

	dir = cli_config_dir();
	if (dir == NULL)
		return (0);
	if (cli_book_load(&b, dir, &cause) == 0) {
		found = cli_book_find(&b, name) != NULL;
		cli_book_free(&b);
	}
	free(cause);
	free(dir);
	return (found);
}

/*
 * Reads one line from stdin after printing prompt on stderr: 0 with
 * *line (malloc'd, newline cut), -EOF-like -ENODATA at end of input.
 */
int
cli_ask_line(const char *prompt, char **line)
{
	size_t	 cap = 0;
	ssize_t	 n;
	char	*buf = NULL;

	*line = NULL;
	fputs(prompt, stderr);
	fflush(stderr);
	n = getline(&buf, &cap, stdin);
	if (n < 0) {
		free(buf);
		fputc('\n', stderr);
		return (-ENODATA);
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	*line = buf;
	return (0);
}

/* Prints warning and asks "[y/N]" as docker does; 1 for yes. */
int
cli_confirm(const char *warning)
{
	char	*line = NULL;
	int	 yes;

	fprintf(stderr, "WARNING! %s\n", warning);
	if (cli_ask_line("Are you sure you want to continue? [y/N] ",
	    &line) != 0)
		return (0);
	yes = strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
	free(line);
	return (yes);
}
