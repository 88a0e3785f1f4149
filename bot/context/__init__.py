"""Repository context: snapshot at the PR head, symbol index, context selection, and the
bodies of the model's read-only tools.

Floor 2: imports bot.diff, bot.secrets and the ground floor. Reads the repository (git
objects, a working tree, an archive) but never executes anything from it.
"""
