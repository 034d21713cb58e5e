/*
 * TLS endpoints (DOCKER_TLS_VERIFY, DOCKER_TLS, DOCKER_CERT_PATH) against
 * a stand-in engine on 127.0.0.1 that demands a client certificate, as
 * dockerd --tlsverify does (fixtures/docker-tls-server.py). The test makes
 * its own CA, server and client certificates with openssl, and checks the
 * right set works and each wrong one fails with a clear message.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "dkt.h"

/* Runs a shell command in dir; FAILs if it does not succeed. */
static void
sh(const char *dir, const char *cmd)
{
	char buf[2048];

	(void)snprintf(buf, sizeof buf, "cd '%s' && (%s) >/dev/null 2>&1",
	    dir, cmd);
	if (system(buf) != 0)
		FAIL("command failed: %s", cmd);
}

/* Makes a CA, a server cert for 127.0.0.1 and a client cert. */
static void
make_certs(const char *dir)
{
	static const char *const cmds[] = {
		"mkdir -p server client onlyca otherca",
		"openssl req -x509 -newkey ec -pkeyopt "
		    "ec_paramgen_curve:prime256v1 -nodes -keyout ca-key.pem "
		    "-out ca.pem -days 2 -subj /CN=pier-test-ca",
		"openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
		    "-nodes -keyout server/key.pem -out server.csr "
		    "-subj /CN=127.0.0.1",
		"echo subjectAltName=IP:127.0.0.1 >server.ext",
		"openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem "
		    "-CAcreateserial -out server/cert.pem -days 2 "
		    "-extfile server.ext",
		"openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
		    "-nodes -keyout client/key.pem -out client.csr "
		    "-subj /CN=pier-client",
		"echo extendedKeyUsage=clientAuth >client.ext",
		"openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem "
		    "-CAcreateserial -out client/cert.pem -days 2 "
		    "-extfile client.ext",
		"cp ca.pem client/ca.pem && cp ca.pem onlyca/ca.pem",
		"openssl req -x509 -newkey ec -pkeyopt "
		    "ec_paramgen_curve:prime256v1 -nodes -keyout other-key.pem "
		    "-out otherca/ca.pem -days 2 -subj /CN=someone-else",
		"cp client/cert.pem client/key.pem otherca/",
	};
	size_t i;

	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		sh(dir, cmds[i]);
}

/*
 * Starts the stand-in engine; returns its pid and sets *port. It exits
 * when *keep (its stdin) closes, even if this test dies first.
 */
static pid_t
start_server(const char *dir, int *port, int *keep)
{
	char script[512], ca[512], cert[512], key[512], line[32];
	int fds[2], in[2];
	pid_t pid;
	FILE *f;

	(void)snprintf(script, sizeof script, "%s/tests/fixtures/"
	    "docker-tls-server.py", test_env("PIER_SOURCE_ROOT", "."));
	(void)snprintf(ca, sizeof ca, "%s/ca.pem", dir);
	(void)snprintf(cert, sizeof cert, "%s/server/cert.pem", dir);
	(void)snprintf(key, sizeof key, "%s/server/key.pem", dir);
	ASSERT_OK(pipe(fds));
	ASSERT_OK(pipe(in));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(in[0], 0);
		close(fds[0]);
		close(fds[1]);
		close(in[0]);
		close(in[1]);
		execlp("python3", "python3", script, ca, cert, key,
		    (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	close(in[0]);
	*keep = in[1];
	f = fdopen(fds[0], "r");
	ASSERT_NOT_NULL(f);
	if (fgets(line, sizeof line, f) == NULL) {
		fclose(f);
		(void)waitpid(pid, NULL, 0);
		FAIL("the TLS stand-in engine did not start");
	}
	fclose(f);
	*port = atoi(line);
	ASSERT_GT(*port, 0);
	return (pid);
}

/* GETs /info through a TLS client made from these settings. */
static void
info_over_tls(int port, int tls, int verify, const char *certs,
    struct dkt_res *res)
{
	uv_loop_t loop;
	struct dk_endpoint ep;
	struct dk_client *c;
	char host[64], *cause = NULL;

	(void)snprintf(host, sizeof host, "tcp://127.0.0.1:%d", port);
	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_OK(dk_endpoint_parse(&ep, host, tls, verify, certs, &cause));
	ASSERT(ep.tls);
	ASSERT_OK(dk_client_new(&loop, &ep, NULL, &c, &cause));
	dk_endpoint_clear(&ep);
	DKT(&loop, *res, dk_info(c, dkt_cb, res, NULL));
	dkt_close(&loop, c);
}

/* The right certificates work; each wrong set fails, saying why. */
static void
test_tls(void)
{
	struct dkt_res res = { 0 };
	char *dir, certs[512];
	pid_t pid;
	int port, keep;

	if (system("command -v openssl >/dev/null && "
	    "command -v python3 >/dev/null") != 0)
		SKIP("openssl or python3 is missing; no TLS stand-in engine");
	dir = test_tmpdir();
	make_certs(dir);
	pid = start_server(dir, &port, &keep);

	(void)snprintf(certs, sizeof certs, "%s/client", dir);
	info_over_tls(port, 1, 1, certs, &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(json_string_value(json_object_get(res.result, "path")),
	    "/v1.41/info");

	/* No client certificate: the engine refuses us. */
	(void)snprintf(certs, sizeof certs, "%s/onlyca", dir);
	info_over_tls(port, 1, 1, certs, &res);
	ASSERT_EQ(res.status, DK_E_UNAVAILABLE);
	ASSERT_CONTAINS(res.msg, "Docker at tcp://127.0.0.1:");

	/* Another CA: we refuse the engine. */
	(void)snprintf(certs, sizeof certs, "%s/otherca", dir);
	info_over_tls(port, 1, 1, certs, &res);
	ASSERT_EQ(res.status, DK_E_UNAVAILABLE);
	ASSERT_CONTAINS(res.msg, "TLS:");

	/* DOCKER_TLS without verify accepts the engine as it is. */
	info_over_tls(port, 1, 0, certs, &res);
	ASSERT_EQ(res.status, 0);

	dkt_reset(&res);
	close(keep);
	(void)waitpid(pid, NULL, 0);
	test_rmtree(dir);
}

TEST_MAIN(
	T(test_tls),
)
