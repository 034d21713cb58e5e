/*
 * The small stable set of errors a Docker request ends with, and how HTTP
 * statuses map onto it. The numbers are errno values (see docker.h) so
 * they travel through code that speaks errno; names and texts are stable
 * because node/ shows them to users and maps them onto protocol codes.
 */
#include <string.h>

#include "docker.h"

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
int
dk_err_from_http(long status)
{
	if (status >= 200 && status < 300)
		return (0);
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
