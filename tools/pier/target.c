/*
 * What a command's arguments name: a node (NODE) or a container on a
 * node (NODE/CONTAINER). When exactly one node is joined its name may be
 * left out, as in `pier logs web`. Container names cannot hold '/', so
 * the first '/' always splits; a node name cannot either (cli_name_check).
 * Every mistake gets a sentence that says what to type instead.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Sets *cause to a formatted text; returns err. */
static int __attribute__((format(printf, 3, 4)))
fail(char **cause, int err, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) < 0)
		*cause = NULL;
	va_end(ap);
	return (err);
}

/* The joined nodes' names, comma-separated (caller frees). */
static char *
node_names(const struct cli_book *b)
{
	size_t	i, len = 1;
	char	*s;

	for (i = 0; i < b->n; i++)
		len += strlen(b->nodes[i].name) + 2;
	s = calloc(1, len);
	for (i = 0; s != NULL && i < b->n; i++) {
		if (i > 0)
			strcat(s, ", ");
		strcat(s, b->nodes[i].name);
	}
	return (s);
}

/* Picks a node by name, or the only one joined. */
struct cli_node *
cli_target_node(struct cli_book *b, const char *name, char **cause)
{
	struct cli_node	*n;
	char		*names;

	if (name == NULL) {
		if (b->n == 1)
			return (&b->nodes[0]);
		if (b->n == 0) {
			(void)fail(cause, -ENOENT, "no node joined yet (pier "
			    "join KEY)");
			return (NULL);
		}
		names = node_names(b);
		(void)fail(cause, -EINVAL, "which node? %zu are joined: %s",
		    b->n, names != NULL ? names : "see 'pier nodes'");
		free(names);
		return (NULL);
	}
	n = cli_book_find(b, name);
	if (n == NULL)
		(void)fail(cause, -ENOENT, "no node named %s (see 'pier "
		    "nodes')", name);
	return (n);
}

/* Parses NODE/CONTAINER (or CONTAINER with one node joined). */
int
cli_target_parse(struct cli_book *b, const char *arg, struct cli_target *t,
    char **cause)
{
	struct cli_node	*n;
	const char	*slash, *ctr;
	char		*node = NULL, *names;

	memset(t, 0, sizeof(*t));
	if (arg == NULL || arg[0] == '\0')
		return (fail(cause, -EINVAL, "empty target: expected "
		    "NODE/CONTAINER"));
	slash = strchr(arg, '/');
	if (slash == NULL) {
		if (b->n != 1) {
			if (b->n == 0)
				return (fail(cause, -ENOENT, "no node joined "
				    "yet (pier join KEY)"));
			names = node_names(b);
			(void)fail(cause, -EINVAL, "%s: which node? write "
			    "NODE/%s (joined: %s)", arg, arg, names != NULL ?
			    names : "see 'pier nodes'");
			free(names);
			return (-EINVAL);
		}
		n = &b->nodes[0];
		ctr = arg;
	} else {
		if (slash == arg)
			return (fail(cause, -EINVAL, "%s: no node name before "
			    "'/'", arg));
		node = strndup(arg, (size_t)(slash - arg));
		if (node == NULL)
			return (-ENOMEM);
		ctr = slash + 1;
		n = cli_book_find(b, node);
		if (n == NULL) {
			(void)fail(cause, -ENOENT, "no node named %s (see "
			    "'pier nodes')", node);
			free(node);
			return (-ENOENT);
		}
		free(node);
	}
	if (ctr[0] == '\0')
		return (fail(cause, -EINVAL, "%s: no container name after "
		    "'/'", arg));
	if (strchr(ctr, '/') != NULL)
		return (fail(cause, -EINVAL, "%s: a container name has no "
		    "'/'", arg));
	if (strlen(ctr) > 256)
		return (fail(cause, -EINVAL, "container name too long (at most "
		    "256 bytes)"));
	t->node = strdup(n->name);
	t->container = strdup(ctr);
	if (t->node == NULL || t->container == NULL) {
		cli_target_free(t);
		return (-ENOMEM);
	}
	return (0);
}

/* Frees what a target holds. */
void
cli_target_free(struct cli_target *t)
{
	free(t->node);
	free(t->container);
	t->node = NULL;
	t->container = NULL;
}
