/*
 * `pier stack logs`: a stack's logs merged from its containers' by the
 * node (logs.select, the machinery of `pier logs NODE/ --filter`):
 * stack.ps says whether it is a compose stack or a swarm one, and
 * logs.select then takes every container carrying the stack's label,
 * those that start later too with -f, ordered by the engine's
 * timestamps, each line after its container's name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-stack.h"

/* The label that marks the containers of a stack of this type. */
static const char *
stack_label(const char *type)
{
	return (type != NULL && strcmp(type, "swarm") == 0 ?
	    "com.docker.stack.namespace" : "com.docker.compose.project");
}

/* Prints the logs of a stack (see cli-stack.h). */
int
cli_stack_logs(const struct cli_cmd *self, const char *node,
    const char *name, int follow, long long tail)
{
	struct cli_logs_how	 how;
	struct cli_link		 l;
	json_t			*res = NULL, *p;	/* owned */
	const char		*type;
	char			*filter = NULL, *target = NULL;
	int			 rc;

	rc = cli_link_open(self, &l, node);
	if (rc != CLI_EXIT_OK)
		return (rc);
	rc = cli_link_call(self, &l, "stack.ps", json_pack("{s:s}", "name",
	    name), &res);
	node = cli_rpc_node(l.r);
	if (rc == CLI_EXIT_OK) {
		type = json_string_value(json_object_get(json_array_get(
		    json_object_get(res, "containers"), 0), "type"));
		if (asprintf(&filter, "label=%s=%s", stack_label(type),
		    name) < 0 || asprintf(&target, "%s/", node) < 0)
			rc = cli_error(self, "out of memory");
	}
	json_decref(res);
	p = rc == CLI_EXIT_OK ? json_pack("{s:[s], s:b, s:b}", "filters",
	    filter, "all", 1, "follow", follow) : NULL;
	if (p != NULL && tail >= 0)
		(void)json_object_set_new(p, "tail", json_integer(tail));
	if (p != NULL) {
		memset(&how, 0, sizeof(how));
		how.follow = follow;
		how.prefix = 1;
		how.filters = 1;
		rc = cli_logs_multi(self, &l.x, p, 1, &target, &how);
	}
	json_decref(p);
	free(filter);
	free(target);
	cli_link_close(&l);
	return (rc);
}
