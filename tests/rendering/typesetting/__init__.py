"""Tests of ``rendering/typesetting/``: the engine, the box, preamble formats, the TeX log and
the Unicode path."""
