"""Tests of the fake GitHub itself (tests/fakes/github.py): it behaves like GitHub for the
real PyGithub client."""
