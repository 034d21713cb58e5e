/* Identities, access keys, join keys and the handshake. */
#ifndef PIER_OVL_ID_H
#define PIER_OVL_ID_H
#endif
