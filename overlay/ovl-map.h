/*
 * Port mapping: asking the router in front of the node to forward one of
 * its TCP ports from the router's public address. Included through
 * overlay.h.
 *
 * Three protocols, tried in this order on each attempt, the first that
 * answers with a mapping kept:
 *   pcp      RFC 6887, a MAP request over UDP to the default gateway's
 *            port 5351 (portmap-pcp.c, our own codec).
 *   nat-pmp  RFC 6886 through libnatpmp, same gateway and port; a server
 *            that speaks only NAT-PMP answers a PCP request with
 *            "unsupported version", which moves on at once.
 *   upnp     UPnP-IGD through libminiupnpc (SSDP discovery, SOAP), which
 *            blocks: its calls run on the libuv thread pool.
 * The mapping is refreshed at half its lease and deleted by
 * ovl_portmap_stop. When nothing answers, the attempt is repeated
 * quietly every OVL_PM_RETRY_MS. A mapping is a candidate until the
 * owner says a dial-back through it worked (ovl_portmap_set_verified).
 *
 * The default gateway is read once, at ovl_portmap_new, from
 * /proc/net/route (IPv4 only: PCP and NAT-PMP to an IPv6 gateway are
 * not done).
 */
#ifndef PIER_OVL_MAP_H
#define PIER_OVL_MAP_H

#include <stdint.h>

#include <uv.h>

#define OVL_PM_LEASE_S		3600	/* lease asked for, seconds */
#define OVL_PM_TRY_MS		3000	/* wait per protocol for an answer */
#define OVL_PM_UPNP_WAIT_MS	2000	/* SSDP discovery wait */
#define OVL_PM_RETRY_MS		(10 * 60 * 1000)  /* after all failed */
#define OVL_PM_STOP_MS		3000	/* bound on the delete at stop */
#define OVL_PM_PORT		5351	/* PCP and NAT-PMP server port */
#define OVL_PM_ADDR_MAX		46	/* INET6_ADDRSTRLEN */

/* Protocols, as bits of ovl_portmap_cfg.protos. */
#define OVL_PM_PCP	0x1
#define OVL_PM_NATPMP	0x2
#define OVL_PM_UPNP	0x4
#define OVL_PM_ALL	(OVL_PM_PCP | OVL_PM_NATPMP | OVL_PM_UPNP)

/* Where a mapping stands. */
enum ovl_pm_state {
	OVL_PM_TRYING,		/* asking; nothing mapped yet */
	OVL_PM_MAPPED,		/* a mapping is held and refreshed */
	OVL_PM_FAILED,		/* nothing answered; retried later */
	OVL_PM_STOPPING,	/* deleting the mapping */
	OVL_PM_STOPPED,
};

/* What the callback is told. */
enum ovl_pm_event {
	OVL_PM_EV_MAPPED,	/* a mapping, or a new public address */
	OVL_PM_EV_LOST,		/* a refresh failed; asking again */
	OVL_PM_EV_FAILED,	/* every protocol failed (once per run) */
};

/* Settings; zero fields take the defaults above. */
struct ovl_portmap_cfg {
	const char	*gateway;	/* IPv4 dotted; NULL: default route */
	uint16_t	 server_port;	/* PCP's only (libnatpmp: 5351) */
	unsigned	 protos;	/* OVL_PM_* bits; 0: all */
	uint32_t	 lease_s;
	uint64_t	 try_ms;
	uint64_t	 retry_ms;
	int		 upnp_wait_ms;
};

/* A snapshot of a mapping, for `pierd status` and node.reach. */
struct ovl_portmap_status {
	enum ovl_pm_state state;
	const char	*protocol;	/* "pcp", "nat-pmp", "upnp"; NULL */
	char		 gateway[OVL_PM_ADDR_MAX];	/* "": none known */
	char		 public_ip[OVL_PM_ADDR_MAX];	/* "": not mapped */
	uint16_t	 internal_port;
	uint16_t	 public_port;	/* 0: not mapped */
	uint32_t	 lease_s;	/* granted */
	uint32_t	 expires_s;	/* seconds left of the lease */
	int		 verified;	/* -1 not tried, 0 failed, 1 worked */
	char		 error[160];	/* the last failure, "" none */
};

struct ovl_portmap;

/*
 * Told of each event, with the status at that moment. Not called after
 * ovl_portmap_stop.
 */
typedef void ovl_portmap_cb(struct ovl_portmap *pm, enum ovl_pm_event ev,
    const struct ovl_portmap_status *st, void *arg);
/* Run once when a stop has finished (mapping deleted or given up). */
typedef void ovl_portmap_done_cb(struct ovl_portmap *pm, void *arg);

/* The name of a state: "trying", "mapped", ... */
const char	*ovl_portmap_state_name(enum ovl_pm_state st);
/*
 * Starts mapping internal_port (TCP) on loop; cfg may be NULL. The first
 * attempt begins on the next loop turn. cb is never called if this fails.
 */
int	ovl_portmap_new(uv_loop_t *loop, uint16_t internal_port,
	    const struct ovl_portmap_cfg *cfg, ovl_portmap_cb *cb, void *arg,
	    struct ovl_portmap **out) WARN_UNUSED_RESULT;
/* Fills st with where the mapping stands. */
void	ovl_portmap_status(const struct ovl_portmap *pm,
	    struct ovl_portmap_status *st);
/*
 * Records whether a dial-back through the mapping worked (ok nonzero) or
 * not. A new public address resets it to "not tried".
 */
void	ovl_portmap_set_verified(struct ovl_portmap *pm, int ok);
/*
 * Deletes the mapping (bounded by OVL_PM_STOP_MS), closes everything and
 * then runs done (which may be NULL). pm is freed after done returns.
 * A UPnP call already under way on the thread pool keeps the loop alive
 * until it returns (miniupnpc's own socket timeouts bound it).
 */
void	ovl_portmap_stop(struct ovl_portmap *pm, ovl_portmap_done_cb *done,
	    void *arg);

#endif
