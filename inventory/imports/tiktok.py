"""TikTok Shop order exports (Seller Center → Orders → Export, CSV or XLSX) into the ledger.

One row per order line (Order ID × SKU ID). What each line becomes:
- shipped (a `Shipped Time`) and not cancelled: a SALE of `Quantity`, dated by the shipped time,
  external reference `<Order ID>:<SKU ID>`;
- and when its `Sku Quantity of return` is above 0: a RETURN of that many units, reference
  `<Order ID>:<SKU ID>:return`, dated by `Delivered Time` when the export has it, else by the
  shipped time (the export has no return date). A later export with a larger return quantity
  does not post a second return (the reference is taken); it is counted as already present.
- cancelled (a `Cancelled Time` or a cancelled status) after its sale was imported from an
  earlier export: a RETURN reversing that sale, reference `<Order ID>:<SKU ID>:cancel`;
- otherwise not shipped or cancelled: skipped and counted, never checked against the catalog.
Lines are posted in time order so that a return never precedes its sale.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils.translation import gettext as _

from inventory.imports.base import (
    ErrorList,
    Progress,
    cell,
    chunked,
    clean_text,
    in_batch_size,
    match_columns,
    parse_int,
    parse_local_time,
    post_lines,
)
from inventory.imports.readers import open_table
from inventory.models import SKU, MovementKind, StockMovement, Warehouse
from inventory.services import MovementLine

logger = logging.getLogger(__name__)

SOURCE = "tiktok"

ORDER_ID = "Order ID"
ORDER_STATUS = "Order Status"
SKU_ID = "SKU ID"
SELLER_SKU = "Seller SKU"
QUANTITY = "Quantity"
RETURNED = "Sku Quantity of return"
CREATED = "Created Time"
SHIPPED = "Shipped Time"
CANCELLED = "Cancelled Time"
WAREHOUSE_NAME = "Warehouse Name"
DELIVERED = "Delivered Time"
REQUIRED_COLUMNS = (
    ORDER_ID,
    ORDER_STATUS,
    SKU_ID,
    SELLER_SKU,
    QUANTITY,
    RETURNED,
    CREATED,
    SHIPPED,
    CANCELLED,
    WAREHOUSE_NAME,
)
OPTIONAL_COLUMNS = (DELIVERED,)
# Order Status values that mean cancelled, in the languages of the regional exports.
CANCELLED_STATUSES = frozenset(
    {"cancelled", "canceled", "cancel", "已取消", "ยกเลิกแล้ว", "ยกเลิก", "dibatalkan", "đã hủy"}
)


@dataclass
class OrderImportSummary:
    """What an import did; `posted` counts movements, the rest count file lines."""

    lines_read: int = 0
    sales: int = 0
    returns: int = 0
    reversals: int = 0
    already_present: int = 0
    skipped_cancelled: int = 0
    skipped_unshipped: int = 0

    @property
    def posted(self) -> int:
        return self.sales + self.returns + self.reversals

    def as_dict(self) -> dict:
        return {
            "lines_read": self.lines_read,
            "posted": self.posted,
            "sales": self.sales,
            "returns": self.returns,
            "reversals": self.reversals,
            "already_present": self.already_present,
            "skipped_cancelled": self.skipped_cancelled,
            "skipped_unshipped": self.skipped_unshipped,
        }


@dataclass(slots=True)
class OrderLine:
    """The fields of one export row that the ledger needs."""

    row: int
    order_id: str
    sku_id: str
    seller_sku: str
    quantity: int
    returned: int
    shipped_at: datetime | None
    returned_at: datetime | None
    cancelled: bool

    @property
    def ref(self) -> str:
        return f"{self.order_id}:{self.sku_id}"


def header_columns(cells) -> dict[str, int]:
    """Column index of each needed column, matched by name (regional layouts differ)."""
    return match_columns(cells, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)


def parse_row(number: int, cells, columns: dict[str, int], tz: ZoneInfo, epoch) -> OrderLine:
    """One data row as an OrderLine; ValueError (with every problem of the row) when bad.

    Only what the ledger needs is parsed: the shipped time always, the delivered time when
    units came back, the cancelled time for its presence. (`Created Time` is not used.)
    """
    problems = []

    def text(column: str) -> str:
        return clean_text(cell(cells, columns.get(column)))

    def when(column: str) -> datetime | None:
        raw = cell(cells, columns.get(column))
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        try:
            return parse_local_time(raw, tz, excel_epoch=epoch)
        except ValueError as exc:
            problems.append(f"{column}: {exc}")
            return None

    quantity = returned = 0
    try:
        quantity = parse_int(cell(cells, columns[QUANTITY]), minimum=1, maximum=1_000_000)
    except ValueError as exc:
        problems.append(f"{QUANTITY}: {exc}")
    raw = cell(cells, columns[RETURNED])
    if raw not in (None, "", "0", 0):
        try:
            returned = 0 if clean_text(raw) == "" else parse_int(raw, minimum=0, maximum=1_000_000)
        except ValueError as exc:
            problems.append(f"{RETURNED}: {exc}")
    if quantity and returned > quantity:
        problems.append(
            _("%(returned)s returned is more than the %(quantity)s sold.")
            % {"returned": returned, "quantity": quantity}
        )
    shipped_at = when(SHIPPED)
    returned_at = (when(DELIVERED) or shipped_at) if returned else None
    order_id = _id_text(cell(cells, columns[ORDER_ID]), ORDER_ID, problems)
    if not order_id:
        problems.append(_("The Order ID is blank."))
    sku_id = _id_text(cell(cells, columns[SKU_ID]), SKU_ID, problems)
    cancelled = text(CANCELLED) != "" or text(ORDER_STATUS).casefold() in CANCELLED_STATUSES
    if problems:
        raise ValueError("; ".join(problems))
    return OrderLine(
        row=number,
        order_id=order_id,
        sku_id=sku_id,
        seller_sku=text(SELLER_SKU),
        quantity=quantity,
        returned=returned,
        shipped_at=shipped_at,
        returned_at=returned_at,
        cancelled=cancelled,
    )


def _id_text(raw, column: str, problems: list) -> str:
    """IDs have 18–19 digits: a spreadsheet that stored one as a float has lost digits."""
    if isinstance(raw, float) and abs(raw) >= 2**53:
        problems.append(
            _("%(column)s was stored as a number and lost its last digits; export it as text.")
            % {"column": column}
        )
        return "?"
    return clean_text(raw)


def read_order_lines(source, warehouse: Warehouse, summary: OrderImportSummary, progress=None):
    """Stream the export: OrderLines of the rows that may post, and row errors."""
    tz = ZoneInfo(warehouse.timezone)
    errors = ErrorList()
    lines: list[OrderLine] = []
    with open_table(source) as table:
        columns = None
        for number, cells in table.rows:
            if columns is None:
                columns = header_columns(cells)
                continue
            if not any(clean_text(c) for c in cells):
                continue
            if number == 2 and not clean_text(cell(cells, columns[ORDER_ID])).isdigit():
                continue  # the description row under the header ("Platform unique order ID.")
            summary.lines_read += 1
            if progress and summary.lines_read % 5000 == 0:
                progress(table.fraction())
            try:
                line = parse_row(number, cells, columns, tz, table.excel_epoch)
            except ValueError as exc:
                errors.add(number, str(exc))
                continue
            if line.shipped_at is None:
                if line.cancelled:
                    summary.skipped_cancelled += 1
                else:
                    summary.skipped_unshipped += 1
                continue
            lines.append(line)
        if columns is None:
            errors.add(1, _("The file is empty: no header row."))
    return lines, errors


def _resolve_skus(lines: list[OrderLine], errors: ErrorList) -> dict[int, SKU]:
    """The SKU of each line (by row): by Seller SKU, else by SKU ID; unknown ones are errors."""
    sellers = {line.seller_sku for line in lines if line.seller_sku}
    sku_ids = {line.sku_id for line in lines if line.sku_id}
    by_seller: dict[str, SKU] = {}
    by_id: dict[str, SKU] = {}
    fields = ("id", "seller_sku", "tiktok_sku_id", "unit_cost")
    size = in_batch_size()
    for batch in chunked(sorted(sellers), size):
        for sku in SKU.objects.filter(seller_sku__in=batch).only(*fields):
            by_seller[sku.seller_sku] = sku
    for batch in chunked(sorted(sku_ids - {s.tiktok_sku_id for s in by_seller.values()}), size):
        for sku in SKU.objects.filter(tiktok_sku_id__in=batch).order_by("id").only(*fields):
            by_id.setdefault(sku.tiktok_sku_id, sku)
    for sku in by_seller.values():
        by_id.setdefault(sku.tiktok_sku_id, sku)
    resolved = {}
    for line in lines:
        sku = by_seller.get(line.seller_sku) or by_id.get(line.sku_id)
        if sku is None and line.cancelled:
            continue  # nothing to post unless its sale is in the ledger, so under a known SKU
        if sku is None:
            errors.add(
                line.row,
                _("Unknown SKU: seller SKU “%(seller)s”, SKU ID “%(id)s”.")
                % {"seller": line.seller_sku, "id": line.sku_id},
            )
        else:
            resolved[line.row] = sku
    return resolved


def _existing_refs(refs: set[str]) -> dict[str, int]:
    """Quantity of each TikTok movement already in the ledger, by external reference."""
    found: dict[str, int] = {}
    if connection.vendor == "postgresql":
        # One array parameter: an IN list of thousands of placeholders costs more to send.
        with connection.cursor() as cursor:
            for batch in chunked(sorted(refs), 50_000):
                cursor.execute(
                    "SELECT external_ref, quantity FROM inventory_stockmovement "
                    "WHERE source = %s AND external_ref = ANY(%s)",
                    [SOURCE, batch],
                )
                found.update(cursor.fetchall())
        return found
    for batch in chunked(sorted(refs), in_batch_size()):
        rows = StockMovement.objects.filter(source=SOURCE, external_ref__in=batch)
        found.update(rows.values_list("external_ref", "quantity"))
    return found


def _plan_movements(lines, skus, warehouse, summary) -> list[tuple[MovementLine, int]]:
    """(movement, row) for each line not yet in the ledger; counts what is already there."""
    refs = set()
    for line in lines:
        refs.add(line.ref)
        if line.returned or line.cancelled:
            refs.add(f"{line.ref}:return")
        if line.cancelled:
            refs.add(f"{line.ref}:cancel")
    existing = _existing_refs(refs)
    planned = []

    def add(line, kind, quantity, when, ref):
        if ref in existing:
            summary.already_present += 1
            return
        movement = MovementLine(
            warehouse=warehouse,
            sku=skus[line.row],
            kind=kind,
            quantity=quantity,
            occurred_at=when,
            external_ref=ref,
        )
        planned.append((movement, line.row))

    for line in lines:
        if line.cancelled:
            sold = -existing.get(line.ref, 0)
            back = sold - existing.get(f"{line.ref}:return", 0)
            if sold > 0 and back > 0 and line.row in skus:
                add(line, MovementKind.RETURN, back, line.shipped_at, f"{line.ref}:cancel")
            else:
                summary.skipped_cancelled += 1
            continue
        add(line, MovementKind.SALE, -line.quantity, line.shipped_at, line.ref)
        if line.returned:
            when = max(line.returned_at, line.shipped_at)
            add(line, MovementKind.RETURN, line.returned, when, f"{line.ref}:return")
    planned.sort(key=lambda item: (item[0].occurred_at, item[1], item[0].kind != "SALE"))
    return planned


def tiktok_orders_import(
    *, source, warehouse: Warehouse, user=None, progress: Progress | None = None
) -> OrderImportSummary:
    """Import a TikTok Shop order export (CSV or XLSX) into `warehouse`'s ledger.

    All rows are read and checked before anything is written; any bad row refuses the file
    (ImportRefused, with row numbers) and nothing is written. Re-importing the same or an
    overlapping export adds only the lines not yet in the ledger.
    """
    summary = OrderImportSummary()
    report = progress or (lambda fraction: None)
    lines, errors = read_order_lines(source, warehouse, summary, lambda f: report(0.5 * f))
    skus = _resolve_skus(lines, errors)
    errors.refuse_if_any()
    report(0.5)
    with transaction.atomic():
        planned = _plan_movements(lines, skus, warehouse, summary)
        del lines
        if planned:
            posted = post_lines(
                [movement for movement, _row in planned],
                [row for _movement, row in planned],
                source=SOURCE,
                user=user,
                progress=lambda f: report(0.5 + 0.5 * f),
            )
            for result in posted:
                if not result.created:  # posted meanwhile by a concurrent import
                    summary.already_present += 1
                elif result.movement.kind == MovementKind.SALE:
                    summary.sales += 1
                elif result.movement.external_ref.endswith(":cancel"):
                    summary.reversals += 1
                else:
                    summary.returns += 1
    report(1.0)
    logger.info("tiktok import into %s: %s", warehouse.code, summary.as_dict())
    return summary
