"""Run each request inside one large frame-stack chunk (CPython 3.11 and 3.12 only).

CPython 3.11 keeps the frames of a thread in 16 KiB chunks and frees a chunk as soon as the
stack returns below it (python/cpython#142183, fixed in 3.13 by keeping one spare chunk). A
request whose call depth hovers at a chunk boundary — template rendering recurses and returns
thousands of times a page — maps and unmaps a chunk at every crossing: strace of a gunicorn
worker serving the list pages counted about 3,500 mmap/munmap pairs a request, and the machine
spent 28 % of its time in the kernel.

`in_large_chunk(app)` calls the app from a frame big enough that the interpreter gives it a
128 KiB chunk of its own, with ~70 KiB free after it: the request's frames then live in that
chunk and cross no boundary (one map and unmap a request).
"""

import sys

# Slots of the large frame: 8 × (slots + 1000 overhead) is just over 64 KiB, so the chunk
# allocated for it is 128 KiB; the rest of the chunk (~70 KiB) holds the request's frames.
_SLOTS = 7200


def _large_frame_caller():
    names = [f"_{n}" for n in range(_SLOTS)]
    source = (
        "def call(app, *args, **kwargs):\n"
        "    if False:\n"
        f"        {' = '.join(names)} = None\n"
        "    return app(*args, **kwargs)\n"
    )
    namespace: dict = {}
    exec(compile(source, __name__, "exec"), namespace)  # noqa: S102 - fixed source, no input
    return namespace["call"]


def in_large_chunk(app):
    """`app`, called from a frame that owns a 128 KiB chunk (a no-op from Python 3.13 on)."""
    if sys.version_info >= (3, 13) or sys.implementation.name != "cpython":
        return app
    call = _large_frame_caller()

    def wsgi(environ, start_response):
        return call(app, environ, start_response)

    return wsgi
