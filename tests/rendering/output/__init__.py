"""Tests of ``rendering/output/``: the cache, renders shared while under way, pages as PNG."""
