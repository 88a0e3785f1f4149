"""`review-pr`: local sources, pull-request targets, printing and progress.

Floor 7 (entry point): may import every package below; no other entry point.
"""
