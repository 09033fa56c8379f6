"""The shared cache as an optimisation only: a cache that is down (Redis gone) reads as a miss
and a write to it is dropped, so pages work on with the figure computed afresh.

Django's Redis backend raises on a refused connection; the figures kept here (a list's row
count, a count's progress) are all cheap enough to recompute for the time Redis is away.
"""

import logging
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

logger = logging.getLogger(__name__)
T = TypeVar("T")


def soft_get(key: str):
    """The cached value, or None when it is not there or the cache cannot be reached."""
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - any backend's connection error is a miss
        logger.warning("cache unreachable: reading %s afresh", key.split(":", 1)[0])
        return None


def soft_set(key: str, value, timeout: int) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception:  # noqa: BLE001
        logger.warning("cache unreachable: %s not kept", key.split(":", 1)[0])


def soft_get_or_compute(
    key: str, compute: Callable[[], T], timeout: int, keep: Callable[[T], bool]
) -> T:
    """The cached value, else `compute()`, kept for `timeout` seconds when `keep(value)`."""
    value = soft_get(key)
    if value is None:
        value = compute()
        if keep(value):
            soft_set(key, value, timeout)
    return value
