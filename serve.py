"""mrrkit as a hosted server: ``streamlit run serve.py`` (what the Docker image runs).

The same app as ``streamlit run app.py``, behind :class:`ui.upload_guard.UploadGuard` (through
Streamlit's public ``st.App`` middleware): Streamlit's upload endpoint then takes files only
from browsers the access gate let in, and the files of a session whose browser is gone for good
leave the server's memory. Streamlit's command-line options work as with ``app.py``. Run it with
``MALLOC_ARENA_MAX=2`` in the environment (the Docker image does): see ui/memory.py.
"""

import streamlit as st
from starlette.middleware import Middleware

from ui.upload_guard import UploadGuard

app = st.App("app.py", middleware=[Middleware(UploadGuard)])
