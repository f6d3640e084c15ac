"""Three real ``texrender serve`` processes behind a real HAProxy, sharing one Redis and one
PostgreSQL: what a client of the whole sees while instances are drained and crash. Run alone
with ``pytest -m cluster`` (or ``pytest tests/cluster``)."""
