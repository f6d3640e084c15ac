"""What the lenient reader knows of JSON Resume beyond its schema (v1.0.0).

Older key names come from the schema's earlier drafts (``company``, ``website``, ``gpa``,
``picture``) and from exporters that wrote their own (``name``/``level`` for languages);
``highlight`` and ``details`` are other names for an entry's ``highlights``.
Main fields say which field a bare string is (``"interests": ["chess"]``); keyword lists are
the lists people write as one comma-separated string.
"""

from __future__ import annotations

import dataclasses

from ._lenient import Dialect

JSON_RESUME = Dialect(
    renames={
        "basics": {"website": "url", "picture": "image"},
        "basics.profiles[]": {"site": "network", "user": "username"},
        "work[]": {"company": "name", "website": "url"},
        "volunteer[]": {"website": "url"},
        "education[]": {"gpa": "score", "school": "institution"},
        "publications[]": {"website": "url"},
        "projects[]": {"website": "url"},
        "awards[]": {"name": "title"},
        "languages[]": {"name": "language", "level": "fluency"},
    },
    aliases={
        place: {"highlight": "highlights", "details": "highlights"}
        for place in ("work[]", "volunteer[]", "projects[]")
    },
    main_keys={
        "basics.location": "address",
        "work[]": "name",
        "volunteer[]": "organization",
        "education[]": "institution",
        "awards[]": "title",
        "certificates[]": "name",
        "publications[]": "name",
        "skills[]": "name",
        "languages[]": "language",
        "interests[]": "name",
        "references[]": "reference",
        "projects[]": "name",
    },
    keyword_lists=frozenset(
        {
            "skills[].keywords",
            "interests[].keywords",
            "projects[].keywords",
            "projects[].roles",
            "education[].courses",
        }
    ),
)

JSON_RESUME_RICH_TEXT = frozenset(
    {
        "basics.summary",
        "work[].summary",
        "work[].highlights[]",
        "volunteer[].summary",
        "volunteer[].highlights[]",
        "projects[].description",
        "projects[].highlights[]",
        "awards[].summary",
        "publications[].summary",
        "references[].reference",
    }
)
JSON_RESUME = dataclasses.replace(JSON_RESUME, rich_text=JSON_RESUME_RICH_TEXT)

DIALECTS = {"jsonresume": JSON_RESUME}
