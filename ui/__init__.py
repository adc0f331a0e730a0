"""Streamlit glue for the mrrkit app: page shell, cached data, charts and number formats.

Pages import from here; the metrics themselves live in the pure ``mrrkit`` package.
"""
