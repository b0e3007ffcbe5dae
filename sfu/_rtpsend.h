/* What the parts of sfu._rtpsend share: libsrtp's protect function, the packet buffer,
 * the result codes, and the Route type (sfu/_routes.c) and the Ingress type (sfu/_ingress.c)
 * that the module (sfu/_rtpsend.c) exports. See sfu/_rtpsend.c for the why. */
#ifndef KAMAR_RTPSEND_H
#define KAMAR_RTPSEND_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

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
/* srtp_unprotect has the same signature; the packet shrinks by the trailer (sfu/_ingress.c). */
extern protect_function unprotect;
extern unsigned char packet_buffer[BUFFER_SIZE];

/* 0 when `address` is what pack_address makes (bytes of a sockaddr_in or sockaddr_in6);
 * otherwise -1 with a Python exception set. */
static inline int
check_address(PyObject *address)
{
    if (!PyBytes_Check(address)) {
        PyErr_SetString(PyExc_TypeError, "address must be bytes from pack_address()");
        return -1;
    }
    Py_ssize_t size = PyBytes_GET_SIZE(address);
    if (size != sizeof(struct sockaddr_in) && size != sizeof(struct sockaddr_in6)) {
        PyErr_SetString(PyExc_ValueError, "address must come from pack_address()");
        return -1;
    }
    return 0;
}

/* Protect the first `length` bytes of packet_buffer with `session` and send them to `address`
 * (bytes from pack_address) on the non-blocking socket `fd`. A full kernel queue (EAGAIN,
 * ENOBUFS) is CONGESTED: the packet is dropped, never queued. */
static inline int
protect_and_send_buffer(void *session, int length, int fd, PyObject *address)
{
    if (protect(session, packet_buffer, &length) != 0)
        return FAILED;
    if (sendto(fd, packet_buffer, (size_t)length, MSG_DONTWAIT,
               (const struct sockaddr *)PyBytes_AS_STRING(address),
               (socklen_t)PyBytes_GET_SIZE(address)) >= 0)
        return SENT;
    return (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) ? CONGESTED : FAILED;
}

/* Where an RTP packet's header extension elements lie (RFC 3550 5.3.1): EXTENSION_FOUND with
 * the profile and the elements' [start, end), EXTENSION_NONE without the X bit, or one of the
 * two faults. The walk over the elements (RFC 8285) is the caller's. */
enum { EXTENSION_FOUND, EXTENSION_NONE, EXTENSION_TRUNCATED, EXTENSION_TOO_LONG };

static inline int
extension_elements(const unsigned char *packet, Py_ssize_t length, unsigned int *profile,
                   Py_ssize_t *start, Py_ssize_t *end)
{
    if (length < 1 || !(packet[0] & 0x10))
        return EXTENSION_NONE;
    Py_ssize_t at = 12 + 4 * (packet[0] & 0x0F);
    if (length < at + 4)
        return EXTENSION_TRUNCATED;
    *profile = ((unsigned int)packet[at] << 8) | packet[at + 1];
    *end = at + 4 + 4 * (((Py_ssize_t)packet[at + 2] << 8) | packet[at + 3]);
    if (*end > length)
        return EXTENSION_TOO_LONG;
    *start = at + 4;
    return EXTENSION_FOUND;
}

extern PyTypeObject RouteType;
/* Called once by the module's init: the key of RTP's component in aioice's `_nominated`. */
int routes_ready(void);
PyObject *fan_out(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

/* sfu/_header_ids.c */
PyObject *rewrite_extension_ids(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

extern PyTypeObject IngressType;
/* Called once by the module's init. */
int ingress_ready(void);

#endif
