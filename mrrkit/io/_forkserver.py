"""Imported first by the server the reading child processes fork from (:mod:`mrrkit.io.limits`).

Each child of Python's ``forkserver`` imports the parent's main script again unless the server
has it as its own ``__main__``, which Python 3.11 means to do (``set_forkserver_preload`` with
``'__main__'``) but does not (it looks for a key its own preparation data never holds). The
`streamlit` command's script imports all of Streamlit: half a second added to every read. The
parent names its main script in ``MRRKIT_FORKSERVER_MAIN`` when it starts the server; here the
server's ``__main__`` takes that name, so each child finds its main module already in place. The
children only ever run functions of importable modules, never of the main script.
"""

import os
import sys

_main = os.environ.get("MRRKIT_FORKSERVER_MAIN")
if _main and "__main__" in sys.modules and not getattr(sys.modules["__main__"], "__file__", None):
    sys.modules["__main__"].__file__ = _main
