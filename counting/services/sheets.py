"""Count sheets for offline counting: an XLSX of the lines, and the import of the filled sheet.

The sheet is blind like the entry page (no expected quantity). An import is all or nothing: any
bad row refuses the whole file with its row numbers and writes nothing. Each row's entry key is
derived from the file's hash and the row number, so importing the same file twice adds nothing.
"""

import hashlib
import io
import uuid
import zipfile
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from counting.models import CountEntry, CountKind, CountLine, CountSession, LineReason
from counting.selectors import may_enter_counts, session_lines
from counting.services.entries import (
    EntryItem,
    check_line_open,
    check_takes_entries,
    class_snapshot,
    entries_write,
    lock_session,
)
from inventory.exports import neutralise_cell
from inventory.imports.base import ImportRefused
from inventory.imports.readers import (
    check_zip_limits,
    entities_refused_message,
    is_entity_bomb,
)
from inventory.models import SKU

SHEET_COLUMNS = ["line", "seller_sku", "tiktok_sku_id", "barcode", "name", "bin", "counted"]
MAX_ROWS = 20_000
MAX_ERRORS_SHOWN = 50
_KEY_NAMESPACE = uuid.UUID("5b0e8f2e-3c1d-4f57-9a52-6f1f0c1e7a11")


def sheet_xlsx(session: CountSession) -> bytes:
    """The session's lines as an XLSX with an empty `counted` column to fill in."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"Count {session.pk}"[:31]
    sheet.append(SHEET_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in session_lines(session):
        sku = line.sku
        sheet.append(
            [
                line.pk,
                neutralise_cell(sku.seller_sku),
                neutralise_cell(sku.tiktok_sku_id),
                neutralise_cell(sku.barcode),
                neutralise_cell(sku.name),
                neutralise_cell(line.bin),
                None,
            ]
        )
    for letter, width in zip("ABCDEFG", (8, 20, 22, 16, 40, 10, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@dataclass
class ImportResult:
    entries: int
    already_imported: int


@dataclass
class _Row:
    number: int
    line_id: int | None
    seller_sku: str
    counted: int


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _counted(value) -> int | None:
    """A counted cell: blank -> None; a whole number >= 0; anything else raises ValueError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError
        value = int(value)
    number = value if isinstance(value, int) else int(str(value).strip())
    if number < 0 or number > 1_000_000:
        raise ValueError
    return number


def _read_rows(data: bytes) -> tuple[list[_Row], list[str]]:
    """Parse the sheet into rows to record (blank `counted` skipped) and per-row errors.

    The zip directory is checked against the import limits first (a zip bomb is refused before
    anything is unpacked) and XML entity declarations are refused (billion laughs).
    """
    not_xlsx = _("This is not an XLSX file (Excel 2007 or later).")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ValidationError(not_xlsx)
    try:
        check_zip_limits(io.BytesIO(data))
    except ImportRefused as exc:
        raise ValidationError([e.message for e in exc.errors]) from None
    try:
        return _parse_rows(data)
    except Exception as exc:
        if is_entity_bomb(exc):
            raise ValidationError(entities_refused_message()) from None
        if isinstance(exc, zipfile.BadZipFile | KeyError | OSError | ValueError):
            raise ValidationError(not_xlsx) from exc
        raise


def _parse_rows(data: bytes) -> tuple[list[_Row], list[str]]:
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [(_cell_text(v)).lower() for v in next(rows, ())]
    if "counted" not in header or not ({"line", "seller_sku"} & set(header)):
        raise ValidationError(
            _("The first row must name the columns: “counted” and “line” or “seller_sku”.")
        )
    col = {name: header.index(name) for name in ("line", "seller_sku", "counted") if name in header}
    parsed, errors = [], []
    for number, values in enumerate(rows, start=2):
        if number - 1 > MAX_ROWS:
            raise ValidationError(_("The sheet has more than %(max)s rows.") % {"max": MAX_ROWS})
        values = list(values) + [None] * (len(header) - len(values))
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        raw_counted = values[col["counted"]]
        try:
            counted = _counted(raw_counted)
        except ValueError:
            errors.append(
                _("Row %(row)s: counted “%(value)s” is not a whole number from 0 to 1,000,000.")
                % {"row": number, "value": raw_counted}
            )
            continue
        if counted is None:
            continue
        line_text = _cell_text(values[col["line"]]) if "line" in col else ""
        seller_sku = _cell_text(values[col["seller_sku"]]) if "seller_sku" in col else ""
        if line_text and not line_text.isdigit():
            errors.append(
                _("Row %(row)s: line “%(value)s” is not a line number.")
                % {"row": number, "value": line_text}
            )
            continue
        if not line_text and not seller_sku:
            errors.append(_("Row %(row)s: no line and no Seller SKU.") % {"row": number})
            continue
        parsed.append(_Row(number, int(line_text) if line_text else None, seller_sku, counted))
    workbook.close()
    return parsed, errors


def _resolve_lines(session: CountSession, rows: list[_Row], user, errors: list[str]):
    """Map each row to its line (new lines for SKUs found during a full count); row errors."""
    lines = {line.pk: line for line in session.lines.select_related("sku")}
    by_sku = {line.sku.seller_sku: line for line in lines.values()}
    unknown_codes = {r.seller_sku for r in rows if r.line_id is None} - set(by_sku)
    skus = {s.seller_sku: s for s in SKU.objects.filter(seller_sku__in=unknown_codes)}
    resolved: list[tuple[_Row, CountLine | SKU]] = []
    for row in rows:
        target = None
        if row.line_id is not None:
            target = lines.get(row.line_id)
            if target is None:
                errors.append(
                    _("Row %(row)s: line %(line)s is not part of count #%(id)s.")
                    % {"row": row.number, "line": row.line_id, "id": session.pk}
                )
                continue
            if row.seller_sku and row.seller_sku != target.sku.seller_sku:
                errors.append(
                    _("Row %(row)s: line %(line)s is %(sku)s, not %(other)s.")
                    % {
                        "row": row.number,
                        "line": row.line_id,
                        "sku": target.sku.seller_sku,
                        "other": row.seller_sku,
                    }
                )
                continue
        else:
            target = by_sku.get(row.seller_sku)
            if target is None and row.seller_sku not in skus:
                errors.append(
                    _("Row %(row)s: unknown Seller SKU “%(sku)s”.")
                    % {"row": row.number, "sku": row.seller_sku}
                )
                continue
            if target is None and session.kind != CountKind.FULL:
                errors.append(
                    _("Row %(row)s: %(sku)s is not on this count's list.")
                    % {"row": row.number, "sku": row.seller_sku}
                )
                continue
            target = target or skus[row.seller_sku]
        if isinstance(target, CountLine):
            try:
                check_line_open(target, user)
            except ValidationError as exc:
                errors.append(
                    _("Row %(row)s: %(reason)s") % {"row": row.number, "reason": exc.messages[0]}
                )
                continue
        resolved.append((row, target))
    return resolved


def sheet_import(*, session: CountSession, data: bytes, user) -> ImportResult:
    """Record the counts of a filled sheet, all rows or none.

    Bad rows raise ValidationError listing every row number and reason; nothing is written.
    """
    rows, errors = _read_rows(data)
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        locked = lock_session(session)
        if not may_enter_counts(user, locked):
            raise PermissionDenied
        check_takes_entries(locked)
        resolved = _resolve_lines(locked, rows, user, errors)
        if errors:
            shown = errors[:MAX_ERRORS_SHOWN]
            if len(errors) > MAX_ERRORS_SHOWN:
                shown.append(_("… and %(n)s more rows.") % {"n": len(errors) - MAX_ERRORS_SHOWN})
            raise ValidationError(
                [_("Nothing was imported. Fix these rows and upload the file again:")] + shown
            )
        keys = {row.number: uuid.uuid5(_KEY_NAMESPACE, f"{digest}:{row.number}") for row in rows}
        seen = set(
            CountEntry.objects.filter(idempotency_key__in=keys.values()).values_list(
                "idempotency_key", flat=True
            )
        )
        new_skus = {t.pk: t for _r, t in resolved if isinstance(t, SKU)}
        created_lines = {}
        if new_skus:
            classes = class_snapshot(locked.warehouse_id, list(new_skus))
            for sku in new_skus.values():
                created_lines[sku.pk] = CountLine.objects.create(
                    session=locked, sku=sku, reason=LineReason.FOUND, abc_class=classes[sku.pk]
                )
        items = []
        for row, target in resolved:
            if keys[row.number] in seen:
                continue
            line = created_lines[target.pk] if isinstance(target, SKU) else target
            items.append(EntryItem(line, row.counted, keys[row.number]))
        if items:
            entries_write(locked, items, user=user, source=CountEntry.Source.SHEET)
    return ImportResult(entries=len(items), already_imported=len(resolved) - len(items))
