"""The bundled sample: deterministic, on disk as generated, and showing what the app needs."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mrrkit
from mrrkit import sample as sample_module
from mrrkit.sample import SAMPLE_PATH, generate_sample, load_sample

COLUMNS = [
    "customer_id", "start", "end", "mrr", "plan", "product", "quantity",
    "industry", "company_size", "channel", "country", "churn_reason", "usage", "usage_limit",
]
TIER_ORDER = {"Starter": 0, "Growth": 1, "Pro": 2, "Enterprise": 3}


@pytest.fixture(scope="module")
def lines():
    return generate_sample()


@pytest.fixture(scope="module")
def moves(lines):
    return mrrkit.movements(lines)


@pytest.fixture(scope="module")
def kind_on(moves):
    """Movement kind by (customer_id, date), customer ids as plain str."""
    return moves.frame.assign(customer_id=moves["customer_id"].astype("str")).set_index(
        ["customer_id", "date"]
    )["kind"].astype("str")


def _kinds(kind_on: pd.Series, frame: pd.DataFrame, day: str) -> pd.Series:
    keys = pd.MultiIndex.from_arrays([frame["customer_id"], frame[day]])
    return kind_on.reindex(keys)


@pytest.fixture(scope="module")
def table(moves):
    return mrrkit.monthly(moves)


def _tier(plan: pd.Series) -> pd.Series:
    return plan.str.split(" ").str[0].map(TIER_ORDER)


def _switches(lines: pd.DataFrame) -> pd.DataFrame:
    """Pairs of consecutive Platform lines of a customer where one ends the day the next starts."""
    base = lines[(lines["product"] == "Platform") & (lines["mrr"] > 0)]
    nxt = base.groupby("customer_id")[["start", "mrr", "plan", "quantity"]].shift(-1)
    pairs = base.assign(
        next_start=nxt["start"], next_mrr=nxt["mrr"], next_plan=nxt["plan"],
        next_quantity=nxt["quantity"],
    )
    return pairs[pairs["end"] == pairs["next_start"]]


# --- determinism and the file on disk -----------------------------------------------------------

def test_same_arguments_give_the_same_lines():
    first = generate_sample(n_customers=80, seed=5)
    second = generate_sample(n_customers=80, seed=5)
    pd.testing.assert_frame_equal(first, second)
    other = generate_sample(n_customers=80, seed=6)
    assert not first.equals(other)


def test_file_on_disk_is_the_generator_output(lines):
    assert SAMPLE_PATH.exists(), "run `python -m mrrkit.sample` to write the bundled sample"
    pd.testing.assert_frame_equal(load_sample(), lines)


def test_file_uses_iso_dates_and_two_decimal_amounts():
    with SAMPLE_PATH.open() as f:
        header = f.readline().strip()
        rows = [f.readline().strip() for _ in range(50)]
    assert header == ",".join(COLUMNS)
    pattern = re.compile(r"cus_\d{4},\d{4}-\d\d-\d\d,(\d{4}-\d\d-\d\d)?,\d+\.\d\d,")
    assert all(pattern.match(row) for row in rows), rows[:3]
    assert SAMPLE_PATH.stat().st_size < 5_000_000


def test_load_sample_dtypes(lines):
    loaded = load_sample()
    assert list(loaded.columns) == COLUMNS
    assert loaded["start"].dtype == "datetime64[us]" and loaded["end"].dtype == "datetime64[us]"
    assert loaded["mrr"].dtype == "float64"
    assert loaded["quantity"].dtype == "int64"
    assert loaded["usage"].dtype == "Int64" and loaded["usage_limit"].dtype == "Int64"
    for col in ("customer_id", "plan", "product", "industry", "company_size", "channel", "country",
                "churn_reason"):
        assert pd.api.types.is_string_dtype(loaded[col].dtype), col
    assert loaded.dtypes.equals(lines.dtypes)


def test_load_sample_falls_back_to_the_generator(monkeypatch, tmp_path):
    monkeypatch.setattr(sample_module, "SAMPLE_PATH", tmp_path / "missing.csv")
    monkeypatch.setattr(sample_module, "generate_sample", lambda: "generated")
    assert sample_module.load_sample() == "generated"


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_customers"):
        generate_sample(n_customers=0)
    with pytest.raises(ValueError, match="end"):
        generate_sample(n_customers=5, end=None)


# --- shape of the lines -------------------------------------------------------------------------

def test_canonical_sorted_lines_of_3000_customers(lines):
    assert list(lines.columns) == COLUMNS
    mrrkit.validate_lines(lines)
    ids = lines["customer_id"]
    assert ids.nunique() == 3000
    assert ids.str.fullmatch(r"cus_\d{4}").all()
    assert lines.equals(lines.sort_values(["customer_id", "start"], kind="stable"))
    closed = lines["end"].notna()
    assert (lines.loc[closed, "end"] > lines.loc[closed, "start"]).all()  # no zero-length lines
    # Cents only: the CSV's two decimals lose nothing.
    cents = lines["mrr"].to_numpy() * 100
    np.testing.assert_allclose(cents, np.round(cents), atol=1e-6)


def test_window_and_running_lines(lines):
    end = pd.Timestamp("2026-10-31")
    assert lines["start"].min() >= pd.Timestamp("2022-11-01")
    assert lines["start"].max() <= end and lines["end"].max() <= end
    running = lines[lines["end"].isna()]
    assert running["customer_id"].nunique() > 1500
    assert running["churn_reason"].isna().all()


def test_custom_end_moves_the_window():
    small = generate_sample(n_customers=60, seed=2, end="2020-06-30")
    assert small["start"].min() >= pd.Timestamp("2016-07-01")
    assert small["start"].max() <= pd.Timestamp("2020-06-30")
    assert small["end"].isna().any()


def test_acquisition_grows_over_time(moves):
    new = moves.frame[moves["kind"] == "new"]
    per_year = new.groupby(new["date"].dt.year).size()
    assert per_year[2023] < per_year[2024] < per_year[2025]


# --- the behaviours the app shows ---------------------------------------------------------------

def test_every_movement_kind_every_month_from_the_seventh(table):
    recent = table.loc["2023-05":]
    for kind in ("new", "expansion", "contraction", "churn", "reactivation"):
        assert (recent[kind] != 0).all(), kind
    assert set(mrrkit.KINDS) <= set(recent.columns)


def test_trials_are_14_days_at_zero_before_the_first_paid_line(lines):
    trials = lines[lines["mrr"] == 0]
    assert len(trials) > 500
    assert trials["customer_id"].is_unique
    assert (trials["product"] == "Platform").all()
    closed = trials[trials["end"].notna()]
    assert ((closed["end"] - closed["start"]).dt.days == 14).all()
    # A trial still running at the window's end started less than 14 days before it.
    assert (trials.loc[trials["end"].isna(), "start"] > pd.Timestamp("2026-10-17")).all()
    first = lines.groupby("customer_id").head(1)
    assert set(trials["customer_id"]) <= set(first.loc[first["mrr"] == 0, "customer_id"])
    paid = lines[lines["mrr"] > 0].groupby("customer_id")["start"].min()
    converted = closed.set_index("customer_id")["end"]
    assert (paid.reindex(converted.index) == converted).all()


def test_plan_switches_are_same_day_and_one_movement(lines, kind_on):
    switches = _switches(lines)
    up = switches[_tier(switches["next_plan"]) > _tier(switches["plan"])]
    down = switches[_tier(switches["next_plan"]) < _tier(switches["plan"])]
    assert len(up) > 100 and len(down) > 50
    up_kinds = _kinds(kind_on, up, "end")
    # An upgrade is an expansion (never churn + new), unless an add-on dropped that same day.
    assert (up_kinds == "expansion").mean() > 0.95
    assert not up_kinds.isin(["churn", "new", "reactivation"]).any()


def test_seat_changes_and_price_increases(lines):
    switches = _switches(lines)
    same_plan = switches["plan"] == switches["next_plan"]
    seats_up = same_plan & (switches["next_quantity"] > switches["quantity"])
    seats_down = same_plan & (switches["next_quantity"] < switches["quantity"])
    price_up = (same_plan & (switches["next_quantity"] == switches["quantity"])
                & (switches["next_mrr"] > switches["mrr"]))
    assert seats_up.sum() > 300 and seats_down.sum() > 100 and price_up.sum() > 300
    # List prices rise on 2024-04-01 and 2025-09-01; customers move at their next renewal.
    assert switches.loc[price_up, "end"].min() >= pd.Timestamp("2024-04-01")


def test_add_ons_are_separate_lines(lines, kind_on):
    addons = lines[lines["product"] != "Platform"]
    assert set(addons["product"]) == {"Analytics", "API access", "Premium support"}
    assert (addons["mrr"] > 0).all()
    # A cross-sell: bought while the Platform line keeps running, so an expansion.
    bought = _kinds(kind_on, addons, "start")
    assert (bought == "expansion").mean() > 0.8


def test_annual_plans_have_a_line_per_term(lines):
    annual = lines[lines["plan"].str.endswith(" annual") & (lines["product"] == "Platform")]
    monthly = lines[lines["plan"].str.endswith(" monthly")]
    assert len(annual) > 1000 and len(monthly) > 1000
    closed = annual[annual["end"].notna()]
    days = (closed["end"] - closed["start"]).dt.days
    assert days.max() <= 366  # a term never runs past its renewal
    assert (days >= 365).sum() > 300  # most terms run a full year
    # Annual billing is ten months' price spread over twelve: cheaper per month than monthly.
    unit = annual["mrr"] / annual["quantity"]
    assert unit.median() < (monthly["mrr"] / monthly["quantity"]).median()


def test_churn_reason_only_on_lines_that_ended_with_a_churn(lines, moves):
    churns = moves.frame.loc[moves["kind"] == "churn", ["customer_id", "date"]]
    churn_days = set(zip(churns["customer_id"].astype("str"), churns["date"]))
    ended = lines[lines["end"].notna()]
    on_churn = [(c, e) in churn_days for c, e in zip(ended["customer_id"], ended["end"])]
    assert (ended["churn_reason"].notna().to_numpy() == np.array(on_churn)).all()
    assert set(lines["churn_reason"].dropna()) == {
        "budget", "switched to competitor", "missing features", "poor onboarding",
        "company closed", "no longer needed",
    }
    # Customers who have left show why; customers paying today show no reason.
    attrs = mrrkit.customer_attributes(lines)
    last = moves.frame.groupby("customer_id", observed=True)["mrr_after"].last()
    gone = last.index[last == 0].astype("str")
    assert attrs.loc[gone, "churn_reason"].notna().all()
    assert attrs.drop(gone)["churn_reason"].isna().all()


def test_attributes_are_present_and_constant_per_customer(lines):
    for col in ("plan", "product", "industry", "company_size", "channel", "country"):
        assert lines[col].notna().all(), col
    assert set(lines["company_size"]) == {"1-10", "11-50", "51-200", "201-1000", "1000+"}
    assert set(lines["channel"]) == {"inbound", "outbound", "paid ads", "referral", "partner"}
    assert {"FR", "IT", "DE", "US", "GB", "ES"} <= set(lines["country"])
    assert lines["industry"].nunique() >= 8
    per_customer = lines.groupby("customer_id")[["industry", "company_size", "channel", "country"]]
    assert (per_customer.nunique() == 1).all().all()


def test_segments_churn_differently(lines, moves):
    paid = lines[(lines["product"] == "Platform") & (lines["mrr"] > 0)]
    months = ((paid["end"].fillna(pd.Timestamp("2026-10-31")) - paid["start"]).dt.days / 30.44)
    exposure = months.groupby(paid["customer_id"]).sum()
    churns = moves.frame[moves["kind"] == "churn"].groupby("customer_id", observed=True).size()
    churns.index = churns.index.astype("str")
    attrs = mrrkit.customer_attributes(lines).assign(
        months=exposure, churns=churns.reindex(exposure.index, fill_value=0)
    )

    def rate(col):
        g = attrs.groupby(col)[["churns", "months"]].sum()
        return g["churns"] / g["months"]

    size = rate("company_size")
    assert size["1-10"] > 2 * size["51-200"] > 2 * size["1000+"]
    channel = rate("channel")
    assert channel["paid ads"] > 1.5 * channel["referral"]


def test_reactivated_customers_come_back_after_a_gap(lines, moves):
    back = moves.frame[moves["kind"] == "reactivation"]
    assert back["customer_id"].nunique() > 100
    churned = moves.frame[moves["kind"] == "churn"].groupby("customer_id", observed=True)["date"].min()
    first_back = back.groupby("customer_id", observed=True)["date"].min()
    gap = (first_back - churned.reindex(first_back.index)).dt.days
    assert (gap >= 28).all()


def test_headline_figures_look_like_a_real_saas(moves, table):
    kpi = mrrkit.kpis(moves)["value"]
    assert 150_000 <= kpi["mrr"] <= 400_000
    assert 0.95 <= kpi["nrr_12m"] <= 1.15
    assert kpi["quick_ratio"] > 1
    churn = table["customer_churn_rate"].iloc[-12:]
    assert 0.015 <= churn.mean() <= 0.04
    assert (table["mrr"].iloc[-12:].diff().dropna() > 0).all()  # still growing


def test_mrr_cohorts_sit_around_100_percent(moves):
    retention = mrrkit.cohorts(moves, "mrr")
    six = retention[6].dropna()
    assert (six > 1).any() and (six < 1).any()  # as in seed 004's table: some cohorts expand
    assert 0.85 < six.median() < 1.2


def test_usage_on_running_platform_lines_only(lines):
    """Usage and the tier's limit are known for what runs now (the Platform lines with no end),
    blank on every other line; the limit follows the tier; about one line in ten is near it."""
    running = (lines["product"] == "Platform") & lines["end"].isna() & (lines["mrr"] > 0)
    assert lines.loc[running, ["usage", "usage_limit"]].notna().all().all()
    assert lines.loc[~running, ["usage", "usage_limit"]].isna().all().all()
    limits = {"Starter": 10_000, "Growth": 50_000, "Pro": 250_000, "Enterprise": 1_000_000}
    tier = lines.loc[running, "plan"].str.split(" ").str[0]
    assert (lines.loc[running, "usage_limit"] == tier.map(limits)).all()
    share = lines.loc[running, "usage"] / lines.loc[running, "usage_limit"]
    assert (share > 0).all()
    assert 0.05 < (share >= 0.8).mean() < 0.2
    # Many customers each, fullest first: the Expansion page's list has something to show.
    near = mrrkit.near_tier_limit(lines)
    assert len(near) == int((share >= 0.8).sum())


def test_the_docs_say_what_the_sample_holds(lines):
    """The docs' words on the sample match it: its column list (docs/sample.md), and its usage
    columns in the ``near_tier_limit`` row of docs/definitions.md (it once said the sample had
    none, issue 11, item 9)."""
    docs = Path(sample_module.__file__).resolve().parents[1] / "docs"
    readme = (docs / "sample.md").read_text(encoding="utf-8")
    listed = re.search(r"Its columns are\s+`([^`]+)`", readme)
    assert listed and [c.strip() for c in listed[1].split(",")] == list(lines.columns)
    readme += (docs / "definitions.md").read_text(encoding="utf-8")
    assert "no usage columns" not in readme
    row = next(r for r in readme.splitlines() if r.startswith("| `near_tier_limit("))
    near = re.search(r"(\d[\d,]*) of its running lines are at 80%", row)
    assert near and int(near[1].replace(",", "")) == len(mrrkit.near_tier_limit(lines))


def test_usage_does_not_change_the_other_columns():
    # Usage comes from its own random stream: the simulation itself is untouched by it.
    small = generate_sample(n_customers=60, seed=3)
    again = sample_module._with_usage(small.drop(columns=["usage", "usage_limit"]), seed=4)
    assert again.drop(columns=["usage", "usage_limit"]).equals(
        small.drop(columns=["usage", "usage_limit"]))
    assert not again["usage"].equals(small["usage"])
