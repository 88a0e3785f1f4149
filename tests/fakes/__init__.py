"""Fake servers (GitHub, model API) that tests drive the real clients against."""
