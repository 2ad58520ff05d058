#!/usr/bin/env python3
"""Lists import cycles between the files of a Rust crate's `src/`.

A file imports another when it names an item through a `crate::`, `super::` or `self::` path
that lives in that file (a module's `mod.rs`, or `name.rs`). A re-export counts as an import of
the file it re-exports from, and a name used through a re-export counts as an import of the
file that re-exports it, so `use crate::Client` in a module is an import of `lib.rs`. A path
into a child module in code (`scan::parse_page(..)` in `lib.rs`) is an import of the child.

    scripts/import-cycles.py                        # every crate of the workspace
    scripts/import-cycles.py src crates/velt-cli/src

With no argument it reads the workspace members from the root `Cargo.toml` (`[workspace]
members`, the root package `.` included) and checks each member's `src/`. A `src/main.rs`
beside a `src/lib.rs` is a crate of its own (it reaches the library by the crate's name), so
its `crate::` paths name only itself.

Prints each cycle and exits 1 when there is one; exits 0 and says so when there is none.
"""

import re
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PATH = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)\b(?!::\{)")
BARE = re.compile(r"(?<![:\w])([a-z_][a-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)+)")
GROUP = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{")


def workspace_sources() -> list:
    """`src/` of every member of the workspace, as paths relative to the working directory
    when they are below it (so that messages stay short), the root package's first."""
    manifest = tomllib.loads((REPO / "Cargo.toml").read_text())
    members = manifest.get("workspace", {}).get("members", [])
    roots = []
    for member in members:
        # Members may be globs (`crates/*`).
        for path in sorted(REPO.glob(member)) if any(c in member for c in "*?[") else [REPO / member]:
            src = (path / "src").resolve()
            if src.is_dir() and src not in roots:
                roots.append(src)
    if "package" in manifest and (REPO / "src").resolve() not in roots:
        roots.insert(0, (REPO / "src").resolve())
    cwd = Path.cwd().resolve()
    return [str(r.relative_to(cwd)) if r.is_relative_to(cwd) else str(r) for r in roots]


def module_of(root: Path, file: Path) -> tuple:
    rel = file.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts == ["main"] and (root / "lib.rs").exists():
        return ("<main>",)  # a crate of its own, beside the library
    if parts in (["lib"], ["main"]):
        return ()
    if parts[-1] == "mod":
        parts = parts[:-1]
    return tuple(parts)


def strip_comments(text: str) -> str:
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def strip_tests(text: str) -> str:
    # Test modules may use anything; they are not part of the layering.
    out, depth, skipping = [], 0, False
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not skipping and line.strip() == "#[cfg(test)]" and i + 1 < len(lines) and re.match(
            r"\s*mod \w+ \{", lines[i + 1]
        ):
            skipping, depth = True, 0
            i += 1
            continue
        if skipping:
            depth += lines[i].count("{") - lines[i].count("}")
            if depth <= 0 and "}" in lines[i]:
                skipping = False
            i += 1
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def split_top(inner: str):
    """Splits a use-tree group's inside on its top-level commas."""
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(inner):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:k])
            start = k + 1
    parts.append(inner[start:])
    return [p.strip() for p in parts if p.strip()]


def flatten(tree: str, prefix: str = ""):
    """Every full path of a use tree, e.g. `a::{b, c::{d, e}}` gives a::b, a::c::d, a::c::e."""
    tree = tree.strip()
    brace = tree.find("{")
    if brace < 0:
        name = tree.split(" as ")[0].strip()
        yield prefix + name
        return
    head = tree[:brace].rstrip(":").strip()
    inner = tree[brace + 1 : tree.rfind("}")]
    base = prefix + head + "::" if head else prefix
    for part in split_top(inner):
        yield from flatten(part, base)


def paths_in(text: str):
    """Every crate/super/self path: those of `use` trees, flattened, and those in code."""
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        for path in flatten(m.group(1)):
            root, _, rest = path.partition("::")
            if root in ("crate", "super", "self"):
                yield root, "::" + rest
            else:
                yield "bare", path
    code = re.sub(r"\buse\s+[^;]+;", "", text)
    for m in PATH.finditer(code):
        yield m.group(1), m.group(2)
    # `child::item` in code: a call into a child module (kept only when `child` is one).
    for m in BARE.finditer(code):
        yield "bare", m.group(1)


def main(roots):
    cycles = []
    for root in map(Path, roots):
        files = {module_of(root, f): f for f in root.rglob("*.rs")}
        edges = {f: set() for f in files.values()}
        for module, file in files.items():
            text = strip_tests(strip_comments(file.read_text()))
            is_mod = file.name in ("mod.rs", "lib.rs", "main.rs")
            # `use child::...` names a child module relative to this one (2018 paths).
            children = {
                m[len(module)]
                for m in files
                if len(m) == len(module) + 1 and m[: len(module)] == module
            }
            for base, rest in paths_in(text):
                if module == ("<main>",):
                    continue  # its `crate::` is itself; the library is another crate
                if base == "bare":
                    if rest.split("::")[0] not in children:
                        continue  # another crate
                    base, rest = "self", "::" + rest
                segments = [s for s in rest.split("::") if s]
                if base == "crate":
                    target = []
                elif base == "self":
                    target = list(module)
                else:  # super
                    target = list(module)[:-1]
                path = target + segments
                # The longest prefix that is a file of ours.
                hit = None
                for n in range(len(path), -1, -1):
                    if tuple(path[:n]) in files:
                        hit = files[tuple(path[:n])]
                        break
                if hit is not None and hit != file:
                    # A child module's own declaration (`mod x;` in its parent) is not an import.
                    edges[file].add(hit)
        # Cycles by depth-first search.
        state, stack = {}, []

        def visit(node):
            state[node] = "open"
            stack.append(node)
            for nxt in sorted(edges[node]):
                if state.get(nxt) == "open":
                    cycles.append(stack[stack.index(nxt) :] + [nxt])
                elif nxt not in state:
                    visit(nxt)
            stack.pop()
            state[node] = "done"

        for node in sorted(edges):
            if node not in state:
                visit(node)
    for cycle in cycles:
        print("cycle: " + " -> ".join(str(f) for f in cycle))
    if cycles:
        return 1
    print(f"no import cycle between the files of {', '.join(roots)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or workspace_sources()))
