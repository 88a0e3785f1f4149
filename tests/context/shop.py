"""A small Python repository and a pull request on it, as the context tests' data: real
unified diffs (difflib) parsed by bot.diff, and the two versions as a MemorySnapshot."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from bot.context.snapshot import MemorySnapshot
from bot.diff.parse import parse_diff
from bot.models import FileDiff

PRICES = '''\
"""Prices."""

TAX = 0.2


def price_of(item):
    """The gross price of one item."""
    return item.net * (1 + TAX)
'''

CART_BASE = '''\
"""The cart."""

from shop.prices import price_of


class Cart:
    """Items a customer is buying."""

    def __init__(self):
        self.items = []

    def add(self, item):
        self.items.append(item)

    def total(self):
        """What the cart costs."""
        result = 0
        for item in self.items:
            # every item counts once
            result += item.net
        # no discounts yet
        # no shipping yet
        return result
'''

# The PR: total() uses price_of (definition elsewhere), checkout() gains a parameter (its
# callers matter), legacy() is renamed and shortened (its old scope is gone).
CART_HEAD = CART_BASE.replace(
    "            result += item.net", "            result += price_of(item)"
)

CHECKOUT_BASE = '''\
"""Checkout."""


def checkout(cart):
    """Charge the cart."""
    amount = cart.total()
    return amount


def legacy(cart):
    """Old path."""
    first = cart.items[0]
    second = cart.items[1]
    third = cart.items[2]
    fourth = cart.items[3]
    fifth = cart.items[4]
    sixth = cart.items[5]
    seventh = cart.items[6]
    eighth = cart.items[7]
    ninth = cart.items[8]
    tenth = cart.items[9]
    return first, second
'''

CHECKOUT_HEAD = (
    CHECKOUT_BASE.replace("def checkout(cart):", "def checkout(cart, coupon=None):")
    .replace("def legacy(cart):", "def modern(cart):")
    .replace("    ninth = cart.items[8]\n    tenth = cart.items[9]\n", "")
)

API = '''\
"""The web API."""

from shop.cart import Cart
from shop.checkout import checkout


def buy(request):
    """Checks the cart out."""
    cart = Cart()
    for item in request.items:
        cart.add(item)
    receipt = checkout(cart)
    return receipt


def preview(request):
    return checkout(Cart())
'''

README = "# Shop\n\nA tiny shop.\n"

BASE = {
    "shop/prices.py": PRICES,
    "shop/cart.py": CART_BASE,
    "shop/checkout.py": CHECKOUT_BASE,
    "shop/api.py": API,
    "README.md": README,
}
HEAD = {**BASE, "shop/cart.py": CART_HEAD, "shop/checkout.py": CHECKOUT_HEAD}


def make_diff(base: Mapping[str, str], head: Mapping[str, str]) -> tuple[FileDiff, ...]:
    """The unified diff between two {path: text} trees, parsed like any diff."""
    out = []
    for path in sorted(set(base) | set(head)):
        old, new = base.get(path), head.get(path)
        if old == new:
            continue
        lines = difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            (new or "").splitlines(keepends=True),
            "/dev/null" if old is None else f"a/{path}",
            "/dev/null" if new is None else f"b/{path}",
        )
        out.append(f"diff --git a/{path} b/{path}\n")
        if old is None:
            out.append("new file mode 100644\n")
        out += lines
    return parse_diff("".join(out))


def snapshot(head: Mapping[str, str] = HEAD, base: Mapping[str, str] = BASE) -> MemorySnapshot:
    return MemorySnapshot(
        {p: t.encode() for p, t in head.items()},
        source="git",
        base={p: t.encode() for p, t in base.items()},
    )
