"""The engine: billing lines in, MRR movements and the monthly table out.

- :mod:`.lines` validates and encodes the canonical ``customer_id/start/end/mrr`` lines;
- :mod:`.movements` turns lines into dated MRR movements (new, expansion, contraction, churn,
  reactivation);
- :mod:`.monthly` sums movements into the month-by-month MRR table;
- :mod:`.periods` names reporting periods (last quarter, year to date, ...).
"""
