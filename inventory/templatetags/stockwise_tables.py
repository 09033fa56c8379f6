"""`{% table_body table %}`, `{% table_head table %}` and `{% table_pagination table %}`: the
rows, the header and the page links of a django-tables2 table, rendered in Python.

The library's template renders each cell through the template engine and recomputes the
column's `<td>` attributes for every cell; at 50 rows × 15 columns that was most of a list
page's time (docs/performance.md). This renders the same HTML (tests compare it with the
library's output for every list): attributes computed once per column unless they depend on
the record (a callable), cells rendered, localised and escaped as `{{ cell }}` would.

A column whose render method takes only what a cell has without the library's row object
(`value`, `record`, `column`, `bound_column`, `table`), with static attributes and at most a
`linkify` link whose URL needs no more, is rendered straight from the records, its default when
the value is empty, without the library's per-cell machinery (about 40 µs a cell; a 100-row
ageing page has 1,700 cells). A choice field on the record itself gets its label as the value,
as the library's `get_FOO_display()` gives it; a choice field further along the accessor takes
the library's path.

The header and the page links are the library's bootstrap 5 blocks written out: each sort
link and page link went through `{% querystring_replace %}` and the template engine (about
3 ms of an 18 ms replenishment page, measured by emptying the two blocks).
"""

import re
from decimal import Decimal

from django import template
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.template.base import render_value_in_context
from django.template.defaultfilters import date as date_filter
from django.utils import numberformat
from django.utils.encoding import force_str
from django.utils.formats import get_format, localize
from django.utils.html import conditional_escape, escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, gettext
from django_tables2 import A, BooleanColumn, DateColumn, DateTimeColumn
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.rows import BoundRow
from django_tables2.templatetags.django_tables2 import table_page_range

from inventory.table_pages import cached_signature as signature

register = template.Library()


def _td_attrs_are_static(bound_column) -> bool:
    attrs = {**bound_column._table.attrs, **bound_column.column.attrs}
    cell = attrs.get("td", attrs.get("cell", {}))
    return not any(callable(value) for value in cell.values())


class _Numbers:
    """`number_format` of the active language with its separators read once a page: Django
    looks up the language and three formats for every number (a 100-row ageing page has
    1,300), though they cannot change while a page renders."""

    def __init__(self):
        language = get_language()
        self.decimal_sep = get_format("DECIMAL_SEPARATOR", language, use_l10n=True)
        self.grouping = get_format("NUMBER_GROUPING", language, use_l10n=True)
        self.thousand_sep = get_format("THOUSAND_SEPARATOR", language, use_l10n=True)
        self.plain_int = not settings.USE_THOUSAND_SEPARATOR or self.grouping == 0

    def format(self, number) -> str:
        if self.plain_int and type(number) is int:
            return str(number)  # numberformat's own shortcut for this case
        return numberformat.format(
            number, self.decimal_sep, None, self.grouping, self.thousand_sep, use_l10n=True
        )


_LOCALISED_NUMBERS = (int, Decimal, float)


def _cell_html(bound_column, cell, context, numbers: _Numbers) -> str:
    """What `{{ cell }}` gives (or `localize` when the column says), with the common cases —
    a string, a number — without the general path's checks."""
    kind = type(cell)
    if kind is str or kind is SafeString:  # localtime and localize leave strings alone
        return conditional_escape(cell)
    use_l10n = context.use_l10n if bound_column.localize is None else bool(bound_column.localize)
    if kind in _LOCALISED_NUMBERS and use_l10n is not False:
        return conditional_escape(numbers.format(cell))
    if bound_column.localize is None:
        return render_value_in_context(cell, context)
    return conditional_escape(localize(cell, use_l10n=use_l10n))


# What a cell can be rendered from without the library's BoundRow (which `bound_row` needs).
_FAST_ARGUMENTS = frozenset({"value", "record", "column", "bound_column", "table"})


def _link_is_fast(link) -> bool:
    """No link, or a `linkify` link whose URL and attributes need no row object."""
    if link is None:
        return True
    if any(callable(value) for value in (link.attrs or {}).values()):
        return False
    if callable(link.url):
        arguments, keywords = signature(link.url)
        return keywords is None and set(arguments) <= _FAST_ARGUMENTS
    return True


def _resolver(accessor: A):
    """`accessor.resolve` for a cell, quicker on model records: the library tries a dictionary
    lookup first at every step (a TypeError raised and caught on a model) before the attribute;
    along model instances to a value that is not callable, the attributes alone give the same.
    Anything else (a dict record, a None on the way, a method) takes the library's path."""
    bits = accessor.bits
    model = models.Model

    def resolve(record):
        current = record
        for bit in bits:
            if not isinstance(current, model):
                return accessor.resolve(record)
            current = getattr(current, bit)
        if callable(current):
            return accessor.resolve(record)
        return current

    return resolve


def _plain_link(link, bound_column, table):
    """For a link without attributes — `linkify=True` (the URL from `get_absolute_url()`) or
    a callable taking only `_FAST_ARGUMENTS` — a function that wraps a cell's content in it as
    the library's `LinkTransform` does, without building and joining an attribute dict a cell;
    else None."""
    if link is None or link.reverse_args or link.attrs:
        return None
    if link.url is not None and not callable(link.url):
        return None
    accessor = A(link.accessor if link.accessor is not None else bound_column.name)
    if callable(link.url):
        arguments, _keywords = signature(link.url)
        given = {"column": bound_column.column, "bound_column": bound_column, "table": table}

    def wrap(content, value, record):
        if callable(link.url):
            available = {**given, "value": value, "record": record}
            url = link.url(**{name: available[name] for name in arguments})
        else:
            target = accessor.resolve(record)
            if not hasattr(target, "get_absolute_url"):
                target = record  # the library raises a TypeError when neither has one, as here
            url = target.get_absolute_url()
        if url is None or url == "":  # no link, or the library's empty attribute: its path
            return None
        return mark_safe(f'<a href="{conditional_escape(url)}">{conditional_escape(content)}</a>')  # noqa: S308

    return wrap


def _boolean_cells(column, bound_column, table, record):
    """A `BooleanColumn` without its own render method, on a field without choices: its two
    cells, rendered once a page by the library's method (True first); else None."""
    if type(column) is not BooleanColumn or getattr(table, f"render_{bound_column.name}", None):
        return None
    if isinstance(record, models.Model):
        try:
            field = A(bound_column.accessor).get_field(type(record))
        except FieldDoesNotExist:
            field = None
        if getattr(field, "choices", None):
            return None
    return {
        flag: column.render(value=flag, record=None, bound_column=bound_column)
        for flag in (True, False)
    }


_DATE_TEMPLATE = re.compile(r'^\{\{ value\|date:"([^"]+)"\|default:default \}\}$')


def _date_cell(bound_column, table):
    """A library `DateColumn` / `DateTimeColumn` as its template renders it — `{{ value|date:
    FORMAT|default:default }}`, in local time, escaped — without a template and a context a
    cell (two such columns were 40 % of a 50-row alert page); else None."""
    column = bound_column.column
    if type(column) not in (DateColumn, DateTimeColumn) or column.extra_context:
        return None
    if getattr(table, f"render_{bound_column.name}", None) or bound_column.link is not None:
        return None
    match = _DATE_TEMPLATE.match(column.template_code or "")
    if match is None or not _td_attrs_are_static(bound_column):
        return None
    date_format, empty = match.group(1), column.empty_values
    resolve, default = _resolver(A(bound_column.accessor)), bound_column.default

    def cell(record):
        try:
            value = resolve(record)
        except Exception:  # noqa: BLE001 - as the library: a missing value is None
            value = None
        if value in empty:
            return default
        return conditional_escape(date_filter(template_localtime(value), date_format) or default)

    return cell


def _value_cell(bound_column, table, record):
    """For a column whose render method (the table's `render_<name>` or the column's own) takes
    only `_FAST_ARGUMENTS`, with static attributes and at most a fast link, a function giving
    the cell of a record; else None (the library's own path)."""
    date_cell = _date_cell(bound_column, table)
    if date_cell is not None:
        return date_cell
    if (
        isinstance(bound_column.column, BaseLinkColumn)  # the library renders its text
        or not _td_attrs_are_static(bound_column)
        or not _link_is_fast(bound_column.link)
    ):
        return None
    render = getattr(table, f"render_{bound_column.name}", None) or bound_column.column.render
    arguments, keywords = signature(render)  # as the library reads it
    if keywords is not None or not set(arguments) <= _FAST_ARGUMENTS:
        return None
    accessor = A(bound_column.accessor)
    display = None
    if isinstance(record, models.Model):  # the library shows get_FOO_display() of choices
        try:
            field = accessor.get_field(type(record))
        except FieldDoesNotExist:
            field = None
        if getattr(field, "choices", None):
            if "__" in str(bound_column.accessor) or "." in str(bound_column.accessor):
                return None
            # What get_FOO_display() gives, translated once a page (it rebuilds the choices'
            # dict, hashing and translating every lazy label, for every cell).
            display = {key: force_str(label, strings_only=True) for key, label in field.flatchoices}
    column = bound_column.column
    fixed = {"column": column, "bound_column": bound_column, "table": table}
    fixed = {name: fixed[name] for name in arguments if name in fixed}
    wants_value, wants_record = "value" in arguments, "record" in arguments
    empty, default = column.empty_values, bound_column.default

    link = bound_column.link
    plain_link = _plain_link(link, bound_column, table)
    booleans = _boolean_cells(column, bound_column, table, record)
    resolve = _resolver(accessor)

    def cell(row_record):
        try:
            value = resolve(row_record)
            if display is not None:
                value = display.get(value, value)
        except Exception:  # noqa: BLE001 - as the library: a missing value is None
            value = None
        if value in empty:
            return default
        if booleans is not None:
            content = booleans[bool(value)]
        else:
            kwargs = dict(fixed)
            if wants_value:
                kwargs["value"] = value
            if wants_record:
                kwargs["record"] = row_record
            content = render(**kwargs)
        if link is None:
            return content
        if plain_link is not None:
            linked = plain_link(content, value, row_record)
            if linked is not None:
                return linked
        return link(
            content,
            value=value,
            record=row_record,
            column=column,
            bound_column=bound_column,
            table=table,
        )

    return cell


@register.simple_tag(takes_context=True)
def table_body(context, table):
    columns = list(table.columns)
    static_td = {
        column.name: column.attrs["td"].as_html()
        for column in columns
        if _td_attrs_are_static(column)
    }
    parts = []
    direct = None
    numbers = _Numbers()
    # Row attributes that depend on nothing but the row's parity are built twice a page.
    static_rows = not any(callable(value) for value in table.row_attrs.values())
    row_open: dict[str, str] = {}
    for row in table.paginated_rows:
        if direct is None:
            direct = {c.name: _value_cell(c, table, row.record) for c in columns}
        if static_rows and type(row) is BoundRow:
            parity = row.get_even_odd_css_class()
            if parity not in row_open:
                row_open[parity] = format_html("<tr {}>", row.attrs.as_html())
            parts.append(row_open[parity])
        else:
            parts.append(format_html("<tr {}>", row.attrs.as_html()))
        for column in columns:
            value_cell = direct[column.name]
            if value_cell is not None:
                cell = value_cell(row.record)
                td = static_td[column.name]
            else:
                cell = row.get_cell(column.name)
                column.current_value, column.current_record = cell, row.record
                td = static_td.get(column.name)
                if td is None:
                    td = column.attrs["td"].as_html()
            parts.append(f"<td {td}>{_cell_html(column, cell, context, numbers)}</td>")
        parts.append("</tr>")
    if not parts and table.empty_text:
        parts.append(
            format_html('<tr><td colspan="{}">{}</td></tr>', len(columns), table.empty_text)
        )
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped or safe HTML


def _attrs_html(attrs, name: str) -> str:
    """`{{ attrs.<name>.as_html }}`: empty when there is no such entry."""
    entry = attrs.get(name) if attrs is not None else None
    return entry.as_html() if hasattr(entry, "as_html") else ""


class _Query:
    """`{% querystring_replace key=value %}` for one key, many values: the request's query
    string with that key replaced, escaped for an attribute."""

    def __init__(self, request, key: str):
        self.params, self.key = dict(request.GET), key

    def href(self, value) -> str:
        return escape("?" + urlencode({**self.params, self.key: value}, doseq=True))


@register.simple_tag(takes_context=True)
def table_head(context, table):
    if not table.show_header:
        return ""
    query = _Query(context["request"], table.prefixed_order_by_field)
    cells = []
    for column in table.columns:
        header = render_value_in_context(column.header, context)
        if column.orderable:
            header = f'<a href="{query.href(column.order_by_alias.next)}">{header}</a>'
        else:  # the library's template leaves spaces around a bare header
            header = f" {header} "
        cells.append(f'<th {column.attrs["th"].as_html()} scope="col">{header}</th>')
    thead = _attrs_html(table.attrs, "thead")
    return mark_safe(f"<thead {thead}><tr>{''.join(cells)}</tr></thead>")  # noqa: S308 - escaped


@register.simple_tag(takes_context=True)
def table_pagination(context, table):
    page = getattr(table, "page", None)
    if not page or not table.paginator.num_pages > 1:
        return ""
    query = _Query(context["request"], table.prefixed_page_field)
    items = []
    if page.has_previous():
        items.append(
            f'<li class="previous page-item"><a href="{query.href(page.previous_page_number())}" '
            f'class="page-link"><span aria-hidden="true">&laquo;</span> '
            f"{escape(gettext('previous'))} </a></li>"
        )
    if page.has_previous() or page.has_next():
        for number in table_page_range(page, table.paginator):
            active = " active" if page.number == number else ""
            href = f'href="{query.href(number)}"' if number != "..." else ""
            text = render_value_in_context(number, context)
            items.append(
                f'<li class="page-item{active}"><a class="page-link" {href}> {text} </a></li>'
            )
    if page.has_next():
        items.append(
            f'<li class="next page-item"><a href="{query.href(page.next_page_number())}" '
            f'class="page-link"> {escape(gettext("next"))} '
            f'<span aria-hidden="true">&raquo;</span></a></li>'
        )
    return mark_safe(  # noqa: S308 - every piece above is escaped
        '<nav aria-label="Table navigation"><ul class="pagination justify-content-center">'
        f"{''.join(items)}</ul></nav>"
    )
