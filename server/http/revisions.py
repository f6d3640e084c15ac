"""A stored document's revision as HTTP names it: its entity tag (``"r3"``), and what a write
refused for naming another revision says."""

from __future__ import annotations


def revision_etag(revision: int) -> str:
    """The entity tag of a document at ``revision``, unquoted (as ``set_etag`` and the
    ``If-Match`` set take it): ``r3``."""
    return f"r{revision}"


def at_revision(revision: int) -> str:
    """Why a conditional write was refused: the revision the document is at, and its ETag."""
    return f'the document is at revision {revision} (ETag "{revision_etag(revision)}")'
