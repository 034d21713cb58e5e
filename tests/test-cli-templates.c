/*
 * App templates (tools/pier/templates.h): parsing Portainer's v2 and v3
 * files, search, lookup and its ambiguity, every environment rule, port
 * and volume overrides, stack refusal and bad files. The fixtures in
 * tests/fixtures are the project's own; the real files from Portainer's
 * repository are read from ../shared/testdata/templates when present.
 */
#include <errno.h>
#include <unistd.h>

#include "proto.h"
#include "test.h"
#include "templates.h"

/* Loads tests/fixtures/NAME or fails the case. */
static struct cli_tpl_file *
fixture(const char *name)
{
	struct cli_tpl_file *f;
	char path[4096], *cause = NULL;

	snprintf(path, sizeof path, "%s/tests/fixtures/%s",
	    test_env("PIER_SOURCE_ROOT", "."), name);
	if (cli_tpl_load(path, &f, &cause) != 0)
		FAIL("%s: %s", path, cause);
	return (f);
}

/* Finds a template that must exist. */
static const struct cli_tpl *
get(const struct cli_tpl_file *f, const char *query)
{
	const struct cli_tpl *t;
	char *cause = NULL;

	if (cli_tpl_find(f, query, &t, &cause) != 0)
		FAIL("find %s: %s", query, cause);
	return (t);
}

/* Parses a file given as a string; returns the code, cause kept. */
static int
parse_str(const char *s, char **cause)
{
	struct cli_tpl_file *f = NULL;
	int rc;

	*cause = NULL;
	rc = cli_tpl_parse(s, strlen(s), "bad.json", &f, cause);
	if (rc == 0)
		ASSERT_NULL(*cause);
	else
		ASSERT_NULL(f);
	cli_tpl_file_free(f);
	return (rc);
}

/* Checks that params equal the expected JSON text. */
static void
assert_json(json_t *got, const char *expected)
{
	json_t *want;
	char *a, *b;

	want = json_loads(expected, 0, NULL);
	ASSERT_NOT_NULL(want);
	if (!json_equal(got, want)) {
		a = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
		b = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
		FAIL("params\n#  got  %s\n#  want %s", a, b);
	}
	json_decref(want);
}

/* Tells whether a template has a volume with no source (anonymous). */
static int
has_anonymous_volume(const struct cli_tpl *t)
{
	size_t i;

	for (i = 0; i < t->nvolumes; i++)
		if (t->volumes[i].source == NULL)
			return (1);
	return (0);
}

/*
 * Checks params against proto's schema of container.create, as the node
 * will. Two things templates use are not in that schema yet: volumes
 * with no source (anonymous, as `docker run -v /data`) and privileged;
 * only those may be refused, and only for templates that use them.
 */
static void
check_catalogue(const struct cli_tpl *t, const json_t *p)
{
	const struct proto_method *m;
	char *cause = NULL;

	m = proto_method_find("container.create");
	ASSERT_NOT_NULL(m);
	if (proto_params_check(m->params, p, &cause) == 0)
		return;
	if (strstr(cause, "privileged") != NULL && t->privileged)
		;
	else if (strstr(cause, ".source") != NULL &&
	    has_anonymous_volume(t))
		;
	else
		FAIL("%s: container.create refuses the params: %s", t->title,
		    cause);
	free(cause);
}

/* Deploys with overrides expecting success; returns the params. */
static json_t *
deploy_ok(const struct cli_tpl *t, const struct cli_tpl_overrides *o)
{
	json_t *p = NULL;
	char *cause = NULL;

	if (cli_tpl_deploy_params(t, o, &p, &cause) != 0)
		FAIL("deploy %s: %s", t->title, cause);
	ASSERT_NOT_NULL(p);
	check_catalogue(t, p);
	return (p);
}

/* Deploys expecting an error code; returns the cause (caller frees). */
static char *
deploy_err(const struct cli_tpl *t, const struct cli_tpl_overrides *o,
    int code)
{
	json_t *p = NULL;
	char *cause = NULL;

	ASSERT_EQ(cli_tpl_deploy_params(t, o, &p, &cause), code);
	ASSERT_NULL(p);
	ASSERT_NOT_NULL(cause);
	return (cause);
}

/* Every field of a v2 container template reads as written. */
static void
test_v2_fields(void)
{
	struct cli_tpl_file *f = fixture("templates-v2.json");
	const struct cli_tpl *t;

	ASSERT_EQ(f->version, 2);
	ASSERT_EQ(f->ntemplates, 7);
	t = &f->templates[0];
	ASSERT_EQ(t->id, 1);
	ASSERT_EQ(t->type, CLI_TPL_CONTAINER);
	ASSERT_STREQ(t->title, "Static Web");
	ASSERT_STREQ(t->name, "static-web");
	ASSERT_CONTAINS(t->description, "static files");
	ASSERT_CONTAINS(t->note, "/usr/share/www");
	ASSERT_EQ(t->ncategories, 2);
	ASSERT_STREQ(t->categories[1], "static");
	ASSERT_STREQ(t->platform, "linux");
	ASSERT_STREQ(t->image, "example/static-web:1.2");
	ASSERT_NULL(t->registry);
	ASSERT_CONTAINS(t->command, "'X-Frame: deny'");
	ASSERT_STREQ(t->hostname, "web");
	ASSERT_STREQ(t->network, "bridge");
	ASSERT_STREQ(t->restart, "unless-stopped");
	ASSERT_EQ(t->interactive, 0);
	ASSERT_EQ(t->nlabels, 2);
	ASSERT_STREQ(t->labels[1].name, "com.example.tier");
	ASSERT_STREQ(t->labels[1].value, "front");
	ASSERT_EQ(t->nports, 2);
	ASSERT_EQ(t->ports[0].host, 8080);
	ASSERT_EQ(t->ports[0].container, 80);
	ASSERT_STREQ(t->ports[0].proto, "tcp");
	ASSERT_EQ(t->ports[1].host, 0);
	ASSERT_EQ(t->ports[1].container, 443);
	ASSERT_EQ(t->nvolumes, 2);
	ASSERT_NULL(t->volumes[0].source);
	ASSERT_STREQ(t->volumes[0].target, "/usr/share/www");
	ASSERT_EQ(t->volumes[0].readonly, 0);
	ASSERT_STREQ(t->volumes[1].source, "/srv/static-web/conf");
	ASSERT_EQ(t->volumes[1].readonly, 1);
	ASSERT_EQ(t->nenv, 4);
	ASSERT_STREQ(t->env[0].label, "Site title");
	ASSERT_STREQ(t->env[0].description, "Shown in the page header");
	ASSERT_STREQ(t->env[0].def, "My site");
	ASSERT_EQ(t->env[1].preset, 1);
	ASSERT_EQ(t->env[2].noptions, 3);
	ASSERT_STREQ(t->env[2].options[2].text, "Chatty");
	ASSERT_STREQ(t->env[2].select_default, "info");
	ASSERT_NULL(t->env[3].def);
	/* The others: flags, registry, unknown fields, stacks. */
	ASSERT_EQ(f->templates[1].interactive, 1);
	ASSERT_EQ(f->templates[1].privileged, 1);
	ASSERT_STREQ(f->templates[1].ports[0].proto, "udp");
	ASSERT_STREQ(f->templates[2].registry, "registry.example.com");
	ASSERT_NULL(f->templates[2].env[2].select_default);
	ASSERT_STREQ(f->templates[3].image, "example/ks-proxy");
	ASSERT_EQ(f->templates[4].type, CLI_TPL_SWARM);
	ASSERT_STREQ(f->templates[4].repo_url,
	    "https://git.example.com/stacks");
	ASSERT_EQ(f->templates[5].type, CLI_TPL_COMPOSE);
	ASSERT_STREQ(f->templates[5].stackfile, "chat/docker-compose.yml");
	ASSERT_EQ(f->templates[6].type, CLI_TPL_EDGE);
	ASSERT_NULL(f->templates[6].repo_url);
	ASSERT_STREQ(f->templates[6].stackfile,
	    "edge/sensor/docker-compose.yml");
	ASSERT_EQ(f->templates[6].id, 7);
	cli_tpl_file_free(f);
}

/* A v3 file reads with its numeric ids. */
static void
test_v3_fields(void)
{
	struct cli_tpl_file *f = fixture("templates-v3.json");
	const struct cli_tpl *t;

	ASSERT_EQ(f->version, 3);
	ASSERT_EQ(f->ntemplates, 5);
	ASSERT_EQ(f->templates[0].id, 10);
	ASSERT_EQ(f->templates[4].id, 8);
	t = &f->templates[1];
	ASSERT_STREQ(t->restart, "on-failure:5");
	ASSERT_STREQ(t->env[2].description, "How data is laid out on disk");
	ASSERT_STREQ(f->templates[2].platform, "windows");
	ASSERT_STREQ(f->templates[2].volumes[0].target, "C:\\archive");
	ASSERT_EQ(f->templates[4].type, CLI_TPL_COMPOSE);
	ASSERT_STREQ(f->templates[4].name, "notes");
	cli_tpl_file_free(f);
}

/* Search is a substring in any case over title, name, description and
 * categories. */
static void
test_search(void)
{
	struct cli_tpl_file *f = fixture("templates-v2.json");
	const struct cli_tpl *hits[8];

	ASSERT_EQ(cli_tpl_search(f, "WEB", hits, 8), 1);
	ASSERT_STREQ(hits[0]->title, "Static Web");
	/* By category only. */
	ASSERT_EQ(cli_tpl_search(f, "TOOLS", hits, 8), 1);
	ASSERT_STREQ(hits[0]->title, "Debug Shell");
	/* Categories and descriptions, in file order. */
	ASSERT_EQ(cli_tpl_search(f, "databas", hits, 8), 4);
	ASSERT_STREQ(hits[1]->title, "Key Store Proxy");
	ASSERT_EQ(hits[3]->type, CLI_TPL_COMPOSE);
	/* By description only. */
	ASSERT_EQ(cli_tpl_search(f, "page HEADER", hits, 8), 1);
	/* By name only. */
	ASSERT_EQ(cli_tpl_search(f, "ks-prox", hits, 8), 1);
	ASSERT_STREQ(hits[0]->title, "Key Store Proxy");
	ASSERT_EQ(cli_tpl_search(f, "", hits, 8), 7);
	ASSERT_EQ(cli_tpl_search(f, NULL, hits, 8), 7);
	ASSERT_EQ(cli_tpl_search(f, "no such thing", hits, 8), 0);
	/* More matches than room: the count is still all of them. */
	hits[1] = NULL;
	ASSERT_EQ(cli_tpl_search(f, "a", hits, 1), 7);
	ASSERT_NULL(hits[1]);
	ASSERT(cli_tpl_matches(&f->templates[4], "messaging"));
	ASSERT(!cli_tpl_matches(&f->templates[4], "webserver"));
	cli_tpl_file_free(f);
}

/* Lookup: id, exact title or name, then a unique prefix. */
static void
test_find(void)
{
	struct cli_tpl_file *f2 = fixture("templates-v2.json");
	struct cli_tpl_file *f3 = fixture("templates-v3.json");
	const struct cli_tpl *t;
	char *cause = NULL;

	ASSERT_STREQ(get(f2, "static web")->title, "Static Web");
	ASSERT_STREQ(get(f2, "STAT")->title, "Static Web");
	ASSERT_STREQ(get(f2, "static-web")->title, "Static Web");
	ASSERT_STREQ(get(f2, "ks-proxy")->title, "Key Store Proxy");
	ASSERT_STREQ(get(f2, "3")->title, "Key Store");
	ASSERT_STREQ(get(f2, "deb")->title, "Debug Shell");
	/* Exact beats a prefix shared with a longer title. */
	ASSERT_STREQ(get(f2, "key store")->title, "Key Store");
	ASSERT_STREQ(get(f3, "31")->title, "Time Series DB");
	ASSERT_STREQ(get(f3, "tsdb")->title, "Time Series DB");
	/* A number that is no id is read as a title. */
	ASSERT_STREQ(get(f3, "1984")->title, "1984 Archive");
	/* v3 ids are not positions. */
	ASSERT_EQ(cli_tpl_find(f3, "2", &t, &cause), -ENOENT);
	ASSERT_CONTAINS(cause, "no template matches \"2\"");
	free(cause);

	ASSERT_EQ(cli_tpl_find(f2, "key", &t, &cause), -ENOTUNIQ);
	ASSERT_NULL(t);
	ASSERT_CONTAINS(cause, "3 \"Key Store\" (container)");
	ASSERT_CONTAINS(cause, "4 \"Key Store Proxy\" (container)");
	ASSERT_CONTAINS(cause, "name it by id");
	free(cause);
	/* Same title twice: exact is ambiguous, the types tell them apart. */
	ASSERT_EQ(cli_tpl_find(f2, "Chat Cluster", &t, &cause), -ENOTUNIQ);
	ASSERT_CONTAINS(cause, "5 \"Chat Cluster\" (swarm stack), "
	    "6 \"Chat Cluster\" (compose stack)");
	free(cause);
	ASSERT_EQ(cli_tpl_find(f2, "nothing", &t, &cause), -ENOENT);
	ASSERT_CONTAINS(cause, "templates-v2.json");
	free(cause);
	ASSERT_EQ(cli_tpl_find(f2, "", &t, &cause), -EINVAL);
	free(cause);
	ASSERT_EQ(cli_tpl_find(f2, "key", &t, NULL), -ENOTUNIQ);
	cli_tpl_file_free(f2);
	cli_tpl_file_free(f3);
}

/* With a required value given, every field lands in the params. */
static void
test_deploy_full(void)
{
	struct cli_tpl_file *f = fixture("templates-v2.json");
	static const char *const env[] = { "ADMIN_PASSWORD=s3cret" };
	struct cli_tpl_overrides o = { .env = env, .nenv = 1 };
	json_t *p;

	p = deploy_ok(get(f, "Static Web"), &o);
	assert_json(p, "{"
	    "\"image\": \"example/static-web:1.2\","
	    "\"name\": \"static-web\","
	    "\"cmd\": [\"serve\", \"--root\", \"/usr/share/www\", "
	    "  \"--header\", \"X-Frame: deny\"],"
	    "\"env\": [\"SITE_TITLE=My site\", \"WORKERS=4\", "
	    "  \"LOG_LEVEL=info\", \"ADMIN_PASSWORD=s3cret\"],"
	    "\"labels\": {\"com.example.vendor\": \"Example\", "
	    "  \"com.example.tier\": \"front\", "
	    "  \"pier.template\": \"Static Web\"},"
	    "\"ports\": [{\"host_port\": 8080, \"container_port\": 80, "
	    "  \"protocol\": \"tcp\"},"
	    "  {\"container_port\": 443, \"protocol\": \"tcp\"}],"
	    "\"mounts\": [{\"target\": \"/usr/share/www\", "
	    "  \"read_only\": false},"
	    "  {\"source\": \"/srv/static-web/conf\", "
	    "   \"target\": \"/etc/static-web\", \"read_only\": true}],"
	    "\"restart\": \"unless-stopped\","
	    "\"hostname\": \"web\","
	    "\"network\": \"bridge\"}");
	json_decref(p);
	cli_tpl_file_free(f);
}

/* Registry prefix, interactive, privileged, restart "no", and the
 * defaults of a bare template. */
static void
test_deploy_flags(void)
{
	struct cli_tpl_file *f = fixture("templates-v2.json");
	static const char *const env[] = { "KS_TOKEN=t", "KS_REGION=us" };
	struct cli_tpl_overrides o = { .env = env, .nenv = 2 };
	json_t *p;

	p = deploy_ok(get(f, "Debug Shell"), NULL);
	assert_json(p, "{\"image\": \"busybox:latest\", \"cmd\": [\"/bin/sh\"],"
	    "\"labels\": {\"pier.template\": \"Debug Shell\"},"
	    "\"ports\": [{\"container_port\": 9999, \"protocol\": \"udp\"}],"
	    "\"restart\": \"no\", \"privileged\": true, \"tty\": true}");
	json_decref(p);
	p = deploy_ok(get(f, "Key Store"), &o);
	ASSERT_STREQ(json_string_value(json_object_get(p, "image")),
	    "registry.example.com/keystore:2");
	assert_json(json_object_get(p, "env"),
	    "[\"KS_DATA_DIR=/data\", \"KS_TOKEN=t\", \"KS_REGION=us\"]");
	assert_json(json_object_get(p, "mounts"), "[{\"source\": "
	    "\"ks-data\", \"target\": \"/data\", \"read_only\": false}]");
	json_decref(p);
	/* No restart_policy: Portainer's default, always. */
	p = deploy_ok(get(f, "Key Store Proxy"), NULL);
	assert_json(p, "{\"image\": \"example/ks-proxy\", \"name\": "
	    "\"ks-proxy\", \"labels\": {\"pier.template\": "
	    "\"Key Store Proxy\"}, \"restart\": \"always\"}");
	json_decref(p);
	cli_tpl_file_free(f);
}

/* A required variable missing is an error naming each one. */
static void
test_env_missing(void)
{
	struct cli_tpl_file *f = fixture("templates-v2.json");
	static const char *const env[] = { "KS_REGION=eu" };
	struct cli_tpl_overrides o = { .env = env, .nenv = 1 };
	char *cause;

	cause = deploy_err(get(f, "Static Web"), NULL, -EINVAL);
	ASSERT_STREQ(cause, "template \"Static Web\" needs a value for "
	    "ADMIN_PASSWORD; give it with -e NAME=value");
	free(cause);
	/* A select with no default choice is required too. */
	cause = deploy_err(get(f, "Key Store"), NULL, -EINVAL);
	ASSERT_CONTAINS(cause, "needs a value for KS_TOKEN, KS_REGION; "
	    "give each with -e NAME=value");
	free(cause);
	cause = deploy_err(get(f, "Key Store"), &o, -EINVAL);
	ASSERT_CONTAINS(cause, "needs a value for KS_TOKEN;");
	free(cause);
	cli_tpl_file_free(f);
}

/* Presets are fixed, defaults give way, selects take only choices, and
 * other variables pass through with the last -e winning. */
static void
test_env_rules(void)
{
	struct cli_tpl_file *f = fixture("templates-v2.json");
	const struct cli_tpl *t = get(f, "Static Web");
	const char *env[6];
	struct cli_tpl_overrides o = { .env = env };
	json_t *p;
	char *cause;

	env[0] = "ADMIN_PASSWORD=pw";
	env[1] = "WORKERS=8";
	o.nenv = 2;
	cause = deploy_err(t, &o, -EPERM);
	ASSERT_STREQ(cause, "WORKERS is preset by template \"Static Web\" "
	    "to \"4\" and cannot be changed");
	free(cause);
	/* Giving a preset its own value is harmless. */
	env[1] = "WORKERS=4";
	env[2] = "SITE_TITLE=Other=site";
	env[3] = "LOG_LEVEL=debug";
	env[4] = "EXTRA=1";
	env[5] = "EXTRA=";
	o.nenv = 6;
	p = deploy_ok(t, &o);
	assert_json(json_object_get(p, "env"), "[\"SITE_TITLE=Other=site\", "
	    "\"WORKERS=4\", \"LOG_LEVEL=debug\", \"ADMIN_PASSWORD=pw\", "
	    "\"EXTRA=\"]");
	json_decref(p);
	env[3] = "LOG_LEVEL=loud";
	cause = deploy_err(t, &o, -EINVAL);
	ASSERT_STREQ(cause, "LOG_LEVEL=loud: \"loud\" is not a choice of "
	    "template \"Static Web\"; choose one of: warn (Quiet), "
	    "info (Normal), debug (Chatty)");
	free(cause);
	env[3] = "LOG_LEVEL";
	cause = deploy_err(t, &o, -EINVAL);
	ASSERT_STREQ(cause, "-e \"LOG_LEVEL\": expected NAME=value");
	free(cause);
	env[3] = "=x";
	cause = deploy_err(t, &o, -EINVAL);
	ASSERT_CONTAINS(cause, "expected NAME=value");
	free(cause);
	cli_tpl_file_free(f);
}

/* What the ask callback saw and answers. */
struct asks {
	int		 calls;
	char		 seen[256];
	const char	*answer;	/* NULL: the first choice, or "v" */
	int		 rc;
};

/* Answers a missing variable as a terminal prompt would. */
static int
ask_cb(const struct cli_tpl *t, const struct cli_tpl_env *e, char **value,
    void *arg)
{
	struct asks *a = arg;
	size_t n = strlen(a->seen);

	a->calls++;
	snprintf(a->seen + n, sizeof a->seen - n, "%s%s", n ? "," : "",
	    e->name);
	if (a->rc != 0)
		return (a->rc);
	if (a->answer != NULL)
		*value = strdup(a->answer);
	else if (e->noptions > 0)
		*value = strdup(e->options[0].value);
	else
		*value = strdup("v");
	return (0);
}

/* The ask callback is called for each missing value, and only those. */
static void
test_env_ask(void)
{
	struct cli_tpl_file *f = fixture("templates-v2.json");
	const struct cli_tpl *t = get(f, "Key Store");
	struct asks a = { 0 };
	struct cli_tpl_overrides o = { .ask = ask_cb, .ask_arg = &a };
	json_t *p;
	char *cause;

	p = deploy_ok(t, &o);
	ASSERT_EQ(a.calls, 2);
	ASSERT_STREQ(a.seen, "KS_TOKEN,KS_REGION");
	assert_json(json_object_get(p, "env"),
	    "[\"KS_DATA_DIR=/data\", \"KS_TOKEN=v\", \"KS_REGION=eu\"]");
	json_decref(p);
	/* An answer that is not a choice is refused. */
	memset(&a, 0, sizeof a);
	a.answer = "mars";
	cause = deploy_err(t, &o, -EINVAL);
	ASSERT_CONTAINS(cause, "\"mars\" is not a choice");
	free(cause);
	/* The callback's failure (say, no terminal) ends the deploy. */
	memset(&a, 0, sizeof a);
	a.rc = -ECANCELED;
	cause = deploy_err(t, &o, -ECANCELED);
	ASSERT_STREQ(cause, "no value given for KS_TOKEN");
	ASSERT_EQ(a.calls, 1);
	free(cause);
	/* Nothing missing: never asked. */
	memset(&a, 0, sizeof a);
	p = deploy_ok(get(f, "Debug Shell"), &o);
	ASSERT_EQ(a.calls, 0);
	json_decref(p);
	cli_tpl_file_free(f);
}

/* -p replaces the mapping of the same container port, or adds one. */
static void
test_ports(void)
{
	struct cli_tpl_file *f = fixture("templates-v2.json");
	const struct cli_tpl *t = get(f, "Static Web");
	const char *env[] = { "ADMIN_PASSWORD=x" }, *ports[4];
	struct cli_tpl_overrides o = { .env = env, .nenv = 1,
	    .ports = ports };
	json_t *p;
	char *cause;

	ports[0] = "9090:80";
	ports[1] = "127.0.0.1:8443:443/tcp";
	ports[2] = "[::1]:53:53/udp";
	ports[3] = "80/udp";
	o.nports = 4;
	p = deploy_ok(t, &o);
	assert_json(json_object_get(p, "ports"), "["
	    "{\"host_port\": 9090, \"container_port\": 80, "
	    " \"protocol\": \"tcp\"},"
	    "{\"host_ip\": \"127.0.0.1\", \"host_port\": 8443, "
	    " \"container_port\": 443, \"protocol\": \"tcp\"},"
	    "{\"host_ip\": \"::1\", \"host_port\": 53, "
	    " \"container_port\": 53, \"protocol\": \"udp\"},"
	    "{\"container_port\": 80, \"protocol\": \"udp\"}]");
	json_decref(p);
	/* An address with any host port. */
	ports[0] = "10.0.0.1::80";
	o.nports = 1;
	p = deploy_ok(t, &o);
	assert_json(json_array_get(json_object_get(p, "ports"), 0),
	    "{\"host_ip\": \"10.0.0.1\", \"container_port\": 80, "
	    " \"protocol\": \"tcp\"}");
	json_decref(p);
	/* An empty host part, as docker run -p :80 takes it: any port. */
	ports[0] = ":80/tcp";
	p = deploy_ok(t, &o);
	assert_json(json_object_get(p, "ports"), "["
	    "{\"container_port\": 80, \"protocol\": \"tcp\"},"
	    "{\"container_port\": 443, \"protocol\": \"tcp\"}]");
	json_decref(p);
	o.nports = 1;
	ports[0] = "70000:80";
	cause = deploy_err(t, &o, -EINVAL);
	ASSERT_STREQ(cause, "port \"70000:80\": expected "
	    "[[IP:]HOST:]CTR[/PROTO] with ports 1-65535");
	free(cause);
	ports[0] = "127.0.0.1.5:80:80";
	cause = deploy_err(t, &o, -EINVAL);
	ASSERT_CONTAINS(cause, "the host address must be IPv4 or [IPv6]");
	free(cause);
	ports[0] = "::1:80:80";
	free(deploy_err(t, &o, -EINVAL));
	ports[0] = "[::1]80";
	free(deploy_err(t, &o, -EINVAL));
	ports[0] = "127.0.0.1:80";
	free(deploy_err(t, &o, -EINVAL));
	ports[0] = "80/icmp";
	cause = deploy_err(t, &o, -EINVAL);
	ASSERT_CONTAINS(cause, "protocol must be tcp, udp or sctp");
	free(cause);
	ports[0] = "0:80";
	free(deploy_err(t, &o, -EINVAL));
	ports[0] = "::80";
	free(deploy_err(t, &o, -EINVAL));
	ports[0] = "80/";
	free(deploy_err(t, &o, -EINVAL));
	ports[0] = "8o";
	free(deploy_err(t, &o, -EINVAL));
	cli_tpl_file_free(f);
}

/* -v replaces the volume on the same container path, or adds one. */
static void
test_volumes(void)
{
	struct cli_tpl_file *f = fixture("templates-v2.json");
	const struct cli_tpl *t = get(f, "Static Web");
	const char *env[] = { "ADMIN_PASSWORD=x" }, *vols[4];
	struct cli_tpl_overrides o = { .env = env, .nenv = 1,
	    .volumes = vols };
	json_t *p;
	char *cause;

	vols[0] = "/srv/www:/usr/share/www:ro";
	vols[1] = "logs:/var/log/web";
	vols[2] = "/cache";
	vols[3] = "conf:/etc/static-web:rw";
	o.nvolumes = 4;
	p = deploy_ok(t, &o);
	assert_json(json_object_get(p, "mounts"), "["
	    "{\"source\": \"/srv/www\", \"target\": \"/usr/share/www\","
	    " \"read_only\": true},"
	    "{\"source\": \"conf\", \"target\": \"/etc/static-web\","
	    " \"read_only\": false},"
	    "{\"source\": \"logs\", \"target\": \"/var/log/web\","
	    " \"read_only\": false},"
	    "{\"target\": \"/cache\", \"read_only\": false}]");
	json_decref(p);
	o.nvolumes = 1;
	vols[0] = "data/www:/www";
	cause = deploy_err(t, &o, -EINVAL);
	ASSERT_CONTAINS(cause, "the source must be an absolute path on the "
	    "node or a volume name");
	free(cause);
	vols[0] = "/a:b";
	cause = deploy_err(t, &o, -EINVAL);
	ASSERT_CONTAINS(cause, "the container path must be absolute");
	free(cause);
	vols[0] = "/a:/b:rx";
	cause = deploy_err(t, &o, -EINVAL);
	ASSERT_CONTAINS(cause, "mode must be ro or rw");
	free(cause);
	vols[0] = "/a::/b";
	free(deploy_err(t, &o, -EINVAL));
	vols[0] = ":";
	free(deploy_err(t, &o, -EINVAL));
	vols[0] = "";
	free(deploy_err(t, &o, -EINVAL));
	vols[0] = "/a:/b:ro:x";
	free(deploy_err(t, &o, -EINVAL));
	cli_tpl_file_free(f);
}

/* --name and --restart are checked; the template's name is a default. */
static void
test_name_restart(void)
{
	struct cli_tpl_file *f = fixture("templates-v3.json");
	const struct cli_tpl *t = get(f, "tsdb");
	const char *env[] = { "TSDB_PASSWORD=pw" };
	struct cli_tpl_overrides o = { .env = env, .nenv = 1 };
	json_t *p;
	char *cause;

	p = deploy_ok(t, &o);
	assert_json(p, "{\"image\": \"example/tsdb:latest\","
	    "\"name\": \"tsdb\","
	    "\"cmd\": [\"tsdb\", \"--data\", \"/var/lib/tsdb\", "
	    "  \"--retention\", \"30d\"],"
	    "\"env\": [\"TSDB_ADMIN=admin\", \"TSDB_PASSWORD=pw\", "
	    "  \"TSDB_ENGINE=tsm\"],"
	    "\"labels\": {\"com.example.role\": \"metrics\", "
	    "  \"pier.template\": \"Time Series DB\"},"
	    "\"ports\": [{\"container_port\": 8086, \"protocol\": \"tcp\"}],"
	    "\"mounts\": [{\"target\": \"/var/lib/tsdb\", "
	    "  \"read_only\": false}],"
	    "\"restart\": \"on-failure\", \"restart_retries\": 5}");
	json_decref(p);
	o.name = "metrics-1";
	o.restart = "unless-stopped";
	p = deploy_ok(t, &o);
	ASSERT_STREQ(json_string_value(json_object_get(p, "name")),
	    "metrics-1");
	ASSERT_STREQ(json_string_value(json_object_get(p, "restart")),
	    "unless-stopped");
	json_decref(p);
	o.restart = "sometimes";
	cause = deploy_err(t, &o, -EINVAL);
	ASSERT_CONTAINS(cause, "--restart \"sometimes\"");
	free(cause);
	o.restart = "on-failure:";
	free(deploy_err(t, &o, -EINVAL));
	o.restart = "on-failure:1000";
	p = deploy_ok(t, &o);
	ASSERT_EQ(json_integer_value(json_object_get(p, "restart_retries")),
	    1000);
	json_decref(p);
	o.restart = "on-failure:1001";
	cause = deploy_err(t, &o, -EINVAL);
	ASSERT_CONTAINS(cause, "at most 1000 retries");
	free(cause);
	o.restart = NULL;
	o.name = "bad name";
	cause = deploy_err(t, &o, -EINVAL);
	ASSERT_CONTAINS(cause, "--name \"bad name\"");
	free(cause);
	o.name = "x";
	free(deploy_err(t, &o, -EINVAL));
	o.name = "-x";
	free(deploy_err(t, &o, -EINVAL));
	cli_tpl_file_free(f);
}

/* Stack and edge templates list but do not deploy. */
static void
test_stack_refused(void)
{
	struct cli_tpl_file *f2 = fixture("templates-v2.json");
	struct cli_tpl_file *f3 = fixture("templates-v3.json");
	char *cause;

	cause = deploy_err(&f2->templates[4], NULL, -ENOTSUP);
	ASSERT_STREQ(cause, "stack templates are not supported yet: Chat "
	    "Cluster needs docker swarm; see its repository "
	    "https://git.example.com/stacks (chat/docker-stack.yml)");
	free(cause);
	cause = deploy_err(&f2->templates[5], NULL, -ENOTSUP);
	ASSERT_CONTAINS(cause, "needs docker compose");
	free(cause);
	cause = deploy_err(&f2->templates[6], NULL, -ENOTSUP);
	ASSERT_CONTAINS(cause, "edge/sensor/docker-compose.yml");
	free(cause);
	cause = deploy_err(get(f3, "notes"), NULL, -ENOTSUP);
	ASSERT_CONTAINS(cause, "stack templates are not supported yet: "
	    "Notes App needs docker compose");
	free(cause);
	cli_tpl_file_free(f2);
	cli_tpl_file_free(f3);
}

/* Splits s and compares with the JSON array want (NULL: must fail). */
static void
split_case(const char *s, const char *want)
{
	json_t *argv = NULL;
	char *cause = NULL;
	int rc;

	rc = cli_tpl_split_command(s, &argv, &cause);
	if (want == NULL) {
		if (rc == 0)
			FAIL("split %s: expected an error", s);
		ASSERT_NULL(argv);
		ASSERT_NOT_NULL(cause);
		free(cause);
		return;
	}
	if (rc != 0)
		FAIL("split %s: %s", s, cause);
	assert_json(argv, want);
	json_decref(argv);
}

/* Commands split as sh splits words: quotes and backslashes. */
static void
test_split_command(void)
{
	split_case("a b  c", "[\"a\", \"b\", \"c\"]");
	split_case("  \t", "[]");
	split_case("", "[]");
	split_case("'x y' \"z \\\"q\\\"\" w\\ v",
	    "[\"x y\", \"z \\\"q\\\"\", \"w v\"]");
	split_case("\"\" ''", "[\"\", \"\"]");
	split_case("a\"b\"'c'd", "[\"abcd\"]");
	split_case("\"a\\nb\\\\\"", "[\"a\\\\nb\\\\\"]");
	split_case("'a\\b'", "[\"a\\\\b\"]");
	split_case("/bin/bash -c \"echo hello\" && exit 777",
	    "[\"/bin/bash\", \"-c\", \"echo hello\", \"&&\", \"exit\", "
	    "\"777\"]");
	split_case("server /data --console-address ':9001'",
	    "[\"server\", \"/data\", \"--console-address\", \":9001\"]");
	split_case("a\\\nb", "[\"ab\"]");
	split_case("'open", NULL);
	split_case("\"open", NULL);
	split_case("end\\", NULL);
}

/* A template whose command does not split is named in the error. */
static void
test_bad_command(void)
{
	const char *s = "{\"version\": \"2\", \"templates\": [{\"type\": 1, "
	    "\"title\": \"Q\", \"image\": \"q\", \"command\": \"sh -c 'x\"}]}";
	struct cli_tpl_file *f;
	char *cause = NULL;

	ASSERT_OK(cli_tpl_parse(s, strlen(s), "q.json", &f, &cause));
	cause = deploy_err(&f->templates[0], NULL, -EINVAL);
	ASSERT_STREQ(cause, "template 1 \"Q\": field \"command\": command "
	    "has an unterminated ' quote");
	free(cause);
	cli_tpl_file_free(f);
}

/* Parses a v2 file of a good template, tpl and another good one. */
static struct cli_tpl_file *
parse_one(const char *tpl)
{
	struct cli_tpl_file *f = NULL;
	char buf[2048], *cause = NULL;

	snprintf(buf, sizeof buf, "{\"version\": \"2\", \"templates\": "
	    "[{\"type\": 1, \"title\": \"Fine\", \"image\": \"x\"}, %s, "
	    "{\"type\": 1, \"title\": \"After\", \"image\": \"y\"}]}",
	    tpl);
	if (cli_tpl_parse(buf, strlen(buf), "bad.json", &f, &cause) != 0)
		FAIL("template %s: the file failed: %s", tpl, cause);
	ASSERT_NULL(cause);
	ASSERT_EQ(f->ntemplates, 3);
	return (f);
}

/*
 * Expects the middle template alone to be bad, with text in its error:
 * the others list and deploy, it matches no search, and deploying it
 * (found by its position, as its title may be the bad field) gives its
 * error.
 */
static void
bad_case(const char *tpl, const char *needle)
{
	struct cli_tpl_file *f = parse_one(tpl);
	const struct cli_tpl *hits[3], *t;
	json_t *p = NULL;
	char *cause = NULL;

	if (f->templates[1].error == NULL)
		FAIL("template %s: expected an error", tpl);
	ASSERT_CONTAINS(f->templates[1].error, needle);
	ASSERT_EQ(f->nbad, 1);
	ASSERT_NULL(f->templates[0].error);
	ASSERT_NULL(f->templates[2].error);
	ASSERT_EQ(cli_tpl_search(f, NULL, hits, 3), 2);
	ASSERT_STREQ(hits[0]->title, "Fine");
	ASSERT_STREQ(hits[1]->title, "After");
	ASSERT_EQ(cli_tpl_search(f, "bad", hits, 3), 0);
	ASSERT_EQ(cli_tpl_deploy_params(&f->templates[1], NULL, &p, &cause),
	    -EINVAL);
	ASSERT_NULL(p);
	ASSERT_STREQ(cause, f->templates[1].error);
	free(cause);
	ASSERT_STREQ(get(f, "after")->image, "y");
	p = deploy_ok(get(f, "Fine"), NULL);
	json_decref(p);
	/* The lookup finds it, so deploying it by name says what is wrong. */
	if (f->templates[1].title != NULL &&
	    strcmp(f->templates[1].title, "Bad") == 0) {
		ASSERT_OK(cli_tpl_find(f, "Bad", &t, &cause));
		ASSERT(t == &f->templates[1]);
	}
	cli_tpl_file_free(f);
}

/* Bad files: not JSON, wrong versions, wrong shapes. */
static void
test_bad_files(void)
{
	struct cli_tpl_file *f;
	char *cause, *big;

	ASSERT_EQ(parse_str("{\"version\": \"2\", \"templates\": [", &cause),
	    -EINVAL);
	ASSERT_CONTAINS(cause, "bad.json: line 1 column");
	free(cause);
	ASSERT_EQ(parse_str("{\"version\": \"1\", \"templates\": []}",
	    &cause), -EINVAL);
	ASSERT_STREQ(cause, "bad.json: template format version \"1\" is not "
	    "supported; Pier reads versions 2 and 3");
	free(cause);
	ASSERT_EQ(parse_str("{\"version\": 2, \"templates\": []}", &cause),
	    -EINVAL);
	ASSERT_CONTAINS(cause, "\"version\" must be a string");
	free(cause);
	ASSERT_EQ(parse_str("{\"templates\": []}", &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "no \"version\" field");
	free(cause);
	ASSERT_EQ(parse_str("[{\"title\": \"old\"}]", &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "version 1 template format");
	free(cause);
	ASSERT_EQ(parse_str("\"x\"", &cause), -EINVAL);
	free(cause);
	ASSERT_EQ(parse_str("{\"version\": \"3\", \"templates\": {}}",
	    &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "\"templates\" must be an array, got an "
	    "object");
	free(cause);
	ASSERT_EQ(parse_str("{\"version\": \"3\", \"version\": \"2\", "
	    "\"templates\": []}", &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "duplicate");
	free(cause);
	ASSERT_OK(parse_str("{\"version\": \"3\", \"templates\": []}",
	    &cause));

	bad_case("{\"type\": 1, \"title\": \"Bad\", \"image\": \"x\", "
	    "\"ports\": \"80/tcp\"}", "bad.json: template 2 \"Bad\": field "
	    "\"ports\": expected an array, got a string");
	bad_case("{\"type\": 1, \"title\": \"Bad\", \"image\": \"x\", "
	    "\"ports\": [80]}", "field \"ports[0]\": expected a string, "
	    "got an integer");
	bad_case("{\"type\": 1, \"title\": \"Bad\", \"image\": \"x\", "
	    "\"ports\": [\"80/tcp\", \"x:80\"]}", "field \"ports[1]\": port "
	    "\"x:80\"");
	bad_case("{\"type\": 1, \"title\": \"Bad\", \"image\": 5}",
	    "template 2 \"Bad\": field \"image\": expected a string");
	bad_case("{\"type\": 1, \"title\": \"Bad\"}", "field \"image\": "
	    "missing");
	bad_case("{\"type\": 1, \"image\": \"x\"}", "template 2: field "
	    "\"title\": missing");
	bad_case("{\"type\": 1, \"title\": [], \"image\": \"x\"}",
	    "field \"title\": expected a string, got an array");
	bad_case("{\"type\": 9, \"title\": \"Bad\"}", "field \"type\": "
	    "expected 1 (container)");
	bad_case("{\"type\": true, \"title\": \"Bad\"}", "field \"type\": "
	    "expected an integer, got a boolean");
	bad_case("{\"title\": \"Bad\"}", "field \"type\": missing");
	bad_case("{\"type\": 1, \"title\": \"Bad\", \"image\": \"x\", "
	    "\"privileged\": \"yes\"}", "field \"privileged\": expected true "
	    "or false, got a string");
	bad_case("{\"type\": 1, \"title\": \"Bad\", \"image\": \"x\", "
	    "\"volumes\": [{\"bind\": \"/x\"}]}", "field \"volumes[0]."
	    "container\": missing");
	bad_case("{\"type\": 1, \"title\": \"Bad\", \"image\": \"x\", "
	    "\"volumes\": [\"/x\"]}", "field \"volumes[0]\": expected an "
	    "object, got a string");
	bad_case("{\"type\": 1, \"title\": \"Bad\", \"image\": \"x\", "
	    "\"labels\": [{\"name\": \"a\", \"value\": 1}]}",
	    "field \"labels[0].value\": expected a string, got an integer");
	bad_case("{\"type\": 1, \"title\": \"Bad\", \"image\": \"x\", "
	    "\"env\": [{\"label\": \"x\"}]}", "field \"env[0].name\": "
	    "missing");
	bad_case("{\"type\": 1, \"title\": \"Bad\", \"image\": \"x\", "
	    "\"env\": [{\"name\": \"A=B\"}]}", "contains '='");
	bad_case("{\"type\": 1, \"title\": \"Bad\", \"image\": \"x\", "
	    "\"env\": [{\"name\": \"A\"}, {\"name\": \"A\"}]}",
	    "field \"env[1].name\": A is declared twice");
	bad_case("{\"type\": 1, \"title\": \"Bad\", \"image\": \"x\", "
	    "\"env\": [{\"name\": \"A\", \"preset\": 1}]}",
	    "field \"env[0].preset\": expected true or false");
	bad_case("{\"type\": 1, \"title\": \"Bad\", \"image\": \"x\", "
	    "\"env\": [{\"name\": \"A\", \"select\": [{\"text\": \"t\"}]}]}",
	    "field \"env[0].select[0].value\": missing");
	bad_case("{\"type\": 1, \"title\": \"Bad\", \"image\": \"x\", "
	    "\"env\": [{\"name\": \"A\", \"select\": [3]}]}",
	    "field \"env[0].select[0]\": expected an object");
	bad_case("{\"type\": 1, \"title\": \"Bad\", \"image\": \"x\", "
	    "\"categories\": [\"a\", null]}", "field \"categories[1]\": "
	    "expected a string, got null");
	bad_case("{\"type\": 1, \"title\": \"Bad\", \"image\": \"x\", "
	    "\"restart_policy\": \"sometimes\"}", "field \"restart_policy\": "
	    "\"sometimes\" is not one of");
	bad_case("{\"type\": 3, \"title\": \"Bad\"}", "field \"repository\": "
	    "missing");
	bad_case("{\"type\": 2, \"title\": \"Bad\", \"repository\": "
	    "{\"url\": \"u\"}}", "field \"repository.stackfile\": "
	    "missing");
	bad_case("{\"type\": 2, \"title\": \"Bad\", \"repository\": \"u\"}",
	    "field \"repository\": expected an object");
	bad_case("{\"type\": 1, \"title\": \"Bad\", \"image\": \"x\", "
	    "\"id\": \"7\"}", "field \"id\": expected an integer >= 0, got "
	    "a string");
	bad_case("{\"type\": 1.0, \"title\": \"Bad\", \"image\": \"x\"}",
	    "field \"type\": expected an integer, got a real number");
	bad_case("{\"type\": 1, \"title\": \"Bad\", \"image\": \"x\", "
	    "\"id\": 1}", "bad.json: template 2 \"Bad\": id 1 is already "
	    "template 1 \"Fine\"'s");
	bad_case("7", "template 2: field \"templates\": expected an object, "
	    "got an integer");
	/* Nulls count as absent; a numeric string type is accepted. */
	f = parse_one("{\"type\": \"1\", \"title\": \"Ok\", \"image\": "
	    "\"x\", \"note\": null, \"ports\": null}");
	ASSERT_EQ(f->nbad, 0);
	ASSERT_NULL(f->templates[1].error);
	cli_tpl_file_free(f);

	/* Size bound, before any parsing. */
	big = malloc(CLI_TPL_MAX_SIZE + 2);
	ASSERT_NOT_NULL(big);
	memset(big, ' ', CLI_TPL_MAX_SIZE + 1);
	big[CLI_TPL_MAX_SIZE + 1] = '\0';
	ASSERT_EQ(parse_str(big, &cause), -EFBIG);
	ASSERT_CONTAINS(cause, "more than the");
	free(cause);
	free(big);
}

/*
 * A file like the public collections of hundreds of templates: an empty
 * host part as Portainer writes it (":8081/tcp") is a port the engine
 * picks, and two bad templates cost themselves only.
 */
static void
test_mixed_file(void)
{
	struct cli_tpl_file *f = fixture("templates-mixed.json");
	const struct cli_tpl *hits[8], *t;
	json_t *p;
	char *cause = NULL;

	ASSERT_EQ(f->ntemplates, 5);
	ASSERT_EQ(f->nbad, 2);
	ASSERT_EQ(cli_tpl_search(f, NULL, hits, 8), 3);
	ASSERT_STREQ(hits[0]->title, "Pier Any Port");
	ASSERT_STREQ(hits[1]->title, "Pier Mixed Stack");
	ASSERT_STREQ(hits[2]->title, "Pier Last");
	ASSERT_EQ(cli_tpl_search(f, "pier", hits, 8), 3);
	ASSERT_CONTAINS(f->templates[1].error, "templates-mixed.json: "
	    "template 2 \"Pier Bad Port\": field \"ports[0]\": port "
	    "\"80:http/tcp\"");
	ASSERT_CONTAINS(f->templates[2].error, "template 3 \"Pier Twice\": "
	    "field \"env[1].name\": PUID is declared twice");
	p = deploy_ok(get(f, "Pier Any Port"), NULL);
	assert_json(json_object_get(p, "ports"), "["
	    "{\"container_port\": 8081, \"protocol\": \"tcp\"},"
	    "{\"container_port\": 9000, \"protocol\": \"udp\"}]");
	json_decref(p);
	/* Named, the bad one is found and refused with its own error. */
	t = get(f, "pier bad");
	ASSERT_EQ(cli_tpl_deploy_params(t, NULL, &p, &cause), -EINVAL);
	ASSERT_STREQ(cause, f->templates[1].error);
	free(cause);
	ASSERT_EQ(cli_tpl_find(f, "2", &t, &cause), 0);
	ASSERT(t == &f->templates[1]);
	cli_tpl_file_free(f);
}

/* The command line's overrides are checked alone, before any template. */
static void
test_overrides_check(void)
{
	const char *ports[] = { "8080:80" }, *vols[] = { "data:/data" };
	const char *env[] = { "A=1" };
	struct cli_tpl_overrides o = { .name = "web", .restart = "always",
	    .ports = ports, .nports = 1, .volumes = vols, .nvolumes = 1,
	    .env = env, .nenv = 1 };
	char *cause = NULL;

	ASSERT_OK(cli_tpl_overrides_check(&o, &cause));
	ASSERT_NULL(cause);
	ports[0] = ":80/udp";
	ASSERT_OK(cli_tpl_overrides_check(&o, &cause));
	ports[0] = "70000:80";
	ASSERT_EQ(cli_tpl_overrides_check(&o, &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "port \"70000:80\"");
	free(cause);
	ports[0] = "80";
	vols[0] = "rel/path:/data";
	ASSERT_EQ(cli_tpl_overrides_check(&o, &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "volume \"rel/path:/data\"");
	free(cause);
	vols[0] = "/data";
	env[0] = "=1";
	ASSERT_EQ(cli_tpl_overrides_check(&o, &cause), -EINVAL);
	ASSERT_STREQ(cause, "-e \"=1\": expected NAME=value");
	free(cause);
	env[0] = "A=";
	o.restart = "often";
	ASSERT_EQ(cli_tpl_overrides_check(&o, &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "--restart \"often\"");
	free(cause);
	o.restart = NULL;
	o.name = "-x";
	ASSERT_EQ(cli_tpl_overrides_check(&o, &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "--name \"-x\"");
	free(cause);
}

/* Files: a missing one, a folder, and one too big. */
static void
test_load_errors(void)
{
	struct cli_tpl_file *f;
	char *dir, path[4096], *cause = NULL;
	FILE *fp;

	dir = test_tmpdir();
	snprintf(path, sizeof path, "%s/none.json", dir);
	ASSERT_EQ(cli_tpl_load(path, &f, &cause), -ENOENT);
	ASSERT_CONTAINS(cause, "none.json: No such file");
	free(cause);
	ASSERT_EQ(cli_tpl_load(dir, &f, &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "not a regular file");
	free(cause);
	snprintf(path, sizeof path, "%s/big.json", dir);
	fp = fopen(path, "w");
	ASSERT_NOT_NULL(fp);
	ASSERT_OK(ftruncate(fileno(fp), CLI_TPL_MAX_SIZE + 1));
	fclose(fp);
	ASSERT_EQ(cli_tpl_load(path, &f, &cause), -EFBIG);
	ASSERT_CONTAINS(cause, "big.json: larger than");
	free(cause);
	test_rmtree(dir);
}

/* Loads one of the real files, or skips saying why. */
static struct cli_tpl_file *
real_file(const char *name)
{
	struct cli_tpl_file *f;
	char path[4096], *cause = NULL;

	snprintf(path, sizeof path, "%s/../shared/testdata/templates/%s",
	    test_env("PIER_SOURCE_ROOT", "."), name);
	if (access(path, R_OK) != 0)
		SKIP("%s is not here (Portainer's files live in ../shared)",
		    path);
	if (cli_tpl_load(path, &f, &cause) != 0)
		FAIL("%s: %s", path, cause);
	return (f);
}

/* Runs every template of a real file through deploy. */
static void
real_deploy_all(struct cli_tpl_file *f, size_t *counts)
{
	struct asks a = { 0 };
	struct cli_tpl_overrides ask = { .ask = ask_cb, .ask_arg = &a };
	const struct cli_tpl *t;
	json_t *p;
	char *cause;
	size_t i;
	int rc;

	for (i = 0; i < f->ntemplates; i++) {
		t = &f->templates[i];
		counts[t->type]++;
		p = NULL;
		cause = NULL;
		if (t->type != CLI_TPL_CONTAINER) {
			ASSERT_EQ(cli_tpl_deploy_params(t, NULL, &p, &cause),
			    -ENOTSUP);
			ASSERT_CONTAINS(cause, t->title);
			if (t->repo_url != NULL)
				ASSERT_CONTAINS(cause, t->repo_url);
			free(cause);
			continue;
		}
		/* With defaults only: fine, or it names what it needs. */
		rc = cli_tpl_deploy_params(t, NULL, &p, &cause);
		if (rc != 0) {
			ASSERT_EQ(rc, -EINVAL);
			ASSERT_CONTAINS(cause, "needs a value for");
			free(cause);
			cause = NULL;
			a.calls = 0;
			if (cli_tpl_deploy_params(t, &ask, &p, &cause) != 0)
				FAIL("%s: %s", t->title, cause);
			ASSERT_GT(a.calls, 0);
		}
		ASSERT_STREQ(json_string_value(json_object_get(p, "image")),
		    t->image);
		ASSERT_STREQ(json_string_value(json_object_get(json_object_get(
		    p, "labels"), CLI_TPL_LABEL)), t->title);
		ASSERT_EQ(json_array_size(json_object_get(p, "ports")),
		    t->nports);
		check_catalogue(t, p);
		json_decref(p);
	}
}

/* Portainer's own v2 file: 68 templates read, deploy or refuse. */
static void
test_real_v2(void)
{
	struct cli_tpl_file *f = real_file("portainer-templates-2.0.json");
	size_t counts[5] = { 0 };
	const struct cli_tpl *t;
	char *cause = NULL;

	ASSERT_EQ(f->version, 2);
	ASSERT_EQ(f->ntemplates, 68);
	ASSERT_EQ(f->nbad, 0);
	real_deploy_all(f, counts);
	ASSERT_EQ(counts[1], 42);
	ASSERT_EQ(counts[2], 11);
	ASSERT_EQ(counts[3], 8);
	ASSERT_EQ(counts[4], 7);
	ASSERT_STREQ(get(f, "nginx")->image, "nginx:latest");
	ASSERT_EQ(cli_tpl_find(f, "wordpress", &t, &cause), -ENOTUNIQ);
	ASSERT_CONTAINS(cause, "(swarm stack)");
	free(cause);
	cli_tpl_file_free(f);
}

/* Portainer's own v3 file: 69 templates with ids. */
static void
test_real_v3(void)
{
	struct cli_tpl_file *f = real_file("portainer-templates-3.json");
	size_t counts[5] = { 0 };
	const struct cli_tpl *hits[80];

	ASSERT_EQ(f->version, 3);
	ASSERT_EQ(f->ntemplates, 69);
	ASSERT_EQ(f->nbad, 0);
	real_deploy_all(f, counts);
	ASSERT_EQ(counts[1], 36);
	ASSERT_EQ(counts[2], 11);
	ASSERT_EQ(counts[3], 22);
	ASSERT_STREQ(get(f, "1")->title, "Registry");
	ASSERT_GT(cli_tpl_search(f, "database", hits, 80), 3);
	cli_tpl_file_free(f);
}

TEST_MAIN(
	T(test_v2_fields),
	T(test_v3_fields),
	T(test_search),
	T(test_find),
	T(test_deploy_full),
	T(test_deploy_flags),
	T(test_env_missing),
	T(test_env_rules),
	T(test_env_ask),
	T(test_ports),
	T(test_volumes),
	T(test_name_restart),
	T(test_stack_refused),
	T(test_split_command),
	T(test_bad_command),
	T(test_bad_files),
	T(test_mixed_file),
	T(test_overrides_check),
	T(test_load_errors),
	T(test_real_v2),
	T(test_real_v3))
