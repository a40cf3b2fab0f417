"""Argument types the management commands share."""

import argparse


def positive_int(value: str) -> int:
    """A whole number of at least 1 (argparse exits 2 with the reason otherwise)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number
