#!/usr/bin/python3
"""Counts test results of every suite and prints "N passed, N failed".

Inputs (any number, any order):
  meson:LABEL:PATH/testlog.json   cmocka binaries run by `meson test`; each
                                  binary's "[  PASSED  ] N test(s)" and
                                  "[  FAILED  ] N test(s)" lines are counted,
                                  a binary that crashed counts as one failure
  junit:LABEL:PATH.xml            pytest, vitest or Playwright JUnit reports
  status:LABEL:PATH               a file of lines "pass NAME" / "fail NAME"
                                  (fuzz smoke runs)
A missing file is one failure: a suite that did not produce results failed.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET


def meson_counts(path):
    passed = failed = 0
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            t = json.loads(line)
            # cmocka prints its summary on stderr
            out = (t.get("stdout", "") or "") + (t.get("stderr", "") or "")
            p = re.findall(r"\[  PASSED  \] (\d+) test", out)
            fl = re.findall(r"\[  FAILED  \] (\d+) test", out)
            sk = re.findall(r"\[  SKIPPED \] (\d+) test", out)
            np = sum(map(int, p))
            nf = sum(map(int, fl))
            if t.get("result") not in ("OK", "EXPECTEDFAIL", "SKIP") and nf == 0:
                nf = 1  # crashed, timed out or sanitizer report
            elif t.get("result") == "OK" and np == 0 and nf == 0:
                np = 1  # a test program that is not cmocka (corpus replays)
            passed += np
            failed += nf
            del sk
    return passed, failed


def junit_counts(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall(".//testsuite")
    passed = failed = 0
    for s in suites:
        if s.findall("testsuite"):
            continue
        tests = int(s.get("tests", 0))
        fails = int(s.get("failures", 0)) + int(s.get("errors", 0))
        skipped = int(s.get("skipped", 0))
        passed += tests - fails - skipped
        failed += fails
    return passed, failed


def status_counts(path):
    passed = failed = 0
    with open(path) as f:
        for line in f:
            if line.startswith("pass "):
                passed += 1
            elif line.startswith("fail "):
                failed += 1
    return passed, failed


def main(args):
    total_p = total_f = 0
    for spec in args:
        kind, label, path = spec.split(":", 2)
        try:
            p, f = {"meson": meson_counts, "junit": junit_counts,
                    "status": status_counts}[kind](path)
        except (OSError, ValueError, ET.ParseError) as e:
            print(f"{label}: no results ({e})")
            p, f = 0, 1
        print(f"{label}: {p} passed, {f} failed")
        total_p += p
        total_f += f
    print(f"{total_p} passed, {total_f} failed")
    return 0 if total_f == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
