/*
 * Streams and hijacked connections over TLS against the real engine,
 * through a TLS front that relays to the engine's socket and demands a
 * client certificate, as dockerd --tlsverify does
 * (fixtures/docker-tls-relay.py; certificates made here by openssl): a
 * log read whole, a one-shot stats sample, an exec with a TTY resized,
 * and an exec paused and resumed, which must drain what the TLS layer
 * had already decrypted before the socket says it is readable again.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docker.h"
#include "dkt.h"
#include "loop.h"
#include "test.h"

/* Runs a shell command in dir; FAILs if it does not succeed. */
static void
sh(const char *dir, const char *cmd)
{
	char buf[2048];

	snprintf(buf, sizeof buf, "cd '%s' && (%s) >/dev/null 2>&1", dir,
	    cmd);
	if (system(buf) != 0)
		FAIL("command failed: %s", cmd);
}

/* Makes a CA, a server certificate for 127.0.0.1 and a client one. */
static void
make_certs(const char *dir)
{
	static const char *const cmds[] = {
		"mkdir -p client",
		"openssl req -x509 -newkey ec -pkeyopt "
		    "ec_paramgen_curve:prime256v1 -nodes -keyout ca-key.pem "
		    "-out ca.pem -days 2 -subj /CN=pier-test-ca",
		"openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
		    "-nodes -keyout server-key.pem -out server.csr "
		    "-subj /CN=127.0.0.1",
		"echo subjectAltName=IP:127.0.0.1 >server.ext",
		"openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem "
		    "-CAcreateserial -out server.pem -days 2 "
		    "-extfile server.ext",
		"openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
		    "-nodes -keyout client/key.pem -out client.csr "
		    "-subj /CN=pier-client",
		"echo extendedKeyUsage=clientAuth >client.ext",
		"openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem "
		    "-CAcreateserial -out client/cert.pem -days 2 "
		    "-extfile client.ext",
		"cp ca.pem client/ca.pem",
	};
	size_t i;

	if (system("command -v openssl >/dev/null 2>&1") != 0)
		SKIP("openssl is not installed: no test certificates");
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		sh(dir, cmds[i]);
}

/* Starts the TLS front; returns its pid, sets *port and *keep (stdin). */
static pid_t
start_relay(const char *dir, int *port, int *keep)
{
	char script[512], ca[512], cert[512], key[512], line[32];
	const char *sock = test_env("PIER_DOCKER_SOCK",
	    "/var/run/docker.sock");
	int fds[2], in[2];
	pid_t pid;
	FILE *f;

	snprintf(script, sizeof script, "%s/tests/fixtures/"
	    "docker-tls-relay.py", test_env("PIER_SOURCE_ROOT", "."));
	snprintf(ca, sizeof ca, "%s/ca.pem", dir);
	snprintf(cert, sizeof cert, "%s/server.pem", dir);
	snprintf(key, sizeof key, "%s/server-key.pem", dir);
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
		execlp("python3", "python3", script, ca, cert, key, sock,
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
		FAIL("the TLS front did not start (python3 %s)", script);
	}
	fclose(f);
	*port = atoi(line);
	ASSERT_GT(*port, 0);
	return (pid);
}

/* What a consumer collected, from a stream or a hijack. */
struct sink {
	char		*out;
	size_t		 nout;
	size_t		 cap;
	int		 chunks;
	int		 samples;
	uint64_t	 mem;
	int		 ended;
	int		 status;
	char		 msg[512];
	int		 pause_at;
	struct dk_hijack *h;
};

/* Appends bytes, doubling the buffer. */
static void
keep(struct sink *k, const char *buf, size_t len)
{
	if (k->nout + len + 1 > k->cap) {
		k->cap = k->cap ? k->cap * 2 : 4096;
		while (k->cap < k->nout + len + 1)
			k->cap *= 2;
		k->out = realloc(k->out, k->cap);
		if (k->out == NULL)
			abort();
	}
	memcpy(k->out + k->nout, buf, len);
	k->nout += len;
	k->out[k->nout] = '\0';
}

/* Log bytes. */
static void
on_chunk(struct dk_stream *s, int kind, const char *buf, size_t len,
    void *arg)
{
	(void)s;
	(void)kind;
	keep(arg, buf, len);
}

/* A stats sample. */
static void
on_stats(struct dk_stream *s, const struct dk_stats *st, json_t *raw,
    void *arg)
{
	struct sink *k = arg;

	(void)s;
	(void)raw;
	k->samples++;
	k->mem = st->mem_usage;
}

/* A stream's end. */
static void
on_end(struct dk_stream *s, int status, const char *msg, void *arg)
{
	struct sink *k = arg;

	(void)s;
	k->ended++;
	k->status = status;
	snprintf(k->msg, sizeof k->msg, "%s", msg);
}

/* Hijack bytes; pauses at pause_at. */
static void
on_data(struct dk_hijack *h, int kind, const char *buf, size_t len,
    void *arg)
{
	struct sink *k = arg;

	(void)kind;
	k->chunks++;
	keep(k, buf, len);
	if (k->pause_at != 0 && k->chunks == k->pause_at)
		dk_hijack_pause(h);
}

/* A hijack's end. */
static void
on_hend(struct dk_hijack *h, int status, const char *msg, void *arg)
{
	struct sink *k = arg;

	(void)h;
	k->ended++;
	k->status = status;
	snprintf(k->msg, sizeof k->msg, "%s", msg);
}

/* Frees and zeroes a sink. */
static void
reset(struct sink *k)
{
	free(k->out);
	memset(k, 0, sizeof *k);
}

/* Fires to end a wait. */
static void
timer_cb(uv_timer_t *t)
{
	(*(int *)t->data)++;
}

/* Counts a closed client. */
static void
fk_closed(void *arg)
{
	(*(int *)arg)++;
}

/* Creates an exec and returns its id (caller frees). */
static char *
exec_create(uv_loop_t *loop, struct dk_client *c, const char *id,
    const struct dk_exec_opts *o)
{
	struct dkt_res res = { 0 };
	char *eid;

	DKT(loop, res, dk_exec_create(c, id, o, dkt_cb, &res, NULL));
	if (res.status != 0)
		FAIL("exec create: %s", res.msg);
	eid = strdup(json_string_value(json_object_get(res.result, "Id")));
	dkt_reset(&res);
	return (eid);
}

/* Logs, stats, a TTY exec and a paused exec, all over TLS. */
static void
test_tls(void)
{
	uv_loop_t loop;
	struct dk_client *c, *tc;
	struct dk_endpoint ep;
	static const char *const cmd[] = { "sh", "-c",
	    "seq 1 3000; sleep 600", NULL };
	const char *shcmd[] = { "sh", NULL };
	const char *seq[] = { "seq", "1", "200000", NULL };
	struct dk_exec_opts o = { .cmd = shcmd, .tty = 1, .stdin_on = 1 };
	struct dk_logs_opts lo = { .tail = -1 };
	struct dk_stream_cbs lc = { .on_chunk = on_chunk, .on_end = on_end };
	struct dk_stream_cbs sc = { .on_stats = on_stats, .on_end = on_end };
	struct dk_hijack_cbs hc = { .on_data = on_data, .on_end = on_hend };
	struct dkt_res res = { 0 };
	struct sink k = { 0 };
	const char *tag = dkt_tag("tls-streams");
	char *dir, certs[600], host[64], *cause = NULL, *id, *eid;
	uv_timer_t timer;
	uint64_t held, in;
	int port, keepfd, fired = 0, closed = 0;
	pid_t pid;

	c = dkt_client(&loop);
	dir = test_tmpdir();
	make_certs(dir);
	pid = start_relay(dir, &port, &keepfd);
	snprintf(certs, sizeof certs, "%s/client", dir);
	snprintf(host, sizeof host, "tcp://127.0.0.1:%d", port);
	ASSERT_OK(dk_endpoint_parse(&ep, host, 1, 1, certs, &cause));
	ASSERT_OK(dk_client_new(&loop, &ep, NULL, &tc, &cause));
	dk_endpoint_clear(&ep);
	lc.arg = sc.arg = hc.arg = &k;

	id = dkt_container(&loop, c, tag, NULL, (const char *const *)cmd, 1);
	/* The log, whole, demultiplexed (wait until seq has written). */
	do {
		reset(&k);
		ASSERT_OK(dk_logs(tc, id, &lo, &lc, NULL));
		RUN_UNTIL(&loop, k.ended);
		if (k.status != 0)
			FAIL("logs over TLS: %s", k.msg);
	} while (k.nout < 13893);
	ASSERT_EQ(k.nout, 13893);	/* bytes of `seq 1 3000` */
	ASSERT_EQ(strncmp(k.out, "1\n2\n3\n", 6), 0);

	/* One stats sample. */
	reset(&k);
	ASSERT_OK(dk_stats_stream(tc, id, 1, &sc, NULL));
	RUN_UNTIL(&loop, k.ended);
	ASSERT_OK(k.status);
	ASSERT_EQ(k.samples, 1);
	ASSERT_GT(k.mem, 0);

	/* A TTY exec, resized, then `stty size` and exit. */
	reset(&k);
	eid = exec_create(&loop, tc, id, &o);
	ASSERT_OK(dk_exec_start(tc, eid, 1, &hc, &k.h));
	RUN_UNTIL(&loop, k.ended || (k.out && strstr(k.out, "# ")));
	DKT(&loop, res, dk_exec_resize(tc, eid, 33, 99, dkt_cb, &res, NULL));
	ASSERT_OK(res.status);
	ASSERT_OK(dk_hijack_write(k.h, "stty size; exit\n", 16));
	RUN_UNTIL(&loop, k.ended);
	if (k.status != 0)
		FAIL("exec over TLS: %s", k.msg);
	ASSERT_CONTAINS(k.out, "33 99\r\n");
	free(eid);

	/* Paused after the first read; all of it after the resume. */
	reset(&k);
	o.cmd = seq;
	o.tty = 0;
	o.stdin_on = 0;
	k.pause_at = 1;
	eid = exec_create(&loop, tc, id, &o);
	ASSERT_OK(dk_exec_start(tc, eid, 0, &hc, &k.h));
	RUN_UNTIL(&loop, k.ended || k.chunks > 0);
	ASSERT_EQ(k.ended, 0);
	dk_hijack_bytes(k.h, &held, NULL);
	ASSERT_OK(uv_timer_init(&loop, &timer));
	timer.data = &fired;
	ASSERT_OK(uv_timer_start(&timer, timer_cb, 1000, 0));
	RUN_UNTIL(&loop, fired);
	dk_hijack_bytes(k.h, &in, NULL);
	ASSERT_EQ(in, held);
	ASSERT_EQ(k.chunks, 1);
	k.pause_at = 0;
	dk_hijack_resume(k.h);
	RUN_UNTIL(&loop, k.ended);
	ASSERT_OK(k.status);
	ASSERT_EQ(k.nout, 1288895);	/* bytes of `seq 1 200000` */
	free(eid);
	uv_close((uv_handle_t *)&timer, NULL);
	reset(&k);

	dk_client_close(tc, fk_closed, &closed);
	RUN_UNTIL(&loop, closed);
	close(keepfd);
	(void)waitpid(pid, NULL, 0);
	dkt_reset(&res);
	dkt_cleanup(&loop, c, tag);
	free(id);
	test_rmtree(dir);
	dkt_close(&loop, c);
}

/*
 * Last: removes what a failed case of this run left behind (the cases
 * clean up after themselves when they pass).
 */
static void
test_cleanup(void)
{
	static const char *const names[] = { "tls-streams" };
	uv_loop_t loop;
	struct dk_client *c;
	char tag[160];
	size_t i;

	c = dkt_client(&loop);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(tag, sizeof tag, "%s", dkt_tag(names[i]));
		dkt_cleanup(&loop, c, tag);
	}
	dkt_close(&loop, c);
}

TEST_MAIN(T(test_tls), T(test_cleanup))
