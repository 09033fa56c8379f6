"""List pages at 100k rows: cheaper cells, and per-row figures added to the page's rows only.

`page_records_decorate` (and `PageFiguresMixin` for list views): a figure that is a subquery
per row (a user's on hand, the facts of a pair) costs a subquery for every row the database
sorts or skips with OFFSET, not only for the 50 shown; computed afterwards for the page's
records it is one query for 50 rows.

`CachedCountPaginator`: the page links of a list of tens of thousands of rows need their
number, one COUNT over every matching row (20–45 ms at 100k pairs, more than the page's
rows); it is kept for a minute.

`cached_signature` and `cached_template`: django-tables2 looks up the signature of a column's
render method and compiles a `TemplateColumn`'s template code (every date column) again for
every cell; both never change, so they are computed once.

django-tables2 (3.0) calls `inspect.signature` on a column's `render`/`value`/`linkify` callable
for every cell it renders: 50 rows × 15 columns is 750 signature computations per page, about a
fifth of a list page's Python time at 100k SKUs (profiled with cProfile, docs/performance.md).
The signature of a function never changes, so it is computed once per function. Bound methods
are keyed by their underlying function (a new bound-method object is made on every attribute
access); the cache holds functions weakly, so a lambda made per request does not leak.
"""

import functools
import hashlib
import inspect
import weakref
from collections.abc import Callable

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.template import Template
from django.utils.functional import cached_property
from django_tables2 import utils
from django_tables2.columns import templatecolumn
from django_tables2.rows import BoundRows

from inventory.soft_cache import soft_get_or_compute

_original_signature = utils.signature
_by_function: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def cached_signature(fn):
    if inspect.ismethod(fn):
        key, bound = fn.__func__, True
    elif inspect.isfunction(fn):
        key, bound = fn, False
    else:  # a callable object or a builtin: rare, not cached
        return _original_signature(fn)
    per_kind = _by_function.setdefault(key, {})  # plain functions: hashable, weakly held
    if bound not in per_kind:
        per_kind[bound] = _original_signature(fn)
    return per_kind[bound]


@functools.lru_cache(maxsize=512)
def cached_template(template_code: str) -> Template:
    """A column's template code, compiled once (a compiled Template renders any context)."""
    return Template(template_code)


def install() -> None:
    """Make django-tables2 use the cached lookups (idempotent; called from AppConfig.ready)."""
    utils.signature = cached_signature
    templatecolumn.Template = cached_template


def page_records_decorate(table, decorate: Callable[[list], list | None]) -> None:
    """Call `decorate(records)` on the records of the table's current page (it sets attributes
    on them, or returns the records to show instead), and show those records. Nothing happens
    when the table is not paginated."""
    page = getattr(table, "page", None)
    if page is None:
        return
    rows = page.object_list  # BoundRows over a slice of the table's data
    records = list(rows.data)
    if records:
        replaced = decorate(records)
        if replaced is not None:
            records = replaced
    page.object_list = BoundRows(data=records, table=table, pinned_data=rows.pinned_data)


def page_rows_by_key(table, rows: QuerySet) -> None:
    """Show on the table's current page the `rows` whose keys are that page of the table's
    data (a queryset of keys, sorted and cut by the table), in one query: the page's keys are
    a subquery (`pk IN (SELECT id … ORDER BY … LIMIT 50 OFFSET n)`) and the rows are sorted
    again the same way. `rows` must carry the names the keys are sorted by."""
    page = getattr(table, "page", None)
    if page is None:
        return
    keys = page.object_list.data  # the paginator's slice of the sorted keys, not yet read
    ordering = keys.query.order_by or keys.model._meta.ordering
    records = rows.filter(pk__in=keys.values("pk")).order_by(*ordering)
    page.object_list = BoundRows(
        data=list(records), table=table, pinned_data=page.object_list.pinned_data
    )


class PageFiguresMixin:
    """For a `SingleTableMixin` list view: per-row figures are added to the page's records by
    `add_page_figures(records)` after pagination. An export has no page: `get_queryset` puts
    the figures in the query then (`self.exporting`), and for the one the rows are sorted by
    (`self.sorted_by`)."""

    @property
    def exporting(self) -> bool:
        return bool(self.request.GET.get(self.export_trigger_param))

    @property
    def sorted_by(self) -> str:
        return self.request.GET.get("sort", "").lstrip("-")

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        if not self.exporting:
            self.decorate_page(table)
        return table

    def decorate_page(self, table) -> None:
        page_records_decorate(table, self.add_page_figures)

    def add_page_figures(self, records) -> list | None:
        raise NotImplementedError


def rows_in_order(queryset: QuerySet, records) -> list:
    """The rows of `queryset` with the ids of `records`, in their order: a page read as ids,
    then whole. A row deleted between the two reads (the nightly job drops an inactive SKU's
    planning rows) is left off the page rather than failing it."""
    by_pk = queryset.in_bulk([record.pk for record in records])
    return [by_pk[record.pk] for record in records if record.pk in by_pk]


class PageRowsMixin(PageFiguresMixin):
    """For a list whose rows are read with their related rows (`select_related`): the list
    is filtered, sorted, counted and paginated as ids (of `get_sort_queryset`, the full rows
    unless a view gives lighter ones), and the page's rows are then read whole by id
    (`get_full_queryset`), one query more. Joined before the LIMIT, a page of 50 alerts hashed
    all 48k alerts with 100k SKUs (122 ms at 100k SKUs; the ids alone: 14 ms). An export reads
    whole rows."""

    def get_full_queryset(self) -> QuerySet:
        raise NotImplementedError

    def get_sort_queryset(self) -> QuerySet:
        """What the list filters and sorts (annotations kept for that); read as ids."""
        return self.get_full_queryset()

    def get_queryset(self):
        if self.exporting:
            return self.get_full_queryset()
        return self.get_sort_queryset().select_related(None).only("pk")

    def add_page_figures(self, records) -> list:
        return rows_in_order(self.get_full_queryset(), records)


class CachedCountPaginator(Paginator):
    """A paginator whose count of a long list (LIST_COUNT_CACHE_ROWS rows or more) is kept in
    the shared cache for LIST_COUNT_CACHE_SECONDS.

    The key is the count's SQL with its parameters, so it differs by filter and by the user's
    warehouses (the scope is in the query). Only the number of pages can be a minute old; the
    rows shown are always read afresh. Shorter lists are counted every time (it is cheap, and a
    row added there shows in the page count at once)."""

    @cached_property
    def count(self) -> int:
        queryset = _queryset_of(self.object_list)
        if queryset is None:
            return super().count
        try:
            sql = str(queryset.order_by().query)
        except Exception:  # noqa: BLE001 - e.g. an empty IN list has no SQL: count it
            return super().count
        count = soft_get_or_compute(
            "list-count:" + hashlib.sha256(f"{queryset.db}:{sql}".encode()).hexdigest(),
            queryset.count,
            settings.STOCKWISE["LIST_COUNT_CACHE_SECONDS"],
            keep=lambda n: n >= settings.STOCKWISE["LIST_COUNT_CACHE_ROWS"],
        )
        table_data = getattr(self.object_list, "data", None)
        if table_data is not None and getattr(table_data, "data", None) is queryset:
            table_data._length = count  # django-tables2 would count the rows again for len()
        return count


def _queryset_of(object_list) -> QuerySet | None:
    """The QuerySet behind a paginator's list: itself, or a django-tables2 table's rows."""
    if isinstance(object_list, QuerySet):
        return object_list
    table_data = getattr(object_list, "data", None)  # BoundRows → TableQuerysetData
    queryset = getattr(table_data, "data", None)
    return queryset if isinstance(queryset, QuerySet) else None
