"""The exact-text corpus: résumé files in many scripts, through every template."""
