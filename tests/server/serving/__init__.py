"""Tests of ``server/serving/``: ``texrender serve`` as a process (workers, SIGTERM), log lines."""
