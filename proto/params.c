/*
 * The parameter checker. Each method declares its parameters as data (an
 * array of struct proto_field), and every request is checked against it
 * before any handler runs: unknown keys, missing required fields, wrong
 * types and values out of bounds are refused with a message naming the
 * field. Since the schema is data, the docs and the client's help are
 * generated from the same table, and the wording of an error and of the
 * docs comes from one function, proto_field_describe.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* Longest path to a nested field that a message names. */
#define PROTO_PATH_MAX	160

/* Appends a printf-style string to buf (size bytes) at *off, cutting. */
static void __attribute__((format(printf, 4, 5)))
proto_cat(char *buf, size_t size, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, size - *off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*off += (size_t)n;
	if (*off >= size)
		*off = size - 1;
}

/* The name of a type as the docs write it. */
const char *
proto_type_name(enum proto_type type)
{
	switch (type) {
	case PROTO_T_STRING:
		return ("string");
	case PROTO_T_INT:
		return ("integer");
	case PROTO_T_NUMBER:
		return ("number");
	case PROTO_T_BOOL:
		return ("boolean");
	case PROTO_T_OBJECT:
		return ("object");
	case PROTO_T_STRINGS:
		return ("array of strings");
	case PROTO_T_MAP:
		return ("map of strings");
	case PROTO_T_OBJECTS:
		return ("array of objects");
	}
	return ("unknown");
}

/* Writes "at most N" or "N to M" for a count or length bound. */
static void
proto_range(char *buf, size_t size, size_t *off, long long min,
    long long max)
{
	if (min > 0)
		proto_cat(buf, size, off, "%lld to %lld", min, max);
	else
		proto_cat(buf, size, off, "at most %lld", max);
}

/* Writes what a field accepts. */
int
proto_field_describe(const struct proto_field *f, char *buf, size_t size)
{
	size_t off = 0, i;

	if (size == 0)
		return (0);
	buf[0] = '\0';
	switch (f->type) {
	case PROTO_T_STRING:
		if (f->choices != NULL) {
			proto_cat(buf, size, &off, "one of");
			for (i = 0; f->choices[i] != NULL; i++)
				proto_cat(buf, size, &off, "%s \"%s\"",
				    i > 0 ? "," : "", f->choices[i]);
			break;
		}
		proto_cat(buf, size, &off, "a string of ");
		proto_range(buf, size, &off, f->min, f->max);
		proto_cat(buf, size, &off, " bytes");
		break;
	case PROTO_T_INT:
		proto_cat(buf, size, &off, "an integer between %lld and %lld",
		    f->min, f->max);
		break;
	case PROTO_T_NUMBER:
		proto_cat(buf, size, &off, "a number between %lld and %lld",
		    f->min, f->max);
		break;
	case PROTO_T_BOOL:
		proto_cat(buf, size, &off, "true or false");
		break;
	case PROTO_T_OBJECT:
		proto_cat(buf, size, &off, "an object");
		break;
	case PROTO_T_STRINGS:
		proto_cat(buf, size, &off, "an array of ");
		proto_range(buf, size, &off, f->min, f->max);
		proto_cat(buf, size, &off, " strings of at most %zu bytes",
		    f->max_len);
		break;
	case PROTO_T_MAP:
		proto_cat(buf, size, &off, "an object of ");
		proto_range(buf, size, &off, f->min, f->max);
		proto_cat(buf, size, &off,
		    " string values, keys and values of at most %zu bytes",
		    f->max_len);
		break;
	case PROTO_T_OBJECTS:
		proto_cat(buf, size, &off, "an array of ");
		proto_range(buf, size, &off, f->min, f->max);
		proto_cat(buf, size, &off, " objects");
		break;
	}
	return ((int)off);
}

/* The field called name in a schema, or NULL. */
const struct proto_field *
proto_field_find(const struct proto_field *fields, const char *name)
{
	const struct proto_field *f;

	if (fields == NULL)
		return (NULL);
	for (f = fields; f->name != NULL; f++)
		if (strcmp(f->name, name) == 0)
			return (f);
	return (NULL);
}

/*
 * Where a value sits in the params, as a chain from the value up to
 * "params". It costs nothing until a check fails and the message needs
 * it rendered ("params.ports[2].host_port").
 */
struct proto_path {
	const struct proto_path	*up;
	const char		*name;	/* a member, or NULL for an item */
	size_t			 index;	/* the item's index */
};

/* Renders a path into buf at *off. */
static void
proto_path_render(const struct proto_path *p, char *buf, size_t size,
    size_t *off)
{
	if (p->up != NULL)
		proto_path_render(p->up, buf, size, off);
	if (p->name != NULL)
		proto_cat(buf, size, off, "%s%.64s", p->up != NULL ? "." : "",
		    p->name);
	else
		proto_cat(buf, size, off, "[%zu]", p->index);
}

/* Fails a check at path: "PATH: WHATexpected DESCRIPTION". */
static int
proto_expect(const struct proto_field *f, const struct proto_path *path,
    const char *what, char **cause)
{
	char desc[256], where[PROTO_PATH_MAX];
	size_t off = 0;

	if (cause != NULL) {
		where[0] = '\0';
		proto_path_render(path, where, sizeof where, &off);
		if (f != NULL)
			proto_field_describe(f, desc, sizeof desc);
		else
			snprintf(desc, sizeof desc, "an object");
		*cause = proto_xasprintf("%s: %sexpected %s", where, what,
		    desc);
	}
	return (PROTO_E_PARAMS);
}

/* Tells whether a string of len bytes fits min..max. */
static int
proto_len_ok(size_t len, long long min, long long max)
{
	return ((long long)len >= min && (long long)len <= max);
}

static int proto_check_object(const struct proto_field *, const json_t *,
    const struct proto_path *, char **);

/* Checks each item of an array of objects. */
static int
proto_check_items(const struct proto_field *f, const json_t *v,
    const struct proto_path *path, char **cause)
{
	struct proto_path at = { .up = path };
	json_t *item;
	size_t i;
	int rc;

	json_array_foreach(v, i, item) {
		at.index = i;
		if (!json_is_object(item))
			return (proto_expect(NULL, &at, "", cause));
		rc = proto_check_object(f->fields, item, &at, cause);
		if (rc != 0)
			return (rc);
	}
	return (0);
}

/* Checks one value against its field; path names it. */
static int
proto_check_value(const struct proto_field *f, const json_t *v,
    const struct proto_path *path, char **cause)
{
	const char *key;
	json_t *item;
	size_t i, n;

	switch (f->type) {
	case PROTO_T_STRING:
		if (!json_is_string(v) || !proto_len_ok(json_string_length(v),
		    f->min, f->max))
			return (proto_expect(f, path, "", cause));
		if (f->choices == NULL)
			return (0);
		for (i = 0; f->choices[i] != NULL; i++)
			if (strcmp(json_string_value(v), f->choices[i]) == 0)
				return (0);
		return (proto_expect(f, path, "", cause));
	case PROTO_T_INT:
		if (!json_is_integer(v) || json_integer_value(v) < f->min ||
		    json_integer_value(v) > f->max)
			return (proto_expect(f, path, "", cause));
		return (0);
	case PROTO_T_NUMBER:
		if (!json_is_number(v) || json_number_value(v) <
		    (double)f->min || json_number_value(v) > (double)f->max)
			return (proto_expect(f, path, "", cause));
		return (0);
	case PROTO_T_BOOL:
		return (json_is_boolean(v) ? 0 :
		    proto_expect(f, path, "", cause));
	case PROTO_T_OBJECT:
		if (!json_is_object(v))
			return (proto_expect(f, path, "", cause));
		return (proto_check_object(f->fields, v, path, cause));
	case PROTO_T_STRINGS:
		n = json_array_size(v);
		if (!json_is_array(v) || !proto_len_ok(n, f->min, f->max))
			return (proto_expect(f, path, "", cause));
		json_array_foreach(v, i, item)
			if (!json_is_string(item) ||
			    json_string_length(item) > f->max_len)
				return (proto_expect(f, path, "", cause));
		return (0);
	case PROTO_T_MAP:
		n = json_object_size(v);
		if (!json_is_object(v) || !proto_len_ok(n, f->min, f->max))
			return (proto_expect(f, path, "", cause));
		json_object_foreach((json_t *)v, key, item)
			if (!json_is_string(item) || key[0] == '\0' ||
			    strlen(key) > f->max_len ||
			    json_string_length(item) > f->max_len)
				return (proto_expect(f, path, "", cause));
		return (0);
	case PROTO_T_OBJECTS:
		n = json_array_size(v);
		if (!json_is_array(v) || !proto_len_ok(n, f->min, f->max))
			return (proto_expect(f, path, "", cause));
		return (proto_check_items(f, v, path, cause));
	}
	return (proto_expect(f, path, "", cause));
}

/* Writes the names a schema accepts, for an unknown-key message. */
static void
proto_names(const struct proto_field *fields, char *buf, size_t size)
{
	const struct proto_field *f;
	size_t off = 0;

	buf[0] = '\0';
	if (fields == NULL || fields->name == NULL) {
		proto_cat(buf, size, &off, "none");
		return;
	}
	for (f = fields; f->name != NULL; f++)
		proto_cat(buf, size, &off, "%s%s", f == fields ? "" : ", ",
		    f->name);
}

/* Fails on an unknown key: names it and what is accepted. */
static int
proto_unknown(const struct proto_field *fields,
    const struct proto_path *path, const char *key, char **cause)
{
	struct proto_path at = { .up = path, .name = key };
	char names[512], where[PROTO_PATH_MAX];
	size_t off = 0;

	if (cause != NULL) {
		where[0] = '\0';
		proto_path_render(&at, where, sizeof where, &off);
		proto_names(fields, names, sizeof names);
		*cause = proto_xasprintf("%s: unknown parameter (accepted: %s)",
		    where, names);
	}
	return (PROTO_E_PARAMS);
}

/* Checks an object's members against a schema; path names the object. */
static int
proto_check_object(const struct proto_field *fields, const json_t *obj,
    const struct proto_path *path, char **cause)
{
	struct proto_path at = { .up = path };
	const struct proto_field *f;
	const char *key;
	json_t *v;
	int rc;

	json_object_foreach((json_t *)obj, key, v)
		if (proto_field_find(fields, key) == NULL)
			return (proto_unknown(fields, path, key, cause));
	for (f = fields; f != NULL && f->name != NULL; f++) {
		at.name = f->name;
		v = json_object_get(obj, f->name);
		if (v == NULL) {
			if ((f->flags & PROTO_REQUIRED) != 0)
				return (proto_expect(f, &at, "missing; ",
				    cause));
			continue;
		}
		rc = proto_check_value(f, v, &at, cause);
		if (rc != 0)
			return (rc);
	}
	return (0);
}

/* Checks params against a schema. */
int
proto_params_check(const struct proto_field *fields, const json_t *params,
    char **cause)
{
	static const struct proto_path root = { .name = "params" };
	json_t *empty;
	int rc;

	if (cause != NULL)
		*cause = NULL;
	if (params != NULL && !json_is_object(params))
		return (proto_expect(NULL, &root, "", cause));
	if (params != NULL)
		return (proto_check_object(fields, params, &root, cause));
	empty = json_object();
	if (empty == NULL)
		return (PROTO_E_INTERNAL);
	rc = proto_check_object(fields, empty, &root, cause);
	json_decref(empty);
	return (rc);
}

/* A checked string parameter, or def. */
const char *
proto_param_str(const json_t *params, const char *name, const char *def)
{
	json_t *v;

	v = json_object_get(params, name);
	return (json_is_string(v) ? json_string_value(v) : def);
}

/* A checked integer parameter, or def. */
long long
proto_param_int(const json_t *params, const char *name, long long def)
{
	json_t *v;

	v = json_object_get(params, name);
	return (json_is_integer(v) ? json_integer_value(v) : def);
}

/* A checked number parameter, or def. */
double
proto_param_num(const json_t *params, const char *name, double def)
{
	json_t *v;

	v = json_object_get(params, name);
	return (json_is_number(v) ? json_number_value(v) : def);
}

/* A checked boolean parameter, or def. */
int
proto_param_bool(const json_t *params, const char *name, int def)
{
	json_t *v;

	v = json_object_get(params, name);
	return (json_is_boolean(v) ? json_is_true(v) : def);
}
