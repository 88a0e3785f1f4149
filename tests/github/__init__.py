"""Tests of bot.github (against the fake GitHub)."""
