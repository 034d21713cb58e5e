/*
 * The pure parts of the Docker client: endpoints parsed as DOCKER_HOST and
 * friends give them, request paths whose names cannot leave their segment,
 * and the mapping of transfer failures and HTTP statuses onto the stable
 * errors with their messages (including those a root test cannot provoke
 * on a real socket, such as permission denied).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "dk-http.h"

/* The messages of connect errors a root test cannot provoke. */
static void
test_error_mapping(void)
{
	char *msg = NULL;
	int st;

	st = dk__curl_error(CURLE_COULDNT_CONNECT, EACCES,
	    "unix:///var/run/docker.sock", "GET", "/_ping", "x", &msg);
	ASSERT_EQ(st, DK_E_PERMISSION);
	ASSERT_STREQ(msg, "cannot reach Docker at unix:///var/run/docker."
	    "sock: permission denied (is this user in the docker group?)");
	free(msg);
	st = dk__curl_error(CURLE_OPERATION_TIMEDOUT, 0, "tcp://h:1", "GET",
	    "/info", "Timeout", &msg);
	ASSERT_EQ(st, DK_E_TIMEOUT);
	free(msg);
	ASSERT_EQ(dk_err_from_http(200), 0);
	ASSERT_EQ(dk_err_from_http(204), 0);
	ASSERT_EQ(dk_err_from_http(304), -EALREADY);
	ASSERT_EQ(dk_err_from_http(400), DK_E_BAD_PARAMETER);
	ASSERT_EQ(dk_err_from_http(403), DK_E_PERMISSION);
	ASSERT_EQ(dk_err_from_http(404), DK_E_NOT_FOUND);
	ASSERT_EQ(dk_err_from_http(409), DK_E_CONFLICT);
	ASSERT_EQ(dk_err_from_http(500), DK_E_INTERNAL);
	ASSERT_EQ(dk_err_from_http(503), DK_E_UNAVAILABLE);
	ASSERT_STREQ(dk_err_name(DK_E_NOT_FOUND), "NOT_FOUND");
	ASSERT_STREQ(dk_strerror(DK_E_UNAVAILABLE), "engine unavailable");
	ASSERT_STREQ(dk_strerror(-ECANCELED), "cancelled");
	ASSERT_STREQ(dk_err_name(-E2BIG), "UNKNOWN");
	msg = dk__engine_message("{\"message\":\"No such image: x\"}", 30,
	    404, "GET", "/images/x/json");
	ASSERT_STREQ(msg, "No such image: x");
	free(msg);
	msg = dk__engine_message("", 0, 304, "POST", "/containers/a/start");
	ASSERT_CONTAINS(msg, "not modified");
	free(msg);
}

/* Endpoints as DOCKER_HOST and friends give them. */
static void
test_endpoints(void)
{
	struct dk_endpoint ep;
	char *cause = NULL, *dir, path[256];
	FILE *f;

	ASSERT_OK(dk_endpoint_parse(&ep, NULL, 0, 0, NULL, &cause));
	ASSERT_STREQ(ep.host, "unix:///var/run/docker.sock");
	ASSERT_STREQ(ep.unix_path, "/var/run/docker.sock");
	ASSERT_STREQ(ep.base_url, "http://localhost");
	dk_endpoint_clear(&ep);
	ASSERT_OK(dk_endpoint_parse(&ep, "tcp://10.0.0.1", 0, 0, NULL,
	    &cause));
	ASSERT_STREQ(ep.base_url, "http://10.0.0.1:2375");
	dk_endpoint_clear(&ep);
	ASSERT_OK(dk_endpoint_parse(&ep, "tcp://[::1]:9000/", 1, 0, NULL,
	    &cause));
	ASSERT_STREQ(ep.base_url, "https://[::1]:9000");
	ASSERT_EQ(ep.tls_verify, 0);
	dk_endpoint_clear(&ep);

	dir = test_tmpdir();
	(void)snprintf(path, sizeof path, "%s/ca.pem", dir);
	f = fopen(path, "w");
	ASSERT_NOT_NULL(f);
	fclose(f);
	(void)snprintf(path, sizeof path, "%s/cert.pem", dir);
	f = fopen(path, "w");
	ASSERT_NOT_NULL(f);
	fclose(f);
	ASSERT_EQ(dk_endpoint_parse(&ep, "tcp://h", 0, 1, dir, &cause),
	    -EINVAL);
	ASSERT_CONTAINS(cause, "only one of cert.pem and key.pem");
	free(cause);
	(void)snprintf(path, sizeof path, "%s/key.pem", dir);
	f = fopen(path, "w");
	ASSERT_NOT_NULL(f);
	fclose(f);
	ASSERT_OK(dk_endpoint_parse(&ep, "tcp://h", 0, 1, dir, &cause));
	ASSERT_STREQ(ep.base_url, "https://h:2376");
	ASSERT_EQ(ep.tls_verify, 1);
	ASSERT_CONTAINS(ep.ca, "/ca.pem");
	ASSERT_CONTAINS(ep.cert, "/cert.pem");
	ASSERT_CONTAINS(ep.key, "/key.pem");
	dk_endpoint_clear(&ep);
	test_rmtree(dir);

	ASSERT_EQ(dk_endpoint_parse(&ep, "ssh://me@h", 0, 0, NULL, &cause),
	    -EINVAL);
	ASSERT_CONTAINS(cause, "not supported");
	free(cause);
	ASSERT_EQ(dk_endpoint_parse(&ep, "tcp://h:99999", 0, 0, NULL,
	    &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "bad port");
	free(cause);
	ASSERT_EQ(dk_endpoint_parse(&ep, "unix://rel.sock", 0, 0, NULL,
	    &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "absolute");
	free(cause);
	ASSERT_EQ(dk_endpoint_parse(&ep, "localhost:2375", 0, 0, NULL,
	    &cause), -EINVAL);
	free(cause);
	/* TLS settings do not apply to a unix socket, as in the docker CLI. */
	ASSERT_OK(dk_endpoint_parse(&ep, "unix:///s", 1, 1, NULL, &cause));
	ASSERT_EQ(ep.tls, 0);
	ASSERT_STREQ(ep.base_url, "http://localhost");
	dk_endpoint_clear(&ep);
	ASSERT_EQ(dk_endpoint_parse(&ep, "tcp://[\x1a:=1]:2376", 0, 0, NULL,
	    &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "not a host name or address");
	free(cause);
	ASSERT_EQ(dk_endpoint_parse(&ep, "tcp://h:1/a b", 0, 0, NULL, &cause),
	    -EINVAL);
	free(cause);
	ASSERT_EQ(dk_endpoint_parse(&ep, "tcp://h\r\n:1", 0, 0, NULL,
	    &cause), -EINVAL);
	free(cause);
}

/* Names cannot leave their path segment; queries are escaped. */
static void
test_paths(void)
{
	struct dk_path p;
	json_t *f;		/* owned */
	const char *kv[] = { "label=pier.test=1", "status=running", NULL };
	const char *badkv[] = { "novalue", NULL };

	dk_path_init(&p, "/containers", "../../images/prune?x=1", "/json");
	ASSERT_STREQ(p.buf, "/containers/%2E%2E%2F%2E%2E%2Fimages%2Fprune"
	    "%3Fx%3D1/json");
	dk_path_free(&p);
	dk_path_init(&p, "/containers", "", "/json");
	ASSERT_EQ(p.error, -EINVAL);
	dk_path_free(&p);
	dk_path_init_image(&p, "/images", "pier-test/busybox:latest", "/json");
	ASSERT_STREQ(p.buf, "/images/pier-test/busybox:latest/json");
	dk_path_free(&p);
	dk_path_init_image(&p, "/images", "a/../b", NULL);
	ASSERT_STREQ(p.buf, "/images/a/%2E%2E/b");
	dk_path_free(&p);
	dk_path_init(&p, "/containers/json", NULL, NULL);
	dk_path_add_bool(&p, "all", 1);
	dk_path_add_bool(&p, "size", 0);
	dk_path_add(&p, "name", "a b&c=d");
	dk_path_add_int(&p, "t", -3);
	f = dk_filters(kv);
	ASSERT_NOT_NULL(f);
	dk_path_add_json(&p, "filters", f);
	json_decref(f);
	ASSERT_STREQ(p.buf, "/containers/json?all=1&name=a%20b%26c%3Dd&t=-3"
	    "&filters=%7B%22label%22%3A%5B%22pier.test%3D1%22%5D%2C%22status"
	    "%22%3A%5B%22running%22%5D%7D");
	dk_path_free(&p);
	ASSERT_NULL(dk_filters(badkv));
}

TEST_MAIN(
	T(test_error_mapping),
	T(test_endpoints),
	T(test_paths),
)
