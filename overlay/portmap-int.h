/*
 * Internals of port mapping, shared by portmap.c (the state machine and
 * the API), pcp.c (the PCP codec), portmap-pcp.c (its UDP exchange),
 * portmap-natpmp.c (libnatpmp on the loop) and portmap-upnp.c
 * (libminiupnpc on the thread pool). Nothing outside overlay/ includes
 * this.
 *
 * One exchange is in flight at a time: a backend's send starts it, and
 * the backend ends it exactly once with ovl__pm_result. The PCP codec is
 * pure (bytes in, struct out) so the fuzzer drives it directly.
 */
#ifndef PIER_OVL_PORTMAP_INT_H
#define PIER_OVL_PORTMAP_INT_H

#include <stddef.h>
#include <stdint.h>

#include <natpmp.h>

#include "overlay.h"

#ifndef container_of
/* The struct that embeds member, from a pointer to it. */
#define container_of(ptr, type, member)					\
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

/* pcp.c: the codec */

#define OVL__PCP_VERSION	2
#define OVL__PCP_OP_MAP		1
#define OVL__PCP_NONCE_LEN	12
#define OVL__PCP_MAP_LEN	60	/* header 24 + MAP data 36 */
#define OVL__PCP_MAX		1100	/* longest PCP message */
#define OVL__PCP_RTO_MS		250	/* first retransmit; doubles */

/* A MAP request's fields. */
struct ovl__pcp_req {
	uint8_t		nonce[OVL__PCP_NONCE_LEN];
	uint8_t		client_ip[16];	/* IPv4-mapped for IPv4 */
	uint16_t	internal_port;
	uint16_t	suggested_port;
	uint32_t	lifetime;	/* 0 deletes */
};

/* A decoded response to a MAP request. */
struct ovl__pcp_resp {
	uint8_t		result;		/* 0: success */
	uint32_t	lifetime;
	uint32_t	epoch;
	uint16_t	external_port;
	uint8_t		external_ip[16];
};

/* Writes a MAP request for TCP; returns its length (60). */
size_t	ovl__pcp_encode(const struct ovl__pcp_req *req,
	    uint8_t out[static OVL__PCP_MAP_LEN]);
/*
 * Decodes a datagram answering req. 0: a PCP answer (r->result says
 * which); -EPROTONOSUPPORT: a NAT-PMP-only server answered; -EPROTO:
 * malformed or not an answer to req (ignore it).
 */
int	ovl__pcp_decode(const uint8_t *buf, size_t len,
	    const struct ovl__pcp_req *req, struct ovl__pcp_resp *r);
/* The name of a PCP result code ("NOT_AUTHORIZED", ...). */
const char *ovl__pcp_result_name(uint8_t result);
/* An IPv6 or IPv4-mapped address as text. */
void	ovl__pm_addr_text(const uint8_t ip[static 16], char *buf,
	    size_t size);

/* portmap.c */

struct ovl__pm_upnp;

/* One mapping (see ovl-map.h). */
struct ovl_portmap {
	uv_loop_t		*loop;
	struct ovl_portmap_cfg	 cfg;		/* defaults filled in */
	uint32_t		 gw;		/* gateway, network order; 0 */
	uint16_t		 iport;
	ovl_portmap_cb		*cb;
	void			*arg;
	enum ovl_pm_state	 state;
	unsigned		 proto;		/* tried or held: OVL_PM_* */
	int			 refreshing;	/* the exchange renews */
	int			 busy;		/* an exchange is in flight */
	uint32_t		 want_lease;	/* of the exchange; 0 deletes */
	uint64_t		 deadline;	/* of the exchange, uv_now ms */
	uv_timer_t		 timer;		/* refresh or retry */
	uv_timer_t		 xtimer;	/* retransmits, deadline */
	uv_timer_t		 stop_timer;
	/* PCP */
	uv_udp_t		 udp;
	int			 udp_open;
	struct ovl__pcp_req	 pcp;
	uint64_t		 rto;
	uint8_t			 rbuf[OVL__PCP_MAX + 4];
	/* NAT-PMP */
	natpmp_t		 np;
	uv_poll_t		 poll;
	int			 np_open;
	int			 np_have_ip;	/* public address known */
	char			 np_ip[OVL_PM_ADDR_MAX];	/* it */
	/* UPnP */
	struct ovl__pm_upnp	*up;
	int			 jobs;		/* work requests queued */
	/* the mapping */
	char			 gw_text[OVL_PM_ADDR_MAX];
	char			 pub_ip[OVL_PM_ADDR_MAX];
	uint16_t		 pub_port;
	uint32_t		 lease;
	uint64_t		 mapped_ms;	/* uv_now of the last grant */
	int			 verified;
	int			 failed_told;	/* FAILED sent this run */
	char			 error[160];
	/* stopping */
	int			 finishing;	/* handles being closed */
	int			 nclosing;
	ovl_portmap_done_cb	*done;
	void			*done_arg;
	int			 done_called;
};

/*
 * Ends the exchange in flight: err 0 with the public address, port and
 * granted lease, or a negative errno with why.
 */
void	ovl__pm_result(struct ovl_portmap *pm, int err, const char *why,
	    const char *ip, uint16_t port, uint32_t lease);
/* Frees pm if its stop finished and nothing refers to it any more. */
void	ovl__pm_maybe_free(struct ovl_portmap *pm);

/* portmap-pcp.c: the exchange */

/* Sends a MAP request asking for pm->want_lease seconds. */
int	ovl__pcp_send(struct ovl_portmap *pm) WARN_UNUSED_RESULT;
/* Abandons the exchange (no result). */
void	ovl__pcp_cancel(struct ovl_portmap *pm);

/* portmap-natpmp.c */

/* Asks for the public address, then the mapping (or deletes it). */
int	ovl__natpmp_send(struct ovl_portmap *pm) WARN_UNUSED_RESULT;
/* Abandons the exchange (no result). */
void	ovl__natpmp_cancel(struct ovl_portmap *pm);

/* portmap-upnp.c */

/* Queues discovery and AddPortMapping (or DeletePortMapping). */
int	ovl__upnp_send(struct ovl_portmap *pm) WARN_UNUSED_RESULT;
/* Frees the IGD description (no job may be running). */
void	ovl__upnp_free(struct ovl_portmap *pm);

#endif
