/* Routes and fan_out, the per-incoming-packet half of sfu._rtpsend (sfu/_rtpsend.c says why). */
#include "_rtpsend.h"

#include <stddef.h>
#include <structmember.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    PyObject_HEAD
    PyObject *owner;     /* the Consumer this route sends for */
    PyObject *session;   /* the pylibsrtp Session: keeps `srtp` alive */
    void *srtp;          /* its srtp_t */
    PyObject *address;   /* bytes from pack_address */
    PyObject *nominated; /* aioice's {component: pair} of the connection */
    PyObject *pair;      /* the pair this route was made for: sends stop when it changes */
    int fd;              /* a duplicate of the pair's socket: never someone else's descriptor */
    unsigned int ssrc, payload_type;
    unsigned int seq_delta, ts_delta, picture_id_delta, tl0_delta;
    long long last_seq, last_ts, last_picture_id, last_tl0; /* -1: none sent yet */
    unsigned long long packets_sent, octets_sent;
} Route;

static PyObject *component_one; /* the key of RTP's component in `nominated` */

int
routes_ready(void)
{
    component_one = PyLong_FromLong(1);
    return component_one == NULL ? -1 : 0;
}

static int
route_init(Route *self, PyObject *args, PyObject *kwargs)
{
    PyObject *owner, *session, *srtp, *address, *nominated, *pair;
    int fd;
    unsigned int ssrc, payload_type;
    static char *names[] = {"owner", "session", "srtp", "fd", "address", "nominated",
                            "pair", "ssrc", "payload_type", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO!iO!O!OII:Route", names, &owner,
                                     &session, &PyLong_Type, &srtp, &fd, &PyBytes_Type, &address,
                                     &PyDict_Type, &nominated, &pair, &ssrc, &payload_type))
        return -1;
    if (check_address(address) < 0)
        return -1;
    if (payload_type > 127) {
        PyErr_Format(PyExc_ValueError, "payload type %u is not 0-127", payload_type);
        return -1;
    }
    void *context = PyLong_AsVoidPtr(srtp);
    if (context == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "no SRTP session");
        return -1;
    }
    if (self->fd >= 0) {
        PyErr_SetString(PyExc_RuntimeError, "a Route is made once");
        return -1;
    }
    int own = dup(fd);
    if (own < 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    self->fd = own;
    self->srtp = context;
    self->ssrc = ssrc;
    self->payload_type = payload_type;
    Py_INCREF(owner);
    self->owner = owner;
    Py_INCREF(session);
    self->session = session;
    Py_INCREF(address);
    self->address = address;
    Py_INCREF(nominated);
    self->nominated = nominated;
    Py_INCREF(pair);
    self->pair = pair;
    return 0;
}

static PyObject *
route_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    (void)args;
    (void)kwargs;
    Route *self = (Route *)type->tp_alloc(type, 0);
    if (self != NULL) {
        self->fd = -1;
        self->last_seq = self->last_ts = self->last_picture_id = self->last_tl0 = -1;
    }
    return (PyObject *)self;
}

static int
route_traverse(Route *self, visitproc visit, void *arg)
{
    Py_VISIT(self->owner);
    Py_VISIT(self->session);
    Py_VISIT(self->nominated);
    Py_VISIT(self->pair);
    return 0;
}

static int
route_clear(Route *self)
{
    Py_CLEAR(self->owner);
    Py_CLEAR(self->session);
    Py_CLEAR(self->address);
    Py_CLEAR(self->nominated);
    Py_CLEAR(self->pair);
    return 0;
}

static void
route_dealloc(Route *self)
{
    PyObject_GC_UnTrack(self);
    route_clear(self);
    if (self->fd >= 0)
        close(self->fd);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMemberDef route_members[] = {
    {"owner", T_OBJECT, offsetof(Route, owner), READONLY, "the Consumer"},
    {"fd", T_INT, offsetof(Route, fd), READONLY, "its own duplicate of the socket"},
    {"ssrc", T_UINT, offsetof(Route, ssrc), READONLY, NULL},
    {"payload_type", T_UINT, offsetof(Route, payload_type), READONLY, NULL},
    {"seq_delta", T_UINT, offsetof(Route, seq_delta), 0, "added to each sequence number"},
    {"ts_delta", T_UINT, offsetof(Route, ts_delta), 0, "added to each timestamp"},
    {"picture_id_delta", T_UINT, offsetof(Route, picture_id_delta), 0, NULL},
    {"tl0_delta", T_UINT, offsetof(Route, tl0_delta), 0, NULL},
    {"last_seq", T_LONGLONG, offsetof(Route, last_seq), 0, "-1: nothing sent yet"},
    {"last_ts", T_LONGLONG, offsetof(Route, last_ts), 0, NULL},
    {"last_picture_id", T_LONGLONG, offsetof(Route, last_picture_id), 0, NULL},
    {"last_tl0", T_LONGLONG, offsetof(Route, last_tl0), 0, NULL},
    {"packets_sent", T_ULONGLONG, offsetof(Route, packets_sent), READONLY, NULL},
    {"octets_sent", T_ULONGLONG, offsetof(Route, octets_sent), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

PyTypeObject RouteType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "sfu._rtpsend.Route",
    .tp_doc = "Route(owner, session, srtp, fd, address, nominated, pair, ssrc, payload_type):"
              " one consumer's stream as fan_out sends it",
    .tp_basicsize = sizeof(Route),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = route_new,
    .tp_init = (initproc)route_init,
    .tp_dealloc = (destructor)route_dealloc,
    .tp_traverse = (traverseproc)route_traverse,
    .tp_clear = (inquiry)route_clear,
    .tp_members = route_members,
};

static inline void
put16(unsigned char *at, unsigned int value)
{
    at[0] = (unsigned char)(value >> 8);
    at[1] = (unsigned char)value;
}

static inline void
put32(unsigned char *at, unsigned int value)
{
    at[0] = (unsigned char)(value >> 24);
    at[1] = (unsigned char)(value >> 16);
    at[2] = (unsigned char)(value >> 8);
    at[3] = (unsigned char)value;
}

/* The fields of one incoming packet every route rewrites in its own copy. */
typedef struct {
    const unsigned char *data;
    Py_ssize_t length;
    unsigned int marker, seq, timestamp;
    Py_ssize_t picture_id_at; /* 0: absent */
    unsigned int picture_id_bits, picture_id;
    Py_ssize_t tl0_at; /* 0: absent */
    unsigned int tl0;
} Incoming;

static int
route_send(Route *route, const Incoming *in)
{
    PyObject *current = PyDict_GetItemWithError(route->nominated, component_one);
    if (current != route->pair)
        return STALE; /* ICE moved to another pair or closed the connection */
    unsigned char *out = packet_buffer;
    memcpy(out, in->data, (size_t)in->length);
    unsigned int seq = (in->seq + route->seq_delta) & 0xFFFF;
    unsigned int timestamp = (in->timestamp + route->ts_delta) & 0xFFFFFFFFu;
    out[1] = (unsigned char)(in->marker | route->payload_type);
    put16(out + 2, seq);
    put32(out + 4, timestamp);
    put32(out + 8, route->ssrc);
    unsigned int picture_id = 0, tl0 = 0;
    if (in->picture_id_at) {
        picture_id = (in->picture_id + route->picture_id_delta) & 0x7FFF;
        if (in->picture_id_bits == 15)
            put16(out + in->picture_id_at, 0x8000 | picture_id);
        else
            out[in->picture_id_at] = (unsigned char)(picture_id & 0x7F);
    }
    if (in->tl0_at) {
        tl0 = (in->tl0 + route->tl0_delta) & 0xFF;
        out[in->tl0_at] = (unsigned char)tl0;
    }
    int sent = protect_and_send_buffer(route->srtp, (int)in->length, route->fd, route->address);
    if (sent != SENT)
        return sent;
    route->last_seq = seq;
    route->last_ts = timestamp;
    if (in->picture_id_at)
        route->last_picture_id = picture_id;
    if (in->tl0_at)
        route->last_tl0 = tl0;
    route->packets_sent += 1;
    route->octets_sent += (unsigned long long)in->length;
    return SENT;
}

static int
small_int(PyObject *value, long low, long high, const char *name, long *out)
{
    long number = PyLong_AsLong(value);
    if (number == -1 && PyErr_Occurred())
        return -1;
    if (number < low || number > high) {
        PyErr_Format(PyExc_ValueError, "%s %ld is not between %ld and %ld", name, number, low,
                     high);
        return -1;
    }
    *out = number;
    return 0;
}

/* fan_out(routes, packet, marker, seq, timestamp, picture_id_at, picture_id_bits, picture_id,
 *         tl0_at, tl0) -> None | [(route, SENT/CONGESTED/FAILED/STALE), ...]
 *
 * Sends `packet` (plain RTP, left unchanged) on every route, each rewritten for its consumer.
 * The VP8 fields are where sfu.rtp.Vp8Fields found them (offsets 0: absent). Returns the
 * routes that did not send, for their consumers to act on, or None when all did. */
PyObject *
fan_out(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 10) {
        PyErr_SetString(PyExc_TypeError,
                        "fan_out(routes, packet, marker, seq, timestamp, picture_id_at, "
                        "picture_id_bits, picture_id, tl0_at, tl0) takes ten arguments");
        return NULL;
    }
    if (protect == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "use_protect() was not called");
        return NULL;
    }
    PyObject *routes = args[0];
    if (!PyList_Check(routes)) {
        PyErr_SetString(PyExc_TypeError, "routes must be a list of Route");
        return NULL;
    }
    long marker, seq, timestamp, picture_id_at, picture_id_bits, picture_id, tl0_at, tl0;
    if (small_int(args[2], 0, 0x80, "marker", &marker) < 0 ||
        small_int(args[3], 0, 0xFFFF, "seq", &seq) < 0 ||
        small_int(args[4], 0, 0xFFFFFFFFL, "timestamp", &timestamp) < 0 ||
        small_int(args[5], 0, BUFFER_SIZE, "picture_id_at", &picture_id_at) < 0 ||
        small_int(args[6], 0, 15, "picture_id_bits", &picture_id_bits) < 0 ||
        small_int(args[7], 0, 0x7FFF, "picture_id", &picture_id) < 0 ||
        small_int(args[8], 0, BUFFER_SIZE, "tl0_at", &tl0_at) < 0 ||
        small_int(args[9], 0, 0xFF, "tl0", &tl0) < 0)
        return NULL;
    if (marker != 0 && marker != 0x80) {
        PyErr_SetString(PyExc_ValueError, "marker must be 0 or 0x80");
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[1], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    Py_ssize_t picture_id_end = picture_id_at + (picture_id_bits == 15 ? 2 : 1);
    if (view.len < 12 || view.len > BUFFER_SIZE - TRAILER_ROOM ||
        (picture_id_at && (picture_id_at < 12 || picture_id_end > view.len)) ||
        (tl0_at && (tl0_at < 12 || tl0_at >= view.len))) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "the packet is too short, too long, or its VP8 "
                                          "fields lie outside it");
        return NULL;
    }
    Incoming in = {
        .data = view.buf, .length = view.len, .marker = (unsigned int)marker,
        .seq = (unsigned int)seq, .timestamp = (unsigned int)timestamp,
        .picture_id_at = picture_id_at, .picture_id_bits = (unsigned int)picture_id_bits,
        .picture_id = (unsigned int)picture_id, .tl0_at = tl0_at, .tl0 = (unsigned int)tl0,
    };
    PyObject *failed = NULL;
    Py_ssize_t count = PyList_GET_SIZE(routes);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PyList_GET_ITEM(routes, i);
        if (!Py_IS_TYPE(item, &RouteType)) {
            PyErr_SetString(PyExc_TypeError, "routes must be a list of Route");
            goto error;
        }
        int code = route_send((Route *)item, &in);
        if (code == SENT)
            continue;
        if (PyErr_Occurred())
            goto error;
        if (failed == NULL && (failed = PyList_New(0)) == NULL)
            goto error;
        PyObject *entry = Py_BuildValue("(Oi)", item, code);
        if (entry == NULL || PyList_Append(failed, entry) < 0) {
            Py_XDECREF(entry);
            goto error;
        }
        Py_DECREF(entry);
    }
    PyBuffer_Release(&view);
    if (failed == NULL)
        Py_RETURN_NONE;
    return failed;
error:
    PyBuffer_Release(&view);
    Py_XDECREF(failed);
    return NULL;
}
