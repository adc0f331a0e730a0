"""Sphinx configuration: the mrrkit documentation, written in Markdown (MyST).

`make docs` builds it with warnings as errors; tests/test_docs.py builds it the same way in a
temporary directory, so a broken link, a missing page or a docstring Sphinx cannot read fails
`make test`.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The package documented is the working tree's, never an installed copy; _ext holds the
# directive that lists mrrkit.__all__.
sys.path[:0] = [str(ROOT), str(Path(__file__).parent / "_ext")]

project = "mrrkit"
author = "the mrrkit developers"
copyright = "the mrrkit developers"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "mrrkit_api",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
# performance.md's sections are written by the benchmarks: their run logs stay verbatim.
myst_enable_extensions = ["colon_fence"]
# Headings get anchors, so pages can link to a section: [limits](security.md#limits).
myst_heading_anchors = 3

# The docstrings are numpydoc; their Examples are doctests run by `make test`, not re-run here.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
# Most Returns sections are prose; docs/_ext/mrrkit_api.py moves them under this heading.
napoleon_custom_sections = ["Return value"]
# A parameter "of type mapping" means any mapping, not the `mapping` attributes of the
# reading results (which a bare word in a type would be cross-referenced to).
napoleon_preprocess_types = True
napoleon_type_aliases = {"mapping": "collections.abc.Mapping"}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": False}

html_theme = "alabaster"
html_title = "mrrkit"
html_theme_options = {"description": "Subscription-revenue analytics", "fixed_sidebar": True}
html_show_sourcelink = False
