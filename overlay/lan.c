/*
 * LAN discovery, the node's side and the codec both sides share.
 *
 * The codec is pure: a probe is a fixed 62 bytes, an answer 65 to 79,
 * and every check is for exact lengths, known header bytes and a keyed
 * BLAKE2b tag compared in constant time. A packet that is not exactly a
 * valid probe gets nothing back, so the responder never echoes what it
 * is sent and never answers a stranger.
 *
 * The responder holds one UDP socket per family on OVL_LAN_PORT (shared
 * with other nodes on the host through SO_REUSEADDR: multicast reaches
 * them all) and joins the group on every usable interface, again on a
 * timer for interfaces that come up later. A probe of the right shape
 * is charged to a token bucket of its source address and to one of the
 * whole responder before any hashing, so a flood costs a bounded number
 * of tag checks (each up to one BLAKE2b per access key).
 *
 * Memory: the responder's state is fixed at creation (sockets, a 128-byte
 * receive buffer per socket, LAN_SRC_SLOTS buckets, the joined list);
 * nothing grows with traffic.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "lan-int.h"
#include "net-int.h"

#define LAN_TYPE_PROBE	1
#define LAN_TYPE_ANSWER	2
#define LAN_HDR		6	/* magic, version, type */
#define LAN_NONCE_AT	LAN_HDR
#define LAN_NPORTS_AT	(LAN_HDR + OVL_LAN_NONCE_LEN)
#define LAN_RESCAN_MS	10000
#define LAN_SRC_SLOTS	64	/* sources with a bucket of their own */
#define LAN_SRC_BURST	20	/* probes checked per source, at once */
#define LAN_SRC_RATE	10	/* ... and per second after that */
#define LAN_ALL_BURST	200	/* probes checked in all, at once */
#define LAN_ALL_RATE	200	/* ... and per second */

static const uint8_t lan_magic[4] = { 'P', 'L', 'A', 'N' };
static const char probe_label[] = "pier lan probe v1";
static const char answer_label[] = "pier lan answer v1";

/* The tag: BLAKE2b-256 keyed by secret over label, body and node key. */
static void
lan_mac(uint8_t out[static OVL_LAN_MAC_LEN], const char *label,
    const uint8_t *body, size_t len, const uint8_t node_pub[static 32],
    const uint8_t secret[static 32])
{
	crypto_generichash_state st;

	(void)crypto_generichash_init(&st, secret, OVL_KEY_LEN,
	    OVL_LAN_MAC_LEN);
	(void)crypto_generichash_update(&st, (const uint8_t *)label,
	    strlen(label));
	(void)crypto_generichash_update(&st, body, len);
	(void)crypto_generichash_update(&st, node_pub, OVL_KEY_LEN);
	(void)crypto_generichash_final(&st, out, OVL_LAN_MAC_LEN);
	sodium_memzero(&st, sizeof st);
}

/* Writes the header of a packet of type. */
static void
lan_header(uint8_t *out, int type)
{
	memcpy(out, lan_magic, sizeof lan_magic);
	out[4] = OVL_LAN_VERSION;
	out[5] = (uint8_t)type;
}

/* Tells whether pkt starts with the header of type. */
static int
lan_header_ok(const uint8_t *pkt, size_t len, int type)
{
	return (len >= LAN_HDR && memcmp(pkt, lan_magic, sizeof lan_magic) ==
	    0 && pkt[4] == OVL_LAN_VERSION && pkt[5] == type);
}

/* Writes a probe. */
void
ovl_lan_probe_encode(uint8_t out[static OVL_LAN_PROBE_LEN],
    const uint8_t nonce[static OVL_LAN_NONCE_LEN],
    const uint8_t node_pub[static 32], const uint8_t secret[static 32])
{
	lan_header(out, LAN_TYPE_PROBE);
	memcpy(out + LAN_NONCE_AT, nonce, OVL_LAN_NONCE_LEN);
	lan_mac(out + LAN_NPORTS_AT, probe_label, out, LAN_NPORTS_AT,
	    node_pub, secret);
}

/* Checks a probe against each secret. */
int
ovl_lan_probe_check(const uint8_t *pkt, size_t len,
    const uint8_t node_pub[static 32], const uint8_t (*secrets)[32],
    size_t nsecrets, size_t *which, uint8_t nonce[static OVL_LAN_NONCE_LEN])
{
	uint8_t mac[OVL_LAN_MAC_LEN];
	size_t i;
	int found = 0;

	if (len != OVL_LAN_PROBE_LEN || !lan_header_ok(pkt, len,
	    LAN_TYPE_PROBE))
		return (-EBADMSG);
	for (i = 0; i < nsecrets && !found; i++) {
		lan_mac(mac, probe_label, pkt, LAN_NPORTS_AT, node_pub,
		    secrets[i]);
		if (crypto_verify_32(mac, pkt + LAN_NPORTS_AT) == 0) {
			found = 1;
			*which = i;
		}
	}
	sodium_memzero(mac, sizeof mac);
	if (!found)
		return (-EACCES);
	memcpy(nonce, pkt + LAN_NONCE_AT, OVL_LAN_NONCE_LEN);
	return (0);
}

/* Writes an answer. */
size_t
ovl_lan_answer_encode(uint8_t *out, size_t cap,
    const uint8_t nonce[static OVL_LAN_NONCE_LEN],
    const uint8_t node_pub[static 32], const uint8_t secret[static 32],
    const uint16_t *ports, size_t nports)
{
	size_t i, len = OVL_LAN_ANSWER_LEN(nports), at;

	if (nports == 0 || nports > OVL_LAN_PORTS_MAX || cap < len)
		return (0);
	lan_header(out, LAN_TYPE_ANSWER);
	memcpy(out + LAN_NONCE_AT, nonce, OVL_LAN_NONCE_LEN);
	out[LAN_NPORTS_AT] = (uint8_t)nports;
	for (i = 0; i < nports; i++) {
		if (ports[i] == 0)
			return (0);
		at = LAN_NPORTS_AT + 1 + 2 * i;
		out[at] = (uint8_t)(ports[i] >> 8);
		out[at + 1] = (uint8_t)ports[i];
	}
	at = len - OVL_LAN_MAC_LEN;
	lan_mac(out + at, answer_label, out, at, node_pub, secret);
	return (len);
}

/* Checks an answer to the probe with nonce. */
int
ovl_lan_answer_check(const uint8_t *pkt, size_t len,
    const uint8_t nonce[static OVL_LAN_NONCE_LEN],
    const uint8_t node_pub[static 32], const uint8_t secret[static 32],
    uint16_t ports[static OVL_LAN_PORTS_MAX], size_t *nports)
{
	uint8_t mac[OVL_LAN_MAC_LEN];
	size_t n, i, at;
	int rc;

	if (len < OVL_LAN_ANSWER_LEN(1) || len > OVL_LAN_PACKET_MAX ||
	    !lan_header_ok(pkt, len, LAN_TYPE_ANSWER))
		return (-EBADMSG);
	n = pkt[LAN_NPORTS_AT];
	if (n == 0 || n > OVL_LAN_PORTS_MAX || len != OVL_LAN_ANSWER_LEN(n))
		return (-EBADMSG);
	for (i = 0; i < n; i++) {
		at = LAN_NPORTS_AT + 1 + 2 * i;
		ports[i] = (uint16_t)(pkt[at] << 8 | pkt[at + 1]);
		if (ports[i] == 0)
			return (-EBADMSG);
	}
	at = len - OVL_LAN_MAC_LEN;
	lan_mac(mac, answer_label, pkt, at, node_pub, secret);
	rc = crypto_verify_32(mac, pkt + at) == 0 &&
	    sodium_memcmp(pkt + LAN_NONCE_AT, nonce, OVL_LAN_NONCE_LEN) == 0 ?
	    0 : -EACCES;
	sodium_memzero(mac, sizeof mac);
	if (rc == 0)
		*nports = n;
	return (rc);
}

/*
 * Whether an interface is a port of a bridge (or a bond): its traffic
 * is the master's, which is probed itself. A Docker host has one such
 * veth per running container.
 */
static int
lan_is_port(const char *name)
{
	char	 path[64 + IF_NAMESIZE];

	snprintf(path, sizeof path, "/sys/class/net/%s/master", name);
	return (access(path, F_OK) == 0);
}

/* Lists the usable interfaces: up, multicast, not loopback, no port. */
int
ovl__lan_ifaces(struct ovl__lan_iface *out, size_t max)
{
	struct ifaddrs *all, *ifa;
	struct ovl__lan_iface *f;
	size_t n = 0, i;
	int fam;

	if (getifaddrs(&all) != 0)
		return (-errno);
	for (ifa = all; ifa != NULL && n < max; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr == NULL || (ifa->ifa_flags & IFF_UP) == 0 ||
		    (ifa->ifa_flags & IFF_MULTICAST) == 0 ||
		    (ifa->ifa_flags & IFF_LOOPBACK) != 0)
			continue;
		fam = ifa->ifa_addr->sa_family;
		if (fam != AF_INET && fam != AF_INET6)
			continue;
		for (i = 0; i < n; i++)
			if (out[i].family == fam &&
			    strcmp(out[i].name, ifa->ifa_name) == 0)
				break;
		if (i < n || strlen(ifa->ifa_name) >= IF_NAMESIZE ||
		    lan_is_port(ifa->ifa_name))
			continue;
		f = &out[n];
		memset(f, 0, sizeof *f);
		snprintf(f->name, sizeof f->name, "%s", ifa->ifa_name);
		f->index = if_nametoindex(ifa->ifa_name);
		f->family = fam;
		if (fam == AF_INET)
			(void)uv_ip4_name((const void *)ifa->ifa_addr, f->addr,
			    sizeof f->addr);
		else
			(void)uv_ip6_name((const void *)ifa->ifa_addr, f->addr,
			    sizeof f->addr);
		if (f->index != 0)
			n++;
	}
	freeifaddrs(all);
	return ((int)n);
}

/* Hands libuv the socket's fixed buffer. */
static void
lan_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct ovl__lan_sock *s = container_of((uv_udp_t *)h,
	    struct ovl__lan_sock, udp);

	(void)hint;
	*buf = uv_buf_init((char *)s->buf, sizeof s->buf);
}

/* Opens a socket of the responder or the prober. */
int
ovl__lan_sock_open(uv_loop_t *loop, struct ovl__lan_sock *s, void *owner,
    int family, int port, unsigned flags, uv_udp_recv_cb recv,
    uv_close_cb close_cb)
{
	struct sockaddr_storage ss;
	int rc;

	s->owner = owner;
	if (family == AF_INET)
		rc = uv_ip4_addr("0.0.0.0", port, (struct sockaddr_in *)&ss);
	else
		rc = uv_ip6_addr("::", port, (struct sockaddr_in6 *)&ss);
	if (rc == 0)
		rc = uv_udp_init_ex(loop, &s->udp, (unsigned)family);
	if (rc != 0)
		return (rc);
	s->held = 1;
	s->open = 1;
	rc = uv_udp_bind(&s->udp, (const struct sockaddr *)&ss, flags |
	    (family == AF_INET6 ? UV_UDP_IPV6ONLY : 0));
	/* Multicast stays on the link: one hop. */
	if (rc == 0)
		rc = uv_udp_set_multicast_ttl(&s->udp, 1);
	if (rc == 0)
		rc = uv_udp_recv_start(&s->udp, lan_alloc, recv);
	if (rc != 0)
		ovl__lan_sock_close(s, close_cb);
	return (rc);
}

/* Closes a socket if it is open. */
void
ovl__lan_sock_close(struct ovl__lan_sock *s, uv_close_cb close_cb)
{
	if (!s->open)
		return;
	s->open = 0;
	s->udp.data = s->owner;
	uv_close((uv_handle_t *)&s->udp, close_cb);
}

/* responder */

/* A token bucket in thousandths of a token. */
struct lan_bucket {
	uint64_t	milli;
	uint64_t	last_ms;
};

/* A source address and its bucket. */
struct lan_src {
	int			family;		/* 0: slot free */
	uint8_t			ip[16];
	struct lan_bucket	b;
};

struct ovl_lan_responder {
	uv_loop_t			*loop;
	const struct ovl_identity	*id;
	struct ovl_keystore		*ks;
	struct ovl_lan_resp_cfg		 cfg;
	struct ovl__lan_sock		 s4, s6;
	uv_timer_t			 rescan;
	struct ovl__lan_iface		 joined[2 * OVL__LAN_IFACES_MAX];
	size_t				 njoined;
	struct lan_src			 src[LAN_SRC_SLOTS];
	struct lan_bucket		 all;
	struct ovl_lan_stats		 st;
	int				 refs;
	int				 closing;
	void				(*done)(void *);
	void				*done_arg;
};

/* Logs a line through the user's hook. */
static void
resp_log(struct ovl_lan_responder *r, const char *line)
{
	if (r->cfg.on_log != NULL)
		r->cfg.on_log(line, r->cfg.arg);
}

/* Takes a token from b (burst tokens, rate a second); 0 when empty. */
static int
bucket_take(struct lan_bucket *b, uint64_t now, uint64_t burst,
    uint64_t rate)
{
	uint64_t add = (now - b->last_ms) * rate;

	b->last_ms = now;
	b->milli = b->milli + add > burst * 1000 ? burst * 1000 :
	    b->milli + add;
	if (b->milli < 1000)
		return (0);
	b->milli -= 1000;
	return (1);
}

/* The bucket of a source: its slot, or the least recently used one. */
static struct lan_bucket *
src_bucket(struct ovl_lan_responder *r, const struct sockaddr *sa,
    uint64_t now)
{
	struct lan_src *s, *old = &r->src[0];
	uint8_t ip[16];
	size_t i, len;

	memset(ip, 0, sizeof ip);
	if (sa->sa_family == AF_INET) {
		len = 4;
		memcpy(ip, &((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr, len);
	} else {
		len = 16;
		memcpy(ip, &((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr, len);
	}
	for (i = 0; i < LAN_SRC_SLOTS; i++) {
		s = &r->src[i];
		if (s->family == sa->sa_family && memcmp(s->ip, ip, len) == 0)
			return (&s->b);
		if (s->family == 0 || (old->family != 0 &&
		    s->b.last_ms < old->b.last_ms))
			old = s;
	}
	memset(old, 0, sizeof *old);
	old->family = sa->sa_family;
	memcpy(old->ip, ip, len);
	old->b.milli = LAN_SRC_BURST * 1000;
	old->b.last_ms = now;
	return (&old->b);
}

/* Checks a probe and, when one of our secrets fits, answers it. */
static void
resp_probe(struct ovl_lan_responder *r, uv_udp_t *udp, const uint8_t *pkt,
    size_t len, const struct sockaddr *from)
{
	const uint8_t (*secrets)[32];
	uint8_t nonce[OVL_LAN_NONCE_LEN], out[OVL_LAN_PACKET_MAX];
	uint64_t now = uv_now(r->loop);
	uv_buf_t b;
	size_t n, which = 0, olen;
	int rc;

	r->st.packets++;
	if (ovl_lan_probe_check(pkt, len, r->id->pub, NULL, 0, &which,
	    nonce) == -EBADMSG) {
		r->st.malformed++;
		return;
	}
	if (!bucket_take(src_bucket(r, from, now), now, LAN_SRC_BURST,
	    LAN_SRC_RATE) || !bucket_take(&r->all, now, LAN_ALL_BURST,
	    LAN_ALL_RATE)) {
		r->st.limited++;
		return;
	}
	secrets = ovl_keystore_secrets(r->ks, &n);
	rc = ovl_lan_probe_check(pkt, len, r->id->pub, secrets, n, &which,
	    nonce);
	if (rc == -EACCES && r->cfg.on_keys_changed != NULL &&
	    ovl_keystore_changed(r->ks)) {
		r->cfg.on_keys_changed(r->cfg.arg);
		secrets = ovl_keystore_secrets(r->ks, &n);
		rc = ovl_lan_probe_check(pkt, len, r->id->pub, secrets, n,
		    &which, nonce);
	}
	if (rc != 0) {
		r->st.refused++;
		return;
	}
	olen = ovl_lan_answer_encode(out, sizeof out, nonce, r->id->pub,
	    secrets[which], r->cfg.ports, r->cfg.nports);
	b = uv_buf_init((char *)out, (unsigned)olen);
	if (olen != 0 && uv_udp_try_send(udp, &b, 1, from) == (int)olen)
		r->st.answered++;
}

/* A datagram came. */
static void
resp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
    const struct sockaddr *from, unsigned flags)
{
	struct ovl__lan_sock *s = container_of(h, struct ovl__lan_sock, udp);
	struct ovl_lan_responder *r = s->owner;

	if (nread <= 0 || from == NULL || r->closing)
		return;
	if ((flags & UV_UDP_PARTIAL) != 0) {
		r->st.packets++;
		r->st.malformed++;
		return;
	}
	/* Unicast for a socket sharing the port: see on_other. */
	if (r->cfg.on_other != NULL && from->sa_family == AF_INET &&
	    (nread < (ssize_t)sizeof lan_magic ||
	    memcmp(buf->base, lan_magic, sizeof lan_magic) != 0)) {
		r->cfg.on_other(r->cfg.arg, (const struct sockaddr_in *)
		    (const void *)from, (const uint8_t *)buf->base,
		    (size_t)nread);
		return;
	}
	resp_probe(r, h, (const uint8_t *)buf->base, (size_t)nread, from);
}

/* Tells whether iface is in the joined list. */
static int
resp_has(const struct ovl_lan_responder *r, const struct ovl__lan_iface *f)
{
	size_t i;

	for (i = 0; i < r->njoined; i++)
		if (r->joined[i].family == f->family &&
		    r->joined[i].index == f->index &&
		    strcmp(r->joined[i].addr, f->addr) == 0)
			return (1);
	return (0);
}

/* Joins the group of f's family on f; 0 also when already a member. */
static int
resp_join(struct ovl_lan_responder *r, const struct ovl__lan_iface *f)
{
	char ifa[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	int rc;

	if (f->family == AF_INET) {
		if (!r->s4.open)
			return (-EAFNOSUPPORT);
		rc = uv_udp_set_membership(&r->s4.udp, OVL_LAN_GROUP4, f->addr,
		    UV_JOIN_GROUP);
	} else {
		if (!r->s6.open)
			return (-EAFNOSUPPORT);
		/* The zone names the interface; libuv takes its index. */
		snprintf(ifa, sizeof ifa, "::%%%s", f->name);
		rc = uv_udp_set_membership(&r->s6.udp, OVL_LAN_GROUP6, ifa,
		    UV_JOIN_GROUP);
	}
	return (rc == UV_EADDRINUSE ? 0 : rc);
}

/* Joins the groups on interfaces new since the last scan. */
static void
resp_rescan(struct ovl_lan_responder *r)
{
	struct ovl__lan_iface now[2 * OVL__LAN_IFACES_MAX];
	char line[512];
	size_t i, n, len = 0, changed = 0;
	int cnt;

	cnt = ovl__lan_ifaces(now, 2 * OVL__LAN_IFACES_MAX);
	if (cnt < 0)
		return;
	for (i = 0, n = 0; i < (size_t)cnt; i++) {
		if (!resp_has(r, &now[i])) {
			if (resp_join(r, &now[i]) != 0)
				continue;
			changed = 1;
		}
		now[n++] = now[i];
	}
	if (n != r->njoined)
		changed = 1;
	memcpy(r->joined, now, n * sizeof now[0]);
	r->njoined = n;
	r->st.groups = n;
	if (!changed)
		return;
	len = (size_t)snprintf(line, sizeof line, "LAN discovery: answering "
	    "on %s", n == 0 ? "no interface yet" : "");
	for (i = 0; i < n && len < sizeof line; i++)
		len += (size_t)snprintf(line + len, sizeof line - len, "%s%s "
		    "(%s)", i == 0 ? "" : ", ", r->joined[i].name,
		    r->joined[i].family == AF_INET ? "IPv4" : "IPv6");
	resp_log(r, line);
}

/* The rescan timer. */
static void
on_rescan(uv_timer_t *t)
{
	resp_rescan(container_of(t, struct ovl_lan_responder, rescan));
}

/* One handle of the responder closed; the last frees it. */
static void
on_resp_closed(uv_handle_t *h)
{
	struct ovl_lan_responder *r = h->data;

	if (--r->refs > 0)
		return;
	if (r->done != NULL)
		r->done(r->done_arg);
	free(r);
}

/* Opens one socket of the responder; 0 or an error. */
static int
resp_open(struct ovl_lan_responder *r, struct ovl__lan_sock *s, int family)
{
	int rc;

	rc = ovl__lan_sock_open(r->loop, s, r, family, r->cfg.udp_port,
	    UV_UDP_REUSEADDR, resp_recv, on_resp_closed);
	if (s->held)
		r->refs++;
	return (rc);
}

/* Starts a responder. */
int
ovl_lan_responder_new(uv_loop_t *loop, const struct ovl_identity *id,
    struct ovl_keystore *ks, const struct ovl_lan_resp_cfg *cfg,
    struct ovl_lan_responder **out, char **cause)
{
	struct ovl_lan_responder *r;
	size_t i;
	int e4, e6;

	*out = NULL;
	if (cause != NULL)
		*cause = NULL;
	if (cfg == NULL || cfg->nports == 0 ||
	    cfg->nports > OVL_LAN_PORTS_MAX)
		return (-EINVAL);
	for (i = 0; i < cfg->nports; i++)
		if (cfg->ports[i] == 0)
			return (-EINVAL);
	r = calloc(1, sizeof *r);
	if (r == NULL)
		return (-ENOMEM);
	r->loop = loop;
	r->id = id;
	r->ks = ks;
	r->cfg = *cfg;
	if (r->cfg.udp_port == 0)
		r->cfg.udp_port = OVL_LAN_PORT;
	if (r->cfg.rescan_ms == 0)
		r->cfg.rescan_ms = LAN_RESCAN_MS;
	r->all.milli = LAN_ALL_BURST * 1000;
	r->all.last_ms = uv_now(loop);
	r->refs = 1;		/* the timer */
	(void)uv_timer_init(loop, &r->rescan);
	r->rescan.data = r;
	e4 = resp_open(r, &r->s4, AF_INET);
	e6 = resp_open(r, &r->s6, AF_INET6);
	if (e4 != 0 && e6 != 0) {
		if (cause != NULL && asprintf(cause, "cannot bind UDP port %u "
		    "for LAN discovery: %s", r->cfg.udp_port,
		    uv_strerror(e4)) < 0)
			*cause = NULL;
		ovl_lan_responder_close(r, NULL, NULL);
		return (e4);
	}
	resp_rescan(r);
	(void)uv_timer_start(&r->rescan, on_rescan, r->cfg.rescan_ms,
	    r->cfg.rescan_ms);
	*out = r;
	return (0);
}

/* Copies the counters. */
void
ovl_lan_responder_stats(const struct ovl_lan_responder *r,
    struct ovl_lan_stats *st)
{
	*st = r->st;
}

/* Stops answering and frees the responder once its handles closed. */
void
ovl_lan_responder_close(struct ovl_lan_responder *r,
    void (*done)(void *arg), void *arg)
{
	if (r->closing)
		return;
	r->closing = 1;
	r->done = done;
	r->done_arg = arg;
	ovl__lan_sock_close(&r->s4, on_resp_closed);
	ovl__lan_sock_close(&r->s6, on_resp_closed);
	(void)uv_timer_stop(&r->rescan);
	uv_close((uv_handle_t *)&r->rescan, on_resp_closed);
}
