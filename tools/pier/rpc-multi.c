/*
 * One method on many nodes at once (cli_rpc_multi), for `pier ps`,
 * `pier sessions` and friends: every node is dialed at the same time
 * through rpc.c's connections, the call goes out on each as soon as its
 * handshake is done, and one timer bounds the whole run, so one slow or
 * dead node never holds up the others. Each node's answer, or why it has
 * none (could not dial, connection lost, no answer in time), lands in
 * its own entry of the result, in address-book order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rpc-int.h"

/* State of a cli_rpc_multi run. */
struct multi {
	struct cli_ctx		*x;
	struct cli_multi	*res;
	struct cli_rpc		**rpcs;
	size_t			 n, left;
	const char		*method;
	const json_t		*params;
	long			 timeout_ms;
	uv_timer_t		 timer;
};

/* One node's answer came (or its failure). */
static void
multi_done(struct multi *mu, size_t i)
{
	if (mu->rpcs[i] != NULL) {
		cli_rpc_close(mu->rpcs[i]);
		mu->rpcs[i] = NULL;
		mu->left--;
	}
}

/* Index of an rpc in a multi run. */
static size_t
multi_index(struct multi *mu, struct cli_rpc *r)
{
	size_t	i;

	for (i = 0; i < mu->n && mu->rpcs[i] != r; i++)
		;
	return (i);
}

/* A node answered the call. */
static void
on_multi_reply(struct cli_rpc *r, const json_t *result,
    const struct cli_rpc_error *err, void *arg)
{
	struct multi	*mu = arg;
	size_t		 i = multi_index(mu, r);

	if (i == mu->n)
		return;
	if (err == NULL) {
		/* The reply is freed after this call: keep its result. */
		mu->res[i].result = json_incref((json_t *)result);
		mu->res[i].status = 0;
	} else {
		cli__rpc_err_copy(&mu->res[i].err, err);
		mu->res[i].status = err->code != 0 ? -EREMOTEIO :
		    -ECONNRESET;
	}
	multi_done(mu, i);
}

/* A node's dial finished: call the method on it. */
static void
on_multi_dialed(struct cli_rpc *r, void *arg)
{
	struct multi	*mu = arg;
	size_t		 i = multi_index(mu, r);
	int		 err;

	if (i == mu->n)
		return;
	if (r->dial_status != 0) {
		mu->res[i].status = r->dial_status;
		cli__rpc_err_local(&mu->res[i].err, CLI_RPC_LOST, "%s",
		    r->dial_cause != NULL ? r->dial_cause :
		    strerror(-r->dial_status));
		multi_done(mu, i);
		return;
	}
	err = cli_rpc_call_async(r, mu->method, mu->params != NULL ?
	    json_deep_copy(mu->params) : NULL, mu->timeout_ms, on_multi_reply,
	    mu);
	if (err != 0) {
		mu->res[i].status = r->closed ? -ECONNABORTED : err;
		if (r->closed && r->close_reason != NULL)
			cli__rpc_err_local(&mu->res[i].err, CLI_RPC_LOST, "%s",
			    r->close_reason);
		else
			cli__rpc_err_local(&mu->res[i].err, CLI_RPC_LOST,
			    "cannot send the request: %s", strerror(-err));
		multi_done(mu, i);
	}
}

/* The time is up: every node still out is unreachable. */
static void
on_multi_timeout(uv_timer_t *t)
{
	struct multi	*mu = container_of(t, struct multi, timer);
	size_t		 i;

	for (i = 0; i < mu->n; i++) {
		if (mu->rpcs[i] == NULL)
			continue;
		mu->res[i].status = -ETIMEDOUT;
		cli__rpc_err_local(&mu->res[i].err, CLI_RPC_TIMEOUT,
		    "no answer within %lds", (mu->timeout_ms + 999) / 1000);
		mu->rpcs[i]->on_dialed = NULL;
		multi_done(mu, i);
	}
}

/* Frees the answers of cli_rpc_multi. */
void
cli_multi_free(struct cli_multi *m, size_t n)
{
	size_t	i;

	for (i = 0; m != NULL && i < n; i++) {
		free(m[i].node);
		json_decref(m[i].result);
		cli_rpc_error_clear(&m[i].err);
	}
	free(m);
}

/* Calls one method on many nodes at once. */
int
cli_rpc_multi(struct cli_ctx *x, const char *const *names, size_t n,
    const char *method, const json_t *params, long timeout_ms,
    struct cli_multi **out, size_t *nout, char **cause)
{
	struct multi	 mu;
	struct cli_node	*node;
	size_t		 i;
	int		 err;

	*out = NULL;
	*nout = 0;
	for (i = 0; i < n; i++) {
		if (cli_book_find(&x->book, names[i]) == NULL)
			return (cli__rpc_cause(cause, -ENOENT, "no node named "
			    "%s (see 'pier nodes')", names[i]));
	}
	if (n == 0 && x->book.n == 0)
		return (cli__rpc_cause(cause, -ENOENT, "no node joined yet "
		    "(pier join KEY)"));
	memset(&mu, 0, sizeof(mu));
	mu.x = x;
	mu.n = n > 0 ? n : x->book.n;
	mu.method = method;
	mu.params = params;
	mu.timeout_ms = timeout_ms > 0 ? timeout_ms : CLI_MULTI_TIMEOUT_MS;
	mu.res = calloc(mu.n, sizeof(*mu.res));
	mu.rpcs = calloc(mu.n, sizeof(*mu.rpcs));
	if (mu.res == NULL || mu.rpcs == NULL) {
		free(mu.res);
		free(mu.rpcs);
		return (-ENOMEM);
	}
	for (i = 0; i < mu.n; i++) {
		node = n > 0 ? cli_book_find(&x->book, names[i]) :
		    &x->book.nodes[i];
		mu.res[i].node = strdup(node->name);
		err = cli__rpc_start(x, node, mu.timeout_ms, &mu.rpcs[i],
		    &mu.res[i].err.message);
		if (err != 0) {
			mu.res[i].status = err;
			mu.res[i].err.local = CLI_RPC_LOST;
			mu.res[i].err.name = strdup("connection");
			mu.rpcs[i] = NULL;
			continue;
		}
		mu.rpcs[i]->on_dialed = on_multi_dialed;
		mu.rpcs[i]->dial_arg = &mu;
		mu.left++;
	}
	(void)uv_timer_init(&x->loop, &mu.timer);
	(void)uv_timer_start(&mu.timer, on_multi_timeout,
	    (uint64_t)mu.timeout_ms, 0);
	while (mu.left > 0 && uv_run(&x->loop, UV_RUN_ONCE) != 0)
		;
	uv_close((uv_handle_t *)&mu.timer, NULL);
	uv_run(&x->loop, UV_RUN_NOWAIT);
	free(mu.rpcs);
	*out = mu.res;
	*nout = mu.n;
	return (0);
}
