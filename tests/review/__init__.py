"""Tests of bot.review."""
