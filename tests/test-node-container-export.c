/*
 * Tests of node/cmd-container-export.c: container.create's params made
 * into the engine's create body and back give the same params, with
 * nothing dropped; a body holding what the params cannot say (CPU
 * shares, volumes-from, a bind option, an exec-form health check) names
 * each in dropped, Config.Volumes become anonymous mounts where no
 * mount has the target, and what is exported passes container.create's
 * check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "node.h"

/* Every field the round trip carries, as JSON text. */
static const char full[] = "{\"image\": \"busybox:1\", "
    "\"cmd\": [\"sleep\", \"9\"], \"entrypoint\": [\"/bin/sh\", \"-c\"], "
    "\"env\": [\"A=1\", \"B=two words\"], \"labels\": {\"k\": \"v\"}, "
    "\"hostname\": \"hh\", \"user\": \"0\", \"workdir\": \"/tmp\", "
    "\"tty\": true, \"stdin\": true, \"network\": \"bridge\", "
    "\"privileged\": true, \"ports\": [{\"container_port\": 80, "
    "\"protocol\": \"tcp\", \"host_port\": 8080, \"host_ip\": "
    "\"127.0.0.1\"}, {\"container_port\": 53, \"protocol\": \"udp\"}], "
    "\"mounts\": [{\"source\": \"/srv\", \"target\": \"/b\", "
    "\"read_only\": true}, {\"source\": \"vol\", \"target\": \"/v\", "
    "\"read_only\": false}, {\"target\": \"/anon\", \"read_only\": false}], "
    "\"restart\": \"on-failure\", \"restart_retries\": 4, \"cpus\": 0.5, "
    "\"memory\": 67108864, \"remove\": true, \"publish_all\": true, "
    "\"cap_add\": [\"CAP_NET_ADMIN\"], \"cap_drop\": [\"CAP_MKNOD\"], "
    "\"devices\": [\"/dev/null:/dev/n:rwm\"], \"dns\": [\"1.1.1.1\"], "
    "\"add_hosts\": [\"h:10.0.0.1\"], \"log_driver\": \"json-file\", "
    "\"init\": true, \"read_only\": true, \"pids_limit\": 50, "
    "\"shm_size\": 1048576, \"stop_signal\": \"SIGINT\", "
    "\"stop_timeout\": 7, \"security_opts\": [\"no-new-privileges\"], "
    "\"tmpfs\": [\"/t:size=1m\"], \"ulimits\": [\"nofile=10:20\"], "
    "\"health_cmd\": \"true\", \"health_interval\": 2000, "
    "\"health_timeout\": 1000, \"health_retries\": 3}";

/* The compact JSON of v, keys sorted (caller frees). */
static char *
dump(const json_t *v)
{
	return (json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS));
}

/* Params to body and back: the same params, nothing dropped. */
static void
test_round_trip(void)
{
	const struct proto_method	*m;
	json_t				*p, *b, *back, *dropped;
	char				*cause = NULL, *want, *got;

	m = proto_method_find("container.create");
	ASSERT_NOT_NULL(m);
	p = json_loads(full, 0, NULL);
	ASSERT_NOT_NULL(p);
	ASSERT_EQ(proto_params_check(m->params, p, &cause), 0);
	b = node_create_body(p, &cause);
	ASSERT_NOT_NULL(b);
	dropped = json_array();
	back = node_export_params(b, dropped);
	ASSERT_NOT_NULL(back);
	want = dump(p);
	got = dump(back);
	ASSERT_STREQ(got, want);
	ASSERT_EQ(json_array_size(dropped), 0);
	free(want);
	free(got);
	json_decref(p);
	json_decref(b);
	json_decref(back);
	json_decref(dropped);
}

/* What the params cannot say is named, and the rest still checks. */
static void
test_dropped(void)
{
	const struct proto_method	*m;
	json_t				*b, *p, *dropped, *again;
	char				*cause = NULL, *s;

	m = proto_method_find("container.create");
	ASSERT_NOT_NULL(m);
	b = json_loads("{\"Image\": \"i\", \"Domainname\": \"d\", "
	    "\"Hostname\": \"\", \"OnBuild\": null, \"Volumes\": "
	    "{\"/d\": {}, \"/x\": {}}, \"Healthcheck\": "
	    "{\"Test\": [\"CMD\", \"true\"]}, \"HostConfig\": "
	    "{\"CpuShares\": 512, \"BlkioWeight\": 0, \"VolumesFrom\": "
	    "[\"x\"], \"IpcMode\": \"private\", \"Binds\": [\"/a:/b:z\", "
	    "\"/c:/d:rw\"], \"NetworkMode\": \"default\", \"LogConfig\": "
	    "{\"Type\": \"json-file\", \"Config\": {}}}}", 0, NULL);
	ASSERT_NOT_NULL(b);
	dropped = json_array();
	p = node_export_params(b, dropped);
	ASSERT_NOT_NULL(p);
	s = dump(dropped);
	ASSERT_STREQ(s, "[\"Config.Domainname\",\"HostConfig.CpuShares\","
	    "\"HostConfig.VolumesFrom\",\"HostConfig.Binds /a:/b:z\","
	    "\"Healthcheck.Test\"]");
	free(s);
	s = dump(p);
	ASSERT_STREQ(s, "{\"image\":\"i\",\"log_driver\":\"json-file\","
	    "\"mounts\":[{\"read_only\":false,\"source\":\"/c\","
	    "\"target\":\"/d\"},{\"read_only\":false,\"target\":"
	    "\"/x\"}]}");
	free(s);
	ASSERT_EQ(proto_params_check(m->params, p, &cause), 0);
	again = node_create_body(p, &cause);
	ASSERT_NOT_NULL(again);
	json_decref(again);
	json_decref(p);
	json_decref(b);
	json_decref(dropped);
}

TEST_MAIN(T(test_round_trip), T(test_dropped))
