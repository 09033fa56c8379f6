"""Table exports (CSV/XLSX) that spreadsheets cannot turn into formulas."""

import re

from django_tables2.export import TableExport
from django_tables2.export.views import ExportMixin

# A cell starting with one of these is run as a formula by Excel / Sheets (OWASP CSV injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A plain signed number ("-3", "+1.5") is data, not a formula. Strict on purpose: float() would
# also accept "\t5", "-inf" or "-nan".
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)\Z")


def neutralise_cell(value):
    """Prefix a text cell that a spreadsheet would read as a formula with a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        if _PLAIN_NUMBER.match(value):
            return value
        return "'" + value
    return value


class SafeTableExport(TableExport):
    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        dataset = super().table_to_dataset(table, exclude_columns, dataset_kwargs)
        headers = dataset.headers
        rows = [tuple(neutralise_cell(v) for v in row) for row in dataset]
        dataset.wipe()
        dataset.headers = headers
        for row in rows:
            dataset.append(row)
        return dataset


class SafeExportMixin(ExportMixin):
    export_class = SafeTableExport
    export_formats = (TableExport.CSV, TableExport.XLSX)
