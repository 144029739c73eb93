"""Every relative link in every tracked Markdown file resolves to a file in the repository,
and anchors name a heading of their target; no document points outside the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

# [text](target) and [label]: target, outside code spans and fenced code blocks.
_INLINE = re.compile(r"(?<!\\)\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.M)
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
_CODE = re.compile(r"`[^`\n]*`")
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.I)


def _tracked_markdown() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files", "*.md"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    return [REPO / name for name in names]


def _prose(path: Path) -> str:
    return _CODE.sub("", _FENCE.sub("", path.read_text(encoding="utf-8")))


def _targets(path: Path) -> list[str]:
    text = _prose(path)
    return _INLINE.findall(text) + _REFERENCE.findall(text)


def _slug(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", _FENCE.sub("", path.read_text()), re.M)
    return {_slug(h) for h in headings}


MARKDOWN = _tracked_markdown()


def test_there_are_documents_with_links() -> None:
    assert REPO / "README.md" in MARKDOWN
    assert sum(len(_targets(p)) for p in MARKDOWN) > 10


@pytest.mark.parametrize("document", MARKDOWN, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve_inside_the_repository(document: Path) -> None:
    tracked = {p.resolve() for p in MARKDOWN} | {
        (REPO / n).resolve()
        for n in subprocess.run(
            ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.split()
    }
    problems = []
    for target in _targets(document):
        if _EXTERNAL.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (document.parent / file_part).resolve() if file_part else document.resolve()
        if not resolved.is_relative_to(REPO):
            problems.append(f"{target}: outside the repository")
        elif resolved not in tracked and not (
            resolved.is_dir() and any(t.is_relative_to(resolved) for t in tracked)
        ):
            problems.append(f"{target}: no such file in the repository")
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            problems.append(f"{target}: no heading #{anchor} in {resolved.name}")
    assert problems == []


@pytest.mark.parametrize("document", MARKDOWN, ids=lambda p: str(p.relative_to(REPO)))
def test_no_document_refers_to_files_outside_the_repository(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    for outside in ("../shared", "DESIGN.md", "CONTRACT.md", "STYLE.md"):
        assert outside not in text, f"{document.name} mentions {outside}"


@pytest.mark.parametrize("document", MARKDOWN, ids=lambda p: str(p.relative_to(REPO)))
def test_shell_examples_run_the_collector_from_the_venv(document: Path) -> None:
    """``make serve`` installs into .venv, not on PATH: examples run .venv/bin/collector."""
    text = document.read_text(encoding="utf-8")
    blocks = re.findall(r"^```(?:sh|bash|shell|console)\n(.*?)^```", text, re.M | re.S)
    bare = [
        line
        for block in blocks
        for line in block.splitlines()
        if re.match(r"^\s*(?:\$\s*)?collector\s", line)
    ]
    assert bare == []
