"""Tests of bot.model."""
