/*
 * Finding templates: a search over the words people look for (title,
 * name, description, categories) for `pier templates`, and the lookup of
 * the one template `pier deploy NODE TEMPLATE` names, by id, title or
 * name, exact first and then a unique prefix, in the manner of tmux's
 * cmd_find: an ambiguous name says which templates it could be.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "templates.h"

/* Names a template type for tables and messages. */
const char *
cli_tpl_type_name(enum cli_tpl_type type)
{
	switch (type) {
	case CLI_TPL_CONTAINER:
		return ("container");
	case CLI_TPL_SWARM:
		return ("swarm stack");
	case CLI_TPL_COMPOSE:
		return ("compose stack");
	case CLI_TPL_EDGE:
		return ("edge stack");
	}
	return ("unknown");
}

/* Tells whether a string holds another, ignoring ASCII case. */
static int
has_word(const char *s, const char *q)
{
	return (s != NULL && strcasestr(s, q) != NULL);
}

/* Matches a search over title, name, description and categories. */
int
cli_tpl_matches(const struct cli_tpl *t, const char *query)
{
	size_t i;

	if (t->error != NULL)
		return (0);
	if (query == NULL || *query == '\0')
		return (1);
	if (has_word(t->title, query) || has_word(t->name, query) ||
	    has_word(t->description, query))
		return (1);
	for (i = 0; i < t->ncategories; i++)
		if (has_word(t->categories[i], query))
			return (1);
	return (0);
}

/* Collects the templates a search matches, in file order. */
size_t
cli_tpl_search(const struct cli_tpl_file *f, const char *query,
    const struct cli_tpl **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < f->ntemplates; i++) {
		if (!cli_tpl_matches(&f->templates[i], query))
			continue;
		if (n < max)
			out[n] = &f->templates[i];
		n++;
	}
	return (n);
}

/* Tells whether a name is a title or name of t, whole or as a prefix. */
static int
names_match(const struct cli_tpl *t, const char *q, int prefix)
{
	size_t n = strlen(q);

	if (t->title == NULL)
		return (0);	/* a bad template with no title */
	if (prefix)
		return (strncasecmp(t->title, q, n) == 0 ||
		    (t->name != NULL && strncasecmp(t->name, q, n) == 0));
	return (strcasecmp(t->title, q) == 0 ||
	    (t->name != NULL && strcasecmp(t->name, q) == 0));
}

/* Says which templates an ambiguous query could mean. */
static int
ambiguous(const struct cli_tpl_file *f, const char *q, int prefix,
    char **cause)
{
	const struct cli_tpl *t;
	char *s = NULL;
	size_t i, len = 0, shown = 0;
	FILE *m;

	if (cause == NULL)
		return (-ENOTUNIQ);
	m = open_memstream(&s, &len);
	if (m == NULL)
		return (cli_tpl__error(cause, -ENOMEM, "out of memory"));
	fprintf(m, "template \"%s\" is ambiguous, it could be:", q);
	for (i = 0; i < f->ntemplates; i++) {
		t = &f->templates[i];
		if (!names_match(t, q, prefix))
			continue;
		if (shown++ == 10) {
			fprintf(m, " ...");
			break;
		}
		fprintf(m, "%s %lld \"%s\" (%s)", shown > 1 ? "," : "",
		    t->id, t->title, cli_tpl_type_name(t->type));
	}
	fprintf(m, "; name it by id");
	if (fclose(m) != 0) {
		free(s);
		return (cli_tpl__error(cause, -ENOMEM, "out of memory"));
	}
	*cause = s;
	return (-ENOTUNIQ);
}

/* Finds the one template a query names, or says why there is none. */
int
cli_tpl_find(const struct cli_tpl_file *f, const char *query,
    const struct cli_tpl **out, char **cause)
{
	const struct cli_tpl *hit;
	const char *p;
	size_t i, n;
	long long id;
	int prefix;

	*out = NULL;
	if (query == NULL || *query == '\0')
		return (cli_tpl__error(cause, -EINVAL, "no template named"));
	for (p = query; isdigit((unsigned char)*p); p++)
		;
	/* A number is an id first: a good template's before a bad one's. */
	if (*p == '\0' && p - query <= 18) {
		id = strtoll(query, NULL, 10);
		for (i = 0; i < f->ntemplates; i++) {
			if (f->templates[i].id != id)
				continue;
			if (*out == NULL || (*out)->error != NULL)
				*out = &f->templates[i];
		}
		if (*out != NULL)
			return (0);
	}
	for (prefix = 0; prefix <= 1; prefix++) {
		hit = NULL;
		n = 0;
		for (i = 0; i < f->ntemplates; i++)
			if (names_match(&f->templates[i], query, prefix)) {
				hit = &f->templates[i];
				n++;
			}
		if (n == 1) {
			*out = hit;
			return (0);
		}
		if (n > 1)
			return (ambiguous(f, query, prefix, cause));
	}
	return (cli_tpl__error(cause, -ENOENT, "no template matches \"%s\" "
	    "in %s; `pier templates` lists them", query, f->origin));
}
