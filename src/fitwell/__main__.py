"""``python -m fitwell`` runs the ``fitwell`` command."""

import sys

from .cli import main

sys.exit(main())
