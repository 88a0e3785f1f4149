"""Chunk planning: sizes of rendered files, packing into requests, the plan and its cost.

Floor 3: imports bot.context, bot.diff.parse, bot.secrets.redact and the ground floor.
"""
