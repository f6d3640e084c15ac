"""The playground in a real browser: Debian's chromium driven by Playwright against live servers."""
