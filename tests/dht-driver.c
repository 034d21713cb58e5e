/*
 * A DHT node on a real UDP socket, for tests: the library of
 * overlay/dht*.c driven by one uv_udp handle and one uv_timer, as pierd
 * will drive it.
 *
 *   dht-driver -p PORT [-b IP:PORT]... [-n NODES] [-a HEX] [-l HEX]
 *              [-t SECONDS]
 *
 * Binds 127.0.0.1:PORT, bootstraps from each -b, and once the table
 * holds NODES good nodes (default 1) prints "ready"; then with -a
 * announces the info-hash HEX (implied_port) every 5 s, printing
 * "announced" after each round, and with -l looks HEX up every 2 s,
 * printing "peer IP:PORT" for each peer found and exiting 0 after the
 * first. Exits 2 after SECONDS (default 60) without a peer for -l, 0
 * otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "overlay.h"

struct driver {
	uv_loop_t		*loop;
	uv_udp_t		 udp;
	uv_timer_t		 timer;
	struct ovl_dht		*dht;
	uint64_t		 start;
	uint64_t		 deadline;
	uint64_t		 next_ann, next_look;
	unsigned		 want;
	int			 ready;
	int			 ann, look, found;
	uint8_t			 ann_ih[OVL_DHT_ID_LEN];
	uint8_t			 look_ih[OVL_DHT_ID_LEN];
	uint16_t		 port;
};

/* Reads 40 hex digits. */
static int
parse_hex(const char *s, uint8_t out[OVL_DHT_ID_LEN])
{
	size_t i;
	unsigned x;

	if (strlen(s) != 2 * OVL_DHT_ID_LEN)
		return (-1);
	for (i = 0; i < OVL_DHT_ID_LEN; i++) {
		if (sscanf(s + 2 * i, "%2x", &x) != 1)
			return (-1);
		out[i] = (uint8_t)x;
	}
	return (0);
}

/* Reads IP:PORT. */
static int
parse_addr(const char *s, struct ovl_dht_addr *a)
{
	struct sockaddr_in sin;
	char host[64];
	const char *c = strrchr(s, ':');

	if (c == NULL || (size_t)(c - s) >= sizeof host)
		return (-1);
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = '\0';
	if (uv_ip4_addr(host, atoi(c + 1), &sin) != 0)
		return (-1);
	memcpy(a->ip, &sin.sin_addr, 4);
	a->port = (uint16_t)atoi(c + 1);
	return (0);
}

/* The loop's clock in ms since start (never 0). */
static uint64_t
drv_now(struct driver *d)
{
	return (uv_now(d->loop) - d->start + 1);
}

/* Sends everything the node queued (best effort, synchronously). */
static void
drv_flush(struct driver *d)
{
	uint8_t buf[OVL_DHT_PKT_MAX];
	struct ovl_dht_addr to;
	struct sockaddr_in sin;
	uv_buf_t b;
	size_t len;

	while ((len = ovl_dht_pop(d->dht, &to, buf, sizeof buf)) > 0) {
		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		memcpy(&sin.sin_addr, to.ip, 4);
		sin.sin_port = htons(to.port);
		b = uv_buf_init((char *)buf, (unsigned)len);
		(void)uv_udp_try_send(&d->udp, &b, 1,
		    (const struct sockaddr *)&sin);
	}
}

/* Prints the peers a lookup found. */
static void
drv_peers(void *arg, const uint8_t *ih, const struct ovl_dht_addr *peers,
    size_t n, int done)
{
	struct driver *d = arg;
	size_t i;

	for (i = 0; i < n; i++) {
		printf("peer %u.%u.%u.%u:%u\n", peers[i].ip[0], peers[i].ip[1],
		    peers[i].ip[2], peers[i].ip[3], peers[i].port);
		if (d->look && memcmp(ih, d->look_ih, OVL_DHT_ID_LEN) == 0)
			d->found = 1;
	}
	if (done && d->ann && memcmp(ih, d->ann_ih, OVL_DHT_ID_LEN) == 0)
		printf("announced\n");
	fflush(stdout);
}

/* Runs the node's timers and the test's actions; rearms the timer. */
static void
drv_tick(uv_timer_t *t)
{
	struct driver *d = t->data;
	struct ovl_dht_stats st;
	uint64_t now = drv_now(d);
	unsigned wait;

	wait = ovl_dht_periodic(d->dht, now);
	ovl_dht_stats(d->dht, &st);
	if (!d->ready && st.good >= d->want) {
		d->ready = 1;
		printf("ready nodes=%zu\n", st.good);
		fflush(stdout);
	}
	if (d->ready && d->ann && now >= d->next_ann &&
	    ovl_dht_get_peers(d->dht, d->ann_ih, 1, d->port, drv_peers, d,
	    now) == 0)
		d->next_ann = now + 5000;
	if (d->ready && d->look && now >= d->next_look &&
	    ovl_dht_get_peers(d->dht, d->look_ih, 0, 0, drv_peers, d,
	    now) == 0)
		d->next_look = now + 2000;
	drv_flush(d);
	if ((d->look && d->found) || now >= d->deadline) {
		uv_stop(d->loop);
		return;
	}
	uv_timer_start(&d->timer, drv_tick, wait < 200 ? wait : 200, 0);
}

/* Allocates a receive buffer. */
static void
drv_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	static char space[2048];

	(void)h;
	(void)hint;
	*buf = uv_buf_init(space, sizeof space);
}

/* Hands a datagram to the node. */
static void
drv_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf,
    const struct sockaddr *from, unsigned flags)
{
	struct driver *d = u->data;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)from;
	struct ovl_dht_addr a;

	(void)flags;
	if (nread <= 0 || from == NULL || from->sa_family != AF_INET)
		return;
	memcpy(a.ip, &sin->sin_addr, 4);
	a.port = ntohs(sin->sin_port);
	(void)ovl_dht_input(d->dht, &a, (const uint8_t *)buf->base,
	    (size_t)nread, drv_now(d));
	drv_flush(d);
}

/* Parses the options, runs the node. */
int
main(int argc, char **argv)
{
	struct ovl_dht_addr boot[8];
	struct ovl_dht_cfg cfg = { 0 };
	struct sockaddr_in sin;
	struct driver d = { 0 };
	unsigned secs = 60;
	int c;

	d.want = 1;
	while ((c = getopt(argc, argv, "a:b:l:n:p:t:")) != -1) {
		switch (c) {
		case 'a':
			d.ann = parse_hex(optarg, d.ann_ih) == 0;
			break;
		case 'b':
			if (cfg.nbootstrap < 8 &&
			    parse_addr(optarg, &boot[cfg.nbootstrap]) == 0)
				cfg.nbootstrap++;
			break;
		case 'l':
			d.look = parse_hex(optarg, d.look_ih) == 0;
			break;
		case 'n':
			d.want = (unsigned)atoi(optarg);
			break;
		case 'p':
			d.port = (uint16_t)atoi(optarg);
			break;
		case 't':
			secs = (unsigned)atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: dht-driver -p PORT [-b IP:PORT]"
			    " [-n N] [-a HEX] [-l HEX] [-t S]\n");
			return (1);
		}
	}
	cfg.bootstrap = boot;
	d.loop = uv_default_loop();
	d.start = uv_now(d.loop);
	d.deadline = (uint64_t)secs * 1000;
	if ((d.dht = ovl_dht_new(&cfg, drv_now(&d))) == NULL) {
		perror("dht-driver: ovl_dht_new");
		return (1);
	}
	uv_udp_init(d.loop, &d.udp);
	d.udp.data = &d;
	uv_ip4_addr("127.0.0.1", d.port, &sin);
	if ((c = uv_udp_bind(&d.udp, (const struct sockaddr *)&sin, 0)) != 0 ||
	    (c = uv_udp_recv_start(&d.udp, drv_alloc, drv_recv)) != 0) {
		fprintf(stderr, "dht-driver: %s\n", uv_strerror(c));
		return (1);
	}
	uv_timer_init(d.loop, &d.timer);
	d.timer.data = &d;
	uv_timer_start(&d.timer, drv_tick, 0, 0);
	drv_flush(&d);
	uv_run(d.loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&d.udp, NULL);
	uv_close((uv_handle_t *)&d.timer, NULL);
	uv_run(d.loop, UV_RUN_DEFAULT);
	ovl_dht_free(d.dht);
	return (d.look && !d.found ? 2 : 0);
}
