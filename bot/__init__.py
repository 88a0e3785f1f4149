"""grok-review: automated pull-request reviews with xAI Grok models."""

__version__ = "0.1.0"
