#!/usr/bin/python3
"""Writes docs/cli.md from the binary's own help texts, so that the
reference cannot drift from the code (tests/integration/test_docs.py checks
that the committed file is what this prints).

  /usr/bin/python3 scripts/gen-cli-doc.py [CALIPSO] > docs/cli.md
"""
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
cal = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "build", "src", "cli", "calipso")


def helptext(*args):
    cp = subprocess.run([cal, *args], capture_output=True, text=True,
                        env={"PATH": "/usr/bin:/bin", "CALIPSO_DB": "/var/lib/calipso/calipso.db"})
    return cp.stdout


top = helptext("--help")
commands = re.findall(r"^  ([a-z][a-z-]+) {2,}(.*)$", top.split("Commands:")[1].split("Global")[0],
                      re.M)
out = ["# The `calipso` command line", "",
       "Generated from the binary's help texts by `scripts/gen-cli-doc.py`; "
       "`calipso COMMAND --help` prints the same.", "",
       "## Exit codes", "",
       "| code | meaning |", "|---|---|",
       "| 0 | success |",
       "| 1 | differences found (`diff`), or an unhealthy result where the command says so |",
       "| 2 | usage error or invalid input (the message names it) |",
       "| 3 | not found (an unknown id, environment, snapshot...) |",
       "| 4 | completed with errors (a scan where some source did not answer) |",
       "| 5 | failure: I/O, database, protocol |",
       "| 6 | permission or authentication refused |", "",
       "## calipso", "", "```", top.rstrip(), "```", ""]
for name, summary in commands:
    out += [f"## calipso {name}", "", summary[0].upper() + summary[1:] + ".", "", "```",
            helptext(name, "--help").rstrip(), "```", ""]
sys.stdout.write("\n".join(out))
