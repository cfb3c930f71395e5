#!/usr/bin/env python3
"""Checks the links of the repository's documentation (README.md and docs/*.md).

- every relative link (inline `[text](target)`, image, or reference definition
  `[label]: target`) points at a file or folder inside the repository;
- a `#fragment` on a link to a markdown file (or on a bare `#fragment`) names a heading
  of that file, slugged the way GitHub renders anchors;
- every docs/*.md page is linked from README.md;
- the spec and the MyCase reference, which live beside the repository, are written as
  `../shared/...` from the repository root: a bare `shared/SPEC.md` or
  `shared/reference/...` would read as this repository's own `shared/` (Rust crates).

Links inside code blocks and inline code are not links and are skipped, as are absolute
URLs (http:, https:, mailto:). Standard library only, so CI runs it before anything is
installed:

    scripts/check-links.py            # exits 1 and lists every problem
    scripts/check-links.py --self-test
"""

import os
import re
import sys
import tempfile
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
# A path to the spec or the reference that does not start with `../`.
BARE_SHARED = re.compile(r"(?<![./\w-])shared/(?:SPEC\.md|reference/)")


def prose_lines(text):
    """(line number, line) outside fenced code blocks."""
    fence = None
    for number, line in enumerate(text.split("\n"), 1):
        m = FENCE.match(line)
        if m:
            marker = m.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            continue
        if fence is None:
            yield number, line


def github_slug(heading):
    """The anchor GitHub gives a heading: the rendered text, lower-cased, with everything
    but letters, digits, marks, `_`, `-` and spaces removed, and each space turned into
    `-` (github-slugger's rules; runs of spaces are not collapsed)."""
    text = heading
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)  # images: their alt text
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links: their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML tags
    text = INLINE_CODE.sub(lambda m: m.group(2).strip(), text)  # code: its content
    text = re.sub(r"(\*{1,3})(\S(?:.*?\S)?)\1", r"\2", text)  # emphasis markers
    # `_` emphasis only at word boundaries (CommonMark): snake_case_names keep theirs.
    text = re.sub(r"(?<!\w)(_{1,3})(\S(?:.*?\S)?)\1(?!\w)", r"\2", text)
    text = text.lower()
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in "-_ " or category[0] in "LNM":
            kept.append(ch)
    return "".join(kept).replace(" ", "-")


def anchors(path, cache={}):
    """Every anchor a markdown file has: its headings' slugs, duplicates numbered -1, -2…"""
    if path not in cache:
        seen = {}
        found = set()
        for _, line in prose_lines(path.read_text(encoding="utf-8")):
            m = HEADING.match(line)
            if not m:
                continue
            slug = github_slug(m.group(2))
            if slug in seen:
                seen[slug] += 1
                slug = f"{slug}-{seen[slug]}"
            else:
                seen[slug] = 0
            found.add(slug)
        cache[path] = found
    return cache[path]


def links(text):
    """(line number, target) of every link in the prose."""
    for number, line in prose_lines(text):
        line = INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line)
        for m in INLINE_LINK.finditer(line):
            yield number, m.group(1)
        m = REFERENCE_DEF.match(line)
        if m:
            yield number, m.group(1)


def check_file(md, root, problems):
    text = md.read_text(encoding="utf-8")
    where = md.relative_to(root)
    linked = set()
    for number, line in prose_lines(text):
        for m in BARE_SHARED.finditer(line):
            problems.append(
                f"{where}:{number}: `{m.group(0)}…` reads as this repository's own shared/ "
                "folder; the spec and the reference are `../shared/…` from the repository root"
            )
    for number, target in links(text):
        if not target or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
            continue  # absolute URL (http:, https:, mailto:)
        path_part, _, fragment = target.partition("#")
        if path_part:
            resolved = (md.parent / path_part).resolve()
        else:
            resolved = md.resolve()
        try:
            inside = resolved.relative_to(root)
        except ValueError:
            problems.append(f"{where}:{number}: {target} points outside the repository")
            continue
        if not resolved.exists():
            problems.append(f"{where}:{number}: {target}: no such file ({inside})")
            continue
        linked.add(resolved)
        if fragment:
            if resolved.is_file() and resolved.suffix == ".md":
                if fragment not in anchors(resolved):
                    problems.append(
                        f"{where}:{number}: {target}: {inside} has no heading #{fragment}"
                    )
            else:
                problems.append(
                    f"{where}:{number}: {target}: anchors are only checked in markdown files"
                )
    return linked


def check(root):
    root = root.resolve()
    readme = root / "README.md"
    pages = sorted((root / "docs").glob("*.md"))
    problems = []
    linked_from_readme = check_file(readme, root, problems)
    for page in pages:
        check_file(page, root, problems)
    for page in pages:
        if page.resolve() not in linked_from_readme:
            problems.append(f"README.md: docs/{page.name} is not linked from the README")
    return problems, 1 + len(pages)


def self_test():
    """The slug rules and the checks on a small made-up repository."""
    cases = {
        "Hona → MyCase push bundle": "hona--mycase-push-bundle",
        "Documents: memory and throughput of the upload path": "documents-memory-and-throughput-of-the-upload-path",
        "The `hona-ops` CLI": "the-hona-ops-cli",
        "MyCase: tokens, rate, retries": "mycase-tokens-rate-retries",
        "2-Way Messages": "2-way-messages",
        "snake_case and **bold**": "snake_case-and-bold",
        "a_b_c and _emphasis_": "a_b_c-and-emphasis",
        "A [link](x.md) here": "a-link-here",
        "Ünïcode café": "ünïcode-café",
    }
    failures = [f"{h!r}: {github_slug(h)!r} != {want!r}" for h, want in cases.items() if github_slug(h) != want]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "docs").mkdir()
        (root / "src").mkdir()
        (root / "src/lib.rs").write_text("")
        (root / "README.md").write_text(
            "# Top\n[a](docs/a.md) [b](docs/a.md#same-1) [c](src/lib.rs) [d](https://x.y/z)\n"
            "`[not a link](nowhere.md)`\n```\n[nor this](nowhere.md)\n```\n"
            "[bad](docs/missing.md) [bad anchor](docs/a.md#nope) [out](../outside.md)\n"
            "See shared/reference/mycase-api.md, but ../shared/SPEC.md is fine.\n"
        )
        (root / "docs/a.md").write_text("# Same\n## Same\n[up](../README.md#top) [self](#same)\n")
        (root / "docs/orphan.md").write_text("# Orphan\n")
        problems, _ = check(root)
        expected = ["missing.md", "#nope", "outside the repository", "shared/reference", "orphan.md"]
        for word in expected:
            if not any(word in p for p in problems):
                failures.append(f"expected a problem mentioning {word!r}; got {problems}")
        if len(problems) != len(expected):
            failures.append(f"expected {len(expected)} problems, got {problems}")
    for failure in failures:
        print(f"check-links self-test: {failure}", file=sys.stderr)
    return 1 if failures else 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(self_test())
    problems, files = check(ROOT)
    for problem in problems:
        print(f"check-links: {problem}", file=sys.stderr)
    if problems:
        print(f"check-links: {len(problems)} problem(s) in {files} files", file=sys.stderr)
        sys.exit(1)
    print(f"check-links: {files} files, every link resolves, every docs/ page linked from README.md")


if __name__ == "__main__":
    main()
