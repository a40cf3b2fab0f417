"""Compliance in the admin: a chip per session or week that says its band with a symbol and a word beside the
colour (readable without telling colours apart), and the legend the pages show."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join

from . import rules

WORDS = {rules.GREEN: "on plan", rules.YELLOW: "off plan", rules.ORANGE: "far off plan", rules.RED: "missed"}


def chip(compliance: dict | None, *, compact: bool = False):
    """The chip of a session's or a week's compliance (`{"colour", "ratio", …}`), or a dash when it has none.
    `compact` (a narrow list column) leaves the word and the ratio to the chip's title and the page's legend: the
    symbol still says the band without the colour."""
    if not compliance or not compliance.get("colour"):
        return "—"
    colour = compliance["colour"]
    symbol, meaning = rules.LEGEND[colour]
    ratio = compliance.get("ratio")
    shown = f" · {ratio:.2f}" if ratio is not None else ""
    if compact:
        return format_html(
            '<span class="compliance compact compliance-{}" title="{}{}: {}">{}</span>',
            colour,
            WORDS[colour],
            shown,
            meaning,
            symbol,
        )
    return format_html(
        '<span class="compliance compliance-{}" title="{}">{} {}{}</span>',
        colour,
        meaning,
        symbol,
        WORDS[colour],
        shown,
    )


def legend():
    """Every band: its chip and what it means."""
    return format_html(
        '<p class="compliance-legend">Compliance: {}</p>',
        format_html_join(
            " ",
            '<span class="compliance compliance-{}">{} {}</span> {}',
            ((colour, symbol, WORDS[colour], meaning) for colour, (symbol, meaning) in rules.LEGEND.items()),
        ),
    )
