"""Pooling over seeds, curves at a fill rate, and the tables, CSV and plot of docs/."""

import math
from dataclasses import dataclass

import numpy as np

from benchmarks.simulation.engine import Result
from benchmarks.simulation.policies import POLICIES

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
