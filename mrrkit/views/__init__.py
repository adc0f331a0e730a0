"""Views: tables and figures derived from the movements (cohorts, retention, the MRR bridge,
customers, KPIs, segments and their statistics in :mod:`.stats`, expansion)."""
