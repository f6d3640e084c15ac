"""Tests of ``server/routes/``: the documents API end to end."""
