"""Tests of bot.output."""
