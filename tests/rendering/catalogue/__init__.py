"""Tests of ``rendering/catalogue/``: template folders loaded, checked and versioned, data
validated."""
