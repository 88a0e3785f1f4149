"""Tests of review-pr (bot.cli)."""
