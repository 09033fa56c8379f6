"""Goods receipts from a CSV (or XLSX): `seller_sku,quantity,unit_cost,received_at`.

Each line posts a RECEIPT into the chosen warehouse. `unit_cost` may be blank (the SKU's cost).
`received_at` is a date (`2025-12-15`, the start of that day) or a date and time, in the
warehouse's time zone. An optional `reference` column (delivery note, PO number) names the
receipt: its external reference is `<reference>:<seller_sku>`. Without one, the reference is a
digest of the line itself (warehouse, SKU, time, quantity, cost, and its occurrence number among
identical lines of the file), so importing the same file twice changes nothing.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from inventory.imports.base import (
    ErrorList,
    Progress,
    cell,
    chunked,
    clean_text,
    in_batch_size,
    match_columns,
    parse_decimal,
    parse_int,
    parse_local_time,
    post_lines,
)
from inventory.imports.readers import open_table
from inventory.models import SKU, MovementKind, StockMovement, Warehouse
from inventory.services import MovementLine

SOURCE = "receipts"
REQUIRED = ("seller_sku", "quantity", "unit_cost", "received_at")
OPTIONAL = ("reference",)


@dataclass
class ReceiptImportSummary:
    lines_read: int = 0
    posted: int = 0
    already_present: int = 0

    def as_dict(self) -> dict:
        return {
            "lines_read": self.lines_read,
            "posted": self.posted,
            "already_present": self.already_present,
        }


def _received_at(value, tz: ZoneInfo) -> datetime:
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time(0), tz)
    text = clean_text(value)
    if len(text) == 10 and text[4] == "-":
        try:
            return datetime.combine(date.fromisoformat(text), time(0), tz)
        except ValueError:
            pass
    return parse_local_time(value, tz)


def receipts_import(
    *, source, warehouse: Warehouse, user=None, progress: Progress | None = None
) -> ReceiptImportSummary:
    """Post a RECEIPT per line of a receipts file; any bad row refuses the file, writes nothing."""
    tz = ZoneInfo(warehouse.timezone)
    summary = ReceiptImportSummary()
    errors = ErrorList()
    parsed = []  # (row, seller_sku, quantity, unit_cost, received_at, reference)
    with open_table(source) as table:
        columns = None
        for number, cells in table.rows:
            if columns is None:
                columns = match_columns(cells, required=REQUIRED, optional=OPTIONAL)
                continue
            if not any(clean_text(c) for c in cells):
                continue
            summary.lines_read += 1
            problems = []
            seller_sku = clean_text(cell(cells, columns["seller_sku"]))
            if not seller_sku:
                problems.append(_("seller_sku is blank."))
            quantity = unit_cost = received_at = None
            try:
                quantity = parse_int(cell(cells, columns["quantity"]), minimum=1, maximum=1_000_000)
            except ValueError as exc:
                problems.append(f"quantity: {exc}")
            raw_cost = cell(cells, columns["unit_cost"])
            try:
                unit_cost = parse_decimal(raw_cost) if clean_text(raw_cost) else None
            except ValueError as exc:
                problems.append(f"unit_cost: {exc}")
            try:
                received_at = _received_at(cell(cells, columns["received_at"]), tz)
            except ValueError as exc:
                problems.append(f"received_at: {exc}")
            if problems:
                errors.add(number, "; ".join(problems))
                continue
            reference = clean_text(cell(cells, columns.get("reference")))
            parsed.append((number, seller_sku, quantity, unit_cost, received_at, reference))
        if columns is None:
            errors.add(1, _("The file is empty: no header row."))

    skus: dict[str, SKU] = {}
    for batch in chunked(sorted({p[1] for p in parsed}), in_batch_size()):
        skus.update((s.seller_sku, s) for s in SKU.objects.filter(seller_sku__in=batch))
    lines, rows, seen = [], [], {}
    for number, seller_sku, quantity, unit_cost, received_at, reference in parsed:
        sku = skus.get(seller_sku)
        if sku is None:
            errors.add(number, _("Unknown SKU “%(sku)s”.") % {"sku": seller_sku})
            continue
        if reference:
            ref = f"{reference}:{seller_sku}"[:128]
        else:
            key = f"{warehouse.code}|{seller_sku}|{received_at.isoformat()}|{quantity}|{unit_cost}"
            seen[key] = seen.get(key, 0) + 1
            ref = "auto:" + hashlib.sha256(f"{key}|{seen[key]}".encode()).hexdigest()[:40]
        lines.append(
            MovementLine(
                warehouse=warehouse,
                sku=sku,
                kind=MovementKind.RECEIPT,
                quantity=quantity,
                occurred_at=received_at,
                unit_cost=unit_cost,
                external_ref=ref,
            )
        )
        rows.append(number)
    errors.refuse_if_any()
    existing = set()
    for batch in chunked(sorted({line.external_ref for line in lines}), in_batch_size()):
        existing.update(
            StockMovement.objects.filter(source=SOURCE, external_ref__in=batch).values_list(
                "external_ref", flat=True
            )
        )
    new = [
        (line, row)
        for line, row in zip(lines, rows, strict=True)
        if line.external_ref not in existing
    ]
    summary.already_present = len(lines) - len(new)
    if new:
        posted = post_lines(
            [line for line, _row in new],
            [row for _line, row in new],
            source=SOURCE,
            user=user,
            progress=progress,
        )
        summary.posted = sum(1 for p in posted if p.created)
        summary.already_present += sum(1 for p in posted if not p.created)
    return summary
