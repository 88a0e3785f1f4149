"""`python -m bot.action`: the GitHub Action's entry point."""

import sys

from bot.action.main import main

sys.exit(main())
