import os

import pytest
from django.db import connection

from tests.factories import SKUFactory, UserFactory, WarehouseFactory

# CI sets this so a test that needs PostgreSQL or Redis fails instead of skipping.
REQUIRE_SERVICES = os.environ.get("STOCKWISE_REQUIRE_SERVICES") == "1"


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        reason = "needs PostgreSQL (row locks, triggers): run with DATABASE_URL=postgres://…"
        if REQUIRE_SERVICES:
            pytest.fail(f"{reason}; STOCKWISE_REQUIRE_SERVICES=1 forbids skipping")
        pytest.skip(reason)


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
