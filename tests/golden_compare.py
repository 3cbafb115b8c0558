"""Shows that the golden fixtures' changes.yaml files say exactly what the whole output.json files
they replaced said: for every tests/fixtures/ok case, the output.json at a git revision against
the committed changes.yaml expanded over input.yaml (by the golden-outputs example, which does not
run the transform), compared as JSON values with key order, and with numbers, booleans and null
kept apart (1, 1.0, true and "1" all differ).

usage: tests/golden_compare.py [--rev REV] [--cargo CARGO]

REV defaults to the parent of the first commit that added a changes.yaml (where the output.json
files were replaced), else to the merge-base of HEAD and main. Prints OK or DIFF (with the first
difference) per case and a total; exits 1 on any difference or on a case at REV that has no
changes.yaml now. A case added since REV is listed as NEW and not compared."""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OK = "tests/fixtures/ok"


def git(*args):
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                          check=True).stdout


def default_rev():
    added = git("log", "--reverse", "--diff-filter=A", "--format=%H", "HEAD", "--",
                f"{OK}/*/changes.yaml").split()
    if added:
        return f"{added[0]}^"
    return git("merge-base", "HEAD", "main").strip()


def load(text):
    """JSON with objects as lists of pairs (key order counts) and numbers tagged by kind."""
    return json.loads(text, object_pairs_hook=lambda pairs: ("object", pairs),
                      parse_int=lambda s: ("int", int(s)), parse_float=lambda s: ("float", float(s)),
                      parse_constant=lambda s: ("float", s))


def first_difference(old, new, path="$"):
    """Where two values from load() differ, or None."""
    if type(old) is not type(new):
        return f"{path}: {old!r} against {new!r}"
    if isinstance(old, tuple) and old[0] == "object" and new[0] == "object":
        old_keys, new_keys = [k for k, _ in old[1]], [k for k, _ in new[1]]
        if old_keys != new_keys:
            return f"{path}: keys {old_keys} against {new_keys}"
        for (key, a), (_, b) in zip(old[1], new[1]):
            found = first_difference(a, b, f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(old, list):
        if len(old) != len(new):
            return f"{path}: {len(old)} items against {len(new)}"
        for i, (a, b) in enumerate(zip(old, new)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if old == new else f"{path}: {old!r} against {new!r}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", help="the revision whose output.json files to compare against")
    parser.add_argument("--cargo", default="cargo")
    arguments = parser.parse_args()
    rev = arguments.rev or default_rev()
    old_cases = sorted({Path(p).parent.name for p in git("ls-tree", "-r", "--name-only", rev, "--",
                                                         f"{OK}/").splitlines()
                        if p.endswith("/output.json")})
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([arguments.cargo, "run", "--quiet", "--locked", "-p", "gradual-tests",
                        "--example", "golden-outputs", "--", out], cwd=ROOT, check=True)
        new_cases = sorted(p.name for p in Path(out).iterdir())
        ok = diff = identical = new = 0
        for case in sorted(set(old_cases) | set(new_cases)):
            if case not in new_cases:
                print(f"DIFF {case}: output.json at {rev} but no changes.yaml now")
                diff += 1
                continue
            if case not in old_cases:
                print(f"NEW  {case}: no output.json at {rev}")
                new += 1
                continue
            old_text = git("show", f"{rev}:{OK}/{case}/output.json")
            new_text = (Path(out) / case / "output.json").read_text(encoding="utf-8")
            found = first_difference(load(old_text), load(new_text))
            if found:
                print(f"DIFF {case}: {found}")
                diff += 1
            else:
                identical += old_text == new_text
                print(f"OK   {case}")
                ok += 1
    print(f"{ok} OK, {diff} DIFF of {ok + diff} cases against {rev} "
          f"({identical} of the OK also byte-identical), {new} NEW")
    return 1 if diff or not ok else 0


if __name__ == "__main__":
    sys.exit(main())
