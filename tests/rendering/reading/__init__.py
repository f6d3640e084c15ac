"""Tests of ``rendering/reading/``: lenient reading, dates, sizes and TeX cost, and the
characters the fonts can set."""
