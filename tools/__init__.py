"""Maintainers' tools: run from the repository root, never imported by the server."""
