"""What another tool's definitions change (mrrkit.compare_definitions,
mrrkit.reclassified_customers): the words of a customer's movements are exact."""

from __future__ import annotations

import pandas as pd

import mrrkit
from mrrkit.views.compare import amount_text


def test_a_cent_of_difference_is_a_customer_reclassified():
    # Words used to write amounts with six digits (:g): 12345.67 and 12345.68 read alike.
    frame = pd.DataFrame({"customer_id": ["a"], "start": pd.to_datetime(["2024-01-01"]),
                          "end": pd.to_datetime([None]), "mrr": [12345.67],
                          "recurring_discount": [0.01]})
    own = mrrkit.movements(frame)
    other = mrrkit.movements(frame, definitions=mrrkit.Definitions(discounts="none"))
    changed = mrrkit.reclassified_customers((own, other), None)
    assert changed.loc["a"].tolist() == ["2024-01 new 12345.67", "2024-01 new 12345.68"]


def test_amounts_are_written_exactly_to_the_micro():
    assert [amount_text(m) for m in (0, 1, -1, 10_000_000, 1_234_567_891_234, -500_000)] == [
        "0", "0.000001", "-0.000001", "10", "1234567.891234", "-0.5"]
