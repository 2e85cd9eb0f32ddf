"""``python -m service.cli``: the ``detainer-cost`` command line."""

import sys

from . import main

sys.exit(main())
