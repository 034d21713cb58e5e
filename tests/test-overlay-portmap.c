/*
 * Port mapping: the PCP codec on bytes, then ovl_portmap against a small
 * PCP server on loopback that answers, refuses, stays silent or sends
 * garbage, to drive the faults a real router rarely shows on demand,
 * and NAT-PMP through libnatpmp against one on 127.0.0.1:5351 (the port
 * libnatpmp always uses).
 * The real routers (miniupnpd's PCP, NAT-PMP and UPnP-IGD) are in
 * tests/test-e2e-portmap.sh.
 */
#include <errno.h>
#include <string.h>

#include <arpa/inet.h>

#include "loop.h"
#include "portmap-int.h"
#include "test.h"

/* What the fake server does with a request. */
enum srv_mode {
	SRV_GRANT,	/* success, external 198.51.100.7:40000 */
	SRV_GARBAGE,	/* junk and a wrong nonce first, then grant */
	SRV_REFUSE,	/* NOT_AUTHORIZED */
	SRV_SILENT,	/* nothing */
};

/* A PCP server on 127.0.0.1. */
struct srv {
	uv_udp_t	 udp;
	enum srv_mode	 mode;
	uint32_t	 lease;		/* granted */
	int		 requests;
	int		 deletes;
	uint8_t		 last[OVL__PCP_MAP_LEN];
	int		 port;
};

/* What the mapping told. */
struct seen {
	int				 mapped, lost, failed, done;
	struct ovl_portmap_status	 st;
};

/* Receive buffer of the fake server. */
static void
srv_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	static char	space[2048];

	*buf = uv_buf_init(space, sizeof(space));
}

/* Sends len bytes back to from. */
static void
srv_send(struct srv *s, const uint8_t *msg, size_t len,
    const struct sockaddr *from)
{
	uv_buf_t	b = uv_buf_init((char *)msg, (unsigned)len);

	ASSERT(uv_udp_try_send(&s->udp, &b, 1, from) == (int)len);
}

/* Answers a MAP request as s->mode says. */
static void
srv_on_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf,
    const struct sockaddr *from, unsigned flags)
{
	struct srv	*s = container_of(u, struct srv, udp);
	uint8_t		 r[OVL__PCP_MAP_LEN];
	const uint8_t	*q = (const uint8_t *)buf->base;
	uint32_t	 life;

	if (nread <= 0 || from == NULL)
		return;
	ASSERT_EQ(nread, OVL__PCP_MAP_LEN);
	memcpy(s->last, q, OVL__PCP_MAP_LEN);
	life = (uint32_t)q[4] << 24 | q[5] << 16 | q[6] << 8 | q[7];
	if (life == 0)
		s->deletes++;
	else
		s->requests++;
	if (s->mode == SRV_SILENT)
		return;
	memcpy(r, q, sizeof(r));
	r[1] = 0x80 | OVL__PCP_OP_MAP;
	r[2] = 0;
	r[3] = s->mode == SRV_REFUSE ? 2 : 0;
	life = life == 0 ? 0 : s->lease;
	r[4] = life >> 24;
	r[5] = life >> 16;
	r[6] = life >> 8;
	r[7] = life & 0xff;
	memset(r + 8, 0, 16);		/* epoch, reserved */
	r[24 + 18] = 40000 >> 8;	/* assigned external port */
	r[24 + 19] = 40000 & 0xff;
	memset(r + 24 + 20, 0, 10);
	memset(r + 24 + 30, 0xff, 2);
	r[24 + 32] = 198;
	r[24 + 33] = 51;
	r[24 + 34] = 100;
	r[24 + 35] = 7;
	if (s->mode == SRV_GARBAGE) {
		srv_send(s, (const uint8_t *)"not pcp at all", 14, from);
		r[24] ^= 0xff;		/* someone else's nonce */
		srv_send(s, r, sizeof(r), from);
		r[24] ^= 0xff;
	}
	srv_send(s, r, sizeof(r), from);
}

/* Starts the fake server on a free loopback port. */
static void
srv_start(uv_loop_t *loop, struct srv *s, enum srv_mode mode)
{
	struct sockaddr_in	sin;
	struct sockaddr_storage	ss;
	int			len = sizeof(ss);

	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->lease = 60;
	ASSERT_EQ(uv_ip4_addr("127.0.0.1", 0, &sin), 0);
	ASSERT_EQ(uv_udp_init(loop, &s->udp), 0);
	ASSERT_EQ(uv_udp_bind(&s->udp, (struct sockaddr *)&sin, 0), 0);
	ASSERT_EQ(uv_udp_getsockname(&s->udp, (struct sockaddr *)&ss, &len),
	    0);
	s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	ASSERT_EQ(uv_udp_recv_start(&s->udp, srv_alloc, srv_on_recv), 0);
}

/* Counts events and keeps the last status. */
static void
on_event(struct ovl_portmap *pm, enum ovl_pm_event ev,
    const struct ovl_portmap_status *st, void *arg)
{
	struct seen	*seen = arg;

	seen->st = *st;
	if (ev == OVL_PM_EV_MAPPED)
		seen->mapped++;
	else if (ev == OVL_PM_EV_LOST)
		seen->lost++;
	else
		seen->failed++;
}

/* The stop finished. */
static void
on_done(struct ovl_portmap *pm, void *arg)
{
	((struct seen *)arg)->done++;
}

/* A mapping through PCP only, to the fake server. */
static struct ovl_portmap *
pcp_map(uv_loop_t *loop, struct srv *s, struct seen *seen)
{
	struct ovl_portmap_cfg	 cfg;
	struct ovl_portmap	*pm;

	memset(&cfg, 0, sizeof(cfg));
	cfg.gateway = "127.0.0.1";
	cfg.server_port = (uint16_t)s->port;
	cfg.protos = OVL_PM_PCP;
	cfg.try_ms = 400;
	ASSERT_EQ(ovl_portmap_new(loop, 7437, &cfg, on_event, seen, &pm), 0);
	return (pm);
}

/* A request is laid out as RFC 6887 says. */
static void
test_pcp_encode(void)
{
	struct ovl__pcp_req	req;
	uint8_t			m[OVL__PCP_MAP_LEN];

	memset(&req, 0, sizeof(req));
	memcpy(req.nonce, "0123456789ab", 12);
	req.client_ip[10] = req.client_ip[11] = 0xff;
	req.client_ip[12] = 10;
	req.client_ip[15] = 2;
	req.internal_port = 7437;
	req.suggested_port = 7438;
	req.lifetime = 3600;
	ASSERT_EQ(ovl__pcp_encode(&req, m), 60);
	ASSERT_EQ(m[0], 2);
	ASSERT_EQ(m[1], 1);
	ASSERT_EQ(m[4] << 24 | m[5] << 16 | m[6] << 8 | m[7], 3600);
	ASSERT_EQ(m[18], 0xff);
	ASSERT_EQ(m[20], 10);
	ASSERT(memcmp(m + 24, "0123456789ab", 12) == 0);
	ASSERT_EQ(m[36], 6);			/* TCP */
	ASSERT_EQ(m[40] << 8 | m[41], 7437);
	ASSERT_EQ(m[42] << 8 | m[43], 7438);
	ASSERT_EQ(m[54], 0xff);			/* ::ffff:0.0.0.0 */
	ASSERT_EQ(m[56] | m[57] | m[58] | m[59], 0);
}

/* Answers are matched to the request; anything else is ignored. */
static void
test_pcp_decode(void)
{
	struct ovl__pcp_req	req;
	struct ovl__pcp_resp	r;
	uint8_t			m[OVL__PCP_MAP_LEN + 8];
	char			ip[OVL_PM_ADDR_MAX];

	memset(&req, 0, sizeof(req));
	memcpy(req.nonce, "0123456789ab", 12);
	req.internal_port = 7437;
	req.lifetime = 3600;
	(void)ovl__pcp_encode(&req, m);
	/* The request itself (no R bit) is not an answer. */
	ASSERT_EQ(ovl__pcp_decode(m, 60, &req, &r), -EPROTO);
	m[1] = 0x81;
	m[7] = 120;
	m[42] = 0x9c;
	m[43] = 0x40;
	m[56] = 203;
	m[59] = 9;
	ASSERT_EQ(ovl__pcp_decode(m, 60, &req, &r), 0);
	ASSERT_EQ(r.result, 0);
	ASSERT_EQ(r.external_port, 40000);
	ovl__pm_addr_text(r.external_ip, ip, sizeof(ip));
	ASSERT(strcmp(ip, "203.0.0.9") == 0);
	/* With an option after it (length a multiple of 4). */
	memset(m + 60, 0, 8);
	ASSERT_EQ(ovl__pcp_decode(m, 68, &req, &r), 0);
	ASSERT_EQ(ovl__pcp_decode(m, 62, &req, &r), -EPROTO);
	ASSERT_EQ(ovl__pcp_decode(m, 56, &req, &r), -EPROTO);
	m[40] ^= 1;				/* another internal port */
	ASSERT_EQ(ovl__pcp_decode(m, 60, &req, &r), -EPROTO);
	m[40] ^= 1;
	m[30] ^= 1;				/* another nonce */
	ASSERT_EQ(ovl__pcp_decode(m, 60, &req, &r), -EPROTO);
	m[30] ^= 1;
	m[4] = m[5] = m[6] = m[7] = 0;		/* success, no lifetime */
	ASSERT_EQ(ovl__pcp_decode(m, 60, &req, &r), -EPROTO);
	/* An error may come as a bare header. */
	m[3] = 2;
	ASSERT_EQ(ovl__pcp_decode(m, 24, &req, &r), 0);
	ASSERT_EQ(r.result, 2);
	ASSERT(strcmp(ovl__pcp_result_name(r.result), "NOT_AUTHORIZED") == 0);
	/* A NAT-PMP server's "unsupported version". */
	memcpy(m, "\0\201\0\1\0\0\0\5", 8);
	ASSERT_EQ(ovl__pcp_decode(m, 8, &req, &r), -EPROTONOSUPPORT);
	ASSERT_EQ(ovl__pcp_decode(m, 3, &req, &r), -EPROTO);
}

/* Maps, reports status and verification, and deletes on stop. */
static void
test_pcp_map_stop(void)
{
	uv_loop_t		 loop;
	struct srv		 s;
	struct seen		 seen;
	struct ovl_portmap	*pm;
	struct ovl_portmap_status st;

	memset(&seen, 0, sizeof(seen));
	ASSERT_EQ(uv_loop_init(&loop), 0);
	srv_start(&loop, &s, SRV_GRANT);
	pm = pcp_map(&loop, &s, &seen);
	ASSERT_EQ(seen.mapped, 0);	/* never from within new */
	RUN_UNTIL(&loop, seen.mapped == 1);
	ASSERT(strcmp(seen.st.protocol, "pcp") == 0);
	ASSERT(strcmp(seen.st.public_ip, "198.51.100.7") == 0);
	ASSERT_EQ(seen.st.public_port, 40000);
	ASSERT_EQ(seen.st.lease_s, 60);
	ASSERT_EQ(seen.st.verified, -1);
	ASSERT(strcmp(seen.st.gateway, "127.0.0.1") == 0);
	ASSERT_EQ(s.last[40] << 8 | s.last[41], 7437);
	ASSERT_EQ(s.last[20], 127);	/* the client's own address */
	ovl_portmap_set_verified(pm, 1);
	ovl_portmap_status(pm, &st);
	ASSERT_EQ(st.state, OVL_PM_MAPPED);
	ASSERT_EQ(st.verified, 1);
	ASSERT(st.expires_s > 50 && st.expires_s <= 60);
	ovl_portmap_stop(pm, on_done, &seen);
	RUN_UNTIL(&loop, seen.done == 1);
	ASSERT_EQ(s.deletes, 1);	/* answered before done ran */
	ASSERT_EQ(s.requests, 1);
	test_loop_close(&loop);
}

/* Junk and answers to someone else are ignored, not taken. */
static void
test_pcp_garbage(void)
{
	uv_loop_t		 loop;
	struct srv		 s;
	struct seen		 seen;
	struct ovl_portmap	*pm;

	memset(&seen, 0, sizeof(seen));
	ASSERT_EQ(uv_loop_init(&loop), 0);
	srv_start(&loop, &s, SRV_GARBAGE);
	pm = pcp_map(&loop, &s, &seen);
	RUN_UNTIL(&loop, seen.mapped == 1);
	ASSERT_EQ(seen.st.public_port, 40000);
	ASSERT_EQ(s.requests, 1);
	ovl_portmap_stop(pm, on_done, &seen);
	RUN_UNTIL(&loop, seen.done == 1);
	test_loop_close(&loop);
}

/* A refusal fails the attempt once, with the server's reason. */
static void
test_pcp_refused(void)
{
	uv_loop_t		 loop;
	struct srv		 s;
	struct seen		 seen;
	struct ovl_portmap	*pm;

	memset(&seen, 0, sizeof(seen));
	ASSERT_EQ(uv_loop_init(&loop), 0);
	srv_start(&loop, &s, SRV_REFUSE);
	pm = pcp_map(&loop, &s, &seen);
	RUN_UNTIL(&loop, seen.failed == 1);
	ASSERT_EQ(seen.st.state, OVL_PM_FAILED);
	ASSERT(strstr(seen.st.error, "pcp: refused: NOT_AUTHORIZED") != NULL);
	ASSERT_EQ(seen.st.public_port, 0);
	ovl_portmap_stop(pm, on_done, &seen);
	RUN_UNTIL(&loop, seen.done == 1);
	ASSERT_EQ(s.deletes, 0);	/* nothing held, nothing deleted */
	test_loop_close(&loop);
}

/* Silence: retransmits, then "no answer" at the deadline. */
static void
test_pcp_silent(void)
{
	uv_loop_t		 loop;
	struct srv		 s;
	struct seen		 seen;
	struct ovl_portmap	*pm;
	uint64_t		 t0;

	memset(&seen, 0, sizeof(seen));
	ASSERT_EQ(uv_loop_init(&loop), 0);
	srv_start(&loop, &s, SRV_SILENT);
	t0 = uv_now(&loop);
	pm = pcp_map(&loop, &s, &seen);
	RUN_UNTIL(&loop, seen.failed == 1);
	ASSERT(uv_now(&loop) - t0 >= 400);
	ASSERT(s.requests >= 2);	/* 0 ms and 250 ms */
	ASSERT(strstr(seen.st.error, "pcp: no answer") != NULL);
	ovl_portmap_stop(pm, on_done, &seen);
	RUN_UNTIL(&loop, seen.done == 1);
	test_loop_close(&loop);
}

/*
 * Renewed at half the lease; a renewal nobody answers is LOST, and a
 * stop whose delete nobody answers still ends.
 */
static void
test_pcp_refresh_lost(void)
{
	uv_loop_t		 loop;
	struct srv		 s;
	struct seen		 seen;
	struct ovl_portmap	*pm;

	memset(&seen, 0, sizeof(seen));
	ASSERT_EQ(uv_loop_init(&loop), 0);
	srv_start(&loop, &s, SRV_GRANT);
	s.lease = 2;
	pm = pcp_map(&loop, &s, &seen);
	RUN_UNTIL(&loop, seen.mapped == 1);
	ovl_portmap_set_verified(pm, 1);
	RUN_UNTIL(&loop, s.requests == 2);	/* the renewal, at 1 s */
	ASSERT_EQ(seen.mapped, 1);		/* same address: no event */
	/* It asks for the full lease again, not what was granted. */
	ASSERT_EQ(s.last[6] << 8 | s.last[7], OVL_PM_LEASE_S);
	s.mode = SRV_SILENT;
	RUN_UNTIL(&loop, seen.lost == 1);
	ASSERT_EQ(seen.st.verified, -1);	/* a new mapping, untried */
	ASSERT(strstr(seen.st.error, "pcp: no answer") != NULL);
	RUN_UNTIL(&loop, seen.failed == 1);
	s.mode = SRV_GRANT;
	ovl_portmap_stop(pm, on_done, &seen);
	RUN_UNTIL(&loop, seen.done == 1);
	ASSERT_EQ(s.deletes, 0);		/* lost: nothing to delete */
	test_loop_close(&loop);
}

/* A delete that gets no answer ends at the exchange's deadline. */
static void
test_pcp_stop_silent(void)
{
	uv_loop_t		 loop;
	struct srv		 s;
	struct seen		 seen;
	struct ovl_portmap	*pm;
	uint64_t		 t0;

	memset(&seen, 0, sizeof(seen));
	ASSERT_EQ(uv_loop_init(&loop), 0);
	srv_start(&loop, &s, SRV_GRANT);
	pm = pcp_map(&loop, &s, &seen);
	RUN_UNTIL(&loop, seen.mapped == 1);
	s.mode = SRV_SILENT;
	t0 = uv_now(&loop);
	ovl_portmap_stop(pm, on_done, &seen);
	RUN_UNTIL(&loop, seen.done == 1);
	ASSERT(s.deletes >= 2);			/* retransmitted */
	ASSERT(uv_now(&loop) - t0 < OVL_PM_STOP_MS);
	test_loop_close(&loop);
}

/* A NAT-PMP server on 127.0.0.1:5351: address 198.51.100.9, port 40001. */
static void
nat_on_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf,
    const struct sockaddr *from, unsigned flags)
{
	struct srv	*s = container_of(u, struct srv, udp);
	const uint8_t	*q = (const uint8_t *)buf->base;
	uint8_t		 r[16];
	size_t		 len;

	if (nread < 2 || from == NULL || q[0] != 0)
		return;
	memset(r, 0, sizeof(r));
	r[1] = 128 | q[1];
	if (q[1] == 0) {
		memcpy(r + 8, "\306\063\144\011", 4);	/* 198.51.100.9 */
		len = 12;
	} else {
		ASSERT_EQ(nread, 12);
		if (q[8] == 0 && q[9] == 0 && q[10] == 0 && q[11] == 0)
			s->deletes++;
		else
			s->requests++;
		memcpy(s->last, q, 12);
		memcpy(r + 8, q + 4, 2);		/* internal port */
		if (q[8] | q[9] | q[10] | q[11]) {
			r[10] = 40001 >> 8;
			r[11] = 40001 & 0xff;
			r[15] = 120;
		}
		len = 16;
	}
	if (s->mode == SRV_SILENT)
		return;
	if (s->mode == SRV_REFUSE && q[1] != 0)
		r[3] = 2;				/* not authorized */
	srv_send(s, r, len, from);
}

/* Starts the NAT-PMP server, or skips when 5351 is taken. */
static void
nat_start(uv_loop_t *loop, struct srv *s, enum srv_mode mode)
{
	struct sockaddr_in	sin;
	int			err;

	memset(s, 0, sizeof(*s));
	s->mode = mode;
	ASSERT_EQ(uv_ip4_addr("127.0.0.1", OVL_PM_PORT, &sin), 0);
	ASSERT_EQ(uv_udp_init(loop, &s->udp), 0);
	err = uv_udp_bind(&s->udp, (struct sockaddr *)&sin, 0);
	if (err != 0) {
		test_loop_close(loop);
		SKIP("cannot bind 127.0.0.1:%d: %s", OVL_PM_PORT,
		    uv_strerror(err));
	}
	ASSERT_EQ(uv_udp_recv_start(&s->udp, srv_alloc, nat_on_recv), 0);
}

/* A mapping through NAT-PMP only, to the fake server. */
static struct ovl_portmap *
nat_map(uv_loop_t *loop, struct seen *seen)
{
	struct ovl_portmap_cfg	 cfg;
	struct ovl_portmap	*pm;

	memset(&cfg, 0, sizeof(cfg));
	cfg.gateway = "127.0.0.1";
	cfg.protos = OVL_PM_NATPMP;
	cfg.try_ms = 400;
	ASSERT_EQ(ovl_portmap_new(loop, 7437, &cfg, on_event, seen, &pm), 0);
	return (pm);
}

/* NAT-PMP: the address, then the mapping; deleted on stop. */
static void
test_natpmp_map_stop(void)
{
	uv_loop_t		 loop;
	struct srv		 s;
	struct seen		 seen;
	struct ovl_portmap	*pm;

	memset(&seen, 0, sizeof(seen));
	ASSERT_EQ(uv_loop_init(&loop), 0);
	nat_start(&loop, &s, SRV_GRANT);
	pm = nat_map(&loop, &seen);
	RUN_UNTIL(&loop, seen.mapped == 1);
	ASSERT(strcmp(seen.st.protocol, "nat-pmp") == 0);
	ASSERT(strcmp(seen.st.public_ip, "198.51.100.9") == 0);
	ASSERT_EQ(seen.st.public_port, 40001);
	ASSERT_EQ(seen.st.lease_s, 120);
	ASSERT_EQ(s.last[1], 2);			/* TCP */
	ASSERT_EQ(s.last[4] << 8 | s.last[5], 7437);
	ovl_portmap_stop(pm, on_done, &seen);
	RUN_UNTIL(&loop, seen.done == 1);
	ASSERT_EQ(s.requests, 1);
	ASSERT_EQ(s.deletes, 1);
	test_loop_close(&loop);
}

/* NAT-PMP: a refusal and silence both fail, with their reasons. */
static void
test_natpmp_faults(void)
{
	uv_loop_t		 loop;
	struct srv		 s;
	struct seen		 seen;
	struct ovl_portmap	*pm;

	memset(&seen, 0, sizeof(seen));
	ASSERT_EQ(uv_loop_init(&loop), 0);
	nat_start(&loop, &s, SRV_REFUSE);
	pm = nat_map(&loop, &seen);
	RUN_UNTIL(&loop, seen.failed == 1);
	ASSERT(strstr(seen.st.error, "nat-pmp: ") != NULL);
	ASSERT_EQ(seen.st.public_port, 0);
	ovl_portmap_stop(pm, on_done, &seen);
	RUN_UNTIL(&loop, seen.done == 1);
	s.mode = SRV_SILENT;
	memset(&seen, 0, sizeof(seen));
	pm = nat_map(&loop, &seen);
	RUN_UNTIL(&loop, seen.failed == 1);
	ASSERT(strstr(seen.st.error, "nat-pmp: no answer") != NULL);
	ovl_portmap_stop(pm, on_done, &seen);
	RUN_UNTIL(&loop, seen.done == 1);
	test_loop_close(&loop);
}

TEST_MAIN(T(test_pcp_encode), T(test_pcp_decode), T(test_pcp_map_stop),
    T(test_pcp_garbage), T(test_pcp_refused), T(test_pcp_silent),
    T(test_pcp_refresh_lost), T(test_pcp_stop_silent),
    T(test_natpmp_map_stop), T(test_natpmp_faults))
