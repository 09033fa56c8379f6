import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# Nightly order: inventory's facts run at 0-49 (rows, demand, ageing/slow movers, ABC), then
# planning reads them, then the alerts follow the planning figures.
PLANNING_STEP_ORDER = 50
PLANNING_WRITE_STEP_ORDER = 52
AD_ADVICE_STEP_ORDER = 55
ALERTS_STEP_ORDER = 60


def enqueue_recheck(movement_ids: list[int]) -> None:
    """After a posting commits: queue the touched pairs for the real-time check, and schedule
    the check unless one is already scheduled (`alerts.rechecks`).

    With the broker down the check runs here instead, so an alert still opens and its email
    waits in the outbox for the sweep. A committed posting never fails because of either.
    """
    from alerts import rechecks
    from alerts.tasks import recheck_pending_task

    try:
        took_flag = rechecks.queue_after_posting(movement_ids)
    except Exception:
        logger.warning(
            "could not queue the check: checking %d movements in-process",
            len(movement_ids),
            exc_info=True,
        )
        _check_here(lambda: rechecks.recheck_movements(movement_ids))
        return
    if not took_flag:
        return  # the check already scheduled takes these pairs too
    try:
        recheck_pending_task.apply_async(countdown=rechecks.WINDOW_SECONDS)
    except Exception:
        logger.warning("broker unavailable: checking the queue in-process", exc_info=True)
        _check_here(rechecks.recheck_pending)


def _check_here(check) -> None:
    try:
        check()
    except Exception:  # the beat's sweep or the nightly run catches up
        logger.exception("could not check the stock after a posting")


def annotate_stock_rows(rows):
    """`stock/` rows (StockBalance) get this app's planning figures, joined in the same query."""
    from django.db.models import F, FilteredRelation, Q

    return rows.annotate(
        plan=FilteredRelation(
            "sku__planning", condition=Q(sku__planning__warehouse=F("warehouse"))
        ),
        planned_safety_stock=F("plan__safety_stock_units"),
        planned_reorder_point=F("plan__reorder_point_units"),
        planned_status=F("plan__status"),
        planned_days_of_cover=F("plan__days_of_cover"),
        planned_suggested_order_qty=F("plan__suggested_order_qty"),
        planned_ad_advice=F("plan__ad_advice"),
    )


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Replenishment and alerts")

    def ready(self):
        from alerts import checks  # noqa: F401  (registers the settings check)
        from alerts.planning import ad_advice_nightly, planning_nightly, planning_write_nightly
        from alerts.services import alerts_nightly
        from inventory import hooks

        # Planning reads the demand facts and this run's marks; with a second connection it
        # computes from the demand step's figures while their write commits there, and writes
        # once it has ("planning write"). Ageing (on the side line) writes the slow-mover flags
        # that only the ad advice reads: the "ad advice" step settles that once both have
        # committed, on the side line (where ageing left the pairs it flipped). The alerts
        # follow the statuses, which no flag changes.
        hooks.register_nightly_step(
            PLANNING_STEP_ORDER, "planning", planning_nightly, needs=("facts rows", "demand")
        )
        hooks.register_nightly_step(
            PLANNING_WRITE_STEP_ORDER,
            "planning write",
            planning_write_nightly,
            needs=("planning", "demand write"),
        )
        hooks.register_nightly_step(
            AD_ADVICE_STEP_ORDER,
            "ad advice",
            ad_advice_nightly,
            needs=("planning write", "ageing"),
            side=True,
        )
        hooks.register_nightly_step(
            ALERTS_STEP_ORDER, "alerts", alerts_nightly, needs=("planning write",)
        )
        hooks.on_movements_posted(enqueue_recheck)
        from alerts.tiles import open_alerts_tile, reorder_today_tile

        hooks.register_dashboard_tile(open_alerts_tile)
        hooks.register_dashboard_tile(reorder_today_tile)
        if annotate_stock_rows not in hooks.stock_row_annotators:
            hooks.stock_row_annotators.append(annotate_stock_rows)
