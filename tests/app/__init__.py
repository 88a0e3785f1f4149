"""Tests of the self-hosted App (bot.app)."""
