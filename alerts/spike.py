"""The spike-aware safety-stock method (`STOCKWISE["SS_METHOD"] = "spike"`), as pure functions.

DOMAIN.md's formula stays the default ("normal"). This method differs in three ways, each aimed
at TikTok-style demand where live streams cause 3-10x spikes for a few days:

1. Capped statistics: on the available days, q_t is capped at d + 3 sigma_d (recomputed three
   times, so one spike cannot lift its own cap), giving the base level d_c and sigma_c. A spike
   in the window no longer inflates d and sigma_d for the next 90 days.
2. A catalog spike profile: what the caps cut off (the excess) is pooled over all SKUs, relative
   to their base level: rho = excess units per base unit, v = variance per day of 5-day excess
   blocks per base unit squared. One SKU's 90 days say little about its own spike risk; the
   catalog says more (a seller's SKUs are pushed in the same live streams).
3. The service level read as a fill rate (units served / demanded), the way a seller reads it:
   the reorder point s solves sigma' G(k) = (1 - service level) Q, G the standard normal loss
   function, Q the expected order (d_c (1 + rho) R, at least one unit), over a lead-time demand of
   mean d_c L (1 + rho) and variance L sigma_c^2 + d_c^2 sigma_L^2 + L v d_c^2.

docs/simulation.md measures it against DOMAIN.md's formula and three common rules.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

CAP_SIGMAS = 3.0
CAP_PASSES = 3
BLOCK_DAYS = 5
K_MIN, K_MAX = 0.0, 6.0  # the safety factor is never negative (SS >= 0) and at most 6 sigma


@dataclass(frozen=True)
class CappedStats:
    """Base demand of one SKU over the window's available days, spikes capped."""

    d: float  # mean of the capped q_t
    sigma: float  # sample std (n - 1) of the capped q_t
    cap: float  # the cap of the last pass
    n: int  # available days
    excess: float  # sum of q_t - cap over the available days (units cut off)
    excess_blocks_sq: float  # sum over every 5 consecutive days of (their excess)^2


@dataclass(frozen=True)
class SpikeProfile:
    """The catalog's spike risk, relative to each SKU's base level (see the module docstring)."""

    rho: float = 0.0  # expected excess units per base unit
    v: float = 0.0  # variance per day of the excess, per base unit squared


@dataclass(frozen=True)
class SpikePlan:
    """The planning figures of one SKU under the spike-aware method."""

    d: float
    sigma: float
    k: float
    safety_stock: float
    reorder_point: float
    order_up_to: float


def _mean_std(values: list[float]) -> tuple[float, float]:
    n = len(values)
    if n == 0:
        return 0.0, 0.0
    s1 = sum(values)
    s2 = sum(x * x for x in values)
    d = s1 / n
    var = s2 - s1 * s1 / n
    return d, (math.sqrt(var / (n - 1)) if n > 1 and var > 0 else 0.0)


def capped_demand_stats(
    daily_demand: Sequence[float],
    available: Sequence[bool],
    *,
    sigmas: float = CAP_SIGMAS,
    passes: int = CAP_PASSES,
) -> CappedStats:
    """d_c, sigma_c over the available days, q_t capped at d + `sigmas` sigma, `passes` times.

    Unavailable days count as no excess (what was lost is unknown); the excess blocks run over
    the calendar days of the window.
    """
    if len(daily_demand) != len(available):
        raise ValueError("daily_demand and available must have one value per day")
    kept = [float(q) for q, ok in zip(daily_demand, available, strict=True) if ok]
    d, sigma = _mean_std(kept)
    cap = math.inf
    for _ in range(passes):
        cap = d + sigmas * sigma
        d, sigma = _mean_std([min(q, cap) for q in kept])
    excess = [
        max(0.0, q - cap) if ok else 0.0 for q, ok in zip(daily_demand, available, strict=True)
    ]
    blocks = sum(sum(excess[j : j + BLOCK_DAYS]) ** 2 for j in range(len(excess) - BLOCK_DAYS + 1))
    return CappedStats(
        d=d, sigma=sigma, cap=cap, n=len(kept), excess=sum(excess), excess_blocks_sq=blocks
    )


def spike_profile(stats: Iterable[CappedStats]) -> SpikeProfile:
    """Pool the excess of every SKU, weighted by its base volume (a slow mover's one extra unit
    must not count as a 20x spike)."""
    excess = blocks = base = base_sq = 0.0
    for s in stats:
        excess += s.excess
        blocks += s.excess_blocks_sq
        base += s.d * s.n
        base_sq += s.d * s.d * s.n
    if base <= 0 or base_sq <= 0:
        return SpikeProfile()
    return SpikeProfile(rho=excess / base, v=blocks / base_sq / BLOCK_DAYS)


def normal_loss(k: float) -> float:
    """G(k) = phi(k) - k (1 - Phi(k)): expected units short per unit of sigma beyond k sigma."""
    pdf = math.exp(-0.5 * k * k) / math.sqrt(2 * math.pi)
    return pdf - k * 0.5 * math.erfc(k / math.sqrt(2))


def fill_rate_k(shortage_per_sigma: float) -> float:
    """The k with G(k) = shortage_per_sigma, clamped to [0, 6] (bisection; G is decreasing)."""
    if shortage_per_sigma >= normal_loss(K_MIN):
        return K_MIN
    lo, hi = K_MIN, K_MAX
    for _ in range(40):
        mid = (lo + hi) / 2
        if normal_loss(mid) > shortage_per_sigma:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def spike_aware_plan(
    stats: CappedStats,
    profile: SpikeProfile,
    *,
    lead_time: float,
    lead_std: float,
    service_level: float,
    review_days: float,
) -> SpikePlan:
    """SS, ROP and order-up-to S for one SKU (module docstring, point 3).

    SS = k sigma', ROP = d_c L (1 + rho) + SS, S = ROP + d_c R.
    """
    if not 0 < service_level < 1:
        raise ValueError(f"service level must be between 0 and 1, not {service_level}")
    d, sd = stats.d, stats.sigma
    if d <= 0:
        return SpikePlan(
            d=0.0, sigma=sd, k=0.0, safety_stock=0.0, reorder_point=0.0, order_up_to=0.0
        )
    mean_lt = d * lead_time * (1 + profile.rho)
    sigma_lt = math.sqrt(
        lead_time * sd * sd + d * d * lead_std * lead_std + lead_time * profile.v * d * d
    )
    cycle = max(d * (1 + profile.rho) * review_days, 1.0)
    k = fill_rate_k((1 - service_level) * cycle / sigma_lt) if sigma_lt > 0 else 0.0
    ss = k * sigma_lt
    rop = mean_lt + ss
    return SpikePlan(
        d=d, sigma=sd, k=k, safety_stock=ss, reorder_point=rop, order_up_to=rop + d * review_days
    )
