"""The replenishment arithmetic of DOMAIN.md ("Safety stock, reorder point, order quantity",
"Stock status and alerts"), as pure functions: no database, no settings.

The nightly SQL (alerts/planning.py) computes the same figures set-based; a test proves the two
agree on many random SKUs. Whole units use `ceil_units`, which forgives floating-point noise
below 1e-9 (d·L + SS = 300.00000000000006 is 300 units, not 301), the same in SQL.
"""

import math
from collections.abc import Sequence
from statistics import NormalDist

STOCKOUT = "STOCKOUT"
BELOW_SAFETY = "BELOW_SAFETY"
REORDER = "REORDER"
OVERSTOCK = "OVERSTOCK"
OK = "OK"
STATUSES = (STOCKOUT, BELOW_SAFETY, REORDER, OVERSTOCK, OK)  # by severity: urgency = index
ALERTING = (STOCKOUT, BELOW_SAFETY, REORDER)
RECOVERED = (OVERSTOCK, OK)

PAUSE = "PAUSE"
REDUCE = "REDUCE"
PUSH = "PUSH"
KEEP = "KEEP"

EPSILON = 1e-9


def day_available(q: float, previous_closing: float) -> bool:
    """A day counts for demand when the day before closed with stock or something sold."""
    return previous_closing > 0 or q > 0


def demand_stats(daily_demand: Sequence[float], available: Sequence[bool]) -> tuple[float, float]:
    """(d, sigma_d): mean and sample std (n - 1) of q_t over the available days (DOMAIN.md).

    The same sums as inventory/demand.py's SQL (n, S1 = sum q, S2 = sum q^2; variance
    (S2 - S1^2 / n) / (n - 1), clamped at 0), so both give the same doubles. No available day:
    (0, 0); one: (d, 0).
    """
    if len(daily_demand) != len(available):
        raise ValueError("daily_demand and available must have one value per day")
    n, s1, s2 = 0, 0.0, 0.0
    for q, ok in zip(daily_demand, available, strict=True):
        if ok:
            n += 1
            s1 += q
            s2 += q * q
    if n == 0:
        return 0.0, 0.0
    d = s1 / n
    var = s2 - s1 * s1 / n
    sigma = math.sqrt(var / (n - 1)) if n > 1 and var > 0 else 0.0
    return d, sigma


def z_for(service_level: float) -> float:
    """Inverse standard normal of the service level (0.95 -> 1.6449)."""
    if not 0 < service_level < 1:
        raise ValueError(f"service level must be between 0 and 1, not {service_level}")
    return NormalDist().inv_cdf(float(service_level))


def safety_stock(d: float, sigma_d: float, lead_time: float, sigma_l: float, z: float) -> float:
    """SS = z * sqrt(L * sigma_d^2 + d^2 * sigma_L^2)."""
    return z * math.sqrt(lead_time * sigma_d * sigma_d + d * d * sigma_l * sigma_l)


def reorder_point(d: float, lead_time: float, ss: float) -> float:
    """ROP = d * L + SS."""
    return d * lead_time + ss


def ceil_units(value: float) -> int:
    """Whole units, rounded up (ignoring floating-point noise below 1e-9)."""
    return math.ceil(value - EPSILON)


def order_up_to(d: float, lead_time: float, review_days: float, ss: float) -> float:
    """S = d * (L + R) + SS."""
    return d * (lead_time + review_days) + ss


def suggested_order(s: float, inventory_position: int, case_pack: int, moq: int) -> int:
    """max(0, S - IP) in whole units, rounded up to the case pack, raised to the MOQ when > 0."""
    units = ceil_units(s - inventory_position)
    if units <= 0:
        return 0
    pack = max(1, case_pack)
    units = -(-units // pack) * pack
    return max(units, moq)


def days_of_cover(on_hand: int, d: float) -> float | None:
    """on_hand / d; None stands for infinite (no demand)."""
    if d <= 0:
        return None
    return on_hand / d


def status(
    *,
    on_hand: int,
    on_order: int,
    ss_units: int,
    rop_units: int,
    cover: float | None,
    overstock_days: float,
) -> str:
    """The first that applies: STOCKOUT, BELOW_SAFETY, REORDER, OVERSTOCK, OK."""
    if on_hand <= 0:
        return STOCKOUT
    if on_hand <= ss_units:
        return BELOW_SAFETY
    if on_hand + on_order <= rop_units:
        return REORDER
    if cover is None or cover > overstock_days:
        return OVERSTOCK
    return OK


def urgency(stock_status: str) -> int:
    """0 for STOCKOUT … 4 for OK: the sort order of the replenishment list."""
    return STATUSES.index(stock_status)


def ad_advice(*, stock_status: str, cover: float | None, lead_time: float, slow_mover: bool) -> str:
    """PAUSE (out or below safety), REDUCE (runs out before an order can arrive), PUSH (slow mover
    or overstock), else KEEP."""
    if stock_status in (STOCKOUT, BELOW_SAFETY):
        return PAUSE
    if cover is not None and cover < lead_time:
        return REDUCE
    if slow_mover or stock_status == OVERSTOCK:
        return PUSH
    return KEEP


def stock_figures(
    *,
    d: float,
    ss_units: int,
    rop_units: int,
    order_up_to: float,
    case_pack: int,
    moq: int,
    lead_time: float,
    on_hand: int,
    on_order: int,
    slow_mover: bool,
    overstock_days: float,
) -> dict:
    """The figures that depend on stock now (cover, status, urgency, suggestion, ad advice),
    from a pair's planned d, SS/ROP units and S."""
    cover = days_of_cover(on_hand, d)
    stock_status = status(
        on_hand=on_hand,
        on_order=on_order,
        ss_units=ss_units,
        rop_units=rop_units,
        cover=cover,
        overstock_days=overstock_days,
    )
    return {
        "on_hand": on_hand,
        "on_order": on_order,
        "days_of_cover": cover,
        "status": stock_status,
        "urgency": urgency(stock_status),
        "suggested_order_qty": suggested_order(order_up_to, on_hand + on_order, case_pack, moq),
        "ad_advice": ad_advice(
            stock_status=stock_status, cover=cover, lead_time=lead_time, slow_mover=slow_mover
        ),
    }


def lead_time_std_learned(samples: list[float]) -> float | None:
    """Sample std of actual lead times; None with fewer than 3 received lines."""
    if len(samples) < 3:
        return None
    n = len(samples)
    mean = sum(samples) / n
    return math.sqrt(sum((x - mean) ** 2 for x in samples) / (n - 1))
