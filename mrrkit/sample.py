"""The bundled sample: a deterministic, realistic B2B SaaS subscription history.

:func:`generate_sample` simulates four years of a B2B SaaS selling a per-seat ``Platform``
(tiers Starter, Growth, Pro, Enterprise; billed monthly, or annually at ten months' price) and
three add-ons (Analytics per seat, API access, Premium support). Customers arrive at a growing
pace, some after a 14-day free trial at 0; they add and remove seats, upgrade and downgrade, buy
and drop add-ons, see list-price increases, churn for a stated reason and sometimes come back.
Churn and expansion depend on company size, acquisition channel, tier and tenure, so segments
differ the way they do in real books.

The output is canonical lines (see :mod:`mrrkit.engine.lines`): a change ends the current line and starts
the next one the same day, so a plan switch is one expansion or contraction, never churn + new.
Annual plans have one line per term. ``data/sample_subscriptions.csv`` is this output written by
``python -m mrrkit.sample``; :func:`load_sample` reads it back.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["SAMPLE_PATH", "generate_sample", "load_sample"]

#: Where the bundled sample lives (``data/`` next to the package).
SAMPLE_PATH = Path(__file__).resolve().parents[1] / "data" / "sample_subscriptions.csv"

_COLUMNS = (
    "customer_id", "start", "end", "mrr", "plan", "product", "quantity",
    "industry", "company_size", "channel", "country", "churn_reason", "usage", "usage_limit",
)
_ATTRIBUTES = ("plan", "product", "industry", "company_size", "channel", "country", "churn_reason")
_DATE_DTYPE = "datetime64[us]"  # what read_csv gives, so the CSV round-trips exactly

# Chosen among the first 40 seeds: every month from the seventh on shows all five movement kinds.
_DEFAULT_SEED = 22
_DEFAULT_END = "2026-10-31"
_YEARS = 4
_TRIAL_DAYS = 14
_ANNUAL_MONTHS_PAID = 10  # annual billing: two months free

# --- catalogue ----------------------------------------------------------------------------------
_BASE_PRODUCT = "Platform"
_TIERS = ("Starter", "Growth", "Pro", "Enterprise")
_MIN_SEATS = (1, 1, 3, 10)
# Per-seat monthly list prices; later versions start this many months after the window opens
# (with the default end: 2024-04-01 and 2025-09-01). Existing customers move at their next renewal.
_PRICE_BOOK = (
    (0, (8.0, 17.0, 27.0, 42.0)),
    (17, (9.0, 19.0, 27.0, 42.0)),
    (34, (10.0, 20.0, 29.0, 45.0)),
)
# name -> (monthly price, per seat?, lowest tier allowed)
_ADDONS = {
    "Analytics": (4.0, True, 0),
    "API access": (49.0, False, 1),
    "Premium support": (99.0, False, 2),
}

# --- customer mix (probabilities) --------------------------------------------------------------
_INDUSTRIES = {
    "Software": 0.20, "E-commerce": 0.13, "Financial services": 0.10, "Healthcare": 0.08,
    "Manufacturing": 0.10, "Education": 0.07, "Marketing & media": 0.10,
    "Professional services": 0.12, "Logistics": 0.05, "Real estate": 0.05,
}
_SIZES = {"1-10": 0.30, "11-50": 0.32, "51-200": 0.21, "201-1000": 0.12, "1000+": 0.05}
_COUNTRIES = {
    "FR": 0.22, "US": 0.18, "GB": 0.12, "DE": 0.12, "IT": 0.10, "ES": 0.08,
    "NL": 0.05, "BE": 0.04, "CH": 0.03, "CA": 0.03, "SE": 0.03,
}
_CHANNELS = ("inbound", "outbound", "paid ads", "referral", "partner")
# Tier mix and seats (median, with a log-normal spread) by company size.
_TIER_MIX = {
    "1-10": (0.66, 0.29, 0.05, 0.00),
    "11-50": (0.36, 0.45, 0.16, 0.03),
    "51-200": (0.12, 0.43, 0.35, 0.10),
    "201-1000": (0.03, 0.27, 0.42, 0.28),
    "1000+": (0.00, 0.12, 0.38, 0.50),
}
_SEAT_MEDIAN = {"1-10": 1.4, "11-50": 2.6, "51-200": 4.3, "201-1000": 7.0, "1000+": 11.0}
_ANNUAL_SHARE = {"1-10": 0.12, "11-50": 0.22, "51-200": 0.38, "201-1000": 0.55, "1000+": 0.70}
_TRIAL_SHARE = {"inbound": 0.6, "outbound": 0.1, "paid ads": 0.7, "referral": 0.35, "partner": 0.2}

# --- behaviour ----------------------------------------------------------------------------------
_BASE_CHURN = 0.024  # monthly hazard before multipliers
_CHURN_BY_SIZE = {"1-10": 1.7, "11-50": 1.15, "51-200": 0.8, "201-1000": 0.55, "1000+": 0.4}
_CHURN_BY_CHANNEL = {"inbound": 1.0, "outbound": 1.1, "paid ads": 1.6, "referral": 0.65,
                     "partner": 0.8}
_CHURN_BY_TIER = (1.25, 1.0, 0.85, 0.7)
_CHURN_BY_INDUSTRY = {"Education": 1.2, "E-commerce": 1.1, "Financial services": 0.85,
                      "Healthcare": 0.9}
_EXPANSION_BY_SIZE = {"1-10": 0.6, "11-50": 0.9, "51-200": 1.0, "201-1000": 1.1, "1000+": 1.2}
_REASONS = ("budget", "switched to competitor", "missing features", "poor onboarding",
            "company closed", "no longer needed")
_REASON_WEIGHTS = (0.25, 0.20, 0.18, 0.12, 0.10, 0.15)
# Chance a customer who left for this reason comes back some months later.
_RETURN_BY_REASON = (0.35, 0.15, 0.25, 0.20, 0.0, 0.20)
_GRANDFATHERED = 0.25  # share of customers never moved to a newer price list
# Monthly API calls included in each tier (a soft limit: usage may go past it).
_USAGE_LIMIT = (10_000, 50_000, 250_000, 1_000_000)


class _Uniforms:
    """Uniform draws from one numpy Generator, fetched in blocks (scalar draws are slow).

    ``u()`` gives one draw; ``u.row()`` gives the ``_ROW`` draws a simulated month needs at once.
    """

    def __init__(self, rng: np.random.Generator, block: int = 4096):
        self._rng = rng
        self._block = block
        self._buf: list[float] = []
        self._pos = 0
        self._rows: list[list[float]] = []
        self._row = 0

    def __call__(self) -> float:
        if self._pos == len(self._buf):
            self._buf = self._rng.random(self._block).tolist()
            self._pos = 0
        self._pos += 1
        return self._buf[self._pos - 1]

    def row(self) -> list[float]:
        if self._row == len(self._rows):
            self._rows = self._rng.random((self._block // 4, _ROW)).tolist()
            self._row = 0
        self._row += 1
        return self._rows[self._row - 1]


_ROW = 16  # draws per simulated month (see _Customer.live)


def _add_months(day: dt.date, months: int, anchor: int) -> dt.date:
    """``day`` moved by ``months`` calendar months, on day-of-month ``anchor`` (1..28)."""
    m = day.month - 1 + months
    return dt.date(day.year + m // 12, m % 12 + 1, anchor)


def _pick(u: float, weights) -> int:
    total = sum(weights)
    acc = 0.0
    for i, w in enumerate(weights):
        acc += w / total
        if u < acc:
            return i
    return len(weights) - 1


def _choice(rng: np.random.Generator, table: dict, n: int) -> np.ndarray:
    keys = list(table)
    p = np.array([table[k] for k in keys], float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


class _Customer:
    """One customer's life, written as canonical lines into ``out``."""

    def __init__(self, cid, attrs, out, u, end, price_dates):
        self.cid = cid
        self.attrs = attrs  # (industry, company_size, channel, country)
        self.out = out
        self.u = u
        self.end = end
        self.price_dates = price_dates
        self.grandfathered = False
        self.discount = 0.0
        self.tier = 0
        self.seats = 1
        self.annual = False
        self.version = 0
        self.base_start = None
        self.addons: dict[str, tuple[dt.date, int, str]] = {}  # name -> (start, qty, plan)

    # -- prices and lines ------------------------------------------------------------------------
    def version_on(self, day: dt.date) -> int:
        return bisect.bisect_right(self.price_dates, day) - 1

    def plan(self) -> str:
        return f"{_TIERS[self.tier]} {'annual' if self.annual else 'monthly'}"

    def base_mrr(self) -> float:
        unit = _PRICE_BOOK[self.version][1][self.tier]
        monthly = unit * self.seats * (1.0 - self.discount)
        if self.annual:
            # Billed once a year; MRR is the yearly price spread over 12 months.
            return round(round(monthly * _ANNUAL_MONTHS_PAID, 2) / 12, 2)
        return round(monthly, 2)

    def emit(self, start, end, mrr, product, qty, reason=None, plan=None):
        self.out.append((self.cid, start, end, mrr, plan or self.plan(), product, qty, reason))

    def close_base(self, day, reason=None):
        if day > self.base_start:  # same-day changes rewrite the open line, no zero-length line
            self.emit(self.base_start, day, self.base_mrr(), _BASE_PRODUCT, self.seats, reason)
        self.base_start = day

    def change(self, day, **state):
        """End the base line on ``day`` and start the changed one the same day."""
        self.close_base(day)
        for k, v in state.items():
            setattr(self, k, v)

    def addon_mrr(self, name, qty):
        price, per_seat, _ = _ADDONS[name]
        return round(price * qty, 2) if per_seat else price

    def add_addon(self, day, name):
        qty = self.seats if _ADDONS[name][1] else 1
        self.addons[name] = (day, qty, self.plan())

    def drop_addon(self, day, name, reason=None):
        start, qty, plan = self.addons.pop(name)
        if day > start:
            self.emit(start, day, self.addon_mrr(name, qty), name, qty, reason, plan)
        if reason is None and start > self.base_start:
            # Re-issue the base line so the latest line (which carries the customer's attributes)
            # is not an add-on that has ended.
            self.close_base(day)

    def churn(self, day, reason):
        for name in sorted(self.addons):
            self.drop_addon(day, name, reason)
        self.close_base(day, reason)
        self.base_start = None

    def finish(self):
        """Lines still running at the end of the window get an empty end."""
        if self.base_start is not None:
            self.emit(self.base_start, None, self.base_mrr(), _BASE_PRODUCT, self.seats)
            for name in sorted(self.addons):
                start, qty, plan = self.addons[name]
                self.emit(start, None, self.addon_mrr(name, qty), name, qty, None, plan)

    # -- behaviour -------------------------------------------------------------------------------
    def churn_hazard(self, tenure: int) -> float:
        industry, size, channel, _ = self.attrs
        h = (_BASE_CHURN * _CHURN_BY_SIZE[size] * _CHURN_BY_CHANNEL[channel]
             * _CHURN_BY_TIER[self.tier] * _CHURN_BY_INDUSTRY.get(industry, 1.0))
        if tenure <= 3:
            h *= 1.6
        elif tenure > 12:
            h *= 0.85
        return h

    def churn_reason(self, tenure: int, draw: float) -> int:
        _, size, channel, _ = self.attrs
        w = list(_REASON_WEIGHTS)
        if size == "1-10":
            w[0] *= 1.4
            w[4] *= 2.5
        elif size in ("201-1000", "1000+"):
            w[1] *= 1.6
            w[2] *= 1.4
            w[4] *= 0.2
        if channel == "paid ads":
            w[3] *= 2.0
        if tenure <= 3:
            w[3] *= 2.0
        return _pick(draw, w)

    def seat_delta(self, lo, hi):
        return max(1, round(self.seats * (lo + (hi - lo) * self.u())))

    def live(self, paid_start: dt.date) -> None:
        """Simulate paid spells from ``paid_start`` until the window ends or the customer leaves."""
        u, end = self.u, self.end
        size = self.attrs[1]
        grow = _EXPANSION_BY_SIZE[size]
        start = paid_start
        while True:
            anchor = min(start.day, 28)
            self.base_start = start
            self.version = self.version_on(start)
            term_end = _add_months(start, 12, anchor) if self.annual else None
            k = 0
            next_period = start
            gone = None
            while True:
                period = next_period
                if period > end:
                    break
                r = u.row()  # this month's draws, one slot per decision
                renewal = k > 0 and (not self.annual or period == term_end)
                if renewal:
                    h = self.churn_hazard(k)
                    p = 1.0 - (1.0 - 0.55 * h) ** 12 if self.annual else h
                    if r[0] < p:
                        gone = (period, self.churn_reason(k, r[1]))
                        self.churn(period, _REASONS[gone[1]])
                        break
                    latest = self.version_on(period)
                    if latest > self.version and not self.grandfathered:
                        self.change(period, version=latest)  # price increase, same plan & seats
                    if self.annual:
                        self.close_base(period)  # one line per annual term
                        term_end = _add_months(period, 12, anchor)
                        # Annual customers can only shrink at renewal.
                        if r[2] < 0.10:
                            self.apply(period, "seats_down")
                        elif r[3] < 0.04 and self.tier > 0:
                            self.apply(period, "downgrade")
                    elif r[2] < 0.006:
                        self.change(period, annual=True)  # switch to annual billing
                        term_end = _add_months(period, 12, anchor)
                next_period = _add_months(start, k + 1, anchor)
                span = (next_period - period).days - 1
                events = []
                early = 1.8 if k < 6 else 1.0
                if r[4] < 0.042 * early * grow:
                    events.append("seats_up")
                if r[5] < 0.009 * early and self.tier < 3:
                    events.append("upgrade")
                if not self.annual and r[6] < 0.025:
                    events.append("seats_down")
                if not self.annual and r[7] < 0.006 and self.tier > 0:
                    events.append("downgrade")
                for j, (name, (_, _, min_tier)) in enumerate(_ADDONS.items()):
                    if name in self.addons:
                        if r[8 + j] < 0.02:
                            events.append("drop " + name)
                    elif self.tier >= min_tier and r[8 + j] < 0.008 * grow:
                        events.append("add " + name)
                days = sorted((period + dt.timedelta(days=1 + int(u() * span)), e)
                              for e in events)
                for day, event in days:
                    if day > end:
                        break
                    self.apply(day, event)
                k += 1
            if gone is None:
                self.finish()
                return
            day, reason = gone
            if u() >= _RETURN_BY_REASON[reason]:
                return
            # Back after 1 to ~18 months, mostly on a monthly plan, often smaller than before.
            gap = 1 + min(int(math.log(1.0 - u()) / math.log(0.75)), 17)
            start = day + dt.timedelta(days=30 * gap + int(u() * 28))
            if start > end:
                return
            self.annual = u() < 0.1
            if self.tier > 0 and u() < 0.4:
                self.tier -= 1
            self.seats = max(_MIN_SEATS[self.tier], self.seats - self.seat_delta(0.0, 0.4))
            self.addons = {}

    def apply(self, day, event):
        if event == "seats_up":
            self.change(day, seats=self.seats + self.seat_delta(0.05, 0.25))
        elif event == "seats_down":
            seats = max(_MIN_SEATS[self.tier], self.seats - self.seat_delta(0.05, 0.3))
            if seats != self.seats:
                self.change(day, seats=seats)
        elif event == "upgrade":
            tier = self.tier + 1
            # A plan change moves the customer to the current list price.
            self.change(day, tier=tier, seats=max(self.seats, _MIN_SEATS[tier]),
                        version=self.version_on(day))
        elif event == "downgrade":
            self.change(day, tier=self.tier - 1, version=self.version_on(day))
            for name in [n for n in self.addons if _ADDONS[n][2] > self.tier]:
                self.drop_addon(day, name)
        elif event.startswith("add "):
            if self.tier >= _ADDONS[event[4:]][2]:
                self.add_addon(day, event[4:])
        elif event.startswith("drop ") and event[5:] in self.addons:
            self.drop_addon(day, event[5:])


def _to_date(value) -> dt.date:
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        raise ValueError("end must be a date, got a missing value")
    return ts.date()


def generate_sample(
    n_customers: int = 3000, seed: int = _DEFAULT_SEED, end=_DEFAULT_END
) -> pd.DataFrame:
    """Simulate the subscription lines of a B2B SaaS over the four years up to ``end``.

    Deterministic: the same arguments always give the same frame.

    Parameters
    ----------
    n_customers : int, default 3000
        Customers ever acquired (a few of the last ones may still be in their free trial).
        Acquisition grows over the window: about three times as many in the last month as in
        the first.
    seed : int, default 22
        Seed of the ``numpy.random.Generator`` driving every draw (the default was picked so
        that every month from the seventh on shows all five movement kinds).
    end : date-like, default "2026-10-31"
        Last day of the window; nothing happens after it, and lines still running have an empty
        ``end``.

    Returns
    -------
    DataFrame
        Canonical lines sorted by ``customer_id`` and ``start``, columns ``customer_id, start,
        end, mrr, plan, product, quantity, industry, company_size, channel, country,
        churn_reason, usage, usage_limit``. ``plan`` is the tier and billing ("Growth monthly",
        "Pro annual"; an add-on line carries the customer's plan when it was bought); ``product``
        is ``Platform`` or an add-on; ``quantity`` is seats (1 for flat add-ons); ``churn_reason`` is set only
        on lines that ended because the customer churned; ``usage`` (API calls this month) and
        ``usage_limit`` (the calls the tier includes) are set on the running Platform lines only.

    Examples
    --------
    >>> lines = generate_sample(n_customers=40, seed=1)
    >>> list(lines.columns[:7])
    ['customer_id', 'start', 'end', 'mrr', 'plan', 'product', 'quantity']
    >>> lines["customer_id"].iloc[0], lines["customer_id"].nunique()
    ('cus_0001', 40)
    >>> lines.equals(generate_sample(n_customers=40, seed=1))
    True
    >>> bool((lines["start"] <= pd.Timestamp("2026-10-31")).all())
    True
    """
    if int(n_customers) < 1:
        raise ValueError(f"n_customers must be at least 1, got {n_customers}")
    n = int(n_customers)
    end_day = _to_date(end)
    window_start = (pd.Timestamp(end_day) - pd.DateOffset(years=_YEARS)).date() + dt.timedelta(1)
    span_days = (end_day - window_start).days + 1
    first_month = dt.date(window_start.year, window_start.month, 1)
    price_dates = [_add_months(first_month, months, 1) for months, _ in _PRICE_BOOK]
    price_dates[0] = dt.date.min

    rng = np.random.default_rng(seed)
    # Acquisition days: density rising linearly (x3 over the window); inverse CDF of a + b*t.
    a, b = 1.0, 2.0
    q = np.sort(rng.random(n))
    frac = (-a + np.sqrt(a * a + (2 * a + b) * b * q)) / b
    acquired = (frac * span_days).astype(np.int64)
    size = _choice(rng, _SIZES, n)
    industry = _choice(rng, _INDUSTRIES, n)
    country = _choice(rng, _COUNTRIES, n)
    # Paid ads grow from 12% to 27% of acquisitions, taken evenly from the other channels.
    paid_share = 0.12 + 0.15 * frac
    other = np.array([0.40, 0.18, 0.16, 0.14]) / 0.88
    cum = np.column_stack([
        (1 - paid_share) * other[0],
        (1 - paid_share) * other[:2].sum(),
        (1 - paid_share) * other[:2].sum() + paid_share,
        (1 - paid_share) * other[:3].sum() + paid_share,
    ])
    channel = np.array(_CHANNELS, dtype=object)[(rng.random(n)[:, None] >= cum).sum(axis=1)]
    tier_u = rng.random(n)
    tier = np.array([_pick(t, _TIER_MIX[s]) for t, s in zip(tier_u, size)])
    median = np.array([_SEAT_MEDIAN[s] for s in size])
    seats = np.maximum(np.rint(median * np.exp(0.6 * rng.standard_normal(n))), 1).astype(int)
    seats = np.maximum(seats, np.array(_MIN_SEATS)[tier])
    annual = rng.random(n) < np.array([_ANNUAL_SHARE[s] for s in size])
    trial = rng.random(n) < np.array([_TRIAL_SHARE[c] for c in channel])
    big = np.isin(size, ["201-1000", "1000+"])
    discount = np.where(big, rng.choice([0.0, 0.05, 0.10, 0.15, 0.20], n), 0.0)
    grandfathered = rng.random(n) < _GRANDFATHERED

    width = max(4, len(str(n)))
    u = _Uniforms(rng)
    rows: list[tuple] = []
    for i in range(n):
        cid = f"cus_{i + 1:0{width}d}"
        cust = _Customer(cid, (industry[i], size[i], channel[i], country[i]), rows, u,
                         end_day, price_dates)
        cust.tier, cust.seats, cust.annual = int(tier[i]), int(seats[i]), bool(annual[i])
        cust.discount, cust.grandfathered = float(discount[i]), bool(grandfathered[i])
        first = window_start + dt.timedelta(days=int(acquired[i]))
        paid = first + dt.timedelta(days=_TRIAL_DAYS) if trial[i] else first
        if trial[i]:
            cust.emit(first, paid if paid <= end_day else None, 0.0, _BASE_PRODUCT, cust.seats)
        if paid <= end_day:
            cust.live(paid)

    attrs = pd.DataFrame(
        {"industry": industry, "company_size": size, "channel": channel, "country": country},
        index=[f"cus_{i + 1:0{width}d}" for i in range(n)],
    )
    out = pd.DataFrame(rows, columns=["customer_id", "start", "end", "mrr", "plan", "product",
                                      "quantity", "churn_reason"])
    out = out.join(attrs, on="customer_id")
    # Base lines last among lines starting the same day, so the latest line describes the plan.
    out["_addon"] = out["product"] != _BASE_PRODUCT
    out = out.sort_values(["customer_id", "start", "_addon"], ascending=[True, True, False],
                          kind="stable", ignore_index=True)
    out = _with_usage(out, seed)
    return _typed(out[list(_COLUMNS)])


def _with_usage(lines: pd.DataFrame, seed: int) -> pd.DataFrame:
    """``usage`` (API calls this month) and ``usage_limit`` (the calls the tier includes) on the
    running Platform lines; empty elsewhere (a past month's usage is not known).

    Drawn from their own random stream, so the other columns are the same with or without them.
    The share of the limit used is Beta-distributed around one half, higher for customers with
    more seats than their tier's minimum (more users, more calls), and may pass 100% (a soft
    limit): about one running line in eight is at 80% or more.
    """
    out = lines.copy()
    running = (out["product"] == _BASE_PRODUCT) & out["end"].isna() & (out["mrr"] > 0)
    tiers = out.loc[running, "plan"].str.split(" ").str[0].map(_TIERS.index).to_numpy()
    seats = out.loc[running, "quantity"].to_numpy(dtype="float64")
    crowd = np.log(seats / np.asarray(_MIN_SEATS, dtype="float64")[tiers])
    rng = np.random.default_rng([seed, 1])
    share = 1.15 * rng.beta(2.0 + 0.35 * crowd, 3.0)
    limit = np.asarray(_USAGE_LIMIT, dtype="int64")[tiers]
    out["usage"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["usage_limit"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out.loc[running, "usage"] = np.rint(share * limit).astype("int64")
    out.loc[running, "usage_limit"] = limit
    return out


def _typed(lines: pd.DataFrame) -> pd.DataFrame:
    """The sample's dtypes: dates datetime64, mrr float, quantity int, everything else str."""
    out = lines.copy()
    for col in ("start", "end"):
        out[col] = pd.to_datetime(out[col]).astype(_DATE_DTYPE)
    out["mrr"] = out["mrr"].astype("float64")
    out["quantity"] = out["quantity"].astype("int64")
    for col in ("usage", "usage_limit"):
        out[col] = out[col].astype("Int64")
    for col in ("customer_id", *_ATTRIBUTES):
        out[col] = out[col].astype("str")
    return out


def load_sample() -> pd.DataFrame:
    """The bundled sample lines (``data/sample_subscriptions.csv``).

    Falls back to :func:`generate_sample` (same content) when the file is missing.

    Returns
    -------
    DataFrame
        Canonical lines as :func:`generate_sample` returns them: ``start``/``end``
        datetime64 (``end`` NaT while running), ``mrr`` float, ``quantity`` int, other columns
        str (``churn_reason`` missing except on lines that ended with a churn).

    Examples
    --------
    >>> lines = load_sample()
    >>> lines["customer_id"].nunique()
    3000
    >>> str(lines["start"].dtype), str(lines["mrr"].dtype), str(lines["quantity"].dtype)
    ('datetime64[us]', 'float64', 'int64')
    """
    if not SAMPLE_PATH.exists():
        return generate_sample()
    raw = pd.read_csv(
        SAMPLE_PATH,
        dtype={c: "str" for c in ("customer_id", *_ATTRIBUTES)}
        | {"quantity": "int64", "usage": "Int64", "usage_limit": "Int64"},
        keep_default_na=False,  # only an empty field is missing ("NA" could be a country code)
        na_values=[""],
    )
    missing = [c for c in _COLUMNS if c not in raw.columns]
    if missing:
        raise ValueError(f"{SAMPLE_PATH} lacks column(s) {missing}; regenerate it with "
                         "`python -m mrrkit.sample`")
    return _typed(raw[list(_COLUMNS)])


def _write(path: Path = SAMPLE_PATH) -> pd.DataFrame:
    lines = generate_sample()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines.to_csv(path, index=False, date_format="%Y-%m-%d", float_format="%.2f",
                 lineterminator="\n")
    return lines


if __name__ == "__main__":
    written = _write()
    size_kb = SAMPLE_PATH.stat().st_size / 1024
    print(f"wrote {SAMPLE_PATH} ({len(written):,} lines, "
          f"{written['customer_id'].nunique():,} customers, {size_kb:,.0f} KiB)", file=sys.stderr)
