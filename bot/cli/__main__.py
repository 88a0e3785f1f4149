"""`python -m bot.cli`: the same as `review-pr`."""

import sys

from bot.cli.main import main

sys.exit(main())
