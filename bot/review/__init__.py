"""The review pipeline: prepare, ask (with re-splits), anchor, select findings, summary.

Floor 5: imports bot.model and the floors below.
"""
