/*
 * Private to the container model (model.c keeps it current, model-ask.c
 * answers from it): the model, a refresh in flight and a waiting caller.
 */
#ifndef PIER_NODE_MODEL_INT_H
#define PIER_NODE_MODEL_INT_H

#include <sys/queue.h>

#include "node.h"

#define MODEL_WAIT_MS		250	/* a listing waits for refreshes */

/* A container being refreshed: listed by id (or given), then inspected. */
struct mref {
	struct node_model	*m;
	TAILQ_ENTRY(mref)	 entry;
	char			 id[72];
	uint64_t		 op;	/* m->ops when it left */
	uint64_t		 gen;	/* m->gen when it was made */
	json_t			*sum;	/* owned; NULL: list it by id first */
	struct dk_req		*req;	/* out, or NULL */
	int			 started;
	int			 touched; /* asked by the node's own call */
};

/* A caller waiting for the refreshes out to come back. */
struct mwait {
	TAILQ_ENTRY(mwait)	 entry;
	struct cmd_req		*r;
	node_model_cb		 cb;
	void			*arg;
};

TAILQ_HEAD(mref_list, mref);
TAILQ_HEAD(mwait_list, mwait);

/* The model of one engine. */
struct node_model {
	struct node		*n;
	struct dk_client	*dk;
	enum node_model_state	 state;
	json_t			*ctrs;	/* owned: id -> summary */
	json_t			*busy;	/* owned: id -> 1 out, 2 out again */
	struct mref_list	 refs;	/* out first, then queued */
	unsigned		 out;	/* refreshes out */
	unsigned		 touched; /* of those queued or out, touched */
	struct mwait_list	 waits;
	struct dk_stream	*ev;
	struct dk_req		*list;	/* a list of every container, or NULL */
	int			 list_full; /* it inspects every container */
	int			 list_again; /* list once more when it is back */
	uint64_t		 list_op; /* its stamp */
	struct dk_req		*check;	/* GET /info, or NULL */
	uv_timer_t		 timer;	/* retry or check */
	uv_timer_t		 wait_timer;
	uint64_t		 ops;	/* requests stamped */
	uint64_t		 gen;	/* rebuilds: older replies are dropped */
	unsigned		 retry_ms;
	int			 mismatch;
	int			 closing;
	unsigned		 handles; /* open uv handles */
	unsigned		 pending; /* streams, lists, checks out */
	struct node_model_stats	 st;
};

/* Answers every waiter: from the model when ok, else from the engine. */
void	node_model__wake(struct node_model *m);

#endif
