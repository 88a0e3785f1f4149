"""Repository context: snapshot at the PR head, symbol index, context selection.

Floor 2: imports bot.diff.parse, bot.secrets.redact and the ground floor.
"""
