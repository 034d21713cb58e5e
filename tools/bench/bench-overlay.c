/*
 * Benchmarks of the overlay, run by hand (results in docs/PERFORMANCE.md):
 *
 *   handshakes   full Noise_IKpsk1 handshakes per second on one core, in
 *                process: client message 1, node answer (one access
 *                secret, or -k of them with the client's the last the
 *                node tries), client finish.
 *   seal         sealing and opening records in memory, one core (MB/s
 *                of plaintext), to separate crypto from the network.
 *   loopback     record-layer throughput over TCP on 127.0.0.1: a node on
 *                one thread and loop, a client on another, one channel,
 *                credit windows and all (MB/s of channel data).
 *
 * Usage: bench-overlay [-H] [-k SECRETS] [-n HANDSHAKES] [-m MEGABYTES]
 * (-H: the handshakes alone)
 */
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "overlay.h"

#define CHUNK	(64 * 1024)

#define container_of(ptr, type, member)					\
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Seconds since some fixed point. */
static double
now_s(void)
{
	return ((double)uv_hrtime() / 1e9);
}

/* CPU seconds used by the whole process. */
static double
proc_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* CPU seconds used by this thread (steady under a loaded machine). */
static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* Runs n handshakes against a node holding k secrets; prints the rate. */
static void
bench_handshakes(int n, int k)
{
	struct ovl_identity node, client;
	struct ovl_hs_client *hs;
	struct ovl_hs_keys cs, ns;
	struct ovl_hello hello;
	uint8_t (*psk)[OVL_KEY_LEN], m1[OVL_HS_MSG_MAX], m2[OVL_HS_MSG_MAX];
	size_t l1, l2, which;
	double t0, dt, tn, node_s = 0, c0, dc;
	int i, rc;

	if ((psk = calloc((size_t)k, sizeof(*psk))) == NULL)
		exit(1);
	ovl_identity_generate(&node);
	ovl_identity_generate(&client);
	randombytes_buf(psk, (size_t)k * sizeof(*psk));
	t0 = now_s();
	c0 = cpu_s();
	for (i = 0; i < n; i++) {
		if (ovl_hs_client_begin(&hs, &client, node.pub, psk[k - 1],
		    "bench", 1000 + (uint64_t)i, m1, &l1) != 0)
			exit(1);
		tn = cpu_s();
		rc = ovl_hs_node_respond(&node, (const uint8_t (*)[OVL_KEY_LEN])
		    psk, (size_t)k, m1, l1, &hello, &which, m2, &l2, &ns);
		node_s += cpu_s() - tn;
		if (rc != 0 || which != (size_t)k - 1 ||
		    ovl_hs_client_finish(hs, m2, l2, &cs) != 0) {
			fprintf(stderr, "handshake %d failed\n", i);
			exit(1);
		}
		ovl_hs_client_free(hs);
		ovl_hs_keys_clear(&cs);
		ovl_hs_keys_clear(&ns);
	}
	dt = now_s() - t0;
	dc = cpu_s() - c0;
	printf("handshakes: %d in %.3f s wall, %.3f s CPU: %.0f per CPU "
	    "second, %.1f us CPU each (both sides, one core, %d secret%s)\n",
	    n, dt, dc, n / dc, dc * 1e6 / n, k, k == 1 ? "" : "s");
	printf("node side alone: %.0f answers per CPU second, %.1f us "
	    "each\n", n / node_s, node_s * 1e6 / n);
	free(psk);
}

/* Seals and opens mb megabytes of full records in memory. */
static void
bench_seal(int mb)
{
	static uint8_t pt[OVL_REC_PT_MAX], wire[OVL_REC_SEAL_MAX(
	    OVL_REC_PT_MAX)];
	struct ovl_rec a, b;
	struct ovl_cipher c1, c2;
	uint8_t k[OVL_KEY_LEN] = { 1 };
	const uint8_t *msg;
	size_t n, used, mlen, total = 0, goal = (size_t)mb << 20;
	double t0, dt;

	if (ovl_rec_init(&a, NULL) != 0 || ovl_rec_init(&b, NULL) != 0)
		exit(1);
	ovl_cipher_init(&c1, k);
	ovl_cipher_init(&c2, k);
	ovl_rec_start(&a, &c1, &c2, 0);
	ovl_rec_start(&b, &c2, &c1, 0);
	t0 = cpu_s();
	while (total < goal) {
		if (ovl_rec_seal(&a, 0, pt, sizeof pt, wire, &n) != 0 ||
		    ovl_rec_feed(&b, wire, n, &used, &msg, &mlen) != 0 ||
		    msg == NULL)
			exit(1);
		total += mlen;
	}
	dt = cpu_s() - t0;
	printf("seal+open in memory: %zu MB in %.3f CPU s: %.0f MB/s per "
	    "core (sealing and opening)\n", total >> 20, dt,
	    (double)total / 1048576.0 / dt);
	ovl_rec_clear(&a);
	ovl_rec_clear(&b);
}

/* The node's side of the loopback run. */
struct node_side {
	uv_loop_t		 loop;
	uv_async_t		 stop;
	struct ovl_identity	 id;
	struct ovl_keystore	*ks;
	struct ovl_server	*srv;
	int			 port;
	size_t			 got;
};

/* The client's side. */
struct client_side {
	uv_loop_t		 loop;
	struct node_side	*node;
	struct ovl_conn		*conn;
	struct ovl_chan		*ch;
	size_t			 goal;
	size_t			 sent;
	double			 t0;
	double			 t1;
	int			 done;
};

static uint8_t payload[CHUNK];

/* Node: count channel bytes; finish after the client. */
static void
node_data(struct ovl_chan *c, const uint8_t *buf, size_t len, void *arg)
{
	struct node_side *n = arg;

	(void)buf;
	if (len == 0)
		(void)ovl_chan_close(c);
	n->got += len;
}

static const struct ovl_chan_cbs node_chan_cbs = { node_data, NULL, NULL };

/* Node: a channel opened. */
static void
node_chan_open(struct ovl_conn *c, struct ovl_chan *ch, void *arg)
{
	(void)c;
	ovl_chan_set_cbs(ch, &node_chan_cbs, arg);
}

static const struct ovl_conn_cbs node_conn_cbs = { node_chan_open, NULL };

/* Node: a client authenticated. */
static int
node_auth(struct ovl_server *s, struct ovl_conn *c, const struct ovl_auth *a,
    void *arg)
{
	(void)s;
	(void)a;
	ovl_conn_set_cbs(c, &node_conn_cbs, arg);
	return (0);
}

/* Node: stop asked from the client thread. */
static void
node_stop(uv_async_t *h)
{
	struct node_side *n = container_of(h, struct node_side, stop);

	ovl_server_close(n->srv, NULL, NULL);
	uv_close((uv_handle_t *)h, NULL);
}

/* The node's thread. */
static void
node_thread(void *arg)
{
	struct node_side *n = arg;

	(void)uv_run(&n->loop, UV_RUN_DEFAULT);
}

/* Client: keep the channel's queue topped up. */
static void
client_fill(struct client_side *c)
{
	while (c->sent < c->goal && ovl_chan_queued(c->ch) < 4 * CHUNK) {
		if (ovl_chan_write(c->ch, payload, CHUNK) != 0)
			break;
		c->sent += CHUNK;
	}
	if (c->sent >= c->goal)
		(void)ovl_chan_close(c->ch);
}

/* Client: the queue drained. */
static void
client_drain(struct ovl_chan *ch, void *arg)
{
	(void)ch;
	client_fill(arg);
}

/* Client: the node finished too, so it has every byte. */
static void
client_data(struct ovl_chan *ch, const uint8_t *buf, size_t len, void *arg)
{
	struct client_side *c = arg;

	(void)ch;
	(void)buf;
	if (len == 0) {
		c->t1 = now_s();
		c->done = 1;
		ovl_conn_close(c->conn, OVL_GA_NORMAL, "done");
	}
}

static const struct ovl_chan_cbs client_chan_cbs = { client_data,
    client_drain, NULL };

/* Client: dialed. */
static void
client_dialed(struct ovl_dial *d, struct ovl_conn *conn, int status,
    const char *cause, void *arg)
{
	struct client_side *c = arg;

	(void)d;
	if (status != 0) {
		fprintf(stderr, "dial: %s\n", cause);
		exit(1);
	}
	c->conn = conn;
	if (ovl_conn_chan_open(conn, &c->ch) != 0)
		exit(1);
	ovl_chan_set_cbs(c->ch, &client_chan_cbs, c);
	c->t0 = now_s();
	client_fill(c);
}

/* Removes one file of the temporary state folder. */
static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return (remove(path));
}

/* Sends mb megabytes over loopback TCP between two threads. */
static void
bench_loopback(int mb)
{
	struct node_side n;
	struct client_side c;
	struct ovl_identity me;
	const struct ovl_access_key *key;
	struct ovl_server_cbs scbs = { .on_auth = node_auth };
	char dir[] = "/tmp/pier-bench-XXXXXX", addr[64], *cause = NULL;
	const char *addrs[1] = { addr };
	uv_thread_t th;
	double dt, c0, dc;

	memset(&n, 0, sizeof n);
	memset(&c, 0, sizeof c);
	if (mkdtemp(dir) == NULL || uv_loop_init(&n.loop) != 0 ||
	    uv_loop_init(&c.loop) != 0 ||
	    ovl_keystore_open(&n.ks, dir, &cause) != 0 ||
	    ovl_keystore_ensure_admin(n.ks, 1, &key, &cause) != 0) {
		fprintf(stderr, "setup: %s\n", cause ? cause : "failed");
		exit(1);
	}
	ovl_identity_generate(&n.id);
	ovl_identity_generate(&me);
	if (ovl_server_new(&n.loop, &n.id, n.ks, NULL, &scbs, &n,
	    &n.srv) != 0 ||
	    ovl_server_listen(n.srv, "127.0.0.1:0", &cause) != 0) {
		fprintf(stderr, "listen: %s\n", cause ? cause : "failed");
		exit(1);
	}
	(void)uv_async_init(&n.loop, &n.stop, node_stop);
	n.port = ovl_server_port(n.srv, 0);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", n.port);
	if (uv_thread_create(&th, node_thread, &n) != 0)
		exit(1);
	c.node = &n;
	c.goal = (size_t)mb << 20;
	c0 = proc_cpu_s();
	if (ovl_dial(&c.loop, &me, n.id.pub, key->secret, addrs, 1, "bench",
	    NULL, client_dialed, &c, NULL) != 0)
		exit(1);
	(void)uv_run(&c.loop, UV_RUN_DEFAULT);
	(void)uv_async_send(&n.stop);
	(void)uv_thread_join(&th);
	if (!c.done) {
		fprintf(stderr, "loopback run did not finish\n");
		exit(1);
	}
	dt = c.t1 - c.t0;
	dc = proc_cpu_s() - c0;
	printf("loopback TCP, one channel: %zu MB in %.3f s: %.0f MB/s "
	    "(node and client on two threads), %.0f MB per CPU second "
	    "(both ends and the kernel's share)\n", n.got >> 20, dt,
	    (double)n.got / 1048576.0 / dt, (double)n.got / 1048576.0 / dc);
	(void)uv_loop_close(&c.loop);
	(void)uv_loop_close(&n.loop);
	ovl_keystore_free(n.ks);
	(void)nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* Resident memory of the process in KiB. */
static long
rss_kib(void)
{
	long pages = 0, rss = 0;
	FILE *fp;

	fp = fopen("/proc/self/statm", "r");
	if (fp == NULL)
		return (0);
	if (fscanf(fp, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(fp);
	return (rss * 4);
}

/* The idle run: how many dials came back. */
struct idle_run {
	int		 done;
	int		 ok;
	struct ovl_conn	*conns[1024];
};

/* One idle connection is up. */
static void
idle_dialed(struct ovl_dial *d, struct ovl_conn *conn, int status,
    const char *cause, void *arg)
{
	struct idle_run *r = arg;

	(void)d;
	if (status != 0) {
		fprintf(stderr, "idle dial: %s\n", cause);
		exit(1);
	}
	r->conns[r->ok++] = conn;
	r->done++;
}

/* Holds n idle connections (node and client in this process). */
static void
bench_idle(int n)
{
	struct ovl_limits lim;
	struct ovl_identity node, me;
	struct ovl_keystore *ks;
	struct ovl_server *srv;
	struct ovl_server_cbs scbs = { .on_auth = node_auth };
	struct idle_run *r;
	const struct ovl_access_key *key;
	char dir[] = "/tmp/pier-bench-XXXXXX", addr[64], *cause = NULL;
	const char *addrs[1] = { addr };
	uv_loop_t loop;
	long before, after;
	int i;

	r = calloc(1, sizeof *r);
	if (r == NULL || n > 1024 || mkdtemp(dir) == NULL ||
	    uv_loop_init(&loop) != 0 ||
	    ovl_keystore_open(&ks, dir, &cause) != 0 ||
	    ovl_keystore_ensure_admin(ks, 1, &key, &cause) != 0)
		exit(1);
	ovl_identity_generate(&node);
	ovl_identity_generate(&me);
	ovl_limits_default(&lim);
	lim.max_conns = 2 * (uint32_t)n;
	lim.hs_rate = 100000;
	lim.hs_burst = 100000;
	if (ovl_server_new(&loop, &node, ks, &lim, &scbs, NULL, &srv) != 0 ||
	    ovl_server_listen(srv, "127.0.0.1:0", &cause) != 0)
		exit(1);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", ovl_server_port(srv, 0));
	/* one first, so that libraries and arenas are warm */
	if (ovl_dial(&loop, &me, node.pub, key->secret, addrs, 1, "idle",
	    NULL, idle_dialed, r, NULL) != 0)
		exit(1);
	while (r->done < 1)
		(void)uv_run(&loop, UV_RUN_ONCE);
	before = rss_kib();
	for (i = 1; i < n; i++) {
		usleep(1000);	/* message 1's clock must move */
		if (ovl_dial(&loop, &me, node.pub, key->secret, addrs, 1,
		    "idle", NULL, idle_dialed, r, NULL) != 0)
			exit(1);
		while (r->done < i + 1)
			(void)uv_run(&loop, UV_RUN_ONCE);
	}
	for (i = 0; i < 20; i++)
		(void)uv_run(&loop, UV_RUN_NOWAIT);
	after = rss_kib();
	printf("idle connections: %d open (both ends in this process): rss "
	    "%ld -> %ld KiB, %.1f KiB per connection pair\n", n, before,
	    after, (double)(after - before) / (n - 1));
	for (i = 0; i < r->ok; i++)
		ovl_conn_close(r->conns[i], OVL_GA_NORMAL, NULL);
	ovl_server_close(srv, NULL, NULL);
	(void)uv_run(&loop, UV_RUN_DEFAULT);
	(void)uv_loop_close(&loop);
	ovl_keystore_free(ks);
	(void)nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(r);
}

/* Runs the benchmarks. */
int
main(int argc, char **argv)
{
	int ch, n = 20000, mb = 1024, k = 1, only_hs = 0;

	while ((ch = getopt(argc, argv, "Hk:n:m:")) != -1) {
		switch (ch) {
		case 'H':
			only_hs = 1;
			break;
		case 'k':
			k = atoi(optarg);
			break;
		case 'n':
			n = atoi(optarg);
			break;
		case 'm':
			mb = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: bench-overlay [-H] [-k secrets] "
			    "[-n handshakes] [-m megabytes]\n");
			return (2);
		}
	}
	if (sodium_init() < 0 || n <= 0 || mb <= 0 || k <= 0)
		return (1);
	signal(SIGPIPE, SIG_IGN);
	bench_handshakes(n, k);
	if (only_hs)
		return (0);
	bench_seal(mb);
	bench_loopback(mb);
	bench_idle(200);
	return (0);
}
