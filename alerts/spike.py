"""The spike-aware safety-stock method (`STOCKWISE["SS_METHOD"] = "spike"`), as pure functions.

DOMAIN.md's formula stays the default ("normal"). This method differs in three ways, each aimed
at TikTok-style demand, where live streams cause 3-10x spikes for a few days:

1. Capped statistics. On the available days, q_t is capped at d + 3 sigma_d, recomputed three
   times so one spike cannot lift its own cap: the base level d_c and sigma_c. A spike in the
   window no longer inflates d and sigma_d (and so SS and the order-up-to) for 90 days.
2. A catalog spike profile. A spike *episode* starts on a day above the cap and runs while
   q_t > d_c + sigma_c; its volume is what it sold above the base, sum(q_t - d_c). Pooled over
   every SKU of the catalog, weighted by base volume: the rate of episodes per base day and the
   distribution of their volume in days of base demand (8 equal-weight bins). One SKU's 90 days
   hold about one spike; the catalog holds hundreds.
3. The service level read as a fill rate (units served / units demanded), the way a seller
   reads it. The reorder point x (>= the mean lead-time demand mu = d_c L) solves

       units lost a day = (1 - service level) x units demanded a day, where
       lost(x)   = sigma G((x - mu) / sigma) d_c / Q                    (ordinary cycles)
                 + rate x mean_j sigma G((x - mu - d_c v_j) / sigma)    (a spike in the lead time)
       demanded  = d_c (1 + rate x mean_j v_j),

   G the standard normal loss function, sigma^2 = L sigma_c^2 + d_c^2 sigma_L^2 (DOMAIN.md's
   lead-time variance on the base), Q = max(d_c R, 1) the expected order, v_j the profile's
   volumes. SS = x - mu, ROP = x, order-up-to S = x + d_c R.

docs/simulation.md measures it against DOMAIN.md's formula and three common rules.
"""

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

CAP_SIGMAS = 3.0
CAP_PASSES = 3
PROFILE_BINS = 8
_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True)
class CappedStats:
    """Base demand of one SKU over the window's available days, spikes capped, and its spikes."""

    d: float  # mean of the capped q_t
    sigma: float  # sample std (n - 1) of the capped q_t
    cap: float  # the cap of the last pass
    n: int  # available days
    episodes: tuple[float, ...] = ()  # units sold above d_c in each spike episode


@dataclass(frozen=True)
class SpikeProfile:
    """The catalog's spikes: episodes per base day and their volumes in days of base demand."""

    rate: float = 0.0
    volumes: tuple[float, ...] = ()

    @property
    def mean_volume(self) -> float:
        return sum(self.volumes) / len(self.volumes) if self.volumes else 0.0


@dataclass(frozen=True)
class SpikePlan:
    """The planning figures of one SKU under the spike-aware method."""

    d: float
    sigma: float
    safety_stock: float
    reorder_point: float
    order_up_to: float


def _mean_std(n: int, s1: float, s2: float) -> tuple[float, float]:
    """Mean and sample std (n - 1) from the count, sum and sum of squares."""
    if n == 0:
        return 0.0, 0.0
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
    """d_c, sigma_c over the available days, q_t capped at d + `sigmas` sigma, `passes` times;
    and the spike episodes of the window (module docstring, points 1 and 2)."""
    if len(daily_demand) != len(available):
        raise ValueError("daily_demand and available must have one value per day")
    kept = sorted(float(q) for q, ok in zip(daily_demand, available, strict=True) if ok)
    n = len(kept)
    # Prefix sums over the sorted values: capping at c is then one bisection a pass.
    p1, p2 = [0.0], [0.0]
    for q in kept:
        p1.append(p1[-1] + q)
        p2.append(p2[-1] + q * q)
    d, sigma = _mean_std(n, p1[n], p2[n])
    cap = math.inf
    for _ in range(passes):
        cap = d + sigmas * sigma
        j = bisect_right(kept, cap)
        d, sigma = _mean_std(n, p1[j] + cap * (n - j), p2[j] + cap * cap * (n - j))
    episodes: list[float] = []
    tail = d + sigma
    volume = None
    for q, ok in zip(daily_demand, available, strict=True):
        if volume is not None and ok and q > tail:
            volume += q - d
            continue
        if volume is not None:
            episodes.append(volume)
            volume = None
        if ok and q > cap:
            volume = q - d
    if volume is not None:
        episodes.append(volume)
    return CappedStats(d=d, sigma=sigma, cap=cap, n=n, episodes=tuple(episodes))


def spike_profile(stats: Iterable[CappedStats], *, bins: int = PROFILE_BINS) -> SpikeProfile:
    """Pool every SKU's episodes, each weighted by the SKU's base level d_c (a slow mover's one
    extra unit must not count as a 20x spike): rate per base day and `bins` equal-weight bin
    means of the volume in days of base demand."""
    weighted: list[tuple[float, float]] = []  # (volume in base days, weight)
    episodes_w = base_days_w = 0.0
    for s in stats:
        if s.d <= 0:
            continue
        base_days_w += s.d * s.n
        episodes_w += s.d * len(s.episodes)
        weighted.extend((v / s.d, s.d) for v in s.episodes)
    if not weighted or base_days_w <= 0:
        return SpikeProfile()
    weighted.sort()
    total = sum(w for _v, w in weighted)
    sums = [0.0] * bins
    weights = [0.0] * bins
    cumulative = 0.0
    for v, w in weighted:
        b = min(int((cumulative + w / 2) / total * bins), bins - 1)
        sums[b] += v * w
        weights[b] += w
        cumulative += w
    volumes = tuple(sums[b] / weights[b] for b in range(bins) if weights[b] > 0)
    return SpikeProfile(rate=episodes_w / base_days_w, volumes=volumes)


def normal_loss(z: float) -> float:
    """G(z) = phi(z) - z (1 - Phi(z)): expected units short per unit of sigma beyond z sigma."""
    return math.exp(-0.5 * z * z) * _INV_SQRT_2PI - z * 0.5 * math.erfc(z / _SQRT2)


def _loss_and_slope(z: float) -> tuple[float, float]:
    """G(z) and 1 - Phi(z) (= -G'(z)) with one erfc."""
    tail = 0.5 * math.erfc(z / _SQRT2)
    return math.exp(-0.5 * z * z) * _INV_SQRT_2PI - z * tail, tail


def spike_aware_plan(
    stats: CappedStats,
    profile: SpikeProfile,
    *,
    lead_time: float,
    lead_std: float,
    service_level: float,
    review_days: float,
) -> SpikePlan:
    """SS, ROP and order-up-to S of one SKU (module docstring, point 3).

    lost(x) is convex and decreasing, so Newton's method from x = mu climbs to the root without
    overshooting; when lost(mu) already meets the target, SS = 0.
    """
    if not 0 < service_level < 1:
        raise ValueError(f"service level must be between 0 and 1, not {service_level}")
    d = stats.d
    if d <= 0:
        return SpikePlan(
            d=0.0, sigma=stats.sigma, safety_stock=0.0, reorder_point=0.0, order_up_to=0.0
        )
    mu = d * lead_time
    sigma = math.sqrt(lead_time * stats.sigma**2 + d * d * lead_std * lead_std)
    cycle_days = max(d * review_days, 1.0) / d
    target = (1 - service_level) * d * (1 + profile.rate * profile.mean_volume)
    weight = profile.rate / len(profile.volumes) if profile.volumes else 0.0
    shifts = [d * v for v in profile.volumes]

    def lost(x: float) -> tuple[float, float]:
        if sigma <= 0:  # no variability: only a spike above x is lost
            spikes = sum(max(0.0, mu + s - x) for s in shifts)
            slope = sum(1.0 for s in shifts if mu + s > x)
            return weight * spikes, weight * slope
        g, tail = _loss_and_slope((x - mu) / sigma)
        value, slope = sigma * g / cycle_days, tail / cycle_days
        for s in shifts:
            g, tail = _loss_and_slope((x - mu - s) / sigma)
            value += weight * sigma * g
            slope += weight * tail
        return value, slope

    x = mu
    for _ in range(60):
        value, slope = lost(x)
        if value <= target or slope <= 0:
            break
        step = (value - target) / slope
        x += step
        if step <= 1e-9 * (1 + x):
            break
    ss = x - mu
    return SpikePlan(
        d=d, sigma=stats.sigma, safety_stock=ss, reorder_point=x, order_up_to=x + d * review_days
    )
