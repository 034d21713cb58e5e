/*
 * proto/: the application protocol shared by the node and the `pier`
 * client: JSON-RPC 2.0 framing and messages on channel 0, the catalogue
 * of methods with their roles and strict parameter schemas, the error
 * codes, and the framing of stream channels. It knows nothing of sockets
 * or Docker: the caller feeds it bytes and sends what it returns. Other
 * folders include this header and nothing else of proto/, except that
 * overlay/, which proto/ does not link, includes role.h alone for the
 * roles its key store records.
 *
 * Two error domains, kept apart by function: framing and allocation
 * return 0 or a negative errno (-EMSGSIZE, -EPROTO, -ENOMEM), which end
 * the channel; message-level checks return 0 or an enum proto_err code
 * (errors.h), which become an error reply and the channel goes on.
 *
 * jansson: functions returning json_t * return a new reference; those
 * taking a json_t * they keep say "steals"; the rest borrow.
 *
 * The node's side of channel 0, in short:
 *	proto_dec_feed(&dec, bytes, n, on_msg, conn)	< 0: close
 *	on_msg: rc = proto_msg_parse(&m, body, len, 0, &cause)
 *		rc != 0: send proto_error_new(m.id, rc, cause, NULL)
 *		a request or notification:
 *		    rc = proto_request_check(&m, role, &method, &reply)
 *		    rc != 0: send reply if not NULL (audit if mutating)
 *		    else run the handler, which answers later with
 *		    proto_result_new or proto_error_new (m.id kept with
 *		    json_incref until then)
 *		proto_msg_clear(&m)
 *	sending: proto_encode(reply, 0, &buf, &len), then write buf.
 */
#ifndef PIER_PROTO_H
#define PIER_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "errors.h"
#include "role.h"
#include "wire.h"

#ifndef WARN_UNUSED_RESULT
#define WARN_UNUSED_RESULT __attribute__((warn_unused_result))
#endif

/* rpc.c */

/* Receives one message body from the decoder; non-zero stops the feed. */
typedef int (*proto_msg_cb)(void *arg, const char *body, size_t len);

/* The incremental decoder of channel 0; fields are private to rpc.c. */
struct proto_dec {
	size_t		 max;		/* largest body accepted */
	uint8_t		 hdr[PROTO_MSG_HDR];
	size_t		 hlen;		/* header bytes held */
	size_t		 want;		/* announced body length */
	char		*buf;		/* body so far (owned) */
	size_t		 len;		/* body bytes held */
	size_t		 cap;		/* bytes allocated at buf */
};

/* What kind of JSON-RPC message proto_msg_parse found. */
enum proto_kind {
	PROTO_REQUEST = 1,		/* method and id: wants a reply */
	PROTO_NOTIFY,			/* method, no id: never answered */
	PROTO_RESULT,			/* id and result */
	PROTO_ERROR,			/* id (maybe null) and error */
};

/* A parsed message. Everything but root is borrowed from root. */
struct proto_msg {
	enum proto_kind	 kind;
	json_t		*root;		/* owned: the whole message */
	json_t		*id;		/* integer or string; NULL if none */
	const char	*method;	/* requests and notifications */
	json_t		*params;	/* an object, or NULL if absent */
	json_t		*result;	/* results */
	int		 code;		/* errors: the code */
	const char	*message;	/* errors: the human message */
	json_t		*data;		/* errors: data, or NULL */
};

/* Sets up a decoder taking bodies of at most max bytes (0: the default). */
void proto_dec_init(struct proto_dec *d, size_t max);
/* Frees what the decoder holds; it may be initialised again. */
void proto_dec_free(struct proto_dec *d);
/*
 * Feeds len bytes of channel 0, split anywhere. Calls cb once per whole
 * message in order, with a body valid only during the call; a non-zero
 * return from cb stops the feed (the rest of data is not read) and is
 * returned, and cb must return non-zero if it freed the decoder.
 * -EMSGSIZE if a length exceeds the maximum (checked before buffering),
 * -ENOMEM; both are fatal for the channel.
 */
int proto_dec_feed(struct proto_dec *d, const void *data, size_t len,
    proto_msg_cb cb, void *arg) WARN_UNUSED_RESULT;
/* Tells whether the decoder holds part of a message. */
int proto_dec_pending(const struct proto_dec *d);
/*
 * Frames a message as channel 0 bytes: *out (caller frees) gets the
 * 4-byte length and compact JSON. -EMSGSIZE if the body exceeds max
 * (0: the default), -EINVAL if msg cannot be encoded, -ENOMEM.
 */
int proto_encode(const json_t *msg, size_t max, char **out, size_t *outlen)
    WARN_UNUSED_RESULT;
/*
 * Dumps v as compact JSON in one pass into *out (caller frees), after
 * head bytes left for the caller and with room for one byte more at
 * the end; *outlen counts head and the JSON. -EMSGSIZE when the JSON
 * exceeds max, -EINVAL if v cannot be encoded, -ENOMEM.
 */
int proto_dump(const json_t *v, size_t head, size_t max, char **out,
    size_t *outlen) WARN_UNUSED_RESULT;
/*
 * Checks that body nests arrays and objects at most max deep, scanning
 * outside strings, before any parser sees it. 0 or PROTO_E_PARSE.
 */
int proto_depth_check(const char *body, size_t len, int max)
    WARN_UNUSED_RESULT;
/*
 * Parses and validates one body (depth checked first, duplicate keys
 * refused). Returns 0 or PROTO_E_PARSE, PROTO_E_INVALID (PROTO_E_PARAMS
 * for positional params) with *cause
 * (caller frees); m->id is set whenever the id could be read, so the
 * error reply can carry it. Call proto_msg_clear afterwards either way.
 */
int proto_msg_parse(struct proto_msg *m, const char *body, size_t len,
    int depth_max, char **cause) WARN_UNUSED_RESULT;
/* Releases what a parse left in m. */
void proto_msg_clear(struct proto_msg *m);
/* A request {jsonrpc, id, method, params}; steals params (may be NULL). */
json_t *proto_request_new(json_int_t id, const char *method, json_t *params);
/* A notification {jsonrpc, method, params}; steals params (may be NULL). */
json_t *proto_notify_new(const char *method, json_t *params);
/* A result reply to id; steals result (NULL means {}). */
json_t *proto_result_new(const json_t *id, json_t *result);
/*
 * An error reply to id (NULL: null). message NULL takes the code's
 * default; data (stolen, an object or NULL) gains "name".
 */
json_t *proto_error_new(const json_t *id, int code, const char *message,
    json_t *data);
/* proto_error_new with a printf-style message and no extra data. */
json_t *proto_errorf(const json_t *id, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Returns a malloc'd printf-style string; aborts if memory runs out. */
char *proto_xasprintf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* params.c */

/* The JSON type of a parameter. */
enum proto_type {
	PROTO_T_STRING = 1,		/* bytes bounded by min..max */
	PROTO_T_INT,			/* integer in min..max */
	PROTO_T_NUMBER,			/* integer or real in min..max */
	PROTO_T_BOOL,			/* true or false */
	PROTO_T_OBJECT,			/* an object checked against fields */
	PROTO_T_STRINGS,		/* array of max strings of max_len */
	PROTO_T_MAP,			/* object of max string values */
	PROTO_T_OBJECTS,		/* array of max objects (fields) */
};

/* The field must be present. */
#define PROTO_REQUIRED	0x1

/*
 * One parameter of a method. A schema is an array of fields ended by one
 * with a NULL name. Bounds by type: STRING min..max bytes (and choices,
 * if set, a NULL-ended list of the allowed values); INT and NUMBER the
 * value; STRINGS, MAP and OBJECTS min..max items, each string (map keys
 * too) at most max_len bytes. A top-level field with choices may give
 * choice_roles, the least role (enum proto_role) each choice needs,
 * which the dispatcher enforces like the method's own role.
 */
struct proto_field {
	const char			*name;
	enum proto_type			 type;
	unsigned			 flags;	/* PROTO_REQUIRED */
	long long			 min;
	long long			 max;
	size_t				 max_len;
	const char *const		*choices;
	const int			*choice_roles; /* per choice */
	const struct proto_field	*fields; /* OBJECT, OBJECTS */
	const char			*doc;	/* one line, for the docs */
};

/*
 * Checks params (an object, or NULL for none) against a schema: unknown
 * keys, missing required fields, wrong types and bounds are refused.
 * Returns 0 or PROTO_E_PARAMS with *cause naming the field, as in
 * "params.timeout: expected an integer between 0 and 3600".
 */
int proto_params_check(const struct proto_field *fields,
    const json_t *params, char **cause) WARN_UNUSED_RESULT;
/* Writes what a field accepts ("an integer between 0 and 3600"); length. */
int proto_field_describe(const struct proto_field *f, char *buf,
    size_t size);
/* The name of a type as the docs write it ("array of strings"). */
const char *proto_type_name(enum proto_type type);
/* The field called name in a schema, or NULL. */
const struct proto_field *proto_field_find(const struct proto_field *fields,
    const char *name);
/* A checked string parameter, or def if absent. */
const char *proto_param_str(const json_t *params, const char *name,
    const char *def);
/* A checked integer parameter, or def if absent. */
long long proto_param_int(const json_t *params, const char *name,
    long long def);
/* A checked number parameter, or def if absent. */
double proto_param_num(const json_t *params, const char *name, double def);
/* A checked boolean parameter (0 or 1), or def if absent. */
int proto_param_bool(const json_t *params, const char *name, int def);

/* methods.c */

/* Method flags. */
#define PROTO_READONLY		0x01	/* changes nothing */
#define PROTO_MUTATING		0x02	/* audited: changes or gives a shell */
#define PROTO_STREAM		0x04	/* uses the stream channel "channel" */
#define PROTO_NEEDS_DOCKER	0x08	/* fails with docker_unavailable */

/* One method of the catalogue. */
struct proto_method {
	const char			*name;	/* "container.start" */
	const char			*summary; /* one line */
	enum proto_role			 role;	/* least role */
	const struct proto_field	*params; /* the schema */
	unsigned			 flags;	/* PROTO_* above */
	enum proto_stream		 stream; /* what "channel" carries */
	const char			*result; /* one line */
};

/* Every method, sorted by name. */
extern const struct proto_method proto_methods[];
/* The number of entries in proto_methods. */
extern const size_t proto_nmethods;

/* The method called name (binary search), or NULL. */
const struct proto_method *proto_method_find(const char *name);
/*
 * Everything the dispatcher checks before a handler runs, in order: the
 * method exists, role is enough, the params fit the schema, role is
 * enough for the choices made (choice_roles). Returns 0 and
 * sets *mp, or the error code and, for a request, sets *reply to the
 * whole error reply (a notification gets no reply: *reply stays NULL).
 */
int proto_request_check(const struct proto_msg *m, enum proto_role role,
    const struct proto_method **mp, json_t **reply) WARN_UNUSED_RESULT;

/* stream.c */

/*
 * Receives a frame of a framed stream: payload types (1-15) in pieces as
 * they arrive (never empty), control types (16-31) whole (maybe empty).
 * Non-zero stops the feed and is returned.
 */
typedef int (*proto_frame_cb)(void *arg, enum proto_frame type,
    const uint8_t *data, size_t len);

/* The incremental decoder of a framed stream; fields private. */
struct proto_fdec {
	uint8_t		 hdr[PROTO_FRAME_HDR];
	size_t		 hlen;		/* header bytes held */
	unsigned	 type;		/* of the frame being read */
	uint32_t	 left;		/* its payload bytes still to come */
	size_t		 clen;		/* control payload bytes held */
	uint8_t		 ctl[PROTO_FRAME_CTL_MAX];
};

/* The incremental decoder of a JSON-lines stream; fields private. */
struct proto_ldec {
	size_t		 max;		/* longest line, newline included */
	char		*buf;		/* partial line (owned) */
	size_t		 len;
	size_t		 cap;
};

/* Writes the 5-byte header of a frame of len payload bytes. */
void proto_frame_hdr(uint8_t hdr[static PROTO_FRAME_HDR],
    enum proto_frame type, uint32_t len);
/* Writes the 4-byte payload of a RESIZE frame. */
void proto_frame_resize(uint8_t out[static 4], unsigned rows,
    unsigned cols);
/* Reads a RESIZE payload; -EPROTO if it is not 4 bytes or a size is 0. */
int proto_frame_resize_parse(const uint8_t *p, size_t len, unsigned *rows,
    unsigned *cols) WARN_UNUSED_RESULT;
/* Writes the 4-byte payload of an EXIT frame. */
void proto_frame_exit(uint8_t out[static 4], int32_t code);
/* Reads an EXIT payload; -EPROTO if it is not 4 bytes. */
int proto_frame_exit_parse(const uint8_t *p, size_t len, int32_t *code)
    WARN_UNUSED_RESULT;
/* Sets up a frame decoder (it holds no heap memory). */
void proto_fdec_init(struct proto_fdec *d);
/*
 * Feeds framed-stream bytes, split anywhere. -EPROTO for an unknown
 * type, -EMSGSIZE for a frame over PROTO_FRAME_MAX (a control frame over
 * PROTO_FRAME_CTL_MAX); both break the stream: close the channel.
 */
int proto_fdec_feed(struct proto_fdec *d, const void *data, size_t len,
    proto_frame_cb cb, void *arg) WARN_UNUSED_RESULT;
/* Sets up a line decoder for lines of at most max bytes (0: default). */
void proto_ldec_init(struct proto_ldec *d, size_t max);
/* Frees what a line decoder holds. */
void proto_ldec_free(struct proto_ldec *d);
/*
 * Feeds JSON-lines bytes, split anywhere; cb gets each line without its
 * newline. -EMSGSIZE for a line over the maximum, -ENOMEM.
 */
int proto_ldec_feed(struct proto_ldec *d, const void *data, size_t len,
    proto_msg_cb cb, void *arg) WARN_UNUSED_RESULT;
/* Encodes v as one line (compact JSON, newline); -EMSGSIZE, -ENOMEM. */
int proto_line_encode(const json_t *v, char **out, size_t *outlen)
    WARN_UNUSED_RESULT;

/* doc.c */

/* The generated method reference of docs/PROTOCOL.md (caller frees). */
char *proto_doc_methods(void);
/* Plain-text help for one method, for the client (caller frees). */
char *proto_doc_method_help(const struct proto_method *m);
/* The generated error table of docs/PROTOCOL.md (caller frees). */
char *proto_doc_errors(void);
/*
 * Finds the text between "<!-- begin generated: TAG -->\n" and
 * "<!-- end generated: TAG -->" in doc. Sets *start and *len; -ENOENT if
 * the markers are missing or out of order.
 */
int proto_doc_block(const char *doc, const char *tag, size_t *start,
    size_t *len) WARN_UNUSED_RESULT;

#endif
