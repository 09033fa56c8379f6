"""CPython 3.11 maps a new 16 KiB frame chunk each time a call crosses the end of a chunk and
unmaps it on return (python/cpython#142183): a loop whose calls cross that boundary pays a
map, an unmap and fresh page faults every time. `in_large_chunk` runs an app inside one large
chunk, so calls at any depth the app's frames reach cross nothing."""

import resource
import sys

import pytest

from config.stack_chunk import in_large_chunk

pytestmark = pytest.mark.skipif(
    sys.version_info >= (3, 13) or sys.implementation.name != "cpython",
    reason="CPython 3.13 keeps a spare chunk: nothing to work around",
)

CALLS = 200


def _dive(depth: int) -> int:
    # Forty locals make each frame about 500 bytes: a 16 KiB chunk holds ~30 of them.
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = a8 = a9 = 0  # noqa: F841
    b0 = b1 = b2 = b3 = b4 = b5 = b6 = b7 = b8 = b9 = 0  # noqa: F841
    c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = c8 = c9 = 0  # noqa: F841
    d0 = d1 = d2 = d3 = d4 = d5 = d6 = d7 = d8 = d9 = 0  # noqa: F841
    return 0 if depth == 0 else _dive(depth - 1)


def worst_faults_per_call(max_depth: int = 80) -> float:
    """The most page faults a call costs at any depth up to max_depth (about 2.5 chunks)."""
    worst = 0.0
    for depth in range(max_depth):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(CALLS):
            _dive(depth)
        worst = max(worst, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / CALLS)
    return worst


def test_calls_across_a_chunk_boundary_fault_pages_and_inside_a_large_chunk_none():
    assert worst_faults_per_call() >= 1  # the interpreter's behaviour this works around

    def app(environ, start_response):
        start_response("200 OK", [])
        return [str(worst_faults_per_call()).encode()]

    statuses = []
    body = in_large_chunk(app)({}, lambda status, headers: statuses.append(status))
    assert statuses == ["200 OK"]
    assert float(body[0]) < 0.05
