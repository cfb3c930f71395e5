#!/usr/bin/env python3
"""The longest functions in product code, for issue 13's "longest function <= 60 lines".

Counts each `fn` from the line of its `fn` keyword to the line of its closing brace, in
the .rs files under functions/, shared/ and tools/, leaving out test code: `tests/`
folders, `tests.rs`, `*_tests.rs`, `fakes.rs`, and `#[cfg(test)]` items (modules and
functions). Prints the longest (`--top`, default 15); with `--max N`, exits 1 when one is
longer than N lines.

    python3 scripts/longest-fn.py --max 60

Standard library only. Comments and string literals are blanked before braces are
counted, so a `{` in a string or a comment does not confuse it.
"""

import argparse
import os
import re
import sys

ROOTS = ("functions", "shared", "tools")


def is_test_file(path):
    parts = path.split(os.sep)
    name = parts[-1]
    return (
        "tests" in parts[:-1]
        or "target" in parts
        or name in ("tests.rs", "fakes.rs")
        or name.endswith("_tests.rs")
    )


def blank(source):
    """`source` with comments, strings and char literals replaced by spaces (newlines kept)."""
    out = []
    i, n = 0, len(source)

    def keep_newlines(text):
        return "".join("\n" if c == "\n" else " " for c in text)

    while i < n:
        c = source[i]
        if source.startswith("//", i):
            j = source.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif source.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if source.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif source.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(keep_newlines(source[i:j]))
            i = j
        elif (m := re.compile(r'b?r(#*)"').match(source, i)) and (
            i == 0 or not (source[i - 1].isalnum() or source[i - 1] == "_")
        ):
            end = '"' + m.group(1)
            j = source.find(end, m.end())
            j = n if j < 0 else j + len(end)
            out.append(keep_newlines(source[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and source[j] != '"':
                j += 2 if source[j] == "\\" else 1
            out.append(keep_newlines(source[i : j + 1]))
            i = j + 1
        elif c == "'":
            # A char literal ('x', '\n', '\u{1F600}') or a lifetime ('a): only the former
            # closes with a quote right after one (escaped) character.
            m = re.compile(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'").match(source, i)
            if m:
                out.append(" " * (m.end() - i))
                i = m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


FN = re.compile(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)")
CFG_TEST = re.compile(r"#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?")


def matching_brace(code, open_at):
    depth = 0
    for j in range(open_at, len(code)):
        if code[j] == "{":
            depth += 1
        elif code[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return len(code) - 1


def test_spans(code):
    """Character spans of `#[cfg(test)]` items (a module or a function, with its body)."""
    spans = []
    for m in CFG_TEST.finditer(code):
        brace, semi = code.find("{", m.end()), code.find(";", m.end())
        if brace < 0 or (0 <= semi < brace):
            continue
        spans.append((m.start(), matching_brace(code, brace)))
    return spans


def functions(path):
    with open(path, encoding="utf-8") as f:
        code = blank(f.read())
    skipped = test_spans(code)
    for m in FN.finditer(code):
        if any(a <= m.start() <= b for a, b in skipped):
            continue
        # The body opens at the first `{` outside the signature's parentheses and
        # brackets; a `;` first means a declaration without a body (trait, extern).
        depth, j = 0, m.end()
        while j < len(code):
            ch = code[j]
            if ch in "([":
                depth += 1
            elif ch in ")]":
                depth -= 1
            elif depth == 0 and ch in "{;":
                break
            j += 1
        if j >= len(code) or code[j] == ";":
            continue
        end = matching_brace(code, j)
        first = code.count("\n", 0, m.start()) + 1
        last = code.count("\n", 0, end) + 1
        yield last - first + 1, first, m.group(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max", type=int, help="exit 1 if a function is longer")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."))
    args = parser.parse_args()
    root = os.path.abspath(args.root)
    found = []
    for top in ROOTS:
        for folder, dirs, files in os.walk(os.path.join(root, top)):
            dirs[:] = sorted(d for d in dirs if d not in ("target", "tests"))
            for name in sorted(files):
                path = os.path.join(folder, name)
                rel = os.path.relpath(path, root)
                if name.endswith(".rs") and not is_test_file(rel):
                    found += [(n, rel, line, fn) for n, line, fn in functions(path)]
    found.sort(key=lambda f: (-f[0], f[1], f[2]))
    for lines, rel, line, name in found[: args.top]:
        print(f"{lines:5}  {rel}:{line}  {name}")
    if args.max is not None:
        over = [f for f in found if f[0] > args.max]
        print(f"{len(over)} function(s) longer than {args.max} lines (of {len(found)})")
        return 1 if over else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
