/*
 * LAN discovery (overlay/lan.c): the probe and answer codec against a
 * vector computed apart from the code (Python's hashlib.blake2b), every
 * way a packet can be wrong (another secret, another node, truncated,
 * oversized, another type, a replayed answer for another nonce), and a
 * responder on loopback answering a unicast probe, keeping silent for
 * a stranger, and holding a flood to its per-source bucket.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "loop.h"
#include "overlay.h"
#include "test.h"

/* Hex of a probe: secret 00..1f, node key 20..3f, nonce 64..7b. */
static const char probe_hex[] =
    "504c414e01016465666768696a6b6c6d6e6f707172737475767778797a7b3542"
    "6e1693f9283a46b1790e5bb60f6d33a9c6944991d41c77cc3daa6f637914";
/* Hex of its answer with the ports 7437 and 443. */
static const char answer_hex[] =
    "504c414e01026465666768696a6b6c6d6e6f707172737475767778797a7b021d"
    "0d01bbe44abd740ed38a1fb5d7cbdd260987418181222a5d7fbc84f58de94bb5"
    "ccc87a";

/* The vector's inputs. */
static void
vector_inputs(uint8_t secret[32], uint8_t pub[32],
    uint8_t nonce[OVL_LAN_NONCE_LEN])
{
	size_t i;

	for (i = 0; i < 32; i++) {
		secret[i] = (uint8_t)i;
		pub[i] = (uint8_t)(32 + i);
	}
	for (i = 0; i < OVL_LAN_NONCE_LEN; i++)
		nonce[i] = (uint8_t)(100 + i);
}

/* Decodes hex into out, asserting its length. */
static void
unhex(const char *hex, uint8_t *out, size_t len)
{
	size_t got = 0;

	ASSERT_OK(sodium_hex2bin(out, len, hex, strlen(hex), NULL, &got,
	    NULL));
	ASSERT_EQ(got, len);
}

/* Both packets match the vector byte for byte, and check back. */
static void
test_vectors(void)
{
	uint8_t secret[32], pub[32], nonce[OVL_LAN_NONCE_LEN], got[24];
	uint8_t want[OVL_LAN_PACKET_MAX], pkt[OVL_LAN_PACKET_MAX];
	uint8_t secrets[2][32];
	uint16_t ports[2] = { 7437, 443 }, out[OVL_LAN_PORTS_MAX];
	size_t which = 9, n = 0, len;

	vector_inputs(secret, pub, nonce);
	ovl_lan_probe_encode(pkt, nonce, pub, secret);
	unhex(probe_hex, want, OVL_LAN_PROBE_LEN);
	ASSERT_EQ(memcmp(pkt, want, OVL_LAN_PROBE_LEN), 0);
	randombytes_buf(secrets[0], 32);
	memcpy(secrets[1], secret, 32);
	ASSERT_OK(ovl_lan_probe_check(pkt, OVL_LAN_PROBE_LEN, pub,
	    (const uint8_t (*)[32])secrets, 2, &which, got));
	ASSERT_EQ(which, 1);
	ASSERT_EQ(memcmp(got, nonce, sizeof got), 0);

	len = ovl_lan_answer_encode(pkt, sizeof pkt, nonce, pub, secret, ports,
	    2);
	ASSERT_EQ(len, OVL_LAN_ANSWER_LEN(2));
	unhex(answer_hex, want, len);
	ASSERT_EQ(memcmp(pkt, want, len), 0);
	ASSERT_OK(ovl_lan_answer_check(pkt, len, nonce, pub, secret, out, &n));
	ASSERT_EQ(n, 2);
	ASSERT_EQ(out[0], 7437);
	ASSERT_EQ(out[1], 443);
}

/* A probe under another secret or for another node gets -EACCES. */
static void
test_probe_refused(void)
{
	uint8_t secret[32], pub[32], nonce[OVL_LAN_NONCE_LEN], got[24];
	uint8_t other[32], pkt[OVL_LAN_PROBE_LEN];
	size_t which, i;

	vector_inputs(secret, pub, nonce);
	randombytes_buf(other, sizeof other);
	ovl_lan_probe_encode(pkt, nonce, pub, other);
	ASSERT_EQ(ovl_lan_probe_check(pkt, sizeof pkt, pub,
	    (const uint8_t (*)[32])secret, 1, &which, got), -EACCES);
	/* The holder of another node's key: right secret, wrong node. */
	ovl_lan_probe_encode(pkt, nonce, other, secret);
	ASSERT_EQ(ovl_lan_probe_check(pkt, sizeof pkt, pub,
	    (const uint8_t (*)[32])secret, 1, &which, got), -EACCES);
	/* No secrets at all: the shape is right, nothing fits. */
	ovl_lan_probe_encode(pkt, nonce, pub, secret);
	ASSERT_EQ(ovl_lan_probe_check(pkt, sizeof pkt, pub, NULL, 0, &which,
	    got), -EACCES);
	/* Any flipped bit of the nonce or the tag. */
	for (i = 6; i < sizeof pkt; i++) {
		pkt[i] ^= 0x10;
		ASSERT_EQ(ovl_lan_probe_check(pkt, sizeof pkt, pub,
		    (const uint8_t (*)[32])secret, 1, &which, got), -EACCES);
		pkt[i] ^= 0x10;
	}
}

/* Truncated, oversized, foreign header or type: -EBADMSG. */
static void
test_probe_malformed(void)
{
	uint8_t secret[32], pub[32], nonce[OVL_LAN_NONCE_LEN], got[24];
	uint8_t pkt[256];
	size_t which, len, i;

	vector_inputs(secret, pub, nonce);
	memset(pkt, 0, sizeof pkt);
	ovl_lan_probe_encode(pkt, nonce, pub, secret);
	for (len = 0; len < sizeof pkt; len++) {
		if (len == OVL_LAN_PROBE_LEN)
			continue;
		ASSERT_EQ(ovl_lan_probe_check(pkt, len, pub,
		    (const uint8_t (*)[32])secret, 1, &which, got), -EBADMSG);
	}
	for (i = 0; i < 6; i++) {
		pkt[i] ^= 0x01;
		ASSERT_EQ(ovl_lan_probe_check(pkt, OVL_LAN_PROBE_LEN, pub,
		    (const uint8_t (*)[32])secret, 1, &which, got), -EBADMSG);
		pkt[i] ^= 0x01;
	}
	/* An answer is not a probe. */
	unhex(answer_hex, pkt, OVL_LAN_ANSWER_LEN(2));
	ASSERT_EQ(ovl_lan_probe_check(pkt, OVL_LAN_ANSWER_LEN(2), pub,
	    (const uint8_t (*)[32])secret, 1, &which, got), -EBADMSG);
}

/* Answers: replayed for another nonce, forged, cut, padded, bounds. */
static void
test_answer_checks(void)
{
	uint8_t secret[32], pub[32], nonce[OVL_LAN_NONCE_LEN];
	uint8_t other[OVL_LAN_NONCE_LEN], key[32], pkt[256];
	uint16_t ports[OVL_LAN_PORTS_MAX + 1], out[OVL_LAN_PORTS_MAX];
	size_t n = 77, len, i;

	vector_inputs(secret, pub, nonce);
	for (i = 0; i <= OVL_LAN_PORTS_MAX; i++)
		ports[i] = (uint16_t)(1000 + i);
	len = ovl_lan_answer_encode(pkt, sizeof pkt, nonce, pub, secret, ports,
	    OVL_LAN_PORTS_MAX);
	ASSERT_EQ(len, OVL_LAN_PACKET_MAX);
	ASSERT_OK(ovl_lan_answer_check(pkt, len, nonce, pub, secret, out, &n));
	ASSERT_EQ(n, OVL_LAN_PORTS_MAX);
	/* The answer to an earlier probe, replayed to a later one. */
	memcpy(other, nonce, sizeof other);
	other[0] ^= 1;
	n = 77;
	ASSERT_EQ(ovl_lan_answer_check(pkt, len, other, pub, secret, out, &n),
	    -EACCES);
	ASSERT_EQ(n, 77);
	/* ... with its nonce rewritten: the tag no longer fits. */
	memcpy(pkt + 6, other, sizeof other);
	ASSERT_EQ(ovl_lan_answer_check(pkt, len, other, pub, secret, out, &n),
	    -EACCES);
	memcpy(pkt + 6, nonce, sizeof nonce);
	randombytes_buf(key, sizeof key);
	ASSERT_EQ(ovl_lan_answer_check(pkt, len, nonce, pub, key, out, &n),
	    -EACCES);
	ASSERT_EQ(ovl_lan_answer_check(pkt, len, nonce, key, secret, out, &n),
	    -EACCES);
	/* A changed port. */
	pkt[32] ^= 1;
	ASSERT_EQ(ovl_lan_answer_check(pkt, len, nonce, pub, secret, out, &n),
	    -EACCES);
	pkt[32] ^= 1;
	/* Every length but the one its count says. */
	for (i = 0; i < sizeof pkt; i++) {
		if (i == len)
			continue;
		ASSERT_EQ(ovl_lan_answer_check(pkt, i, nonce, pub, secret, out,
		    &n), -EBADMSG);
	}
	/* A count of 0 or past the bound, a port 0. */
	pkt[30] = 0;
	ASSERT_EQ(ovl_lan_answer_check(pkt, len, nonce, pub, secret, out, &n),
	    -EBADMSG);
	pkt[30] = OVL_LAN_PORTS_MAX + 1;
	ASSERT_EQ(ovl_lan_answer_check(pkt, OVL_LAN_ANSWER_LEN(
	    OVL_LAN_PORTS_MAX + 1), nonce, pub, secret, out, &n), -EBADMSG);
	ASSERT_EQ(ovl_lan_answer_encode(pkt, sizeof pkt, nonce, pub, secret,
	    ports, 0), 0);
	ASSERT_EQ(ovl_lan_answer_encode(pkt, sizeof pkt, nonce, pub, secret,
	    ports, OVL_LAN_PORTS_MAX + 1), 0);
	ASSERT_EQ(ovl_lan_answer_encode(pkt, OVL_LAN_ANSWER_LEN(1) - 1, nonce,
	    pub, secret, ports, 1), 0);
	ports[0] = 0;
	ASSERT_EQ(ovl_lan_answer_encode(pkt, sizeof pkt, nonce, pub, secret,
	    ports, 1), 0);
	len = ovl_lan_answer_encode(pkt, sizeof pkt, nonce, pub, secret,
	    ports + 1, 1);
	pkt[31] = 0;
	pkt[32] = 0;
	ASSERT_EQ(ovl_lan_answer_check(pkt, len, nonce, pub, secret, out, &n),
	    -EBADMSG);
	/* A probe is not an answer. */
	unhex(probe_hex, pkt, OVL_LAN_PROBE_LEN);
	ASSERT_EQ(ovl_lan_answer_check(pkt, OVL_LAN_PROBE_LEN, nonce, pub,
	    secret, out, &n), -EBADMSG);
}

/* A test client's socket and what it heard. */
struct client {
	uv_udp_t	udp;
	uint8_t		buf[256];
	int		answers;
	int		closed;
	uint8_t		last[256];
	size_t		last_len;
};

/* Hands libuv the client's buffer. */
static void
cl_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct client *c = h->data;

	*buf = uv_buf_init((char *)c->buf, sizeof c->buf);
}

/* The client heard something. */
static void
cl_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
    const struct sockaddr *from, unsigned flags)
{
	struct client *c = h->data;

	if (nread <= 0 || from == NULL)
		return;
	c->answers++;
	memcpy(c->last, buf->base, (size_t)nread);
	c->last_len = (size_t)nread;
}

/* The client's socket closed. */
static void
cl_closed(uv_handle_t *h)
{
	((struct client *)h->data)->closed = 1;
}

/* The responder closed. */
static void
resp_done(void *arg)
{
	*(int *)arg = 1;
}

/* Sends pkt to 127.0.0.1:port from the client. */
static void
cl_send(struct client *c, const uint8_t *pkt, size_t len, int port)
{
	struct sockaddr_in to;
	uv_buf_t b = uv_buf_init((char *)pkt, (unsigned)len);

	ASSERT_OK(uv_ip4_addr("127.0.0.1", port, &to));
	ASSERT_EQ(uv_udp_try_send(&c->udp, &b, 1, (struct sockaddr *)&to),
	    (int)len);
}

/* Runs the loop until the responder has seen want packets. */
static void
wait_packets(uv_loop_t *loop, struct ovl_lan_responder *r, uint64_t want)
{
	struct ovl_lan_stats st;

	for (;;) {
		ovl_lan_responder_stats(r, &st);
		if (st.packets >= want)
			return;
		(void)uv_run(loop, UV_RUN_ONCE);
	}
}

/* A UDP port free on 127.0.0.1 a moment ago. */
static int
free_udp_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int fd, port;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT(fd >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_OK(bind(fd, (struct sockaddr *)&sin, sizeof sin));
	ASSERT_OK(getsockname(fd, (struct sockaddr *)&sin, &len));
	port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}

/*
 * A responder on loopback: a unicast probe gets a verified answer with
 * the node's ports, a stranger's probe and garbage get silence, and a
 * flood from one source is cut to the bucket's burst.
 */
static void
test_responder(void)
{
	struct ovl_lan_resp_cfg cfg;
	struct ovl_lan_responder *r = NULL;
	struct ovl_lan_stats st;
	struct ovl_identity id;
	struct ovl_keystore *ks = NULL;
	const struct ovl_access_key *k = NULL;
	struct sockaddr_in any;
	struct client c;
	uv_loop_t loop;
	uint8_t nonce[OVL_LAN_NONCE_LEN], pkt[OVL_LAN_PROBE_LEN];
	uint8_t stranger[32], secret[32];
	uint16_t ports[OVL_LAN_PORTS_MAX];
	char *dir = test_tmpdir(), *cause = NULL;
	size_t n = 0;
	int port, done = 0, i;

	ovl_identity_generate(&id);
	ASSERT_OK(ovl_keystore_open(&ks, dir, &cause));
	ASSERT_OK(ovl_keystore_create(ks, "lan", PROTO_ROLE_VIEWER, 1, &k,
	    &cause));
	memcpy(secret, k->secret, sizeof secret);
	port = free_udp_port();
	ASSERT_OK(uv_loop_init(&loop));
	memset(&cfg, 0, sizeof cfg);
	cfg.ports[0] = 7437;
	cfg.ports[1] = 8443;
	cfg.nports = 2;
	cfg.udp_port = (uint16_t)port;
	ASSERT_OK(ovl_lan_responder_new(&loop, &id, ks, &cfg, &r, &cause));
	memset(&c, 0, sizeof c);
	ASSERT_OK(uv_udp_init(&loop, &c.udp));
	c.udp.data = &c;
	ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &any));
	ASSERT_OK(uv_udp_bind(&c.udp, (struct sockaddr *)&any, 0));
	ASSERT_OK(uv_udp_recv_start(&c.udp, cl_alloc, cl_recv));

	randombytes_buf(nonce, sizeof nonce);
	ovl_lan_probe_encode(pkt, nonce, id.pub, secret);
	cl_send(&c, pkt, sizeof pkt, port);
	RUN_UNTIL(&loop, c.answers == 1);
	ASSERT_OK(ovl_lan_answer_check(c.last, c.last_len, nonce, id.pub,
	    secret, ports, &n));
	ASSERT_EQ(n, 2);
	ASSERT_EQ(ports[0], 7437);
	ASSERT_EQ(ports[1], 8443);

	/* A stranger, then garbage, then the holder again: one answer. */
	randombytes_buf(stranger, sizeof stranger);
	ovl_lan_probe_encode(pkt, nonce, id.pub, stranger);
	cl_send(&c, pkt, sizeof pkt, port);
	cl_send(&c, (const uint8_t *)"hey", 3, port);
	randombytes_buf(nonce, sizeof nonce);
	ovl_lan_probe_encode(pkt, nonce, id.pub, secret);
	cl_send(&c, pkt, sizeof pkt, port);
	RUN_UNTIL(&loop, c.answers == 2);
	ASSERT_OK(ovl_lan_answer_check(c.last, c.last_len, nonce, id.pub,
	    secret, ports, &n));
	ovl_lan_responder_stats(r, &st);
	ASSERT_EQ(st.packets, 4);
	ASSERT_EQ(st.malformed, 1);
	ASSERT_EQ(st.refused, 1);
	ASSERT_EQ(st.answered, 2);

	/* A flood from one source: the bucket (20 at once) cuts it. */
	for (i = 0; i < 60; i++)
		cl_send(&c, pkt, sizeof pkt, port);
	wait_packets(&loop, r, 64);
	ovl_lan_responder_stats(r, &st);
	ASSERT(st.limited >= 30);
	ASSERT(st.answered <= 2 + 25);

	ovl_lan_responder_close(r, resp_done, &done);
	uv_close((uv_handle_t *)&c.udp, cl_closed);
	RUN_UNTIL(&loop, done && c.closed);
	test_loop_close(&loop);
	ovl_keystore_free(ks);
	ovl_identity_clear(&id);
	test_rmtree(dir);
}

/* Open descriptors of this process. */
static int
count_fds(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return (n);
}

/* A gate that says "an address answers" while *arg is set. */
static int
gate_answers(void *arg)
{
	return (*(int *)arg);
}

/* A found callback that should not run here. */
static void
found_none(struct ovl_lan_probe *p, const char *addr, void *arg)
{
	(void)p;
	(void)addr;
	(void)arg;
}

/*
 * A delayed prober makes no socket until its first round, and none while
 * its gate says an address answers: a dial that gets through costs a
 * timer. Once the gate opens, the next round makes them.
 */
static void
test_probe_gate(void)
{
	uv_loop_t loop;
	struct ovl_lan_probe *p;
	uint8_t secret[32], pub[32];
	int answers = 1, base, before, i;

	randombytes_buf(secret, sizeof secret);
	randombytes_buf(pub, sizeof pub);
	base = count_fds();
	ASSERT_OK(uv_loop_init(&loop));
	before = count_fds();
	ASSERT_OK(ovl_lan_probe_start_after(&loop, pub, secret, 20, 1000,
	    found_none, &answers, &p));
	ovl_lan_probe_set_gate(p, gate_answers);
	ASSERT_EQ(count_fds(), before);		/* nothing made yet */
	for (i = 0; i < 10; i++) {		/* the first round, 20 ms */
		usleep(10000);
		(void)uv_run(&loop, UV_RUN_NOWAIT);
	}
	ASSERT_EQ(count_fds(), before);		/* skipped */
	answers = 0;				/* the handshake failed */
	for (i = 0; i < 60 && count_fds() == before; i++) {
		usleep(10000);			/* the second round, 250 ms */
		(void)uv_run(&loop, UV_RUN_NOWAIT);
	}
	ASSERT_GT(count_fds(), before);
	ovl_lan_probe_stop(p);
	test_loop_close(&loop);
	ASSERT_EQ(count_fds(), base);
}

TEST_MAIN(
	T(test_vectors),
	T(test_probe_refused),
	T(test_probe_malformed),
	T(test_answer_checks),
	T(test_responder),
	T(test_probe_gate))
