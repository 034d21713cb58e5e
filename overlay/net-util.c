/*
 * Small helpers of the connection files: default limits, the wall clock
 * for handshake timestamps, and address text (host:port, [v6]:port).
 */
#include <net/if.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net-int.h"

/* Fills l with the defaults. */
void
ovl_limits_default(struct ovl_limits *l)
{
	memset(l, 0, sizeof *l);
	l->hs_timeout_ms = OVL_HS_TIMEOUT_MS;
	l->keepalive_ms = OVL_KEEPALIVE_MS;
	l->idle_ms = OVL_IDLE_MS;
	l->stall_ms = OVL_STALL_MS;
	l->max_conns = OVL_MAX_CONNS;
	l->hs_rate = OVL_HS_RATE;
	l->hs_burst = OVL_HS_BURST;
	l->mux.max_chans = OVL_MAX_CHANS;
	l->mux.max_buffered = OVL_MAX_BUFFERED;
	l->mux.window = OVL_WINDOW;
	l->mux.chan_queue = OVL_CHAN_QUEUE;
}

/* Fills the zero fields of l with defaults. */
void
ovl__limits_fill(struct ovl_limits *l)
{
	struct ovl_limits d;

	ovl_limits_default(&d);
	if (l->hs_timeout_ms == 0)
		l->hs_timeout_ms = d.hs_timeout_ms;
	if (l->keepalive_ms == 0)
		l->keepalive_ms = d.keepalive_ms;
	if (l->idle_ms == 0)
		l->idle_ms = d.idle_ms;
	if (l->stall_ms == 0)
		l->stall_ms = d.stall_ms;
	if (l->max_conns == 0)
		l->max_conns = d.max_conns;
	if (l->hs_rate == 0)
		l->hs_rate = d.hs_rate;
	if (l->hs_burst == 0)
		l->hs_burst = d.hs_burst;
}

/* Wall-clock milliseconds. */
uint64_t
ovl__wall_ms(void)
{
	uv_timeval64_t tv;

	if (uv_gettimeofday(&tv) != 0)
		return (0);
	return ((uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000);
}

/*
 * The clock a client puts in message 1: the wall clock, moved by
 * PIER_TEST_CLOCK_OFFSET_MS (signed milliseconds) when the environment
 * sets it. Only the tests set it, to play a client whose clock is off;
 * nothing else reads it and the node's own clock never moves.
 */
uint64_t
ovl__client_clock_ms(void)
{
	const char *v = getenv("PIER_TEST_CLOCK_OFFSET_MS");
	long long off;
	char *end;

	if (v == NULL || v[0] == '\0')
		return (ovl__wall_ms());
	errno = 0;
	off = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0')
		return (ovl__wall_ms());
	return (ovl__wall_ms() + (uint64_t)off);
}

/*
 * Formats an address for logs and for dialing again: an IPv6 link-local
 * address keeps its interface ("[fe80::1%eth0]:7437"), without which it
 * cannot be dialed.
 */
void
ovl__addr_format(const struct sockaddr *sa, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN], ifname[IF_NAMESIZE];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		uv_ip6_name(s6, ip, sizeof ip);
		if (s6->sin6_scope_id != 0 &&
		    IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr) &&
		    if_indextoname(s6->sin6_scope_id, ifname) != NULL)
			snprintf(out, cap, "[%s%%%s]:%u", ip, ifname,
			    ntohs(s6->sin6_port));
		else
			snprintf(out, cap, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		uv_ip4_name(s4, ip, sizeof ip);
		snprintf(out, cap, "%s:%u", ip, ntohs(s4->sin_port));
	} else
		snprintf(out, cap, "?");
}

/* Splits host:port or [v6]:port. */
int
ovl__addr_split(const char *s, char *host, size_t cap, int *port,
    const char **why)
{
	const char *colon, *h, *end;
	char *e;
	size_t hl;
	long p;

	if (s[0] == '[') {
		end = strchr(s, ']');
		if (end == NULL || end[1] != ':') {
			*why = "expected [address]:port";
			return (-EINVAL);
		}
		h = s + 1;
		hl = (size_t)(end - h);
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || memchr(s, ':', (size_t)(colon - s))) {
			*why = "expected host:port or [address]:port";
			return (-EINVAL);
		}
		h = s;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= cap) {
		*why = "missing or too long host";
		return (-EINVAL);
	}
	p = strtol(colon + 1, &e, 10);
	if (colon[1] == '\0' || *e != '\0' || p < 0 || p > 65535) {
		*why = "port must be a number from 0 to 65535";
		return (-EINVAL);
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (int)p;
	return (0);
}

/* Candidate kinds, by enum ovl_path. */
static const struct {
	const char	*prefix;	/* in a candidate's text */
	const char	*name;		/* in reports */
} paths[] = {
	{ "", "direct" },
	{ "lan+", "lan" },
	{ "map+", "mapped" },
	{ "relay+", "relay" },
	{ "dht+", "dht" },
	{ "punch+", "punched" },
};

/* The path's name. */
const char *
ovl_path_name(enum ovl_path p)
{
	if ((size_t)p >= sizeof paths / sizeof paths[0])
		return ("?");
	return (paths[p].name);
}

/* Splits a candidate's kind off. */
const char *
ovl_path_split(const char *cand, enum ovl_path *kind)
{
	const char *plus = strchr(cand, '+');
	size_t i, n;

	*kind = OVL_PATH_DIRECT;
	if (plus == NULL)
		return (cand);
	n = (size_t)(plus - cand) + 1;
	for (i = 1; i < sizeof paths / sizeof paths[0]; i++) {
		if (strlen(paths[i].prefix) == n &&
		    strncmp(cand, paths[i].prefix, n) == 0) {
			*kind = (enum ovl_path)i;
			return (plus + 1);
		}
	}
	return (NULL);
}

/*
 * A TCP socket for one half of a simultaneous open: non-blocking, with
 * SO_REUSEADDR and SO_REUSEPORT, bound to 0.0.0.0:port (0: the kernel's
 * choice), so it shares its port with a listener or another such socket.
 */
int
ovl_punch_socket(uint16_t port)
{
	struct sockaddr_in sin;
	int fd, one = 1, rc;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return (-errno);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		rc = -errno;
		close(fd);
		return (rc);
	}
	return (fd);
}
