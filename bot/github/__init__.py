"""The GitHub adapter (the only importer of PyGithub): API client, config from the base
branch, markers, rendering, publishing exactly once, the GitHub review run, triggers.

Floor 6: imports bot.review.pipeline and the floors below.
"""
