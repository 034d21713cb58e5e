/*
 * Roles: what a client may do, each including the ones below it (but
 * relay, which allows a relay link and nothing else). This
 * is their one definition. proto/ gives them their meaning, the least
 * role of each method (methods.c); the overlay's key store records a
 * key's role with these numbers and writes these names in the keys file,
 * which is why this header stands alone (no jansson, no other header of
 * proto/) and overlay/ may include it. The numbers and names are stored
 * and go on the wire: never change or reuse one.
 */
#ifndef PIER_PROTO_ROLE_H
#define PIER_PROTO_ROLE_H

#include <errno.h>
#include <string.h>

/* X(NAME, number, name in keys files and replies), least first. */
#define PROTO_ROLES(X)							\
	X(VIEWER, 1, "viewer")		/* reads */		\
	X(OPERATOR, 2, "operator")	/* lifecycle, shells */	\
	X(ADMIN, 3, "admin")		/* everything */	\
	X(RELAY, 4, "relay")		/* a relay link only */

/* A role; 0 is none. */
enum proto_role {
#define PROTO_ROLE_ENUM(name, n, text) PROTO_ROLE_##name = (n),
	PROTO_ROLES(PROTO_ROLE_ENUM)
#undef PROTO_ROLE_ENUM
};

/*
 * Whether a key of role may do what needs role need. Relay stands apart
 * from the ladder: a relay key may call the relay methods and nothing
 * else, and no other key may call those.
 */
static inline int
proto_role_allows(int role, int need)
{
	if (need == PROTO_ROLE_RELAY || role == PROTO_ROLE_RELAY)
		return (role == need);
	return (role >= need);
}

/* A role's name ("viewer"), or "none". */
static inline const char *
proto_role_name(int role)
{
	switch (role) {
#define PROTO_ROLE_CASE(name, n, text) case (n): return (text);
	PROTO_ROLES(PROTO_ROLE_CASE)
#undef PROTO_ROLE_CASE
	}
	return ("none");
}

/* Parses a role name into *role; -EINVAL if it is none. */
static inline int
proto_role_parse(const char *s, enum proto_role *role)
{
#define PROTO_ROLE_CMP(name, n, text)					\
	if (strcmp(s, (text)) == 0) {					\
		*role = PROTO_ROLE_##name;				\
		return (0);						\
	}
	PROTO_ROLES(PROTO_ROLE_CMP)
#undef PROTO_ROLE_CMP
	return (-EINVAL);
}

#endif
