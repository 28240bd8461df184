"""conftest.py - fixtures of Calipso's integration tests.

- `lab` (session): one lab of namespaces (lab/lab.py) for the whole run,
  with a prefix of its own (t<pid>, or $CALIPSO_TEST_LAB_PREFIX) so it never
  collides with the demo lab or another run; always torn down at the end
  (unless CALIPSO_LAB_KEEP=1, for debugging).  Labs left by test sessions
  that died (t<pid> whose pytest is gone) are removed first.  Yields a lablib.Lab.  A test
  that breaks or changes the lab on purpose (labmod.vm_add/vm_rm/net_add/net_rm/link_set)
  restores it, or calls lab.ensure_up() in a finally: run-time changes are undone in
  place, anything else is rebuilt with the same names and ids.
- `db_path` (function): a fresh database path in the test's tmp dir.

When a test that uses the lab fails, its report gets the lab's status and
the tails of the daemons' logs (dnsmasq, ovsdb-server, ovs-vswitchd).
Tests need root; without it, or without the lab's tools, they are skipped
with the reason.
"""

import os
import re
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lablib  # noqa: E402
from lablib import labmod  # noqa: E402

_SESSION = {"prefix": None}
TEST_LAB_HOSTS = int(os.environ.get("CALIPSO_TEST_LAB_HOSTS", labmod.DEFAULT_HOSTS))


def session_lab_prefix():
    return os.environ.get("CALIPSO_TEST_LAB_PREFIX") or f"t{os.getpid()}"


def lab_skip_reason():
    """Why the lab cannot run here, or None."""
    if os.geteuid() != 0:
        return "the lab needs root (network namespaces)"
    for tool in ("ip", "unshare", "nsenter", "dnsmasq", "busybox", "ovs-vswitchd", "virsh"):
        if not shutil.which(tool):
            return f"{tool} is not installed (scripts/deps.sh installs it)"
    return None


def remove_stale_test_labs():
    """Removes labs of earlier test sessions that died without tearing
    down (t<pid>[suffix] whose pytest process is gone)."""
    try:
        names = os.listdir(labmod.RUN_ROOT)
    except FileNotFoundError:
        return []
    removed = []
    for p in names:
        m = re.fullmatch(r"t(\d+)[a-z]?", p)
        if not m or int(m.group(1)) == os.getpid():
            continue
        pid = int(m.group(1))
        if labmod.pid_alive(pid) and "pytest" in labmod.proc_cmdline(pid):
            continue  # a session running now
        labmod.down(p)
        removed.append(p)
    return removed


def _lab_report(prefix, tail=25):
    """(title, text) sections describing lab `prefix` for a failure report."""
    sections = []
    try:
        sections.append(("lab status", labmod.format_status(labmod.status(prefix))))
    except Exception as e:  # the report must not hide the test's own failure
        sections.append(("lab status", f"could not get the lab's status: {e}"))
        return sections
    try:
        logs = lablib.Lab(prefix).logs(tail=tail)
    except Exception as e:
        return sections + [("lab logs", f"could not read the lab's logs: {e}")]
    for name, text in logs.items():
        if text.strip() and ("dhcp/" in name or "/ovs/" in name):
            sections.append((f"lab log {name}", text))
    return sections


class _LabHandle(lablib.Lab):
    def __init__(self, prefix, hosts, log):
        self._hosts_opt = hosts
        self._log = log
        super().__init__(prefix)

    def ensure_up(self):
        """Brings the lab back to its built state: a no-op when it is healthy
        and unchanged; run-time changes (vm-add, vm-rm, net-add, net-rm,
        link-set) undone in place; a rebuild with the same names otherwise."""
        labmod.up(self.prefix, hosts=self._hosts_opt, log=self._log, restore=True)
        return self.reload()


@pytest.fixture(scope="session")
def lab(request):
    reason = lab_skip_reason()
    if reason:
        pytest.skip(reason)
    prefix = session_lab_prefix()
    tr = request.config.pluginmanager.get_plugin("terminalreporter")

    def log(msg):
        if tr is not None and request.config.getoption("verbose") > 0:
            tr.write_line(msg)
    for p in remove_stale_test_labs():
        log(f"lab: removed the stale lab {p} of a dead test session")
    try:
        labmod.up(prefix, hosts=TEST_LAB_HOSTS, log=log)
    except labmod.LabError as e:
        pytest.fail(f"the lab did not come up: {e}", pytrace=False)
    _SESSION["prefix"] = prefix
    try:
        yield _LabHandle(prefix, TEST_LAB_HOSTS, log)
    finally:
        _SESSION["prefix"] = None
        if request.session.testsfailed and tr is not None:
            for title, text in _lab_report(prefix, tail=10)[:1]:
                tr.write_line(f"--- {title} at the end of the session")
                tr.write_line(text)
        if os.environ.get("CALIPSO_LAB_KEEP") != "1":
            labmod.down(prefix)


@pytest.fixture
def db_path(tmp_path):
    """A database path no other test uses (the file does not exist yet)."""
    return str(tmp_path / "calipso.db")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    prefix = _SESSION["prefix"]
    if rep.when == "call" and rep.failed and prefix and "lab" in item.fixturenames:
        for title, text in _lab_report(prefix):
            rep.sections.append((title, text))
