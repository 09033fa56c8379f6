from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = _("Inventory")

    def ready(self):
        from inventory import dashboard, hooks, lookups, table_pages  # noqa: F401 (lookups: __any_of)
        from inventory.abc import abc_classify
        from inventory.ageing import ageing_facts_update
        from inventory.demand import demand_facts_update, demand_facts_write
        from inventory.facts import facts_ensure_rows
        from inventory.turnover_notices import turnover_band_check
        from inventory.window import (
            DEMAND_ROWS,
            DEMAND_RUN,
            TOUCHED_ROWS,
            recent_peak_read,
            recent_peak_write,
        )

        table_pages.install()
        hooks.register_nightly_step(0, "facts rows", facts_ensure_rows)
        # The 7-day peak reads only the rollup: on the second connection while the demand step
        # keeps the first busy; it writes once the demand write has (the same connection).
        hooks.register_nightly_step(
            5, "7-day peak read", recent_peak_read, needs=("facts rows",), side=True
        )
        hooks.register_nightly_step(10, "demand", demand_facts_update, needs=("facts rows",))
        # With a second connection the demand step only computes; its write, the rest of the
        # facts (ageing, ABC, the turnover band, the 7-day peak) follow on that connection
        # while planning computes from the demand step's figures on this one
        # (inventory/night_runner.py). Ageing comes first: the ad advice waits for its flags.
        hooks.register_nightly_step(
            12,
            "demand write",
            demand_facts_write,
            needs=("demand",),
            side=True,
            handoff=(DEMAND_ROWS, DEMAND_RUN, TOUCHED_ROWS),
        )
        written = ("demand write",)
        hooks.register_nightly_step(
            15, "ageing", ageing_facts_update, needs=written, side=True, handoff=("sw_moved",)
        )
        hooks.register_nightly_step(20, "abc", abc_classify, needs=written, side=True)
        hooks.register_nightly_step(
            40, "turnover band", turnover_band_check, needs=written, side=True
        )
        hooks.register_nightly_step(
            45,
            "7-day peak",
            recent_peak_write,
            needs=(*written, "7-day peak read"),
            side=True,
        )
        for tile in dashboard.INVENTORY_TILES:
            hooks.register_dashboard_tile(tile)
