"""``python -m loadtest.soak`` (what ``make soak`` runs)."""

import sys

from . import main

sys.exit(main())
