"""Tests of bot.diff."""
