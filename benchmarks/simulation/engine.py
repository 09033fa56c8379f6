"""The day-by-day engine: one policy over one scenario's year, lost sales, orders in transit."""

from dataclasses import dataclass

import numpy as np

from alerts import formulas
from benchmarks.simulation.policies import History, Policy
from benchmarks.simulation.world import Scenario


@dataclass
class Result:
    """One policy at one parameter on one seed: units, inventory, stock-outs, orders."""

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
