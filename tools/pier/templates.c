/*
 * Template files: reading Portainer's app-template JSON (versions "2" and
 * "3") into struct cli_tpl, checking every field's type once. The value
 * syntaxes inside fields (ports, restart policies) are template-values.c's,
 * shared with deploy and `pier run`; finding a template is template-find.c.
 *
 * The files come from wherever the user points (a URL, a file), so input
 * is bounded (size, template count, list lengths) and every error names
 * the file, the template (position and title) and the field. A template
 * with a bad field keeps that error (cli_tpl.error) and the file reads
 * on: public collections of hundreds of templates nearly always hold one
 * that is wrong, and it must not hide the rest. Unknown fields are
 * ignored: the format grows, and a newer file should still list. Strings
 * are borrowed from the jansson document the file owns.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "templates.h"

/* Room for "list[i]" in messages. */
#define WHERE_LEN	48

/*
 * Where an error is (file, template position and title, list entry) and
 * the first error met: once rc is set, every reader below does nothing,
 * so a template is read as a plain list of calls and checked once.
 */
struct tpl_ctx {
	const char	*origin;
	size_t		 index;
	const char	*title;
	const char	*path;		/* list entry being read, or NULL */
	char		**cause;
	int		 rc;
};

/* Records a bad field of the template being read, if it is the first. */
static int __attribute__((format(printf, 3, 4)))
bad(struct tpl_ctx *c, const char *field, const char *fmt, ...)
{
	va_list ap;
	char *what;

	if (c->rc != 0)
		return (c->rc);
	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	c->rc = cli_tpl__error(c->cause, -EINVAL,
	    "%s: template %zu%s%s%s: field \"%s%s%s\": %s", c->origin,
	    c->index + 1, c->title ? " \"" : "", c->title ? c->title : "",
	    c->title ? "\"" : "", c->path ? c->path : "",
	    c->path ? "." : "", field, what ? what : "invalid");
	free(what);
	return (c->rc);
}

/* Names a JSON value's type for messages. */
static const char *
json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return ("an object");
	case JSON_ARRAY:
		return ("an array");
	case JSON_STRING:
		return ("a string");
	case JSON_INTEGER:
		return ("an integer");
	case JSON_REAL:
		return ("a real number");
	case JSON_TRUE:
	case JSON_FALSE:
		return ("a boolean");
	default:
		return ("null");
	}
}

/* Reads an optional string field (null counts as absent). */
static void
get_str(struct tpl_ctx *c, json_t *o, const char *key, int required,
    const char **out)
{
	json_t *v;	/* borrowed */

	*out = NULL;
	if (c->rc != 0)
		return;
	v = json_object_get(o, key);
	if (v == NULL || json_is_null(v)) {
		if (required)
			bad(c, key, "missing");
	} else if (!json_is_string(v))
		bad(c, key, "expected a string, got %s", json_kind(v));
	else if (required && *json_string_value(v) == '\0')
		bad(c, key, "empty");
	else
		*out = json_string_value(v);
}

/* Reads an optional boolean field (absent or null is false). */
static void
get_bool(struct tpl_ctx *c, json_t *o, const char *key, int *out)
{
	json_t *v;	/* borrowed */

	*out = 0;
	if (c->rc != 0)
		return;
	v = json_object_get(o, key);
	if (v == NULL || json_is_null(v))
		return;
	if (!json_is_boolean(v))
		bad(c, key, "expected true or false, got %s", json_kind(v));
	else
		*out = json_is_true(v);
}

/*
 * Reads an optional array field (bounded) and allocates n elements of
 * size for it; returns its length, 0 when absent or on error.
 */
static size_t
get_array(struct tpl_ctx *c, json_t *o, const char *key, size_t size,
    json_t **array, void **elems)
{
	json_t *v;	/* borrowed */
	size_t n;

	*array = NULL;
	*elems = NULL;
	if (c->rc != 0)
		return (0);
	v = json_object_get(o, key);
	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_array(v)) {
		bad(c, key, "expected an array, got %s", json_kind(v));
		return (0);
	}
	n = json_array_size(v);
	if (n > CLI_TPL_MAX_LIST) {
		bad(c, key, "more than %d entries", CLI_TPL_MAX_LIST);
		return (0);
	}
	if (n == 0)
		return (0);
	*elems = calloc(n, size);
	if (*elems == NULL) {
		c->rc = cli_tpl__error(c->cause, -ENOMEM, "out of memory");
		return (0);
	}
	*array = v;
	return (n);
}

/* Writes "list[i]" into buf, for messages; returns buf. */
static const char *
item(char *buf, size_t size, const char *list, size_t i)
{
	snprintf(buf, size, "%s[%zu]", list, i);
	return (buf);
}

/* Reads a template's "type": an integer (or numeric string) 1-4. */
static void
read_type(struct tpl_ctx *c, json_t *o, enum cli_tpl_type *out)
{
	json_t *v;	/* borrowed */
	long long n = 0;
	const char *s;

	v = json_object_get(o, "type");
	if (v == NULL) {
		bad(c, "type", "missing");
		return;
	}
	if (json_is_integer(v))
		n = json_integer_value(v);
	else if (json_is_string(v)) {
		s = json_string_value(v);
		if (strlen(s) == 1 && s[0] >= '1' && s[0] <= '4')
			n = s[0] - '0';
	} else {
		bad(c, "type", "expected an integer, got %s", json_kind(v));
		return;
	}
	if (n < 1 || n > 4)
		bad(c, "type", "expected 1 (container), 2 (swarm stack), 3 "
		    "(compose stack) or 4 (edge)");
	else
		*out = (enum cli_tpl_type)n;
}

/* Reads "categories": an array of strings. */
static void
read_categories(struct tpl_ctx *c, json_t *o, struct cli_tpl *t)
{
	json_t *a, *v;	/* borrowed */
	char where[WHERE_LEN];
	size_t i;

	t->ncategories = get_array(c, o, "categories", sizeof *t->categories,
	    &a, (void **)&t->categories);
	json_array_foreach(a, i, v) {
		if (!json_is_string(v)) {
			bad(c, item(where, sizeof where, "categories", i),
			    "expected a string, got %s", json_kind(v));
			return;
		}
		t->categories[i] = json_string_value(v);
	}
}

/* Reads "ports": strings "[HOST:]CTR/PROTO". */
static void
read_ports(struct tpl_ctx *c, json_t *o, struct cli_tpl *t)
{
	json_t *a, *v;	/* borrowed */
	char where[WHERE_LEN], *why = NULL;
	size_t i;

	t->nports = get_array(c, o, "ports", sizeof *t->ports, &a,
	    (void **)&t->ports);
	json_array_foreach(a, i, v) {
		item(where, sizeof where, "ports", i);
		if (!json_is_string(v)) {
			bad(c, where, "expected a string, got %s",
			    json_kind(v));
			return;
		}
		if (cli_tpl_parse_port(json_string_value(v), &t->ports[i],
		    &why) != 0) {
			bad(c, where, "%s", why ? why : "invalid");
			free(why);
			return;
		}
	}
}

/* Reads "volumes": objects {container, bind, readonly}. */
static void
read_volumes(struct tpl_ctx *c, json_t *o, struct cli_tpl *t)
{
	struct cli_tpl_volume *vol;
	json_t *a, *v;	/* borrowed */
	char where[WHERE_LEN];
	size_t i;

	t->nvolumes = get_array(c, o, "volumes", sizeof *t->volumes, &a,
	    (void **)&t->volumes);
	json_array_foreach(a, i, v) {
		vol = &t->volumes[i];
		item(where, sizeof where, "volumes", i);
		if (!json_is_object(v)) {
			bad(c, where, "expected an object, got %s",
			    json_kind(v));
			return;
		}
		c->path = where;
		get_str(c, v, "container", 1, &vol->target);
		get_str(c, v, "bind", 0, &vol->source);
		get_bool(c, v, "readonly", &vol->readonly);
		c->path = NULL;
		if (c->rc != 0)
			return;
		if (vol->source != NULL && *vol->source == '\0')
			vol->source = NULL;
	}
}

/* Reads "labels": objects {name, value}. */
static void
read_labels(struct tpl_ctx *c, json_t *o, struct cli_tpl *t)
{
	json_t *a, *v;	/* borrowed */
	char where[WHERE_LEN];
	size_t i;

	t->nlabels = get_array(c, o, "labels", sizeof *t->labels, &a,
	    (void **)&t->labels);
	json_array_foreach(a, i, v) {
		item(where, sizeof where, "labels", i);
		if (!json_is_object(v)) {
			bad(c, where, "expected an object, got %s",
			    json_kind(v));
			return;
		}
		c->path = where;
		get_str(c, v, "name", 1, &t->labels[i].name);
		get_str(c, v, "value", 0, &t->labels[i].value);
		c->path = NULL;
		if (c->rc != 0)
			return;
		if (t->labels[i].value == NULL)
			t->labels[i].value = "";
	}
}

/* Reads one variable's "select" choices; c->path names the variable. */
static void
read_select(struct tpl_ctx *c, json_t *o, struct cli_tpl_env *e)
{
	struct cli_tpl_option *opt;
	json_t *a, *v;	/* borrowed */
	const char *envpath = c->path;
	char where[WHERE_LEN], path[2 * WHERE_LEN];
	size_t i;

	e->noptions = get_array(c, o, "select", sizeof *e->options, &a,
	    (void **)&e->options);
	json_array_foreach(a, i, v) {
		opt = &e->options[i];
		c->path = envpath;
		item(where, sizeof where, "select", i);
		if (!json_is_object(v)) {
			bad(c, where, "expected an object, got %s",
			    json_kind(v));
			break;
		}
		snprintf(path, sizeof path, "%s.%s", envpath, where);
		c->path = path;
		get_str(c, v, "value", 1, &opt->value);
		get_str(c, v, "text", 0, &opt->text);
		get_bool(c, v, "default", &opt->is_default);
		if (c->rc != 0)
			break;
		if (opt->text == NULL)
			opt->text = opt->value;
		if (opt->is_default && e->select_default == NULL)
			e->select_default = opt->value;
	}
	c->path = envpath;
}

/* Reads "env": the variables a template declares. */
static void
read_env(struct tpl_ctx *c, json_t *o, struct cli_tpl *t)
{
	struct cli_tpl_env *e;
	json_t *a, *v;	/* borrowed */
	const char *set;
	char where[WHERE_LEN];
	size_t i, j;

	t->nenv = get_array(c, o, "env", sizeof *t->env, &a,
	    (void **)&t->env);
	json_array_foreach(a, i, v) {
		e = &t->env[i];
		item(where, sizeof where, "env", i);
		if (!json_is_object(v)) {
			bad(c, where, "expected an object, got %s",
			    json_kind(v));
			return;
		}
		c->path = where;
		get_str(c, v, "name", 1, &e->name);
		if (e->name != NULL && strchr(e->name, '=') != NULL)
			bad(c, "name", "\"%s\" contains '='", e->name);
		for (j = 0; c->rc == 0 && j < i; j++)
			if (strcmp(t->env[j].name, e->name) == 0)
				bad(c, "name", "%s is declared twice",
				    e->name);
		get_str(c, v, "label", 0, &e->label);
		get_str(c, v, "description", 0, &e->description);
		get_str(c, v, "default", 0, &e->def);
		get_bool(c, v, "preset", &e->preset);
		get_str(c, v, "set", 0, &set);
		read_select(c, v, e);
		c->path = NULL;
		if (c->rc != 0)
			return;
		/* "set" is the version 1 way to fix a value. */
		if (set != NULL) {
			e->def = set;
			e->preset = 1;
		}
		if (e->preset && e->def == NULL)
			e->def = "";
	}
}

/* Reads the stack part: "repository" {url, stackfile} or "stackfile". */
static void
read_stack(struct tpl_ctx *c, json_t *o, struct cli_tpl *t)
{
	json_t *r;	/* borrowed */

	r = json_object_get(o, "repository");
	if (r != NULL && !json_is_null(r)) {
		if (!json_is_object(r)) {
			bad(c, "repository", "expected an object, got %s",
			    json_kind(r));
			return;
		}
		c->path = "repository";
		get_str(c, r, "url", 1, &t->repo_url);
		get_str(c, r, "stackfile", 1, &t->stackfile);
		c->path = NULL;
		return;
	}
	if (t->type != CLI_TPL_EDGE) {
		bad(c, "repository", "missing (a stack template needs "
		    "{\"url\", \"stackfile\"})");
		return;
	}
	get_str(c, o, "stackfile", 1, &t->stackfile);
}

/* Reads the fields only container templates use. */
static void
read_container(struct tpl_ctx *c, json_t *o, struct cli_tpl *t)
{
	get_str(c, o, "image", 1, &t->image);
	get_str(c, o, "registry", 0, &t->registry);
	get_str(c, o, "command", 0, &t->command);
	get_str(c, o, "hostname", 0, &t->hostname);
	get_str(c, o, "network", 0, &t->network);
	get_str(c, o, "restart_policy", 0, &t->restart);
	get_bool(c, o, "interactive", &t->interactive);
	get_bool(c, o, "privileged", &t->privileged);
	read_labels(c, o, t);
	read_ports(c, o, t);
	read_volumes(c, o, t);
	if (t->registry != NULL && *t->registry == '\0')
		t->registry = NULL;
	if (t->restart != NULL && !cli_tpl__restart_ok(t->restart))
		bad(c, "restart_policy", "\"%s\" is not one of no, always, "
		    "unless-stopped, on-failure[:N]", t->restart);
}

/* Reads one template object into t; returns the first error. */
static int
read_template(struct tpl_ctx *c, json_t *o, struct cli_tpl *t)
{
	json_t *id;	/* borrowed */

	t->json = o;
	t->id = (long long)c->index + 1;
	if (!json_is_object(o))
		return (bad(c, "templates", "expected an object, got %s",
		    json_kind(o)));
	get_str(c, o, "title", 1, &t->title);
	c->title = t->title;
	id = json_object_get(o, "id");
	if (id != NULL && !json_is_null(id) && (!json_is_integer(id) ||
	    json_integer_value(id) < 0))
		bad(c, "id", "expected an integer >= 0, got %s",
		    json_kind(id));
	else if (id != NULL && !json_is_null(id))
		t->id = json_integer_value(id);
	read_type(c, o, &t->type);
	get_str(c, o, "name", 0, &t->name);
	get_str(c, o, "description", 0, &t->description);
	get_str(c, o, "note", 0, &t->note);
	get_str(c, o, "platform", 0, &t->platform);
	get_str(c, o, "logo", 0, &t->logo);
	read_categories(c, o, t);
	read_env(c, o, t);
	if (t->description == NULL)
		t->description = "";
	if (t->type == CLI_TPL_CONTAINER)
		read_container(c, o, t);
	else if (c->rc == 0)
		read_stack(c, o, t);
	return (c->rc);
}

/* Reads "version" and says why a file is not one Pier reads. */
static int
read_version(json_t *root, const char *origin, int *version, char **cause)
{
	json_t *v;	/* borrowed */
	const char *s;

	if (json_is_array(root))
		return (cli_tpl__error(cause, -EINVAL, "%s: a bare array is "
		    "the version 1 template format; Pier reads versions 2 "
		    "and 3", origin));
	if (!json_is_object(root))
		return (cli_tpl__error(cause, -EINVAL, "%s: expected a JSON "
		    "object with \"version\" and \"templates\"", origin));
	v = json_object_get(root, "version");
	if (v == NULL)
		return (cli_tpl__error(cause, -EINVAL, "%s: no \"version\" "
		    "field; Pier reads template versions 2 and 3", origin));
	s = json_is_string(v) ? json_string_value(v) : "";
	if (strcmp(s, "2") == 0 || strcmp(s, "2.0") == 0)
		*version = 2;
	else if (strcmp(s, "3") == 0 || strcmp(s, "3.0") == 0)
		*version = 3;
	else if (json_is_string(v))
		return (cli_tpl__error(cause, -EINVAL, "%s: template format "
		    "version \"%.32s\" is not supported; Pier reads versions "
		    "2 and 3", origin, s));
	else
		return (cli_tpl__error(cause, -EINVAL, "%s: \"version\" must "
		    "be a string such as \"2\" or \"3\", got %s", origin,
		    json_kind(v)));
	return (0);
}

/*
 * Marks bad a template whose id an earlier good one has, which lookups
 * could not tell apart; -ENOMEM with *cause if the message cannot be
 * made.
 */
static int
check_ids(struct cli_tpl_file *f, char **cause)
{
	struct cli_tpl *t, *u;
	size_t i, j;

	for (i = 1; i < f->ntemplates; i++) {
		t = &f->templates[i];
		for (j = 0; t->error == NULL && j < i; j++) {
			u = &f->templates[j];
			if (u->error != NULL || u->id != t->id)
				continue;
			(void)cli_tpl__error(&t->error, -EINVAL, "%s: template "
			    "%zu \"%s\": id %lld is already template %zu "
			    "\"%s\"'s", f->origin, i + 1, t->title, t->id,
			    j + 1, u->title);
			if (t->error == NULL)
				return (cli_tpl__error(cause, -ENOMEM,
				    "out of memory"));
			f->nbad++;
		}
	}
	return (0);
}

/* Parses a template file's bytes into a new cli_tpl_file. */
int
cli_tpl_parse(const char *buf, size_t len, const char *origin,
    struct cli_tpl_file **out, char **cause)
{
	struct cli_tpl_file *f;
	struct tpl_ctx c;
	json_error_t jerr;
	json_t *a, *v;	/* borrowed */
	size_t i, n;
	int rc;

	*out = NULL;
	if (origin == NULL)
		origin = "templates";
	if (len > CLI_TPL_MAX_SIZE)
		return (cli_tpl__error(cause, -EFBIG, "%s: %zu bytes, more "
		    "than the %u a template file may have", origin, len,
		    CLI_TPL_MAX_SIZE));
	f = calloc(1, sizeof *f);
	if (f == NULL)
		return (cli_tpl__error(cause, -ENOMEM, "out of memory"));
	f->origin = strdup(origin);
	if (f->origin == NULL) {
		free(f);
		return (cli_tpl__error(cause, -ENOMEM, "out of memory"));
	}
	f->root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (f->root == NULL) {
		rc = cli_tpl__error(cause, -EINVAL, "%s: line %d column %d: "
		    "%s", origin, jerr.line, jerr.column, jerr.text);
		goto out;
	}
	rc = read_version(f->root, origin, &f->version, cause);
	if (rc != 0)
		goto out;
	a = json_object_get(f->root, "templates");
	if (!json_is_array(a)) {
		rc = cli_tpl__error(cause, -EINVAL, "%s: \"templates\" must "
		    "be an array, got %s", origin,
		    a == NULL ? "nothing" : json_kind(a));
		goto out;
	}
	n = json_array_size(a);
	if (n > CLI_TPL_MAX_COUNT) {
		rc = cli_tpl__error(cause, -EFBIG, "%s: %zu templates, more "
		    "than %d", origin, n, CLI_TPL_MAX_COUNT);
		goto out;
	}
	f->templates = calloc(n + 1, sizeof *f->templates);
	if (f->templates == NULL) {
		rc = cli_tpl__error(cause, -ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(a, i, v) {
		memset(&c, 0, sizeof c);
		c.origin = origin;
		c.index = i;
		c.cause = &f->templates[i].error;
		f->templates[i].index = i;
		f->ntemplates = i + 1;
		rc = read_template(&c, v, &f->templates[i]);
		/* A bad field costs that template only; memory, the file. */
		if (rc != 0 && (rc != -EINVAL ||
		    f->templates[i].error == NULL)) {
			(void)cli_tpl__error(cause, rc, "out of memory");
			goto out;
		}
		if (rc != 0)
			f->nbad++;
	}
	rc = check_ids(f, cause);
	if (rc != 0)
		goto out;
	*out = f;
	return (0);
out:
	cli_tpl_file_free(f);
	return (rc);
}

/* Frees a file's templates, their arrays and the document. */
void
cli_tpl_file_free(struct cli_tpl_file *f)
{
	struct cli_tpl *t;
	size_t i, j;

	if (f == NULL)
		return;
	for (i = 0; i < f->ntemplates; i++) {
		t = &f->templates[i];
		for (j = 0; j < t->nenv; j++)
			free(t->env[j].options);
		free(t->env);
		free(t->categories);
		free(t->labels);
		free(t->ports);
		free(t->volumes);
		free(t->error);
	}
	free(f->templates);
	json_decref(f->root);
	free(f->origin);
	free(f);
}
