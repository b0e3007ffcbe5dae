/* rewrite_extension_ids(buf, id_map): sfu.rtp.rewrite_extension_ids in C, for every packet a
 * publisher sends (RFC 8285). In Python the walk over a browser's three or four elements was
 * 6 % of the SFU's Python time at ten subscribers; sfu/rtp.py keeps the reference version, and
 * tests/sfu/test_rtp.py runs the same table against both. */
#include "_rtpsend.h"

PyObject *
rewrite_extension_ids(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "rewrite_extension_ids(buf, id_map) takes two arguments");
        return NULL;
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
            buf[at] = (unsigned char)((id_map[id] << 4) | (byte & 0x0F));
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
            at += 2 + buf[at + 1];
        }
    }
    Py_RETURN_NONE;
}
