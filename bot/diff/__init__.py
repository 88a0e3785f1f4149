"""Unified diffs: parse (names, hunks), filter with reasons, render for the model.

Floor 1: imports only the ground floor (bot.models, bot.errors, bot.config, ...).
"""
