/* rewrite_extension_ids(buf, id_map[, stamp_id, stamp]): sfu.rtp.rewrite_extension_ids in C,
 * for every packet a publisher sends (RFC 8285); the element renumbered to `stamp_id` (3 bytes:
 * abs-send-time) gets `stamp`, the SFU's send time (why: sfu/rtp.py). In Python the walk over a browser's three or four elements was
 * 6 % of the SFU's Python time at ten subscribers; sfu/rtp.py keeps the reference version, and
 * tests/sfu/test_rtp.py runs the same table against both. */
#include "_rtpsend.h"

/* 24 bits, network order (abs-send-time). */
static inline void
write_stamp(unsigned char *at, long stamp)
{
    at[0] = (unsigned char)((stamp >> 16) & 0xFF);
    at[1] = (unsigned char)((stamp >> 8) & 0xFF);
    at[2] = (unsigned char)(stamp & 0xFF);
}

PyObject *
rewrite_extension_ids(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2 && nargs != 4) {
        PyErr_SetString(PyExc_TypeError,
                        "rewrite_extension_ids(buf, id_map[, stamp_id, stamp]) takes 2 or 4 arguments");
        return NULL;
    }
    long stamp_id = 0, stamp = 0;
    if (nargs == 4) {
        stamp_id = PyLong_AsLong(args[2]);
        stamp = PyLong_AsLong(args[3]);
        if ((stamp_id == -1 || stamp == -1) && PyErr_Occurred())
            return NULL;
        if (stamp_id < 0 || stamp_id > 255 || stamp < 0 || stamp > 0xFFFFFF) {
            PyErr_SetString(PyExc_ValueError, "stamp_id must be 0-255 and stamp 24 bits");
            return NULL;
        }
    }
    if (!PyByteArray_Check(args[0]) || !PyBytes_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "rewrite_extension_ids takes a bytearray and bytes");
        return NULL;
    }
    unsigned char *buf = (unsigned char *)PyByteArray_AS_STRING(args[0]);
    Py_ssize_t size = PyByteArray_GET_SIZE(args[0]);
    const unsigned char *id_map = (const unsigned char *)PyBytes_AS_STRING(args[1]);
    Py_ssize_t map_size = PyBytes_GET_SIZE(args[1]);
    if (map_size < 16) {
        PyErr_SetString(PyExc_ValueError, "id_map must map every one-byte id (16 bytes or more)");
        return NULL;
    }
    unsigned int profile;
    Py_ssize_t at, end;
    switch (extension_elements(buf, size, &profile, &at, &end)) {
    case EXTENSION_NONE:
        Py_RETURN_NONE; /* no X bit: no extensions (RFC 3550 5.3.1) */
    case EXTENSION_TRUNCATED:
        PyErr_SetString(PyExc_ValueError, "RTP header extension truncated");
        return NULL;
    case EXTENSION_TOO_LONG:
        PyErr_SetString(PyExc_ValueError, "RTP header extension longer than the packet");
        return NULL;
    }
    if (profile == 0xBEDE) { /* one-byte elements, RFC 8285 4.2 */
        while (at < end) {
            unsigned int byte = buf[at];
            if (byte == 0) { /* padding */
                at++;
                continue;
            }
            unsigned int id = byte >> 4;
            if (id == 15) /* stop processing here */
                break;
            unsigned int new_id = id_map[id];
            buf[at] = (unsigned char)((new_id << 4) | (byte & 0x0F));
            if (stamp_id && new_id == (unsigned long)stamp_id && (byte & 0x0F) == 2 && at + 4 <= end)
                write_stamp(buf + at + 1, stamp);
            at += 2 + (byte & 0x0F);
        }
    } else if ((profile & 0xFFF0) == 0x1000) { /* two-byte elements, RFC 8285 4.3 */
        while (at < end) {
            unsigned int id = buf[at];
            if (id == 0) { /* padding */
                at++;
                continue;
            }
            if (at + 1 >= end)
                break;
            if ((Py_ssize_t)id < map_size)
                buf[at] = id_map[id];
            if (stamp_id && buf[at] == stamp_id && buf[at + 1] == 3 && at + 5 <= end)
                write_stamp(buf + at + 2, stamp);
            at += 2 + buf[at + 1];
        }
    }
    Py_RETURN_NONE;
}
