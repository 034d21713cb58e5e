/*
 * audit.read: the last entries of the node's audit log, oldest first,
 * for `pier audit`. Admin only (the catalogue says so); reading it is
 * not itself audited, as it changes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"

#define AUDIT_TAIL_DEFAULT	100

/* audit.read. */
enum cmd_retval
cmd_audit_read(struct cmd_req *r)
{
	json_t		*entries;	/* owned */
	char		*cause = NULL;
	long long	 tail, since;
	int		 err;

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
	return (cmd_reply(r, json_pack("{s:o}", "entries", entries)));
}
