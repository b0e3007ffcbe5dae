"""`python -m server` is `kamar`."""

import sys

from server.cli import main

sys.exit(main())
