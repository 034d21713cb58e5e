/*
 * The --format evaluator: runs a parsed template (format.c) over one
 * JSON row, as Go's text/template/exec does for the subset format.h
 * lists. Values are jansson references; a missing map key is the
 * sentinel "<no value>", as Go prints it. Work is bounded (steps and
 * output bytes), since a template and the rows may both be large. For a
 * table's header the same template runs over the listing's headers,
 * with docker's header functions (json, upper, ... give back their
 * argument), as docker derives its header line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format-int.h"

#define EXEC_STEPS_MAX	20000		/* nodes and commands per row */


static json_t	*eval_pipe(struct fmt_exec *, const struct fmt_pipe *,
		    const json_t *);
static int	 run_list(struct fmt_exec *, const struct fmt_node *,
		    const json_t *);

/* Records the first error, at byte pos of the template. */
json_t * __attribute__((format(printf, 3, 4)))
fmt__xerr(struct fmt_exec *e, size_t pos, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	int	 n;

	if (e->err != NULL)
		return (NULL);
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return (NULL);
	if (asprintf(&e->err, "template: at position %zu: %s", pos + 1,
	    msg) < 0)
		e->err = NULL;
	free(msg);
	return (NULL);
}

/* A value's type as Go's messages name it. */
const char *
fmt__type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return ("map");
	case JSON_ARRAY:
		return ("slice");
	case JSON_STRING:
		return ("string");
	case JSON_INTEGER:
		return ("int");
	case JSON_REAL:
		return ("float64");
	case JSON_TRUE:
	case JSON_FALSE:
		return ("bool");
	default:
		return ("nil");
	}
}

/* Go's truth: false, 0, "", nil and empty collections are false. */
int
fmt__truth(const struct fmt_exec *e, const json_t *v)
{
	if (v == NULL || v == e->novalue)
		return (0);
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return (json_object_size(v) > 0);
	case JSON_ARRAY:
		return (json_array_size(v) > 0);
	case JSON_STRING:
		return (json_string_length(v) > 0);
	case JSON_INTEGER:
		return (json_integer_value(v) != 0);
	case JSON_REAL:
		return (json_real_value(v) != 0);
	case JSON_TRUE:
		return (1);
	default:
		return (0);
	}
}

/* A new string value of n bytes (any bytes). */
json_t *
fmt__mkstr(const char *s, size_t n)
{
	return (json_stringn_nocheck(s, n));
}

/* Tells whether an object looks like a Go struct (capitalised keys). */
static int
is_struct(const json_t *o)
{
	const char	*k;
	json_t		*v;

	if (json_object_size(o) == 0)
		return (0);
	json_object_foreach((json_t *)o, k, v) {
		if (!isupper((unsigned char)k[0]))
			return (0);
	}
	return (1);
}

/* The error naming the fields an object has. */
static json_t *
no_field(struct fmt_exec *e, const json_t *o, const char *name, size_t pos)
{
	struct cli__buf	 b;
	const char	*k;
	json_t		*v;

	memset(&b, 0, sizeof(b));
	cli__buf_printf(&b, "unknown field .%s; the fields are ", name);
	json_object_foreach((json_t *)o, k, v)
		cli__buf_printf(&b, "%s.%s", b.p[b.len - 1] == ' ' &&
		    b.p[b.len - 2] == 'e' ? "" : ", ", k);
	if (b.err == 0)
		(void)fmt__xerr(e, pos, "%s", b.p);
	free(b.p);
	return (NULL);
}

/* Walks a field chain from v. */
static json_t *
walk(struct fmt_exec *e, const json_t *v, char *const *path, size_t n,
    size_t pos)
{
	const json_t	*c;
	size_t		 k;

	for (k = 0; k < n; k++) {
		if (!json_is_object(v) || v == e->novalue) {
			char *m;

			if (asprintf(&m, "can't evaluate field %s in type %s",
			    path[k], v == e->novalue ? "<no value>" :
			    fmt__type_name(v)) < 0)
				return (NULL);
			(void)fmt__xerr(e, pos, "%s", m);
			free(m);
			return (NULL);
		}
		c = json_object_get(v, path[k]);
		if (c == NULL && v == e->root && e->node != NULL &&
		    strcmp(path[k], "Node") == 0) {
			if (k + 1 < n)
				return (fmt__xerr(e, pos, "can't evaluate field %s "
				    "in type string", path[k + 1]));
			return (json_string(e->node));
		}
		if (c == NULL) {
			if (e->header)
				return (json_incref(e->novalue));
			if (is_struct(v) || (v == e->root &&
			    e->f->spec != NULL && e->f->spec->fields == NULL))
				return (no_field(e, v, path[k], pos));
			return (json_incref(e->novalue));
		}
		v = c;
	}
	return (json_incref((json_t *)v));
}

/* {{.Label "k"}}: the label's value, or its header (last dotted part). */
static json_t *
label(struct fmt_exec *e, const json_t *key, size_t pos)
{
	const char	*k = json_string_value(key), *dot;

	if (k == NULL)
		return (fmt__xerr(e, pos, "%s", ".Label takes a string"));
	if (e->header) {
		dot = strrchr(k, '.');
		return (json_string(dot != NULL ? dot + 1 : k));
	}
	k = json_string_value(json_object_get(e->labels, k));
	return (json_string(k != NULL ? k : ""));
}

/* Appends a value as an action prints it. */
void
fmt__print_value(struct fmt_exec *e, struct cli__buf *b, const json_t *v)
{
	if (v == e->novalue)
		cli__buf_str(b, "<no value>");
	else
		cli_fmt_value(b, v);
}

/* A string argument, or an error naming what was given. */
const char *
fmt__want_str(struct fmt_exec *e, const json_t *v, size_t pos)
{
	char	*m;

	if (json_is_string(v))
		return (json_string_value(v));
	if (asprintf(&m, "wrong type for value; expected string; got %s",
	    v == e->novalue ? "<no value>" : fmt__type_name(v)) >= 0) {
		(void)fmt__xerr(e, pos, "%s", m);
		free(m);
	}
	return (NULL);
}

/* Compares two values as eq/lt do; *c the order; -1 if incomparable. */
static int
compare(const json_t *a, const json_t *b, int *c)
{
	double	x, y;

	if (json_is_string(a) && json_is_string(b)) {
		*c = strcmp(json_string_value(a), json_string_value(b));
		return (0);
	}
	if (json_is_number(a) && json_is_number(b)) {
		x = json_number_value(a);
		y = json_number_value(b);
		*c = x < y ? -1 : x > y;
		return (0);
	}
	if (json_is_boolean(a) && json_is_boolean(b)) {
		*c = json_is_true(a) != json_is_true(b);
		return (1);
	}
	if (json_is_null(a) && json_is_null(b)) {
		*c = 0;
		return (1);
	}
	return (-1);
}

/* Calls function fn on n evaluated arguments. */
static json_t *
call(struct fmt_exec *e, int fn, json_t **v, size_t n, size_t pos)
{
	struct cli__buf	 b;
	json_t		*r, *c;
	size_t		 k;
	int		 cmp, rc;

	if (e->header && n > 0 && (fn <= FN_TRUNCATE))
		return (json_incref(v[0]));
	if (n == 0 && fn != FN_PRINT && fn != FN_PRINTLN)
		return (fmt__xerr(e, pos, "%s", "wrong number of arguments"));
	switch (fn) {
	case FN_JSON:
		if (n != 1)
			return (fmt__xerr(e, pos, "%s", "json takes one value"));
		memset(&b, 0, sizeof(b));
		cli__buf_add(&b, "", 0);
		cli_fmt_json(&b, v[0] == e->novalue ? json_null() : v[0],
		    v[0] == e->root && e->f->spec != NULL &&
		    e->f->spec->go_map);
		r = b.err == 0 ? fmt__mkstr(b.p, b.len) : NULL;
		free(b.p);
		return (r);
	case FN_LEN:
		if (json_is_string(v[0]))
			return (json_integer((json_int_t)
			    json_string_length(v[0])));
		if (json_is_array(v[0]) || json_is_object(v[0]))
			return (json_integer((json_int_t)(json_is_array(v[0]) ?
			    json_array_size(v[0]) : json_object_size(v[0]))));
		return (fmt__xerr(e, pos, "len of %s", fmt__type_name(v[0])));
	case FN_INDEX:
		r = json_incref(v[0]);
		for (k = 1; k < n && r != NULL; k++) {
			if (json_is_array(r) && json_is_integer(v[k]))
				c = json_array_get(r, (size_t)
				    json_integer_value(v[k]));
			else if (json_is_object(r) && json_is_string(v[k]))
				c = json_object_get(r,
				    json_string_value(v[k]));
			else {
				json_decref(r);
				return (fmt__xerr(e, pos, "can't index item of type "
				    "%s", fmt__type_name(r)));
			}
			if (c == NULL && json_is_array(r)) {
				json_decref(r);
				return (fmt__xerr(e, pos, "%s", "index out of "
				    "range"));
			}
			c = json_incref(c != NULL ? c : e->novalue);
			json_decref(r);
			r = c;
		}
		return (r);
	case FN_PRINT:
	case FN_PRINTLN:
		return (fmt__fn_print(e, v, n, fn == FN_PRINTLN));
	case FN_PRINTF:
		return (fmt__fn_printf(e, v, n, pos));
	case FN_NOT:
		return (json_boolean(!fmt__truth(e, v[0])));
	case FN_AND:
	case FN_OR:
		for (k = 0; k + 1 < n; k++) {
			if (fmt__truth(e, v[k]) == (fn == FN_OR))
				break;
		}
		return (json_incref(v[k]));
	case FN_EQ:
	case FN_NE:
		if (n < 2)
			return (fmt__xerr(e, pos, "%s", "missing argument for "
			    "comparison"));
		for (k = 1; k < n; k++) {
			rc = compare(v[0], v[k], &cmp);
			if (rc < 0)
				return (fmt__xerr(e, pos, "%s", "incompatible types "
				    "for comparison"));
			if (cmp == 0)
				return (json_boolean(fn == FN_EQ));
		}
		return (json_boolean(fn == FN_NE));
	case FN_LT:
	case FN_LE:
	case FN_GT:
	case FN_GE:
		if (n != 2 || compare(v[0], v[1], &cmp) != 0)
			return (fmt__xerr(e, pos, "%s", "incompatible types for "
			    "comparison"));
		return (json_boolean(fn == FN_LT ? cmp < 0 : fn == FN_LE ?
		    cmp <= 0 : fn == FN_GT ? cmp > 0 : cmp >= 0));
	default:
		return (fmt__fn_string(e, fn, v, n, pos));
	}
}

/* Evaluates one operand. */
static json_t *
eval_arg(struct fmt_exec *e, const struct fmt_arg *a, const json_t *dot)
{
	switch (a->kind) {
	case A_FIELD:
		return (walk(e, a->root ? e->root : dot, a->path, a->npath,
		    a->pos));
	case A_DOT:
		return (json_incref((json_t *)dot));
	case A_ROOT:
		return (json_incref((json_t *)e->root));
	case A_STR:
		return (fmt__mkstr(a->s, a->slen));
	case A_INT:
		return (json_integer(a->i));
	case A_REAL:
		return (json_real(a->d));
	case A_BOOL:
		return (json_boolean(a->b));
	case A_NIL:
		return (json_null());
	case A_PIPE:
		return (eval_pipe(e, a->sub, dot));
	default:
		return (fmt__xerr(e, a->pos, "%s", "a function needs to be called "
		    "first in a command"));
	}
}

/* Evaluates a command; piped is the previous command's value or NULL. */
static json_t *
eval_cmd(struct fmt_exec *e, const struct fmt_cmd *c, const json_t *dot,
    json_t *piped)
{
	const struct fmt_arg	*a0 = &c->args[0];
	json_t			*v[64], *r = NULL;
	size_t			 n = 0, k;

	if (++e->steps > EXEC_STEPS_MAX)
		return (fmt__xerr(e, c->pos, "%s", "too much work"));
	if (a0->kind == A_FIELD && a0->root && a0->npath == 1 &&
	    strcmp(a0->path[0], "Label") == 0 && e->f->spec != NULL &&
	    e->f->spec->labels) {
		if (c->n != 2 || piped != NULL)
			return (fmt__xerr(e, a0->pos, "%s", ".Label takes one "
			    "label name"));
		v[0] = eval_arg(e, &c->args[1], dot);
		r = v[0] != NULL ? label(e, v[0], a0->pos) : NULL;
		json_decref(v[0]);
		return (r);
	}
	if (a0->kind != A_FUNC) {
		if (c->n > 1 || piped != NULL)
			return (fmt__xerr(e, a0->pos, "%s", "can't give argument "
			    "to non-function"));
		return (eval_arg(e, a0, dot));
	}
	if (c->n + 1 > sizeof(v) / sizeof(v[0]))
		return (fmt__xerr(e, a0->pos, "%s", "too many arguments"));
	for (k = 1; k < c->n; k++) {
		v[n] = eval_arg(e, &c->args[k], dot);
		if (v[n] == NULL)
			goto out;
		n++;
	}
	if (piped != NULL)
		v[n++] = json_incref(piped);
	r = call(e, a0->fn, v, n, a0->pos);
out:
	for (k = 0; k < n; k++)
		json_decref(v[k]);
	if (r == NULL && e->err == NULL)
		(void)fmt__xerr(e, a0->pos, "%s", "out of memory");
	return (r);
}

/* Evaluates a pipeline. */
static json_t *
eval_pipe(struct fmt_exec *e, const struct fmt_pipe *pp, const json_t *dot)
{
	json_t	*v = NULL, *next;
	size_t	 k;

	for (k = 0; k < pp->n; k++) {
		next = eval_cmd(e, &pp->cmds[k], dot, v);
		json_decref(v);
		v = next;
		if (v == NULL)
			return (NULL);
	}
	return (v);
}

/* Runs a range block over v's elements (an object's in key order). */
static int
run_range(struct fmt_exec *e, const struct fmt_node *n, const json_t *v,
    const json_t *dot)
{
	const char	**keys;
	const char	*k;
	json_t		*x;
	size_t		 i, nk = 0;
	int		 rc = 0;

	if (!fmt__truth(e, v))
		return (n->other != NULL ? run_list(e, n->other, dot) : 0);
	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v) && rc == 0; i++)
			rc = run_list(e, n->body, json_array_get(v, i));
		return (rc);
	}
	if (!json_is_object(v)) {
		(void)fmt__xerr(e, n->pos, "range can't iterate over %s",
		    fmt__type_name(v));
		return (-1);
	}
	keys = calloc(json_object_size(v) + 1, sizeof(*keys));
	if (keys == NULL)
		return (-1);
	json_object_foreach((json_t *)v, k, x)
		keys[nk++] = k;
	qsort(keys, nk, sizeof(*keys), (int (*)(const void *,
	    const void *))fmt__strpcmp);
	for (i = 0; i < nk && rc == 0; i++)
		rc = run_list(e, n->body, json_object_get(v, keys[i]));
	free(keys);
	return (rc);
}

/* Runs a list of nodes with dot. */
static int
run_list(struct fmt_exec *e, const struct fmt_node *n, const json_t *dot)
{
	json_t	*v;
	int	 rc;

	for (; n != NULL; n = n->next) {
		if (++e->steps > EXEC_STEPS_MAX) {
			(void)fmt__xerr(e, n->pos, "%s", "too much work");
			return (-1);
		}
		if (e->out->len > CLI_FMT_OUT_MAX || e->out->err != 0) {
			(void)fmt__xerr(e, n->pos, "%s", "output too long");
			return (-1);
		}
		if (n->kind == N_TEXT) {
			cli__buf_add(e->out, n->text, n->len);
			continue;
		}
		v = eval_pipe(e, n->pipe, dot);
		if (v == NULL)
			return (-1);
		rc = 0;
		if (n->kind == N_ACTION)
			fmt__print_value(e, e->out, v);
		else if (n->kind == N_IF)
			rc = fmt__truth(e, v) ? run_list(e, n->body, dot) :
			    run_list(e, n->other, dot);
		else if (n->kind == N_WITH)
			rc = fmt__truth(e, v) ? run_list(e, n->body, v) :
			    run_list(e, n->other, dot);
		else
			rc = run_range(e, n, v, dot);
		json_decref(v);
		if (rc != 0)
			return (rc);
	}
	return (0);
}

/* Runs f over root into out, then a newline. */
static int
run(const struct cli_fmt *f, const json_t *root, const json_t *labels,
    const char *node, int header, struct cli__buf *out, char **cause)
{
	struct fmt_exec	e;
	size_t		len0 = out->len;
	int		rc;

	memset(&e, 0, sizeof(e));
	e.f = f;
	e.root = root;
	e.labels = labels;
	e.node = node;
	e.out = out;
	e.header = header;
	e.novalue = json_string("<no value>");
	if (e.novalue == NULL)
		return (-ENOMEM);
	rc = run_list(&e, f->nodes, root);
	json_decref(e.novalue);
	if (rc == 0 && out->err == 0) {
		cli__buf_add(out, "\n", 1);
		return (out->err != 0 ? -ENOMEM : 0);
	}
	out->len = len0;
	if (out->p != NULL)
		out->p[len0] = '\0';
	if (e.err == NULL)
		return (cli__error(cause, -ENOMEM, "template: out of memory"));
	if (cause != NULL)
		*cause = e.err;
	else
		free(e.err);
	return (-EINVAL);
}

/* Appends the template's output for one row, then a newline. */
int
cli_fmt_row(const struct cli_fmt *f, const json_t *row, const json_t *labels,
    const char *node, struct cli__buf *out, char **cause)
{
	return (run(f, row, labels, node, 0, out, cause));
}

/* Appends a table's header line, as docker derives it. */
int
cli_fmt_header(const struct cli_fmt *f, struct cli__buf *out, char **cause)
{
	const char *const	*fields;
	json_t			*hdr;
	size_t			 i;
	int			 rc;

	hdr = json_object();
	if (hdr == NULL)
		return (-ENOMEM);
	fields = f->spec != NULL ? f->spec->fields : NULL;
	for (i = 0; fields != NULL && fields[i] != NULL; i += 2)
		(void)json_object_set_new(hdr, fields[i],
		    json_string(fields[i + 1]));
	rc = run(f, hdr, NULL, NULL, 1, out, cause);
	json_decref(hdr);
	return (rc);
}
