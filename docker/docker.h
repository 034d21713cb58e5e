/*
 * docker/: an asynchronous Docker Engine API client on libuv. It knows
 * nothing of peers or keys. Other folders include this header and nothing
 * else of docker/.
 *
 * One struct dk_client per engine drives libcurl's multi interface from
 * the loop (a uv_poll_t per socket, one uv_timer_t); nothing blocks.
 * libcurl is loaded by the first request of the process, not linked: a
 * program that never asks the engine anything never maps it, and where
 * it cannot be loaded requests end with DK_E_UNAVAILABLE saying so. Every
 * operation takes the client, its arguments, a completion callback and
 * its argument, and optionally returns the request so it can be cancelled.
 * An operation that returns an error never calls its callback; one that
 * returns 0 calls it exactly once, from the loop, never from inside the
 * call that started it.
 *
 * Errors are negative errno values. Those a request ends with form the
 * small stable set of enum dk_err; the engine's own message ("No such
 * container: web") and the HTTP status stay readable from the request
 * during its callback. A dk_err is Docker's word, not a peer's: node/
 * turns it into a protocol code (enum proto_err) in one place,
 * cmd_err_from_dk, and never sends it as it is.
 */
#ifndef PIER_DOCKER_H
#define PIER_DOCKER_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#ifndef WARN_UNUSED_RESULT
#define WARN_UNUSED_RESULT __attribute__((warn_unused_result))
#endif

/* errors.c */

/*
 * The errors a request ends with: X(NAME, errno, text). The numbers are
 * errno values so they pass through code that speaks errno; the names and
 * texts are stable.
 */
#define DK_ERR_MAP(X)							\
	X(NOT_FOUND, ENOENT, "not found")				\
	X(CONFLICT, EEXIST, "conflict")					\
	X(BAD_PARAMETER, EINVAL, "bad parameter")			\
	X(NOT_MODIFIED, EALREADY, "not modified")			\
	X(UNAVAILABLE, EHOSTDOWN, "engine unavailable")			\
	X(PERMISSION, EACCES, "permission denied")			\
	X(BAD_RESPONSE, EPROTO, "bad response")				\
	X(TIMEOUT, ETIMEDOUT, "timeout")				\
	X(CANCELLED, ECANCELED, "cancelled")				\
	X(INTERNAL, EIO, "internal error")

/* A request's outcome: 0 or one of these (negative). */
enum dk_err {
	DK_OK = 0,
#define DK_ERR_ENUM(name, e, text) DK_E_##name = -(e),
	DK_ERR_MAP(DK_ERR_ENUM)
#undef DK_ERR_ENUM
};

/* Names an error code: "NOT_FOUND", ...; "UNKNOWN" for others. */
const char *dk_err_name(int err);
/* Describes an error code: "not found", ...; strerror for other errnos. */
const char *dk_strerror(int err);
/* Maps an HTTP status to a dk_err (0 for 2xx). */
enum dk_err dk_err_from_http(long status);

/* endpoint.c */

/* Where the engine listens, as DOCKER_HOST and friends say. */
struct dk_endpoint {
	char		*host;		/* "unix:///var/run/docker.sock" */
	char		*unix_path;	/* for unix://, else NULL */
	char		*base_url;	/* "http://localhost", "https://h:1" */
	int		 tls;		/* https */
	int		 tls_verify;	/* check the engine's certificate */
	char		*ca;		/* PEM files, or NULL */
	char		*cert;
	char		*key;
	char		*api_version;	/* DOCKER_API_VERSION pin, or NULL */
};

/* The default engine address. */
#define DK_DEFAULT_HOST	"unix:///var/run/docker.sock"

/*
 * Parses a host ("unix:///path", "tcp://host:port", NULL for the default)
 * into ep (caller clears with dk_endpoint_clear). For tcp://, tls asks
 * for https and tls_verify for https with the engine's certificate
 * checked; cert_path names a folder with ca.pem, cert.pem and key.pem
 * (or NULL). A unix:// address ignores the three, as the docker CLI does.
 * -EINVAL with *cause for an address this client cannot use.
 */
int dk_endpoint_parse(struct dk_endpoint *ep, const char *host, int tls,
    int tls_verify, const char *cert_path, char **cause) WARN_UNUSED_RESULT;
/*
 * Fills ep from DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_TLS,
 * DOCKER_CERT_PATH (default ~/.docker) and DOCKER_API_VERSION.
 */
int dk_endpoint_from_env(struct dk_endpoint *ep, char **cause)
    WARN_UNUSED_RESULT;
/*
 * As dk_endpoint_from_env, with host (when not NULL) in place of
 * DOCKER_HOST, as `docker -H` takes the TLS settings from the
 * environment.
 */
int dk_endpoint_from_env_host(struct dk_endpoint *ep, const char *host,
    char **cause) WARN_UNUSED_RESULT;
/* Frees what ep holds and zeroes it. */
void dk_endpoint_clear(struct dk_endpoint *ep);
/* Copies src into dst (dst is overwritten, not cleared); -ENOMEM. */
int dk_endpoint_copy(struct dk_endpoint *dst, const struct dk_endpoint *src)
    WARN_UNUSED_RESULT;

/* http.c */

/* The API version this client speaks, and the oldest it accepts. */
#define DK_API_VERSION		"1.43"
#define DK_API_VERSION_MIN	"1.41"
/* Largest body of a response that is not streamed. */
#define DK_MAX_BODY		(64u * 1024 * 1024)
/* Default limit on a plain (not streamed) request, in ms. */
#define DK_REQ_TIMEOUT_MS	(120 * 1000)

struct dk_client;
struct dk_req;

/* Settings of a client; zero means the default for each. */
struct dk_client_opts {
	size_t		max_body;	/* bytes; DK_MAX_BODY */
	long		timeout_ms;	/* plain requests; DK_REQ_TIMEOUT_MS */
	long		connect_timeout_ms; /* 10000 */
};

/*
 * Called once when a request ends. status is 0 or a negative dk_err.
 * result is the body parsed as JSON (a new reference the callback owns;
 * NULL for an empty body, a stream, or an error). The request may be read
 * with dk_req_* during the call and is freed when it returns.
 */
typedef void dk_req_cb(struct dk_req *req, int status, json_t *result,
    void *arg);
/*
 * Called with each run of body bytes of a streamed request as they
 * arrive, only for a 2xx response. It may pause, resume or cancel.
 */
typedef void dk_data_cb(struct dk_req *req, const char *buf, size_t len,
    void *arg);
/*
 * Called on an upload (DK_REQ_UPLOAD) when its buffer has room again
 * after dk_req_send refused bytes; never inside dk_req_send.
 */
typedef void dk_sent_cb(struct dk_req *req, void *arg);
/* Called once a client has closed every handle and freed itself. */
typedef void dk_close_cb(void *arg);

/* Flags of a request. */
#define DK_REQ_STREAM	0x1	/* body to on_data; no timeout, no bound */
#define DK_REQ_RAW	0x2	/* body is text, returned as a JSON string */
#define DK_REQ_NOVERSION 0x4	/* no /vX.Y prefix, no negotiation */
#define DK_REQ_NOTIMEOUT 0x8	/* no timeout even though not streamed */
#define DK_REQ_FRESH	0x10	/* a new connection, not kept: is it up? */
#define DK_REQ_UPLOAD	0x20	/* body from dk_req_send, chunked; no timeout */

/* Bytes an upload holds between dk_req_send and the engine's socket. */
#define DK_UPLOAD_MAX	(256u * 1024)

/* One request. */
struct dk_req_opts {
	const char	*method;	/* "GET" when NULL */
	const char	*path;		/* "/containers/json?all=1" */
	json_t		*body;		/* sent as JSON, borrowed; or NULL */
	int		 flags;		/* DK_REQ_* */
	dk_data_cb	*on_data;	/* with DK_REQ_STREAM */
	dk_sent_cb	*on_sent;	/* with DK_REQ_UPLOAD */
	const char	*content_type;	/* of an upload; NULL: none */
	long		 timeout_ms;	/* 0: the client's default */
};

/*
 * Makes a client for the endpoint (copied). Nothing connects, and
 * libcurl is not loaded, until the first request; that one first asks
 * /_ping for the API version.
 */
int dk_client_new(uv_loop_t *loop, const struct dk_endpoint *ep,
    const struct dk_client_opts *opts, struct dk_client **cp,
    char **cause) WARN_UNUSED_RESULT;
/*
 * Cancels every request (each callback gets -ECANCELED), closes every
 * handle, frees the client and then calls cb (may be NULL). The client
 * must not be used after this call.
 */
void dk_client_close(struct dk_client *c, dk_close_cb *cb, void *arg);
/* The loop the client runs on. */
uv_loop_t *dk_client_loop(const struct dk_client *c);
/* The endpoint the client talks to (borrowed). */
const struct dk_endpoint *dk_client_endpoint(const struct dk_client *c);
/* The negotiated API version ("1.41"), or NULL before the first ping. */
const char *dk_client_api_version(const struct dk_client *c);
/* Number of requests not yet ended. */
size_t dk_client_pending(const struct dk_client *c);

/*
 * Starts a request. On 0, cb is called once; *reqp (if not NULL) is the
 * request, valid until cb returns. -EINVAL for bad options (a method
 * that is not an uppercase word, a path that does not start with '/' or
 * holds spaces or control characters), -ECANCELED once the client is
 * closing, -ENOMEM.
 */
int dk_request(struct dk_client *c, const struct dk_req_opts *o,
    dk_req_cb *cb, void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;
/*
 * Cancels a request: its callback gets -ECANCELED once, on a later loop
 * turn, unless it has already been called (then this does nothing while
 * inside it; after it returned the request is gone: do not call).
 */
void dk_req_cancel(struct dk_req *req);
/* Stops delivering body bytes of a stream until dk_req_resume. */
void dk_req_pause(struct dk_req *req);
/* Resumes a paused stream; bytes flow again from the next loop turn. */
void dk_req_resume(struct dk_req *req);
/*
 * Adds bytes to an upload's body: 0 when all were taken, -ENOBUFS when
 * they do not fit in what is left of DK_UPLOAD_MAX (none are taken;
 * on_sent follows once there is room), -EPIPE after dk_req_send_end or
 * once the request ended, -EINVAL for a request that is not an upload.
 */
int dk_req_send(struct dk_req *req, const void *buf, size_t len)
    WARN_UNUSED_RESULT;
/* Ends an upload's body: the last chunk goes once the bytes held went. */
void dk_req_send_end(struct dk_req *req);
/* Bytes of an upload held and not yet given to the engine's socket. */
size_t dk_req_send_held(const struct dk_req *req);
/* The HTTP status of the response, 0 before one arrived. */
long dk_req_http_status(const struct dk_req *req);
/*
 * The human text of the outcome: the engine's message ("No such
 * container: web") or ours ("cannot reach Docker at ..."); "" if none.
 */
const char *dk_req_message(const struct dk_req *req);
/* A response header's value (borrowed), or NULL. Case-insensitive. */
const char *dk_req_header(const struct dk_req *req, const char *name);
/* The raw body bytes kept so far (not for streams). */
const char *dk_req_body(const struct dk_req *req, size_t *len);
/* The client of a request. */
struct dk_client *dk_req_client(const struct dk_req *req);

/* path.c */

/* A path with a query being built; every value is URL-escaped. */
struct dk_path {
	char		*buf;
	size_t		 len;
	size_t		 cap;
	int		 nquery;
	int		 error;		/* sticky -ENOMEM or -EINVAL */
};

/*
 * Starts a path from a prefix and an object name: ("/containers", "web",
 * "/json") gives "/containers/web/json". The name is escaped entirely
 * ('/' too) so it cannot leave its segment; "" or NULL is -EINVAL. name
 * NULL with suffix NULL gives the prefix alone.
 */
void dk_path_init(struct dk_path *p, const char *prefix, const char *name,
    const char *suffix);
/* Like dk_path_init for image references, which keep '/' and ':'. */
void dk_path_init_image(struct dk_path *p, const char *prefix,
    const char *name, const char *suffix);
/* Appends key=value (value escaped); a NULL value appends nothing. */
void dk_path_add(struct dk_path *p, const char *key, const char *value);
/* Appends key=1 when on is nonzero, nothing otherwise. */
void dk_path_add_bool(struct dk_path *p, const char *key, int on);
/* Appends key=n. */
void dk_path_add_int(struct dk_path *p, const char *key, long long n);
/* Appends key=<compact JSON of v>; NULL v appends nothing. */
void dk_path_add_json(struct dk_path *p, const char *key, const json_t *v);
/* Frees the buffer. */
void dk_path_free(struct dk_path *p);
/* Sends a request to a built path; frees nothing. As dk_request. */
int dk_path_request(struct dk_client *c, struct dk_path *p,
    const char *method, json_t *body, int flags, dk_req_cb *cb, void *arg,
    struct dk_req **reqp) WARN_UNUSED_RESULT;

/*
 * Builds {"key": ["value"], ...} filters from "key=value" strings,
 * NULL-terminated (a new reference; NULL on a string without '=').
 */
json_t *dk_filters(const char *const *kv);

/* system.c */

/*
 * GET /_ping. result: {"ApiVersion", "OSType", "Experimental"} from the
 * headers. Negotiates the API version when none is known yet.
 */
int dk_ping(struct dk_client *c, dk_req_cb *cb, void *arg,
    struct dk_req **reqp) WARN_UNUSED_RESULT;
/* GET /version: the engine's and its parts' versions. */
int dk_version(struct dk_client *c, dk_req_cb *cb, void *arg,
    struct dk_req **reqp) WARN_UNUSED_RESULT;
/* GET /info: system-wide information. */
int dk_info(struct dk_client *c, dk_req_cb *cb, void *arg,
    struct dk_req **reqp) WARN_UNUSED_RESULT;
/* GET /system/df: disk usage of all objects (times out after 10 min). */
int dk_disk_usage(struct dk_client *c, dk_req_cb *cb, void *arg,
    struct dk_req **reqp) WARN_UNUSED_RESULT;

/* containers.c */

/* A port published on the host. */
struct dk_port {
	const char	*container_port;	/* "80/tcp", "53/udp" */
	const char	*host_ip;		/* "" or NULL: all */
	const char	*host_port;		/* "8080"; "" or NULL: any */
};

/* What POST /containers/create needs; NULL/0 fields are left out. */
struct dk_create_opts {
	const char	*name;
	const char	*image;		/* required */
	const char *const *cmd;		/* NULL-terminated argv */
	const char *const *entrypoint;	/* NULL-terminated argv */
	const char *const *env;		/* "KEY=value", NULL-terminated */
	const char *const *labels;	/* "key=value", NULL-terminated */
	const char	*working_dir;
	const char	*user;
	const char	*hostname;
	int		 tty;
	int		 open_stdin;
	const struct dk_port *ports;
	size_t		 nports;
	const char *const *binds;	/* "vol:/path[:ro]", NULL-terminated */
	const char	*restart;	/* "no", "always", "on-failure", ... */
	int		 restart_max;	/* for on-failure */
	int64_t		 nano_cpus;	/* 1e9 = one CPU */
	int64_t		 memory;	/* bytes */
	const char	*network_mode;	/* "bridge", "none", "host", ... */
};

/* Resource limits for an update; 0 leaves a limit as it is. */
struct dk_resources {
	int64_t		 nano_cpus;
	int64_t		 memory;
	int64_t		 memory_swap;	/* -1: unlimited swap */
	int64_t		 cpu_shares;
	int64_t		 pids_limit;
	const char	*restart;	/* restart policy name, or NULL */
	int		 restart_max;
};

/* GET /containers/json; filters is a Docker filter object or NULL. */
int dk_container_list(struct dk_client *c, int all, const json_t *filters,
    dk_req_cb *cb, void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;
/* GET /containers/{id}/json, with sizes when size is nonzero. */
int dk_container_inspect(struct dk_client *c, const char *id, int size,
    dk_req_cb *cb, void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;
/*
 * Builds the create body from o (a new reference; NULL with *cause for
 * missing image or a bad field).
 */
json_t *dk_create_body(const struct dk_create_opts *o, char **cause);
/* POST /containers/create from o. result: {"Id", "Warnings"}. */
int dk_container_create(struct dk_client *c, const struct dk_create_opts *o,
    dk_req_cb *cb, void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;
/* POST /containers/create?name= with a ready body (borrowed). */
int dk_container_create_json(struct dk_client *c, const char *name,
    json_t *body, dk_req_cb *cb, void *arg, struct dk_req **reqp)
    WARN_UNUSED_RESULT;
/* POST /containers/{id}/start; -EALREADY if it already runs. */
int dk_container_start(struct dk_client *c, const char *id, dk_req_cb *cb,
    void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;
/* POST /containers/{id}/stop; timeout_s < 0: the container's default. */
int dk_container_stop(struct dk_client *c, const char *id, int timeout_s,
    dk_req_cb *cb, void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;
/* POST /containers/{id}/restart; timeout_s as for stop. */
int dk_container_restart(struct dk_client *c, const char *id, int timeout_s,
    dk_req_cb *cb, void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;
/* POST /containers/{id}/kill; signal "SIGTERM", "9", NULL: SIGKILL. */
int dk_container_kill(struct dk_client *c, const char *id,
    const char *signal, dk_req_cb *cb, void *arg, struct dk_req **reqp)
    WARN_UNUSED_RESULT;
/* POST /containers/{id}/pause. */
int dk_container_pause(struct dk_client *c, const char *id, dk_req_cb *cb,
    void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;
/* POST /containers/{id}/unpause. */
int dk_container_unpause(struct dk_client *c, const char *id, dk_req_cb *cb,
    void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;
/* POST /containers/{id}/rename?name=. */
int dk_container_rename(struct dk_client *c, const char *id,
    const char *name, dk_req_cb *cb, void *arg, struct dk_req **reqp)
    WARN_UNUSED_RESULT;
/* POST /containers/{id}/update from r. result: {"Warnings"}. */
int dk_container_update(struct dk_client *c, const char *id,
    const struct dk_resources *r, dk_req_cb *cb, void *arg,
    struct dk_req **reqp) WARN_UNUSED_RESULT;
/* POST /containers/{id}/update with a ready body (borrowed). */
int dk_container_update_json(struct dk_client *c, const char *id,
    json_t *body, dk_req_cb *cb, void *arg, struct dk_req **reqp)
    WARN_UNUSED_RESULT;
/* DELETE /containers/{id}, with force (kill first) and its volumes. */
int dk_container_remove(struct dk_client *c, const char *id, int force,
    int volumes, dk_req_cb *cb, void *arg, struct dk_req **reqp)
    WARN_UNUSED_RESULT;
/*
 * POST /containers/{id}/wait (no timeout); condition "not-running",
 * "next-exit", "removed" or NULL. result: {"StatusCode", "Error"}.
 */
int dk_container_wait(struct dk_client *c, const char *id,
    const char *condition, dk_req_cb *cb, void *arg, struct dk_req **reqp)
    WARN_UNUSED_RESULT;
/* GET /containers/{id}/top; ps_args such as "-ef" or NULL. */
int dk_container_top(struct dk_client *c, const char *id,
    const char *ps_args, dk_req_cb *cb, void *arg, struct dk_req **reqp)
    WARN_UNUSED_RESULT;

/* images.c */

/* GET /images/json; filters as for containers. */
int dk_image_list(struct dk_client *c, int all, const json_t *filters,
    dk_req_cb *cb, void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;
/* GET /images/{name}/json. */
int dk_image_inspect(struct dk_client *c, const char *name, dk_req_cb *cb,
    void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;
/* GET /images/{name}/history. */
int dk_image_history(struct dk_client *c, const char *name, dk_req_cb *cb,
    void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;
/* POST /images/{name}/tag?repo=&tag= (tag NULL: "latest"). */
int dk_image_tag(struct dk_client *c, const char *name, const char *repo,
    const char *tag, dk_req_cb *cb, void *arg, struct dk_req **reqp)
    WARN_UNUSED_RESULT;
/* DELETE /images/{name}. result: [{"Untagged"}|{"Deleted"}]. */
int dk_image_remove(struct dk_client *c, const char *name, int force,
    int noprune, dk_req_cb *cb, void *arg, struct dk_req **reqp)
    WARN_UNUSED_RESULT;
/* POST /images/prune. result: {"ImagesDeleted", "SpaceReclaimed"}. */
int dk_image_prune(struct dk_client *c, const json_t *filters,
    dk_req_cb *cb, void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;

/* volumes.c */

/* GET /volumes. result: {"Volumes": [...], "Warnings"}. */
int dk_volume_list(struct dk_client *c, const json_t *filters,
    dk_req_cb *cb, void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;
/* GET /volumes/{name}. */
int dk_volume_inspect(struct dk_client *c, const char *name, dk_req_cb *cb,
    void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;
/*
 * POST /volumes/create. name NULL lets the engine pick one; driver NULL
 * is "local"; labels "key=value", NULL-terminated, or NULL.
 */
int dk_volume_create(struct dk_client *c, const char *name,
    const char *driver, const char *const *labels, dk_req_cb *cb,
    void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;
/* DELETE /volumes/{name}. */
int dk_volume_remove(struct dk_client *c, const char *name, int force,
    dk_req_cb *cb, void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;
/* POST /volumes/prune. result: {"VolumesDeleted", "SpaceReclaimed"}. */
int dk_volume_prune(struct dk_client *c, const json_t *filters,
    dk_req_cb *cb, void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;

/* networks.c */

/* GET /networks. */
int dk_network_list(struct dk_client *c, const json_t *filters,
    dk_req_cb *cb, void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;
/* GET /networks/{id}. */
int dk_network_inspect(struct dk_client *c, const char *id, dk_req_cb *cb,
    void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;

#include "docker-streams.h"

/* archive.c */

/* Flags of dk_archive_put. */
#define DK_ARCHIVE_NO_OVERWRITE_DIR	0x1	/* no dir over a non-dir */
#define DK_ARCHIVE_COPY_IDS		0x2	/* keep the tar's uid/gid */

/*
 * HEAD /containers/{id}/archive?path=: a path's stat, read in cb with
 * dk_archive_stat_header (base64 of a JSON object: name, size, mode as
 * Go's os.FileMode, mtime, linkTarget). The container need not run.
 */
int dk_archive_stat(struct dk_client *c, const char *id, const char *path,
    dk_req_cb *cb, void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;
/* The stat header of an archive request (borrowed), or NULL. */
const char *dk_archive_stat_header(const struct dk_req *req);
/*
 * GET /containers/{id}/archive?path=: a tar of the path (its last name
 * first in every entry's name) as a stream of DK_STREAM_RAW chunks.
 */
int dk_archive_get(struct dk_client *c, const char *id, const char *path,
    const struct dk_stream_cbs *cbs, struct dk_stream **sp)
    WARN_UNUSED_RESULT;
/*
 * PUT /containers/{id}/archive?path=DIR: a tar, given with dk_req_send
 * and ended with dk_req_send_end, unpacked by the engine into DIR (which
 * must exist). on_sent as for DK_REQ_UPLOAD; cb gets the engine's answer.
 */
int dk_archive_put(struct dk_client *c, const char *id, const char *dir,
    int flags, dk_sent_cb *on_sent, dk_req_cb *cb, void *arg,
    struct dk_req **reqp) WARN_UNUSED_RESULT;

#endif
