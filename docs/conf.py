"""Sphinx configuration for the rightsaware documentation (built with -W in `make test`)."""

project = "rightsaware"
author = "rightsaware developers"
copyright = "2026, rightsaware developers"
extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx_click",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_typehints = "description"
html_theme = "alabaster"
html_title = "rightsaware"
suppress_warnings = ["myst.header"]
nitpicky = False
