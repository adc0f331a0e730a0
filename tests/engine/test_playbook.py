"""The dbt mrr-playbook's public seed: figures derived by hand from the playbook's rules.

The playbook (dbt-labs/mrr-playbook: customer_revenue_by_month, customer_churn_month, mrr) works on
month snapshots: a customer's MRR in month M is the amount of the subscription running on M's 1st;
each customer-month is ``new`` (first active month), ``churn`` (inactive, was active the month
before; plus one extra churn row in the month after the last active month), ``reactivation``
(active, was not), ``upgrade`` / ``downgrade`` (MRR up / down). Every date of the seed is a 1st
and ``end_date`` is the first unpaid month, so our event-level rules (``end`` exclusive; a change
dated on the 1st belongs to that month) must give the same figures, with upgrade = expansion and
downgrade = contraction. The playbook's extra churn row for subscriptions ending 2020-02-01 lands
in 2020-02, which is why ``as_of`` must be the default, the latest date of the seed (2020-02-01):
an as_of of 2020-01-31 would drop those four churns.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest
from tests.reference import Reference, month_number, period

import mrrkit

#: The playbook's seed, vendored unmodified (source, licence and checksum in its README).
SEED = Path(__file__).parents[1] / "fixtures" / "dbt_mrr_playbook" / "subscription_periods.csv"
SEED_SHA256 = "eba22dd5a2e2fcdb797d626672612288d058cf1fd6b6fdc65976dea44ea552ea"
NAN = float("nan")


def test_the_seed_is_the_playbooks_own():
    assert hashlib.sha256(SEED.read_bytes()).hexdigest() == SEED_SHA256


@pytest.fixture(scope="module")
def seed() -> pd.DataFrame:
    raw = pd.read_csv(SEED, dtype={"customer_id": "str", "subscription_id": "str"})
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "start": pd.to_datetime(raw["start_date"]),
            "end": pd.to_datetime(raw["end_date"]),
            "mrr": raw["monthly_amount"].astype("float64"),
            "subscription_id": raw["subscription_id"],  # an attribute column
        }
    )


@pytest.fixture(scope="module")
def moves(seed) -> pd.DataFrame:
    return mrrkit.movements(seed)


@pytest.fixture(scope="module")
def table(seed) -> pd.DataFrame:
    return mrrkit.monthly(seed)


def customer_rows(moves, customer):
    own = moves[moves["customer_id"] == customer]
    return [
        (d.strftime("%Y-%m-%d"), str(k), a)
        for d, k, a in zip(own["date"], own["kind"], own["amount"])
    ]


def test_as_of_is_the_latest_end_date(seed, moves, table):
    assert moves.as_of == pd.Timestamp("2020-02-01")
    assert str(table.index[0]) == "2017-09"
    assert str(table.index[-1]) == "2020-02"
    # One day earlier the playbook's 2020-02 churn rows (customers 51, 53, 54, 55) are missing.
    early = mrrkit.monthly(seed, as_of="2020-01-31")
    assert str(early.index[-1]) == "2020-01"
    assert early["mrr"].iloc[-1] == 175.0


# Hand derivations, customer by customer (lines as start..end exclusive: amount):
CUSTOMERS = {
    # 1: 2018-11..2019-02: 50; 2019-04..2019-06: 50; 2019-06..2019-08: 75.
    #   Playbook months: 2018-11 new (50); 2018-12, 2019-01 unchanged; 2019-02 mrr 0 after an
    #   active month = churn (-50); 2019-03 inactive; 2019-04 active again = reactivation (+50);
    #   2019-06 upgrade (75 - 50 = +25); last active 2019-07, churn row 2019-08 (-75).
    "1": [
        ("2018-11-01", "new", 50.0),
        ("2019-02-01", "churn", -50.0),
        ("2019-04-01", "reactivation", 50.0),
        ("2019-06-01", "expansion", 25.0),
        ("2019-08-01", "churn", -75.0),
    ],
    # 5: 2018-11: 50; 2018-12..2019-03: 25; 2019-07: 50; 2019-08: 25; 2019-09: 50;
    #    2019-10..2019-12: 25; 2019-12: 40 (to 2020-01).
    #   new 50; downgrade 25 - 50 = -25 (2018-12); churn in 2019-03 (-25); reactivation 2019-07
    #   (+50); downgrade -25 (08); upgrade +25 (09); downgrade -25 (10); 2019-11 unchanged;
    #   upgrade 40 - 25 = +15 (12); churn row 2020-01 (-40).
    "5": [
        ("2018-11-01", "new", 50.0),
        ("2018-12-01", "contraction", -25.0),
        ("2019-03-01", "churn", -25.0),
        ("2019-07-01", "reactivation", 50.0),
        ("2019-08-01", "contraction", -25.0),
        ("2019-09-01", "expansion", 25.0),
        ("2019-10-01", "contraction", -25.0),
        ("2019-12-01", "expansion", 15.0),
        ("2020-01-01", "churn", -40.0),
    ],
    # 10: 2018-04: 80; gap 2018-05..08; 2018-09: 50; 2018-10..2019-04: 25; 2019-04: 50;
    #     2019-05: 25; 2019-06..2019-11: 50; 2019-11: 25; 2019-12: 35 (to 2020-01).
    #   new 80; churn 2018-05 (-80); reactivation 2018-09 (+50); downgrade -25 (2018-10);
    #   upgrade +25 (2019-04); downgrade -25 (05); upgrade +25 (06); downgrade -25 (11);
    #   upgrade +10 (12); churn row 2020-01 (-35).
    "10": [
        ("2018-04-01", "new", 80.0),
        ("2018-05-01", "churn", -80.0),
        ("2018-09-01", "reactivation", 50.0),
        ("2018-10-01", "contraction", -25.0),
        ("2019-04-01", "expansion", 25.0),
        ("2019-05-01", "contraction", -25.0),
        ("2019-06-01", "expansion", 25.0),
        ("2019-11-01", "contraction", -25.0),
        ("2019-12-01", "expansion", 10.0),
        ("2020-01-01", "churn", -35.0),
    ],
    # 14: monthly lines 25, 50, 25, 50, 25 (2019-03..07), then 2019-08: 25 and 2019-09: 50 and
    #     2019-10..2020-01: 25. On 2019-08-01 a 25 line ends and another 25 line starts: the
    #     playbook sees 25 -> 25 (no category); the same-day switch nets to nothing here too.
    "14": [
        ("2019-03-01", "new", 25.0),
        ("2019-04-01", "expansion", 25.0),
        ("2019-05-01", "contraction", -25.0),
        ("2019-06-01", "expansion", 25.0),
        ("2019-07-01", "contraction", -25.0),
        ("2019-09-01", "expansion", 25.0),
        ("2019-10-01", "contraction", -25.0),
        ("2020-01-01", "churn", -25.0),
    ],
    # 15: 2019-02: 30, then 2019-03..2020-01: 30: one new, a switch at the same price (nothing),
    #     churn row 2020-01.
    "15": [("2019-02-01", "new", 30.0), ("2020-01-01", "churn", -30.0)],
    # 17: 25 (2018-11), 50 (2018-12..2019-05), 25 (2019-05), 40 (2019-06..09), 35 (2019-09),
    #     65 (2019-10), 100 (2019-11), 95 (2019-12).
    "17": [
        ("2018-11-01", "new", 25.0),
        ("2018-12-01", "expansion", 25.0),
        ("2019-05-01", "contraction", -25.0),
        ("2019-06-01", "expansion", 15.0),
        ("2019-09-01", "contraction", -5.0),
        ("2019-10-01", "expansion", 30.0),
        ("2019-11-01", "expansion", 35.0),
        ("2019-12-01", "contraction", -5.0),
        ("2020-01-01", "churn", -95.0),
    ],
    # 2: 2017-09..2017-11: 25 -> new 2017-09, churn 2017-11.
    "2": [("2017-09-01", "new", 25.0), ("2017-11-01", "churn", -25.0)],
}


@pytest.mark.parametrize("customer", list(CUSTOMERS))
def test_customer_movements_derived_by_hand(moves, customer):
    assert customer_rows(moves, customer) == CUSTOMERS[customer]


# Month totals derived by hand from the CSV:
#
# 2017-09: customers 2 (25) and 3 (50) start: new 75, mrr 75, 2 customers, arpa 37.5; no base
#          yet, so every rate is NaN.
# 2017-10: 3 ends (churn -50), 4 starts (new 25): mrr 75 - 50 + 25 = 50, 2 customers;
#          churn rate 1/2; gross MRR churn 50/75; net MRR churn 50/75; quick ratio 25/50 = 0.5;
#          NRR: base 2 (25) + 3 (50) = 75, at the end 25 + 0 -> 25/75; GRR the same.
# 2017-11: 2 and 4 end (churn -25 -25 = -50): mrr 0, 0 customers, churn rate 2/2 = 1,
#          gross 50/50 = 1, quick 0/50 = 0, NRR = GRR = 0/50 = 0.
# 2017-12: nothing moves, base 0: mrr 0, rates NaN.
# 2018-01: customer 7 starts at 55: new 55, mrr 55, 1 customer; base 0 -> rates NaN.
# 2019-12 (all on 2019-12-01):
#   new: 46 (50), 50 (25), 52 (25) = 100, 3 customers;
#   expansion: 5 (25 -> 40: +15), 10 (25 -> 35: +10), 41 (25 -> 50: +25) = +50, 3 movements;
#   contraction: 17 (100 -> 95: -5), 31 (50 -> 25: -25) = -30, 2 movements;
#   churn (a line ends 2019-12-01, nothing follows): 7 (70), 8 (65), 18 (50), 20 (50), 21 (50),
#     28 (25), 29 (35), 30 (45), 33 (25), 35 (25), 38 (30), 39 (35), 42 (50), 43 (25), 47 (50),
#     48 (25), 49 (50): 70 + 65 + 50 * 3 + 25 + 35 + 45 + 25 + 25 + 30 + 35 + 50 + 25 + 50 + 25
#     + 50 = 705, 17 customers;
#   net new 100 + 50 - 30 - 705 = -585.
# 2020-01: every line still running ends 2020-01-01: customers 5 (40), 6 (65), 9 (75), 10 (35),
#   11 (50), 12 (50), 13 (50), 14 (25), 15 (30), 16 (25), 17 (95), 19 (50), 23 (50), 24 (60),
#   25 (45), 27 (125), 31 (25), 32 (25), 34 (25), 36 (25), 37 (25), 40 (50), 41 (50), 44 (25),
#   45 (35), 46 (50), 50 (25), 52 (25) = 1255, 28 customers: so mrr(2019-12) = 1255 with 28
#   customers, and mrr(2019-11) = 1255 + 585 = 1840 with 28 - 3 + 17 = 42 customers.
#   New: 51 (50), 53 (50), 54 (25), 55 (50) = 175, 4 customers. mrr(2020-01) = 175.
# 2020-02: those four end 2020-02-01: churn -175, mrr 0.
#
# Rates of 2019-12 (base: end of 2019-11, 1840 and 42 customers):
#   churn rate 17/42; gross (705 + 30)/1840; net (705 + 30 - 50)/1840 = 685/1840;
#   quick (100 + 50)/(705 + 30) = 150/735;
#   NRR: the 42 paying at the end of Nov have 1255 - 100 (the three new) = 1155 -> 1155/1840;
#   GRR caps the three expansions: 1155 - 50 = 1105 -> 1105/1840.
# Rates of 2020-01 (base 1255, 28 customers): churn rate 28/28 = 1; gross 1255/1255 = 1; net 1;
#   quick 175/1255; NRR = GRR = 0.
MONTHS = {
    "2017-09": {
        "mrr": 75.0, "customers": 2, "new": 75.0, "churn": 0.0, "new_customers": 2,
        "arpa": 37.5, "customer_churn_rate": NAN, "gross_mrr_churn_rate": NAN,
        "quick_ratio": NAN, "nrr": NAN,
    },
    "2017-10": {
        "mrr": 50.0, "customers": 2, "new": 25.0, "churn": -50.0, "net_new": -25.0,
        "customer_churn_rate": 0.5, "gross_mrr_churn_rate": 50 / 75,
        "net_mrr_churn_rate": 50 / 75, "quick_ratio": 0.5, "nrr": 25 / 75, "grr": 25 / 75,
    },
    "2017-11": {
        "mrr": 0.0, "customers": 0, "churn": -50.0, "churned_customers": 2, "arpa": NAN,
        "customer_churn_rate": 1.0, "gross_mrr_churn_rate": 1.0, "quick_ratio": 0.0,
        "nrr": 0.0, "grr": 0.0,
    },
    "2017-12": {
        "mrr": 0.0, "customers": 0, "net_new": 0.0, "customer_churn_rate": NAN,
        "gross_mrr_churn_rate": NAN, "quick_ratio": NAN, "nrr": NAN, "grr": NAN,
    },
    "2018-01": {"mrr": 55.0, "customers": 1, "new": 55.0, "new_customers": 1, "nrr": NAN},
    "2019-11": {"mrr": 1840.0, "customers": 42},
    "2019-12": {
        "mrr": 1255.0, "customers": 28, "new": 100.0, "expansion": 50.0, "contraction": -30.0,
        "churn": -705.0, "reactivation": 0.0, "net_new": -585.0, "new_customers": 3,
        "expanded_customers": 3, "contracted_customers": 2, "churned_customers": 17,
        "reactivated_customers": 0, "arr": 12 * 1255.0, "arpa": 1255 / 28,
        "customer_churn_rate": 17 / 42, "gross_mrr_churn_rate": 735 / 1840,
        "net_mrr_churn_rate": 685 / 1840, "quick_ratio": 150 / 735, "nrr": 1155 / 1840,
        "grr": 1105 / 1840,
    },
    "2020-01": {
        "mrr": 175.0, "customers": 4, "new": 175.0, "churn": -1255.0, "new_customers": 4,
        "churned_customers": 28, "customer_churn_rate": 1.0, "gross_mrr_churn_rate": 1.0,
        "net_mrr_churn_rate": 1.0, "quick_ratio": 175 / 1255, "nrr": 0.0, "grr": 0.0,
    },
    "2020-02": {
        "mrr": 0.0, "customers": 0, "churn": -175.0, "churned_customers": 4, "arpa": NAN,
        "customer_churn_rate": 1.0, "quick_ratio": 0.0,
    },
}


@pytest.mark.parametrize("month", list(MONTHS))
def test_month_totals_derived_by_hand(table, month):
    row = table.loc[pd.Period(month, "M")]
    for column, want in MONTHS[month].items():
        assert row[column] == pytest.approx(want, nan_ok=True), column


def test_nrr_grr_derived_by_hand(seed, moves):
    # 2019-11 -> 2019-12 as in the monthly row; 2017-09 -> 2017-11: base 75, nobody left: 0.
    for data in (seed, moves):
        assert mrrkit.nrr(data, "2019-11", "2019-12") == pytest.approx(1155 / 1840)
        assert mrrkit.grr(data, "2019-11", "2019-12") == pytest.approx(1105 / 1840)
        assert mrrkit.nrr(data, "2017-09", "2017-11") == 0.0


# --------------------------------------------------------------------------- whole seed


def month_of(text: str) -> int:
    return month_number(pd.Period(text, "M").start_time.date())


def playbook_changes(seed: pd.DataFrame) -> list:
    """The playbook's SQL models in plain Python: (customer, month, category, mrr_change)."""
    subs = defaultdict(list)
    for c, s, e, m in zip(seed["customer_id"], seed["start"], seed["end"], seed["mrr"]):
        subs[c].append((s.date(), e.date(), m))
    out = []
    for c, lines in subs.items():
        # customer_months: date_month >= month of min(start_date) and < month of max(end_date);
        # mrr = the amount of the subscription with start_date <= date_month < end_date.
        first = month_number(min(s for s, _, _ in lines))
        end = month_number(max(e for _, e, _ in lines))
        mrr = {}
        for month in range(first, end):
            first_day = period(month).start_time.date()
            mrr[month] = sum(m for s, e, m in lines if s <= first_day < e)
        active = [month for month, v in mrr.items() if v > 0]
        rows = [(month, v, v > 0, month == min(active)) for month, v in mrr.items()]
        rows.append((max(active) + 1, 0.0, False, False))  # customer_churn_month
        previous_active, previous_mrr = False, 0.0
        for month, v, is_active, is_first in rows:
            change = v - previous_mrr
            if is_first:
                category = "new"
            elif not is_active and previous_active:
                category = "churn"
            elif is_active and not previous_active:
                category = "reactivation"
            elif change > 0:
                category = "upgrade"
            elif change < 0:
                category = "downgrade"
            else:
                category = None
            if category is not None:
                out.append((c, str(period(month)), category, change))
            previous_active, previous_mrr = is_active, v
    return sorted(out)


def test_every_movement_is_the_playbooks_change(seed, moves):
    category = {"new": "new", "expansion": "upgrade", "contraction": "downgrade",
                "churn": "churn", "reactivation": "reactivation"}
    ours = sorted(
        (str(c), d.strftime("%Y-%m"), category[str(k)], a)
        for c, d, k, a in zip(moves["customer_id"], moves["date"], moves["kind"], moves["amount"])
    )
    theirs = playbook_changes(seed)
    assert len(theirs) > 150  # the seed really has them (a test that cannot fail is a defect)
    assert ours == theirs


def test_reference_agrees_on_the_whole_seed(seed, moves, table):
    ref = Reference(zip(seed["customer_id"], seed["start"].dt.date, seed["end"].dt.date,
                        seed["mrr"]))
    assert [(str(c), d.date(), str(k), a) for c, d, k, a in
            zip(moves["customer_id"], moves["date"], moves["kind"], moves["amount"])] == [
        mv[:4] for mv in ref.movements
    ]
    want = ref.monthly()
    assert list(table.index) == list(want.index)
    pd.testing.assert_frame_equal(table[list(want.columns)], want, check_dtype=False)
    for value in mrrkit.COHORT_VALUES:
        got = mrrkit.cohorts(moves, value)
        pd.testing.assert_frame_equal(got, ref.cohorts(value), check_dtype=False)
    for start, end in [("2018-06", "2019-06"), ("2018-12", "2019-12"), ("2019-01", "2020-02")]:
        want_nrr, want_grr = ref.retention(month_of(start), month_of(end))
        assert mrrkit.nrr(moves, start, end) == pytest.approx(want_nrr, nan_ok=True)
        assert mrrkit.grr(moves, start, end) == pytest.approx(want_grr, nan_ok=True)
        assert not math.isnan(want_nrr)
