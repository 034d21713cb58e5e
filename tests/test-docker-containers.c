/*
 * Container operations against the real engine: every call of
 * containers.c, with the options of create checked back through inspect,
 * and the engine's own errors (not found, conflict, bad parameter, not
 * modified). Only containers labelled pier.test=1 and this test's
 * pier.test.case are made, and all are removed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "dkt.h"

/* Reads a string at a slash-separated path of objects. */
static const char *
jstr(json_t *j, const char *path)
{
	char buf[256], *save = NULL, *k;

	(void)snprintf(buf, sizeof buf, "%s", path);
	for (k = strtok_r(buf, "/", &save); k != NULL && j != NULL;
	    k = strtok_r(NULL, "/", &save))
		j = json_object_get(j, k);
	return (json_string_value(j));
}

/* Reads a value at a slash-separated path of objects. */
static json_t *
jget(json_t *j, const char *path)
{
	char buf[256], *save = NULL, *k;

	(void)snprintf(buf, sizeof buf, "%s", path);
	for (k = strtok_r(buf, "/", &save); k != NULL && j != NULL;
	    k = strtok_r(NULL, "/", &save))
		j = json_object_get(j, k);
	return (j);
}

/* Makes a per-process name. */
static const char *
name(const char *base)
{
	static char buf[4][96];
	static int k;

	k = (k + 1) % 4;
	(void)snprintf(buf[k], sizeof buf[k], "pier-test-%s-%ld", base,
	    (long)getpid());
	return (buf[k]);
}

/* Create with every option, then inspect shows each one. */
static void
test_create_options(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	const char *tag = dkt_tag("containers");
	char label[160], bind[160];
	static const char *const cmd[] = { "sleep", "600", NULL };
	static const char *const ep[] = { "/bin/env", NULL };
	static const char *const env[] = { "A=1", "B=two words", NULL };
	const char *labels[] = { "pier.test=1", label, "x.y=z", NULL };
	const char *binds[] = { bind, NULL };
	struct dk_port ports[] = {
		{ "80/tcp", "127.0.0.1", "" },
		{ "53/udp", NULL, NULL },
		{ "8080", NULL, NULL },
	};
	struct dk_create_opts o = {
		.name = name("opts"),
		.image = dkt_image(),
		.cmd = cmd,
		.entrypoint = ep,
		.env = env,
		.labels = labels,
		.working_dir = "/tmp",
		.user = "nobody",
		.hostname = "piertest",
		.tty = 1,
		.open_stdin = 1,
		.ports = ports,
		.nports = 3,
		.binds = binds,
		.restart = "on-failure",
		.restart_max = 2,
		.nano_cpus = 500000000,
		.memory = 64 << 20,
		.network_mode = "bridge",
	};
	json_t *r;

	c = dkt_client(&loop);
	(void)snprintf(label, sizeof label, "pier.test.case=%s", tag);
	(void)snprintf(bind, sizeof bind, "%s:/data:ro", name("vol"));
	DKT(&loop, res, dk_container_create(c, &o, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(res.http, 201);
	ASSERT_NOT_NULL(jstr(res.result, "Id"));
	DKT(&loop, res, dk_container_inspect(c, o.name, 1, dkt_cb, &res,
	    NULL));
	ASSERT_EQ(res.status, 0);
	r = res.result;
	ASSERT_STREQ(jstr(r, "Name") + 1, o.name);
	ASSERT_STREQ(jstr(r, "Config/Image"), dkt_image());
	ASSERT_STREQ(json_string_value(json_array_get(jget(r, "Config/Cmd"),
	    1)), "600");
	ASSERT_STREQ(json_string_value(json_array_get(
	    jget(r, "Config/Entrypoint"), 0)), "/bin/env");
	ASSERT_STREQ(json_string_value(json_array_get(jget(r, "Config/Env"),
	    1)), "B=two words");
	ASSERT_STREQ(jstr(r, "Config/Labels/x.y"), "z");
	ASSERT_STREQ(jstr(r, "Config/Labels/pier.test"), "1");
	ASSERT_STREQ(jstr(r, "Config/WorkingDir"), "/tmp");
	ASSERT_STREQ(jstr(r, "Config/User"), "nobody");
	ASSERT_STREQ(jstr(r, "Config/Hostname"), "piertest");
	ASSERT(json_is_true(jget(r, "Config/Tty")));
	ASSERT(json_is_true(jget(r, "Config/OpenStdin")));
	ASSERT_NOT_NULL(json_object_get(jget(r, "Config/ExposedPorts"),
	    "53/udp"));
	ASSERT_NOT_NULL(json_object_get(jget(r, "Config/ExposedPorts"),
	    "8080/tcp"));
	ASSERT_STREQ(json_string_value(json_object_get(json_array_get(
	    json_object_get(jget(r, "HostConfig/PortBindings"), "80/tcp"), 0),
	    "HostIp")), "127.0.0.1");
	ASSERT_STREQ(json_string_value(json_array_get(
	    jget(r, "HostConfig/Binds"), 0)), bind);
	ASSERT_STREQ(jstr(r, "HostConfig/RestartPolicy/Name"), "on-failure");
	ASSERT_EQ(json_integer_value(jget(r,
	    "HostConfig/RestartPolicy/MaximumRetryCount")), 2);
	ASSERT_EQ(json_integer_value(jget(r, "HostConfig/NanoCpus")),
	    500000000);
	ASSERT_EQ(json_integer_value(jget(r, "HostConfig/Memory")), 64 << 20);
	ASSERT_STREQ(jstr(r, "HostConfig/NetworkMode"), "bridge");
	ASSERT_NOT_NULL(jget(r, "SizeRootFs"));
	DKT(&loop, res, dk_container_remove(c, o.name, 1, 1, dkt_cb, &res,
	    NULL));
	ASSERT_EQ(res.status, 0);
	DKT(&loop, res, dk_volume_remove(c, name("vol"), 1, dkt_cb, &res,
	    NULL));
	ASSERT_EQ(res.status, 0);
	dkt_reset(&res);
	dkt_close(&loop, c);
}

/* Inspects a container and returns State/<field> as a JSON value. */
static json_t *
state(uv_loop_t *loop, struct dk_client *c, const char *id,
    struct dkt_res *res, const char *field)
{
	char path[64];

	DKT(loop, *res, dk_container_inspect(c, id, 0, dkt_cb, res, NULL));
	ASSERT_EQ(res->status, 0);
	(void)snprintf(path, sizeof path, "State/%s", field);
	return (jget(res->result, path));
}

/* Start, stop, restart, kill, pause, unpause, rename, update, top. */
static void
test_lifecycle(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dkt_res res = { 0 }, w = { 0 };
	const char *tag = dkt_tag("containers");
	struct dk_resources rs = { .memory = 128 << 20, .memory_swap = -1,
	    .restart = "unless-stopped" };
	char *id;
	json_t *procs, *p;	/* borrowed */
	json_t *body;		/* owned */
	size_t i;
	int found = 0, rc;

	c = dkt_client(&loop);
	id = dkt_container(&loop, c, tag, name("life"), NULL, 0);
	DKT(&loop, res, dk_container_start(c, id, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(res.http, 204);
	ASSERT_NULL(res.result);
	ASSERT(json_is_true(state(&loop, c, id, &res, "Running")));
	DKT(&loop, res, dk_container_start(c, id, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, DK_E_NOT_MODIFIED);
	ASSERT_EQ(res.http, 304);

	DKT(&loop, res, dk_container_top(c, id, "-o pid,args", dkt_cb, &res,
	    NULL));
	if (res.status != 0)	/* busybox ps may not take -o */
		DKT(&loop, res, dk_container_top(c, id, NULL, dkt_cb, &res,
		    NULL));
	ASSERT_EQ(res.status, 0);
	procs = json_object_get(res.result, "Processes");
	json_array_foreach(procs, i, p)
		if (strstr(json_string_value(json_array_get(p,
		    json_array_size(p) - 1)), "sleep 600") != NULL)
			found = 1;
	ASSERT(found);

	DKT(&loop, res, dk_container_pause(c, id, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT(json_is_true(state(&loop, c, id, &res, "Paused")));
	DKT(&loop, res, dk_container_unpause(c, id, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT(json_is_false(state(&loop, c, id, &res, "Paused")));

	DKT(&loop, res, dk_container_rename(c, id, name("renamed"), dkt_cb,
	    &res, NULL));
	ASSERT_EQ(res.status, 0);
	DKT(&loop, res, dk_container_inspect(c, name("renamed"), 0, dkt_cb,
	    &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(jstr(res.result, "Id"), id);

	DKT(&loop, res, dk_container_update(c, id, &rs, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT(json_is_array(json_object_get(res.result, "Warnings")) ||
	    json_is_null(json_object_get(res.result, "Warnings")));
	DKT(&loop, res, dk_container_inspect(c, id, 0, dkt_cb, &res, NULL));
	ASSERT_EQ(json_integer_value(jget(res.result, "HostConfig/Memory")),
	    128 << 20);
	ASSERT_STREQ(jstr(res.result, "HostConfig/RestartPolicy/Name"),
	    "unless-stopped");

	body = json_pack("{s:I}", "CpuShares", (json_int_t)512);
	ASSERT_NOT_NULL(body);
	dkt_reset(&res);
	rc = dk_container_update_json(c, id, body, dkt_cb, &res, NULL);
	json_decref(body);
	ASSERT_OK(rc);
	dkt_wait(&loop, &res);
	ASSERT_EQ(res.status, 0);
	DKT(&loop, res, dk_container_inspect(c, id, 0, dkt_cb, &res, NULL));
	ASSERT_EQ(json_integer_value(jget(res.result,
	    "HostConfig/CpuShares")), 512);

	DKT(&loop, res, dk_container_restart(c, id, 0, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT(json_is_true(state(&loop, c, id, &res, "Running")));

	/* Wait while a kill ends it: 128 + 9. */
	dkt_reset(&w);
	ASSERT_OK(dk_container_wait(c, id, "not-running", dkt_cb, &w, NULL));
	DKT(&loop, res, dk_container_kill(c, id, "SIGKILL", dkt_cb, &res,
	    NULL));
	ASSERT_EQ(res.status, 0);
	dkt_wait(&loop, &w);
	ASSERT_EQ(w.status, 0);
	ASSERT_EQ(json_integer_value(json_object_get(w.result, "StatusCode")),
	    137);
	ASSERT(json_is_false(state(&loop, c, id, &res, "Running")));

	DKT(&loop, res, dk_container_start(c, id, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	DKT(&loop, res, dk_container_stop(c, id, 1, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT(json_is_false(state(&loop, c, id, &res, "Running")));
	DKT(&loop, res, dk_container_stop(c, id, 1, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, DK_E_NOT_MODIFIED);

	DKT(&loop, res, dk_container_remove(c, id, 0, 1, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	DKT(&loop, res, dk_container_inspect(c, id, 0, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, DK_E_NOT_FOUND);
	free(id);
	dkt_reset(&res);
	dkt_reset(&w);
	dkt_close(&loop, c);
}

/* A container's exit code through wait. */
static void
test_wait_exit_code(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	static const char *const cmd[] = { "sh", "-c", "exit 3", NULL };
	char *id;

	c = dkt_client(&loop);
	id = dkt_container(&loop, c, dkt_tag("containers"), NULL, cmd, 1);
	DKT(&loop, res, dk_container_wait(c, id, NULL, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(json_integer_value(json_object_get(res.result,
	    "StatusCode")), 3);
	DKT(&loop, res, dk_container_remove(c, id, 0, 0, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	free(id);
	dkt_reset(&res);
	dkt_close(&loop, c);
}

/* Counts the containers a list returned whose Id is id. */
static int
has(json_t *list, const char *id)
{
	json_t *it;
	size_t i;
	int n = 0;

	json_array_foreach(list, i, it)
		if (strcmp(json_string_value(json_object_get(it, "Id")),
		    id) == 0)
			n++;
	return (n);
}

/* Lists with all and with label and status filters. */
static void
test_list_filters(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	const char *tag = dkt_tag("containers-list");
	char label[160];
	const char *kv[] = { label, NULL };
	const char *kv2[] = { label, "status=running", NULL };
	json_t *f, *f2;
	char *up, *down;

	c = dkt_client(&loop);
	up = dkt_container(&loop, c, tag, NULL, NULL, 1);
	down = dkt_container(&loop, c, tag, NULL, NULL, 0);
	(void)snprintf(label, sizeof label, "label=pier.test.case=%s", tag);
	f = dk_filters(kv);
	f2 = dk_filters(kv2);
	DKT(&loop, res, dk_container_list(c, 0, f, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(json_array_size(res.result), 1);
	ASSERT_EQ(has(res.result, up), 1);
	DKT(&loop, res, dk_container_list(c, 1, f, dkt_cb, &res, NULL));
	ASSERT_EQ(json_array_size(res.result), 2);
	ASSERT_EQ(has(res.result, down), 1);
	DKT(&loop, res, dk_container_list(c, 1, f2, dkt_cb, &res, NULL));
	ASSERT_EQ(json_array_size(res.result), 1);
	ASSERT_EQ(has(res.result, up), 1);
	json_decref(f);
	json_decref(f2);
	dkt_cleanup(&loop, c, tag);
	DKT(&loop, res, dk_container_list(c, 1, NULL, dkt_cb, &res, NULL));
	ASSERT_EQ(has(res.result, up) + has(res.result, down), 0);
	free(up);
	free(down);
	dkt_reset(&res);
	dkt_close(&loop, c);
}

/* The engine's errors arrive mapped, with its own message. */
static void
test_errors(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	const char *tag = dkt_tag("containers");
	char want[160], *id;
	char label[160];
	json_t *body;		/* owned */
	int rc;
	const char *labels[] = { "pier.test=1", label, NULL };
	struct dk_create_opts bad = {
		.image = dkt_image(),
		.labels = labels,
		.restart = "sometimes",
	};
	struct dk_create_opts noimg = {
		.image = "pier-test/no-such-image:latest",
		.labels = labels,
	};

	c = dkt_client(&loop);
	(void)snprintf(label, sizeof label, "pier.test.case=%s", tag);
	DKT(&loop, res, dk_container_inspect(c, name("nosuch"), 0, dkt_cb,
	    &res, NULL));
	ASSERT_EQ(res.status, DK_E_NOT_FOUND);
	ASSERT_EQ(res.http, 404);
	(void)snprintf(want, sizeof want, "No such container: %s",
	    name("nosuch"));
	ASSERT_STREQ(res.msg, want);
	DKT(&loop, res, dk_container_stop(c, "../../images/prune", 1, dkt_cb,
	    &res, NULL));
	ASSERT_NE(res.status, 0);	/* never another endpoint */

	id = dkt_container(&loop, c, tag, name("dup"), NULL, 0);
	DKT(&loop, res, dk_container_rename(c, id, name("dup"), dkt_cb, &res,
	    NULL));
	ASSERT_NE(res.status, 0);
	body = json_pack("{s:s, s:{s:s, s:s}}", "Image", dkt_image(),
	    "Labels", "pier.test", "1", "pier.test.case", tag);
	ASSERT_NOT_NULL(body);
	dkt_reset(&res);
	rc = dk_container_create_json(c, name("dup"), body, dkt_cb, &res,
	    NULL);
	json_decref(body);
	ASSERT_OK(rc);
	dkt_wait(&loop, &res);
	ASSERT_EQ(res.status, DK_E_CONFLICT);
	ASSERT_EQ(res.http, 409);
	ASSERT_CONTAINS(res.msg, "is already in use");

	DKT(&loop, res, dk_container_create(c, &bad, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, DK_E_BAD_PARAMETER);
	ASSERT_CONTAINS(res.msg, "invalid restart policy");
	DKT(&loop, res, dk_container_create(c, &noimg, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, DK_E_NOT_FOUND);
	ASSERT_CONTAINS(res.msg, "No such image");
	DKT(&loop, res, dk_container_kill(c, id, "SIGKILL", dkt_cb, &res,
	    NULL));
	ASSERT_EQ(res.status, DK_E_CONFLICT);	/* not running */
	ASSERT_CONTAINS(res.msg, "is not running");
	free(id);
	dkt_cleanup(&loop, c, tag);
	dkt_reset(&res);
	dkt_close(&loop, c);
}

/* Removes what a failed case may have left. */
static void
test_zz_cleanup(void)
{
	uv_loop_t loop;
	struct dk_client *c;

	c = dkt_client(&loop);
	dkt_cleanup(&loop, c, dkt_tag("containers"));
	dkt_cleanup(&loop, c, dkt_tag("containers-list"));
	dkt_close(&loop, c);
}

TEST_MAIN(
	T(test_create_options),
	T(test_lifecycle),
	T(test_wait_exit_code),
	T(test_list_filters),
	T(test_errors),
	T(test_zz_cleanup),
)
