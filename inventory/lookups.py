"""`field__any_of=<queryset of one column, or a list>`: `__in`, with the values as one array.

On PostgreSQL `x IN (SELECT …)` is planned as a join whose row count is guessed: the user's
warehouse memberships are estimated at one row, and a 100k-row list filtered by them was read
through one bitmap scan per warehouse (41 ms for the replenishment list filtered by ad advice,
docs/performance.md). `x = ANY(ARRAY(SELECT …))` runs the subquery once as an init plan and
filters the scan by its values, as a literal list of ids would (18 ms), without the extra query
that reading the ids first would cost. Other databases get the plain `IN (SELECT …)`. Only
for a subquery of a few rows: the array of 100k SKU ids a broad search matches cost 104 ms
where the semi-join of `__in` cost 1.4 ms.

A list becomes one array parameter on PostgreSQL (`x = ANY(%s)`): an ageing search's 2,000
SKU ids as `IN (%s, …)` were resolved one by one by Django and spliced into the statement's
text one by one by psycopg. Other databases get `IN (%s, …)`.
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject, Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"

    def get_prep_lookup(self):
        return self.rhs  # a QuerySet (compiled as a subquery) or a list, as it is

    def _sides(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        if not rhs.startswith("("):
            rhs = f"({rhs})"
        return lhs, rhs, (*lhs_params, *rhs_params)

    def _values(self) -> list | None:
        if isinstance(self.rhs, (list, tuple, set, frozenset)):
            if not self.rhs:
                raise EmptyResultSet  # as `__in=[]`: the condition matches nothing
            return list(self.rhs)
        return None

    def as_sql(self, compiler, connection):
        values = self._values()
        if values is not None:
            lhs, lhs_params = self.process_lhs(compiler, connection)
            return f"{lhs} IN ({', '.join(['%s'] * len(values))})", (*lhs_params, *values)
        lhs, rhs, params = self._sides(compiler, connection)
        return f"{lhs} IN {rhs}", params

    def as_postgresql(self, compiler, connection):
        values = self._values()
        if values is not None:
            lhs, lhs_params = self.process_lhs(compiler, connection)
            return f"{lhs} = ANY(%s)", (*lhs_params, values)
        lhs, rhs, params = self._sides(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", params


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # a foreign key's lookups are its own
