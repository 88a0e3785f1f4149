"""A small module for the symbol index tests."""

import os

LIMIT = 10


def helper(value):
    return value * 2


@decorator
def decorated(items):
    total = helper(len(items))
    return total


class Store:
    """Keeps things."""

    DEFAULT = "x"

    def __init__(self, root):
        self.root = root

    def load(self, name):
        path = os.path.join(self.root, name)
        return helper(path)
