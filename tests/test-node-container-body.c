/*
 * Tests of node/cmd-container-body.c: container.create's params (first
 * checked against the catalogue's schema, as the dispatcher does) turned
 * into the engine's create body, field by field; mounts as binds, named
 * and anonymous volumes; ports grouped per container port; and the
 * values the schema lets through but the engine would refuse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "node.h"

/* The body for params given as JSON text; NULL with *cause on refusal. */
static json_t *
body_of(const char *text, char **cause)
{
	const struct proto_method	*m;
	json_t				*params, *b;	/* owned */
	char				*pc = NULL;

	*cause = NULL;
	m = proto_method_find("container.create");
	if (m == NULL)
		return (NULL);
	params = json_loads(text, 0, NULL);
	if (params == NULL)
		return (NULL);
	if (proto_params_check(m->params, params, &pc) != 0) {
		*cause = pc;
		json_decref(params);
		return (NULL);
	}
	b = node_create_body(params, cause);
	json_decref(params);
	return (b);
}

/* The compact JSON of v, keys sorted (caller frees). */
static char *
dump(const json_t *v)
{
	return (json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS));
}

/* Only an image: the smallest body. */
static void
test_minimal(void)
{
	json_t	*b;
	char	*cause, *s;

	b = body_of("{\"image\": \"busybox\"}", &cause);
	ASSERT_NOT_NULL(b);
	s = dump(b);
	ASSERT_STREQ(s, "{\"AttachStdin\":false,\"HostConfig\":{},"
	    "\"Image\":\"busybox\",\"OpenStdin\":false,\"Tty\":false}");
	free(s);
	json_decref(b);
}

/* Every scalar field lands where the engine reads it. */
static void
test_fields(void)
{
	json_t	*b, *h;
	char	*cause, *s;

	b = body_of("{\"image\": \"i:1\", \"name\": \"n\", \"cmd\": [\"sh\", "
	    "\"-c\", \"x\"], \"entrypoint\": [\"/e\"], \"env\": [\"A=1\"], "
	    "\"labels\": {\"k\": \"v\"}, \"hostname\": \"h\", \"user\": "
	    "\"0:0\", \"workdir\": \"/w\", \"network\": \"none\", "
	    "\"privileged\": true, \"tty\": true, \"stdin\": true, "
	    "\"cpus\": 1.5, \"memory\": 67108864, \"restart\": "
	    "\"on-failure\", \"restart_retries\": 3}", &cause);
	ASSERT_NOT_NULL(b);
	h = json_object_get(b, "HostConfig");
	s = dump(h);
	ASSERT_STREQ(s, "{\"Memory\":67108864,\"NanoCpus\":1500000000,"
	    "\"NetworkMode\":\"none\",\"Privileged\":true,\"RestartPolicy\":"
	    "{\"MaximumRetryCount\":3,\"Name\":\"on-failure\"}}");
	free(s);
	(void)json_object_del(b, "HostConfig");
	s = dump(b);
	ASSERT_STREQ(s, "{\"AttachStdin\":false,\"Cmd\":[\"sh\",\"-c\",\"x\"],"
	    "\"Entrypoint\":[\"/e\"],\"Env\":[\"A=1\"],\"Hostname\":\"h\","
	    "\"Image\":\"i:1\",\"Labels\":{\"k\":\"v\"},\"OpenStdin\":true,"
	    "\"Tty\":true,\"User\":\"0:0\",\"WorkingDir\":\"/w\"}");
	free(s);
	json_decref(b);
	b = body_of("{\"image\": \"i\", \"stdin\": true, \"stdin_once\": "
	    "true}", &cause);
	ASSERT_NOT_NULL(b);
	ASSERT(json_is_true(json_object_get(b, "StdinOnce")));
	json_decref(b);
	b = body_of("{\"image\": \"i\", \"stdin_once\": true}", &cause);
	ASSERT_NOT_NULL(b);
	ASSERT_NULL(json_object_get(b, "StdinOnce"));
	json_decref(b);
}

/* Binds for host paths and named volumes, Mounts for anonymous ones. */
static void
test_mounts(void)
{
	json_t	*b, *h;
	char	*cause, *s;

	b = body_of("{\"image\": \"i\", \"mounts\": [{\"source\": \"/srv\", "
	    "\"target\": \"/a\"}, {\"source\": \"vol_1.x\", \"target\": "
	    "\"/b\", \"read_only\": true}, {\"target\": \"/c\"}, "
	    "{\"target\": \"/d\", \"read_only\": true}]}", &cause);
	ASSERT_NOT_NULL(b);
	h = json_object_get(b, "HostConfig");
	s = dump(h);
	ASSERT_STREQ(s, "{\"Binds\":[\"/srv:/a\",\"vol_1.x:/b:ro\"],"
	    "\"Mounts\":[{\"ReadOnly\":false,\"Target\":\"/c\",\"Type\":"
	    "\"volume\"},{\"ReadOnly\":true,\"Target\":\"/d\",\"Type\":"
	    "\"volume\"}]}");
	free(s);
	json_decref(b);
	b = body_of("{\"image\": \"i\", \"mounts\": [{\"source\": \"v\", "
	    "\"target\": \"/a\"}]}", &cause);
	ASSERT_NOT_NULL(b);
	ASSERT_NULL(json_object_get(json_object_get(b, "HostConfig"),
	    "Mounts"));
	json_decref(b);
}

/* Ports: one exposed key per container port, every binding under it. */
static void
test_ports(void)
{
	json_t	*b;
	char	*cause, *s;

	b = body_of("{\"image\": \"i\", \"ports\": [{\"container_port\": 80, "
	    "\"host_port\": 8080}, {\"container_port\": 80, \"host_ip\": "
	    "\"127.0.0.1\"}, {\"container_port\": 53, \"protocol\": "
	    "\"udp\", \"host_port\": 5353}]}", &cause);
	ASSERT_NOT_NULL(b);
	s = dump(json_object_get(b, "ExposedPorts"));
	ASSERT_STREQ(s, "{\"53/udp\":{},\"80/tcp\":{}}");
	free(s);
	s = dump(json_object_get(json_object_get(b, "HostConfig"),
	    "PortBindings"));
	ASSERT_STREQ(s, "{\"53/udp\":[{\"HostIp\":\"\",\"HostPort\":"
	    "\"5353\"}],\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"},"
	    "{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}]}");
	free(s);
	json_decref(b);
}

/* What the schema lets through and the engine would refuse. */
static void
test_refused(void)
{
	static const struct {
		const char	*params;
		const char	*cause;
	} bad[] = {
		{ "{\"image\": \"i\", \"mounts\": [{\"target\": \"rel\"}]}",
		  "params.mounts[0].target: rel is not an absolute path" },
		{ "{\"image\": \"i\", \"mounts\": [{\"target\": \"/a\"}, "
		  "{\"target\": \"/b:c\"}]}",
		  "params.mounts[1].target: /b:c is not an absolute path "
		  "without ':'" },
		{ "{\"image\": \"i\", \"mounts\": [{\"source\": \"bad name\", "
		  "\"target\": \"/a\"}]}",
		  "params.mounts[0].source: bad name is neither an absolute "
		  "path nor a volume name" },
		{ "{\"image\": \"i\", \"mounts\": [{\"source\": \"/a:b\", "
		  "\"target\": \"/a\"}]}",
		  "params.mounts[0].source: /a:b holds a ':'" },
		{ "{\"image\": \"i\", \"restart\": \"always\", "
		  "\"restart_retries\": 2}",
		  "params.restart_retries: 2 retries need restart "
		  "\"on-failure\"" },
		{ "{\"image\": \"i\", \"restart_retries\": 2}",
		  "need restart \"on-failure\"" },
		{ "{\"image\": \"i\", \"mounts\": [{\"source\": \"\", "
		  "\"target\": \"/a\"}]}", "params.mounts[0].source" },
		{ "{\"image\": \"i\", \"privileged\": 1}",
		  "params.privileged" },
	};
	json_t	*b;
	char	*cause;
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = body_of(bad[i].params, &cause);
		if (b != NULL) {
			json_decref(b);
			FAIL("accepted: %s", bad[i].params);
		}
		ASSERT_NOT_NULL(cause);
		ASSERT_CONTAINS(cause, bad[i].cause);
		free(cause);
	}
}

TEST_MAIN(T(test_minimal), T(test_fields), T(test_mounts), T(test_ports),
    T(test_refused))
