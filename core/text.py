"""Text clean-up shared by every field that trims its input."""

import unicodedata


def _invisible(char: str) -> bool:
    # Unicode whitespace (spaces, NBSP, ideographic space, line separators) and format characters (category
    # Cf: zero-width space/joiners, word joiner, BOM, soft hyphen, bidi marks): none of them shows a glyph.
    return char.isspace() or unicodedata.category(char) == "Cf"


def trim(value: str) -> str:
    """`value` without leading and trailing whitespace or invisible format characters: a title of only
    U+200B or U+FEFF is blank."""
    start, end = 0, len(value)
    while start < end and _invisible(value[start]):
        start += 1
    while end > start and _invisible(value[end - 1]):
        end -= 1
    return value[start:end]
