"""Tests of ``rendering/filling/``: the Jinja environment and its filters, escaping, inline
markup."""
