/* Ingress: the first step of the SFU's hot path in C, from a publisher's socket to the SFU.
 *
 * In Python this step was a wrapper around aioice's `data_received` (sort the datagram,
 * unprotect it through pylibsrtp's cffi binding, slice the result into bytes) and, for a
 * publisher that asked for transport-wide congestion control, a walk over the RTP header
 * extensions (RFC 8285) to find the transport-wide sequence number and note its arrival.
 * With one incoming packet every 8 ms, each of those steps runs on cold caches: taking the
 * arrival notes out of Python alone saved 1.6-2.0 µs per forwarded packet at ten subscribers
 * (docs/benchmarks.md). Here the datagram is checked, unprotected with libsrtp (the function
 * pylibsrtp loaded, handed over by `use_unprotect`), its arrival noted, and the plain packet
 * handed to Python once: to `handler`, or, once Python has registered the packet's SSRC in
 * `receivers`, straight to that stream's receive(packet, arrival).
 *
 * The arrivals wait here until Python takes them (`take_arrivals`), which it does when it
 * sends a feedback packet: `on_arrivals()` is called on the first arrival at or after
 * `call_at` (Python moves it on each time), and whenever the notes are full, so none is lost.
 * A test sets `now` to drive that clock itself (sfu/arrival_reports.py takes a clock too).
 */
#include "_rtpsend.h"

#include <stddef.h>
#include <structmember.h>
#include <time.h>

protect_function unprotect = NULL;

/* libsrtp's buffer limit on the Python side (pylibsrtp), kept for the same behaviour. */
#define LARGEST_DATAGRAM 1500
/* 100 ms of a 90 Mbit/s stream; a feedback goes out every 100 ms, or when these are full. */
#define ARRIVALS_HELD 1024

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *dtls;        /* aiortc's RTCDtlsTransport: its `_rx_srtp` once DTLS is done */
    PyObject *handler;     /* handler(packet) for every unprotected RTP packet */
    PyObject *fallback;    /* fallback(data, component): the path for everything else */
    PyObject *resolve;     /* resolve(session) -> int: the srtp_t inside a pylibsrtp Session */
    PyObject *on_arrivals; /* on_arrivals(): notes wait (`call_at` has passed, or full) */
    PyObject *session;     /* the Session `srtp` belongs to, kept alive while used */
    PyObject *receivers;   /* {ssrc: receive(packet, arrival)} that need no `handler` first */
    void *srtp;
    int transport_cc_id; /* the publisher's id of the transport-wide sequence; 0: none */
    double call_at;      /* time.monotonic() from which the next arrival calls on_arrivals */
    double now;          /* 0: packets arrive at CLOCK_MONOTONIC's time; else a test's clock */
    unsigned int media_ssrc; /* the SSRC of the last packet with a transport-wide number */
    unsigned long long rejected; /* packets libsrtp refused: not authentic, or replayed */
    int held;
    unsigned short sequences[ARRIVALS_HELD];
    long long arrival_us[ARRIVALS_HELD];
} Ingress;

static PyObject *rx_srtp_name;
static unsigned char plain[BUFFER_SIZE];

int
ingress_ready(void)
{
    rx_srtp_name = PyUnicode_InternFromString("_rx_srtp");
    return rx_srtp_name == NULL ? -1 : 0;
}

/* The transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01,
 * section 2) in the one-byte header extension element `id` (RFC 8285 4.2), or -1. */
static int
transport_sequence(const unsigned char *packet, int length, int id)
{
    unsigned int profile;
    Py_ssize_t at, end;
    if (extension_elements(packet, length, &profile, &at, &end) != EXTENSION_FOUND ||
        profile != 0xBEDE)
        return -1;
    while (at < end) {
        int byte = packet[at];
        if (byte == 0) { /* padding */
            at++;
            continue;
        }
        if (byte >> 4 == 15) /* RFC 8285 4.2: stop here */
            return -1;
        int size = (byte & 0x0F) + 1;
        if (byte >> 4 == id) {
            if (size != 2 || at + 1 + size > end)
                return -1;
            return (packet[at + 1] << 8) | packet[at + 2];
        }
        at += 1 + size;
    }
    return -1;
}

/* Follow the DTLS transport's receiving session, which is set once the handshake is done.
 * 0, with `srtp` NULL while there is none; -1 with an exception if `resolve` failed. */
static int
follow_session(Ingress *self)
{
    PyObject *session = PyObject_GetAttr(self->dtls, rx_srtp_name);
    if (session == NULL)
        return -1;
    if (session == self->session) {
        Py_DECREF(session);
        return 0;
    }
    void *srtp = NULL;
    if (session != Py_None) {
        PyObject *address = PyObject_CallOneArg(self->resolve, session);
        if (address == NULL) {
            Py_DECREF(session);
            return -1;
        }
        srtp = PyLong_AsVoidPtr(address);
        Py_DECREF(address);
        if (srtp == NULL) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "resolve() gave no srtp_t");
            Py_DECREF(session);
            return -1;
        }
    }
    Py_XSETREF(self->session, session);
    self->srtp = srtp;
    return 0;
}

/* `now`: the packet's arrival on the clock of Python's time.monotonic(). */
static void
note_arrival(Ingress *self, const unsigned char *packet, int length, unsigned int ssrc,
             const struct timespec *now)
{
    int sequence = transport_sequence(packet, length, self->transport_cc_id);
    if (sequence < 0)
        return;
    self->sequences[self->held] = (unsigned short)sequence;
    self->arrival_us[self->held] = (long long)now->tv_sec * 1000000 + now->tv_nsec / 1000;
    self->held++;
    self->media_ssrc = ssrc;
    double seconds = (double)now->tv_sec + (double)now->tv_nsec * 1e-9;
    if (seconds < self->call_at && self->held < ARRIVALS_HELD)
        return;
    PyObject *result = PyObject_CallNoArgs(self->on_arrivals);
    if (result == NULL)
        PyErr_WriteUnraisable(self->on_arrivals);
    else
        Py_DECREF(result);
    if (self->held == ARRIVALS_HELD)
        self->held = 0; /* on_arrivals failed to take them: the oldest reports are lost */
}

/* Hand the plain packet on: to its stream's receiver if one is registered, with its arrival
 * in seconds of time.monotonic(), else to `handler`. */
static int
hand_on(Ingress *self, PyObject *packet, unsigned int ssrc, const struct timespec *now)
{
    PyObject *receive = NULL;
    if (PyDict_GET_SIZE(self->receivers) > 0) {
        PyObject *key = PyLong_FromUnsignedLong(ssrc);
        if (key == NULL)
            return -1;
        receive = PyDict_GetItemWithError(self->receivers, key); /* borrowed */
        Py_DECREF(key);
        if (receive == NULL && PyErr_Occurred())
            return -1;
    }
    PyObject *result;
    if (receive != NULL) {
        PyObject *arrival = PyFloat_FromDouble((double)now->tv_sec + (double)now->tv_nsec * 1e-9);
        if (arrival == NULL)
            return -1;
        Py_INCREF(receive); /* the dict may change while it runs */
        PyObject *args[2] = {packet, arrival};
        result = PyObject_Vectorcall(receive, args, 2, NULL);
        Py_DECREF(receive);
        Py_DECREF(arrival);
    } else {
        result = PyObject_CallOneArg(self->handler, packet);
    }
    if (result == NULL)
        PyErr_WriteUnraisable(receive != NULL ? receive : self->handler); /* a bug: go on */
    else
        Py_DECREF(result);
    return 0;
}

static PyObject *
pass_on(Ingress *self, PyObject *const *args)
{
    return PyObject_Vectorcall(self->fallback, args, 2, NULL);
}

/* ingress(data, component): what aioice's Connection calls for every datagram that is not
 * STUN. RTP is unprotected and handed to its stream's receiver or to `handler`; RTCP, DTLS,
 * and RTP before the keys go to `fallback`. A packet libsrtp refuses is dropped, as aiortc
 * would drop it. */
static PyObject *
ingress_call(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Ingress *self = (Ingress *)callable;
    if (PyVectorcall_NARGS(nargsf) != 2 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "Ingress takes (data, component)");
        return NULL;
    }
    if (self->dtls == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "this Ingress was never made, or is gone");
        return NULL;
    }
    PyObject *data = args[0];
    if (!PyBytes_Check(data))
        return pass_on(self, args);
    const unsigned char *bytes = (const unsigned char *)PyBytes_AS_STRING(data);
    Py_ssize_t size = PyBytes_GET_SIZE(data);
    /* RFC 7983: 128..191 is RTP or RTCP; RFC 5761 section 4: RTCP types are 192..223. */
    if (size < 12 || bytes[0] < 128 || bytes[0] > 191 || (bytes[1] >= 192 && bytes[1] <= 223))
        return pass_on(self, args);
    if (follow_session(self) < 0)
        return NULL;
    if (self->srtp == NULL || unprotect == NULL)
        return pass_on(self, args);
    if (size > LARGEST_DATAGRAM)
        Py_RETURN_NONE; /* no valid packet is that large */
    memcpy(plain, bytes, (size_t)size);
    int length = (int)size;
    if (unprotect(self->srtp, plain, &length) != 0 || length < 12) {
        self->rejected++; /* not authentic, or a replay (RFC 3711 3.3) */
        Py_RETURN_NONE;
    }
    struct timespec now;
    if (self->now > 0.0) { /* a test's clock: one predictable branch per packet */
        now.tv_sec = (time_t)self->now;
        now.tv_nsec = (long)((self->now - (double)now.tv_sec) * 1e9);
    } else {
        clock_gettime(CLOCK_MONOTONIC, &now); /* the clock of Python's time.monotonic() */
    }
    unsigned int ssrc = ((unsigned int)plain[8] << 24) | ((unsigned int)plain[9] << 16) |
                        ((unsigned int)plain[10] << 8) | plain[11];
    if (self->transport_cc_id)
        note_arrival(self, plain, length, ssrc, &now);
    /* `plain` still holds this packet: on_arrivals only sends, and the event loop runs one
     * socket callback at a time, so no other Ingress ran meanwhile. */
    PyObject *packet = PyBytes_FromStringAndSize((const char *)plain, length);
    if (packet == NULL)
        return NULL;
    int handed = hand_on(self, packet, ssrc, &now);
    Py_DECREF(packet);
    if (handed < 0)
        return NULL;
    Py_RETURN_NONE;
}

static int
ingress_init(Ingress *self, PyObject *args, PyObject *kwargs)
{
    PyObject *dtls, *handler, *fallback, *resolve, *on_arrivals;
    static char *names[] = {"dtls", "handler", "fallback", "resolve", "on_arrivals", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOO:Ingress", names, &dtls, &handler,
                                     &fallback, &resolve, &on_arrivals))
        return -1;
    if (!PyCallable_Check(handler) || !PyCallable_Check(fallback) ||
        !PyCallable_Check(resolve) || !PyCallable_Check(on_arrivals)) {
        PyErr_SetString(PyExc_TypeError, "handler, fallback, resolve, on_arrivals: callables");
        return -1;
    }
    if (self->dtls != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "an Ingress is made once");
        return -1;
    }
    Py_INCREF(dtls);
    self->dtls = dtls;
    Py_INCREF(handler);
    self->handler = handler;
    Py_INCREF(fallback);
    self->fallback = fallback;
    Py_INCREF(resolve);
    self->resolve = resolve;
    Py_INCREF(on_arrivals);
    self->on_arrivals = on_arrivals;
    self->receivers = PyDict_New();
    return self->receivers == NULL ? -1 : 0;
}

static PyObject *
ingress_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    (void)args;
    (void)kwargs;
    Ingress *self = (Ingress *)type->tp_alloc(type, 0);
    if (self != NULL)
        self->vectorcall = ingress_call;
    return (PyObject *)self;
}

static int
ingress_traverse(Ingress *self, visitproc visit, void *arg)
{
    Py_VISIT(self->dtls);
    Py_VISIT(self->handler);
    Py_VISIT(self->fallback);
    Py_VISIT(self->resolve);
    Py_VISIT(self->on_arrivals);
    Py_VISIT(self->session);
    Py_VISIT(self->receivers);
    return 0;
}

static int
ingress_clear(Ingress *self)
{
    Py_CLEAR(self->dtls);
    Py_CLEAR(self->handler);
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->resolve);
    Py_CLEAR(self->on_arrivals);
    Py_CLEAR(self->session);
    Py_CLEAR(self->receivers);
    self->srtp = NULL;
    return 0;
}

static void
ingress_dealloc(Ingress *self)
{
    PyObject_GC_UnTrack(self);
    ingress_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* take_arrivals() -> [(transport-wide sequence, arrival in µs of time.monotonic()), ...]:
 * the notes since the last call, in order of arrival. */
static PyObject *
take_arrivals(Ingress *self, PyObject *unused)
{
    (void)unused;
    PyObject *arrivals = PyList_New(self->held);
    if (arrivals == NULL)
        return NULL;
    for (int i = 0; i < self->held; i++) {
        PyObject *note = Py_BuildValue("(iL)", self->sequences[i], self->arrival_us[i]);
        if (note == NULL) {
            Py_DECREF(arrivals);
            return NULL;
        }
        PyList_SET_ITEM(arrivals, i, note);
    }
    self->held = 0;
    return arrivals;
}

static PyMethodDef ingress_methods[] = {
    {"take_arrivals", (PyCFunction)take_arrivals, METH_NOARGS,
     "take_arrivals() -> [(sequence, arrival_us), ...]: the transport-wide arrivals noted"},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef ingress_members[] = {
    {"transport_cc_id", T_INT, offsetof(Ingress, transport_cc_id), 0,
     "the publisher's header extension id of the transport-wide sequence number; 0: none"},
    {"call_at", T_DOUBLE, offsetof(Ingress, call_at), 0,
     "time.monotonic() from which the next noted arrival calls on_arrivals()"},
    {"now", T_DOUBLE, offsetof(Ingress, now), 0,
     "0.0: each packet arrives at time.monotonic()'s reading; else at this time (a test's clock)"},
    {"media_ssrc", T_UINT, offsetof(Ingress, media_ssrc), READONLY,
     "the SSRC of the last packet with a transport-wide sequence number"},
    {"rejected", T_ULONGLONG, offsetof(Ingress, rejected), READONLY,
     "packets libsrtp refused (not authentic, or replayed)"},
    {"held", T_INT, offsetof(Ingress, held), READONLY, "arrivals noted, not yet taken"},
    {"receivers", T_OBJECT, offsetof(Ingress, receivers), READONLY,
     "{ssrc: receive(packet, arrival)}: streams whose packets skip `handler` (a dict to fill)"},
    {NULL, 0, 0, 0, NULL},
};

PyTypeObject IngressType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "sfu._rtpsend.Ingress",
    .tp_doc = "Ingress(dtls, handler, fallback, resolve, on_arrivals): a publisher's RTP "
              "from aioice's data_received to handler(packet), unprotected",
    .tp_basicsize = sizeof(Ingress),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(Ingress, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_new = ingress_new,
    .tp_init = (initproc)ingress_init,
    .tp_dealloc = (destructor)ingress_dealloc,
    .tp_traverse = (traverseproc)ingress_traverse,
    .tp_clear = (inquiry)ingress_clear,
    .tp_methods = ingress_methods,
    .tp_members = ingress_members,
};
