/*
 * audit.read: the last entries of the node's audit log, oldest first,
 * for `pier audit`. Admin only (the catalogue says so); reading it is
 * not itself audited, as it changes nothing. A reply holds what fits one
 * message (1 MiB): asked for more, it keeps the newest and says
 * truncated.
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"

#define AUDIT_TAIL_DEFAULT	100
/* Room for entries in one reply, under PROTO_MSG_MAX with margin. */
#define AUDIT_REPLY_MAX		(PROTO_MSG_MAX - 64 * 1024)

/*
 * Keeps the newest entries whose JSON fits one reply (steals entries,
 * returns a new reference); *cut says whether older ones were dropped.
 */
static json_t *
audit_fit(json_t *entries, int *cut)
{
	json_t	*kept;	/* owned */
	size_t	 n = json_array_size(entries), i, total = 0, from = n;

	*cut = 0;
	while (from > 0) {
		total += json_dumpb(json_array_get(entries, from - 1), NULL, 0,
		    JSON_COMPACT) + 1;
		if (total > AUDIT_REPLY_MAX) {
			*cut = 1;
			break;
		}
		from--;
	}
	if (from == 0)
		return (entries);
	kept = json_array();
	for (i = from; kept != NULL && i < n; i++)
		(void)json_array_append(kept, json_array_get(entries, i));
	json_decref(entries);
	return (kept);
}

/* audit.read. */
enum cmd_retval
cmd_audit_read(struct cmd_req *r)
{
	json_t		*entries;	/* owned */
	char		*cause = NULL;
	long long	 tail, since;
	int		 err, cut;

	tail = proto_param_int(r->params, "tail", AUDIT_TAIL_DEFAULT);
	since = proto_param_int(r->params, "since", 0);
	err = node_audit_read(&r->node->audit, (size_t)tail, (int64_t)since,
	    &entries, &cause);
	if (err != 0) {
		(void)cmd_fail(r, PROTO_E_HOST, "%s", cause != NULL ? cause :
		    strerror(-err));
		free(cause);
		return (CMD_ERROR);
	}
	entries = audit_fit(entries, &cut);
	return (cmd_reply(r, json_pack("{s:o, s:b}", "entries", entries,
	    "truncated", cut)));
}
