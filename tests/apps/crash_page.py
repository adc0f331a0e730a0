"""A page that fails as a bug would, with a path and a value in its message (tests/test_deploy.py:
what the shipped configuration shows a browser of an uncaught error)."""

from pathlib import Path

import streamlit as st

st.write("before the error")
raise RuntimeError(f"cannot read {Path(__file__).resolve()}: customer secret-value-42")
