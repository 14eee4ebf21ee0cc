"""Sphinx configuration of the mome_mmaction documentation.

MMAction2's documentation stack: Sphinx + MyST (Markdown pages), autodoc
and napoleon (Google-style docstrings), copy buttons on code blocks. Build
with ``bash tools/build_docs.sh`` (warnings are errors).
"""
from pathlib import Path

DOCS = Path(__file__).resolve().parent
version = (DOCS.parent / 'mome_mmaction' /
           'version.py').read_text().split("'")[1]
release = version

project = 'mome_mmaction'
copyright = '2026, mome_mmaction contributors'  # noqa: A001
author = 'mome_mmaction contributors'

extensions = [
    'sphinx.ext.autodoc',
    'sphinx.ext.napoleon',
    'sphinx.ext.viewcode',
    'myst_parser',
    'sphinx_copybutton',
]
source_suffix = {'.md': 'markdown'}
root_doc = 'index'
exclude_patterns = ['_build', 'Thumbs.db', '.DS_Store']
# Pages other developers write: a toctree lists them where they exist, and
# drops the entry (see setup below) where they do not yet.
OPTIONAL_PAGES = ('training_health', 'resume', 'benchmark_tool')

myst_enable_extensions = ['colon_fence']
myst_heading_anchors = 3

autodoc_member_order = 'bysource'
autodoc_typehints = 'description'
autodoc_default_options = {'show-inheritance': True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# Attributes as fields, not entries: NamedTuple fields are documented once.
napoleon_use_ivar = True
# mmengine / mmaction / torch types in signatures are not cross-referenced.
nitpicky = False

html_theme = 'sphinx_rtd_theme'
html_title = f'mome_mmaction {version}'
html_static_path = []
copybutton_prompt_text = r'\$ '
copybutton_prompt_is_regexp = True


def drop_missing_optional_pages(app, docname, source):
    """Remove toctree entries of optional pages that do not exist (yet)."""
    missing = {
        name
        for name in OPTIONAL_PAGES if not (DOCS / f'{name}.md').exists()
    }
    if missing:
        source[0] = '\n'.join(line for line in source[0].split('\n')
                              if line.strip() not in missing)


def setup(app):
    app.connect('source-read', drop_missing_optional_pages)
