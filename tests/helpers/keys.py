"""A GitHub App's private key for the tests."""

from __future__ import annotations

import functools


@functools.cache
def app_private_key() -> str:
    """A real RSA key in PEM, as GitHub generates for an App (`review-bot` tries it at start)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
