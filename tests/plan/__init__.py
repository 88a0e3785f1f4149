"""Tests of bot.plan."""
