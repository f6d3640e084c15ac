"""Tests of the load-test harness (``loadtest/``): one module per package, and the harness end
to end through its command line."""
