"""Small helpers for the counting tests."""

import re
import uuid

from counting.models import CountKind
from counting.services import count_entry_add, session_create
from inventory.models import MovementKind
from inventory.services import movement_post


def receive(warehouse, sku, qty):
    return movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=qty)


def sell(warehouse, sku, qty):
    return movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.SALE, quantity=-qty)


def new_session(warehouse, skus, *, user=None, kind=CountKind.CYCLE, counters=()):
    return session_create(
        warehouse=warehouse,
        kind=kind,
        user=user,
        skus=[s.seller_sku for s in skus] if kind == CountKind.CYCLE else None,
        counters=counters,
    )


def enter(session, sku, qty, user, key=None):
    return count_entry_add(
        session=session,
        code=sku.seller_sku if hasattr(sku, "seller_sku") else sku,
        quantity=qty,
        user=user,
        idempotency_key=key or uuid.uuid4(),
    )


def shows_number(text: str, number: int) -> bool:
    """Does `number` appear in the text as a whole number (not inside a token or id)?"""
    return re.search(rf"(?<![0-9A-Za-z.\-]){number}(?![0-9A-Za-z])", text) is not None
