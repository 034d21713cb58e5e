/*
 * The request-then-reply scaffolding the Docker-backed handlers share
 * (image, network, volume and container families): answer a list as
 * rows in our own names, and pass an engine object through. One copy
 * here instead of one per family. Holding the engine request while it
 * runs is cmd-req.c's (cmd_docker_wait).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* Answers {key: [row(item, arg) for each item of items]}. */
void
cmd_reply_rows(struct cmd_req *r, const char *key, const json_t *items,
    cmd_row_fn *row, const void *arg)
{
	json_t	*rows;	/* owned */
	size_t	 i;

	rows = json_array();
	for (i = 0; rows != NULL && i < json_array_size(items); i++) {
		if (json_array_append_new(rows,
		    row(json_array_get(items, i), arg)) != 0) {
			json_decref(rows);
			rows = NULL;
		}
	}
	if (rows == NULL) {
		(void)cmd_fail(r, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	(void)cmd_reply(r, json_pack("{s:o}", key, rows));
}

/* The engine's object arrived: pass it through as the result. */
void
cmd_on_passthrough(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct cmd_req	*r = arg;

	if (cmd_docker_failed(r, req, status, res))
		return;
	if (!json_is_object(res)) {
		json_decref(res);
		(void)cmd_fail(r, PROTO_E_DOCKER, "the engine's answer is not "
		    "an object");
		return;
	}
	(void)cmd_reply(r, res);
}

/* A string member of o, or "" when it is missing or not a string. */
const char *
cmd_jstr(const json_t *o, const char *k)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return (s != NULL ? s : "");
}

/*
 * Bytes from the client on an output stream (logs, stats, events, pull):
 * none are read; a FIN stops the stream (RST: what is unsent is dropped,
 * the work stops through on_close), unless the node finished first and
 * this FIN answers its own.
 */
void
cmd_out_chan_data(struct ovl_chan *ch, const uint8_t *buf, size_t len,
    void *arg)
{
	if (len == 0 && !ovl_chan_finished(ch))
		ovl_chan_reset(ch);
}

/* Filters the engine's list calls take: params.filters, KEY=VALUE each. */
int
cmd_list_filters(struct cmd_req *r, const char *const *allowed,
    json_t **filters)
{
	const json_t	*a = json_object_get(r->params, "filters");
	const char	*kv, *eq;
	char		*names = NULL, *tmp;
	size_t		 i, k;
	json_t		*arr;

	for (i = 0; i < json_array_size(a); i++) {
		kv = json_string_value(json_array_get(a, i));
		eq = kv != NULL ? strchr(kv, '=') : NULL;
		for (k = 0; eq != NULL && allowed[k] != NULL; k++) {
			if (strlen(allowed[k]) == (size_t)(eq - kv) &&
			    strncmp(allowed[k], kv, (size_t)(eq - kv)) == 0)
				break;
		}
		if (eq != NULL && eq != kv && allowed[k] != NULL)
			continue;
		for (k = 0; allowed[k] != NULL; k++) {
			if (asprintf(&tmp, "%s%s%s", names != NULL ? names :
			    "", names != NULL ? ", " : "", allowed[k]) < 0)
				break;
			free(names);
			names = tmp;
		}
		if (eq == NULL || eq == kv)
			(void)cmd_fail(r, PROTO_E_PARAMS, "params.filters: "
			    "each must be KEY=VALUE; the keys are %s",
			    names != NULL ? names : "");
		else
			(void)cmd_fail(r, PROTO_E_PARAMS, "params.filters: "
			    "unknown filter key %.*s; the keys are %s",
			    (int)(eq - kv), kv, names != NULL ? names : "");
		free(names);
		return (-EINVAL);
	}
	if (*filters == NULL && (*filters = json_object()) == NULL) {
		(void)cmd_fail(r, PROTO_E_INTERNAL, "out of memory");
		return (-ENOMEM);
	}
	for (i = 0; i < json_array_size(a); i++) {
		kv = json_string_value(json_array_get(a, i));
		eq = strchr(kv, '=');
		tmp = strndup(kv, (size_t)(eq - kv));
		if (tmp == NULL)
			continue;
		arr = json_object_get(*filters, tmp);
		if (arr == NULL) {
			arr = json_array();
			(void)json_object_set_new(*filters, tmp, arr);
		}
		(void)json_array_append_new(arr, json_string(eq + 1));
		free(tmp);
	}
	return (0);
}
