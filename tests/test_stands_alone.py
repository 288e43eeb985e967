"""The repository stands alone on a fresh clone: nothing in the product, its docs or its tests
names a path outside it (the design, formats and vectors it relies on are its own copies, in
docs/ and tests/vectors/)."""

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Written in pieces so that this file does not match itself.
OUTSIDE = re.compile("|".join((r"\.\./" + "shared", "shared/" + "(reference|vectors|DESIGN)",
                               "DESIGN" + r"(\.md| §)")))


def test_no_file_names_a_path_outside_the_repository():
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                           cwd=REPO, check=True, capture_output=True, text=True).stdout.split()
    found = []
    for name in files:
        path = REPO / name
        if not path.is_file() or path.suffix not in {".py", ".md", ".toml", ".sh", ".html",
                                                     ".js", ".css", ".po", ".txt", ""}:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace")
                                      .splitlines(), start=1):
            if OUTSIDE.search(line):
                found.append(f"{name}:{number}: {line.strip()[:100]}")
    assert not found, "paths outside the repository:\n" + "\n".join(found)


def test_the_vectors_and_the_design_are_the_repositorys_own():
    assert (REPO / "tests" / "vectors" / "signed-note.json").is_file()
    assert (REPO / "docs" / "design.md").is_file()
    assert (REPO / "docs" / "reference" / "scale-protocols.md").is_file()
