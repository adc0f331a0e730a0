"""The monthly table: a worked example with every column, empty months, inputs, segments."""

import numpy as np
import pandas as pd
import pytest

import mrrkit
from tests.builders import lines

NAN = float("nan")


# Worked example, Jan..Apr 2024, February without any movement:
#   a: 100 from Jan 5, switches to 150 on Mar 10            -> Jan new +100, Mar expansion +50
#   b: 200 from Jan 20 to Mar 15, back at 120 on Apr 5      -> Jan new +200, Mar churn -200,
#                                                              Apr reactivation +120
#   c: 80 from Mar 1, switches to 60 on Apr 20              -> Mar new +80, Apr contraction -20
#   d: 50 from Apr 10                                       -> Apr new +50
# Default as_of = latest start/end = Apr 20.
EXAMPLE = [
    ("a", "2024-01-05", "2024-03-10", 100.0),
    ("a", "2024-03-10", None, 150.0),
    ("b", "2024-01-20", "2024-03-15", 200.0),
    ("b", "2024-04-05", None, 120.0),
    ("c", "2024-03-01", "2024-04-20", 80.0),
    ("c", "2024-04-20", None, 60.0),
    ("d", "2024-04-10", None, 50.0),
]

# Month by month (M-1 = previous month end):
#   Jan: mrr 300 (a 100, b 200), 2 customers. Base 0 -> every rate NaN; quick ratio 300/0 NaN.
#   Feb: nothing moves: mrr 300, 2 customers; churn rate 0/2 = 0; gross/net 0/300 = 0;
#        quick 0/0 NaN; nrr = grr = 300/300 = 1.
#   Mar: +80 new, +50 expansion, -200 churn: mrr 230 (a 150, c 80), 2 customers, arpa 115.
#        churn rate 1/2; gross 200/300; net -(-200 + 50)/300 = 0.5; quick (80 + 50)/200 = 0.65;
#        nrr: base a 100 + b 200 -> a 150 + b 0 = 150/300 = 0.5; grr min(150,100) + 0 = 100/300.
#   Apr: +120 reactivation, +50 new, -20 contraction: mrr 380 (a 150, b 120, c 60, d 50),
#        4 customers, arpa 95. churn rate 0/2 = 0; gross 20/230; net -(-20 + 120)/230 = -100/230;
#        quick (50 + 120)/20 = 8.5; nrr: base a 150 + c 80 = 230 -> 150 + 60 = 210/230; grr same.
EXPECTED = {
    "mrr": [300.0, 300.0, 230.0, 380.0],
    "customers": [2, 2, 2, 4],
    "new": [300.0, 0.0, 80.0, 50.0],
    "expansion": [0.0, 0.0, 50.0, 0.0],
    "contraction": [0.0, 0.0, 0.0, -20.0],
    "churn": [0.0, 0.0, -200.0, 0.0],
    "reactivation": [0.0, 0.0, 0.0, 120.0],
    "net_new": [300.0, 0.0, -70.0, 150.0],
    "new_customers": [2, 0, 1, 1],
    "churned_customers": [0, 0, 1, 0],
    "reactivated_customers": [0, 0, 0, 1],
    "arr": [3600.0, 3600.0, 2760.0, 4560.0],
    "arpa": [150.0, 150.0, 115.0, 95.0],
    "customer_churn_rate": [NAN, 0.0, 0.5, 0.0],
    "gross_mrr_churn_rate": [NAN, 0.0, 200 / 300, 20 / 230],
    "net_mrr_churn_rate": [NAN, 0.0, 0.5, -100 / 230],
    "quick_ratio": [NAN, NAN, 0.65, 8.5],
    "nrr": [NAN, 1.0, 0.5, 210 / 230],
    "grr": [NAN, 1.0, 100 / 300, 210 / 230],
}

CONTRACT_COLUMNS = [
    "mrr", "customers", "new", "expansion", "contraction", "churn", "reactivation", "net_new",
    "new_customers", "churned_customers", "reactivated_customers", "arr", "arpa",
    "customer_churn_rate", "gross_mrr_churn_rate", "net_mrr_churn_rate", "quick_ratio", "nrr",
    "grr",
]


@pytest.fixture
def table():
    return mrrkit.monthly(lines(EXAMPLE))


def test_months_run_from_first_movement_to_as_of_including_empty_ones(table):
    assert isinstance(table.index, pd.PeriodIndex)
    assert table.index.freqstr == "M"
    assert table.index.name == "month"
    assert table.index.astype(str).tolist() == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert table.attrs["as_of"] == pd.Timestamp("2024-04-20")


def test_has_every_contract_column(table):
    assert set(CONTRACT_COLUMNS) <= set(table.columns)
    assert set(mrrkit.MONTHLY_COLUMNS) == set(table.columns)


@pytest.mark.parametrize("column", list(EXPECTED))
def test_worked_example_values(table, column):
    assert table[column].tolist() == pytest.approx(EXPECTED[column], nan_ok=True)


def test_counts_of_expansion_and_contraction_movements(table):
    assert table["expanded_customers"].tolist() == [0, 0, 1, 0]
    assert table["contracted_customers"].tolist() == [0, 0, 0, 1]


def test_count_columns_are_integers(table):
    for c in ("customers", "new_customers", "churned_customers", "reactivated_customers"):
        assert pd.api.types.is_integer_dtype(table[c].dtype), c


def test_empty_month_is_all_zeros_with_mrr_carried(table):
    feb = table.loc[pd.Period("2024-02", "M")]
    for c in ("new", "expansion", "contraction", "churn", "reactivation", "net_new",
              "new_customers", "churned_customers", "reactivated_customers"):
        assert feb[c] == 0, c
    assert feb["mrr"] == 300.0
    assert feb["customers"] == 2


def test_rates_are_never_infinite(table):
    assert not np.isinf(table.to_numpy(dtype="float64")).any()


def test_mrr_identity(table):
    # mrr(M) = mrr(M-1) + net_new(M), and net_new is the sum of the five kinds.
    kinds = table[["new", "expansion", "contraction", "churn", "reactivation"]].sum(axis=1)
    assert table["net_new"].tolist() == pytest.approx(kinds.tolist())
    steps = table["mrr"].diff().iloc[1:].tolist()
    assert steps == pytest.approx(table["net_new"].iloc[1:].tolist())
    assert table["mrr"].iloc[0] == table["net_new"].iloc[0]


def test_quick_ratio_without_losses_is_nan():
    # Only growth: new 100 in Jan, expansion 20 in Feb, no churn or contraction -> NaN, not inf.
    df = lines([("a", "2024-01-01", "2024-02-01", 100.0), ("a", "2024-02-01", None, 120.0)])
    t = mrrkit.monthly(df)
    assert t["quick_ratio"].isna().all()
    assert t["expansion"].tolist() == [0.0, 20.0]


def test_zero_base_rates_are_nan_after_everyone_left():
    # a pays 100 in Jan, churns Feb 1; Mar: base 0 at the end of Feb -> rates NaN.
    df = lines([("a", "2024-01-01", "2024-02-01", 100.0), ("b", "2024-03-10", None, 10.0)])
    t = mrrkit.monthly(df)
    assert t["mrr"].tolist() == [100.0, 0.0, 10.0]
    assert t["customers"].tolist() == [1, 0, 1]
    # Feb: churn 1/1 = 1, gross 100/100 = 1; nrr = grr = 0/100 = 0.
    feb, mar = t.iloc[1], t.iloc[2]
    assert (feb["customer_churn_rate"], feb["gross_mrr_churn_rate"]) == (1.0, 1.0)
    assert (feb["nrr"], feb["grr"]) == (0.0, 0.0)
    assert np.isnan(feb["arpa"])  # 0 / 0 customers
    for c in ("customer_churn_rate", "gross_mrr_churn_rate", "net_mrr_churn_rate", "nrr", "grr"):
        assert np.isnan(mar[c]), c
    assert np.isnan(mar["quick_ratio"])  # 10 / 0 losses


def test_as_of_extends_the_table_with_quiet_months():
    t = mrrkit.monthly(lines(EXAMPLE), as_of="2024-06-15")
    assert t.index.astype(str).tolist()[-3:] == ["2024-04", "2024-05", "2024-06"]
    assert t["mrr"].tolist()[-2:] == [380.0, 380.0]
    assert t["net_new"].tolist()[-2:] == [0.0, 0.0]
    assert t["nrr"].tolist()[-2:] == [1.0, 1.0]


def test_as_of_mid_month_counts_up_to_that_day():
    # as_of Apr 9: b's reactivation (Apr 5) counts, d (Apr 10) and c's downgrade (Apr 20) not.
    t = mrrkit.monthly(lines(EXAMPLE), as_of="2024-04-09")
    assert t["mrr"].iloc[-1] == 350.0
    assert t["reactivation"].iloc[-1] == 120.0
    assert t["new"].iloc[-1] == 0.0


def test_monthly_counts_each_movement_of_a_customer():
    # A customer who churns twice in a month counts twice (movements, not customers).
    df = lines(
        [
            ("a", "2024-01-01", "2024-02-05", 10.0),
            ("a", "2024-02-10", "2024-02-20", 10.0),
            ("b", "2024-01-01", None, 10.0),
        ]
    )
    t = mrrkit.monthly(df)
    assert t["churned_customers"].tolist() == [0, 2]
    assert t["reactivated_customers"].tolist() == [0, 1]
    assert t["customers"].tolist() == [2, 1]
    assert t["customer_churn_rate"].tolist() == pytest.approx([NAN, 1.0], nan_ok=True)


# --------------------------------------------------------------------------- lines vs movements


def test_lines_and_movements_give_identical_frames():
    df = lines(EXAMPLE)
    pd.testing.assert_frame_equal(mrrkit.monthly(df), mrrkit.monthly(mrrkit.movements(df)))


@pytest.mark.parametrize("as_of", ["2024-03-20", "2024-04-20"])
def test_lines_and_movements_give_identical_frames_with_as_of(as_of):
    df = lines(EXAMPLE)
    from_lines = mrrkit.monthly(df, as_of=as_of)
    pd.testing.assert_frame_equal(from_lines, mrrkit.monthly(mrrkit.movements(df, as_of=as_of)))
    # An earlier as_of applied to movements computed up to Apr 20 cuts them the same way.
    pd.testing.assert_frame_equal(from_lines, mrrkit.monthly(mrrkit.movements(df), as_of=as_of))


def test_as_of_after_the_movements_as_of_is_refused():
    mv = mrrkit.movements(lines(EXAMPLE), as_of="2024-03-31")
    with pytest.raises(ValueError, match="as_of"):
        mrrkit.monthly(mv, as_of="2024-04-01")
    # The same day is fine.
    assert mrrkit.monthly(mv, as_of="2024-03-31").index[-1] == pd.Period("2024-03", "M")


def test_movements_without_attrs_end_at_their_last_date():
    mv = mrrkit.movements(lines(EXAMPLE), as_of="2024-06-30")
    t = mrrkit.monthly(mrrkit.Movements.from_frame(mv.frame))
    assert t.index[-1] == pd.Period("2024-04", "M")
    assert t.attrs["as_of"] == pd.Timestamp("2024-04-20")


def test_movements_read_back_from_plain_columns():
    # A movements frame as it comes back from a CSV: str ids and kinds, no attrs.
    mv = mrrkit.movements(lines(EXAMPLE))
    plain = mv.frame.assign(
        customer_id=mv["customer_id"].astype(str), kind=mv["kind"].astype(str)
    ).iloc[::-1]
    plain.attrs = {}
    pd.testing.assert_frame_equal(mrrkit.monthly(mrrkit.Movements.from_frame(plain)),
                                  mrrkit.monthly(mv))


def test_movements_with_an_unknown_kind_are_refused():
    mv = mrrkit.movements(lines(EXAMPLE))
    bad = mv.frame.assign(kind=mv["kind"].astype(str).replace("churn", "cancel"))
    with pytest.raises(ValueError, match="kind"):
        mrrkit.monthly(mrrkit.Movements.from_frame(bad))


# --------------------------------------------------------------------------- segments


@pytest.mark.parametrize("segment", [["a", "c"], ["b"], ["b", "d"]])
def test_segment_equals_monthly_of_the_filtered_lines(segment):
    df = lines(EXAMPLE)
    mv = mrrkit.movements(df, as_of="2024-05-31")
    seg = mrrkit.monthly(mv[mv["customer_id"].isin(segment)])
    direct = mrrkit.monthly(df[df["customer_id"].isin(segment)], as_of="2024-05-31")
    pd.testing.assert_frame_equal(seg, direct)


def test_segment_a_c_values():
    # a and c only: Jan 100 (a); Feb 100; Mar 100 + 50 + 80 = 230; Apr 230 - 20 = 210.
    mv = mrrkit.movements(lines(EXAMPLE))
    seg = mrrkit.monthly(mv[mv["customer_id"].isin(["a", "c"])])
    assert seg["mrr"].tolist() == [100.0, 100.0, 230.0, 210.0]
    assert seg["customers"].tolist() == [1, 1, 2, 2]
    assert seg.index[-1] == pd.Period("2024-04", "M")


def test_segment_starting_later_starts_at_its_first_movement():
    mv = mrrkit.movements(lines(EXAMPLE))
    seg = mrrkit.monthly(mv[mv["customer_id"] == "d"])
    assert seg.index.astype(str).tolist() == ["2024-04"]
    assert seg["mrr"].tolist() == [50.0]


def test_empty_segment_gives_an_empty_table():
    mv = mrrkit.movements(lines(EXAMPLE))
    seg = mrrkit.monthly(mv[mv["customer_id"] == "nobody"])
    assert len(seg) == 0
    assert set(mrrkit.MONTHLY_COLUMNS) == set(seg.columns)
    assert isinstance(seg.index, pd.PeriodIndex)
