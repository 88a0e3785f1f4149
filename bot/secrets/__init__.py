"""Secret redaction: the rules, PEM blocks, and redacting diffs and texts.

Floor 1: imports only the ground floor.
"""
