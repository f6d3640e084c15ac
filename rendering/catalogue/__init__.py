"""Templates on disk: each ``templates/<name>/`` folder found, loaded and checked once.

A :class:`Template` knows its schema, its sample, how its data is read (the reading stage) and
how it is filled into TeX (the filling stage); the :class:`Catalogue` holds them by name.
"""

from __future__ import annotations

from ._catalogue import Catalogue, Template
from ._folders import TEMPLATE_FILE, CatalogueError, find_templates
from ._papers import DEFAULT_PAPER, PAPERS, usual_paper

__all__ = [
    "DEFAULT_PAPER",
    "PAPERS",
    "TEMPLATE_FILE",
    "Catalogue",
    "CatalogueError",
    "Template",
    "find_templates",
    "usual_paper",
]
