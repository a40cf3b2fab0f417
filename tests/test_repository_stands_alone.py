"""The repository stands alone: someone who clones it has nothing else.

- No file cites a document that is not in the repository, or an issue number: the rule is said where it
  applies, and the API reference is docs/api.md (code may cite its sections).
- No figure that was measured once sits in a docstring or a comment, where nobody re-measures it: measured
  figures live in the docs, next to the command that produces them.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {".git", ".venv", "node_modules", "var", "__pycache__", ".pytest_cache", ".ruff_cache", "staticfiles"}
TEXT_SUFFIXES = {".py", ".md", ".html", ".txt", ".js", ".css", ".toml", ".ini", ".cfg", ".yml", ".yaml", ".sh", ""}
APP_CODE = [
    "athletes",
    "background",
    "calendars",
    "config",
    "connections",
    "core",
    "health",
    "training",
    "webhooks",
    "gunicorn.conf.py",
]

# Built from pieces so that this file does not match itself.
OUTSIDE_DOCUMENTS = re.compile(
    "|".join(
        [
            "CON" + "TRACT",
            r"\.\./" + "shared",
            "FIELD-" + "NOTES",
            "CONVEN" + r"TIONS\.md",
            "seed-data-" + "model",
            r"\b[Ii]ssue\s+#?\d+",
        ]
    )
)
MEASURED_FIGURE = re.compile(
    r"\(measured|measured here|measured:|\b\d+(\.\d+)?\s?(ms|µs|req/s)\b|times (faster|slower)", re.IGNORECASE
)


def _files(roots):
    for root in roots:
        path = ROOT / root
        candidates = [path] if path.is_file() else path.rglob("*")
        for candidate in candidates:
            if candidate.is_file() and not SKIPPED_DIRS.intersection(candidate.relative_to(ROOT).parts):
                yield candidate


def _text_files():
    tops = [p.name for p in ROOT.iterdir() if p.name not in SKIPPED_DIRS]
    for path in _files(tops):
        if path.suffix in TEXT_SUFFIXES and path != Path(__file__):
            try:
                yield path, path.read_text(encoding="utf-8")
            except UnicodeDecodeError:  # images, fonts
                continue


def _hits(pattern, files):
    found = []
    for path, text in files:
        for number, line in enumerate(text.splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_nothing_cites_a_document_outside_the_repository_or_an_issue_number():
    assert _hits(OUTSIDE_DOCUMENTS, _text_files()) == []


def test_no_measured_figure_sits_in_application_code():
    files = [
        (path, path.read_text(encoding="utf-8"))
        for path in _files(APP_CODE)
        if path.suffix == ".py" and "migrations" not in path.parts
    ]
    assert files, "no application code found"
    assert _hits(MEASURED_FIGURE, files) == []


def test_the_checks_find_what_they_look_for():
    """The patterns are not vacuous: each finds the kind of line it exists for."""
    outside = ["see " + "CON" + "TRACT §3", "as " + "Issue" + " 18 says", "../" + "shared/notes.md"]
    figures = ["# took 12 ms (measured here)", "several times faster than json", "~370 req/s", "(measured: 1 s)"]
    assert all(OUTSIDE_DOCUMENTS.search(line) for line in outside)
    assert all(MEASURED_FIGURE.search(line) for line in figures)
    assert not OUTSIDE_DOCUMENTS.search("issue a token")
    assert not MEASURED_FIGURE.search("DB_CONNECT_TIMEOUT + 1 s")
