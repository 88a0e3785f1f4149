"""Tests of the GitHub adapter (bot.github.api, bot.github.data): the real PyGithub against
the fake GitHub on 127.0.0.1."""
