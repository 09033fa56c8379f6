"""`field__any_of=<queryset of one column>`: `__in` with a subquery, evaluated once.

On PostgreSQL `x IN (SELECT …)` is planned as a join whose row count is guessed: the user's
warehouse memberships are estimated at one row, and a 100k-row list filtered by them was read
through one bitmap scan per warehouse (41 ms for the replenishment list filtered by ad advice,
docs/performance.md). `x = ANY(ARRAY(SELECT …))` runs the subquery once as an init plan and
filters the scan by its values, as a literal list of ids would (18 ms), without the extra query
that reading the ids first would cost. Other databases get the plain `IN (SELECT …)`.
"""

from django.db.models import Field, ForeignObject, Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"

    def get_prep_lookup(self):
        return self.rhs  # a QuerySet: compiled as a subquery, never prepared as a value

    def _sides(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        if not rhs.startswith("("):
            rhs = f"({rhs})"
        return lhs, rhs, (*lhs_params, *rhs_params)

    def as_sql(self, compiler, connection):
        lhs, rhs, params = self._sides(compiler, connection)
        return f"{lhs} IN {rhs}", params

    def as_postgresql(self, compiler, connection):
        lhs, rhs, params = self._sides(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", params


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # a foreign key's lookups are its own
