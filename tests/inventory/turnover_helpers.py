"""Posting shortcuts for the turnover tests: every movement goes through the posting service."""

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from inventory.models import MovementKind
from inventory.services import movement_post


def at(day: date, hour: int = 12, tz: str = "UTC") -> datetime:
    return datetime.combine(day, time(hour), ZoneInfo(tz))


def post(warehouse, sku, kind, quantity, when, cost=None):
    return movement_post(
        warehouse=warehouse,
        sku=sku,
        kind=kind,
        quantity=quantity,
        occurred_at=when,
        unit_cost=Decimal(cost) if cost is not None else None,
    )


def receive(warehouse, sku, quantity, when, cost=None):
    return post(warehouse, sku, MovementKind.RECEIPT, quantity, when, cost)


def sell(warehouse, sku, quantity, when, cost=None):
    return post(warehouse, sku, MovementKind.SALE, -quantity, when, cost)


def give_back(warehouse, sku, quantity, when, cost=None):
    return post(warehouse, sku, MovementKind.RETURN, quantity, when, cost)
