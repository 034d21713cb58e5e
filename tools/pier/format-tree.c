/*
 * The parsed template (format-int.h) as a tree: freeing it, and walking
 * it to tell which of the row's fields it reads (docker ps asks the
 * engine for sizes only when a template shows them).
 */
#include <stdlib.h>
#include <string.h>

#include "format-int.h"

/* Frees a pipeline. */
void
fmt__pipe_free(struct fmt_pipe *pp)
{
	size_t	i, k;

	if (pp == NULL)
		return;
	for (i = 0; i < pp->n; i++) {
		for (k = 0; k < pp->cmds[i].n; k++) {
			struct fmt_arg *a = &pp->cmds[i].args[k];

			for (size_t j = 0; j < a->npath; j++)
				free(a->path[j]);
			free(a->path);
			free(a->s);
			fmt__pipe_free(a->sub);
		}
		free(pp->cmds[i].args);
	}
	free(pp->cmds);
	free(pp);
}

/* Frees a list of nodes. */
void
fmt__nodes_free(struct fmt_node *n)
{
	struct fmt_node	*next;

	for (; n != NULL; n = next) {
		next = n->next;
		free(n->text);
		fmt__pipe_free(n->pipe);
		fmt__nodes_free(n->body);
		fmt__nodes_free(n->other);
		free(n);
	}
}

/* Frees a template. */
void
cli_fmt_free(struct cli_fmt *f)
{
	if (f == NULL)
		return;
	fmt__nodes_free(f->nodes);
	fmt__pipe_free(f->elif);
	free(f->text);
	free(f);
}

/* Tells whether the template began with `table`. */
int
cli_fmt_is_table(const struct cli_fmt *f)
{
	return (f->table);
}

/* Tells whether a pipeline reads field name of the row, or the row. */
static int
pipe_uses(const struct fmt_pipe *pp, const char *name)
{
	const struct fmt_arg	*a;
	size_t			 i, k;

	for (i = 0; pp != NULL && i < pp->n; i++) {
		for (k = 0; k < pp->cmds[i].n; k++) {
			a = &pp->cmds[i].args[k];
			if ((a->kind == A_FIELD && a->root &&
			    strcmp(a->path[0], name) == 0) ||
			    a->kind == A_DOT || a->kind == A_ROOT ||
			    (a->kind == A_PIPE && pipe_uses(a->sub, name)))
				return (1);
		}
	}
	return (0);
}

/* Tells whether a list of nodes reads field name, or the row. */
static int
nodes_use(const struct fmt_node *n, const char *name)
{
	for (; n != NULL; n = n->next) {
		if (pipe_uses(n->pipe, name) || nodes_use(n->body, name) ||
		    nodes_use(n->other, name))
			return (1);
	}
	return (0);
}

/* Tells whether the template reads the row's field name (or the row). */
int
cli_fmt_uses(const struct cli_fmt *f, const char *name)
{
	/* docker runs `json` as text to see what it reads: nothing. */
	return (!f->json_word && nodes_use(f->nodes, name));
}
