"""Tests of ``server/store/``: the SQLite store, and ``texrender keys`` and ``documents``
from the outside."""
