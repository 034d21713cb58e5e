/*
 * The node on the mainline DHT: an ovl_dhts (overlay/dht-sock.c) on the
 * UDP port of the same number as the first IPv4 TCP listener, read-only
 * (BEP 43) unless the voted external address is one of the host's own,
 * its routing table kept in the state dir ("dht.dat", written every 15
 * minutes and at exit). For each active access key it announces the
 * key's daily hash (overlay/dht-key.c; both days near midnight) with
 * implied_port every NODE_DHT_ANNOUNCE_MS, at once after the keys
 * change, and again when the external address the DHT votes for moves
 * or the host's own addresses change (checked every 10 s): a client
 * finds the node wherever it went. Announces run at most
 * NODE_DHT_PARALLEL at a time, one lookup slot of the node staying free.
 * Every NODE_KNOCK_POLL_MS it looks up the knock hashes of its keys
 * (this minute's and the last) and punches towards each client found
 * (punch.c); for two minutes after a knock was found, every
 * NODE_KNOCK_HOT_MS, since a client at work knocks for each connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "node.h"
#include "reach.h"

#define NODE_DHT_FILE		"dht.dat"
#define NODE_DHT_ANNOUNCE_MS	(15 * 60 * 1000)
#define NODE_DHT_SAVE_MS	(15 * 60 * 1000)
#define NODE_DHT_PARALLEL	2
#define NODE_DHT_QUEUE		64	/* hashes of one round */
#define NODE_DHT_IFS_MS		(10 * 1000)	/* own addresses checked */
#define NODE_KNOCK_POLL_MS	(15 * 1000)	/* knocks looked up */
#define NODE_KNOCK_HOT_MS	(3 * 1000)	/* ... after one was found */
#define NODE_KNOCK_HOT_FOR_MS	(2 * 60 * 1000)

struct node_dht {
	struct node		*n;
	struct ovl_dhts		*s;
	struct {
		uint8_t		 ih[OVL_DHT_ID_LEN];
		int		 knock;		/* a lookup, no announce */
	}			 queue[NODE_DHT_QUEUE];
	size_t			 nqueue;
	uint64_t		 polled;	/* uv_now of the last knocks */
	uint64_t		 hot_until;	/* poll fast until then */
	size_t			 running;
	uint64_t		 round;		/* uv_now of the last round */
	uint64_t		 saved;
	int			 due;		/* a round as soon as it can */
	struct ovl_dht_addr	 ext;		/* voted when announced */
	int			 reachable;
	uint64_t		 announced;	/* lookups done, for reports */
	int			 report;	/* reach.json once drained */
	uint64_t		 ifs_checked;	/* uv_now */
	uint8_t			 ifs[16];	/* a hash of the host's IPv4s */
	void			(*done)(void *);
	void			*done_arg;
};

static void	dht_next(struct node_dht *);

/* Nothing queued or running: reports follow after announces. */
static void
dht_drained(struct node_dht *d)
{
	if (d->nqueue != 0 || d->running != 0 || !d->report)
		return;
	d->report = 0;
	node_reach_changed(d->n->reach);
}

/* A hash's announce ended. */
static void
on_announced(void *arg, const uint8_t *ih, const struct ovl_dht_addr *peers,
    size_t n, int done)
{
	struct node_dht *d = arg;
	char hex[2 * OVL_DHT_ID_LEN + 1];

	(void)peers;
	(void)n;
	if (!done)
		return;
	d->running--;
	d->announced++;
	d->report = 1;
	sodium_bin2hex(hex, sizeof hex, ih, OVL_DHT_ID_LEN);
	node_log(&d->n->log, NODE_LOG_DEBUG, "dht: announced %s", hex);
	dht_next(d);
	dht_drained(d);
}

/* A knock lookup's peers: each a client to punch towards. */
static void
on_knock(void *arg, const uint8_t *ih, const struct ovl_dht_addr *peers,
    size_t n, int done)
{
	struct node_dht *d = arg;
	size_t i;

	(void)ih;
	for (i = 0; i < n; i++)
		node_punch_start(d->n, &peers[i]);
	/* A client at work knocks again for each connection: answer soon. */
	if (n > 0)
		d->hot_until = uv_now(d->n->loop) + NODE_KNOCK_HOT_FOR_MS;
	if (!done)
		return;
	d->running--;
	dht_next(d);
	dht_drained(d);
}

/* Starts queued announces and knock lookups while there is room. */
static void
dht_next(struct node_dht *d)
{
	uint16_t port = ovl_dhts_port(d->s);
	int knock;

	while (d->nqueue > 0 && d->running < NODE_DHT_PARALLEL &&
	    ovl_dhts_busy(d->s) + 1 < OVL_DHT_SEARCHES) {
		d->nqueue--;
		knock = d->queue[d->nqueue].knock;
		if (ovl_dhts_lookup(d->s, d->queue[d->nqueue].ih, !knock,
		    port, knock ? on_knock : on_announced, d) != 0)
			break;
		d->running++;
	}
}

/* Queues the knock hashes of every active key (this minute and the last). */
static void
knock_round(struct node_dht *d)
{
	const struct ovl_access_key *k;
	int64_t now = (int64_t)time(NULL);
	size_t i, j, cnt;

	d->polled = uv_now(d->n->loop);
	cnt = ovl_keystore_count(d->n->ks);
	for (i = 0; i < cnt; i++) {
		k = ovl_keystore_get(d->n->ks, i);
		if (k->disabled != 0 || (k->expires != 0 && k->expires <= now))
			continue;
		for (j = 0; j < 2 && d->nqueue < NODE_DHT_QUEUE; j++) {
			ovl_dht_knock_hash(k->secret, d->n->id.pub,
			    now / 60 - (int64_t)j, d->queue[d->nqueue].ih);
			d->queue[d->nqueue++].knock = 1;
		}
	}
	dht_next(d);
}

/* Queues the hashes of every active key for today (and the edge day). */
static void
dht_round(struct node_dht *d)
{
	const struct ovl_access_key *k;
	int64_t now = (int64_t)time(NULL), days[2];
	size_t i, j, nd, cnt;

	d->due = 0;
	d->round = uv_now(d->n->loop);
	d->nqueue = 0;
	nd = ovl_dht_key_days(now, days);
	cnt = ovl_keystore_count(d->n->ks);
	for (i = 0; i < cnt; i++) {
		k = ovl_keystore_get(d->n->ks, i);
		if (k->disabled != 0 || (k->expires != 0 && k->expires <= now))
			continue;
		for (j = 0; j < nd && d->nqueue < NODE_DHT_QUEUE; j++) {
			ovl_dht_key_hash(k->secret, d->n->id.pub, days[j],
			    d->queue[d->nqueue].ih);
			d->queue[d->nqueue++].knock = 0;
		}
	}
	node_log(&d->n->log, NODE_LOG_DEBUG, "dht: announcing %zu hashes",
	    d->nqueue);
	dht_next(d);
}

/* Whether ip is one of this host's own addresses (no NAT in between). */
static int
own_address(const uint8_t ip[4])
{
	uv_interface_address_t *ifs;
	int i, n, own = 0;

	if (uv_interface_addresses(&ifs, &n) != 0)
		return (0);
	for (i = 0; i < n && !own; i++)
		own = ifs[i].address.address4.sin_family == AF_INET &&
		    memcmp(&ifs[i].address.address4.sin_addr, ip, 4) == 0;
	uv_free_interface_addresses(ifs, n);
	return (own);
}

/*
 * A hash of the host's IPv4 addresses (loopback aside); 0 when they did
 * not change since the last call, 1 when they did.
 */
static int
ifs_changed(struct node_dht *d)
{
	uv_interface_address_t *ifs;
	crypto_generichash_state st;
	uint8_t h[sizeof d->ifs];
	int i, j, n, changed, first;

	if (uv_interface_addresses(&ifs, &n) != 0)
		return (0);
	(void)crypto_generichash_init(&st, NULL, 0, sizeof h);
	/* In the kernel's order, which is stable while nothing changes. */
	for (i = 0; i < n; i++) {
		if (ifs[i].address.address4.sin_family != AF_INET ||
		    ifs[i].is_internal)
			continue;
		for (j = 0, first = 1; j < i && first; j++)
			first = memcmp(&ifs[j].address.address4.sin_addr,
			    &ifs[i].address.address4.sin_addr, 4) != 0;
		if (first)
			(void)crypto_generichash_update(&st, (const uint8_t *)
			    &ifs[i].address.address4.sin_addr, 4);
	}
	uv_free_interface_addresses(ifs, n);
	(void)crypto_generichash_final(&st, h, sizeof h);
	changed = !sodium_is_zero(d->ifs, sizeof d->ifs) &&
	    memcmp(h, d->ifs, sizeof h) != 0;
	memcpy(d->ifs, h, sizeof h);
	return (changed);
}

/* Writes the routing table to the state dir. */
static void
dht_save(struct node_dht *d)
{
	char path[4096];
	int err;

	snprintf(path, sizeof path, "%s/%s", d->n->state_dir, NODE_DHT_FILE);
	err = ovl_dhts_save(d->s, path);
	if (err != 0 && err != -EAGAIN)
		node_log(&d->n->log, NODE_LOG_WARN, "dht: cannot save %s: %s",
		    path, strerror(-err));
}

/* Each run of the socket's timer: rounds, address moves, saves. */
static void
on_tick(void *arg)
{
	struct node_dht *d = arg;
	struct ovl_dht *dht = ovl_dhts_node(d->s);
	struct ovl_dht_addr ext;
	uint64_t now = uv_now(d->n->loop);
	char ip[16];
	int sym, reach;

	if (dht == NULL)
		return;
	if (ovl_dht_external(dht, &ext, &sym) == 0 &&
	    memcmp(&ext, &d->ext, sizeof ext) != 0) {
		snprintf(ip, sizeof ip, "%u.%u.%u.%u", ext.ip[0], ext.ip[1],
		    ext.ip[2], ext.ip[3]);
		node_log(&d->n->log, NODE_LOG_INFO, "dht: the DHT sees this "
		    "node at %s:%u%s", ip, ext.port, sym ? " (a symmetric NAT: "
		    "each peer sees another port)" : "");
		if (d->ext.port != 0)
			d->due = 1;	/* it moved: tell the DHT at once */
		d->ext = ext;
		reach = own_address(ext.ip);
		if (reach != d->reachable) {
			d->reachable = reach;
			ovl_dht_set_reachable(dht, reach);
		}
		node_reach_changed(d->n->reach);
	}
	if (now - d->ifs_checked >= NODE_DHT_IFS_MS) {
		d->ifs_checked = now;
		if (ifs_changed(d)) {
			node_log(&d->n->log, NODE_LOG_INFO, "dht: this host's "
			    "addresses changed; announcing again");
			d->due = 1;
		}
	}
	if (d->nqueue == 0 && d->running == 0 && (d->due ||
	    now - d->round >= NODE_DHT_ANNOUNCE_MS))
		dht_round(d);
	else if (d->nqueue == 0 && now - d->polled >= (now < d->hot_until ?
	    NODE_KNOCK_HOT_MS : NODE_KNOCK_POLL_MS))
		knock_round(d);
	else
		dht_next(d);
	if (now - d->saved >= NODE_DHT_SAVE_MS) {
		d->saved = now;
		dht_save(d);
	}
}

/* The node exists: the first round. */
static void
on_ready(void *arg)
{
	struct node_dht *d = arg;

	d->saved = uv_now(d->n->loop);
	dht_round(d);
}

/* A datagram that is not the DHT's. */
static void
on_other(void *arg, const struct sockaddr_in *from, const uint8_t *buf,
    size_t len)
{
	struct node_dht *d = arg;

	(void)d;
	(void)from;
	(void)buf;
	(void)len;
}

/* The UDP address for the DHT: the first IPv4 listener's, or none. */
static int
dht_bind(const struct node *n, char *out, size_t len)
{
	size_t i;

	for (i = 0; n->bound != NULL && n->bound[i] != NULL; i++) {
		if (n->bound[i][0] == '[')
			continue;
		snprintf(out, len, "%s", n->bound[i]);
		return (0);
	}
	return (-ENOENT);
}

/* Starts the node on the DHT (a failure is logged, never fatal). */
void
node_dht_start(struct node *n, char *const *bootstrap)
{
	static const char *const routers[] = { OVL_DHT_ROUTERS };
	struct ovl_dhts_cfg c;
	struct node_dht *d;
	char bind[OVL_ADDR_MAX], path[4096], *cause = NULL;
	uint8_t *saved = NULL;
	size_t savedlen = 0;
	int err;

	if (dht_bind(n, bind, sizeof bind) != 0) {
		node_log(&n->log, NODE_LOG_INFO, "dht: off: no IPv4 listener");
		return;
	}
	if ((d = calloc(1, sizeof *d)) == NULL)
		return;
	d->n = n;
	snprintf(path, sizeof path, "%s/%s", n->state_dir, NODE_DHT_FILE);
	if (ovl_dhts_load(path, &saved, &savedlen) != 0)
		savedlen = 0;	/* none yet: the routers alone */
	memset(&c, 0, sizeof c);
	c.bind = bind;
	if (bootstrap != NULL) {
		c.bootstrap = (const char *const *)bootstrap;
		c.nbootstrap = node_strv_len(bootstrap);
	} else {
		c.bootstrap = routers;
		c.nbootstrap = sizeof routers / sizeof routers[0];
	}
	c.saved = saved;
	c.savedlen = savedlen;
	c.read_only = 1;
	c.share = 1;	/* with the LAN responder, started before */
	c.on_other = on_other;
	c.on_tick = on_tick;
	c.on_ready = on_ready;
	c.arg = d;
	err = ovl_dhts_new(n->loop, &c, &d->s, &cause);
	free(saved);
	if (err != 0) {
		node_log(&n->log, NODE_LOG_WARN, "dht: off: %s; clients need "
		    "addresses in the join key", cause != NULL ? cause :
		    uv_strerror(err));
		free(cause);
		free(d);
		return;
	}
	node_log(&n->log, NODE_LOG_INFO, "dht: on UDP %s, %s%s%s, %zu nodes "
	    "saved", bind, bootstrap == NULL ? "the default routers" :
	    bootstrap[0] == NULL ? "no bootstrap" : "bootstrap ",
	    bootstrap != NULL && bootstrap[0] != NULL ? bootstrap[0] : "",
	    bootstrap != NULL && bootstrap[0] != NULL && bootstrap[1] !=
	    NULL ? " ..." : "", savedlen / 26);
	n->dht = d;
}

/* The keys changed: announce the new set now. */
void
node_dht_keys_changed(struct node *n)
{
	if (n->dht != NULL)
		n->dht->due = 1;
}

/* The socket is released. */
static void
on_dhts_closed(void *arg)
{
	struct node_dht *d = arg;
	void (*done)(void *) = d->done;
	void *darg = d->done_arg;

	free(d);
	done(darg);
}

/* Saves the table and stops; done runs once closed (at once if off). */
void
node_dht_close(struct node *n, void (*done)(void *), void *arg)
{
	struct node_dht *d = n->dht;

	n->dht = NULL;
	if (d == NULL) {
		done(arg);
		return;
	}
	dht_save(d);
	d->done = done;
	d->done_arg = arg;
	ovl_dhts_close(d->s, on_dhts_closed, d);
}

/* The DHT's part of node.reach (a new object), or NULL when off. */
json_t *
node_dht_json(const struct node *n)
{
	struct ovl_dht_stats st;
	struct ovl_dht_addr ext;
	struct ovl_dht *dht;
	char buf[32];
	int sym = 0, have;

	if (n->dht == NULL)
		return (NULL);
	dht = ovl_dhts_node(n->dht->s);
	if (dht == NULL)
		return (json_pack("{s:I, s:s}", "port",
		    (json_int_t)ovl_dhts_port(n->dht->s), "state", "resolving"));
	ovl_dht_stats(dht, &st);
	have = ovl_dht_external(dht, &ext, &sym) == 0;
	if (have)
		snprintf(buf, sizeof buf, "%u.%u.%u.%u:%u", ext.ip[0],
		    ext.ip[1], ext.ip[2], ext.ip[3], ext.port);
	return (json_pack("{s:I, s:s, s:I, s:I, s:s?, s:b, s:b, s:I, s:I, "
	    "s:I, s:I, s:I}", "port", (json_int_t)ovl_dhts_port(n->dht->s),
	    "state", n->dht->reachable ? "full" : "read-only", "nodes",
	    (json_int_t)st.nodes, "good", (json_int_t)st.good, "external",
	    have ? buf : NULL, "symmetric", sym, "reachable",
	    n->dht->reachable, "announced", (json_int_t)n->dht->announced,
	    "packets_in", (json_int_t)st.in, "packets_out", (json_int_t)st.out,
	    "bytes_in", (json_int_t)st.bytes_in, "bytes_out",
	    (json_int_t)st.bytes_out));
}

/* The socket, for the hole punch (NULL when off). */
struct ovl_dhts *
node_dht_sock(struct node *n)
{
	return (n->dht != NULL ? n->dht->s : NULL);
}

/* The address the DHT's votes agree on, "ip:port"; -ENOENT when none. */
int
node_dht_external(const struct node *n, char *out, size_t len)
{
	struct ovl_dht *dht;
	struct ovl_dht_addr ext;
	int sym;

	if (n->dht == NULL || (dht = ovl_dhts_node(n->dht->s)) == NULL ||
	    ovl_dht_external(dht, &ext, &sym) != 0)
		return (-ENOENT);
	snprintf(out, len, "%u.%u.%u.%u:%u", ext.ip[0], ext.ip[1], ext.ip[2],
	    ext.ip[3], ext.port);
	return (0);
}
