"""A year of a TikTok seller's stock, simulated day by day for every SKU at once.

Pure Python and fast enough for 100k SKUs × 365 days (≈ 10M movements): the state of each SKU
lives in flat lists, rows come out one day at a time (so the ledger is written in time order),
and most SKU-days cost one random number (the long tail sells nothing on most days).

What it models:
- long-tailed popularity: orders/day ∝ 1 / rank^0.8, one SALE row per order (1–3 units), so
  the top SKU has hundreds of rows a day and the median SKU a few dozen a year;
- weekly seasonality (weekends sell more), the double-day sales (11.11, 12.12) and a Q4 lift;
- viral spikes after live streams (4–10× on the day, decaying over the next days);
- replenishment: continuous review, reorder when stock + on order ≤ demand over the lead time
  plus a week; lead time = production (supplier, variable) + sea freight from China
  (28–35 days, sometimes delayed two weeks), or air freight (5–9 days) for some SKUs;
- stock-outs (spikes and late ships: orders are lost while out of stock), returns (3 % of
  orders, 4–14 days later) and dead stock (about 5 % of SKUs stop selling and are never
  reordered).
"""

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAY_FACTOR = (0.9, 0.92, 0.95, 1.0, 1.08, 1.25, 1.2)  # Monday … Sunday
ORDER_UNITS = (1,) * 82 + (2,) * 13 + (3,) * 5
RECEIPT, SALE, RETURN = 0, 1, 2


@dataclass(frozen=True)
class SkuPlan:
    """What the simulation needs to know about one SKU."""

    orders_per_day: float
    production_days: float
    production_std: float
    by_air: bool
    case_pack: int
    moq: int
    dead_from_day: int | None  # stops selling from this day on (dead stock)


def popularity(rank: int, total: int) -> float:
    """Orders per day of the SKU at `rank` (0 = best seller) in a catalog of `total`.

    Calibrated so that 100k SKUs make ≈ 9M sale rows a year with ~500 orders/day for the top
    SKU; smaller catalogs are scaled down so the default demo stays small.
    """
    top = 520.0 * min(1.0, (total / 100_000) ** 0.5)
    return top / (rank + 1) ** 0.8


def day_factor(day: date) -> float:
    factor = WEEKDAY_FACTOR[day.weekday()]
    if (day.month, day.day) in ((11, 11), (12, 12), (6, 6), (9, 9)):
        factor *= 2.5  # double-day mega sales
    elif day.month in (11, 12):
        factor *= 1.25
    return factor


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(rng.gauss(lam, math.sqrt(lam)) + 0.5))
    u = rng.random()
    p = math.exp(-lam)
    if u < p:
        return 0
    k, cumulative = 0, p
    while u >= cumulative and k < 200:
        k += 1
        p *= lam / k
        cumulative += p
    return k


def simulate(plans: list[SkuPlan], days: int, start: date, seed: int):
    """Yield (day index, rows) for each day; a row is (sku index, kind, quantity, second of day).

    Day 0 opens with a receipt of each SKU's starting stock.
    """
    rng = random.Random(seed)
    n = len(plans)
    units_per_order = sum(ORDER_UNITS) / len(ORDER_UNITS)
    daily_units = [p.orders_per_day * units_per_order for p in plans]
    mean_lead = [p.production_days + (7 if p.by_air else 31) for p in plans]
    orders_per_day = [p.orders_per_day for p in plans]
    dead_from = [days + 1 if p.dead_from_day is None else p.dead_from_day for p in plans]
    stock = [0] * n
    on_order = [0] * n
    spike = [0.0] * n  # extra multiplier from the last live stream, decaying
    arrivals: dict[int, list[tuple[int, int]]] = {}
    returns: dict[int, list[tuple[int, int]]] = {}
    # Live streams are for the sellers' better SKUs: the top 20 %.
    live_cutoff = max(1, n // 5)

    for d in range(days):
        day = start + timedelta(days=d)
        rows: list[tuple[int, int, int, int]] = []
        if d == 0:
            for i, plan in enumerate(plans):
                qty = _round_up(daily_units[i] * (mean_lead[i] + 30) + 3, plan.case_pack)
                stock[i] = qty
                rows.append((i, RECEIPT, qty, 9 * 3600))
        for i, qty in arrivals.pop(d, ()):
            stock[i] += qty
            on_order[i] -= qty
            rows.append((i, RECEIPT, qty, 10 * 3600 + rng.randrange(6 * 3600)))
        for i, qty in returns.pop(d, ()):
            stock[i] += qty
            rows.append((i, RETURN, qty, 12 * 3600 + rng.randrange(8 * 3600)))
        factor = day_factor(day)
        random_ = rng.random
        sold_today = []
        for i in range(n):
            if d >= dead_from[i]:
                continue
            lam = orders_per_day[i] * factor
            if spike[i]:
                lam *= 1 + spike[i]
                spike[i] = spike[i] * 0.45 if spike[i] > 0.2 else 0.0
            if i < live_cutoff and random_() < 1 / 45:
                spike[i] = rng.uniform(3, 9)  # a live stream tonight
                lam *= 1 + spike[i]
            if lam < 0.5:
                # Fast path: most of the long tail sells nothing on most days.
                if random_() >= lam * (1 - lam / 2 + lam * lam / 6):
                    continue
                orders = 1 + (random_() < lam / 2)
            else:
                orders = _poisson(rng, lam)
            have = stock[i]
            for _ in range(orders):
                qty = ORDER_UNITS[int(random_() * 100)]
                if qty > have:
                    continue  # out of stock: the order is lost
                have -= qty
                rows.append((i, SALE, -qty, 8 * 3600 + int(random_() * 15 * 3600)))
                if random_() < 0.03 and d + 4 < days:
                    returns.setdefault(d + 4 + int(random_() * 11), []).append((i, qty))
            stock[i] = have
            sold_today.append(i)
        # End of day: reorder what has fallen to its reorder point (only sales lower stock).
        for i in range(n) if d == 0 else sold_today:
            plan = plans[i]
            if d >= dead_from[i] - mean_lead[i]:
                continue
            need = daily_units[i]
            if stock[i] + on_order[i] > need * (mean_lead[i] + 7):
                continue
            qty = _round_up(max(need * 45, plan.moq, 1), plan.case_pack)
            lead = max(1.0, rng.gauss(plan.production_days, plan.production_std))
            lead += rng.gauss(7, 1.5) if plan.by_air else rng.gauss(31, 3)
            if not plan.by_air and random_() < 0.05:
                lead += 14  # missed the ship / port congestion
            on_order[i] += qty
            arrivals.setdefault(d + max(1, int(round(lead))), []).append((i, qty))
        yield d, rows


def _round_up(qty: float, pack: int) -> int:
    pack = max(1, pack)
    return max(pack, int(math.ceil(qty / pack)) * pack)
