/*
 * UPnP-IGD through libminiupnpc. Its calls block (SSDP discovery waits
 * cfg.upnp_wait_ms, SOAP calls wait on TCP), so each exchange is one
 * uv_queue_work job: the thread does discovery (first time only),
 * GetExternalIPAddress and AddPortMapping, or DeletePortMapping, and
 * the loop reads the job's results in its after-work callback. One job
 * at a time; while it runs only the thread touches pm->up.
 *
 * AddPortMapping asks for the internal port outside; on a conflict
 * (718) it asks once for another port. An IGD that takes only
 * permanent mappings (725) gets lease 0, renewed all the same. A SOAP
 * failure drops the IGD description, so the next attempt discovers
 * again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>
#include <sodium.h>

#include "portmap-int.h"

#define UPNP_CONFLICT		718	/* ConflictInMappingEntry */
#define UPNP_ONLY_PERMANENT	725	/* OnlyPermanentLeasesSupported */
#define UPNP_DESC		"pier"

/* What the thread keeps between jobs: the IGD found. */
struct ovl__pm_upnp {
	struct UPNPUrls	urls;
	struct IGDdatas	data;
	int		have_igd;
	char		lanaddr[64];
};

/* One job: inputs copied in, results read back on the loop. */
struct upnp_job {
	uv_work_t		 req;
	struct ovl_portmap	*pm;
	struct ovl__pm_upnp	*up;
	int			 wait_ms;
	uint16_t		 iport;
	uint16_t		 eport;		/* asked for; 0 deletes */
	uint32_t		 lease;		/* 0 with eport: delete */
	int			 del;
	int			 err;
	char			 why[96];
	char			 ip[OVL_PM_ADDR_MAX];
	uint16_t		 got_port;
	uint32_t		 got_lease;
};

/* Finds an IGD on the LAN (thread). */
static int
upnp_discover(struct upnp_job *j)
{
	struct ovl__pm_upnp	*up = j->up;
	struct UPNPDev		*devs;
	int			 err = 0, r;

	devs = upnpDiscover(j->wait_ms, NULL, NULL, 0, 0, 2, &err);
	if (devs == NULL) {
		snprintf(j->why, sizeof(j->why), "no UPnP device answered");
		return (-ENOENT);
	}
	r = UPNP_GetValidIGD(devs, &up->urls, &up->data, up->lanaddr,
	    sizeof(up->lanaddr));
	freeUPNPDevlist(devs);
	if (r == 1 || r == 2) {
		up->have_igd = 1;
		return (0);
	}
	if (r != 0)
		FreeUPNPUrls(&up->urls);
	snprintf(j->why, sizeof(j->why), "no Internet gateway device found");
	return (-ENOENT);
}

/* Adds (or renews) the mapping (thread). */
static int
upnp_add(struct upnp_job *j)
{
	struct ovl__pm_upnp	*up = j->up;
	char			 ext[8], in[8], lease[16];
	int			 r, tries;
	uint16_t		 port = j->eport;

	r = UPNP_GetExternalIPAddress(up->urls.controlURL,
	    up->data.first.servicetype, j->ip);
	if (r != 0 || j->ip[0] == '\0') {
		snprintf(j->why, sizeof(j->why), "no external address: %s",
		    r != 0 ? strupnperror(r) : "empty");
		return (-EIO);
	}
	snprintf(in, sizeof(in), "%u", j->iport);
	snprintf(lease, sizeof(lease), "%u", j->lease);
	for (tries = 0; tries < 3; tries++) {
		snprintf(ext, sizeof(ext), "%u", port);
		r = UPNP_AddPortMapping(up->urls.controlURL,
		    up->data.first.servicetype, ext, in, up->lanaddr,
		    UPNP_DESC, "TCP", NULL, lease);
		if (r == UPNP_ONLY_PERMANENT && strcmp(lease, "0") != 0) {
			snprintf(lease, sizeof(lease), "0");
			continue;
		}
		if (r == UPNP_CONFLICT)
			port = (uint16_t)(1024 + randombytes_uniform(64511));
		if (r == 0)
			break;
	}
	if (r != 0) {
		snprintf(j->why, sizeof(j->why), "AddPortMapping: %s (%d)",
		    strupnperror(r) != NULL ? strupnperror(r) : "failed", r);
		return (-EIO);
	}
	j->got_port = port;
	j->got_lease = (uint32_t)strtoul(lease, NULL, 10);
	return (0);
}

/* The job, on a thread-pool thread. */
static void
upnp_work(uv_work_t *req)
{
	struct upnp_job	*j = container_of(req, struct upnp_job, req);
	char		 ext[8];
	int		 r;

	if (!j->up->have_igd && (j->err = upnp_discover(j)) != 0)
		return;
	if (!j->del) {
		j->err = upnp_add(j);
	} else {
		snprintf(ext, sizeof(ext), "%u", j->eport);
		r = UPNP_DeletePortMapping(j->up->urls.controlURL,
		    j->up->data.first.servicetype, ext, "TCP", NULL);
		if (r != 0) {
			snprintf(j->why, sizeof(j->why), "DeletePortMapping: "
			    "%s (%d)", strupnperror(r) != NULL ?
			    strupnperror(r) : "failed", r);
			j->err = -EIO;
		}
	}
	if (j->err != 0 && j->up->have_igd && j->err != -ENOENT) {
		/* The gateway may have changed: discover next time. */
		FreeUPNPUrls(&j->up->urls);
		j->up->have_igd = 0;
	}
}

/* The job ended: hand its result to the state machine, on the loop. */
static void
upnp_after(uv_work_t *req, int status)
{
	struct upnp_job		*j = container_of(req, struct upnp_job, req);
	struct ovl_portmap	*pm = j->pm;
	int			 err = j->err != 0 ? j->err : status;

	pm->jobs--;
	if (pm->state == OVL_PM_STOPPING && !j->del && err == 0) {
		/* Mapped while stopping: delete it before letting go. */
		pm->proto = OVL_PM_UPNP;
		pm->pub_port = j->got_port;
		pm->want_lease = 0;
		free(j);
		if (ovl__upnp_send(pm) != 0)
			ovl__pm_result(pm, -EIO, "cannot delete", NULL, 0, 0);
		ovl__pm_maybe_free(pm);
		return;
	}
	if (pm->finishing)
		ovl__pm_maybe_free(pm);
	else
		ovl__pm_result(pm, err, j->why[0] != '\0' ? j->why :
		    err != 0 ? uv_strerror(err) : NULL, j->ip, j->got_port,
		    j->got_lease);
	free(j);
}

/* Queues discovery and AddPortMapping (or DeletePortMapping). */
int
ovl__upnp_send(struct ovl_portmap *pm)
{
	struct upnp_job	*j;
	int		 err;

	if (pm->up == NULL) {
		pm->up = calloc(1, sizeof(*pm->up));
		if (pm->up == NULL)
			return (-ENOMEM);
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return (-ENOMEM);
	j->pm = pm;
	j->up = pm->up;
	j->wait_ms = pm->cfg.upnp_wait_ms;
	j->iport = pm->iport;
	j->eport = pm->pub_port != 0 ? pm->pub_port : pm->iport;
	j->lease = pm->want_lease;
	j->del = pm->want_lease == 0;
	err = uv_queue_work(pm->loop, &j->req, upnp_work, upnp_after);
	if (err != 0) {
		free(j);
		return (err);
	}
	pm->jobs++;
	return (0);
}

/* Frees the IGD description (no job may be running). */
void
ovl__upnp_free(struct ovl_portmap *pm)
{
	if (pm->up == NULL)
		return;
	if (pm->up->have_igd)
		FreeUPNPUrls(&pm->up->urls);
	free(pm->up);
	pm->up = NULL;
}
