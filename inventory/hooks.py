"""A small registry through which the workflow apps plug into inventory without inventory
importing them (STYLE.md: apps depend on inventory, never the other way).

- `after_movements_posted`: callables taking a list of movement ids, run after the posting
  transaction commits (alerts re-check the touched SKUs there).
- `nightly_steps`: NightlyStep(order, name, callable(as_of_date), needs, side, handoff) run in
  order by the nightly job (`inventory.night_runner` says what `needs`, `side` and `handoff` do).
- `dashboard_tiles`: callables(request) -> dict for the landing page.
- `stock_row_annotators`: callables(StockBalance queryset) -> queryset, adding the figures an
  app owns to the rows of `stock/` (alerts adds SS, ROP, status, suggestion and ad advice as
  `planned_<field>` annotations).
- `sku_list_columns`: SkuListColumn(name, verbose_name, annotate(queryset, user)) adding a
  sortable column to the SKU list (counting adds "last counted").
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple


class NightlyStep(NamedTuple):
    order: int
    name: str
    func: Callable
    # The earlier steps whose committed results this one reads; None: every earlier step.
    needs: tuple[str, ...] | None = None
    # May run on the night's second connection, beside the main line (inventory.night_runner).
    side: bool = False
    # Temporary tables of the run this step reads (copied to the second connection).
    handoff: tuple[str, ...] = ()


after_movements_posted: list[Callable[[list[int]], None]] = []
nightly_steps: list[NightlyStep] = []
dashboard_tiles: list[Callable] = []
stock_row_annotators: list[Callable] = []


@dataclass(frozen=True)
class SkuListColumn:
    name: str
    verbose_name: str
    annotate: Callable  # (SKU queryset, user) -> queryset with an annotation called `name`


sku_list_columns: list[SkuListColumn] = []


def register_sku_list_column(column: SkuListColumn) -> None:
    if all(c.name != column.name for c in sku_list_columns):
        sku_list_columns.append(column)


def on_movements_posted(func):
    """Decorator: register `func(movement_ids)` to run after a posting commits."""
    if func not in after_movements_posted:
        after_movements_posted.append(func)
    return func


def run_after_movements_posted(movement_ids: list[int]) -> None:
    for func in after_movements_posted:
        func(movement_ids)


def register_nightly_step(
    order: int,
    name: str,
    func: Callable,
    *,
    needs: tuple[str, ...] | None = None,
    side: bool = False,
    handoff: tuple[str, ...] = (),
) -> None:
    if all(step.name != name for step in nightly_steps):
        nightly_steps.append(NightlyStep(order, name, func, needs, side, handoff))
        nightly_steps.sort(key=lambda step: step.order)


def register_dashboard_tile(func: Callable) -> Callable:
    """Register `func(request) -> dict | None` as a dashboard tile (usable as a decorator).

    The dict: `title`, `value`, `detail`, `url` (the tile's page), `order` (smaller first),
    `severity` (None, "info", "success", "warning" or "danger"). Return None when the tile does
    not apply to the user (e.g. their role may not see it). Keep it to one or two queries.
    """
    if func not in dashboard_tiles:
        dashboard_tiles.append(func)
    return func
