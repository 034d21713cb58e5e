/*
 * The error codes of the protocol, in one table. Every error reply on
 * channel 0 carries {code, message, data: {name, ...}}: the code is what
 * programs switch on, the name is the same thing spelt for people and
 * logs, the message is the human detail of this one failure.
 *
 * enum proto_err is the only error domain that crosses the wire; it is
 * never an errno nor a Docker code. A Docker code becomes one in node/
 * (cmd_err_from_dk); proto_err_from_errno is the general map for errno.
 * The client keeps its own failures (no reply came) apart from these.
 *
 * Numbers are stable: a code once released is never renumbered and never
 * reused. A code that is no longer sent stays in the table, renamed
 * RETIRED_<number> with the name "retired_<number>", so nobody hands its
 * number out again. Add new codes at the end of their range.
 *
 * Ranges: -32768..-32000 belong to JSON-RPC 2.0 (we use its five standard
 * codes); ours are positive, grouped by what failed:
 *	1000-1999	who may do what (roles, key management)
 *	2000-2999	the object named (containers, images, sessions, ...)
 *	3000-3999	the Docker engine and the host
 *	4000-4999	limits, time and cancellation
 *	5000-5999	streams and the protocol itself
 */
#ifndef PIER_PROTO_ERRORS_H
#define PIER_PROTO_ERRORS_H

/* X(ENUM, code, "name", "default message") for every code. */
#define PROTO_ERRORS(X)							\
	/* JSON-RPC 2.0 */						\
	X(PARSE,	-32700, "parse_error",				\
	    "the message is not valid JSON")				\
	X(INVALID,	-32600, "invalid_request",			\
	    "the message is not a valid JSON-RPC 2.0 request")		\
	X(NOMETHOD,	-32601, "method_not_found",			\
	    "no such method")						\
	X(PARAMS,	-32602, "invalid_params",			\
	    "invalid parameters")					\
	X(INTERNAL,	-32603, "internal_error",			\
	    "internal error")						\
	/* 1000-1999: roles and keys */					\
	X(FORBIDDEN,	1000, "forbidden",				\
	    "the access key's role does not allow this")		\
	X(KEYMGMT,	1001, "key_management_refused",			\
	    "this change to the access keys is not allowed")		\
	/* 2000-2999: the object named */				\
	X(NOTFOUND,	2000, "not_found",				\
	    "no such object")						\
	X(CONFLICT,	2001, "conflict",				\
	    "the object is in use or already exists")			\
	X(AMBIGUOUS,	2002, "ambiguous_name",				\
	    "the name or id prefix matches more than one object")	\
	X(STATE,	2003, "wrong_state",				\
	    "the object is not in a state that allows this")		\
	X(NOSHELL,	2004, "no_shell",				\
	    "the container has no usable shell")			\
	/* 3000-3999: Docker and the host */				\
	X(DOCKER_DOWN,	3000, "docker_unavailable",			\
	    "the Docker engine does not answer")			\
	X(DOCKER,	3001, "docker_error",				\
	    "the Docker engine refused the request")			\
	X(NO_CLI,	3002, "no_docker_cli",				\
	    "the host has no docker command line client")		\
	X(HOST,		3003, "host_error",				\
	    "a system call on the node failed")				\
	/* 4000-4999: limits, time, cancellation */			\
	X(TIMEOUT,	4000, "timeout",				\
	    "the operation timed out")					\
	X(TOOLARGE,	4001, "too_large",				\
	    "the message or result is larger than allowed")		\
	X(BUSY,		4002, "busy",					\
	    "a limit is reached; try again later")			\
	X(CANCELLED,	4003, "cancelled",				\
	    "the operation was cancelled")				\
	X(UNREACHABLE,	4004, "unreachable",				\
	    "the address did not answer as the node would")		\
	/* 5000-5999: streams and the protocol */			\
	X(CHANNEL,	5000, "bad_channel",				\
	    "the stream channel is not open or already in use")	\
	X(VERSION,	5001, "unsupported_version",			\
	    "the peer speaks a protocol version this side lacks")

/* Every error code of the protocol (PROTO_E_PARSE is -32700, ...). */
enum proto_err {
#define PROTO_ERR_ENUM(e, code, name, msg)	PROTO_E_##e = (code),
	PROTO_ERRORS(PROTO_ERR_ENUM)
#undef PROTO_ERR_ENUM
};

/* The default human message of a code; "unknown error" if none. */
const char *proto_strerror(int code);
/* The stable name of a code ("not_found"); "unknown_error" if none. */
const char *proto_err_name(int code);
/* The code of a name, or 0 if the name is none of ours. */
int proto_err_from_name(const char *name);
/*
 * The code that best carries a negative errno (or UV_E*) to a peer:
 * -ETIMEDOUT timeout, -ENOENT not found, -EEXIST conflict, -EMSGSIZE and
 * -E2BIG too large, -EBUSY and -EAGAIN busy, -ECANCELED cancelled,
 * -EACCES and -EPERM forbidden, -EINVAL invalid params; anything else
 * internal error.
 */
int proto_err_from_errno(int err);

#endif
