"""The product catalog: creates or updates SKUs in bulk. It never touches stock.

Two layouts:
- CSV: header in row 1, data from row 2; columns `seller_sku, sku_id, product_name, category,
  price` and optionally `unit_cost, supplier, barcode, moq, case_pack, lead_time_days,
  logistics_days, active`.
- Seller Center product export (XLSX): keys in row 1, rows 2–5 are labels and instructions,
  data from row 6; the same keys (a few Seller Center aliases are accepted).
`category` may be written `name (id)`: the TikTok category ID becomes Category.external_id.
A blank optional cell leaves the field as it is. A `quantity` column, if any, is ignored: stock
changes only through the ledger.
"""

import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory import audit
from inventory.catalog import SKU_AUDITED_FIELDS
from inventory.imports.base import (
    ErrorList,
    cell,
    chunked,
    clean_text,
    in_batch_size,
    match_columns,
    parse_decimal,
    parse_int,
)
from inventory.imports.readers import XLSX, open_table
from inventory.models import (
    MAX_CASE_PACK,
    MAX_LEAD_TIME_DAYS,
    MAX_MOQ,
    SKU,
    Category,
    Supplier,
)

REQUIRED = ("seller_sku", "sku_id", "product_name", "category", "price")
OPTIONAL = (
    "unit_cost",
    "supplier",
    "barcode",
    "moq",
    "case_pack",
    "lead_time_days",
    "logistics_days",
    "active",
)
ALIASES = {
    "product_name": ("name", "product name"),
    "price": ("retail_price", "sku_price", "unit_price"),
    "sku_id": ("tiktok_sku_id",),
}
INT_FIELDS = {"moq": 0, "case_pack": 1, "lead_time_days": 0, "logistics_days": 0}
INT_MAXIMA = {
    "moq": MAX_MOQ,
    "case_pack": MAX_CASE_PACK,
    "lead_time_days": MAX_LEAD_TIME_DAYS,
    "logistics_days": MAX_LEAD_TIME_DAYS,
}
SELLER_CENTER_FIRST_DATA_ROW = 6
_CATEGORY_RE = re.compile(r"^(?P<name>.*?)\s*\((?P<id>\d+)\)$")
_TRUE = {"1", "yes", "y", "true", "active", "是"}
_FALSE = {"0", "no", "n", "false", "inactive", "否"}


@dataclass
class CatalogImportSummary:
    lines_read: int = 0
    created: int = 0
    updated: int = 0
    categories_created: int = 0
    suppliers_created: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def parse_category(text: str) -> tuple[str, str]:
    """`Women's Tops (601152)` -> ("Women's Tops", "601152"); a plain name has no ID."""
    match = _CATEGORY_RE.match(text)
    if match and match.group("name"):
        return match.group("name"), match.group("id")
    return text, ""


def _parse_row(cells, columns) -> tuple[dict, list[str]]:
    """The row's values by field (only the non-blank cells), and its problems."""
    values, problems = {}, []
    text = {key: clean_text(cell(cells, index)) for key, index in columns.items()}
    values["seller_sku"] = text["seller_sku"]
    if not values["seller_sku"]:
        problems.append(_("seller_sku is blank."))
    elif len(values["seller_sku"]) > 64:
        problems.append(_("seller_sku is longer than 64 characters."))
    if text["sku_id"]:
        if not text["sku_id"].isdigit() or len(text["sku_id"]) > 32:
            problems.append(_("sku_id “%(id)s” is not a TikTok SKU ID.") % {"id": text["sku_id"]})
        values["tiktok_sku_id"] = text["sku_id"]
    if text["product_name"]:
        values["name"] = text["product_name"][:255]
    if text["category"]:
        values["category"] = parse_category(text["category"])
    for key, field, places in (("price", "unit_price", 2), ("unit_cost", "unit_cost", 4)):
        if text.get(key):
            try:
                values[field] = parse_decimal(text[key], places=places)
            except ValueError as exc:
                problems.append(f"{key}: {exc}")
    for key, minimum in INT_FIELDS.items():
        if text.get(key):
            try:
                values[key] = parse_int(text[key], minimum=minimum, maximum=INT_MAXIMA[key])
            except ValueError as exc:
                problems.append(f"{key}: {exc}")
    if text.get("supplier"):
        values["supplier"] = text["supplier"][:120]
    if text.get("barcode"):
        values["barcode"] = text["barcode"][:64]
    if text.get("active"):
        flag = text["active"].casefold()
        if flag not in _TRUE | _FALSE:
            problems.append(_("active: “%(value)s” is not yes or no.") % {"value": text["active"]})
        values["active"] = flag in _TRUE
    return values, problems


def read_catalog(source, summary: CatalogImportSummary, errors: ErrorList) -> dict[str, tuple]:
    """(row, values) by seller SKU for every good row; problems go to `errors`."""
    rows: dict[str, tuple[int, dict]] = {}
    sku_ids: dict[str, int] = {}
    with open_table(source) as table:
        first_data_row = SELLER_CENTER_FIRST_DATA_ROW if table.format == XLSX else 2
        columns = None
        for number, cells in table.rows:
            if columns is None:
                columns = match_columns(
                    cells, required=REQUIRED, optional=OPTIONAL, aliases=ALIASES
                )
                continue
            if number < first_data_row or not any(clean_text(c) for c in cells):
                continue
            summary.lines_read += 1
            values, problems = _parse_row(cells, columns)
            seller_sku, sku_id = values["seller_sku"], values.get("tiktok_sku_id")
            if seller_sku in rows:
                problems.append(
                    _("seller SKU “%(sku)s” is already on row %(row)d.")
                    % {"sku": seller_sku, "row": rows[seller_sku][0]}
                )
            if sku_id and sku_id in sku_ids:
                problems.append(
                    _("sku_id %(id)s is already on row %(row)d.")
                    % {"id": sku_id, "row": sku_ids[sku_id]}
                )
            if problems:
                errors.add(number, "; ".join(problems))
                continue
            rows[seller_sku] = (number, values)
            if sku_id:
                sku_ids[sku_id] = number
        if columns is None:
            errors.add(1, _("The file is empty: no header row."))
    return rows


def _existing(model, field: str, keys, rows=None) -> dict:
    found = {}
    rows = model.objects.all() if rows is None else rows
    for batch in chunked(sorted(keys), in_batch_size()):
        found.update((getattr(o, field), o) for o in rows.filter(**{f"{field}__in": batch}))
    return found


def _categories(rows, summary) -> dict[str, Category]:
    """Category per name written in the file: found by TikTok ID, else by name, else created."""
    wanted = {values["category"] for _row, values in rows.values() if "category" in values}
    by_name = _existing(Category, "name", {name for name, _id in wanted})
    by_external = _existing(Category, "external_id", {i for _name, i in wanted if i})
    result = {}
    for name, external_id in sorted(wanted):
        category = by_external.get(external_id) if external_id else None
        category = category or by_name.get(name)
        if category is None:
            category = Category.objects.create(name=name[:120], external_id=external_id)
            by_name[name] = category
            summary.categories_created += 1
        elif external_id and category.external_id != external_id:
            category.external_id = external_id
            category.save(update_fields=["external_id"])
        if external_id:
            by_external[external_id] = category
        result[(name, external_id)] = category
    return result


def _suppliers(rows, summary) -> dict[str, Supplier]:
    names = {values["supplier"] for _row, values in rows.values() if "supplier" in values}
    found = _existing(Supplier, "name", names)
    missing = [Supplier(name=name) for name in sorted(names - found.keys())]
    Supplier.objects.bulk_create(missing)
    summary.suppliers_created = len(missing)
    return _existing(Supplier, "name", names)


def catalog_import(*, source) -> CatalogImportSummary:
    """Create or update SKUs from a catalog file, all or nothing; stock is never touched."""
    summary = CatalogImportSummary()
    errors = ErrorList()
    rows = read_catalog(source, summary, errors)
    existing = _existing(
        SKU, "seller_sku", rows.keys(), SKU.objects.select_related("category", "supplier")
    )
    taken = _existing(
        SKU,
        "tiktok_sku_id",
        {v["tiktok_sku_id"] for _r, v in rows.values() if "tiktok_sku_id" in v},
    )
    for seller_sku, (number, values) in rows.items():
        owner = taken.get(values.get("tiktok_sku_id"))
        if owner is not None and owner.seller_sku != seller_sku:
            errors.add(
                number,
                _("sku_id %(id)s already belongs to SKU “%(other)s”.")
                % {"id": values["tiktok_sku_id"], "other": owner.seller_sku},
            )
        if seller_sku not in existing and "name" not in values:
            errors.add(number, _("product_name is blank for a new SKU."))
    errors.refuse_if_any()

    with transaction.atomic():
        categories = _categories(rows, summary)
        suppliers = _suppliers(rows, summary)
        to_create, to_update, fields, history = [], [], set(), []
        now = timezone.now()
        for seller_sku, (_number, values) in rows.items():
            values = dict(values)
            if "category" in values:
                values["category"] = categories[values["category"]]
            if "supplier" in values:
                values["supplier"] = suppliers[values["supplier"]]
            sku = existing.get(seller_sku)
            if sku is None:
                to_create.append(SKU(**values))
                continue
            audited = [f for f in SKU_AUDITED_FIELDS if f in values]
            before = audit.snapshot(sku, audited)
            for field, value in values.items():
                setattr(sku, field, value)
            old, new = audit.changed(before, audit.snapshot(sku, audited))
            if new:
                history.append(
                    audit.entry(
                        user=None,
                        action=audit.SKU_UPDATE,
                        obj=sku,
                        before=old,
                        after=new,
                        source="import",
                        at=now,
                    )
                )
            sku.updated_at = now  # bulk_update does not run auto_now
            fields.update(values.keys() - {"seller_sku"})
            to_update.append(sku)
        SKU.objects.bulk_create(to_create, batch_size=1000)
        if to_update and fields:
            SKU.objects.bulk_update(to_update, sorted(fields | {"updated_at"}), batch_size=1000)
        audit.record_many(history)
    summary.created, summary.updated = len(to_create), len(to_update)
    return summary
