"""Review and plan output: text, markdown, JSON, SARIF, and markdown safe for GitHub.

Floor 3: imports bot.context, bot.diff.parse, bot.secrets.redact and the ground floor.
"""
