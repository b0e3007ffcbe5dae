/* What the two halves of sfu._rtpsend share: libsrtp's protect function, the packet buffer,
 * the result codes, and the Route type (sfu/_routes.c) that the module (sfu/_rtpsend.c)
 * exports. See sfu/_rtpsend.c for the why. */
#ifndef KAMAR_RTPSEND_H
#define KAMAR_RTPSEND_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* libsrtp 2.x: srtp_err_status_t srtp_protect(srtp_t ctx, void *rtp_hdr, int *len_ptr);
 * the packet is encrypted in place and grows by the authentication tag (and MKI). */
typedef int (*protect_function)(void *session, void *packet, int *length);

/* SRTP_MAX_TRAILER_LEN of libsrtp 2: a 16-byte tag and up to 128 bytes of MKI. */
#define TRAILER_ROOM 144
/* A UDP datagram on any path the SFU uses stays below the Ethernet MTU; room to spare. */
#define BUFFER_SIZE 2048

/* What protect_and_send returns (module constants of the same names). */
enum { SENT = 0, CONGESTED = 1, FAILED = 2, STALE = 3 };

extern protect_function protect;
extern unsigned char packet_buffer[BUFFER_SIZE];

extern PyTypeObject RouteType;
/* Called once by the module's init: the key of RTP's component in aioice's `_nominated`. */
int routes_ready(void);
PyObject *fan_out(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

#endif
