"""``python -m loadtest``: the command line lives in :mod:`loadtest.cli`."""

import sys

from .cli import main

raise SystemExit(main(sys.argv[1:]))
