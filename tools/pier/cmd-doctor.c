/*
 * `pier doctor [NODE] [--json]`: how this client reaches a node. Every
 * candidate address (the one that answered last, the join key's hints:
 * direct, mapped, relays; and the node's answers on the LAN and its
 * announces on the DHT, asked for first) is dialed on its own, all at
 * once, and reported with how it was found (cache, hint, lan, dht) and
 * how long its handshake took or why it failed; then the client
 * connects as every command does (first handshake wins) and tells the
 * path it took, the round trip (the best of three pings) and what the
 * node says of its own reachability (node.reach). A relayed connection
 * first tries to move to a direct path (rpc-move.c), and the report
 * says whether it did and after how long.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"

#define PINGS	3
#define MOVE_WAIT_MS	15000	/* a relayed path's move to a direct one */

/* A relayed connection's move to a direct path. */
struct move {
	int	 tried;
	int	 moved;
	double	 ms;		/* after the connection opened */
	char	*from;		/* the relayed address */
	char	*why;
};

/* One candidate dialed on its own. */
struct probe {
	const char	*addr;
	const char	*found;		/* cache, hint, lan, dht */
	enum ovl_path	 path;
	uint64_t	 start;
	double		 ms;
	int		 done;
	int		 status;
	char		*cause;
};

#define CLI_FOUND_MAX	(OVL_LAN_PORTS_MAX + 8)

/* A timer that only wakes the loop. */
static void
on_tick(uv_timer_t *t)
{
	(void)t;
}

/* Answers on the LAN and the DHT, for the probe window. */
struct lanfind {
	char	 addrs[CLI_FOUND_MAX][OVL_ADDR_MAX + 8];
	size_t	 n;
};

/* The LAN or the DHT gave an address. */
static void
on_found(const char *cand, void *arg)
{
	struct lanfind *lf = arg;
	size_t i;

	for (i = 0; i < lf->n; i++)
		if (strcmp(lf->addrs[i], cand) == 0)
			return;
	if (lf->n < CLI_FOUND_MAX)
		snprintf(lf->addrs[lf->n++], sizeof lf->addrs[0], "%s", cand);
}

/* Asks the LAN and the DHT for the node until both are done; fills lf. */
static void
find_around(struct cli_ctx *x, const struct ovl_joinkey *jk,
    struct lanfind *lf)
{
	struct cli_find *f;
	uv_timer_t t;

	f = cli_find_collect(&x->loop, jk, on_found, lf);
	if (f == NULL)
		return;
	(void)uv_timer_init(&x->loop, &t);
	while (!cli_find_over(f)) {
		/* A tick keeps the loop awake while nothing else is due. */
		(void)uv_timer_start(&t, on_tick, 50, 0);
		(void)uv_run(&x->loop, UV_RUN_ONCE);
	}
	cli_find_stop(f);
	uv_close((uv_handle_t *)&t, NULL);
	(void)uv_run(&x->loop, UV_RUN_NOWAIT);
}

/* Whether addr is a candidate already (the address that last answered). */
static int
listed(const struct probe *ps, size_t n, const char *addr)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(ps[i].addr, addr) == 0)
			return (1);
	return (0);
}

/* How the address in use was found: its candidate's, else a hint. */
static const char *
found_by(const struct probe *ps, size_t n, const char *addr)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(ps[i].addr, addr) == 0)
			return (ps[i].found);
	return (strncmp(addr, "dht+", 4) == 0 ? "dht" : strncmp(addr, "lan+",
	    4) == 0 ? "lan" : "hint");
}

/* The pings on the connection in use. */
struct pings {
	int	 left;
	int	 failed;
	double	 best;
};

static int	doctor_main(const struct cli_cmd *, int, char **);

static const struct cli_opt doctor_opts[] = {
	{ .name = "json", .help = "print the report as JSON" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_doctor = {
	.name = "doctor",
	.main = doctor_main,
	.opts = doctor_opts,
	.args_max = 1,
	.usage = "[NODE] [--json]",
	.summary = "tell how this client reaches a node: every candidate, the "
	"path in use, the node's own view",
	.help =
	    "  NODE            a joined node (optional when only one is "
	    "joined)\n"
	    "The candidates are the address that answered last (cache), the "
	    "join key's\nhints (hint), what answers on the LAN within 1.5 s "
	    "(lan) and what the\nnode announced on the DHT (dht, within "
	    "6 s).\n"
	    "Paths: direct (an address the node listens on), lan (found on "
	    "the local\nnetwork), mapped (a port its router forwards), relay "
	    "(spliced by a relay\nthe node keeps a link to), dht (an address "
	    "the DHT gave), punched (a hole\npunch after a knock on the DHT: "
	    "both sides connected at once).\n",
};

/* A candidate's dial ended. */
static void
on_probe(struct ovl_dial *d, struct ovl_conn *conn, int status,
    const char *cause, void *arg)
{
	struct probe *p = arg;

	(void)d;
	p->done = 1;
	p->status = status;
	p->ms = (double)(uv_hrtime() - p->start) / 1e6;
	if (cause != NULL)
		p->cause = strdup(cause);
	if (conn != NULL)
		ovl_conn_close(conn, OVL_GA_NORMAL, "doctor");
}

/* Dials every candidate on its own, all at once, until all are done. */
static void
probe_all(struct cli_ctx *x, const struct ovl_joinkey *jk,
    struct probe *ps, size_t n)
{
	struct ovl_dial_cfg cfg;
	char name[OVL_HS_NAME_MAX + 1];
	size_t i, done;

	memset(&cfg, 0, sizeof cfg);
	cfg.timeout_ms = CLI_TIMEOUT_MS;
	ovl_limits_default(&cfg.lim);
	cli_client_name(name, sizeof name);
	for (i = 0; i < n; i++) {
		ps[i].start = uv_hrtime();
		if (ovl_path_split(ps[i].addr, &ps[i].path) == NULL ||
		    ovl_dial(&x->loop, &x->id, jk->node_pub, jk->secret,
		    &ps[i].addr, 1, name, &cfg, on_probe, &ps[i], NULL) != 0) {
			ps[i].done = 1;
			ps[i].status = -EINVAL;
			ps[i].cause = strdup("not a usable address");
		}
	}
	do {
		for (i = done = 0; i < n; i++)
			done += ps[i].done;
	} while (done < n && uv_run(&x->loop, UV_RUN_ONCE) != 0);
}

/* A ping's reply. */
static void
on_pong(struct ovl_conn *c, int status, uint64_t rtt_us, void *arg)
{
	struct pings *p = arg;
	double ms = (double)rtt_us / 1000.0;

	(void)c;
	p->left--;
	if (status != 0)
		p->failed = 1;
	else if (p->best < 0 || ms < p->best)
		p->best = ms;
}

/* The best of PINGS round trips, or -1. */
static double
best_rtt(struct cli_ctx *x, struct ovl_conn *c)
{
	struct pings p = { 0, 0, -1 };
	int i;

	for (i = 0; i < PINGS; i++) {
		if (ovl_conn_ping(c, on_pong, &p) != 0)
			break;
		p.left++;
		while (p.left > 0 && uv_run(&x->loop, UV_RUN_ONCE) != 0)
			;
	}
	return (p.best);
}

/* Milliseconds as JSON, to the microsecond. */
static json_t *
ms_json(double ms)
{
	return (json_real((double)(int64_t)(ms * 1000.0 + 0.5) / 1000.0));
}

/* The candidates as JSON. */
static json_t *
probes_json(const struct probe *ps, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		(void)json_array_append_new(a, json_pack("{s:s, s:s, s:s, "
		    "s:b, s:o, s:s?}", "address", ps[i].addr, "found",
		    ps[i].found, "path",
		    ovl_path_name(ps[i].path), "ok", ps[i].status == 0, "ms",
		    ms_json(ps[i].ms), "error", ps[i].status == 0 ? NULL :
		    ps[i].cause));
	return (a);
}

/* A string member or a dash. */
static const char *
str_or(const json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));

	return (s != NULL ? s : def);
}

/* Prints the node's side of node.reach. */
static void
print_reach(const json_t *reach)
{
	const json_t *v, *m;
	size_t i;

	printf("the node says:\n");
	json_array_foreach(json_object_get(reach, "listen"), i, v)
		printf("  listening   %s\n", json_string_value(v));
	printf("  public      %s\n", str_or(reach, "public",
	    "unknown (no relay link up)"));
	m = json_object_get(reach, "mapping");
	if (json_is_object(m))
		printf("  mapping     %s %s:%lld (%s)\n", str_or(m, "protocol",
		    "-"), str_or(m, "public_ip", "-"), (long long)
		    json_integer_value(json_object_get(m, "public_port")),
		    json_is_string(json_object_get(reach, "mapped")) ?
		    "verified" : "not verified");
	else
		printf("  mapping     none\n");
	v = json_object_get(reach, "dht");
	if (json_is_object(v))
		printf("  dht         UDP %lld, %s, %lld nodes, seen at %s%s\n",
		    (long long)json_integer_value(json_object_get(v, "port")),
		    str_or(v, "state", "?"), (long long)json_integer_value(
		    json_object_get(v, "nodes")), str_or(v, "external", "?"),
		    json_is_true(json_object_get(v, "symmetric")) ?
		    " (symmetric NAT)" : "");
	json_array_foreach(json_object_get(reach, "relays"), i, v)
		printf("  relay link  %s %s: %s%s%s\n", str_or(v, "name", "?"),
		    str_or(v, "address", "?"), str_or(v, "state", "?"),
		    json_is_string(json_object_get(v, "error")) ? ", " : "",
		    str_or(v, "error", ""));
	v = json_object_get(reach, "relaying");
	printf("  relaying    %lld links, %lld clients now\n",
	    (long long)json_integer_value(json_object_get(v, "links")),
	    (long long)json_integer_value(json_object_get(v, "splices")));
}

/* Prints the report for people. */
static void
print_text(const char *node, const struct probe *ps, size_t n,
    const char *addr, const char *found, enum ovl_path path, double rtt,
    const struct move *mv, const json_t *reach, const char *why)
{
	size_t i;

	printf("candidates of %s:\n", node);
	for (i = 0; i < n; i++) {
		if (ps[i].status == 0)
			printf("  %-34s %-5s %-7s ok      %8.1f ms\n",
			    ps[i].addr, ps[i].found, ovl_path_name(ps[i].path),
			    ps[i].ms);
		else
			printf("  %-34s %-5s %-7s failed  %8.1f ms  %s\n",
			    ps[i].addr, ps[i].found, ovl_path_name(ps[i].path),
			    ps[i].ms, ps[i].cause != NULL ? ps[i].cause : "");
	}
	if (addr == NULL) {
		printf("path: none: %s\n", why != NULL ? why : "no answer");
		return;
	}
	printf("path: %s, %s, found by %s, round trip %.2f ms\n",
	    ovl_path_name(path), addr, found, rtt);
	if (mv->moved)
		printf("moved: from relay %s to punched %.1f s after it "
		    "opened\n", mv->from, mv->ms / 1000);
	else if (mv->tried)
		printf("moved: no, stays on the relay (%s)\n", mv->why);
	if (reach != NULL)
		print_reach(reach);
}

/* `pier doctor [NODE] [--json]`. */
static int
doctor_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args a;
	struct cli_ctx x;
	struct cli_node *n;
	struct cli_rpc *r = NULL;
	struct cli_rpc_error e;
	struct ovl_joinkey jk;
	struct probe ps[CLI_ADDRS_MAX + CLI_FOUND_MAX];
	struct lanfind lf;
	struct move mv;
	const char *addrs[CLI_ADDRS_MAX], *why;
	enum ovl_path path = OVL_PATH_DIRECT;
	const char *found = "hint";
	json_t *reach = NULL, *o;
	char *cause = NULL, *addr = NULL;
	double rtt = -1;
	size_t naddrs = 0, i;
	int rc, json;

	rc = cli_args_parse(self, argc, argv, &a);
	if (rc >= 0)
		return (rc);
	json = cli_args_get(self, &a, "json") != NULL;
	memset(&e, 0, sizeof e);
	memset(ps, 0, sizeof ps);
	memset(&jk, 0, sizeof jk);
	memset(&lf, 0, sizeof lf);
	memset(&mv, 0, sizeof mv);
	if (cli_ctx_open(&x, &cause) != 0) {
		cli_error(self, "%s", cause);
		free(cause);
		cli_args_free(&a);
		return (CLI_EXIT_FAIL);
	}
	rc = CLI_EXIT_FAIL;
	n = cli_book_pick(&x.book, a.argc > 0 ? a.argv[0] : NULL, &cause);
	if (n == NULL || cli_node_target(n, &jk, addrs, &naddrs,
	    &cause) != 0) {
		cli_error(self, "%s", cause);
		goto out;
	}
	find_around(&x, &jk, &lf);
	for (i = 0; i < naddrs; i++) {
		ps[i].addr = addrs[i];
		ps[i].found = i == 0 && n->addr != NULL ? "cache" : "hint";
	}
	for (i = 0; i < lf.n; i++)
		if (!listed(ps, naddrs, lf.addrs[i])) {
			ps[naddrs].found = strncmp(lf.addrs[i], "dht+", 4) ==
			    0 ? "dht" : "lan";
			ps[naddrs++].addr = lf.addrs[i];
		}
	probe_all(&x, &jk, ps, naddrs);
	if (cli_rpc_open(&x, n->name, &r, &cause) == 0) {
		addr = strdup(ovl_conn_peer(cli_rpc_conn(r)));
		found = found_by(ps, naddrs, addr);
		path = ovl_conn_path(cli_rpc_conn(r));
		if (path == OVL_PATH_RELAY) {	/* a direct path, now? */
			mv.tried = 1;
			mv.moved = cli_rpc_move_now(r, MOVE_WAIT_MS, &why,
			    &mv.ms) == 0;
			mv.why = strdup(why);
		}
		if (mv.moved && cli_rpc_conn(r) != NULL) {
			mv.from = addr;
			addr = strdup(ovl_conn_peer(cli_rpc_conn(r)));
			path = ovl_conn_path(cli_rpc_conn(r));
		}
		rtt = best_rtt(&x, cli_rpc_conn(r));
		if (cli_rpc_call(r, "node.reach", NULL, 0, &reach, &e) != 0)
			reach = NULL;	/* an older node: no node.reach */
		rc = CLI_EXIT_OK;
	}
	if (json) {
		o = json_pack("{s:s, s:s?, s:s?, s:s?, s:o, s:o, s:o, s:O?, "
		    "s:s?}", "node", n->name, "path", addr != NULL ?
		    ovl_path_name(path) : NULL, "address", addr, "found",
		    addr != NULL ? found : NULL, "rtt_ms", rtt >= 0 ? ms_json(rtt) :
		    json_null(), "candidates", probes_json(ps, naddrs), "moved",
		    !mv.tried ? json_null() : json_pack("{s:b, s:s?, s:o, s:s}",
		    "moved", mv.moved, "from", mv.from, "after_ms", mv.moved ?
		    ms_json(mv.ms) : json_null(), "why", mv.why != NULL ?
		    mv.why : ""), "reach", reach, "error", addr == NULL ?
		    cause : NULL);
		if (o != NULL && json_dumpf(o, stdout, JSON_INDENT(2)) == 0)
			putchar('\n');
		json_decref(o);
	} else
		print_text(n->name, ps, naddrs, addr, found, path, rtt, &mv,
		    reach, cause);
	if (addr == NULL)
		cli_error(self, "%s: %s", n->name, cause != NULL ? cause :
		    "no answer");
out:
	if (r != NULL)
		cli_rpc_close(r);
	for (i = 0; i < naddrs; i++)
		free(ps[i].cause);
	json_decref(reach);
	cli_rpc_error_clear(&e);
	sodium_memzero(&jk, sizeof jk);
	free(addr);
	free(mv.from);
	free(mv.why);
	free(cause);
	cli_ctx_close(&x);
	cli_args_free(&a);
	return (rc);
}
