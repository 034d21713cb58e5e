/*
 * A port mapping's life (see ovl-map.h for the protocols): an attempt
 * tries each enabled protocol in turn (PCP, NAT-PMP, UPnP), one exchange
 * at a time, and keeps the first that grants a mapping. The refresh
 * timer then renews it through that protocol at half the lease; a
 * failed renewal reports LOST and starts a whole attempt again. An
 * attempt where every protocol failed reports FAILED once (until a
 * mapping is held again) and is retried every cfg.retry_ms.
 *
 * Stopping deletes a held mapping through its protocol, waits for the
 * answer at most OVL_PM_STOP_MS, then closes the handles; done runs once
 * the handles are closed. A UPnP call running on the thread pool cannot
 * be interrupted: pm is freed when it returns, and a mapping it made in
 * the meantime is deleted by one more call.
 *
 * Memory: the struct holds everything (the PCP datagram buffer, the
 * libnatpmp state) except UPnP's IGD description, allocated by
 * libminiupnpc on first discovery.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <sodium.h>

#include "portmap-int.h"

static void	pm_attempt(struct ovl_portmap *);
static void	pm_finish(struct ovl_portmap *);

/* The name of a state. */
const char *
ovl_portmap_state_name(enum ovl_pm_state st)
{
	switch (st) {
	case OVL_PM_TRYING:
		return ("trying");
	case OVL_PM_MAPPED:
		return ("mapped");
	case OVL_PM_FAILED:
		return ("failed");
	case OVL_PM_STOPPING:
		return ("stopping");
	case OVL_PM_STOPPED:
		return ("stopped");
	}
	return ("?");
}

/* The protocol's name as the status and logs say it. */
static const char *
pm_proto_name(unsigned proto)
{
	switch (proto) {
	case OVL_PM_PCP:
		return ("pcp");
	case OVL_PM_NATPMP:
		return ("nat-pmp");
	case OVL_PM_UPNP:
		return ("upnp");
	}
	return (NULL);
}

/* The IPv4 default gateway from /proc/net/route (network order), or 0. */
static uint32_t
pm_default_gateway(void)
{
	FILE		*f;
	char		 line[256], ifname[64];
	unsigned	 dst, gw, flags;
	uint32_t	 found = 0;

	f = fopen("/proc/net/route", "r");
	if (f == NULL)
		return (0);
	while (found == 0 && fgets(line, sizeof(line), f) != NULL) {
		/* The kernel prints addresses as host-order hex of the
		 * network-order value, so the parsed number is as stored. */
		if (sscanf(line, "%63s %x %x %x", ifname, &dst, &gw,
		    &flags) != 4)
			continue;
		/* 0x2 is RTF_GATEWAY. */
		if (dst == 0 && (flags & 0x2) != 0 && gw != 0)
			found = gw;
	}
	fclose(f);
	return (found);
}

/* Fills st with where the mapping stands. */
void
ovl_portmap_status(const struct ovl_portmap *pm, struct ovl_portmap_status *st)
{
	uint64_t	age_s;

	memset(st, 0, sizeof(*st));
	st->state = pm->state;
	st->internal_port = pm->iport;
	st->verified = pm->verified;
	snprintf(st->gateway, sizeof(st->gateway), "%s", pm->gw_text);
	snprintf(st->error, sizeof(st->error), "%s", pm->error);
	if (pm->pub_port == 0)
		return;
	st->protocol = pm_proto_name(pm->proto);
	snprintf(st->public_ip, sizeof(st->public_ip), "%s", pm->pub_ip);
	st->public_port = pm->pub_port;
	st->lease_s = pm->lease;
	age_s = (uv_now(pm->loop) - pm->mapped_ms) / 1000;
	st->expires_s = pm->lease > age_s ? pm->lease - (uint32_t)age_s : 0;
}

/* Records whether a dial-back through the mapping worked. */
void
ovl_portmap_set_verified(struct ovl_portmap *pm, int ok)
{
	if (pm->pub_port != 0)
		pm->verified = ok != 0;
}

/* Tells the owner of an event, unless it stopped listening. */
static void
pm_tell(struct ovl_portmap *pm, enum ovl_pm_event ev)
{
	struct ovl_portmap_status	st;

	if (pm->cb == NULL)
		return;
	ovl_portmap_status(pm, &st);
	pm->cb(pm, ev, &st, pm->arg);
}

/* Appends "proto: why" to the attempt's error text. */
static void
pm_note_error(struct ovl_portmap *pm, const char *why)
{
	size_t	len = strlen(pm->error);

	snprintf(pm->error + len, sizeof(pm->error) - len, "%s%s: %s",
	    len > 0 ? "; " : "", pm_proto_name(pm->proto), why);
}

/* Starts one exchange through pm->proto; a refusal to start is a result. */
static void
pm_exchange(struct ovl_portmap *pm)
{
	int	err;

	pm->busy = 1;
	pm->deadline = uv_now(pm->loop) + pm->cfg.try_ms;
	switch (pm->proto) {
	case OVL_PM_PCP:
		err = ovl__pcp_send(pm);
		break;
	case OVL_PM_NATPMP:
		err = ovl__natpmp_send(pm);
		break;
	default:
		err = ovl__upnp_send(pm);
		break;
	}
	if (err != 0)
		ovl__pm_result(pm, err, uv_strerror(err), NULL, 0, 0);
}

/* The next enabled protocol after pm->proto, or 0. */
static unsigned
pm_next_proto(const struct ovl_portmap *pm)
{
	unsigned	p;

	for (p = pm->proto == 0 ? OVL_PM_PCP : pm->proto << 1;
	    p <= OVL_PM_UPNP; p <<= 1) {
		/* PCP and NAT-PMP need the gateway; UPnP finds its own. */
		if ((pm->cfg.protos & p) != 0 && (p == OVL_PM_UPNP ||
		    pm->gw != 0))
			return (p);
	}
	return (0);
}

/* Refresh and retry timer: renew the mapping, or a whole new attempt. */
static void
pm_on_timer(uv_timer_t *t)
{
	struct ovl_portmap	*pm = container_of(t, struct ovl_portmap,
				    timer);

	if (pm->busy || pm->state == OVL_PM_STOPPING)
		return;
	if (pm->state == OVL_PM_MAPPED) {
		pm->refreshing = 1;
		pm->want_lease = pm->cfg.lease_s;
		pm_exchange(pm);
	} else
		pm_attempt(pm);
}

/* Begins an attempt from the first enabled protocol. */
static void
pm_attempt(struct ovl_portmap *pm)
{
	pm->refreshing = 0;
	pm->error[0] = '\0';
	pm->proto = 0;
	pm->proto = pm_next_proto(pm);
	if (pm->proto == 0) {
		snprintf(pm->error, sizeof(pm->error), "no default gateway");
		pm->state = OVL_PM_FAILED;
		if (!pm->failed_told) {
			pm->failed_told = 1;
			pm_tell(pm, OVL_PM_EV_FAILED);
		}
		(void)uv_timer_start(&pm->timer, pm_on_timer,
		    pm->cfg.retry_ms, 0);
		return;
	}
	pm->want_lease = pm->cfg.lease_s;
	pm_exchange(pm);
}

/* A granted mapping: keep it, tell if it is new, renew at half-life. */
static void
pm_mapped(struct ovl_portmap *pm, const char *ip, uint16_t port,
    uint32_t lease)
{
	uint64_t	renew_ms;
	int		changed;

	changed = pm->pub_port != port || strcmp(pm->pub_ip, ip) != 0 ||
	    pm->state != OVL_PM_MAPPED;
	snprintf(pm->pub_ip, sizeof(pm->pub_ip), "%s", ip);
	pm->pub_port = port;
	pm->lease = lease;
	pm->mapped_ms = uv_now(pm->loop);
	pm->state = OVL_PM_MAPPED;
	pm->failed_told = 0;
	pm->error[0] = '\0';
	/* A permanent (lease 0) UPnP mapping is still checked now and then. */
	renew_ms = (uint64_t)(lease != 0 ? lease : pm->cfg.lease_s) * 500;
	if (renew_ms < 1000)
		renew_ms = 1000;
	(void)uv_timer_start(&pm->timer, pm_on_timer, renew_ms, 0);
	if (changed) {
		pm->verified = -1;
		pm_tell(pm, OVL_PM_EV_MAPPED);
	}
}

/* Ends the exchange in flight (see portmap-int.h). */
void
ovl__pm_result(struct ovl_portmap *pm, int err, const char *why,
    const char *ip, uint16_t port, uint32_t lease)
{
	pm->busy = 0;
	if (pm->state == OVL_PM_STOPPING) {
		/* The delete was answered (or the stop found nothing held). */
		pm_finish(pm);
		return;
	}
	if (err == 0 && ip != NULL && ip[0] != '\0' && port != 0) {
		pm_mapped(pm, ip, port, lease);
		return;
	}
	if (err == 0)
		why = "the answer had no public address";
	else if (why == NULL)
		why = "failed";
	if (pm->refreshing) {
		pm_note_error(pm, why);
		pm->pub_port = 0;
		pm->pub_ip[0] = '\0';
		pm->verified = -1;
		pm->state = OVL_PM_TRYING;
		pm_tell(pm, OVL_PM_EV_LOST);
		pm_attempt(pm);
		return;
	}
	pm_note_error(pm, why);
	pm->proto = pm_next_proto(pm);
	if (pm->proto != 0) {
		pm->want_lease = pm->cfg.lease_s;
		pm_exchange(pm);
		return;
	}
	pm->state = OVL_PM_FAILED;
	if (!pm->failed_told) {
		pm->failed_told = 1;
		pm_tell(pm, OVL_PM_EV_FAILED);
	}
	(void)uv_timer_start(&pm->timer, pm_on_timer, pm->cfg.retry_ms, 0);
}

/* Frees pm if its stop finished and nothing refers to it any more. */
void
ovl__pm_maybe_free(struct ovl_portmap *pm)
{
	if (!pm->finishing || pm->nclosing > 0 || pm->jobs > 0)
		return;
	if (!pm->done_called) {
		pm->done_called = 1;
		if (pm->done != NULL)
			pm->done(pm, pm->done_arg);
	}
	ovl__upnp_free(pm);
	free(pm);
}

/* A handle of pm closed. */
static void
pm_on_closed(uv_handle_t *h)
{
	struct ovl_portmap	*pm = h->data;

	if (--pm->nclosing == 0 && pm->np_open) {
		/* The poll handle is gone, so the socket may close now. */
		(void)closenatpmp(&pm->np);
		pm->np_open = 0;
	}
	ovl__pm_maybe_free(pm);
}

/* Closes one handle, counted. */
static void
pm_close(struct ovl_portmap *pm, uv_handle_t *h)
{
	h->data = pm;
	pm->nclosing++;
	uv_close(h, pm_on_closed);
}

/*
 * The stop is over (deleted, nothing to delete, or out of time): close
 * the handles; done runs when they are closed and no job is running.
 */
static void
pm_finish(struct ovl_portmap *pm)
{
	if (pm->finishing)
		return;
	pm->finishing = 1;
	pm->busy = 0;
	ovl__pcp_cancel(pm);
	ovl__natpmp_cancel(pm);
	pm_close(pm, (uv_handle_t *)&pm->timer);
	pm_close(pm, (uv_handle_t *)&pm->xtimer);
	pm_close(pm, (uv_handle_t *)&pm->stop_timer);
	if (pm->udp_open)
		pm_close(pm, (uv_handle_t *)&pm->udp);
	if (pm->np_open)	/* closenatpmp follows in pm_on_closed */
		pm_close(pm, (uv_handle_t *)&pm->poll);
	if (pm->jobs > 0 && !pm->done_called) {
		/* A UPnP call is still out: the owner need not wait for it. */
		pm->done_called = 1;
		if (pm->done != NULL)
			pm->done(pm, pm->done_arg);
	}
}

/* The delete took too long: give up on it. */
static void
pm_on_stop_timer(uv_timer_t *t)
{
	pm_finish(container_of(t, struct ovl_portmap, stop_timer));
}

/* Deletes the mapping, closes everything, then runs done. */
void
ovl_portmap_stop(struct ovl_portmap *pm, ovl_portmap_done_cb *done,
    void *arg)
{
	if (pm->state == OVL_PM_STOPPING)
		return;
	pm->done = done;
	pm->done_arg = arg;
	pm->cb = NULL;
	pm->state = OVL_PM_STOPPING;
	(void)uv_timer_stop(&pm->timer);
	if (pm->busy && pm->proto != OVL_PM_UPNP) {
		ovl__pcp_cancel(pm);
		ovl__natpmp_cancel(pm);
		pm->busy = 0;
	}
	(void)uv_timer_start(&pm->stop_timer, pm_on_stop_timer,
	    OVL_PM_STOP_MS, 0);
	if (pm->busy)
		return;		/* UPnP: its end deletes what it made */
	if (pm->pub_port == 0) {
		pm_finish(pm);
		return;
	}
	pm->want_lease = 0;
	pm_exchange(pm);
}

/* Starts mapping internal_port (TCP) on loop. */
int
ovl_portmap_new(uv_loop_t *loop, uint16_t internal_port,
    const struct ovl_portmap_cfg *cfg, ovl_portmap_cb *cb, void *arg,
    struct ovl_portmap **out)
{
	struct ovl_portmap	*pm;
	struct in_addr		 in;

	*out = NULL;
	if (internal_port == 0)
		return (-EINVAL);
	pm = calloc(1, sizeof(*pm));
	if (pm == NULL)
		return (-ENOMEM);
	if (cfg != NULL)
		pm->cfg = *cfg;
	pm->cfg.gateway = NULL;
	if (cfg != NULL && cfg->gateway != NULL) {
		if (inet_pton(AF_INET, cfg->gateway, &in) != 1) {
			free(pm);
			return (-EINVAL);
		}
		pm->gw = in.s_addr;
	} else
		pm->gw = pm_default_gateway();
	in.s_addr = pm->gw;
	if (pm->gw != 0)
		(void)inet_ntop(AF_INET, &in, pm->gw_text, sizeof(pm->gw_text));
	if (pm->cfg.server_port == 0)
		pm->cfg.server_port = OVL_PM_PORT;
	if (pm->cfg.protos == 0)
		pm->cfg.protos = OVL_PM_ALL;
	if (pm->cfg.lease_s == 0)
		pm->cfg.lease_s = OVL_PM_LEASE_S;
	if (pm->cfg.try_ms == 0)
		pm->cfg.try_ms = OVL_PM_TRY_MS;
	if (pm->cfg.retry_ms == 0)
		pm->cfg.retry_ms = OVL_PM_RETRY_MS;
	if (pm->cfg.upnp_wait_ms == 0)
		pm->cfg.upnp_wait_ms = OVL_PM_UPNP_WAIT_MS;
	pm->loop = loop;
	pm->iport = internal_port;
	pm->cb = cb;
	pm->arg = arg;
	pm->verified = -1;
	pm->state = OVL_PM_TRYING;
	randombytes_buf(pm->pcp.nonce, sizeof(pm->pcp.nonce));
	(void)uv_timer_init(loop, &pm->timer);
	(void)uv_timer_init(loop, &pm->xtimer);
	(void)uv_timer_init(loop, &pm->stop_timer);
	/* The first attempt on the next turn, so cb never runs in here. */
	(void)uv_timer_start(&pm->timer, pm_on_timer, 0, 0);
	*out = pm;
	return (0);
}
