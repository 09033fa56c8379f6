"""Pagination of the API's long lists.

`LedgerCursorPagination`: the ledger, newest first, by cursor. Limit/offset counted every
matching movement on every page (1.5 s at 10M movements) and shifted under an integration
reading it while movements arrived (a row skipped or read twice); a cursor does neither.

`KeysFirstPagination`: limit/offset over a list of wide rows (alerts with their warehouse, SKU
and users). Sorting every full row to return 100 cost 225 ms of a 261 ms request at 48k
alerts; the keys are sorted and skipped alone, then the page's rows are read by key (79 ms).
Not used for the stock rows: their order (warehouse code, seller SKU) joins every SKU either
way, and keys first measured the same (447 against 468 ms at 100k pairs).

Both limit/offset paginations sort in a total order (`inventory.stable_order`): alerts opened
by the same nightly run share their opening time, and an integration reading them page by page
got some twice and others never.
"""

from django.db.models import QuerySet
from rest_framework.pagination import CursorPagination, LimitOffsetPagination

from inventory.stable_order import stable_order


class LedgerCursorPagination(CursorPagination):
    ordering = ("-occurred_at", "-id")
    page_size = 100
    page_size_query_param = "limit"
    max_page_size = 1000


class StableLimitOffsetPagination(LimitOffsetPagination):
    """The API's default: limit/offset over the list in a total order, at most 1,000 rows a
    page (as the ledger's cursor; a larger ?limit= read a whole catalogue in one answer)."""

    max_limit = 1000

    def paginate_queryset(self, queryset, request, view=None):
        if isinstance(queryset, QuerySet):
            queryset = stable_order(queryset)
        return super().paginate_queryset(queryset, request, view)


class KeysFirstPagination(StableLimitOffsetPagination):
    def paginate_queryset(self, queryset, request, view=None):
        if not isinstance(queryset, QuerySet):
            return super().paginate_queryset(queryset, request, view)
        keys = super().paginate_queryset(queryset.values_list("pk", flat=True), request, view)
        if keys is None:  # no pagination asked for (never: PAGE_SIZE is set)
            return None
        rows = {row.pk: row for row in queryset.filter(pk__in=list(keys))}
        return [rows[key] for key in keys if key in rows]
