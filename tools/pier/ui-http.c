/*
 * The HTTP side of `pier ui`: libwebsockets on the client's own libuv
 * loop (a foreign loop to lws), one protocol that serves the page's
 * embedded files and upgrades /ws to the page's WebSocket (ui-ws.c).
 *
 * Every request passes the same gate, the upgrade included: the Host
 * header must name the address served (a page on another name that
 * resolves to 127.0.0.1, DNS rebinding, is refused), an Origin, when
 * sent, must be that address too (another site's page cannot drive it;
 * the upgrade must carry one), and the secret token must come with it,
 * in the query (?token=, the printed URL) or in the cookie that the
 * first such request sets (HttpOnly, SameSite=Strict) before it
 * redirects to the bare URL. Only GET is served. Each answer carries a
 * Content-Security-Policy that allows the page's own files and its own
 * WebSocket only, and no referrer, so the token never leaves.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli-lws.h"
#include "ui.h"

#define UI_CHUNK	16384	/* body bytes per write */
#define UI_HDR_MAX	2048	/* response headers */
#define UI_RX_MAX	65536	/* lws's receive buffer */

/*
 * style-src allows inline styles: xterm.js sizes its rows and cells
 * with <style> elements it makes at run time; scripts stay 'self'.
 */
#define UI_CSP	"default-src 'none'; script-src 'self'; " \
	"style-src 'self' 'unsafe-inline'; img-src 'self' data:; " \
	"font-src 'self'; connect-src 'self' ws://%s; " \
	"frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

/* What lws keeps per connection for us. */
struct ui_pss {
	const struct ui_asset	*asset;		/* being sent, or NULL */
	const unsigned char	*body;		/* its bytes, maybe gzip'd */
	size_t			 len;
	size_t			 sent;
	struct ui_sess		*sess;		/* a WebSocket's, or NULL */
};

/* Compares the token t (any length) with ours in constant time. */
static int
token_ok(const struct ui *u, const char *t)
{
	if (t == NULL || strlen(t) != UI_TOKEN_LEN)
		return (0);
	return (sodium_memcmp(t, u->token, UI_TOKEN_LEN) == 0);
}

/* The value of our cookie in a Cookie header, copied into buf. */
static const char *
cookie_token(const char *cookie, char *buf, size_t len)
{
	const char	*p = cookie;
	size_t		 n, klen = strlen(UI_COOKIE);

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, UI_COOKIE, klen) == 0 && p[klen] == '=') {
			p += klen + 1;
			n = strcspn(p, ";");
			if (n >= len)
				return (NULL);
			memcpy(buf, p, n);
			buf[n] = '\0';
			return (buf);
		}
		p = strchr(p, ';');
	}
	return (NULL);
}

/* Tells whether h ("host:port") is a name this server answers to. */
static int
host_ok(const struct ui *u, const char *h)
{
	if (h == NULL)
		return (0);
	return (strcmp(h, u->host) == 0 || (u->alt_host[0] != '\0' &&
	    strcmp(h, u->alt_host) == 0));
}

/* The gate of every request (see the head comment). */
int
ui_http_allowed(const struct ui *u, const char *host, const char *origin,
    const char *query_token, const char *cookie)
{
	char	buf[UI_TOKEN_LEN + 2];

	if (!host_ok(u, host))
		return (0);
	if (origin != NULL) {
		if (strncmp(origin, "http://", 7) != 0 ||
		    !host_ok(u, origin + 7))
			return (0);
	}
	if (token_ok(u, query_token))
		return (1);
	return (token_ok(u, cookie_token(cookie, buf, sizeof(buf))));
}

/* The asset for a path. */
const struct ui_asset *
ui_asset_find(const char *path)
{
	size_t	i;

	if (strcmp(path, "/") == 0)
		path = "/index.html";
	for (i = 0; i < ui_nassets; i++)
		if (strcmp(ui_assets[i].path, path) == 0)
			return (&ui_assets[i]);
	return (NULL);
}

/* A header's value into buf ("" when absent); NULL when absent. */
static const char *
hdr(struct lws *wsi, enum lws_token_indexes h, char *buf, int len)
{
	if (lws_hdr_total_length(wsi, h) <= 0 ||
	    lws_hdr_copy(wsi, buf, len, h) < 0)
		return (NULL);
	return (buf);
}

/* Runs the gate on a request or an upgrade; 1 allowed. */
static int
gate(struct ui *u, struct lws *wsi, int upgrade)
{
	char		 host[UI_HOST_MAX], origin[UI_HOST_MAX + 16];
	char		 cookie[1024], q[UI_TOKEN_LEN + 16];
	const char	*o, *t;

	o = hdr(wsi, WSI_TOKEN_ORIGIN, origin, sizeof(origin));
	if (upgrade && o == NULL)
		return (0);
	t = lws_get_urlarg_by_name(wsi, "token=", q, sizeof(q));
	return (ui_http_allowed(u, hdr(wsi, WSI_TOKEN_HOST, host,
	    sizeof(host)), o, t, hdr(wsi, WSI_TOKEN_HTTP_COOKIE, cookie,
	    sizeof(cookie))));
}

/* Adds one header; -1 when there is no room. */
static int
add_hdr(struct lws *wsi, const char *name, const char *val,
    unsigned char **p, unsigned char *end)
{
	return (lws_add_http_header_by_name(wsi, (const unsigned char *)name,
	    (const unsigned char *)val, (int)strlen(val), p, end) != 0 ?
	    -1 : 0);
}

/* The headers every answer carries. */
static int
add_common(struct ui *u, struct lws *wsi, unsigned char **p,
    unsigned char *end)
{
	char	csp[sizeof(UI_CSP) + 2 * UI_HOST_MAX];

	snprintf(csp, sizeof(csp), UI_CSP, u->host);
	if (add_hdr(wsi, "content-security-policy:", csp, p, end) != 0 ||
	    add_hdr(wsi, "referrer-policy:", "no-referrer", p, end) != 0 ||
	    add_hdr(wsi, "x-content-type-options:", "nosniff", p, end) != 0 ||
	    add_hdr(wsi, "x-frame-options:", "DENY", p, end) != 0 ||
	    add_hdr(wsi, "cross-origin-resource-policy:", "same-origin", p,
	    end) != 0 ||
	    add_hdr(wsi, "cache-control:", "no-store", p, end) != 0)
		return (-1);
	return (0);
}

/* Answers with a status and a short text body; lws's return value. */
static int
answer_status(struct lws *wsi, unsigned code, const char *text)
{
	if (lws_return_http_status(wsi, code, text) != 0)
		return (-1);
	return (lws_http_transaction_completed(wsi) ? -1 : 0);
}

/* Sets the cookie and sends the browser to the bare URL. */
static int
answer_cookie(struct ui *u, struct lws *wsi, const char *path)
{
	unsigned char	 buf[LWS_PRE + UI_HDR_MAX], *start, *p, *end;
	char		 c[128], loc[UI_HOST_MAX + 256];

	start = p = buf + LWS_PRE;
	end = buf + sizeof(buf) - 1;
	snprintf(c, sizeof(c), "%s=%s; Path=/; HttpOnly; SameSite=Strict",
	    UI_COOKIE, u->token);
	snprintf(loc, sizeof(loc), "http://%s%s", u->host,
	    ui_asset_find(path) != NULL ? path : "/");
	if (lws_add_http_header_status(wsi, HTTP_STATUS_SEE_OTHER, &p,
	    end) != 0 || add_hdr(wsi, "location:", loc, &p, end) != 0 ||
	    add_hdr(wsi, "set-cookie:", c, &p, end) != 0 ||
	    add_common(u, wsi, &p, end) != 0 ||
	    lws_add_http_header_content_length(wsi, 0, &p, end) != 0 ||
	    lws_finalize_write_http_header(wsi, start, &p, end) != 0)
		return (-1);
	return (lws_http_transaction_completed(wsi) ? -1 : 0);
}

/*
 * Starts an asset's answer: the headers now, the body when writable;
 * gzip'd (as built) for a client that takes it.
 */
static int
answer_asset(struct ui *u, struct lws *wsi, struct ui_pss *pss,
    const struct ui_asset *a)
{
	unsigned char	 buf[LWS_PRE + UI_HDR_MAX], *start, *p, *end;
	char		 ae[256];
	int		 gz;

	start = p = buf + LWS_PRE;
	end = buf + sizeof(buf) - 1;
	gz = hdr(wsi, WSI_TOKEN_HTTP_ACCEPT_ENCODING, ae, sizeof(ae)) !=
	    NULL && strstr(ae, "gzip") != NULL;
	pss->body = gz ? a->gz : a->data;
	pss->len = gz ? a->gzlen : a->len;
	if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, a->type,
	    (lws_filepos_t)pss->len, &p, end) != 0 ||
	    (gz && add_hdr(wsi, "content-encoding:", "gzip", &p, end) != 0) ||
	    add_hdr(wsi, "vary:", "accept-encoding", &p, end) != 0 ||
	    add_common(u, wsi, &p, end) != 0 ||
	    lws_finalize_write_http_header(wsi, start, &p, end) != 0)
		return (-1);
	pss->asset = a;
	pss->sent = 0;
	lws_callback_on_writable(wsi);
	return (0);
}

/* Writes the next piece of an asset. */
static int
asset_write(struct lws *wsi, struct ui_pss *pss)
{
	unsigned char	 buf[LWS_PRE + UI_CHUNK];
	size_t		 n;
	int		 last;

	if (pss->asset == NULL)
		return (0);
	n = pss->len - pss->sent;
	if (n > UI_CHUNK)
		n = UI_CHUNK;
	last = pss->sent + n == pss->len;
	memcpy(buf + LWS_PRE, pss->body + pss->sent, n);
	if (lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL :
	    LWS_WRITE_HTTP) != (int)n)
		return (-1);
	pss->sent += n;
	if (!last) {
		lws_callback_on_writable(wsi);
		return (0);
	}
	pss->asset = NULL;
	return (lws_http_transaction_completed(wsi) ? -1 : 0);
}

/* A plain HTTP request. */
static int
on_http(struct ui *u, struct lws *wsi, struct ui_pss *pss, const char *path)
{
	const struct ui_asset	*a;
	char			 q[UI_TOKEN_LEN + 16];

	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0)
		return (answer_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED,
		    "only GET"));
	if (!gate(u, wsi, 0))
		return (answer_status(wsi, HTTP_STATUS_FORBIDDEN,
		    "open the URL that pier ui printed"));
	if (lws_get_urlarg_by_name(wsi, "token=", q, sizeof(q)) != NULL)
		return (answer_cookie(u, wsi, path));
	a = ui_asset_find(path);
	if (a == NULL)
		return (answer_status(wsi, HTTP_STATUS_NOT_FOUND,
		    "not found"));
	return (answer_asset(u, wsi, pss, a));
}

/* The one protocol: HTTP and the page's WebSocket. */
static int
ui_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct ui_pss	*pss = user;
	struct ui	*u;

	u = lws_context_user(lws_get_context(wsi));
	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return (on_http(u, wsi, pss, in));
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return (asset_write(wsi, pss));
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return (gate(u, wsi, 1) ? 0 : -1);
	case LWS_CALLBACK_ESTABLISHED:
		pss->sess = ui_ws_open(u, wsi);
		return (pss->sess != NULL ? 0 : -1);
	case LWS_CALLBACK_RECEIVE:
		if (pss->sess == NULL)
			return (-1);
		return (ui_ws_recv(pss->sess, in, len, lws_frame_is_binary(wsi),
		    lws_is_first_fragment(wsi), lws_is_final_fragment(wsi)));
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return (pss->sess != NULL ? ui_ws_writable(pss->sess) : 0);
	case LWS_CALLBACK_CLOSED:
		if (pss->sess != NULL)
			ui_ws_close(pss->sess);
		pss->sess = NULL;
		return (0);
	default:
		return (lws_callback_http_dummy(wsi, reason, user, in, len));
	}
}

static const struct lws_protocols ui_protocols[] = {
	{ "pier-ui", ui_callback, sizeof(struct ui_pss), UI_RX_MAX, 0, NULL,
	  0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* lws's own log lines: errors only, on stderr. */
static void
ui_lws_log(int level, const char *line)
{
	fprintf(stderr, "pier ui: %s", line);
}

/* Makes a token of UI_TOKEN_LEN hex characters. */
static void
make_token(char out[static UI_TOKEN_LEN + 1])
{
	uint8_t	r[UI_TOKEN_LEN / 2];

	randombytes_buf(r, sizeof(r));
	sodium_bin2hex(out, UI_TOKEN_LEN + 1, r, sizeof(r));
	sodium_memzero(r, sizeof(r));
}

/*
 * Binds host:port once, as lws will, to say why it cannot: lws's own
 * failure there leaves a context whose teardown unloads its libuv
 * plugin before the loop has closed the plugin's handles.
 */
static int
port_free(const char *host, int port, char **cause)
{
	struct sockaddr_in	 sa;
	int			 fd, one = 1, err = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		if (asprintf(cause, "--listen: %s is not an IPv4 address",
		    host) < 0)
			*cause = NULL;
		return (-EINVAL);
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return (-errno);
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		err = -errno;
		if (asprintf(cause, "cannot listen on %s:%d: %s", host, port,
		    strerror(-err)) < 0)
			*cause = NULL;
	}
	close(fd);
	return (err);
}

/* Starts the server on x's loop. */
int
ui_http_start(struct ui *u, struct cli_ctx *x, const char *host, int port,
    char **cause)
{
	struct lws_context_creation_info info;
	struct lws_vhost *vh;
	void		*loops[1];
	int		 loopback, err;

	u->x = x;
	if ((err = cli_lws_load(cause)) != 0)
		return (err);
	if ((err = port_free(host, port, cause)) != 0)
		return (err);
	make_token(u->token);
	/* Quiet while starting: a failure is said once, below. */
	lws_set_log_level(0, ui_lws_log);
	memset(&info, 0, sizeof(info));
	loops[0] = &x->loop;
	info.foreign_loops = loops;
	info.options = LWS_SERVER_OPTION_LIBUV |
	    LWS_SERVER_OPTION_UV_NO_SIGSEGV_SIGFPE_SPIN |
	    LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6;
	info.port = port;
	info.iface = host;
	info.protocols = ui_protocols;
	info.user = u;
	info.pcontext = &u->lws;
	info.server_string = "pier";
	u->lws = lws_create_context(&info);
	vh = u->lws != NULL ? lws_get_vhost_by_name(u->lws, "default") : NULL;
	if (vh == NULL) {
		/* The context may stand without its vhost: it goes too. */
		if (u->lws != NULL)
			lws_context_destroy(u->lws);
		if (asprintf(cause, "cannot listen on %s:%d: the port is "
		    "taken or the address is not this machine's%s", host,
		    port, u->lws == NULL ? ", or libwebsockets' libuv plugin "
		    "(libwebsockets-evlib-uv) is missing" : "") < 0)
			*cause = NULL;
		return (-EADDRNOTAVAIL);
	}
	lws_set_log_level(LLL_ERR, ui_lws_log);
	u->port = lws_get_vhost_listen_port(vh);
	snprintf(u->host, sizeof(u->host), "%s:%d", host, u->port);
	loopback = strncmp(host, "127.", 4) == 0;
	if (loopback)
		snprintf(u->alt_host, sizeof(u->alt_host), "localhost:%d",
		    u->port);
	return (0);
}

/* Stops serving (lws closes its handles as the loop runs). */
void
ui_http_stop(struct ui *u)
{
	if (u->lws != NULL)
		lws_context_destroy(u->lws);
}

/* Asks lws for a writable callback on a WebSocket. */
void
ui_http_want_write(struct lws *wsi)
{
	lws_callback_on_writable(wsi);
}
