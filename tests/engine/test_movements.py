"""Event-level MRR movements: classification, same-day netting, as_of, ordering, frame shape."""

import numpy as np
import pandas as pd
import pytest

import mrrkit
from mrrkit import KINDS, MOVEMENT_COLUMNS
from tests.builders import LINE_COLUMNS as COLS
from tests.builders import lines, seconds


def rows(mv):
    """(customer, 'YYYY-MM-DD', kind, amount, before, after) per movement."""
    return [
        (str(c), d.strftime("%Y-%m-%d"), str(k), a, b, f)
        for c, d, k, a, b, f in zip(
            mv["customer_id"], mv["date"], mv["kind"], mv["amount"], mv["mrr_before"],
            mv["mrr_after"],
        )
    ]


def short(mv):
    """(customer, 'YYYY-MM-DD', kind, amount) per movement."""
    return [r[:4] for r in rows(mv)]


# --------------------------------------------------------------------------- every kind


def test_every_kind_on_one_customer():
    # a: 100 from Jan 10; switches to 150 on Feb 10 (expansion +50); downgrades to 120 on Mar 10
    # (contraction -30); leaves Apr 10 (churn -120); comes back Jun 1 at 80 (reactivation).
    df = lines(
        [
            ("a", "2024-01-10", "2024-02-10", 100.0),
            ("a", "2024-02-10", "2024-03-10", 150.0),
            ("a", "2024-03-10", "2024-04-10", 120.0),
            ("a", "2024-06-01", None, 80.0),
        ]
    )
    assert rows(mrrkit.movements(df)) == [
        ("a", "2024-01-10", "new", 100.0, 0.0, 100.0),
        ("a", "2024-02-10", "expansion", 50.0, 100.0, 150.0),
        ("a", "2024-03-10", "contraction", -30.0, 150.0, 120.0),
        ("a", "2024-04-10", "churn", -120.0, 120.0, 0.0),
        ("a", "2024-06-01", "reactivation", 80.0, 0.0, 80.0),
    ]


def test_frame_shape_and_dtypes():
    mv = mrrkit.movements(lines([("a", "2024-01-10", "2024-02-10", 100.0)]))
    assert tuple(mv.frame.columns) == MOVEMENT_COLUMNS == (
        "customer_id", "date", "kind", "amount", "mrr_before", "mrr_after"
    )
    assert isinstance(mv["kind"].dtype, pd.CategoricalDtype)
    assert list(mv["kind"].cat.categories) == list(KINDS) == [
        "new", "expansion", "contraction", "churn", "reactivation"
    ]
    assert isinstance(mv["customer_id"].dtype, pd.CategoricalDtype)
    assert all(isinstance(c, str) for c in mv["customer_id"].cat.categories)
    assert pd.api.types.is_datetime64_any_dtype(mv["date"].dtype)
    assert mv["date"].dt.tz is None
    for c in ("amount", "mrr_before", "mrr_after"):
        assert mv[c].dtype == np.float64
    assert mv.frame.index.tolist() == [0, 1]


def test_amount_is_after_minus_before_and_chains():
    df = lines(
        [
            ("a", "2024-01-10", "2024-02-10", 100.0),
            ("a", "2024-02-01", None, 33.33),
            ("b", "2024-01-15", "2024-01-20", 7.5),
            ("b", "2024-01-25", None, 7.25),
        ]
    )
    mv = mrrkit.movements(df)
    # amount = after - before (to float rounding: 133.33 - 100 is not exactly 33.33 in floats)
    assert mv["amount"].tolist() == pytest.approx(
        [100.0, 33.33, -100.0, 7.5, -7.5, 7.25], abs=1e-9
    )
    assert mv["amount"].to_numpy() == pytest.approx(
        (mv["mrr_after"] - mv["mrr_before"]).to_numpy(), abs=1e-9
    )
    for _, g in mv.frame.groupby("customer_id", observed=True):
        assert g["mrr_before"].iloc[0] == 0.0
        assert g["mrr_before"].iloc[1:].tolist() == g["mrr_after"].iloc[:-1].tolist()


def test_add_on_line_is_expansion_and_its_end_a_contraction():
    # 100 base + 40 add-on from Feb 1 to Mar 1.
    df = lines([("a", "2024-01-01", None, 100.0), ("a", "2024-02-01", "2024-03-01", 40.0)])
    assert short(mrrkit.movements(df)) == [
        ("a", "2024-01-01", "new", 100.0),
        ("a", "2024-02-01", "expansion", 40.0),
        ("a", "2024-03-01", "contraction", -40.0),
    ]


def test_signs_by_kind():
    df = lines(
        [
            ("a", "2024-01-01", "2024-02-01", 10.0),
            ("a", "2024-02-01", "2024-03-01", 20.0),
            ("a", "2024-03-01", "2024-04-01", 5.0),
            ("a", "2024-05-01", None, 5.0),
        ]
    )
    mv = mrrkit.movements(df)
    sign = mv.frame.groupby("kind", observed=True)["amount"].agg(lambda s: np.sign(s).unique().tolist())
    assert sign.to_dict() == {
        "new": [1.0], "expansion": [1.0], "contraction": [-1.0], "churn": [-1.0],
        "reactivation": [1.0],
    }


# --------------------------------------------------------------------------- same-day netting


@pytest.mark.parametrize(
    "new_mrr, kind, amount", [(150.0, "expansion", 50.0), (60.0, "contraction", -40.0)]
)
def test_same_day_switch_is_one_movement(new_mrr, kind, amount):
    # Line 1 ends on Mar 15, line 2 starts Mar 15: never churn + new/reactivation.
    df = lines([("a", "2024-01-15", "2024-03-15", 100.0), ("a", "2024-03-15", None, new_mrr)])
    assert rows(mrrkit.movements(df)) == [
        ("a", "2024-01-15", "new", 100.0, 0.0, 100.0),
        ("a", "2024-03-15", kind, amount, 100.0, new_mrr),
    ]


def test_same_day_switch_to_same_price_is_nothing():
    df = lines([("a", "2024-01-15", "2024-03-15", 100.0), ("a", "2024-03-15", None, 100.0)])
    assert short(mrrkit.movements(df)) == [("a", "2024-01-15", "new", 100.0)]


def test_same_day_switch_listed_in_reverse_order():
    df = lines([("a", "2024-03-15", None, 90.0), ("a", "2024-01-15", "2024-03-15", 100.0)])
    assert short(mrrkit.movements(df)) == [
        ("a", "2024-01-15", "new", 100.0),
        ("a", "2024-03-15", "contraction", -10.0),
    ]


def test_float_noise_in_a_switch_nets_to_nothing():
    # 0.1 + 0.2 != 0.3 in floats; the switch from two lines (0.1 + 0.2) to one (0.3) is no move.
    df = lines(
        [
            ("a", "2024-01-01", "2024-02-01", 0.1),
            ("a", "2024-01-01", "2024-02-01", 0.2),
            ("a", "2024-02-01", None, 0.3),
        ]
    )
    assert short(mrrkit.movements(df)) == [("a", "2024-01-01", "new", pytest.approx(0.3))]


def test_two_lines_ending_the_same_day_are_one_churn():
    df = lines([("a", "2024-01-01", "2024-04-01", 100.0), ("a", "2024-02-01", "2024-04-01", 30.0)])
    assert rows(mrrkit.movements(df)) == [
        ("a", "2024-01-01", "new", 100.0, 0.0, 100.0),
        ("a", "2024-02-01", "expansion", 30.0, 100.0, 130.0),
        ("a", "2024-04-01", "churn", -130.0, 130.0, 0.0),
    ]


def test_two_lines_starting_the_same_day_are_one_new():
    df = lines([("a", "2024-01-01", None, 100.0), ("a", "2024-01-01", None, 25.0)])
    assert short(mrrkit.movements(df)) == [("a", "2024-01-01", "new", 125.0)]


# --------------------------------------------------------------------------- things that do nothing


def test_zero_length_line_does_nothing():
    # b's only line is zero-length: b never appears. a's zero-length line on Feb 1 changes
    # nothing, and it does not make a's real first payment a reactivation.
    df = lines(
        [
            ("a", "2024-01-05", "2024-01-05", 500.0),
            ("a", "2024-02-01", None, 10.0),
            ("a", "2024-03-01", "2024-03-01", 70.0),
            ("b", "2024-01-10", "2024-01-10", 20.0),
        ]
    )
    mv = mrrkit.movements(df)
    assert short(mv) == [("a", "2024-02-01", "new", 10.0)]


def test_free_trial_then_paid_is_new_at_the_paid_start():
    # Trial at 0 from Jan 1 to Jan 15, paid from Feb 1: `new` on Feb 1, not a reactivation.
    df = lines([("a", "2024-01-01", "2024-01-15", 0.0), ("a", "2024-02-01", None, 49.0)])
    assert short(mrrkit.movements(df)) == [("a", "2024-02-01", "new", 49.0)]


def test_free_trial_converting_the_same_day():
    df = lines([("a", "2024-01-01", "2024-01-15", 0.0), ("a", "2024-01-15", None, 49.0)])
    assert short(mrrkit.movements(df)) == [("a", "2024-01-15", "new", 49.0)]


def test_free_trial_only_customer_has_no_movement():
    df = lines([("a", "2024-01-01", "2024-01-15", 0.0), ("b", "2024-01-03", None, 5.0)])
    assert short(mrrkit.movements(df)) == [("b", "2024-01-03", "new", 5.0)]


def test_sub_micro_switch_noise_is_nothing():
    # 100.0000004 -> 100.0: a change of 4e-7 (< 1e-6) is no movement.
    df = lines([("a", "2024-01-01", "2024-02-01", 100.0000004), ("a", "2024-02-01", None, 100.0)])
    assert short(mrrkit.movements(df)) == [("a", "2024-01-01", "new", pytest.approx(100.0))]


def test_small_but_real_change_is_a_movement():
    # 1e-5 is above the 1e-6 threshold.
    df = lines([("a", "2024-01-01", "2024-02-01", 100.0), ("a", "2024-02-01", None, 100.00001)])
    mv = mrrkit.movements(df)
    assert mv["kind"].astype(str).tolist() == ["new", "expansion"]
    assert mv["amount"].iloc[1] == pytest.approx(1e-5, abs=1e-9)


@pytest.mark.parametrize("tiny", [6e-7, 1e-6])
def test_changes_up_to_a_millionth_do_nothing(tiny):
    df = lines([("a", "2024-01-01", None, tiny), ("b", "2024-01-02", None, 5.0)])
    assert short(mrrkit.movements(df)) == [("b", "2024-01-02", "new", 5.0)]


# --------------------------------------------------------------------------- churn and return


def test_churn_then_returns_are_reactivations():
    df = lines(
        [
            ("a", "2024-01-01", "2024-02-01", 10.0),
            ("a", "2024-04-01", "2024-05-01", 20.0),
            ("a", "2024-07-01", None, 15.0),
        ]
    )
    assert rows(mrrkit.movements(df)) == [
        ("a", "2024-01-01", "new", 10.0, 0.0, 10.0),
        ("a", "2024-02-01", "churn", -10.0, 10.0, 0.0),
        ("a", "2024-04-01", "reactivation", 20.0, 0.0, 20.0),
        ("a", "2024-05-01", "churn", -20.0, 20.0, 0.0),
        ("a", "2024-07-01", "reactivation", 15.0, 0.0, 15.0),
    ]


def test_return_the_day_after_churn_is_reactivation():
    df = lines([("a", "2024-01-01", "2024-02-01", 10.0), ("a", "2024-02-02", None, 10.0)])
    assert [k for *_, k, _ in short(mrrkit.movements(df))] == ["new", "churn", "reactivation"]


def test_open_lines_never_churn():
    df = lines([("a", "2024-01-01", None, 10.0), ("a", "2024-03-01", None, 5.0)])
    mv = mrrkit.movements(df, as_of="2030-01-01")
    assert short(mv) == [("a", "2024-01-01", "new", 10.0), ("a", "2024-03-01", "expansion", 5.0)]
    assert mv.as_of == pd.Timestamp("2030-01-01")


# --------------------------------------------------------------------------- as_of

ASOF_LINES = [
    ("a", "2024-01-10", "2024-03-31", 100.0),  # churn ON Mar 31
    ("b", "2024-02-01", None, 50.0),
    ("b", "2024-03-31", None, 25.0),  # expansion ON Mar 31
    ("c", "2024-04-01", None, 70.0),  # new after Mar 31
]


def test_as_of_includes_the_as_of_day():
    mv = mrrkit.movements(lines(ASOF_LINES), as_of="2024-03-31")
    assert short(mv) == [
        ("a", "2024-01-10", "new", 100.0),
        ("a", "2024-03-31", "churn", -100.0),
        ("b", "2024-02-01", "new", 50.0),
        ("b", "2024-03-31", "expansion", 25.0),
    ]
    assert mv.as_of == pd.Timestamp("2024-03-31")


def test_as_of_cuts_what_follows():
    mv = mrrkit.movements(lines(ASOF_LINES), as_of="2024-03-30")
    assert short(mv) == [("a", "2024-01-10", "new", 100.0), ("b", "2024-02-01", "new", 50.0)]
    assert mv.as_of == pd.Timestamp("2024-03-30")


@pytest.mark.parametrize(
    "as_of", ["2024-03-30", pd.Timestamp("2024-03-30 17:45"), np.datetime64("2024-03-30"),
              pd.Timestamp("2024-03-30").date()]
)
def test_as_of_types(as_of):
    mv = mrrkit.movements(lines(ASOF_LINES), as_of=as_of)
    assert len(mv) == 2
    assert mv.as_of == pd.Timestamp("2024-03-30")


def test_default_as_of_is_the_latest_start_or_end():
    # Latest start Apr 1 (c), latest end Mar 31: as_of = Apr 1, so c's `new` counts.
    mv = mrrkit.movements(lines(ASOF_LINES))
    assert mv.as_of == pd.Timestamp("2024-04-01")
    assert short(mv)[-1] == ("c", "2024-04-01", "new", 70.0)
    # A later end date wins over the starts.
    mv = mrrkit.movements(lines(ASOF_LINES + [("d", "2024-01-01", "2024-09-15", 1.0)]))
    assert mv.as_of == pd.Timestamp("2024-09-15")
    assert short(mv)[-1] == ("d", "2024-09-15", "churn", -1.0)


def test_default_as_of_with_only_open_lines():
    mv = mrrkit.movements(lines([("a", "2024-01-01", None, 1.0), ("b", "2024-05-20", None, 2.0)]))
    assert mv.as_of == pd.Timestamp("2024-05-20")


def test_as_of_before_everything_gives_no_movements():
    mv = mrrkit.movements(lines(ASOF_LINES), as_of="2023-12-31")
    assert len(mv) == 0
    assert tuple(mv.frame.columns) == MOVEMENT_COLUMNS
    assert mv.as_of == pd.Timestamp("2023-12-31")


def test_line_running_past_as_of_is_still_paying():
    # a's line ends after as_of: no churn yet.
    mv = mrrkit.movements(lines([("a", "2024-01-01", "2024-06-01", 10.0)]), as_of="2024-05-31")
    assert short(mv) == [("a", "2024-01-01", "new", 10.0)]


def test_missing_as_of_is_refused():
    with pytest.raises(ValueError, match="as_of"):
        mrrkit.movements(lines(ASOF_LINES), as_of=pd.NaT)


# --------------------------------------------------------------------------- ordering and ids


def test_sorted_by_customer_then_date():
    df = lines(
        [
            ("c", "2024-03-01", None, 1.0),
            ("a", "2024-05-01", None, 2.0),
            ("b", "2024-01-01", "2024-02-01", 3.0),
            ("a", "2024-01-01", "2024-02-01", 4.0),
            ("c", "2024-01-01", "2024-02-01", 5.0),
        ]
    )
    assert [(c, d) for c, d, *_ in short(mrrkit.movements(df))] == [
        ("a", "2024-01-01"),
        ("a", "2024-02-01"),
        ("a", "2024-05-01"),
        ("b", "2024-01-01"),
        ("b", "2024-02-01"),
        ("c", "2024-01-01"),
        ("c", "2024-02-01"),
        ("c", "2024-03-01"),
    ]


def test_non_str_ids_come_back_as_str():
    # Ids 10 and 9 become "10" and "9", sorted as text ("10" < "9").
    df = lines([(9, "2024-01-01", None, 1.0), (10, "2024-01-02", None, 2.0)])
    mv = mrrkit.movements(df)
    assert mv["customer_id"].astype(str).tolist() == ["10", "9"]
    assert list(mv["customer_id"].cat.categories) == ["10", "9"]


def test_categorical_ids_in_unsorted_category_order():
    df = lines([("b", "2024-01-01", None, 1.0), ("a", "2024-01-02", None, 2.0)])
    df["customer_id"] = pd.Categorical(df["customer_id"], categories=["b", "a"])
    assert [c for c, *_ in short(mrrkit.movements(df))] == ["a", "b"]


def test_attribute_columns_are_ignored():
    base = lines([("a", "2024-01-01", "2024-02-01", 1.0), ("b", "2024-01-02", None, 2.0)])
    extra = base.assign(plan=["x", "y"], quantity=[3, 4])
    pd.testing.assert_frame_equal(mrrkit.movements(extra).frame, mrrkit.movements(base).frame)


# --------------------------------------------------------------------------- empty input


def test_empty_lines_raise_a_clear_error():
    df = lines([("a", "2024-01-01", None, 1.0)]).iloc[:0]
    with pytest.raises(ValueError, match="empty"):
        mrrkit.movements(df)
    with pytest.raises(ValueError, match="empty"):
        mrrkit.monthly(df)


def test_empty_untyped_frame_says_empty():
    with pytest.raises(ValueError, match="empty"):
        mrrkit.movements(pd.DataFrame(columns=COLS))


def test_only_zero_length_lines_gives_empty_movements():
    mv = mrrkit.movements(lines([("a", "2024-01-01", "2024-01-01", 1.0)]))
    assert len(mv) == 0
    assert mv.as_of == pd.Timestamp("2024-01-01")


# --------------------------------------------------------------------------- absurd dates


@pytest.mark.parametrize("compute", [mrrkit.movements, mrrkit.monthly, mrrkit.cohorts])
@pytest.mark.parametrize("day", ["1678-01-01", "9999-01-01"])
def test_engine_refuses_an_absurd_start_rather_than_build_a_huge_grid(compute, day):
    """Called from a notebook, each fails at once with the column named (issue 12, item 9):
    a 1678 or 9999 start would make ~120,000 months of tables and cohort grids."""
    df = seconds([("a", "2024-01-01", None, 10.0), ("b", day, None, 5.0)])
    with pytest.raises(ValueError, match=r"column 'start' has dates .* outside 1900-01-01 to "):
        compute(df)
    with pytest.raises(ValueError, match=r"column 'start'"):
        compute(df, as_of="2024-06-30")


@pytest.mark.parametrize("compute", [mrrkit.movements, mrrkit.monthly, mrrkit.cohorts])
def test_a_forever_end_needs_an_as_of(compute):
    df = seconds([("a", "2024-01-01", "9999-12-31", 10.0), ("b", "2024-02-01", None, 5.0)])
    # Without as_of the latest date (9999-12-31) would be the as-of day: refused, 'end' named.
    with pytest.raises(ValueError, match=r"column 'end' has dates \(e.g. 9999-12-31\) in 1 "
                                         r"row\(s\) \(positions 0\).*give as_of"):
        compute(df)
    # With one, an end after it is just a scheduled end.
    out = compute(df, as_of="2024-06-30")
    as_of = out.as_of if isinstance(out, mrrkit.Movements) else out.attrs["as_of"]
    assert as_of == pd.Timestamp("2024-06-30")


@pytest.mark.parametrize("compute", [mrrkit.movements, mrrkit.monthly, mrrkit.cohorts])
def test_an_absurd_as_of_is_refused(compute):
    df = lines([("a", "2024-01-01", None, 10.0)])
    with pytest.raises(ValueError, match=r"as_of 9999-01-01 is outside 1900-01-01 to 2199-12-31"):
        compute(df, as_of="9999-01-01")
    mv = mrrkit.movements(df)
    with pytest.raises(ValueError, match=r"as_of 1800-01-01 is outside"):
        mrrkit.monthly(mv, as_of="1800-01-01")


# --------------------------------------------------------------------------- the Movements object

SWITCHES = [
    ("a", "2024-01-10", "2024-03-01", 100.0),
    ("a", "2024-03-01", None, 150.0),
    ("b", "2024-02-01", "2024-04-15", 40.0),
    ("c", "2024-05-01", None, 0.0),  # never pays: a customer without movements
]


def test_movements_is_one_immutable_object():
    mv = mrrkit.movements(lines(SWITCHES))
    assert isinstance(mv, mrrkit.Movements)
    assert mv.as_of == pd.Timestamp("2024-05-01") and mv.definitions is None
    assert len(mv) == 4 and list(mv.customers) == ["a", "b", "c"]
    with pytest.raises(AttributeError, match="immutable"):
        mv.as_of = pd.Timestamp("2024-01-01")
    # The frame handed out is a copy: changing it changes nothing inside.
    frame = mv.frame
    frame["amount"] = 0.0
    frame.loc[0, "mrr_after"] = -1.0
    assert mv["amount"].tolist() == [100.0, 50.0, 40.0, -40.0]
    assert mv.frame["mrr_after"].iloc[0] == 100.0
    with pytest.raises(TypeError):
        iter(mv)
    # pandas' own methods read the frame (a copy: writing through them changes nothing here).
    assert mv.head(2)["kind"].tolist() == ["new", "expansion"]
    assert mv.groupby("kind", observed=True).size().to_dict()["churn"] == 1
    assert mv.shape == (4, 6) and not mv.empty
    with pytest.warns(pd.errors.ChainedAssignmentError):  # pandas says it sets on a copy
        mv.loc[0, "amount"] = -1.0
    assert mv["amount"].iloc[0] == 100.0
    with pytest.raises(AttributeError, match="'Movements' object has no attribute 'nope'"):
        mv.nope


def test_indexing_reads_columns_and_masks_keep_movements():
    mv = mrrkit.movements(lines(SWITCHES))
    assert mv.kind.equals(mv.frame["kind"]) and mv["amount"].equals(mv.amount)
    assert list(mv[["date", "kind"]].columns) == ["date", "kind"]
    churn = mv[mv.kind == "churn"]
    assert isinstance(churn, mrrkit.Movements) and churn.as_of == mv.as_of
    assert short(churn) == [("b", "2024-04-15", "churn", -40.0)]
    assert list(churn.customers) == list(mv.customers)
    assert short(mv[mv["amount"].to_numpy() > 45]) == [
        ("a", "2024-01-10", "new", 100.0), ("a", "2024-03-01", "expansion", 50.0)]
    with pytest.raises(IndexError, match="needs 4 values"):
        mv[np.ones(3, bool)]
    with pytest.raises(IndexError, match="row numbers"):
        mv[(mv.kind == "churn").iloc[::-1].reset_index(drop=True).set_axis([9, 8, 7, 6])]


def test_until_equals_movements_of_the_lines_as_of_that_day():
    df = lines(SWITCHES)
    mv = mrrkit.movements(df)
    for day in ("2024-01-09", "2024-03-01", "2024-04-14", "2024-05-01"):
        cut, want = mv.until(day), mrrkit.movements(df, as_of=day)
        assert cut.as_of == want.as_of
        pd.testing.assert_frame_equal(cut.frame, want.frame)
    assert mv.until(mv.as_of) is not None
    with pytest.raises(ValueError, match="after the as_of these movements were computed with"):
        mv.until("2024-05-02")


def test_from_frame_reads_a_frame_back():
    mv = mrrkit.movements(lines(SWITCHES))
    saved = mv.frame.astype({"customer_id": "str", "kind": "str"}).iloc[::-1]
    back = mrrkit.Movements.from_frame(saved, as_of=mv.as_of)
    pd.testing.assert_frame_equal(back.frame, mv.frame, check_categorical=False)
    pd.testing.assert_frame_equal(mrrkit.monthly(back), mrrkit.monthly(mv))
    # Without as_of: the latest date.
    assert mrrkit.Movements.from_frame(saved).as_of == pd.Timestamp("2024-04-15")
    with pytest.raises(TypeError, match="DataFrame"):
        mrrkit.Movements.from_frame(mv)


def test_a_movements_frame_is_not_taken_for_lines():
    mv = mrrkit.movements(lines(SWITCHES))
    with pytest.raises(TypeError, match="Movements.from_frame"):
        mrrkit.monthly(mv.frame)
    with pytest.raises(TypeError, match="lines .* or Movements"):
        mrrkit.cohorts([1, 2])


def test_movements_pickle_and_digest():
    import pickle

    mv = mrrkit.movements(lines(SWITCHES))
    mv.frame  # built: not pickled, rebuilt on the other side
    back = pickle.loads(pickle.dumps(mv))
    assert back.as_of == mv.as_of and back.definitions is None
    pd.testing.assert_frame_equal(back.frame, mv.frame)
    assert back.digest == mv.digest == mrrkit.movements(lines(SWITCHES)).digest
    assert len(pickle.dumps(mv)) < len(pickle.dumps(mv.frame)) + 1000
    assert mv.until("2024-04-14").digest != mv.digest
    assert mrrkit.filter_movements(mv, ["a"]).digest != mv.digest
    # The same movements made another way: the same digest.
    assert mrrkit.Movements.from_frame(mv.frame, as_of=mv.as_of).digest == mv.digest


def test_streamlit_hashes_movements_by_content():
    hashing = pytest.importorskip("streamlit.runtime.caching.hashing")
    from streamlit.runtime.caching.cache_type import CacheType

    def digest(value):
        import hashlib

        h = hashlib.new("md5")
        hashing.update_hash(value, h, CacheType.DATA)
        return h.hexdigest()

    mv = mrrkit.movements(lines(SWITCHES))
    assert digest(mv) == digest(mrrkit.movements(lines(SWITCHES)))
    assert digest(mv) != digest(mv.until("2024-04-14"))


def test_repr_shows_a_summary_then_the_frame():
    mv = mrrkit.movements(lines(SWITCHES))
    text = repr(mv)
    assert text.startswith("Movements as of 2024-05-01: 4 movements of 2 customers\n")
    assert repr(mv.frame) in text
    html = mv._repr_html_()
    assert html.startswith("<p>Movements as of 2024-05-01: 4 movements of 2 customers</p>")
    assert "<table" in html
