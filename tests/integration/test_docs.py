"""test_docs.py - documentation that is generated from the code matches it."""

import os
import subprocess

from lablib import calipso_bin

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_cli_reference_is_current():
    cp = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "scripts", "gen-cli-doc.py"),
                         calipso_bin()], capture_output=True, text=True, check=True)
    with open(os.path.join(REPO, "docs", "cli.md")) as f:
        committed = f.read()
    assert committed == cp.stdout, \
        "docs/cli.md is out of date: run scripts/gen-cli-doc.py build/src/cli/calipso > docs/cli.md"


def test_every_command_has_help():
    top = subprocess.run([calipso_bin(), "--help"], capture_output=True, text=True).stdout
    names = [l.split()[0] for l in top.split("Commands:")[1].split("Global")[0].splitlines()
             if l.strip()]
    assert len(names) >= 6
    for n in names:
        cp = subprocess.run([calipso_bin(), n, "--help"], capture_output=True, text=True)
        assert cp.returncode == 0 and cp.stdout.startswith("usage: calipso " + n), (n, cp)
