"""Helpers shared by test packages, imported by full name (`from tests.helpers.git import git`)."""
