"""Cache django-tables2's per-cell signature lookups.

django-tables2 (3.0) calls `inspect.signature` on a column's `render`/`value`/`linkify` callable
for every cell it renders: 50 rows × 15 columns is 750 signature computations per page, about a
fifth of a list page's Python time at 100k SKUs (profiled with cProfile, docs/performance.md).
The signature of a function never changes, so it is computed once per function. Bound methods
are keyed by their underlying function (a new bound-method object is made on every attribute
access); the cache holds functions weakly, so a lambda made per request does not leak.
"""

import inspect
import weakref

from django_tables2 import utils

_original_signature = utils.signature
_by_function: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def cached_signature(fn):
    if inspect.ismethod(fn):
        key, bound = fn.__func__, True
    elif inspect.isfunction(fn):
        key, bound = fn, False
    else:  # a callable object or a builtin: rare, not cached
        return _original_signature(fn)
    try:
        per_kind = _by_function[key]
    except (KeyError, TypeError):
        per_kind = {}
        try:
            _by_function[key] = per_kind
        except TypeError:
            return _original_signature(fn)
    if bound not in per_kind:
        per_kind[bound] = _original_signature(fn)
    return per_kind[bound]


def install() -> None:
    """Make django-tables2 use the cached lookup (idempotent; called from AppConfig.ready)."""
    utils.signature = cached_signature
