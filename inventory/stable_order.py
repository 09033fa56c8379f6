"""List pages sorted in a total order, so paging never repeats or skips a row.

Sorted by a column with ties (at 100k SKUs, half the replenishment rows suggest ordering 0
units and half the ageing rows hold nothing over 180 days), `ORDER BY column LIMIT 50 OFFSET n`
leaves the order of the tied rows to the database, and PostgreSQL's sorts put them in a
different order for each LIMIT: over the first six pages of such lists 3, 4 and 23 rows showed
twice (so as many never showed). Every table of the product is a `StableTable`: whatever the
sort, the primary key breaks the ties (unless the sort already names a unique set of columns,
such as the replenishment list's warehouse and SKU).
"""

from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db.models import F, OrderBy, QuerySet
from django_tables2 import tables
from django_tables2.data import TableQuerysetData


def _plain_names(ordering) -> set[str]:
    """The field names an ordering sorts by (expressions other than a plain F are left out)."""
    names = set()
    for item in ordering:
        if isinstance(item, str):
            names.add(item.lstrip("-+"))
        elif isinstance(item, OrderBy) and isinstance(item.expression, F):
            names.add(item.expression.name)
    return names


def _is_total(model, ordering) -> bool:
    """Whether `ordering` already tells every row of `model` apart."""
    meta = model._meta
    fields = set()
    for name in _plain_names(ordering):
        if name == "pk":
            return True
        try:
            field = meta.get_field(name)
        except FieldDoesNotExist:  # a related field's column or an annotation
            continue
        if field.primary_key or field.unique:
            return True
        fields.add(field.name)
    unique_sets = [set(c.fields) for c in meta.total_unique_constraints]
    unique_sets += [set(together) for together in meta.unique_together]
    return any(unique <= fields for unique in unique_sets)


def stable_order(queryset: QuerySet) -> QuerySet:
    """`queryset` with the primary key as the last sort key where its ordering has ties.

    Grouped, combined, DISTINCT ON and distinct `values()` queries are left alone: their rows
    are not the model's rows, and a key added to their ORDER BY would change what they return."""
    query = queryset.query
    if query.combinator or query.group_by is not None or query.distinct_fields:
        return queryset
    if query.distinct and query.values_select:
        return queryset
    ordering = list(query.order_by)
    if not ordering and query.default_ordering:
        ordering = list(queryset.model._meta.ordering)
    if _is_total(queryset.model, ordering):
        return queryset
    return queryset.order_by(*ordering, "pk")


class StableOrderData(TableQuerysetData):
    """A table's queryset, kept in a total order through every sort the table applies."""

    def __init__(self, data):
        super().__init__(stable_order(data))

    def order_by(self, aliases):
        super().order_by(aliases)
        self.data = stable_order(self.data)


# A hand-typed ?per_page= above this would render a whole catalogue as one page.
MAX_PER_PAGE = 500


def page_size(asked: int | None, default: int) -> int:
    """The rows a page shows for a `?per_page=` of `asked`: the default for none or less than
    one (the paginator failed on them: a 500), at most MAX_PER_PAGE."""
    if asked is None or asked < 1:
        return default
    return min(asked, MAX_PER_PAGE)


class StableTable(tables.Table):
    """The base of every table in the product (a test holds them to it): sorted in a total
    order, and paginated by a page size that cannot fail."""

    def __init__(self, data=None, *args, **kwargs):
        if isinstance(data, QuerySet):
            data = StableOrderData(data)
        super().__init__(data, *args, **kwargs)

    def paginate(self, paginator_class=Paginator, per_page=None, page=1, *args, **kwargs):
        per_page = page_size(per_page, self._meta.per_page)
        return super().paginate(paginator_class, per_page, page, *args, **kwargs)
