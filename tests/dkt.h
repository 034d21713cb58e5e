/*
 * Helpers the Docker client's tests share: a client on the real engine
 * (a missing engine fails the test unless PIER_DOCKER_TESTS=0 says to
 * skip), a way to run one request to its end, and labelled containers
 * from the test image that are removed again.
 */
#ifndef PIER_DKT_H
#define PIER_DKT_H

#include "docker.h"

/* The outcome of one request, filled by dkt_cb. */
struct dkt_res {
	int		 done;		/* times the callback ran */
	int		 status;
	long		 http;
	json_t		*result;	/* owned */
	char		 msg[1024];
};

/* The image the tests run: PIER_TEST_IMAGE or pier-test/busybox:latest. */
const char *dkt_image(void);
/* A per-process label value "NAME-PID" for this test's objects. */
const char *dkt_tag(const char *name);
/*
 * Inits loop and a client on the engine the environment names, and
 * pings it: FAILs with the reason if no engine answers, SKIPs when
 * PIER_DOCKER_TESTS=0.
 */
struct dk_client *dkt_client(uv_loop_t *loop);
/* A dk_req_cb that fills a struct dkt_res (arg). */
void dkt_cb(struct dk_req *req, int status, json_t *result, void *arg);
/* Runs the loop until res->done; FAILs if the loop runs dry first. */
void dkt_wait(uv_loop_t *loop, struct dkt_res *res);
/* Drops a result's JSON and zeroes it for reuse. */
void dkt_reset(struct dkt_res *res);
/* Closes a client, runs the loop until it is gone, checks the loop. */
void dkt_close(uv_loop_t *loop, struct dk_client *c);
/*
 * Creates a container running cmd (NULL-terminated, or NULL for a long
 * sleep) labelled pier.test=1 and pier.test.case=tag; returns its id
 * (caller frees). FAILs on error.
 */
char *dkt_container(uv_loop_t *loop, struct dk_client *c, const char *tag,
    const char *name, const char *const *cmd, int start);
/* Removes every container labelled pier.test.case=tag (force). */
void dkt_cleanup(uv_loop_t *loop, struct dk_client *c, const char *tag);

/* Runs one operation call to its end: DKT(loop, res, dk_x(c, ..., */
#define DKT(loop, res, call) do {					\
	dkt_reset(&(res));						\
	ASSERT_OK(call);						\
	dkt_wait((loop), &(res));					\
} while (0)

#endif
