"""Repository context: snapshot at the PR head, symbol index, context selection.

Floor 2: imports bot.diff, bot.secrets and the ground floor. Reads the repository (git
objects, a working tree, an archive) but never executes anything from it.
"""
