"""`python -m remoteappmanager.cli.remoteapprest`, as the console script."""

import sys

from . import main

sys.exit(main())
