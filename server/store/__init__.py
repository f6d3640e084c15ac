"""Stored documents and API keys: what the routes and the CLI may ask of a store.

The routes see only :class:`DocumentStore` and :class:`KeyStore` (protocols) and the plain
records below, never a database: SQLite (:mod:`server.store.sqlite`) is the default, and a
shared backend for several machines can implement the same two protocols. Every document call
names its owner, so no query can reach another owner's documents by mistake.
"""

from __future__ import annotations

from .model import (
    ApiKey,
    DocumentInput,
    DocumentNotFound,
    DocumentOwnerConflict,
    DocumentPage,
    DocumentQuotaExceeded,
    DocumentStore,
    DocumentSummary,
    ExportedDocument,
    IdempotencyKey,
    IdempotencyKeyReused,
    InvalidCursor,
    KeyNotFound,
    KeyStore,
    NameTaken,
    RevisionMismatch,
    Store,
    StoredDocument,
    StoreError,
    StoreUnavailable,
    document_json,
)

__all__ = [
    "ApiKey",
    "DocumentInput",
    "DocumentNotFound",
    "DocumentOwnerConflict",
    "DocumentPage",
    "DocumentQuotaExceeded",
    "DocumentStore",
    "DocumentSummary",
    "ExportedDocument",
    "IdempotencyKey",
    "IdempotencyKeyReused",
    "InvalidCursor",
    "KeyNotFound",
    "KeyStore",
    "NameTaken",
    "RevisionMismatch",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "StoredDocument",
    "document_json",
]
