"""The spike-aware safety-stock method (`STOCKWISE["SS_METHOD"] = "spike"`), as pure functions.

DOMAIN.md's formula stays the default ("normal"). This method differs in four ways, each aimed
at TikTok-style demand, where live streams cause 3-10x spikes for a few days:

1. Base statistics without the spikes. On the available days, q_t is capped at d + 3 sigma_d,
   recomputed three times so one spike cannot lift its own cap; that finds the spike episodes
   (point 2), and the base d_c, sigma_c are the mean and std of the available days outside
   them. A spike in the window no longer inflates d and sigma_d (and so SS and the order-up-to)
   for 90 days. (Until the ninth session the capped days stayed in d_c and sigma_c at the cap,
   d + 3 sigma, with their volume above d_c counted again as spikes: on the simulation's
   uncensored windows, volume-weighted, d_c came out 9 % above the true base and sigma_c^2
   twice the true noise variance; the days outside the episodes give 1.00 and 1.07.)
2. A catalog spike profile. A spike *episode* starts on a day above the cap and runs while
   q_t > d + sigma (the capped pass's d and sigma); its volume is what it sold above the base,
   sum(q_t - d_c). Pooled over every SKU of the catalog, weighted by base volume: the rate of
   episodes per base day and the distribution of their volume in days of base demand (8
   equal-weight bins). One SKU's 90 days hold about one spike; the catalog holds hundreds.
3. The service level read as a fill rate (units served / units demanded), the way a seller
   reads it. The reorder point x solves

       units lost a day = (1 - service level) x units demanded a day, where
       lost(x)   = E(x; mu, sigma) d_b / (Q + E(x; mu, sigma))              (ordinary cycles)
                 + rate x mean_j [ (1 - p) (E(x - s_j; mu, sigma) - E(x; mu, sigma))
                                 + p (E(x - s_j; mu_o, sigma_o) - E(x; mu_o, sigma_o)) ]
       demanded  = d_b (1 + rate x mean_j v_j),

   E(y; m, s) = E[(D - y)^+] the units short of y in a lognormal lead-time demand D of mean m
   and std s (`_short`: m Phi(d2 + s') - y Phi(d2), s'^2 = ln(1 + s^2 / m^2),
   d2 = (ln(m / y) - s'^2 / 2) / s'), same mean and variance as the normal it replaced (ninth
   session): lead-time demand is a right-skewed daily noise summed over a random lead time
   around an uncertain level, both multiplicative, and on the simulation's spike-free lead
   times the normal loss sigma G(z) fell short of the realised one by 1.9x at z = 1 and 6x at
   z = 2 (the lognormal by 1.4x and 1.9x). mu = d_b L, Q = max(d_b R, 1) the expected order,
   s_j = d_b v_j the profile's volumes in units. A spike is charged only the loss it adds
   (what the lead time would lose without it is the ordinary cycles' term), and spikes add up
   in a lead time: with probability p = 1 - exp(-rate L) another spike already fell in it (a
   Poisson count), which shifts the lead-time demand to mu_o = mu + mean_j s_j with
   sigma_o^2 = sigma^2 + var_j s_j.
   Sales short of stock are lost, not backordered: a cycle sells Q and lasts until Q + E units
   were asked for, hence Q + E in the ordinary cycles' term (sixth session; docs/simulation.md).
   (Session 2 charged each spike its whole loss, alone in the lead time: achieved fill then rose
   only 5.3 points from 90 % to 98 % nominal; docs/simulation.md.) SS = x - mu may be negative (a
   cycle's order covers the allowed loss); ROP = x, order-up-to S = x + d_b R.
4. A base level that follows trend shifts, and their risk. d_b weighs the base days' q_t by
   `week_weights` (whole weeks, halving every LEVEL_HALF_LIFE days) instead of 90 flat days,
   which lag a shift by 45 days. What the level may still move before and during the lead time
   enters the lead-time variance: sigma^2 = L sigma_c^2 + d_b^2 sigma_L^2 +
   (drift d_b L)^2 (age + L / 2) / 30, with `drift` the catalog's relative level change in 30
   days (`level_drift`, measured on the window's 30-day parts, noise taken out) and age the mean
   age of the level's days: a random-walk level, whose variance grows with the horizon.

docs/simulation.md measures it against DOMAIN.md's formula and three common rules.
"""

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

CAP_SIGMAS = 3.0
CAP_PASSES = 3
PROFILE_BINS = 8
LEVEL_HALF_LIFE = 21.0  # days: the base level's weights halve every 3 weeks (whole weeks)
DRIFT_SPAN = 30  # days: the level drift is measured between consecutive 30-day parts
DRIFT_MIN_RATE = 1.0  # units a day: slower SKUs' 30-day means are mostly noise
_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True)
class CappedStats:
    """Base demand of one SKU over the window's available days outside spikes, and its spikes."""

    d: float  # mean of q_t on the available days outside spike episodes (the capped mean: none)
    sigma: float  # sample std (n - 1) of the same days' q_t
    cap: float  # the cap of the last pass
    n: int  # available days
    episodes: tuple[float, ...] = ()  # units sold above d_c in each spike episode
    censored: tuple[bool, ...] = ()  # per episode: it ended out of stock (or at the window's end)
    level: float | None = None  # the base days' mean, recent weeks weighing more (None: d)
    age: float = 0.0  # mean age in days of the days behind `level` (0: as of today)
    parts: tuple[float | None, ...] = ()  # base days' means of consecutive DRIFT_SPAN-day parts

    @property
    def base(self) -> float:
        """The base level the plan projects over the lead time."""
        return self.d if self.level is None else self.level


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


@lru_cache(maxsize=8)
def week_weights(days: int, half_life: float = LEVEL_HALF_LIFE) -> tuple[float, ...]:
    """Weights of a window's days, oldest first: 0.5 ** (7 (age // 7) / half_life), age 0 today.
    Whole weeks weigh alike, so the weekday mix of the level does not swing from night to night.
    half_life <= 0: every day weighs 1. (Kept: the nightly step asks once a pair.)"""
    if half_life <= 0:
        return (1.0,) * days
    return tuple(0.5 ** (7 * ((days - 1 - i) // 7) / half_life) for i in range(days))


def capped_demand_stats(
    daily_demand: Sequence[float],
    available: Sequence[bool],
    *,
    sigmas: float = CAP_SIGMAS,
    passes: int = CAP_PASSES,
    half_life: float = LEVEL_HALF_LIFE,
    span: int = DRIFT_SPAN,
) -> CappedStats:
    """The spike episodes of the window, found with q_t capped at d + `sigmas` sigma, `passes`
    times; d_c, sigma_c over the available days outside them (module docstring, points 1 and 2;
    with no episode, or fewer than 2 days outside them, the capped pass's); the base level (the
    same days' q_t weighted by `week_weights`) and its mean age; the same days' means over the
    window's last whole `span`-day parts (oldest first; None for a part without such a day)."""
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
    censored: list[bool] = []
    tail = d + sigma
    volume = None
    in_episode: list[list[float]] = []  # the q_t of each episode's days
    base_day = [bool(ok) for ok in available]
    for idx, (q, ok) in enumerate(zip(daily_demand, available, strict=True)):
        if volume is not None and ok and q > tail:
            volume += q - d
            in_episode[-1].append(float(q))
            base_day[idx] = False
            continue
        if volume is not None:
            episodes.append(volume)
            censored.append(not ok)  # the shelf emptied: the spike wanted more than it sold
            volume = None
        if ok and q > cap:
            volume = q - d
            in_episode.append([float(q)])
            base_day[idx] = False
    if volume is not None:
        episodes.append(volume)
        censored.append(True)  # still running at the end of the window
    if in_episode and sum(base_day) >= 2:
        # The base is what the days outside the episodes sold: a spike day capped at d + 3 sigma
        # would still count 3 sigma above the base in d and 9 sigma^2 in sigma^2. The episodes'
        # volumes are then taken above that base.
        kept = [float(q) for q, base in zip(daily_demand, base_day, strict=True) if base]
        d, sigma = _mean_std(len(kept), sum(kept), sum(q * q for q in kept))
        episodes = [sum(q - d for q in days_q) for days_q in in_episode]
    else:
        base_day = [bool(ok) for ok in available]
    days = len(daily_demand)
    weights = week_weights(days, half_life)
    sw = swq = swa = 0.0
    for i, (q, ok, w) in enumerate(zip(daily_demand, base_day, weights, strict=True)):
        if ok:
            sw += w
            swq += w * min(float(q), cap)
            swa += w * (days - 1 - i)
    parts: list[float | None] = []
    for start in range(days % span, days - span + 1, span) if span > 0 else ():
        part = slice(start, start + span)
        kept_part = [
            min(float(q), cap)
            for q, ok in zip(daily_demand[part], base_day[part], strict=True)
            if ok
        ]
        parts.append(sum(kept_part) / len(kept_part) if kept_part else None)
    return CappedStats(
        d=d,
        sigma=sigma,
        cap=cap,
        n=n,
        episodes=tuple(episodes),
        censored=tuple(censored),
        level=swq / sw if sw > 0 else d,
        age=swa / sw if sw > 0 else 0.0,
        parts=tuple(parts),
    )


def spike_profile(stats: Iterable[CappedStats], *, bins: int = PROFILE_BINS) -> SpikeProfile:
    """Pool every SKU's episodes, each weighted by the SKU's base level d_c (a slow mover's one
    extra unit must not count as a 20x spike): rate per base day and `bins` equal-weight bin
    means of the volume in days of base demand.

    An episode that ended out of stock sold less than it wanted: its volume is only a lower
    bound. The distribution is the (weighted) Kaplan-Meier estimate with those episodes
    right-censored; what it leaves beyond the largest volume seen stays on that volume."""
    weighted: list[tuple[float, bool, float]] = []  # (volume in base days, censored, weight)
    episodes_w = base_days_w = 0.0
    for s in stats:
        if s.d <= 0:
            continue
        base_days_w += s.d * s.n
        episodes_w += s.d * len(s.episodes)
        flags = s.censored or (False,) * len(s.episodes)
        weighted.extend((v / s.d, cut, s.d) for v, cut in zip(s.episodes, flags, strict=True))
    if not weighted or base_days_w <= 0:
        return SpikeProfile()
    weighted.sort()  # at equal volumes, seen (False) before cut (True), as Kaplan-Meier wants
    at_risk = sum(w for _v, _c, w in weighted)
    survival = 1.0
    mass: list[tuple[float, float]] = []
    for v, cut, w in weighted:
        if not cut:
            p = survival * w / at_risk
            mass.append((v, p))
            survival -= p
        at_risk -= w
    if survival > 1e-12:
        mass.append((weighted[-1][0], survival))
    # Equal-weight bins, filled in order of volume: a volume whose weight straddles two bins is
    # split between them, so every bin holds 1 / bins of the episodes exactly.
    sums = [0.0] * bins
    weights = [0.0] * bins
    b, room = 0, 1.0 / bins
    for v, p in mass:
        while p > 1e-12 and b < bins:
            take = min(p, room) if b < bins - 1 else p
            sums[b] += v * take
            weights[b] += take
            p -= take
            room -= take
            if room <= 1e-12 and b < bins - 1:
                b, room = b + 1, 1.0 / bins
    volumes = tuple(sums[b] / weights[b] for b in range(bins) if weights[b] > 0)
    return SpikeProfile(rate=episodes_w / base_days_w, volumes=volumes)


def level_drift(
    stats: Iterable[CappedStats], *, span: int = DRIFT_SPAN, min_rate: float = DRIFT_MIN_RATE
) -> float:
    """How far a SKU's base level moves in `span` days, relative to it, pooled over the catalog:
    the root of sum(d_c r) / sum(d_c), r = ((a - b)^2 - 2 sigma_c^2 / span) / d_c^2 for every
    pair of consecutive parts (a, b) of every SKU selling at least `min_rate` a day (module
    docstring, point 4). Subtracting 2 sigma_c^2 / span takes the day-to-day noise out of the
    difference of two means; slower SKUs are mostly noise. 0 without two parts."""
    moved = weight = 0.0
    for s in stats:
        if s.d < min_rate or s.d <= 0:
            continue
        for a, b in zip(s.parts[:-1], s.parts[1:], strict=True):
            if a is None or b is None:
                continue
            moved += ((a - b) ** 2 - 2 * s.sigma**2 / span) / s.d
            weight += s.d
    return math.sqrt(moved / weight) if weight > 0 and moved > 0 else 0.0


def normal_loss(z: float) -> float:
    """G(z) = phi(z) - z (1 - Phi(z)): expected units short per unit of sigma beyond z sigma (the
    normal loss function; the method itself uses the lognormal `_short`)."""
    return math.exp(-0.5 * z * z) * _INV_SQRT_2PI - z * 0.5 * math.erfc(z / _SQRT2)


def _phi(z: float) -> float:
    """The standard normal distribution function Phi(z)."""
    return 0.5 * math.erfc(-z / _SQRT2)


def _short(y: float, mean: float, sd: float) -> tuple[float, float]:
    """Expected units of a lognormal lead-time demand D with this mean and sd above y,
    E[(D - y)^+], and the chance it exceeds y, P(D > y).

    With s^2 = ln(1 + (sd / mean)^2) and d2 = (ln(mean / y) - s^2 / 2) / s:
    E[(D - y)^+] = mean Phi(d2 + s) - y Phi(d2) and P(D > y) = Phi(d2) (its minus derivative);
    below 0 every unit is short: mean - y, and P = 1. Without a mean or a spread (a lead time of
    0 days) the demand is the mean itself."""
    if y <= 0:
        return mean - y, 1.0
    if mean <= 0 or sd <= 0:
        return max(mean - y, 0.0), 1.0 if y < mean else 0.0
    s2 = math.log1p((sd / mean) ** 2)
    s = math.sqrt(s2)
    d2 = (math.log(mean / y) - 0.5 * s2) / s
    tail = _phi(d2)
    return max(mean * _phi(d2 + s) - y * tail, 0.0), tail


def spike_aware_plan(
    stats: CappedStats,
    profile: SpikeProfile,
    *,
    lead_time: float,
    lead_std: float,
    service_level: float,
    review_days: float,
    drift: float = 0.0,
    span: int = DRIFT_SPAN,
) -> SpikePlan:
    """SS, ROP and order-up-to S of one SKU (module docstring, points 3 and 4).

    lost(x) is decreasing (a spike's added loss E(x - s) - E(x) shrinks as x grows): Newton's
    method within a shrinking bracket of the root. SS may be negative: when a cycle's order
    already covers more than the allowed loss, the reorder point is below d L.
    """
    if not 0 < service_level < 1:
        raise ValueError(f"service level must be between 0 and 1, not {service_level}")
    d = stats.base
    if d <= 0:
        return SpikePlan(
            d=0.0, sigma=stats.sigma, safety_stock=0.0, reorder_point=0.0, order_up_to=0.0
        )
    mu = d * lead_time
    horizon = stats.age + lead_time / 2  # days from the level's data to the lead time's middle
    sigma = math.sqrt(
        lead_time * stats.sigma**2
        + d * d * lead_std * lead_std
        + (drift * d * lead_time) ** 2 * horizon / span
    )
    cycle_days = max(d * review_days, 1.0) / d
    target = (1 - service_level) * d * (1 + profile.rate * profile.mean_volume)
    weight = profile.rate / len(profile.volumes) if profile.volumes else 0.0
    shifts = [d * v for v in profile.volumes]
    if shifts:
        # After another spike in the same lead time (chance `earlier`): demand shifted by the
        # profile's mean volume and widened by its variance.
        mean_s = sum(shifts) / len(shifts)
        mu_o = mu + mean_s
        sigma_o = math.sqrt(sigma * sigma + sum(s * s for s in shifts) / len(shifts) - mean_s**2)
        earlier = 1 - math.exp(-profile.rate * lead_time)

    def lost(x: float) -> tuple[float, float]:
        """Units lost a day at reorder point x, and minus its derivative."""
        if sigma <= 0:  # no variability: only a spike above x is lost
            spikes = sum(max(0.0, mu + s - x) for s in shifts)
            slope = sum(1.0 for s in shifts if mu + s > x)
            return weight * spikes, weight * slope
        base, base_tail = _short(x, mu, sigma)
        # Sales short of stock are lost, not owed: a cycle sells Q and lasts until Q + E units
        # were asked for, so its loss a day is E d / (Q + E) (E d / Q would overstate it where
        # E is large against Q: low levels, long lead times).
        days = cycle_days + base / d
        value, slope = base / days, base_tail * cycle_days / (days * days)
        if not shifts:
            return value, slope
        other, other_tail = _short(x, mu_o, sigma_o)
        for s in shifts:
            alone, alone_tail = _short(x - s, mu, sigma)
            after, after_tail = _short(x - s, mu_o, sigma_o)
            value += weight * ((1 - earlier) * (alone - base) + earlier * (after - other))
            slope += weight * (
                (1 - earlier) * (alone_tail - base_tail) + earlier * (after_tail - other_tail)
            )
        return value, slope

    # Newton's method, each step narrowing a bracket [lo, hi] of the root (lost decreases);
    # a step that would leave it halves the bracket instead (a spike's added loss is not
    # convex in x, so a plain Newton step can overshoot). Far above every spike nothing is
    # lost: that bounds the bracket from above.
    x, lo, hi = mu, -math.inf, math.inf
    if sigma > 0:
        widest = math.sqrt(sigma * sigma + sum(s * s for s in shifts))
        hi = mu + sum(shifts) + 40 * widest + 1
        for _ in range(60):  # the lognormal's tail is long: make sure hi loses little enough
            if lost(hi)[0] <= target:
                break
            hi *= 2
    for _ in range(200):
        value, slope = lost(x)
        if value > target:
            lo = x
        else:
            hi = x
        if slope > 0:
            step = (value - target) / slope
        elif math.isinf(lo):  # nothing can be lost below x either: keep x (SS 0 at x = mu)
            break
        else:
            step = math.inf
        if not lo < x + step < hi:
            step = (lo + hi) / 2 - x
        x += step
        if abs(step) <= 1e-9 * (1 + abs(x)):
            break
    x = max(x, 0.0)
    ss = x - mu
    return SpikePlan(
        d=d, sigma=stats.sigma, safety_stock=ss, reorder_point=x, order_up_to=x + d * review_days
    )
