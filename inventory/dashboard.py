"""The landing page's tiles: every app registers `callable(request) -> dict | None` with
`hooks.register_dashboard_tile` in its `AppConfig.ready()`; the dashboard renders them all.

Inventory's own tiles (stock value, units on hand, SKUs out of stock, annualised turnover, DIO,
turnover notices) share two memoised reads per request, so they cost three or four queries
together whatever the number of SKUs and warehouses.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from inventory import hooks, selectors
from inventory.models import StockBalance, Warehouse
from inventory.roles import Capability, can
from inventory.soft_cache import soft_get_or_compute
from inventory.turnover import Band, Period, TurnoverRow, turnover_series
from inventory.turnover_notices import notices_for

logger = logging.getLogger(__name__)

SEVERITIES = ("info", "success", "warning", "danger")
_MEMO = "_stockwise_dashboard"
TURNOVER_CACHE_SECONDS = 600


def collect_tiles(request) -> list[dict]:
    """Every registered tile for this request, in `order`. A tile that fails is logged and shown
    as unavailable instead of taking the whole landing page down."""
    tiles = []
    for position, func in enumerate(hooks.dashboard_tiles):
        try:
            tile = func(request)
        except Exception:
            logger.exception("dashboard tile %r failed", func)
            name = getattr(func, "__name__", "tile").replace("_", " ")
            tile = {"title": name, "value": "—", "detail": _("Unavailable right now.")}
            tile["severity"] = "warning"
        if not tile:
            continue
        severity = tile.get("severity")
        tiles.append(
            {
                "title": str(tile.get("title", "")),
                "value": tile.get("value", ""),
                "detail": tile.get("detail", ""),
                "url": tile.get("url", ""),
                "order": tile.get("order", 1000 + position),
                "severity": severity if severity in SEVERITIES else None,
            }
        )
    return sorted(tiles, key=lambda t: t["order"])


def _memo(request) -> dict:
    if not hasattr(request, _MEMO):
        setattr(request, _MEMO, {})
    return getattr(request, _MEMO)


def user_warehouses(request) -> list[Warehouse]:
    """The user's warehouses, read once per request."""
    memo = _memo(request)
    if "warehouses" not in memo:
        memo["warehouses"] = list(selectors.warehouses_for(request.user))
    return memo["warehouses"]


@dataclass(frozen=True)
class StockSummary:
    units: int
    value: Decimal
    skus_out_of_stock: int


def stock_summary(request) -> StockSummary:
    """Units, value and out-of-stock SKUs over the user's warehouses: one aggregate query."""
    memo = _memo(request)
    if "stock" not in memo:
        ids = [w.pk for w in user_warehouses(request)]
        agg = StockBalance.objects.filter(warehouse_id__in=ids).aggregate(
            units=Sum("on_hand"),
            value=Sum(F("on_hand") * F("sku__unit_cost")),
            out=Count("sku", filter=Q(on_hand__lte=0, sku__active=True), distinct=True),
        )
        memo["stock"] = StockSummary(
            units=agg["units"] or 0,
            value=Decimal(str(agg["value"] or 0)),
            skus_out_of_stock=agg["out"] or 0,
        )
    return memo["stock"]


def trailing_turnover(request) -> tuple[TurnoverRow, TurnoverRow]:
    """(this window, the window before) of the whole business over the user's warehouses; the
    window is TURNOVER_TRAILING_DAYS ending today, the same figure the turnover page shows."""
    memo = _memo(request)
    if "turnover" not in memo:
        days = settings.STOCKWISE["TURNOVER_TRAILING_DAYS"]
        current = Period.trailing(days)
        previous = Period.trailing(days, current.start - timedelta(days=1))
        warehouses = user_warehouses(request)

        def compute():
            # Both windows in one statement: one read of the ledger from the earlier start.
            before, now = turnover_series(warehouses=warehouses, periods=[previous, current])
            return now, before

        # Two 90-day windows read ~5M ledger rows at 100k SKUs (3 s): the landing page keeps
        # the ratio for a few minutes, invisible on a 90-day figure.
        ids = ",".join(str(w.pk) for w in warehouses)
        key = f"dashboard-turnover:{current.start}:{current.end}:{ids}"
        memo["turnover"] = soft_get_or_compute(
            key, compute, TURNOVER_CACHE_SECONDS, keep=lambda _value: True
        )
    return memo["turnover"]


def _can_see_stock(request) -> bool:
    return can(request.user, Capability.VIEW_STOCK) and bool(user_warehouses(request))


def fmt_number(value, places: int = 2) -> str:
    """A figure rounded half up (number_format alone truncates), "—" when undefined."""
    if value is None:
        return "—"
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return number_format(rounded, decimal_pos=places, force_grouping=True)


def _money(value: Decimal) -> str:
    return fmt_number(value, 2)


def _ratio(value, places: int = 2) -> str:
    return fmt_number(value, places)


def _turnover_url(days: int, group: str = "category") -> str:
    return f"{reverse('inventory:turnover')}?period={days}&group={group}"


def stock_value_tile(request) -> dict | None:
    if not _can_see_stock(request):
        return None
    return {
        "title": _("Stock value"),
        "value": _money(stock_summary(request).value),
        "detail": _("On hand × unit cost, in %(n)d warehouse(s)")
        % {"n": len(user_warehouses(request))},
        "url": reverse("inventory:warehouse_list"),
        "order": 10,
    }


def turnover_tile(request) -> dict | None:
    if not _can_see_stock(request):
        return None
    current, previous = trailing_turnover(request)
    severity = {Band.BELOW: "warning", Band.ABOVE: "warning", Band.IN: "success"}
    return {
        "title": _("Annualised turnover, last %(days)d days") % {"days": current.days},
        "value": _ratio(current.annualised_turnover),
        "detail": _("Before: %(before)s · healthy band %(low)s–%(high)s")
        % {
            "before": _ratio(previous.annualised_turnover),
            "low": _ratio(current.band_min),
            "high": _ratio(current.band_max),
        },
        "url": _turnover_url(current.days),
        "order": 20,
        "severity": severity.get(current.band),
    }


def dio_tile(request) -> dict | None:
    if not _can_see_stock(request):
        return None
    current, previous = trailing_turnover(request)
    return {
        "title": _("Days of inventory (DIO)"),
        "value": _ratio(current.dio, 1),
        "detail": _("Before: %(before)s days") % {"before": _ratio(previous.dio, 1)},
        "url": _turnover_url(current.days, "sku"),
        "order": 30,
    }


def units_tile(request) -> dict | None:
    if not _can_see_stock(request):
        return None
    return {
        "title": _("Units on hand"),
        "value": number_format(stock_summary(request).units, force_grouping=True),
        "detail": "",
        "url": reverse("inventory:sku_list"),
        "order": 40,
    }


def out_of_stock_tile(request) -> dict | None:
    if not _can_see_stock(request):
        return None
    out = stock_summary(request).skus_out_of_stock
    return {
        "title": _("SKUs out of stock"),
        "value": number_format(out, force_grouping=True),
        "detail": _("Active SKUs with nothing on hand in one of your warehouses"),
        "url": f"{reverse('inventory:sku_list')}?stock=out",
        "order": 50,
        "severity": "danger" if out else "success",
    }


def turnover_notices_tile(request) -> dict | None:
    if not (_can_see_stock(request) and can(request.user, Capability.APPROVE)):
        return None
    count = len(dashboard_notices(request))
    return {
        "title": _("Turnover notices"),
        "value": number_format(count, force_grouping=True),
        "detail": _("Warehouses or categories out of the healthy band"),
        "url": f"{reverse('inventory:turnover')}#notices",
        "order": 60,
        "severity": "warning" if count else None,
    }


def dashboard_notices(request) -> list:
    """Open turnover notices of the user's warehouses (managers only), read once per request."""
    memo = _memo(request)
    if "notices" not in memo:
        memo["notices"] = list(notices_for(request.user))
    return memo["notices"]


INVENTORY_TILES = (
    stock_value_tile,
    turnover_tile,
    dio_tile,
    units_tile,
    out_of_stock_tile,
    turnover_notices_tile,
)
