"""Tests of bot.context."""
