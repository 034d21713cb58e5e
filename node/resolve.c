/*
 * Container names for handlers: a caller may name a container by its
 * name, its full id or a unique prefix of its id. The rule is Docker's
 * own (full id, then exact name, then id prefix), but applied here to
 * one list (the node's model of the engine, model.c, or the engine's
 * list call when the model cannot answer or does not know the name), so
 * a prefix that matches two containers is answered with
 * "ambiguous_name" and the matches, not with the engine's terse
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

/* Picks the container from a list of summaries, or ends the request. */
static void
resolve_pick(struct resolve *rs, const json_t *list)
{
	struct cmd_req	*r = rs->r;
	const json_t	*c;
	json_t		*matches = NULL;	/* owned */
	const char	*id;
	size_t		 idx = 0, i;
	char		 ids[512];
	int		 err;

	err = node_resolve_match(list, rs->name, &idx, &matches);
	if (err == -ENOENT) {
		(void)cmd_fail(r, PROTO_E_NOTFOUND, "no such container: %s",
		    rs->name);
		return;
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
		json_decref(matches);
		return;
	}
	c = json_array_get(list, idx);
	id = json_string_value(json_object_get(c, "Id"));
	rs->cb(r, id != NULL ? id : rs->name, first_name(c), rs->arg);
}

/* The list arrived: pick the container or end the request. */
static void
on_list(struct dk_req *req, int status, json_t *list, void *arg)
{
	struct resolve	*rs = arg;
	struct cmd_req	*r = rs->r;

	if (cmd_docker_failed(r, req, status, NULL))
		goto out;
	if (r->cancelled) {
		(void)cmd_fail(r, PROTO_E_CANCELLED, "the client went away");
		goto out;
	}
	resolve_pick(rs, list);
out:
	json_decref(list);
	resolve_free(rs);
}

/* Asks the engine for its list; CMD_WAIT, or CMD_ERROR with r ended. */
static enum cmd_retval
resolve_ask(struct resolve *rs)
{
	struct cmd_req	*r = rs->r;
	struct dk_req	*req = NULL;
	int		 err;

	err = dk_container_list(r->node->dk, 1, NULL, on_list, rs, &req);
	if (err != 0)
		resolve_free(rs);
	return (cmd_docker_wait(r, req, err));
}

/*
 * From the node's model: picks the container (the request may end);
 * a name the model does not know goes to the engine's list.
 */
static void
resolve_from_model(struct resolve *rs)
{
	json_t	*list;	/* owned */

	json_t	*matches = NULL;	/* owned */
	size_t	 idx;

	list = node_model_rows(rs->r->node, 1, NULL);
	if (list != NULL && node_resolve_match(list, rs->name, &idx,
	    &matches) == -ENOENT) {
		/* Made a moment ago, its event not in yet? The engine knows. */
		json_decref(list);
		(void)resolve_ask(rs);
		return;
	}
	json_decref(matches);
	if (list == NULL)
		(void)cmd_fail(rs->r, PROTO_E_INTERNAL, "out of memory");
	else
		resolve_pick(rs, list);
	json_decref(list);
	resolve_free(rs);
}

/* The model's refreshes came back (or it went down). */
static void
on_model(struct cmd_req *r, int ok, void *arg)
{
	struct resolve	*rs = arg;

	if (r->cancelled) {
		(void)cmd_fail(r, PROTO_E_CANCELLED, "the client went away");
		resolve_free(rs);
	} else if (ok)
		resolve_from_model(rs);
	else
		(void)resolve_ask(rs);
}

/* Resolves a container name for a handler (see node.h). */
enum cmd_retval
node_resolve_container(struct cmd_req *r, const char *name,
    node_resolve_cb cb, void *arg)
{
	struct resolve		*rs;
	int			 err;

	if (cmd_docker(r) == NULL)
		return (CMD_ERROR);
	rs = calloc(1, sizeof(*rs));
	if (rs == NULL || (rs->name = strdup(name)) == NULL) {
		free(rs);
		return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	}
	rs->r = r;
	rs->cb = cb;
	rs->arg = arg;
	err = node_model_wait(r->node, r, on_model, rs);
	if (err == 1)
		return (CMD_WAIT);
	if (err != 0)
		return (resolve_ask(rs));
	resolve_from_model(rs);
	return (r->ended ? CMD_DONE : CMD_WAIT);
}
