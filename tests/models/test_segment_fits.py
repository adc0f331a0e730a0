"""mrrkit.models.segment_fits.fit_attribute: the Scenarios page's retention split, moved out of
the page (issue 13). It must give exactly what the page computed before: the page's own code is
kept below as the reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mrrkit
from mrrkit import (
    customer_mask,
    filter_movements,
    fit_attribute,
    fit_segments,
    segment_columns,
    segment_labels,
)


@pytest.fixture(scope="module")
def book():
    lines = mrrkit.load_sample()
    attributes = mrrkit.customer_attributes(lines)
    labels = segment_labels(attributes, segment_columns(attributes))
    movements = mrrkit.movements(lines)
    aligned = attributes.index.equals(movements.customers)
    return movements, labels, aligned


def page_retention(movements, labels: pd.Series, selected, aligned, cohorts):
    """pages/5_Scenarios.py's retention_of before issue 13 (a dimension chosen)."""
    everyone = fit_segments(movements, cohorts=cohorts)
    counts = labels[selected].value_counts()
    groups = {}
    for value in [v for v in labels.cat.categories if counts.get(v, 0) > 0]:
        mask = (labels == value).to_numpy() & selected
        groups[value] = mask if aligned else labels.index[mask]
    return fit_segments(movements, groups, cohorts=cohorts, pooled=everyone[0])


def table(fits) -> pd.DataFrame:
    return pd.DataFrame([{**f.figures(), "segment": f.segment, "source": f.source,
                          "codes": f.codes} for f in fits])


@pytest.mark.parametrize(("dim", "filters", "cohorts"), [
    ("company_size", {}, None),
    ("plan", {"industry": ["Software"]}, None),
    ("channel", {"country": ["SE"]}, ("2024-01", "2024-02", "2024-03", "2024-04")),
    ("churn_reason", {}, None),
])
def test_the_same_fits_as_the_page_computed(book, dim, filters, cohorts):
    movements, labels, aligned = book
    selected = customer_mask(labels, filters)
    part = filter_movements(movements, selected if aligned else labels.index[selected])
    expected = page_retention(part, labels[dim], selected, aligned, cohorts)
    got = fit_attribute(part, labels[dim], selected, cohorts=cohorts)
    pd.testing.assert_frame_equal(table(got), table(expected), check_exact=True)
    # Given the pooled fit already made, it is used as it is.
    pooled = fit_segments(part, cohorts=cohorts)[0]
    again = fit_attribute(part, labels[dim], selected, cohorts=cohorts, pooled=pooled)
    assert again[0] is pooled
    pd.testing.assert_frame_equal(table(again), table(expected), check_exact=True)


def test_a_value_only_customers_without_movements_have_still_gets_its_row():
    lines = pd.DataFrame({
        "customer_id": ["a", "b", "c"],
        "start": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-03-01"]),
        "end": pd.to_datetime([pd.NaT, "2024-04-01", "2024-03-01"]),  # c: a line of no time
        "mrr": [10.0, 20.0, 30.0],
        "plan": ["Pro", "Pro", "Free"],
    })
    labels = segment_labels(mrrkit.customer_attributes(lines), ["plan"])["plan"]
    fits = fit_attribute(mrrkit.movements(lines), labels)
    assert [f.segment for f in fits] == [None, *labels.cat.categories]
    free = fits[[f.segment for f in fits].index("Free")]
    assert free.customers == 0 and free.source != "own"
    # Labels in another order than the movements' customers: selected by ids, the same fits.
    by_ids = fit_attribute(mrrkit.movements(lines), labels.iloc[::-1])
    pd.testing.assert_frame_equal(table(by_ids), table(fits), check_exact=True)


def test_no_selected_customer_no_value():
    lines = mrrkit.load_sample()
    labels = segment_labels(mrrkit.customer_attributes(lines), ["plan"])["plan"]
    fits = fit_attribute(mrrkit.movements(lines), labels, np.zeros(len(labels), bool))
    assert len(fits) == 1 and fits[0].segment is None
