/*
 * Lookups over the error table of errors.h: code to name and message and
 * back, and the mapping from negative errno values to codes, so every
 * failure reaches a peer as one of the protocol's stable codes.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "proto.h"

/* One row of the error table. */
struct proto_err_row {
	int		 code;
	const char	*name;
	const char	*message;
};

static const struct proto_err_row proto_err_rows[] = {
#define PROTO_ERR_ROW(e, code, name, msg)	{ (code), (name), (msg) },
	PROTO_ERRORS(PROTO_ERR_ROW)
#undef PROTO_ERR_ROW
};

/* The row of a code, or NULL. */
static const struct proto_err_row *
proto_err_row(int code)
{
	size_t i;

	for (i = 0; i < sizeof proto_err_rows / sizeof proto_err_rows[0]; i++)
		if (proto_err_rows[i].code == code)
			return (&proto_err_rows[i]);
	return (NULL);
}

/* The default human message of a code. */
const char *
proto_strerror(int code)
{
	const struct proto_err_row *r;

	r = proto_err_row(code);
	return (r != NULL ? r->message : "unknown error");
}

/* The stable name of a code. */
const char *
proto_err_name(int code)
{
	const struct proto_err_row *r;

	r = proto_err_row(code);
	return (r != NULL ? r->name : "unknown_error");
}

/* The code of a name, or 0. */
int
proto_err_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof proto_err_rows / sizeof proto_err_rows[0]; i++)
		if (strcmp(proto_err_rows[i].name, name) == 0)
			return (proto_err_rows[i].code);
	return (0);
}

/* The code that best carries a negative errno to a peer. */
int
proto_err_from_errno(int err)
{
	switch (err) {
	case -ETIMEDOUT:
		return (PROTO_E_TIMEOUT);
	case -ENOENT:
		return (PROTO_E_NOTFOUND);
	case -EEXIST:
		return (PROTO_E_CONFLICT);
	case -EMSGSIZE:
	case -E2BIG:
		return (PROTO_E_TOOLARGE);
	case -EBUSY:
	case -EAGAIN:
		return (PROTO_E_BUSY);
	case -ECANCELED:
		return (PROTO_E_CANCELLED);
	case -EACCES:
	case -EPERM:
		return (PROTO_E_FORBIDDEN);
	case -EINVAL:
		return (PROTO_E_PARAMS);
	default:
		return (PROTO_E_INTERNAL);
	}
}
