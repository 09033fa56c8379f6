"""Catalog writes: warehouses, suppliers and SKUs (used by the API; imports may share them).

Each validates the whole row with the model's own rules (`full_clean`) and raises
ValidationError with field errors, writing nothing when refused. Natural keys (warehouse code,
supplier name, seller SKU) are set at creation and not changed by the update services: other
programs name objects by them.
"""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from inventory import audit
from inventory.models import SKU, Category, Supplier, Warehouse

WAREHOUSE_FIELDS = ("name", "timezone", "allow_negative_stock")
SUPPLIER_FIELDS = ("email", "lead_time_days", "logistics_days", "lead_time_std_days")
SKU_FIELDS = (
    "tiktok_sku_id",
    "name",
    "unit_cost",
    "unit_price",
    "supplier",
    "lead_time_days",
    "logistics_days",
    "lead_time_std_days",
    "service_level",
    "moq",
    "case_pack",
    "active",
)
# What the audit history keeps of a SKU (who changed which parameter, before and after).
SKU_AUDITED_FIELDS = (
    "name",
    "tiktok_sku_id",
    "barcode",
    "category",
    "supplier",
    "unit_cost",
    "unit_price",
    "lead_time_days",
    "logistics_days",
    "lead_time_std_days",
    "service_level",
    "moq",
    "case_pack",
    "active",
)


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            {"timezone": _("Unknown time zone “%(tz)s” (use e.g. Asia/Bangkok).") % {"tz": name}}
        ) from exc


def _assign(obj, fields: dict, allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be changed here.") for name in sorted(unknown)}
        )
    for name, value in fields.items():
        setattr(obj, name, value)


@transaction.atomic
def warehouse_create(*, code: str, name: str, user=None, **fields) -> Warehouse:
    """A new warehouse; the user who creates it becomes a member so they can see it."""
    warehouse = Warehouse(code=code, name=name)
    _assign(warehouse, fields, WAREHOUSE_FIELDS)
    _check_timezone(warehouse.timezone)
    warehouse.full_clean()
    warehouse.save()
    if user is not None and user.is_authenticated:
        warehouse.members.add(user)
    return warehouse


@transaction.atomic
def warehouse_update(*, warehouse: Warehouse, **fields) -> Warehouse:
    """Change a warehouse's name, time zone or negative-stock rule."""
    _assign(warehouse, fields, WAREHOUSE_FIELDS)
    _check_timezone(warehouse.timezone)
    warehouse.full_clean()
    warehouse.save()
    return warehouse


@transaction.atomic
def supplier_create(*, name: str, **fields) -> Supplier:
    """A new supplier, named by its unique name."""
    supplier = Supplier(name=name)
    _assign(supplier, fields, SUPPLIER_FIELDS)
    supplier.full_clean()
    supplier.save()
    return supplier


@transaction.atomic
def supplier_update(*, supplier: Supplier, **fields) -> Supplier:
    """Change a supplier's email and lead-time parameters."""
    _assign(supplier, fields, SUPPLIER_FIELDS)
    supplier.full_clean()
    supplier.save()
    return supplier


def _category(name: str | None) -> Category | None:
    name = (name or "").strip()
    if not name:
        return None
    return Category.objects.get_or_create(name=name)[0]


@transaction.atomic
def sku_create(
    *,
    seller_sku: str,
    name: str,
    category: str | None = None,
    user=None,
    source: str = "",
    **fields,
) -> SKU:
    """A new SKU; `category` is a category name, created when it does not exist yet."""
    sku = SKU(seller_sku=seller_sku, name=name)
    _assign(sku, fields, SKU_FIELDS)
    sku.category = _category(category)
    sku.full_clean()
    sku.save()
    audit.record(
        user=user,
        action=audit.SKU_CREATE,
        obj=sku,
        after=audit.snapshot(sku, SKU_AUDITED_FIELDS),
        source=source,
    )
    return sku


_UNSET = object()


@transaction.atomic
def sku_update(*, sku: SKU, category=_UNSET, user=None, source: str = "", **fields) -> SKU:
    """Change a SKU's parameters; `category` by name (None or "" clears it).

    The changed values are written to the audit history (who, when, before, after).
    """
    before = audit.snapshot(sku, SKU_AUDITED_FIELDS)
    _assign(sku, fields, SKU_FIELDS)
    if category is not _UNSET:
        sku.category = _category(category)
    sku.full_clean()
    sku.save()
    sku_audit_change(sku=sku, before=before, user=user, source=source)
    return sku


def sku_audit_change(*, sku: SKU, before: dict, user, source: str) -> None:
    """Record the SKU's parameters that differ from `before` (a `audit.snapshot`), if any."""
    old, new = audit.changed(before, audit.snapshot(sku, SKU_AUDITED_FIELDS))
    if new:
        audit.record(
            user=user, action=audit.SKU_UPDATE, obj=sku, before=old, after=new, source=source
        )
