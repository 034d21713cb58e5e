/* Records, channels and connections. */
#ifndef PIER_OVL_NET_H
#define PIER_OVL_NET_H
#endif
