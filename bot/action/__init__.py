"""The GitHub Action (`python -m bot.action`): event, review, annotations, outputs.

Floor 7 (entry point): may import every package below; no other entry point.
"""
