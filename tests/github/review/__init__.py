"""Reviewing a GitHub PR end to end (bot.github.review): real PyGithub and openai clients
against the two fakes."""
