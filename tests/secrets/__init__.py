"""Tests of bot.secrets."""
