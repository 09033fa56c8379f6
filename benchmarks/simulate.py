"""Decision quality: our replenishment policy against the common rules, on TikTok-like demand.

A seeded, day-by-day simulation (numpy, no database): a year after a 90-day warm-up for a few
hundred SKUs. Every policy sees the same demand and lead-time draws (same seeds); every policy
orders up to its trigger plus R = 7 days of its own average demand, so the order cadence is the
same and the difference measured is the trigger (the decision), not the ordering frequency.
`make simulate` runs it and writes docs/simulation.md's tables and plot (see that file).

    python -m benchmarks.simulate [--seeds 3] [--skus 300] [--quick] [--out docs]
"""

import argparse
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from alerts import formulas, spike

WARMUP_DAYS = 90
YEAR_DAYS = 365
REVIEW_DAYS = 7  # DOMAIN.md R: every policy's order-up-to = trigger + 7 days of its average
WINDOW = 90  # DOMAIN.md DEMAND_WINDOW_DAYS
WEEKLY = np.array([0.9, 0.85, 0.9, 0.95, 1.05, 1.2, 1.15])  # Mon..Sun, evenings and weekends sell


# ----------------------------------------------------------------------------------------------
# Scenario: demand and lead-time draws, the same for every policy
# ----------------------------------------------------------------------------------------------


@dataclass
class Scenario:
    """What the world does, drawn once per seed: demand per SKU-day, the lead time an order
    placed on a day would take, and the SKU's parameters as the seller configured them."""

    demand: np.ndarray  # (n, days) int: units customers want (lost when out of stock)
    lead_draw: np.ndarray  # (n, days) int: actual lead time of an order placed that day
    lead_time: np.ndarray  # (n,) int: L the seller configured (procurement + logistics)
    lead_std: np.ndarray  # (n,) float: sigma_L the seller configured
    unit_cost: np.ndarray  # (n,) float
    spike_days: np.ndarray = field(repr=False)  # (n, days) bool: a live-stream spike is on
    base_mean: np.ndarray | None = field(default=None, repr=False)  # (n, days) mean w/o spikes
    spike_rate: np.ndarray | None = field(default=None, repr=False)  # (n,) spikes a day
    dispersion: np.ndarray | None = field(default=None, repr=False)  # (n,) NB shape k
    warmup: int = WARMUP_DAYS

    @property
    def skus(self) -> int:
        return self.demand.shape[0]

    @property
    def days(self) -> int:
        return self.demand.shape[1]


def make_scenario(
    seed: int, skus: int = 300, year: int = YEAR_DAYS, spike_rate: float = 1 / 75
) -> Scenario:
    """TikTok-like demand: long-tail base rates, weekly seasonality, trend shifts, viral spikes
    from live streams (3-10x, decaying over 2-5 days), negative-binomial noise."""
    rng = np.random.default_rng(seed)
    days = WARMUP_DAYS + year
    n = skus
    base = np.clip(rng.lognormal(np.log(1.5), 1.2, n), 0.05, 120.0)
    unit_cost = np.round(np.clip(rng.lognormal(np.log(6.0), 0.8, n), 0.5, 150.0), 2)
    amplitude = rng.uniform(0.3, 1.0, n)
    dispersion = rng.uniform(1.5, 6.0, n)  # NB shape k: variance = mu + mu^2 / k
    # Trend: a few level shifts a year (x0.5 .. x2), each ramped in over 14 days.
    level = np.ones((n, days))
    shifts = rng.poisson(days / 180, n)
    for i in range(n):
        for _ in range(shifts[i]):
            start = rng.integers(0, days)
            factor = float(np.exp(rng.normal(0.0, 0.35)))
            ramp = np.clip((np.arange(days) - start + 1) / 14, 0, 1)
            level[i] *= 1 + (factor - 1) * ramp
    # Viral spikes: live streams, a SKU-specific rate (some are pushed far more often).
    rate = rng.gamma(1.5, spike_rate / 1.5, n)
    spike_mult = np.ones((n, days))
    starts = rng.random((n, days)) < rate[:, None]
    for i, t in zip(*np.nonzero(starts), strict=True):
        peak = rng.uniform(3.0, 10.0)
        length = int(rng.integers(2, 6))
        for j in range(min(length, days - t)):
            spike_mult[i, t + j] = max(spike_mult[i, t + j], 1 + (peak - 1) * 0.6**j)
    week = 1 + amplitude[:, None] * (WEEKLY[np.arange(days) % 7][None, :] - 1)
    mu = base[:, None] * level * week * spike_mult
    k = dispersion[:, None]
    demand = rng.negative_binomial(k, k / (k + mu)).astype(np.int64)
    # Lead times: 5-30 days configured; actual ~ gamma around it (right-skewed), at least 1 day.
    lead_time = rng.integers(5, 31, n)
    lead_std = np.round(lead_time * rng.uniform(0.05, 0.3, n), 1)
    shape = (lead_time / np.maximum(lead_std, 0.1)) ** 2
    lead_draw = np.maximum(
        1, np.rint(rng.gamma(shape[:, None], (lead_time / shape)[:, None], (n, days)))
    ).astype(np.int64)
    return Scenario(
        demand=demand,
        lead_draw=lead_draw,
        lead_time=lead_time,
        lead_std=lead_std,
        unit_cost=unit_cost,
        spike_days=spike_mult > 1.5,
        base_mean=base[:, None] * level * week,
        spike_rate=rate,
        dispersion=dispersion,
    )


# ----------------------------------------------------------------------------------------------
# What a policy sees: the sales history (lost sales are invisible) and the closing stock
# ----------------------------------------------------------------------------------------------


@dataclass
class History:
    """Sales and closing stock per SKU-day up to the current day, as the ledger records them."""

    sold: np.ndarray  # (n, days) int: units sold (demand capped by stock)
    closing: np.ndarray  # (n, days) int: on hand at the end of the day
    available: np.ndarray  # (n, days) bool: DOMAIN.md available day

    def window(self, t: int, days: int = WINDOW) -> slice:
        return slice(max(0, t - days + 1), t + 1)


class Policy:
    """A replenishment rule: each night, per SKU, the trigger (order when inventory position
    <= trigger, in whole units) and the order-up-to level S (order S - IP, rounded up)."""

    name = "policy"
    param_name = "parameter"

    def __init__(self, param: float):
        self.param = param

    def levels(self, t: int, scn: Scenario, hist: History) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def label(self) -> str:
        return f"{self.name} {self.param_name}={self.param:g}"


class BufferDays(Policy):
    """BigSeller / Odoo style: trigger (L + safety days) x 30-day average, order up to
    (cover + L + safety days) x average, cover = R."""

    name = "buffer days"
    param_name = "safety days"

    def levels(self, t, scn, hist):
        avg = hist.sold[:, hist.window(t, 30)].sum(axis=1) / 30
        trigger = np.ceil((scn.lead_time + self.param) * avg - formulas.EPSILON)
        return trigger, (REVIEW_DAYS + scn.lead_time + self.param) * avg


class ErpNext(Policy):
    """ERPNext style: reorder level = SS days x ADC + ADC x L (ADC = sales / 90 calendar days),
    order up to the reorder level + ADC x R."""

    name = "ERPNext"
    param_name = "SS days"

    def levels(self, t, scn, hist):
        adc = hist.sold[:, hist.window(t)].sum(axis=1) / WINDOW
        level = self.param * adc + adc * scn.lead_time
        return np.ceil(level - formulas.EPSILON), level + adc * REVIEW_DAYS


class Linnworks(Policy):
    """Linnworks style: 90-day in-stock average x L x multiplier, order up to + average x R."""

    name = "Linnworks"
    param_name = "multiplier"

    def levels(self, t, scn, hist):
        w = hist.window(t)
        avail = hist.available[:, w]
        n = avail.sum(axis=1)
        avg = np.where(n > 0, (hist.sold[:, w] * avail).sum(axis=1) / np.maximum(n, 1), 0.0)
        rop = avg * scn.lead_time * self.param
        return np.ceil(rop - formulas.EPSILON), rop + avg * REVIEW_DAYS


class Ours(Policy):
    """DOMAIN.md, through the product's own functions: d and sigma_d over available days
    (`formulas.demand_stats`), SS by the method, ROP units, order-up-to S = d (L + R) + SS."""

    name = "ours (normal)"
    param_name = "service level"
    method = "normal"

    def __init__(self, param: float):
        super().__init__(param)
        self.z = formulas.z_for(param)

    def sku_levels(
        self, q: list[int], avail: list[bool], lead_time: float, lead_std: float
    ) -> tuple[int, float]:
        d, sd = formulas.demand_stats(q, avail)
        ss = formulas.safety_stock(d, sd, lead_time, lead_std, self.z)
        rop_units = formulas.ceil_units(formulas.reorder_point(d, lead_time, ss))
        return rop_units, formulas.order_up_to(d, lead_time, REVIEW_DAYS, ss)

    def levels(self, t, scn, hist):
        w = hist.window(t)
        sold = hist.sold[:, w].tolist()
        avail = hist.available[:, w].tolist()
        lead = scn.lead_time.tolist()
        lead_std = scn.lead_std.tolist()
        out = [self.sku_levels(sold[i], avail[i], lead[i], lead_std[i]) for i in range(scn.skus)]
        trigger, target = zip(*out, strict=True)
        return np.array(trigger, dtype=float), np.array(target, dtype=float)


class OursSpike(Ours):
    """The spike-aware SS method (alerts/spike.py): capped d and sigma_d per SKU, the catalog's
    spike profile pooled from every SKU's window that night, the service level as a fill rate."""

    name = "ours (spike-aware)"
    method = "spike"

    def levels(self, t, scn, hist):
        w = hist.window(t)
        sold = hist.sold[:, w].tolist()
        avail = hist.available[:, w].tolist()
        stats = [spike.capped_demand_stats(sold[i], avail[i]) for i in range(scn.skus)]
        profile = spike.spike_profile(stats)
        plans = [
            spike.spike_aware_plan(
                st,
                profile,
                lead_time=lead,
                lead_std=lead_std,
                service_level=self.param,
                review_days=REVIEW_DAYS,
            )
            for st, lead, lead_std in zip(
                stats, scn.lead_time.tolist(), scn.lead_std.tolist(), strict=True
            )
        ]
        trigger = [formulas.ceil_units(p.reorder_point) for p in plans]
        return np.array(trigger, dtype=float), np.array([p.order_up_to for p in plans])


class Oracle(Policy):
    """Not a policy a seller can run: a bound. It knows the true mean demand without spikes over
    the coming lead time (trend and weekday included) and the NB noise, and holds
    SS = z sqrt(L sigma^2 + m^2 sigma_L^2) + b m h with z at 85 %, the spike buffer b (days of
    demand) swept; h = 1 ("knows the base"), or h = the SKU's true spike rate / the catalog's
    ("knows the base and who spikes")."""

    name = "oracle: knows the base"
    param_name = "spike buffer days"
    knows_spike_rate = False

    def levels(self, t, scn, hist):
        lead = scn.lead_time
        days = np.arange(1, 31)[None, :] + t
        coming = days <= (t + lead)[:, None]
        mean = np.take_along_axis(scn.base_mean, np.minimum(days, scn.days - 1), axis=1)
        m = (mean * coming).sum(axis=1) / coming.sum(axis=1)
        var = m + m * m / scn.dispersion
        h = scn.spike_rate / scn.spike_rate.mean() if self.knows_spike_rate else 1.0
        z = formulas.z_for(0.85)
        ss = z * np.sqrt(lead * var + m * m * scn.lead_std**2) + self.param * m * h
        rop = m * lead + ss
        return np.ceil(rop - formulas.EPSILON), rop + m * REVIEW_DAYS


class OracleSpikes(Oracle):
    name = "oracle: knows the base and who spikes"
    knows_spike_rate = True


# ----------------------------------------------------------------------------------------------
# The day-by-day engine
# ----------------------------------------------------------------------------------------------


@dataclass
class Result:
    policy: str
    param: float
    seed: int
    demanded: int
    served: int
    avg_inventory_value: float
    stockout_sku_days: int
    orders: int
    skus: int
    year_days: int
    spike_demanded: int = 0
    spike_served: int = 0

    @property
    def fill_rate(self) -> float:
        return self.served / self.demanded if self.demanded else 1.0

    @property
    def orders_per_sku_year(self) -> float:
        return self.orders / self.skus * 365 / self.year_days


def simulate(scn: Scenario, policy: Policy, seed: int = 0) -> Result:
    """Run one policy over the scenario's year; the warm-up is history (sold = demand, in stock).

    Each day: receipts due that morning arrive, customers buy what is on the shelf (the rest is
    lost), then the nightly plan runs on the history to that day and orders S - IP (rounded up)
    where IP <= trigger; the order arrives after the lead time drawn for that SKU and day.
    """
    n, days = scn.demand.shape
    w0 = scn.warmup
    sold = np.zeros((n, days), dtype=np.int64)
    closing = np.zeros((n, days), dtype=np.int64)
    available = np.zeros((n, days), dtype=bool)
    sold[:, :w0] = scn.demand[:, :w0]
    closing[:, :w0] = 1  # in stock throughout the warm-up
    available[:, :w0] = True
    hist = History(sold, closing, available)
    pipeline = np.zeros((n, days + int(scn.lead_draw.max()) + 1), dtype=np.int64)
    _trigger, target = policy.levels(w0 - 1, scn, hist)
    on_hand = np.ceil(target - formulas.EPSILON).clip(min=0).astype(np.int64)
    on_order = np.zeros(n, dtype=np.int64)
    rows = np.arange(n)
    demanded = served = stockout_days = orders = spike_demanded = spike_served = 0
    value_days = 0.0
    for t in range(w0, days):
        arriving = pipeline[:, t]
        on_hand += arriving
        on_order -= arriving
        want = scn.demand[:, t]
        sale = np.minimum(want, on_hand)
        on_hand -= sale
        sold[:, t] = sale
        closing[:, t] = on_hand
        available[:, t] = (closing[:, t - 1] > 0) | (sale > 0)
        demanded += int(want.sum())
        served += int(sale.sum())
        stockout_days += int((on_hand <= 0).sum())
        on_spike = scn.spike_days[:, t]
        spike_demanded += int(want[on_spike].sum())
        spike_served += int(sale[on_spike].sum())
        value_days += float(on_hand @ scn.unit_cost)
        trigger, target = policy.levels(t, scn, hist)
        ip = on_hand + on_order
        qty = np.where(ip <= trigger, np.ceil(target - ip - formulas.EPSILON), 0).clip(min=0)
        qty = qty.astype(np.int64)
        placed = qty > 0
        if placed.any():
            np.add.at(pipeline, (rows[placed], t + scn.lead_draw[placed, t]), qty[placed])
            on_order += qty
            orders += int(placed.sum())
    year = days - w0
    return Result(
        policy=policy.name,
        param=policy.param,
        seed=seed,
        demanded=demanded,
        served=served,
        avg_inventory_value=value_days / year,
        stockout_sku_days=stockout_days,
        orders=orders,
        skus=n,
        year_days=year,
        spike_demanded=spike_demanded,
        spike_served=spike_served,
    )


# ----------------------------------------------------------------------------------------------
# Sweeps, curves, report
# ----------------------------------------------------------------------------------------------

POLICIES: dict[str, tuple[Callable[[float], Policy], Sequence[float]]] = {
    "ours (spike-aware)": (
        OursSpike,
        (0.80, 0.85, 0.90, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999, 0.9999),
    ),
    "ours (normal)": (Ours, (0.80, 0.85, 0.90, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999)),
    "buffer days": (BufferDays, (0, 2, 4, 6, 8, 10, 12, 15, 18, 22, 27, 33)),
    "ERPNext": (ErpNext, (0, 2, 4, 6, 8, 10, 12, 15, 18, 22, 27, 33)),
    "Linnworks": (Linnworks, (1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.3, 2.6, 3.0, 3.5)),
    "oracle: knows the base": (Oracle, (0, 2, 4, 6, 8, 10, 13, 16)),
    "oracle: knows the base and who spikes": (OracleSpikes, (0, 2, 4, 6, 8, 10, 13, 16)),
}
QUICK_PARAMS = {
    "ours (spike-aware)": (0.90, 0.95, 0.98, 0.995),
    "ours (normal)": (0.90, 0.95, 0.98, 0.995),
    "buffer days": (4, 8, 12, 18),
    "ERPNext": (4, 8, 12, 18),
    "Linnworks": (1.2, 1.6, 2.0, 2.6),
    "oracle: knows the base": (2, 6, 10, 16),
    "oracle: knows the base and who spikes": (2, 6, 10, 16),
}
OURS = ("ours (spike-aware)", "ours (normal)")
COMMON = ("buffer days", "ERPNext", "Linnworks")
TARGETS = (0.95, 0.97)


@dataclass
class Point:
    """One policy at one parameter, pooled over the seeds."""

    policy: str
    param: float
    fill_rate: float
    avg_inventory_value: float
    stockout_sku_days: float  # per seed (a year of all SKUs)
    orders_per_sku_year: float
    spike_fill: float
    base_fill: float


def pool(results: list[Result]) -> Point:
    """Fill over all seeds' units; inventory, stock-out days and orders as the mean per seed."""
    demanded = sum(r.demanded for r in results)
    served = sum(r.served for r in results)
    spike_d = sum(r.spike_demanded for r in results)
    spike_s = sum(r.spike_served for r in results)
    n = len(results)
    return Point(
        policy=results[0].policy,
        param=results[0].param,
        fill_rate=served / demanded,
        avg_inventory_value=sum(r.avg_inventory_value for r in results) / n,
        stockout_sku_days=sum(r.stockout_sku_days for r in results) / n,
        orders_per_sku_year=sum(r.orders_per_sku_year for r in results) / n,
        spike_fill=spike_s / spike_d if spike_d else 1.0,
        base_fill=(served - spike_s) / (demanded - spike_d),
    )


def at_fill(points: list[Point], target: float, attr: str = "avg_inventory_value") -> float:
    """Linear interpolation of `attr` at the target fill rate along the policy's curve (NaN when
    the curve does not reach the target)."""
    pts = sorted(points, key=lambda p: p.fill_rate)
    fills = [p.fill_rate for p in pts]
    if not pts or target < fills[0] or target > fills[-1]:
        return math.nan
    return float(np.interp(target, fills, [getattr(p, attr) for p in pts]))


def run_all(
    seeds: Sequence[int], skus: int, params: dict[str, Sequence[float]], log=print
) -> dict[str, list[list[Result]]]:
    """Every policy and parameter on every seed's scenario; results[policy][param index][seed]."""
    out: dict[str, list[list[Result]]] = {name: [[] for _ in params[name]] for name in params}
    for seed in seeds:
        scn = make_scenario(seed, skus)
        for name, values in params.items():
            factory = POLICIES[name][0]
            started = time.perf_counter()
            for j, value in enumerate(values):
                out[name][j].append(simulate(scn, factory(value), seed=seed))
            log(f"seed {seed} {name}: {time.perf_counter() - started:.1f} s")
    return out


def _fmt(x: float, spec: str) -> str:
    return "n/a" if math.isnan(x) else format(x, spec)


def report(curves: dict[str, list[Point]], per_seed: dict[int, dict[str, list[Point]]]) -> str:
    """The markdown tables of docs/simulation.md (results, comparison at 95/97 %, calibration)."""
    lines = ["### Every policy and parameter (pooled over the seeds)", ""]
    lines += [
        "| policy | parameter | fill rate | spike-day fill | other-day fill "
        "| avg inventory value | stock-out SKU-days / year | orders / SKU / year |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, pts in curves.items():
        pname = POLICIES[name][0].param_name
        for p in pts:
            lines.append(
                f"| {name} | {pname} {p.param:g} | {p.fill_rate:.2%} | {p.spike_fill:.2%} "
                f"| {p.base_fill:.2%} | {p.avg_inventory_value:,.0f} | {p.stockout_sku_days:,.0f} "
                f"| {p.orders_per_sku_year:.1f} |"
            )
    lines += ["", "### At the same fill rate (interpolated along each curve)", ""]
    lines += [
        "| policy | inventory @ 95 % | orders/SKU/yr @ 95 % | stock-out SKU-days @ 95 % "
        "| inventory @ 97 % | orders/SKU/yr @ 97 % |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, pts in curves.items():
        lines.append(
            f"| {name} | {_fmt(at_fill(pts, 0.95), ',.0f')} "
            f"| {_fmt(at_fill(pts, 0.95, 'orders_per_sku_year'), '.1f')} "
            f"| {_fmt(at_fill(pts, 0.95, 'stockout_sku_days'), ',.0f')} "
            f"| {_fmt(at_fill(pts, 0.97), ',.0f')} "
            f"| {_fmt(at_fill(pts, 0.97, 'orders_per_sku_year'), '.1f')} |"
        )
    lines += ["", "### Gain over the best common rule at the same fill rate", ""]
    lines += [
        "| policy | target fill | best common rule | its inventory | ours | less inventory "
        "| per seed |",
        "| --- | ---: | --- | ---: | ---: | ---: | --- |",
    ]
    for name in [n for n in curves if n not in COMMON]:
        for target in TARGETS:
            best, best_value = _best_other(curves, target)
            ours = at_fill(curves[name], target)
            gains = []
            for seed_curves in per_seed.values():
                _b, seed_best = _best_other(seed_curves, target)
                gains.append(1 - at_fill(seed_curves[name], target) / seed_best)
            lines.append(
                f"| {name} | {target:.0%} | {best} | {_fmt(best_value, ',.0f')} "
                f"| {_fmt(ours, ',.0f')} | {_fmt(1 - ours / best_value, '.1%')} "
                f"| {', '.join(_fmt(g, '.1%') for g in gains)} |"
            )
    lines += ["", "### Calibration: fill rate achieved at each nominal service level", ""]
    lines += [
        "| nominal service level | " + " | ".join(n for n in OURS if n in curves) + " |",
        "| ---: | " + " | ".join("---:" for n in OURS if n in curves) + " |",
    ]
    levels = sorted({p.param for n in OURS if n in curves for p in curves[n]})
    for level in levels:
        cells = []
        for name in OURS:
            if name not in curves:
                continue
            hit = [p for p in curves[name] if p.param == level]
            cells.append(
                f"{hit[0].fill_rate:.2%} ({(hit[0].fill_rate - level) * 100:+.1f} pt)"
                if hit
                else ""
            )
        lines.append(f"| {level:.2%} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _best_other(curves: dict[str, list[Point]], target: float) -> tuple[str, float]:
    others = {name: at_fill(pts, target) for name, pts in curves.items() if name in COMMON}
    others = {k: v for k, v in others.items() if not math.isnan(v)}
    if not others:
        return "n/a", math.nan
    best = min(others, key=others.get)
    return best, others[best]


def plot(curves: dict[str, list[Point]], path: str) -> None:
    """Fill rate against average inventory value, one curve per policy (PNG, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=110)
    for name, pts in curves.items():
        pts = sorted(pts, key=lambda p: p.avg_inventory_value)
        ax.plot(
            [p.avg_inventory_value for p in pts],
            [p.fill_rate * 100 for p in pts],
            marker="o",
            markersize=3.5,
            linewidth=2.2 if name in OURS else 1.3,
            linestyle="--" if name.startswith("oracle") else "-",
            label=name,
        )
    for target in TARGETS:
        ax.axhline(target * 100, color="grey", linewidth=0.7, linestyle=":")
    ax.xaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    ax.set_xlabel("average inventory value (all SKUs)")
    ax.set_ylabel("fill rate, % of units demanded")
    ax.set_ylim(85, 100)
    ax.set_title("Fill rate against inventory, TikTok-like demand (pooled seeds)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_csv(curves: dict[str, list[Point]], path: str) -> None:
    """The pooled points, one row per policy and parameter."""
    import csv

    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "policy",
                "parameter",
                "fill_rate",
                "spike_day_fill",
                "other_day_fill",
                "avg_inventory_value",
                "stockout_sku_days_per_year",
                "orders_per_sku_year",
            ]
        )
        for pts in curves.values():
            for p in pts:
                writer.writerow(
                    [
                        p.policy,
                        p.param,
                        f"{p.fill_rate:.5f}",
                        f"{p.spike_fill:.5f}",
                        f"{p.base_fill:.5f}",
                        f"{p.avg_inventory_value:.2f}",
                        f"{p.stockout_sku_days:.1f}",
                        f"{p.orders_per_sku_year:.2f}",
                    ]
                )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="scenarios (seeds 1..N)")
    parser.add_argument("--skus", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="1 seed, 100 SKUs, 4 points a curve")
    parser.add_argument("--out", default="docs", help="folder for the tables, CSV and plot")
    args = parser.parse_args(argv)
    params = {name: values for name, (_f, values) in POLICIES.items()}
    seeds, skus = list(range(1, args.seeds + 1)), args.skus
    if args.quick:
        params, seeds, skus = QUICK_PARAMS, [1], 100
    started = time.perf_counter()
    results = run_all(seeds, skus, params)
    curves = {name: [pool(rs) for rs in runs] for name, runs in results.items()}
    per_seed = {
        seed: {
            name: [pool([r for r in rs if r.seed == seed]) for rs in runs]
            for name, runs in results.items()
        }
        for seed in seeds
    }
    header = (
        f"Generated by `python -m benchmarks.simulate` ({len(seeds)} seeds x {skus} SKUs, "
        f"{WARMUP_DAYS}-day warm-up + {YEAR_DAYS} days, R = {REVIEW_DAYS}); the same seeds give "
        "the same numbers.\n\n"
    )
    text = header + report(curves, per_seed)
    import os

    os.makedirs(args.out, exist_ok=True)
    suffix = "-quick" if args.quick else ""
    with open(os.path.join(args.out, f"simulation-results{suffix}.md"), "w") as fh:
        fh.write(text)
    write_csv(curves, os.path.join(args.out, f"simulation-results{suffix}.csv"))
    plot(curves, os.path.join(args.out, f"simulation{suffix}.png"))
    print(text)
    print(f"run time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
