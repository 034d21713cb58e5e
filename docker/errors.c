/*
 * The small stable set of errors a Docker request ends with, and how HTTP
 * statuses map onto it. The numbers are errno values (see docker.h) so
 * they travel through code that speaks errno; names and texts are stable
 * because node/ shows them to users and maps them onto protocol codes.
 * Failed transfers get a message that names the engine and, for the
 * usual mistakes (no socket, no permission, nothing listening), says
 * what to check.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk-http.h"

/* One row of the error table. */
struct dk_err_row {
	int		 code;
	const char	*name;
	const char	*text;
};

static const struct dk_err_row dk_err_table[] = {
#define DK_ERR_ROW(name, e, text) { -(e), #name, text },
	DK_ERR_MAP(DK_ERR_ROW)
#undef DK_ERR_ROW
};

/* Finds an error's row, or NULL. */
static const struct dk_err_row *
find(int err)
{
	size_t i;

	for (i = 0; i < sizeof dk_err_table / sizeof dk_err_table[0]; i++)
		if (dk_err_table[i].code == err)
			return (&dk_err_table[i]);
	return (NULL);
}

/* Names an error code. */
const char *
dk_err_name(int err)
{
	const struct dk_err_row *r = find(err);

	if (err == 0)
		return ("OK");
	return (r != NULL ? r->name : "UNKNOWN");
}

/* Describes an error code. */
const char *
dk_strerror(int err)
{
	const struct dk_err_row *r = find(err);

	if (err == 0)
		return ("ok");
	if (r != NULL)
		return (r->text);
	return (strerror(err < 0 ? -err : err));
}

/* Maps an HTTP status onto the set: 2xx is 0. */
enum dk_err
dk_err_from_http(long status)
{
	if (status >= 200 && status < 300)
		return (DK_OK);
	switch (status) {
	case 304:
		return (DK_E_NOT_MODIFIED);
	case 400:
	case 405:
	case 406:
	case 411:
	case 413:
	case 415:
	case 422:
		return (DK_E_BAD_PARAMETER);
	case 401:
	case 403:
		return (DK_E_PERMISSION);
	case 404:
		return (DK_E_NOT_FOUND);
	case 409:
		return (DK_E_CONFLICT);
	case 408:
	case 504:
		return (DK_E_TIMEOUT);
	case 502:
	case 503:
		return (DK_E_UNAVAILABLE);
	default:
		if (status >= 400 && status < 500)
			return (DK_E_BAD_PARAMETER);
		if (status >= 500 && status < 600)
			return (DK_E_INTERNAL);
		return (DK_E_BAD_RESPONSE);
	}
}

/* Formats into a new string; NULL when out of memory. */
char *
dk__asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return (n < 0 ? NULL : s);
}

/* Reason for a failed connect, from the socket's errno. */
static const char *
connect_reason(long err, int *status)
{
	*status = DK_E_UNAVAILABLE;
	switch (err) {
	case ENOENT:
		return ("no such file (is dockerd running?)");
	case EACCES:
	case EPERM:
		*status = DK_E_PERMISSION;
		return ("permission denied (is this user in the docker "
		    "group?)");
	case ECONNREFUSED:
		return ("connection refused (is dockerd running?)");
	case ENOTSOCK:
		return ("not a socket");
	case ETIMEDOUT:
		*status = DK_E_TIMEOUT;
		return ("connection timed out");
	default:
		return (NULL);
	}
}

/* Maps a failed transfer onto a dk_err with a message. */
int
dk__curl_error(int code, long oserr, const char *host, const char *method,
    const char *path, const char *detail, char **msg)
{
	const char *why;
	int status;

	switch (code) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		why = connect_reason(oserr, &status);
		*msg = dk__asprintf("cannot reach Docker at %s: %s", host,
		    why != NULL ? why : detail);
		return (status);
	case CURLE_OPERATION_TIMEDOUT:
		*msg = dk__asprintf("Docker at %s did not answer %s %s in "
		    "time: %s", host, method, path, detail);
		return (DK_E_TIMEOUT);
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		*msg = dk__asprintf("cannot reach Docker at %s: TLS: %s", host,
		    detail);
		return (DK_E_UNAVAILABLE);
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		*msg = dk__asprintf("connection to Docker at %s lost during "
		    "%s %s: %s", host, method, path, detail);
		return (DK_E_UNAVAILABLE);
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_HTTP2:
		*msg = dk__asprintf("bad response from Docker at %s to %s %s: "
		    "%s", host, method, path, detail);
		return (DK_E_BAD_RESPONSE);
	case CURLE_OUT_OF_MEMORY:
		*msg = dk__asprintf("out of memory");
		return (DK_E_INTERNAL);
	default:
		*msg = dk__asprintf("%s %s to Docker at %s: %s", method, path,
		    host, detail);
		return (DK_E_INTERNAL);
	}
}

/* The engine's error text: its JSON "message", else the body's text. */
char *
dk__engine_message(const char *body, size_t len, long http,
    const char *method, const char *path)
{
	json_t *j, *m;		/* owned, borrowed */
	char *s = NULL;
	size_t n;

	if (len > 0) {
		j = json_loadb(body, len, JSON_DECODE_ANY, NULL);
		m = json_is_object(j) ? json_object_get(j, "message") : NULL;
		if (json_is_string(m))
			s = strdup(json_string_value(m));
		json_decref(j);
		if (s != NULL)
			return (s);
		n = len > 512 ? 512 : len;
		while (n > 0 && isspace((unsigned char)body[n - 1]))
			n--;
		if (n > 0)
			return (strndup(body, n));
	}
	if (http == 304)
		return (dk__asprintf("%s %s: not modified (already in that "
		    "state)", method, path));
	return (dk__asprintf("%s %s: HTTP %ld from Docker", method, path,
	    http));
}
