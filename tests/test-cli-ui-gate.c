/*
 * Tests of the gate of `pier ui` (tools/pier/ui-http.c, ui_http_allowed)
 * on its own: the token from the query or the one cookie of that name,
 * of exactly the right length; Host one of the served names; Origin,
 * when sent, http:// and a served name. test-e2e-ui checks the same over
 * HTTP with curl.
 */
#include <string.h>

#include "test.h"
#include "ui.h"

#define TOK	"0123456789abcdef0123456789abcdef"
#define HOST	"127.0.0.1:4242"

/* A server record served at HOST with the token TOK. */
static void
setup(struct ui *u)
{
	memset(u, 0, sizeof(*u));
	memcpy(u->token, TOK, sizeof(TOK));
	strcpy(u->host, HOST);
	strcpy(u->alt_host, "localhost:4242");
}

/* The token, from the query or the cookie. */
static void
test_token(void)
{
	struct ui	u;

	setup(&u);
	ASSERT_EQ(ui_http_allowed(&u, HOST, NULL, TOK, NULL), 1);
	ASSERT_EQ(ui_http_allowed(&u, HOST, NULL, NULL, "pier_ui=" TOK), 1);
	ASSERT_EQ(ui_http_allowed(&u, HOST, NULL, NULL,
	    "a=b; pier_ui=" TOK "; c=d"), 1);
	ASSERT_EQ(ui_http_allowed(&u, HOST, NULL, NULL, NULL), 0);
	ASSERT_EQ(ui_http_allowed(&u, HOST, NULL, "", ""), 0);
	ASSERT_EQ(ui_http_allowed(&u, HOST, NULL, TOK "0", NULL), 0);
	ASSERT_EQ(ui_http_allowed(&u, HOST, NULL, "0123", NULL), 0);
	ASSERT_EQ(ui_http_allowed(&u, HOST, NULL,
	    "0123456789abcdef0123456789abcdee", NULL), 0);
	ASSERT_EQ(ui_http_allowed(&u, HOST, NULL, NULL,
	    "xpier_ui=" TOK), 0);
	ASSERT_EQ(ui_http_allowed(&u, HOST, NULL, NULL,
	    "pier_ui=" TOK "0"), 0);
	ASSERT_EQ(ui_http_allowed(&u, HOST, NULL, NULL, "pier_ui"), 0);
	ASSERT_EQ(ui_http_allowed(&u, HOST, NULL, NULL, "pier_ui="), 0);
}

/* Host and Origin name the address served, nothing else. */
static void
test_host_origin(void)
{
	struct ui	u;

	setup(&u);
	ASSERT_EQ(ui_http_allowed(&u, "localhost:4242", NULL, TOK, NULL), 1);
	ASSERT_EQ(ui_http_allowed(&u, NULL, NULL, TOK, NULL), 0);
	ASSERT_EQ(ui_http_allowed(&u, "evil.example:4242", NULL, TOK,
	    NULL), 0);
	ASSERT_EQ(ui_http_allowed(&u, "127.0.0.1:42420", NULL, TOK, NULL), 0);
	ASSERT_EQ(ui_http_allowed(&u, "127.0.0.1", NULL, TOK, NULL), 0);
	ASSERT_EQ(ui_http_allowed(&u, HOST, "http://" HOST, TOK, NULL), 1);
	ASSERT_EQ(ui_http_allowed(&u, HOST, "http://localhost:4242", TOK,
	    NULL), 1);
	ASSERT_EQ(ui_http_allowed(&u, HOST, "https://" HOST, TOK, NULL), 0);
	ASSERT_EQ(ui_http_allowed(&u, HOST, "http://evil.example", TOK,
	    NULL), 0);
	ASSERT_EQ(ui_http_allowed(&u, HOST, "http://" HOST ".evil", TOK,
	    NULL), 0);
	ASSERT_EQ(ui_http_allowed(&u, HOST, "null", TOK, NULL), 0);
	ASSERT_EQ(ui_http_allowed(&u, HOST, "", TOK, NULL), 0);
	u.alt_host[0] = '\0';
	ASSERT_EQ(ui_http_allowed(&u, "", NULL, TOK, NULL), 0);
}

/* The page's files are found by path; "/" is the page. */
static void
test_assets(void)
{
	ASSERT_NOT_NULL(ui_asset_find("/"));
	ASSERT_STREQ(ui_asset_find("/")->path, "/index.html");
	ASSERT_NOT_NULL(ui_asset_find("/xterm.mjs"));
	ASSERT_NOT_NULL(ui_asset_find("/addon-fit.mjs"));
	ASSERT_NULL(ui_asset_find("/../etc/passwd"));
	ASSERT_NULL(ui_asset_find("/xterm.mjs.map"));
}

TEST_MAIN(T(test_token), T(test_host_origin), T(test_assets))
