from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClearanceConfig(AppConfig):
    name = "clearance"
    verbose_name = _("Clearance")

    def ready(self):
        from clearance.services import batches_propose_due
        from inventory import hooks

        # After the ageing step (15) has flagged the slow movers: "clearance proposals when due".
        hooks.register_nightly_step(90, "clearance proposals", batches_propose_due)
        from clearance.tiles import open_batches_tile, slow_mover_capital_tile

        hooks.register_dashboard_tile(slow_mover_capital_tile)
        hooks.register_dashboard_tile(open_batches_tile)
