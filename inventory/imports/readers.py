"""Spreadsheet readers: CSV and XLSX as a stream of (row number, cells).

Row numbers are the ones the user sees in a spreadsheet (the header is row 1). CSV is read as
UTF-8 with or without a BOM. XLSX goes through openpyxl in read-only mode, with defusedxml
installed (openpyxl then parses XML safely), after the zip directory has been checked against the
size and compression-ratio limits: a zip bomb is refused before any XML is parsed.
"""

import contextlib
import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from defusedxml import DefusedXmlException
from django.conf import settings
from django.utils.translation import gettext as _

from inventory.imports.base import ImportRefused, RowError

CSV, XLSX = "csv", "xlsx"
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class Table:
    """An open spreadsheet: `rows` yields (row number, cells); `fraction()` is how far it got."""

    format: str
    rows: Iterator[tuple[int, Sequence]]
    excel_epoch: datetime | None = None
    _position: list = field(default_factory=lambda: [0.0])

    def fraction(self) -> float:
        return self._position[0]


def refuse(message: str) -> ImportRefused:
    return ImportRefused([RowError(None, message)])


def entities_refused_message() -> str:
    """Why a workbook declaring XML entities (a "billion laughs" bomb) is refused."""
    return _("The workbook declares XML entities, which spreadsheets never need; refused.")


def is_entity_bomb(exc: BaseException | None) -> bool:
    """Did defusedxml refuse an entity declaration somewhere down this exception's chain?
    (openpyxl wraps it in a ValueError of its own.)"""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, DefusedXmlException):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


@contextlib.contextmanager
def open_table(source: str | Path | BinaryIO) -> Iterator[Table]:
    """Open a CSV or XLSX file (a path or a binary file object; the format is sniffed)."""
    with contextlib.ExitStack() as stack:
        file = (
            stack.enter_context(open(source, "rb"))  # noqa: SIM115 - closed by the stack
            if isinstance(source, str | Path)
            else source
        )
        file.seek(0)
        head = file.read(4)
        file.seek(0)
        size = _size(file)
        if head == _ZIP_MAGIC:
            yield _xlsx_table(file, stack)
        else:
            yield _csv_table(file, size, stack)


def _size(file) -> int:
    position = file.tell()
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(position)
    return size


def _csv_table(file, size: int, stack: contextlib.ExitStack) -> Table:
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    # Do not close the caller's file object when the wrapper goes away.
    stack.callback(text.detach)
    table = Table(format=CSV, rows=iter(()))

    def rows() -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(text)
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):  # noqa: B007 - used after the loop
                if number % 1000 == 0 and size:
                    table._position[0] = min(1.0, file.tell() / size)
                yield number, cells
        except UnicodeDecodeError:
            raise refuse(_("The file is not UTF-8 text (save it as CSV UTF-8).")) from None
        except csv.Error as exc:
            raise ImportRefused(
                [RowError(number + 1, _("Not a readable CSV row: %s") % exc)]
            ) from None
        table._position[0] = 1.0

    table.rows = rows()
    return table


def check_zip_limits(file) -> None:
    """Refuse an XLSX whose unpacked size or compression ratio passes the settings' limits.

    Uses only the zip directory. Python's zipfile never unpacks more than an entry declares
    (and checks its CRC), so a lying directory cannot smuggle more data past this check.
    """
    limits = settings.STOCKWISE
    max_bytes = limits["XLSX_MAX_UNCOMPRESSED_MB"] * 1024 * 1024
    max_ratio = limits["XLSX_MAX_COMPRESSION_RATIO"]
    try:
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise refuse(_("The file is not a valid XLSX workbook.")) from None
    unpacked = sum(e.file_size for e in entries)
    packed = sum(e.compress_size for e in entries)
    if unpacked > max_bytes:
        raise refuse(
            _("The workbook unpacks to %(mb)d MB, more than the %(limit)d MB allowed.")
            % {"mb": unpacked // (1024 * 1024), "limit": limits["XLSX_MAX_UNCOMPRESSED_MB"]}
        )
    worst = max(
        (e.file_size / max(e.compress_size, 1) for e in entries if e.file_size > 1024 * 1024),
        default=0,
    )
    if (packed and unpacked / packed > max_ratio) or worst > max_ratio:
        raise refuse(
            _("The workbook is compressed suspiciously well (over %(ratio)d:1); refused.")
            % {"ratio": max_ratio}
        )
    file.seek(0)


def _xlsx_table(file, stack: contextlib.ExitStack) -> Table:
    from openpyxl import load_workbook
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:  # pragma: no cover - defusedxml is a pinned dependency
        raise refuse(_("XLSX import needs the defusedxml package."))
    check_zip_limits(file)
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken workbook
        if is_entity_bomb(exc):
            raise refuse(entities_refused_message()) from None
        raise refuse(_("The workbook cannot be read: %s") % exc) from None
    stack.callback(workbook.close)
    sheet = workbook.worksheets[0]
    estimate = sheet.max_row or 0
    # Exporters sometimes write a wrong <dimension>: read every cell there is.
    sheet.reset_dimensions()
    table = Table(format=XLSX, rows=iter(()), excel_epoch=workbook.epoch)

    def rows() -> Iterator[tuple[int, tuple]]:
        try:
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number % 1000 == 0 and estimate:
                    table._position[0] = min(1.0, number / estimate)
                yield number, cells
        except Exception as exc:  # the sheet itself is parsed lazily, row by row
            if is_entity_bomb(exc):
                raise refuse(entities_refused_message()) from None
            raise
        table._position[0] = 1.0

    table.rows = rows()
    return table
