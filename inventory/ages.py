"""The age of a pair's oldest unit in stock, read rather than stored.

Every unit in stock gets a day older every night, so a stored age meant rewriting ~95 % of the
facts rows each night (0.5 s of a 100k-SKU night, docs/performance.md). The nightly job stores
the day of the oldest FIFO layer (`SkuFacts.oldest_unit_date`, which changes only when the pair
moves) and the day its state is as of (`FactsState.as_of`); readers compute the age from the
two, in the same statement (no extra query), on PostgreSQL and SQLite.
"""

from django.db.models import F, Func, IntegerField, Subquery

from inventory.models import FactsState


class DaysBetween(Func):
    """(later − earlier) in whole days; NULL when either is NULL."""

    output_field = IntegerField()
    arity = 2

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ")

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
        )


def facts_day() -> Subquery:
    """The day the nightly figures are as of (NULL before the first run)."""
    return Subquery(FactsState.objects.filter(pk=1).values("as_of")[:1])


def oldest_unit_age(date_field: str = "oldest_unit_date") -> DaysBetween:
    """Age in days of the oldest unit in stock, as of the last nightly run (DOMAIN.md)."""
    return DaysBetween(facts_day(), F(date_field))
