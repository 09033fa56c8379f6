"""`{% table_body table %}`: the rows of a django-tables2 table, rendered in Python.

The library's template renders each cell through the template engine and recomputes the
column's `<td>` attributes for every cell; at 50 rows × 15 columns that was most of a list
page's time (docs/performance.md). This renders the same HTML (tests compare it with the
library's output for every list): attributes computed once per column unless they depend on
the record (a callable), cells rendered, localised and escaped as `{{ cell }}` would.
"""

from django import template
from django.template.base import render_value_in_context
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

register = template.Library()


def _td_attrs_are_static(bound_column) -> bool:
    attrs = {**bound_column._table.attrs, **bound_column.column.attrs}
    cell = attrs.get("td", attrs.get("cell", {}))
    return not any(callable(value) for value in cell.values())


def _cell_html(bound_column, cell, context) -> str:
    if bound_column.localize is None:
        return render_value_in_context(cell, context)
    return conditional_escape(localize(cell, use_l10n=bool(bound_column.localize)))


@register.simple_tag(takes_context=True)
def table_body(context, table):
    columns = list(table.columns)
    static_td = {
        column.name: column.attrs["td"].as_html()
        for column in columns
        if _td_attrs_are_static(column)
    }
    parts = []
    for row in table.paginated_rows:
        parts.append(format_html("<tr {}>", row.attrs.as_html()))
        for column, cell in row.items():
            td = static_td.get(column.name)
            if td is None:
                td = column.attrs["td"].as_html()
            parts.append(f"<td {td}>{_cell_html(column, cell, context)}</td>")
        parts.append("</tr>")
    if not parts and table.empty_text:
        parts.append(
            format_html('<tr><td colspan="{}">{}</td></tr>', len(columns), table.empty_text)
        )
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped or safe HTML
