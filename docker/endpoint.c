/*
 * Where the Docker engine listens, read the way the docker CLI reads it:
 * DOCKER_HOST (unix:///path or tcp://host:port), DOCKER_TLS_VERIFY and
 * DOCKER_TLS for https, DOCKER_CERT_PATH for ca.pem, cert.pem and key.pem,
 * DOCKER_API_VERSION to pin the API version. Addresses this client cannot
 * use (ssh://, npipe://, fd://) are refused here with a clear reason
 * instead of failing later inside curl.
 */
#include <sys/un.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docker.h"

static int	bad(char **, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Sets *cause to a formatted message and returns -EINVAL. */
static int
bad(char **cause, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) < 0)
		*cause = NULL;
	va_end(ap);
	return (-EINVAL);
}

/* Joins a folder and a file name if the file exists; NULL otherwise. */
static char *
cert_file(const char *dir, const char *name, int *oom)
{
	char *p;

	if (dir == NULL)
		return (NULL);
	if (asprintf(&p, "%s/%s", dir, name) < 0) {
		*oom = 1;
		return (NULL);
	}
	if (access(p, R_OK) != 0) {
		free(p);
		return (NULL);
	}
	return (p);
}

/* Tells whether s holds a control character or a byte over 0x7e. */
static int
has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < ' ' || (unsigned char)*s > 0x7e)
			return (1);
	return (0);
}

/* Parses a tcp:// address into ep->base_url. */
static int
parse_tcp(struct dk_endpoint *ep, const char *rest, int tls, char **cause)
{
	const char *hs = rest, *he, *ps = NULL, *path;
	long port = tls ? 2376 : 2375;
	char *end;

	if (*rest == '[') {
		he = strchr(rest, ']');
		if (he == NULL)
			return (bad(cause, "bad Docker address tcp://%s: "
			    "unclosed '['", rest));
		he++;
	} else {
		he = rest;
		while (*he != '\0' && *he != ':' && *he != '/')
			he++;
	}
	if (he == hs)
		return (bad(cause, "bad Docker address tcp://%s: no host",
		    rest));
	if (strspn(hs, *hs == '[' ? "[]0123456789abcdefABCDEF:.%" :
	    "0123456789abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-_") < (size_t)(he - hs))
		return (bad(cause, "bad Docker address tcp://%.*s: not a host "
		    "name or address", (int)(he - hs), hs));
	path = he;
	if (*he == ':') {
		ps = he + 1;
		port = strtol(ps, &end, 10);
		if (end == ps || port < 1 || port > 65535 ||
		    (*end != '\0' && *end != '/'))
			return (bad(cause, "bad Docker address tcp://%s: bad "
			    "port", rest));
		path = end;
	}
	if ((*path != '\0' && *path != '/') ||
	    strcspn(path, " ?#\\\"<>^`{|}\x7f") != strlen(path) ||
	    has_ctl(path))
		return (bad(cause, "bad Docker address tcp://%s", rest));
	if (asprintf(&ep->base_url, "%s://%.*s:%ld%s", tls ? "https" : "http",
	    (int)(he - hs), hs, port, path) < 0) {
		ep->base_url = NULL;
		return (-ENOMEM);
	}
	/* No trailing '/': request paths start with one. */
	if (ep->base_url[strlen(ep->base_url) - 1] == '/')
		ep->base_url[strlen(ep->base_url) - 1] = '\0';
	return (0);
}

/* Parses a host address; see docker.h. */
int
dk_endpoint_parse(struct dk_endpoint *ep, const char *host, int tls,
    int tls_verify, const char *cert_path, char **cause)
{
	struct sockaddr_un sun;
	const char *path;
	int rc, oom = 0;

	memset(ep, 0, sizeof *ep);
	*cause = NULL;
	if (host == NULL || *host == '\0')
		host = DK_DEFAULT_HOST;
	if (tls_verify)
		tls = 1;
	if (strncmp(host, "unix://", 7) == 0) {
		path = host + 7;
		if (*path == '\0')
			path = &DK_DEFAULT_HOST[7];
		if (*path != '/')
			return (bad(cause, "bad Docker address %s: the socket "
			    "path must be absolute", host));
		if (strlen(path) >= sizeof sun.sun_path)
			return (bad(cause, "bad Docker address %s: the socket "
			    "path is longer than %zu bytes", host,
			    sizeof sun.sun_path - 1));
		/* As the docker CLI does: TLS settings are for tcp://. */
		ep->unix_path = strdup(path);
		ep->base_url = strdup("http://localhost");
		if (asprintf(&ep->host, "unix://%s", path) < 0)
			ep->host = NULL;
		if (ep->unix_path == NULL || ep->base_url == NULL ||
		    ep->host == NULL)
			goto oom;
		return (0);
	}
	if (strncmp(host, "tcp://", 6) == 0) {
		rc = parse_tcp(ep, host + 6, tls, cause);
		if (rc != 0) {
			dk_endpoint_clear(ep);
			return (rc);
		}
		ep->host = strdup(host);
		ep->tls = tls;
		ep->tls_verify = tls_verify;
		if (tls) {
			if (tls_verify)
				ep->ca = cert_file(cert_path, "ca.pem", &oom);
			ep->cert = cert_file(cert_path, "cert.pem", &oom);
			ep->key = cert_file(cert_path, "key.pem", &oom);
			if (!oom && (ep->cert == NULL) != (ep->key == NULL)) {
				dk_endpoint_clear(ep);
				return (bad(cause, "%s holds only one of "
				    "cert.pem and key.pem", cert_path));
			}
		}
		if (ep->host == NULL || oom)
			goto oom;
		return (0);
	}
	if (strstr(host, "://") != NULL)
		return (bad(cause, "Docker address %s is not supported: use "
		    "unix:///path or tcp://host:port", host));
	return (bad(cause, "bad Docker address %s: expected unix:///path or "
	    "tcp://host:port", host));
oom:
	dk_endpoint_clear(ep);
	return (-ENOMEM);
}

/* Tells whether an environment variable is set to something. */
static int
env_on(const char *name)
{
	const char *v = getenv(name);

	return (v != NULL && *v != '\0');
}

/* Fills an endpoint from the docker CLI's environment. */
int
dk_endpoint_from_env(struct dk_endpoint *ep, char **cause)
{
	return (dk_endpoint_from_env_host(ep, NULL, cause));
}

/* Fills an endpoint from a host (or DOCKER_HOST) and the environment. */
int
dk_endpoint_from_env_host(struct dk_endpoint *ep, const char *host,
    char **cause)
{
	const char *cp = getenv("DOCKER_CERT_PATH"), *home = getenv("HOME");
	const char *v = getenv("DOCKER_API_VERSION");
	char *def = NULL;
	int rc;

	*cause = NULL;
	if ((cp == NULL || *cp == '\0') && home != NULL) {
		if (asprintf(&def, "%s/.docker", home) < 0)
			return (-ENOMEM);
		cp = def;
	}
	if (host == NULL)
		host = getenv("DOCKER_HOST");
	rc = dk_endpoint_parse(ep, host, env_on("DOCKER_TLS"),
	    env_on("DOCKER_TLS_VERIFY"), cp, cause);
	free(def);
	if (rc != 0)
		return (rc);
	if (v != NULL && *v != '\0') {
		if (!isdigit((unsigned char)v[0]) || strchr(v, '.') == NULL ||
		    strspn(v, "0123456789.") != strlen(v)) {
			dk_endpoint_clear(ep);
			return (bad(cause, "DOCKER_API_VERSION=%s is not a "
			    "version such as 1.41", v));
		}
		ep->api_version = strdup(v);
		if (ep->api_version == NULL) {
			dk_endpoint_clear(ep);
			return (-ENOMEM);
		}
	}
	return (0);
}

/* Frees an endpoint's strings. */
void
dk_endpoint_clear(struct dk_endpoint *ep)
{
	free(ep->host);
	free(ep->unix_path);
	free(ep->base_url);
	free(ep->ca);
	free(ep->cert);
	free(ep->key);
	free(ep->api_version);
	memset(ep, 0, sizeof *ep);
}

/* Duplicates a string that may be NULL; sets *oom on failure. */
static char *
dup_opt(const char *s, int *oom)
{
	char *d;

	if (s == NULL)
		return (NULL);
	d = strdup(s);
	if (d == NULL)
		*oom = 1;
	return (d);
}

/* Copies an endpoint. */
int
dk_endpoint_copy(struct dk_endpoint *dst, const struct dk_endpoint *src)
{
	int oom = 0;

	memset(dst, 0, sizeof *dst);
	dst->host = dup_opt(src->host, &oom);
	dst->unix_path = dup_opt(src->unix_path, &oom);
	dst->base_url = dup_opt(src->base_url, &oom);
	dst->tls = src->tls;
	dst->tls_verify = src->tls_verify;
	dst->ca = dup_opt(src->ca, &oom);
	dst->cert = dup_opt(src->cert, &oom);
	dst->key = dup_opt(src->key, &oom);
	dst->api_version = dup_opt(src->api_version, &oom);
	if (oom || dst->host == NULL || dst->base_url == NULL) {
		dk_endpoint_clear(dst);
		return (oom ? -ENOMEM : -EINVAL);
	}
	return (0);
}
