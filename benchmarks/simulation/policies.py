"""The replenishment rules under test: ours (DOMAIN.md and the spike-aware method, through the
product's own functions), three common rules, and two oracles (bounds, not policies)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from alerts import formulas, spike
from benchmarks.simulation.world import Scenario

REVIEW_DAYS = 7  # DOMAIN.md R: every policy's order-up-to = trigger + 7 days of its average
WINDOW = 90  # DOMAIN.md DEMAND_WINDOW_DAYS


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
    """The spike-aware SS method (alerts/spike.py): capped d and sigma_d and a recent-weighted
    base level per SKU, the catalog's spike profile and level drift pooled from every SKU's window
    that night, the service level as a fill rate."""

    name = "ours (spike-aware)"
    method = "spike"

    def levels(self, t, scn, hist):
        w = hist.window(t)
        sold = hist.sold[:, w].tolist()
        avail = hist.available[:, w].tolist()
        stats = [spike.capped_demand_stats(sold[i], avail[i]) for i in range(scn.skus)]
        profile = spike.spike_profile(stats)
        drift = spike.level_drift(stats)
        plans = [
            spike.spike_aware_plan(
                st,
                profile,
                lead_time=lead,
                lead_std=lead_std,
                service_level=self.param,
                review_days=REVIEW_DAYS,
                drift=drift,
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
    ("knows the base and who spikes"). It orders up to ROP + R days of m x the catalog's demand /
    base ratio, i.e. about as often as the rules."""

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
        # The order covers R days of all demand, spikes included (the catalog's ratio of demand
        # to base), so the oracle orders as often as the rules (m R alone: 50 orders a year).
        spikes_in = scn.demand.sum() / scn.base_mean.sum()
        return np.ceil(rop - formulas.EPSILON), rop + m * spikes_in * REVIEW_DAYS


class OracleSpikes(Oracle):
    name = "oracle: knows the base and who spikes"
    knows_spike_rate = True


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
