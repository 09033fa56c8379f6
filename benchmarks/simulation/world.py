"""The simulated world: TikTok-like demand and supplier lead times, drawn once per seed."""

from dataclasses import dataclass, field

import numpy as np

WARMUP_DAYS = 90
YEAR_DAYS = 365
WEEKLY = np.array([0.9, 0.85, 0.9, 0.95, 1.05, 1.2, 1.15])  # Mon..Sun, evenings and weekends sell


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
