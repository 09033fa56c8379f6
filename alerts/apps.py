import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# Nightly order: inventory's facts run at 0-49 (rows, demand, ABC, ageing/slow movers), then
# planning reads them, then the alerts follow the planning figures.
PLANNING_STEP_ORDER = 50
ALERTS_STEP_ORDER = 60


def enqueue_recheck(movement_ids: list[int]) -> None:
    """After a posting commits: hand the touched pairs to the real-time check."""
    from alerts.tasks import recheck_movements_task

    try:
        recheck_movements_task.delay(list(movement_ids))
    except Exception:  # never fail a committed posting; the nightly run catches up
        logger.exception("could not enqueue the stock check of %d movements", len(movement_ids))


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Replenishment and alerts")

    def ready(self):
        from alerts import checks  # noqa: F401  (registers the settings check)
        from alerts.planning import planning_recompute
        from alerts.services import alerts_nightly
        from inventory import hooks

        hooks.register_nightly_step(PLANNING_STEP_ORDER, "planning", planning_recompute)
        hooks.register_nightly_step(ALERTS_STEP_ORDER, "alerts", alerts_nightly)
        hooks.on_movements_posted(enqueue_recheck)
