"""Tests of ``server/http/``: the HTTP contract end to end, hostile requests, keep-alive,
OpenAPI."""
