"""What every import shares: row errors, the refusal, cell parsers and chunked posting."""

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from inventory.services import MovementLine, PostedMovement, PostingError, movements_post

# A refusal lists at most this many row errors (the total is kept): enough to fix a file.
MAX_LISTED_ERRORS = 500

Progress = Callable[[float], None]


@dataclass(frozen=True)
class RowError:
    """A reason a row (numbered as the spreadsheet shows it; None = the whole file) is bad."""

    row: int | None
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        return _("Row %(row)d: %(message)s") % {"row": self.row, "message": self.message}


class ImportRefused(Exception):  # noqa: N818 - a refusal, not a crash
    """The file is refused whole; nothing was written. `errors` are sorted by row."""

    def __init__(self, errors: Iterable[RowError]):
        ordered = sorted(errors, key=lambda e: (e.row is not None, e.row or 0))
        self.total = len(ordered)
        self.errors = ordered[:MAX_LISTED_ERRORS]
        super().__init__("; ".join(str(e) for e in self.errors[:5]))

    def as_json(self) -> list[dict]:
        return [{"row": e.row, "message": e.message} for e in self.errors]


class ErrorList(list):
    """Collects row errors while a file is read; `refuse_if_any()` raises them together."""

    def add(self, row: int | None, message: str) -> None:
        self.append(RowError(row, message))

    def refuse_if_any(self) -> None:
        if self:
            raise ImportRefused(self)


def clean_text(value) -> str:
    """A cell as text: TikTok ends several cells with a tab (a lone tab is an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def normalise_header(value) -> str:
    return " ".join(clean_text(value).lstrip("\ufeff").casefold().split())


_INT_RE = re.compile(r"^[+-]?\d+(?:\.0*)?$")


def parse_int(value, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number from a cell ("3", "3.0", 3.0 or 3); ValueError with a readable reason."""
    if isinstance(value, bool):
        raise ValueError(_("“%(value)s” is not a whole number.") % {"value": value})
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError(_("“%(value)s” is not a whole number.") % {"value": value})
        number = int(value)
    else:
        text = clean_text(value).replace(",", "") if isinstance(value, str) else clean_text(value)
        if not _INT_RE.match(text):
            raise ValueError(_("“%(value)s” is not a whole number.") % {"value": clean_text(value)})
        number = int(text.split(".")[0])
    if minimum is not None and number < minimum:
        raise ValueError(
            _("%(value)s is less than %(minimum)s.") % {"value": number, "minimum": minimum}
        )
    if maximum is not None and number > maximum:
        raise ValueError(
            _("%(value)s is more than %(maximum)s.") % {"value": number, "maximum": maximum}
        )
    return number


def parse_decimal(value, *, places: int = 4) -> Decimal:
    """A non-negative amount ("12.50", "1,234.5", 12.5); ValueError with a readable reason."""
    text = clean_text(value).replace(",", "")
    for symbol in ("$", "฿", "Rp", "₫", "¥", "€", "£"):
        text = text.replace(symbol, "")
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(
            _("“%(value)s” is not an amount.") % {"value": clean_text(value)}
        ) from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(_("“%(value)s” is not an amount.") % {"value": clean_text(value)})
    if amount >= Decimal(10) ** (12 - places):
        raise ValueError(_("%(value)s is too large.") % {"value": amount})
    return amount.quantize(Decimal(1).scaleb(-places))


_SLASH_TIME_RE = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp])\.?[Mm]\.?$"
    r"|^(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$"
)
_EXCEL_EPOCH = datetime(1899, 12, 30)


def parse_local_time(value, tz: ZoneInfo, *, excel_epoch: datetime | None = None) -> datetime:
    """A shop-local time from a cell, as an aware datetime in `tz`.

    US exports write `12/15/2025 9:30:33 AM` (AM/PM: month first), Southeast Asian ones
    `25/06/2026 13:03:57` (24-hour: day first). ISO text, spreadsheet datetimes and Excel serial
    numbers (XLSX) are accepted too. ValueError when the cell is none of these.
    """
    if isinstance(value, datetime):
        return value.replace(tzinfo=tz) if value.tzinfo is None else value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not 1 <= value < 2958466:  # Excel's own range: 1900-01-01 .. 9999-12-31
            raise ValueError(_("“%(value)s” is not a date.") % {"value": value})
        naive = (excel_epoch or _EXCEL_EPOCH) + timedelta(days=float(value))
        # Serial numbers carry float noise: round to the second, as Excel shows them.
        naive = (naive + timedelta(microseconds=500_000)).replace(microsecond=0)
        return naive.replace(tzinfo=tz)
    text = clean_text(value)
    match = _SLASH_TIME_RE.match(text)
    try:
        if match and match.group(1):
            month, day, year = (int(match.group(i)) for i in (1, 2, 3))
            hour = int(match.group(4))
            if not 1 <= hour <= 12:
                raise ValueError
            hour = hour % 12 + (12 if match.group(7).upper() == "P" else 0)
            minute, second = int(match.group(5)), int(match.group(6) or 0)
            return datetime(year, month, day, hour, minute, second, tzinfo=tz)
        if match:
            day, month, year, hour, minute = (int(match.group(i)) for i in range(8, 13))
            second = int(match.group(13) or 0)
            return datetime(year, month, day, hour, minute, second, tzinfo=tz)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(_("“%(value)s” is not a date and time.") % {"value": text}) from None
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed


def chunked(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def in_batch_size() -> int:
    """How many values one `IN (…)` may carry: SQLite caps query parameters."""
    return 900 if connection.vendor == "sqlite" else 10_000


def post_lines(
    lines: list[MovementLine],
    rows: list[int],
    *,
    source: str,
    user=None,
    progress: Progress | None = None,
) -> list[PostedMovement]:
    """Post `lines` (from spreadsheet `rows`) in chunks inside ONE transaction.

    A refused chunk is collected, the next chunks are still tried so that the user sees as many
    refusals as possible, and then the whole import is rolled back: nothing is written. The
    posting service's line indexes are mapped back to spreadsheet rows.
    """
    size = settings.STOCKWISE["IMPORT_CHUNK_SIZE"]
    errors = ErrorList()
    posted: list[PostedMovement] = []
    with transaction.atomic():
        for start in range(0, len(lines), size):
            chunk = lines[start : start + size]
            try:
                with transaction.atomic():
                    posted += movements_post(lines=chunk, source=source, user=user)
            except PostingError as exc:
                for index, message in exc.line_errors:
                    errors.add(rows[start + index] if index < len(chunk) else None, message)
            if progress:
                progress(min(1.0, (start + len(chunk)) / len(lines)))
        errors.refuse_if_any()
    return posted


def match_columns(
    cells, *, required: tuple[str, ...], optional: tuple[str, ...] = (), aliases=None
) -> dict[str, int]:
    """Column index of each known key in a header row, matched by name (case, spaces and `_`
    ignored); ImportRefused naming row 1 when a required one is missing."""
    aliases = aliases or {}
    wanted = {}
    for key in required + optional:
        for name in (key, *aliases.get(key, ())):
            wanted[normalise_header(name).replace("_", " ")] = key
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = wanted.get(normalise_header(cell).replace("_", " "))
        if key and key not in found:
            found[key] = index
    missing = [key for key in required if key not in found]
    if missing:
        raise ImportRefused(
            [RowError(1, _("Missing column “%(column)s”.") % {"column": key}) for key in missing]
        )
    return found


def cell(cells, index: int | None):
    """The cell at `index`, None past the end of a short row or for an absent column."""
    if index is None or index >= len(cells):
        return None
    return cells[index]
