/* The last step of the SFU's hot path in C: protect one RTP packet with a subscriber's SRTP
 * session and send it on that subscriber's UDP socket, in one call from Python.
 *
 * Done in Python this step costs a cffi call into libsrtp, a slice of the protected buffer into
 * a new bytes object and uvloop's sendto (which checks and converts the address every time):
 * together about as much user time as libsrtp's encryption itself. Here it is a memcpy, the
 * libsrtp call and sendto(2).
 *
 * libsrtp is not linked in: aiortc already loads it (pylibsrtp's cffi binding), and
 * sfu/native.py hands us the address of its srtp_protect once (`use_protect`), so both sides
 * use the same library and the same session objects. Everything runs with the GIL held, so one
 * static buffer serves every call.
 *
 * `fan_out` goes one step further for the common case, a consumer that simply forwards: a
 * `Route` holds what its consumer would do to each packet (SSRC, payload type, sequence,
 * timestamp and VP8 picture offsets; RFC 3550 5.1, RFC 7741 4.2) and where it goes, and one
 * call per incoming packet rewrites, protects and sends it for every route of the stream. The
 * consumer (sfu/consumer.py) hands its state to a route while nothing changes and takes it
 * back (`last_*`, counters) before anything does: a pause, a layer switch, a full queue.
 */
#include "_rtpsend.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

protect_function protect = NULL;
unsigned char packet_buffer[BUFFER_SIZE];

/* The libsrtp function at `address` (an int from pylibsrtp's binding), or NULL with an
 * exception set. */
static protect_function
function_at(PyObject *address, const char *name)
{
    void *function = PyLong_AsVoidPtr(address);
    if (function == NULL && !PyErr_Occurred())
        PyErr_Format(PyExc_ValueError, "%s's address is NULL", name);
    return (protect_function)function;
}

static PyObject *
use_protect(PyObject *module, PyObject *address)
{
    (void)module;
    protect_function function = function_at(address, "srtp_protect");
    if (function == NULL)
        return NULL;
    protect = function;
    Py_RETURN_NONE;
}

static PyObject *
use_unprotect(PyObject *module, PyObject *address)
{
    (void)module;
    protect_function function = function_at(address, "srtp_unprotect");
    if (function == NULL)
        return NULL;
    unprotect = function;
    Py_RETURN_NONE;
}

/* pack_address(host, port) -> bytes: the struct sockaddr that sendto(2) takes, built once per
 * candidate pair instead of once per packet. Numeric addresses only (ICE gives no names). */
static PyObject *
pack_address(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "pack_address(host, port) takes two arguments");
        return NULL;
    }
    const char *host = PyUnicode_AsUTF8(args[0]);
    if (host == NULL)
        return NULL;
    long port = PyLong_AsLong(args[1]);
    if (port == -1 && PyErr_Occurred())
        return NULL;
    if (port < 0 || port > 65535) {
        PyErr_Format(PyExc_ValueError, "port %ld is not between 0 and 65535", port);
        return NULL;
    }
    struct sockaddr_in v4;
    memset(&v4, 0, sizeof v4);
    if (inet_pton(AF_INET, host, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons((unsigned short)port);
        return PyBytes_FromStringAndSize((const char *)&v4, sizeof v4);
    }
    struct sockaddr_in6 v6;
    memset(&v6, 0, sizeof v6);
    if (inet_pton(AF_INET6, host, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons((unsigned short)port);
        return PyBytes_FromStringAndSize((const char *)&v6, sizeof v6);
    }
    PyErr_Format(PyExc_ValueError, "%R is not a numeric IPv4 or IPv6 address", args[0]);
    return NULL;
}

/* protect_and_send(session, fd, address, packet) -> SENT | CONGESTED | FAILED
 *
 * session: srtp_t as an int (the session object must outlive the call: the caller keeps it);
 * fd: a non-blocking UDP socket; address: from pack_address; packet: a plain RTP packet (any
 * buffer), copied at once, so the caller may rewrite it for the next subscriber.
 * CONGESTED: the kernel's send queue is full (EAGAIN, ENOBUFS), the packet is dropped rather
 * than queued, as the hot path wants (drop video to the next key frame, never block).
 * FAILED: too large, libsrtp refused (e.g. an index it already used), or another send error
 * such as ECONNREFUSED from a subscriber that went away. */
static PyObject *
protect_and_send(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError,
                        "protect_and_send(session, fd, address, packet) takes four arguments");
        return NULL;
    }
    if (protect == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "use_protect() was not called");
        return NULL;
    }
    void *session = PyLong_AsVoidPtr(args[0]);
    if (session == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "no SRTP session");
        return NULL;
    }
    long fd = PyLong_AsLong(args[1]);
    if (fd == -1 && PyErr_Occurred())
        return NULL;
    if (fd < 0 || fd > INT_MAX) {
        PyErr_Format(PyExc_ValueError, "%ld is not a file descriptor", fd);
        return NULL;
    }
    if (check_address(args[2]) < 0)
        return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(args[3], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    if (view.len < 12 || view.len > BUFFER_SIZE - TRAILER_ROOM) {
        PyBuffer_Release(&view);
        return PyLong_FromLong(FAILED);
    }
    memcpy(packet_buffer, view.buf, (size_t)view.len);
    int length = (int)view.len;
    PyBuffer_Release(&view);
    return PyLong_FromLong(protect_and_send_buffer(session, length, (int)fd, args[2]));
}

static PyMethodDef methods[] = {
    {"use_protect", use_protect, METH_O,
     "use_protect(address): the address of libsrtp's srtp_protect, as an int"},
    {"use_unprotect", use_unprotect, METH_O,
     "use_unprotect(address): the address of libsrtp's srtp_unprotect, as an int"},
    {"pack_address", (PyCFunction)(void (*)(void))pack_address, METH_FASTCALL,
     "pack_address(host, port) -> bytes: a struct sockaddr for protect_and_send"},
    {"protect_and_send", (PyCFunction)(void (*)(void))protect_and_send, METH_FASTCALL,
     "protect_and_send(session, fd, address, packet) -> SENT, CONGESTED or FAILED"},
    {"fan_out", (PyCFunction)(void (*)(void))fan_out, METH_FASTCALL,
     "fan_out(routes, packet, marker, seq, timestamp, picture_id_at, picture_id_bits, "
     "picture_id, tl0_at, tl0) -> None or [(route, code), ...] of the routes that did not send"},
    {"rewrite_extension_ids", (PyCFunction)(void (*)(void))rewrite_extension_ids, METH_FASTCALL,
     "rewrite_extension_ids(buf, id_map[, stamp_id, stamp]): sfu.rtp.rewrite_extension_ids, in C"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_definition = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "sfu._rtpsend",
    .m_doc = "Protect and send one RTP packet in C (see sfu/native.py).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__rtpsend(void)
{
    if (PyType_Ready(&RouteType) < 0)
        return NULL;
    if (PyType_Ready(&IngressType) < 0)
        return NULL;
    if (routes_ready() < 0 || ingress_ready() < 0)
        return NULL;
    PyObject *module = PyModule_Create(&module_definition);
    if (module == NULL)
        return NULL;
    Py_INCREF(&RouteType);
    if (PyModule_AddObject(module, "Route", (PyObject *)&RouteType) < 0) {
        Py_DECREF(&RouteType);
        Py_DECREF(module);
        return NULL;
    }
    Py_INCREF(&IngressType);
    if (PyModule_AddObject(module, "Ingress", (PyObject *)&IngressType) < 0) {
        Py_DECREF(&IngressType);
        Py_DECREF(module);
        return NULL;
    }
    if (PyModule_AddIntConstant(module, "SENT", SENT) < 0 ||
        PyModule_AddIntConstant(module, "CONGESTED", CONGESTED) < 0 ||
        PyModule_AddIntConstant(module, "FAILED", FAILED) < 0 ||
        PyModule_AddIntConstant(module, "STALE", STALE) < 0 ||
        PyModule_AddIntConstant(module, "MAX_PACKET", BUFFER_SIZE - TRAILER_ROOM) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
