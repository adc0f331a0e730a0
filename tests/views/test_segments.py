"""mrrkit.views.segments against published figures, scipy and brute-force recomputation from the lines."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import mrrkit
from mrrkit.views.segments import (
    MISSING,
    churn_by_reason,
    churn_reason_by_month,
    churn_reasons,
    filter_movements,
    natural_key,
    proportion_test,
    ratio_interval,
    segment_columns,
    segment_labels,
    segment_table,
    select_customers,
    wilson_interval,
)
from tests._synthetic import simulate_lines

# --- Wilson interval -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [  # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (score, no CC)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_table(x, n, low, high):
    got = wilson_interval(x, n)
    assert got == pytest.approx((low, high), abs=5e-5)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_matches_scipy(xn):
    x, n = xn
    ci = stats.binomtest(x, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson_interval(x, n) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_wilson_vectorised_and_empty():
    low, high = wilson_interval(np.array([0, 5]), np.array([0, 10]))
    assert math.isnan(low[0]) and math.isnan(high[0])
    assert low[1] < 0.5 < high[1]
    with pytest.raises(ValueError, match="between 0 and trials"):
        wilson_interval(3, 2)


# --- tests of difference -------------------------------------------------------------------------


def _pearson_p(a, b, c, d):
    n = a + b + c + d
    stat = n * (a * d - b * c) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))
    return stats.chi2.sf(stat, 1)


def _fisher_p(a, b, c, d):
    """Two-sided Fisher exact p by enumerating the hypergeometric tables with the same margins."""
    r1, c1, n = a + b, a + c, a + b + c + d

    def prob(x):
        return math.comb(c1, x) * math.comb(n - c1, r1 - x) / math.comb(n, r1)

    observed = prob(a)
    lo, hi = max(0, r1 + c1 - n), min(r1, c1)
    return min(1.0, sum(prob(x) for x in range(lo, hi + 1) if prob(x) <= observed * (1 + 1e-7)))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 300), st.integers(1, 300), st.data())
def test_proportion_test_against_brute_force(n1, n2, data):
    x1 = data.draw(st.integers(0, n1))
    x2 = data.draw(st.integers(0, n2))
    p, test = proportion_test(x1, n1, x2, n2)
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]], float)
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    if expected.min() < 5:
        assert test == "fisher"
        assert p == pytest.approx(_fisher_p(x1, n1 - x1, x2, n2 - x2), rel=1e-6, abs=1e-12)
    else:
        assert test == "chi-square"
        assert p == pytest.approx(_pearson_p(x1, n1 - x1, x2, n2 - x2), rel=1e-9)


def test_proportion_test_empty_group_is_nan():
    p, test = proportion_test(0, 0, 3, 10)
    assert math.isnan(p) and test == ""


# --- ratio interval ------------------------------------------------------------------------------


def test_ratio_interval_formula_by_hand():
    num = np.array([110.0, 0.0, 95.0, 100.0])
    den = np.array([100.0, 50.0, 100.0, 100.0])
    r, se, (lo, hi) = ratio_interval(num, den)
    ratio = 305 / 350
    resid = num - ratio * den
    expected_se = math.sqrt((resid**2).sum() / 3) / (den.mean() * 2)
    assert r == pytest.approx(ratio)
    assert se == pytest.approx(expected_se)
    assert (lo, hi) == pytest.approx((ratio - 1.959964 * expected_se, ratio + 1.959964 * expected_se),
                                     rel=1e-6)


def test_ratio_interval_agrees_with_a_bootstrap():
    rng = np.random.default_rng(7)
    den = rng.gamma(2.0, 100.0, 2000)
    num = den * rng.choice([0.0, 1.0, 1.3], size=2000, p=[0.1, 0.8, 0.1])
    _, se, _ = ratio_interval(num, den)
    idx = rng.integers(0, 2000, size=(1000, 2000))
    boot = num[idx].sum(1) / den[idx].sum(1)
    assert se == pytest.approx(boot.std(ddof=1), rel=0.1)


def test_ratio_interval_degenerate():
    assert math.isnan(ratio_interval([], [])[0])
    r, se, _ = ratio_interval([5.0], [10.0])
    assert r == 0.5 and math.isnan(se)


# --- labels, columns, filters --------------------------------------------------------------------


def test_segment_columns_skip_ids_dates_and_wide_columns():
    n = 40
    attrs = pd.DataFrame({
        "plan": ["a", "b"] * (n // 2),
        "email": [f"u{i}@x.io" for i in range(n)],  # id-like
        "signup": pd.date_range("2024-01-01", periods=n),  # dates
        "country": [f"c{i % 15}" for i in range(n)],  # 15 values among 40: a segment
        "blank": [None] * n,
        "industry": ["x"] * n,
        "seats": [i % 20 for i in range(n)],  # a measure, not a category
        "tier": [i % 3 for i in range(n)],  # a small numeric code: a segment
        "usage_limit": [10_000 * (1 + i % 4) for i in range(n)],  # a measure by name
        "quantity": [1 + i % 2 for i in range(n)],
    })
    assert segment_columns(attrs) == ["industry", "country", "plan", "tier"]
    assert segment_columns(attrs, max_values=10) == ["industry", "plan", "tier"]


def test_segment_labels_and_natural_order():
    attrs = pd.DataFrame(
        {"size": ["201-1000", "1-10", None, "11-50", " "], "qty": [1, 2, 10, 2, 1]},
        index=pd.Index(list("abcde"), name="customer_id"),
    )
    labels = segment_labels(attrs)
    assert list(labels["size"].cat.categories) == ["1-10", "11-50", "201-1000", MISSING]
    assert labels["size"].tolist() == ["201-1000", "1-10", MISSING, "11-50", MISSING]
    assert list(labels["qty"].cat.categories) == ["1", "2", "10"]
    assert sorted(["a10", "a9", "A1"], key=natural_key) == ["A1", "a9", "a10"]


def test_select_and_filter_partition_the_movements():
    lines, _ = simulate_lines(months=18, new_per_month=15, seed=3)
    mv = mrrkit.movements(lines)
    labels = segment_labels(mrrkit.customer_attributes(lines), ["segment"])
    parts = [filter_movements(mv, select_customers(labels, {"segment": [v]}))
             for v in labels["segment"].cat.categories]
    assert sum(len(p) for p in parts) == len(mv)
    total = sum(mrrkit.monthly(p)["mrr"].reindex(mrrkit.monthly(mv).index, fill_value=0) for p in parts)
    pd.testing.assert_series_equal(total, mrrkit.monthly(mv)["mrr"], check_names=False)
    assert parts[0].as_of == mv.as_of
    with pytest.raises(ValueError, match="not an attribute column"):
        select_customers(labels, {"nope": ["x"]})


# --- the segment table against a brute-force recomputation from the lines -------------------------


def _mrr_on(lines: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    live = (lines["start"] <= day) & (lines["end"].isna() | (lines["end"] > day))
    return lines[live].groupby("customer_id")["mrr"].sum()


def _brute_force(lines: pd.DataFrame, groups: pd.Series, start: str, end: str) -> pd.DataFrame:
    as_of = max(lines["start"].max(), lines["end"].max())
    base_day = pd.Period(start, freq="M").start_time - pd.Timedelta(days=1)
    end_day = min(pd.Period(end, freq="M").end_time.normalize(), as_of)
    ids = sorted(lines["customer_id"].unique())
    base = _mrr_on(lines, base_day).reindex(ids, fill_value=0.0)
    final = _mrr_on(lines, end_day).reindex(ids, fill_value=0.0)
    first_day = pd.Period(start, freq="M").start_time
    expanded, exp_mrr, churn_mrr = set(), {}, {}
    for cid, own in lines.groupby("customer_id"):
        days = sorted({d for d in pd.concat([own["start"], own["end"]]).dropna()
                       if first_day <= d <= end_day})
        for d in days:
            before = _mrr_on(own, d - pd.Timedelta(days=1)).sum()
            after = _mrr_on(own, d).sum()
            if before > 0 and after > before + 1e-9:
                expanded.add(cid)
                exp_mrr[cid] = exp_mrr.get(cid, 0.0) + after - before
            if before > 0 and after <= 1e-9:
                churn_mrr[cid] = churn_mrr.get(cid, 0.0) + before
    rows = {}
    label = groups.reindex(ids)
    for g in sorted(label.unique()):
        member = (label == g).to_numpy()
        b, f = base[member], final[member]
        at_base = b > 0
        n = int(at_base.sum())
        members = set(np.array(ids)[member])
        rows[g] = {
            "customers": int((f > 0).sum()),
            "mrr": f.sum(),
            "start_customers": n,
            "churned": int((at_base & (f == 0)).sum()),
            "expanded": len(expanded & set(b[at_base].index)),
            "nrr": f[at_base].sum() / b[at_base].sum() if n else np.nan,
            "grr": np.minimum(f, b)[at_base].sum() / b[at_base].sum() if n else np.nan,
            "expansion_mrr": sum(v for k, v in exp_mrr.items() if k in members),
            "churned_mrr": sum(v for k, v in churn_mrr.items() if k in members),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


@pytest.fixture(scope="module")
def book():
    lines, _ = simulate_lines(months=30, new_per_month=12, seed=11)
    return lines, mrrkit.movements(lines), mrrkit.customer_attributes(lines)


@pytest.mark.parametrize(("start", "end"), [("2023-07", "2024-06"), ("2024-01", "2024-06")])
def test_segment_table_matches_brute_force(book, start, end):
    lines, mv, attrs = book
    groups = attrs["plan"]
    got = segment_table(mv, groups, start, end)
    expected = _brute_force(lines, groups, start, end)
    assert list(got.index) == list(expected.index)
    for col in expected.columns:
        np.testing.assert_allclose(got[col].to_numpy(float), expected[col].to_numpy(float),
                                   rtol=1e-9, atol=1e-6, err_msg=col)
    # Rates and their tests follow from the counts.
    row = got.iloc[0]
    rest = got.iloc[1:]
    assert row["churn_rate"] == row["churned"] / row["start_customers"]
    assert (row["churn_low"], row["churn_high"]) == wilson_interval(row["churned"], row["start_customers"])
    p, test = proportion_test(row["churned"], row["start_customers"], rest["churned"].sum(),
                              rest["start_customers"].sum())
    assert row["churn_p"] == pytest.approx(p) and row["churn_test"] == test
    assert got["mrr_share"].sum() == pytest.approx(1.0)


def test_segment_table_nrr_agrees_with_mrrkit_nrr(book):
    _, mv, attrs = book
    got = segment_table(mv, attrs["plan"], "2023-07", "2024-06")
    for plan in got.index:
        part = filter_movements(mv, attrs.index[attrs["plan"] == plan])
        assert got.at[plan, "nrr"] == pytest.approx(mrrkit.nrr(part, "2023-06", "2024-06"))
        assert got.at[plan, "grr"] == pytest.approx(mrrkit.grr(part, "2023-06", "2024-06"))


def test_churn_reasons_add_up_to_the_monthly_churn(book):
    _, mv, attrs = book
    rng = np.random.default_rng(0)
    reasons = pd.Series(rng.choice(["price", "bugs", None], len(attrs)), index=attrs.index)
    by_month = churn_reason_by_month(mv, reasons, "2023-07", "2024-06")
    table = mrrkit.monthly(mv).loc["2023-07":"2024-06"]
    np.testing.assert_allclose(by_month.sum(axis=1).to_numpy(), -table["churn"].to_numpy(), atol=1e-6)
    assert MISSING in by_month.columns
    per_group = churn_by_reason(mv, reasons, "2023-07", "2024-06", attrs["plan"])
    overall = churn_by_reason(mv, reasons, "2023-07", "2024-06")
    np.testing.assert_allclose(per_group.sum().to_numpy(), overall.loc["all"].to_numpy(), atol=1e-6)
    assert overall.to_numpy().sum() == pytest.approx(-table["churn"].sum())


# --- the reason of each churn ---------------------------------------------------------------------


def _brute_force_reasons(lines: pd.DataFrame) -> dict:
    """{(customer, day): reason} by walking every day: a churn is a day the customer's MRR (sum of
    its lines with start <= day < end) falls from > 0 to 0; its reason is that of the largest
    line (by mrr, then row) among the non-blank-reason lines billed the day before that end then."""
    out = {}
    rows = list(lines.itertuples(index=False))
    as_of = max(lines["start"].max(), lines["end"].max())
    for cid in sorted({r.customer_id for r in rows}):
        own = [(i, r) for i, r in enumerate(rows) if r.customer_id == cid]
        day = min(r.start for _, r in own) - pd.Timedelta(days=1)
        prev = 0.0
        while day <= as_of:
            now = sum(r.mrr for _, r in own if r.start <= day and (pd.isna(r.end) or r.end > day))
            if prev > 1e-6 and now <= 1e-6:
                ending = [(r.mrr, i, str(r.churn_reason).strip()) for i, r in own
                          if r.end == day and r.start < day and r.mrr > 1e-6
                          and isinstance(r.churn_reason, str) and r.churn_reason.strip()]
                out[(cid, day)] = max(ending)[2] if ending else MISSING
            prev = now
            day += pd.Timedelta(days=1)
    return out


@st.composite
def reason_lines(draw):
    n = draw(st.integers(1, 14))
    rows = []
    for _ in range(n):
        # Few distinct days, so lines often end together (plan switches, several lines at churn).
        start = 5 * draw(st.integers(0, 6))
        length = draw(st.sampled_from([None, 0, 5, 10, 15, 20]))
        row = {
            "customer_id": draw(st.sampled_from(["a", "b", "c"])),
            "start": pd.Timestamp("2024-01-01") + pd.Timedelta(days=start),
            "end": None if length is None else
            pd.Timestamp("2024-01-01") + pd.Timedelta(days=start + length),
        }
        if rows and draw(st.booleans()):  # a sibling of the previous line: same customer, days
            row = {k: rows[-1][k] for k in ("customer_id", "start", "end")}
        row["mrr"] = draw(st.sampled_from([0.0, 5.0, 10.0, 10.0, 20.0]))
        row["churn_reason"] = draw(st.sampled_from([None, "", " ", "price", "bugs", "budget"]))
        rows.append(row)
    lines = pd.DataFrame(rows)
    lines["end"] = pd.to_datetime(lines["end"])
    return lines


@settings(max_examples=100, deadline=None)
@given(reason_lines())
def test_churn_reasons_against_a_day_by_day_walk(lines):
    got = churn_reasons(lines)
    expected = _brute_force_reasons(lines)
    assert {(c, d): r for (c, d), r in got.items()} == expected
    # By month, the reasons split exactly the monthly table's churn.
    mv = mrrkit.movements(lines)
    table = mrrkit.monthly(mv)
    if len(table):
        by_month = churn_reason_by_month(mv, got, table.index[0], table.index[-1])
        np.testing.assert_allclose(by_month.sum(axis=1).to_numpy(), -table["churn"].to_numpy(),
                                   atol=1e-6)
        for reason in set(expected.values()):
            lost = sum(-a for (c, d, k, a) in zip(mv["customer_id"].astype(str), mv["date"],
                                                   mv["kind"], mv["amount"])
                       if k == "churn" and expected[(c, d)] == reason)
            assert by_month[reason].sum() == pytest.approx(lost, abs=1e-6)


def test_a_customer_who_churns_twice_counts_under_each_reason():
    day = pd.Timestamp
    lines = pd.DataFrame({
        "customer_id": ["x", "x", "x", "y"],
        "start": [day("2024-01-01"), day("2024-01-01"), day("2024-06-01"), day("2024-01-01")],
        "end": [day("2024-03-01"), day("2024-03-01"), day("2024-09-01"), pd.NaT],
        "mrr": [100.0, 20.0, 150.0, 50.0],
        "churn_reason": ["budget", None, "switched to competitor", None],
    })
    mv = mrrkit.movements(lines)
    reasons = churn_reasons(lines, mv)
    assert reasons.to_dict() == {("x", day("2024-03-01")): "budget",
                                 ("x", day("2024-09-01")): "switched to competitor"}
    lost = churn_by_reason(mv, reasons, "2024-01", "2024-09")
    assert lost.loc["all"].to_dict() == {"budget": 120.0, "switched to competitor": 150.0}
    # The customer's latest attribute alone would put both churns under the second reason.
    latest = mrrkit.customer_attributes(lines)["churn_reason"]
    assert churn_by_reason(mv, latest, "2024-01", "2024-09").loc["all", "switched to competitor"] == 270.0
    # A filtered movements frame keeps each churn's reason; by segment too.
    part = filter_movements(mv, ["x"])
    assert churn_reason_by_month(part, reasons, "2024-03", "2024-09").loc["2024-03", "budget"] == 120.0
    by_group = churn_by_reason(mv, reasons, "2024-01", "2024-09",
                               pd.Series({"x": "big", "y": "small"}, name="size"))
    assert by_group.loc["big"].sum() == 270.0 and by_group.loc["small"].sum() == 0.0


def test_churn_reasons_on_the_sample_come_from_the_ending_lines():
    lines = mrrkit.load_sample()
    mv = mrrkit.movements(lines)
    reasons = churn_reasons(lines, mv)
    assert len(reasons) == int((mv["kind"] == "churn").sum())
    assert MISSING not in set(reasons)  # the sample records a reason on every churn's lines
    rng = np.random.default_rng(4)
    for (cid, date), reason in reasons.iloc[rng.choice(len(reasons), 60, replace=False)].items():
        ending = lines[(lines["customer_id"] == cid) & (lines["end"] == date) & (lines["mrr"] > 0)]
        assert reason in set(ending["churn_reason"].dropna())
    # Reactivated customers who churned again: some left for another reason the second time.
    per_customer = reasons.groupby(level="customer_id").nunique()
    assert (per_customer > 1).sum() > 10


def test_churn_reasons_need_the_column():
    lines = pd.DataFrame({"customer_id": ["a"], "start": pd.to_datetime(["2024-01-01"]),
                          "end": pd.to_datetime(["2024-02-01"]), "mrr": [1.0]})
    with pytest.raises(ValueError, match="'churn_reason' column"):
        churn_reasons(lines)


def test_segment_table_rejects_bad_periods(book):
    _, mv, attrs = book
    with pytest.raises(ValueError, match="before start"):
        segment_table(mv, attrs["plan"], "2024-06", "2024-01")
    with pytest.raises(ValueError, match="after the data's as_of"):
        segment_table(mv, attrs["plan"], "2024-01", "2030-01")
    with pytest.raises(ValueError, match="Series"):
        segment_table(mv, attrs[["plan"]], "2024-01", "2024-06")


def test_categorical_labels_of_the_same_customers_give_the_same_table(book):
    """Labels from segment_labels (categorical, indexed like the movements) take a fast path:
    it must give what plain text labels give, unused categories and blanks included."""
    lines, mv, attrs = book
    text = attrs["plan"].astype(object)
    text.iloc[::7] = None  # some customers without a plan
    labels = segment_labels(pd.DataFrame({"plan": text}))["plan"]
    labels = labels.cat.add_categories(["never used"])
    assert isinstance(labels.dtype, pd.CategoricalDtype)
    fast = segment_table(mv, labels, "2023-07", "2024-06")
    slow = segment_table(mv, text, "2023-07", "2024-06")
    pd.testing.assert_frame_equal(fast, slow, check_names=False)
    assert MISSING in fast.index and "never used" not in fast.index
    rng = np.random.default_rng(1)
    reasons = pd.Series(rng.choice(["price", "bugs"], len(attrs)), index=attrs.index)
    pd.testing.assert_frame_equal(churn_by_reason(mv, reasons, "2023-07", "2024-06", labels),
                                  churn_by_reason(mv, reasons, "2023-07", "2024-06", text),
                                  check_names=False)
    # A categorical of other customers (or another order) goes the general way, same answer.
    shuffled = labels.iloc[rng.permutation(len(labels))]
    pd.testing.assert_frame_equal(segment_table(mv, shuffled, "2023-07", "2024-06"), fast,
                                  check_names=False)
