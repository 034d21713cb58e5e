/*
 * The request-then-reply scaffolding the Docker-backed handlers share
 * (image, network, volume and container families): answer a list as
 * rows in our own names, and pass an engine object through. One copy
 * here instead of one per family. Holding the engine request while it
 * runs is cmd-req.c's (cmd_docker_wait).
 */
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
