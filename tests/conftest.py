import functools
import os

import pytest
from django.db import connection

from tests.factories import SKUFactory, UserFactory, WarehouseFactory

# CI sets this so a test that needs PostgreSQL or Redis fails instead of skipping.
REQUIRE_SERVICES = os.environ.get("STOCKWISE_REQUIRE_SERVICES") == "1"


def pytest_runtest_setup(item):
    reason = None
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        reason = "needs PostgreSQL (row locks, triggers): run with DATABASE_URL=postgres://…"
    elif item.get_closest_marker("redis"):
        reason = redis_unavailable()
    if reason:
        if REQUIRE_SERVICES:
            pytest.fail(f"{reason}; STOCKWISE_REQUIRE_SERVICES=1 forbids skipping")
        pytest.skip(reason)


@functools.cache
def redis_unavailable() -> str | None:
    """Why the Redis tests cannot run here (None when REDIS_URL answers a PING)."""
    from django.conf import settings

    if not settings.REDIS_URL:
        return "needs Redis (a real Celery broker): run with REDIS_URL=redis://…"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"needs Redis: {settings.REDIS_URL} does not answer ({exc})"
    return None


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: pages keep some figures for minutes (the
    dashboard's turnover) or until the next nightly run (the ageing report's counts)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def warehouse(db):
    return WarehouseFactory(code="A", name="Warehouse A")


@pytest.fixture
def other_warehouse(db):
    return WarehouseFactory(code="B", name="Warehouse B")


@pytest.fixture
def sku(db):
    return SKUFactory(seller_sku="TEE-RED-M")


def _user(role, *warehouses):
    return UserFactory(
        username=f"{role}_{'_'.join(w.code for w in warehouses)}",
        role=role,
        warehouses=list(warehouses),
    )


@pytest.fixture
def make_user(db):
    return _user


@pytest.fixture
def manager(warehouse):
    return _user("manager", warehouse)


@pytest.fixture
def staff(warehouse):
    return _user("staff", warehouse)


@pytest.fixture
def purchaser(warehouse):
    return _user("purchaser", warehouse)
