"""A deliberately naive, day-by-day reference for the mrrkit core, for the property tests.

Written from the rules of issue 2 only, not from the engine: no integer money, no sorting tricks,
no cumulative sums. For every customer and every day from its first start to ``as_of`` it adds
up the lines running that day (``start <= d < end``); a movement is a day on which that sum
differs from the previous day's by more than 1e-6. Everything else (month-end snapshots, the
monthly table, NRR/GRR, cohorts) is read off those daily values with plain loops. It is slow
(O(customers x days x lines)) and meant for a handful of customers over a few years.

Lines are plain tuples ``(customer_id, start, end, mrr)`` with ``datetime.date`` days and
``end=None`` for a running line. Results that mirror a mrrkit frame are returned as pandas frames
(pandas is only the container here), indexed like the engine's.

Example
-------
>>> from datetime import date
>>> ref = Reference([("a", date(2024, 1, 15), date(2024, 3, 15), 100.0),
...                  ("a", date(2024, 3, 15), None, 150.0)], as_of=date(2024, 4, 30))
>>> [(d.isoformat(), kind, amount) for _, d, kind, amount, _, _ in ref.movements]
[('2024-01-15', 'new', 100.0), ('2024-03-15', 'expansion', 50.0)]
>>> ref.monthly()["mrr"].tolist()
[100.0, 100.0, 150.0, 150.0]
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict

import numpy as np
import pandas as pd

__all__ = [
    "KINDS",
    "MONTHLY_COLUMNS",
    "THRESHOLD",
    "Reference",
    "default_as_of",
    "month_number",
    "period",
]

#: A change of a customer's MRR must exceed this to be a movement; MRR above it means "paying".
THRESHOLD = 1e-6

KINDS = ("new", "expansion", "contraction", "churn", "reactivation")

MONTHLY_COLUMNS = (
    "mrr",
    "customers",
    "new",
    "expansion",
    "contraction",
    "churn",
    "reactivation",
    "net_new",
    "new_customers",
    "expanded_customers",
    "contracted_customers",
    "churned_customers",
    "reactivated_customers",
    "arr",
    "arpa",
    "customer_churn_rate",
    "gross_mrr_churn_rate",
    "net_mrr_churn_rate",
    "quick_ratio",
    "nrr",
    "grr",
)

# Which count column counts which kind.
_COUNT_OF = {
    "new": "new_customers",
    "expansion": "expanded_customers",
    "contraction": "contracted_customers",
    "churn": "churned_customers",
    "reactivation": "reactivated_customers",
}

_DAY = dt.timedelta(days=1)


def default_as_of(lines) -> dt.date:
    """The latest start or end date of any line (zero-length and free lines included)."""
    days = [s for _, s, _, _ in lines] + [e for _, _, e, _ in lines if e is not None]
    return max(days)


def month_number(day: dt.date) -> int:
    """Months since year 0, so that consecutive months differ by one."""
    return day.year * 12 + day.month - 1


def last_day_of(month: int) -> dt.date:
    year, month0 = divmod(month + 1, 12)
    return dt.date(year, month0 + 1, 1) - _DAY


def period(month: int) -> pd.Period:
    return pd.Period(year=month // 12, month=month % 12 + 1, freq="M")


def ratio(num: float, den: float) -> float:
    """num / den; NaN when the base is zero (an undefined rate)."""
    return num / den if den != 0 else math.nan


def paying(value: float) -> bool:
    return value > THRESHOLD


class Reference:
    """Every figure of the core, computed the slow and obvious way.

    Attributes
    ----------
    as_of : date
    customers : sorted customer ids (str)
    movements : list of ``(customer_id, date, kind, amount, mrr_before, mrr_after)`` sorted by
        customer then date
    near_threshold : days whose change is too close to the 1e-6 threshold (or nets to zero only
        up to float noise) for two correct implementations to be sure to agree; property tests
        skip such inputs (see the test module).
    """

    def __init__(self, lines, as_of: dt.date | None = None):
        self.lines = [(str(c), s, e, float(m)) for c, s, e, m in lines]
        self.as_of = as_of if as_of is not None else default_as_of(self.lines)
        self.by_customer: dict[str, list] = defaultdict(list)
        for c, s, e, m in self.lines:
            self.by_customer[c].append((s, e, m))
        self.customers = sorted(self.by_customer)
        self.first_day = {c: min(s for s, _, _ in ls) for c, ls in self.by_customer.items()}
        self.daily = {c: self._daily_mrr(c) for c in self.customers}
        self._line_days = {
            c: {s for s, _, _ in ls} | {e for _, e, _ in ls if e is not None}
            for c, ls in self.by_customer.items()
        }
        self.near_threshold: list = []
        self.movements = [mv for c in self.customers for mv in self._movements_of(c)]

    # ------------------------------------------------------------------ daily values

    def _daily_mrr(self, customer: str) -> list[float]:
        """MRR on each day from the customer's first start to as_of: the sum of running lines."""
        # Days as ordinals only to keep the loop quick; the rule is the plain one.
        lines = [
            (s.toordinal(), math.inf if e is None else e.toordinal(), m)
            for s, e, m in self.by_customer[customer]
        ]
        first, last = self.first_day[customer].toordinal(), self.as_of.toordinal()
        return [math.fsum(m for s, e, m in lines if s <= day < e) for day in range(first, last + 1)]

    def mrr_on(self, customer: str, day: dt.date) -> float:
        """The customer's MRR on ``day`` (which must not be after as_of)."""
        assert day <= self.as_of, (day, self.as_of)
        first = self.first_day[customer]
        if day < first:
            return 0.0
        return self.daily[customer][(day - first).days]

    def final_mrr(self, customer: str) -> float:
        return self.mrr_on(customer, self.as_of)

    # ------------------------------------------------------------------ movements

    def _movements_of(self, customer: str) -> list:
        out = []
        previous = 0.0
        ever_paid = False
        day = self.first_day[customer]
        for value in self.daily[customer]:
            change = value - previous
            self._watch_threshold(customer, day, change)
            if 1e-9 < abs(value) <= 1e-4:  # paying or not: too close to call as well
                self.near_threshold.append((customer, day, value))
            if abs(change) > THRESHOLD:
                if not paying(previous) and paying(value):
                    kind = "reactivation" if ever_paid else "new"
                elif paying(previous) and not paying(value):
                    kind = "churn"
                elif paying(previous) and paying(value):
                    kind = "expansion" if change > 0 else "contraction"
                else:  # pragma: no cover - needs negative MRR, which the tests never generate
                    raise AssertionError(f"change of {change} between non-paying values")
                ever_paid = ever_paid or paying(value)
                out.append((customer, day, kind, change, previous, value))
            previous = value
            day += _DAY
        return out

    def _watch_threshold(self, customer: str, day: dt.date, change: float) -> None:
        """Note days on which the rules are too close to call.

        A change within a few micros of the 1e-6 threshold, or one that cancels only up to
        float noise, not amount for amount (x and y end, z = x + y starts): the engine's
        documented rounding of each line to a millionth may then decide differently from exact
        arithmetic, and neither is wrong.
        """
        if 1e-9 < abs(change) <= 1e-4:
            self.near_threshold.append((customer, day, change))
        elif abs(change) <= 1e-9 and day in self._line_days[customer]:
            lines = self.by_customer[customer]
            signed = Counter(m for s, e, m in lines if s == day and e != day and m != 0)
            signed.update(-m for s, e, m in lines if e == day and s != day and m != 0)
            if any(signed[m] != signed[-m] for m in signed):
                self.near_threshold.append((customer, day, change))

    # ------------------------------------------------------------------ month snapshots

    @property
    def last_month(self) -> int:
        return month_number(self.as_of)

    def snapshot_day(self, month: int) -> dt.date:
        """The day a month's MRR is read: its last day, or as_of in as_of's month."""
        assert month <= self.last_month
        return self.as_of if month == self.last_month else last_day_of(month)

    def month_end_mrr(self, customer: str, month: int) -> float:
        return self.mrr_on(customer, self.snapshot_day(month))

    def months(self) -> list[int]:
        """Every month from the first movement's to as_of's (none without movements)."""
        if not self.movements:
            return []
        first = min(month_number(d) for _, d, _, _, _, _ in self.movements)
        return list(range(first, self.last_month + 1))

    # ------------------------------------------------------------------ retention

    def retention(self, start: int, end: int) -> tuple[float, float]:
        """(NRR, GRR) from the end of month ``start`` to the end of month ``end``."""
        terms_base, terms_net, terms_gross = [], [], []
        for c in self.customers:
            s = self.month_end_mrr(c, start)
            if not paying(s):
                continue
            e = self.month_end_mrr(c, end)
            terms_base.append(s)
            terms_net.append(e)
            terms_gross.append(min(s, e))
        base, kept_net, kept_gross = map(math.fsum, (terms_base, terms_net, terms_gross))
        return ratio(kept_net, base), ratio(kept_gross, base)

    # ------------------------------------------------------------------ monthly table

    def monthly(self) -> pd.DataFrame:
        months = self.months()
        dated_in: dict[int, list] = defaultdict(list)
        for mv in self.movements:
            dated_in[month_number(mv[1])].append(mv)
        rows = []
        for month in months:
            row: dict[str, float] = {}
            values = [self.month_end_mrr(c, month) for c in self.customers]
            row["mrr"] = math.fsum(values)
            row["customers"] = sum(1 for v in values if paying(v))
            prev_values = [self.month_end_mrr(c, month - 1) for c in self.customers]
            prev_mrr = math.fsum(prev_values)
            prev_customers = sum(1 for v in prev_values if paying(v))
            dated = dated_in[month]
            for kind in KINDS:
                of_kind = [mv[3] for mv in dated if mv[2] == kind]
                row[kind] = math.fsum(of_kind)
                row[_COUNT_OF[kind]] = len(of_kind)
            row["net_new"] = math.fsum(mv[3] for mv in dated)
            row["arr"] = 12 * row["mrr"]
            row["arpa"] = ratio(row["mrr"], row["customers"])
            losses = -(row["churn"] + row["contraction"])
            row["customer_churn_rate"] = ratio(row["churned_customers"], prev_customers)
            row["gross_mrr_churn_rate"] = ratio(losses, prev_mrr)
            row["net_mrr_churn_rate"] = ratio(
                -(row["churn"] + row["contraction"] + row["expansion"] + row["reactivation"]),
                prev_mrr,
            )
            row["quick_ratio"] = ratio(row["new"] + row["expansion"] + row["reactivation"], losses)
            row["nrr"], row["grr"] = self.retention(month - 1, month)
            rows.append(row)
        index = pd.PeriodIndex([period(m) for m in months], freq="M", name="month")
        columns = {
            c: np.array(
                [row[c] for row in rows],
                dtype="int64" if c == "customers" or c.endswith("_customers") else "float64",
            )
            for c in MONTHLY_COLUMNS
        }
        return pd.DataFrame(columns, index=index)

    # ------------------------------------------------------------------ bridge

    def bridge(self, start: int, end: int) -> pd.DataFrame:
        """The MRR bridge of months ``start..end``: indexed by step (``start``, the five kinds
        in bridge order, ``end``), ``amount`` (MRR at the end of ``start - 1`` and of ``end``,
        or the sum of the kind's movements dated in the period), ``customers`` (paying then, or
        the distinct customers with such a movement in the period) and ``movements`` (how many
        movements; None for the two levels)."""

        def level(month):
            values = [self.month_end_mrr(c, month) for c in self.customers]
            return math.fsum(values), sum(1 for v in values if paying(v))

        rows = {"start": (*level(start - 1), None)}
        for kind in ("new", "expansion", "reactivation", "contraction", "churn"):
            dated = [mv for mv in self.movements
                     if mv[2] == kind and start <= month_number(mv[1]) <= end]
            rows[kind] = (math.fsum(mv[3] for mv in dated), len({mv[0] for mv in dated}),
                          len(dated))
        rows["end"] = (*level(end), None)
        steps = list(rows)
        return pd.DataFrame(
            {
                "amount": [rows[s][0] for s in steps],
                "customers": [rows[s][1] for s in steps],
                "movements": np.array([rows[s][2] for s in steps], dtype=object),
            },
            index=pd.Index(steps, name="step"),
        )

    # ------------------------------------------------------------------ cohorts

    def cohort_of(self) -> dict[str, int]:
        """Customer -> month of its ``new`` movement (customers without one have no cohort)."""
        return {c: month_number(d) for c, d, kind, _, _, _ in self.movements if kind == "new"}

    def cohorts(self, value: str = "mrr") -> pd.DataFrame:
        cohort_of = self.cohort_of()
        cohort_months = sorted(set(cohort_of.values()))
        if not cohort_months:
            return pd.DataFrame(index=pd.PeriodIndex([], freq="M", name="cohort"))
        ages = range(self.last_month - cohort_months[0] + 1)
        table = []
        for cohort in cohort_months:
            members = [c for c, m in cohort_of.items() if m == cohort]

            def level(month, members=members):
                values = [self.month_end_mrr(c, month) for c in members]
                return math.fsum(values), sum(1 for v in values if paying(v))

            base_mrr, base_customers = level(cohort)
            row = []
            for age in ages:
                month = cohort + age
                if month > self.last_month:
                    row.append(math.nan)
                    continue
                mrr, customers = level(month)
                if value == "mrr":
                    row.append(ratio(mrr, base_mrr))
                elif value == "customers":
                    row.append(ratio(customers, base_customers))
                elif value == "arpa":
                    row.append(ratio(mrr, customers))
                else:
                    raise ValueError(value)
            table.append(row)
        return pd.DataFrame(
            np.array(table, dtype="float64"),
            index=pd.PeriodIndex([period(m) for m in cohort_months], freq="M", name="cohort"),
            columns=pd.RangeIndex(len(ages), name="age"),
        )
