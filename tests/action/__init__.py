"""Tests of the GitHub Action (bot.action)."""
