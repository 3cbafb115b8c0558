"""Checks deployment semantics of CloudFormation outputs (see semantics.py and hooks.py).

usage: check.py [--installed-hooks TEMPLATE_YAML] OUTPUT.json ...

Prints every violation, one a line, and exits 1 if there is any."""

import argparse
import json
import sys
from pathlib import Path

import hooks
import semantics


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--installed-hooks", metavar="TEMPLATE_YAML",
                        help="also check the installed hooks' policies in this SAM template")
    parser.add_argument("outputs", nargs="*", type=Path)
    arguments = parser.parse_args(argv)
    found = []
    checked = 0
    for path in arguments.outputs:
        try:
            template = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            found.append(f"{path}: {error}")
            continue
        found += semantics.violations(template, str(path))
        checked += 1
    if arguments.installed_hooks:
        try:
            found += hooks.installed_hook_violations(arguments.installed_hooks)
        except Exception as error:  # the translation failing is this check failing
            found.append(f"{arguments.installed_hooks}: {type(error).__name__}: {error}")
        checked += 1
    for line in found:
        print(line)
    print(f"{checked} templates checked, {len(found)} violations", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
