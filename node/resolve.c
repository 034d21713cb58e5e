/*
 * Container names for handlers: a caller may name a container by its
 * name, its full id or a unique prefix of its id. The rule is Docker's
 * own (full id, then exact name, then id prefix), but applied here to
 * one list call, so a prefix that matches two containers is answered
 * with "ambiguous_name" and the matches, not with the engine's terse
 * "multiple IDs found" text, and the handler goes on with a full id.
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"

#define RESOLVE_MATCHES_MAX	16	/* matches listed in an error */

/* State of one resolution in flight. */
struct resolve {
	struct cmd_req	*r;
	char		*name;
	node_resolve_cb	 cb;
	void		*arg;
};

/* The container's first name without its leading '/', or "". */
static const char *
first_name(const json_t *c)
{
	const char	*s;

	s = json_string_value(json_array_get(json_object_get(c, "Names"), 0));
	if (s == NULL)
		return ("");
	return (s[0] == '/' ? s + 1 : s);
}

/* Tells whether one of the container's names is name. */
static int
has_name(const json_t *c, const char *name)
{
	const json_t	*names = json_object_get(c, "Names");
	const char	*s;
	size_t		 i;

	for (i = 0; i < json_array_size(names); i++) {
		s = json_string_value(json_array_get(names, i));
		if (s == NULL)
			continue;
		if (s[0] == '/')
			s++;
		if (strcmp(s, name) == 0)
			return (1);
	}
	return (0);
}

/* The matching rule: full id, exact name, unique id prefix. */
int
node_resolve_match(const json_t *list, const char *name, size_t *idx,
    json_t **matches)
{
	const json_t	*c;
	const char	*id;
	size_t		 i, n = json_array_size(list), hits = 0, len;

	*matches = NULL;
	len = strlen(name);
	if (len == 0)
		return (-ENOENT);
	for (i = 0; i < n; i++) {
		id = json_string_value(json_object_get(json_array_get(list, i),
		    "Id"));
		if (id != NULL && strcmp(id, name) == 0) {
			*idx = i;
			return (0);
		}
	}
	for (i = 0; i < n; i++) {
		if (has_name(json_array_get(list, i), name)) {
			*idx = i;
			return (0);
		}
	}
	for (i = 0; i < n; i++) {
		c = json_array_get(list, i);
		id = json_string_value(json_object_get(c, "Id"));
		if (id == NULL || strncmp(id, name, len) != 0)
			continue;
		if (hits++ == 0)
			*idx = i;
		if (*matches == NULL)
			*matches = json_array();
		if (*matches != NULL && json_array_size(*matches) <
		    RESOLVE_MATCHES_MAX)
			(void)json_array_append_new(*matches, json_pack(
			    "{s:s, s:s}", "id", id, "name", first_name(c)));
	}
	if (hits == 1) {
		json_decref(*matches);
		*matches = NULL;
		return (0);
	}
	return (hits == 0 ? -ENOENT : -EEXIST);
}

/* Frees a resolution. */
static void
resolve_free(struct resolve *rs)
{
	free(rs->name);
	free(rs);
}

/* The list arrived: pick the container or end the request. */
static void
on_list(struct dk_req *req, int status, json_t *list, void *arg)
{
	struct resolve	*rs = arg;
	struct cmd_req	*r = rs->r;
	const json_t	*c;
	json_t		*matches = NULL;	/* owned */
	const char	*id;
	size_t		 idx = 0, i;
	char		 ids[512];
	int		 err;

	if (cmd_docker_failed(r, req, status, NULL))
		goto out;
	if (r->cancelled) {
		(void)cmd_fail(r, PROTO_E_CANCELLED, "the client went away");
		goto out;
	}
	err = node_resolve_match(list, rs->name, &idx, &matches);
	if (err == -ENOENT) {
		(void)cmd_fail(r, PROTO_E_NOTFOUND, "no such container: %s",
		    rs->name);
		goto out;
	}
	if (err == -EEXIST) {
		ids[0] = '\0';
		for (i = 0; i < json_array_size(matches); i++) {
			c = json_array_get(matches, i);
			snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids),
			    "%s%.12s (%s)", i > 0 ? ", " : "",
			    json_string_value(json_object_get(c, "id")),
			    json_string_value(json_object_get(c, "name")));
		}
		(void)cmd_fail_data(r, PROTO_E_AMBIGUOUS, json_pack("{s:O}",
		    "matches", matches), "%s matches more than one container: "
		    "%s", rs->name, ids);
		goto out;
	}
	c = json_array_get(list, idx);
	id = json_string_value(json_object_get(c, "Id"));
	rs->cb(r, id != NULL ? id : rs->name, first_name(c), rs->arg);
out:
	json_decref(matches);
	json_decref(list);
	resolve_free(rs);
}

/* Resolves a container name for a handler (see node.h). */
enum cmd_retval
node_resolve_container(struct cmd_req *r, const char *name,
    node_resolve_cb cb, void *arg)
{
	struct dk_client	*dk;
	struct dk_req		*req = NULL;
	struct resolve		*rs;
	int			 err;

	dk = cmd_docker(r);
	if (dk == NULL)
		return (CMD_ERROR);
	rs = calloc(1, sizeof(*rs));
	if (rs == NULL || (rs->name = strdup(name)) == NULL) {
		free(rs);
		return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	}
	rs->r = r;
	rs->cb = cb;
	rs->arg = arg;
	err = dk_container_list(dk, 1, NULL, on_list, rs, &req);
	if (err != 0)
		resolve_free(rs);
	return (cmd_docker_wait(r, req, err));
}
