/*
 * System operations: ping (which also settles the API version), version,
 * info and disk usage. They are the first calls node/ makes and the ones
 * a user runs to see whether the engine is there at all. The version
 * rule lives here too: the lower of the engine's and ours, never below
 * DK_API_VERSION_MIN (Debian 12's docker.io speaks 1.41).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dk-http.h"

/* What dk_ping's own callback needs to call the caller's. */
struct dk_ping_ctx {
	dk_req_cb	*cb;
	void		*arg;
};

/* Turns a ping's headers into its result. */
static void
ping_cb(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct dk_ping_ctx *ctx = arg;
	json_t *o = NULL;		/* owned, passed on */
	const char *v, *os, *ex;

	json_decref(result);
	if (status == 0) {
		v = dk_req_header(req, "Api-Version");
		os = dk_req_header(req, "OSType");
		ex = dk_req_header(req, "Docker-Experimental");
		o = json_pack("{s:s?, s:s?, s:b}", "ApiVersion", v, "OSType",
		    os, "Experimental", ex != NULL && strcmp(ex, "true") == 0);
		if (o == NULL)
			status = DK_E_INTERNAL;
	}
	ctx->cb(req, status, o, ctx->arg);
	free(ctx);
}

/* Pings the engine. */
int
dk_ping(struct dk_client *c, dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	struct dk_req_opts o = {
		.path = "/_ping",
		.flags = DK_REQ_RAW | DK_REQ_NOVERSION,
	};
	struct dk_ping_ctx *ctx;
	int rc;

	if (cb == NULL)
		return (-EINVAL);
	ctx = malloc(sizeof *ctx);
	if (ctx == NULL)
		return (-ENOMEM);
	ctx->cb = cb;
	ctx->arg = arg;
	rc = dk_request(c, &o, ping_cb, ctx, reqp);
	if (rc != 0)
		free(ctx);
	return (rc);
}

/* Sends a GET to a fixed path; timeout_ms 0 is the client's default. */
static int
get(struct dk_client *c, const char *path, long timeout_ms, dk_req_cb *cb,
    void *arg, struct dk_req **reqp)
{
	struct dk_req_opts o = { .path = path, .timeout_ms = timeout_ms };

	return (dk_request(c, &o, cb, arg, reqp));
}

/* Asks the engine's version. */
int
dk_version(struct dk_client *c, dk_req_cb *cb, void *arg,
    struct dk_req **reqp)
{
	return (get(c, "/version", 0, cb, arg, reqp));
}

/* Asks system-wide information. */
int
dk_info(struct dk_client *c, dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	return (get(c, "/info", 0, cb, arg, reqp));
}

/* Asks disk usage. */
int
dk_disk_usage(struct dk_client *c, dk_req_cb *cb, void *arg,
    struct dk_req **reqp)
{
	/* Sizing every layer and volume can take minutes on a big host. */
	return (get(c, "/system/df", 10 * 60 * 1000, cb, arg, reqp));
}

/* Parses "1.41" into 141; -1 if it is not a version. */
int
dk__version_num(const char *v)
{
	char *end;
	long maj, min;

	if (v == NULL || !isdigit((unsigned char)*v))
		return (-1);
	maj = strtol(v, &end, 10);
	if (*end != '.' || !isdigit((unsigned char)end[1]))
		return (-1);
	min = strtol(end + 1, &end, 10);
	if (*end != '\0' || maj > 99 || min > 99)
		return (-1);
	return ((int)(maj * 100 + min));
}

/* Settles the API version from the engine's. */
int
dk__negotiate(const char *host, const char *theirs, char **version,
    char **msg)
{
	int n = dk__version_num(theirs);

	if (n < 0) {
		*msg = dk__asprintf("Docker at %s sent no usable Api-Version "
		    "in its /_ping answer", host);
		return (DK_E_BAD_RESPONSE);
	}
	if (n < dk__version_num(DK_API_VERSION_MIN)) {
		*msg = dk__asprintf("Docker at %s speaks API %s, older than "
		    "the oldest this client speaks (%s)", host, theirs,
		    DK_API_VERSION_MIN);
		return (DK_E_UNAVAILABLE);
	}
	if (n > dk__version_num(DK_API_VERSION))
		theirs = DK_API_VERSION;
	*version = strdup(theirs);
	return (*version == NULL ? DK_E_INTERNAL : 0);
}
