"""test_optional_libs.py - libraries a scan never calls are loaded on first use.

libpq, libcurl, libmicrohttpd, Graphviz's libgvc/libcgraph, libvirt and
libxml2 are not linked into `calipso` (src/core/dl.c, cal_dl_load): a scan
of the kernel maps none of them, `calipso serve` maps libmicrohttpd and not
the others, and each command that needs one still works, or, when the
library is missing, says which Debian package to install.

A missing library is made by hiding it in a private mount namespace
(`unshare --mount`, /dev/null bound over the file): nothing outside the
command sees it.  The scan runs on an empty named namespace of its own
(dl<pid>), removed at the end; nothing is sent anywhere.
Needs root, util-linux's unshare and iproute2.
"""

import os
import re
import shutil
import signal
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lablib import calipso, calipso_bin, run, wait_for  # noqa: E402

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="mount and network namespaces need root"),
    pytest.mark.skipif(shutil.which("unshare") is None or shutil.which("ip") is None,
                       reason="util-linux's unshare and iproute2 are needed"),
]

# soname -> the Debian package the message must name.
OPTIONAL = {
    "libpq.so.5": "libpq5",
    "libcurl.so.4": "libcurl4",
    "libmicrohttpd.so.12": "libmicrohttpd12",
    "libgvc.so.6": "libgvc6",
    "libcgraph.so.6": None,  # comes with libgvc6
    "libvirt.so.0": "libvirt0",
    "libxml2.so.2": "libxml2",
}
NS = "dl%d" % (os.getpid() % 100000)


def _lib_path(soname):
    """The file the dynamic loader opens for `soname` (ldconfig's cache, same
    ABI as libc)."""
    entries = {}
    for line in run(["ldconfig", "-p"]).stdout.splitlines()[1:]:
        m = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if m:
            entries.setdefault((m.group(1), m.group(2)), m.group(3))
    abi = next(a for (n, a) in entries if n == "libc.so.6")
    return entries[(soname, abi)]


def _hidden(sonames, argv, input=None, env=None, timeout=120):
    """Runs argv with every library of `sonames` hidden (a private mount
    namespace where /dev/null covers the file)."""
    script = ('while [ "$1" != -- ]; do mount --bind /dev/null "$1" || exit 99; shift; done; '
              'shift; exec "$@"')
    paths = [_lib_path(s) for s in sonames]
    cp = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                         "sh", *paths, "--", *argv], capture_output=True, text=True,
                        input=input, env=env, timeout=timeout)
    assert cp.returncode != 99, f"cannot hide {sonames}: {cp.stderr}"
    return cp


def _loaded(argv, env=None, timeout=120):
    """(CompletedProcess, set of sonames the process loaded), from the
    dynamic loader's own trace (LD_DEBUG=files)."""
    e = dict(env or os.environ)
    e["LD_DEBUG"] = "files"
    cp = subprocess.run(argv, capture_output=True, text=True, env=e, timeout=timeout)
    names = set(re.findall(r"file=(\S+) \[\d+\];\s+(?:needed|dynamically loaded) by",
                           cp.stderr))
    return cp, names


def _cli(db, *args, env_name=None):
    argv = [calipso_bin(), "--db", str(db)]
    if env_name:
        argv += ["--env", env_name]
    return argv + [str(a) for a in args]


def _must_name(stderr, soname, package, purpose):
    name = soname.split(".so")[0]
    assert re.search(rf"cannot load [^\n]*{re.escape(name)} \({re.escape(soname)}\): ",
                     stderr), stderr
    assert f"install Debian's {package} {purpose}" in stderr, stderr


@pytest.fixture
def netns():
    run(["ip", "netns", "add", NS])
    try:
        yield NS
    finally:
        run(["ip", "netns", "del", NS], check=False)


def test_binary_needs_none_of_them():
    """Neither calipso nor anything it links needs an optional library."""
    out = run(["ldd", calipso_bin()]).stdout
    linked = {line.split()[0] for line in out.splitlines() if line.strip()}
    assert not linked & set(OPTIONAL), out


def test_scan_loads_none_and_runs_without_them(netns, tmp_path):
    db = tmp_path / "calipso.db"
    cfg = tmp_path / "dl.json"
    cfg.write_text('{"hosts": [{"name": "dlh", "netns": "%s"}]}' % netns)
    calipso("env", "add", "dl", "--config", cfg, db=db, json_out=False)
    cp, names = _loaded(_cli(db, "scan", "--no-progress", env_name="dl"))
    assert cp.returncode == 0, cp.stderr[-4000:]
    assert not names & set(OPTIONAL), sorted(names)
    # The same scan with all of them gone from the machine.
    cp = _hidden(list(OPTIONAL), _cli(db, "scan", "--no-progress", env_name="dl"))
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "scan 2 of environment 'dl': completed in" in cp.stdout, cp.stdout
    assert "dlh" in {o["id"] for o in calipso("show", db=db, env_name="dl").json}


def test_serve_loads_libmicrohttpd_only(tmp_path):
    db = tmp_path / "calipso.db"
    p = subprocess.Popen(_cli(db, "serve", "--listen", "127.0.0.1:0", "--no-scheduler",
                              "--access-log", "off", "--ui-dir", ""),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = wait_for(lambda: (lambda l: l if "listening on" in l else None)(
            p.stdout.readline()), timeout=30, what="calipso serve to listen")
        assert line.startswith("calipso serve: listening on http://127.0.0.1:"), line
        maps = open(f"/proc/{p.pid}/maps").read()
        mapped = {os.path.basename(m) for m in re.findall(r"\s(/\S+\.so[.\d]*)$", maps, re.M)}
        assert any(m.startswith("libmicrohttpd.so.12") for m in mapped), sorted(mapped)
        for so in OPTIONAL:
            if so != "libmicrohttpd.so.12":
                assert not any(m.startswith(so) for m in mapped), (so, sorted(mapped))
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()
            p.stderr.close()


def test_serve_without_libmicrohttpd(tmp_path):
    db = tmp_path / "calipso.db"
    cp = _hidden(["libmicrohttpd.so.12"], _cli(db, "serve", "--listen", "127.0.0.1:0"))
    assert cp.returncode != 0
    _must_name(cp.stderr, "libmicrohttpd.so.12", "libmicrohttpd12", "to run calipso serve")
    # It stopped before it touched the store.
    assert not db.exists()


def test_postgresql_store_without_libpq(tmp_path):
    cp = _hidden(["libpq.so.5"], _cli("postgresql://calipso@127.0.0.1:1/none", "show"))
    assert cp.returncode != 0
    _must_name(cp.stderr, "libpq.so.5", "libpq5", "to use a PostgreSQL store")
    # SQLite stores are untouched by it.
    cp = _hidden(["libpq.so.5"], _cli(tmp_path / "calipso.db", "show", "--json"))
    assert cp.returncode == 0 and cp.stdout.strip() == "[]", cp.stderr


def test_openstack_without_libcurl(tmp_path):
    db = tmp_path / "calipso.db"
    calipso("env", "add", "dlos", "--auth-url", "http://127.0.0.1:1/v3", "--username", "u",
            "--project", "p", "--password-stdin", "--no-detect", db=db, json_out=False,
            input="dl-secret\n")
    cp = _hidden(["libcurl.so.4"], _cli(db, "env", "test", "dlos"))
    assert cp.returncode == 4, cp.stdout + cp.stderr
    keystone = next(l for l in cp.stdout.splitlines() if l.startswith("keystone"))
    _must_name(keystone, "libcurl.so.4", "libcurl4", "to discover OpenStack environments")
    # With libcurl, the same test reaches the (closed) port.
    cp = run(_cli(db, "env", "test", "dlos"), check=False)
    keystone = next(l for l in cp.stdout.splitlines() if l.startswith("keystone"))
    assert "error" in keystone and "cannot load" not in keystone, keystone


def test_report_graphs_without_graphviz(tmp_path):
    db = tmp_path / "calipso.db"
    calipso("sim", "--hosts", "2", "--vms", "3", "--networks", "2", "--env", "dlsim", db=db,
            json_out=False)
    args = ("report", "impact", "host0001:host_pnic:eth0", "--what-if-down", "--no-keep",
            "--out")
    run(_cli(db, *args, tmp_path / "with.html", env_name="dlsim"))
    assert "<svg" in (tmp_path / "with.html").read_text()
    cp = _hidden(["libgvc.so.6"], _cli(db, *args, tmp_path / "without.html",
                                        env_name="dlsim"))
    assert cp.returncode == 0, cp.stderr
    html = (tmp_path / "without.html").read_text()
    assert "<svg" not in html
    assert "The graph could not be drawn: cannot load Graphviz&#39;s libgvc (libgvc.so.6): " \
        in html, html[:3000]
    assert "install Debian&#39;s libgvc6 to draw graphs in reports" in html


@pytest.mark.parametrize("hide", [["libvirt.so.0"], ["libxml2.so.2"]])
def test_libvirt_source_without_its_libraries(netns, tmp_path, hide):
    db = tmp_path / "calipso.db"
    cfg = tmp_path / "dl.json"
    cfg.write_text('{"hosts": [{"name": "dlh", "netns": "%s", "libvirt": "test:///default"}]}'
                   % netns)
    calipso("env", "add", "dl", "--config", cfg, db=db, json_out=False)
    # With them: the test driver's domain.
    run(_cli(db, "scan", "--no-progress", env_name="dl"))
    assert [o["name"] for o in calipso("show", "--type", "instance", db=db,
                                       env_name="dl").json] == ["test"]
    cp = _hidden(hide, _cli(db, "scan", "--no-progress", env_name="dl"))
    # The libvirt source failed, named (the library that is missing: libvirt
    # or the libxml2 it needs), its data kept; the kernel was scanned.
    assert cp.returncode == 4, cp.stdout + cp.stderr
    assert "completed_with_errors" in cp.stdout, cp.stdout
    row = next(l for l in cp.stdout.splitlines() if re.match(r"dlh\s+libvirt\s", l))
    assert re.search(r"\serror\s+cannot load libvirt \(libvirt\.so\.0\): \S*%s"
                     % re.escape(hide[0]), row), row
    assert "install Debian's libvirt0 to read libvirt URIs (kept data from" in row, row
    assert re.search(r"dlh\s+netlink\s+ok", cp.stdout), cp.stdout
    assert [o["name"] for o in calipso("show", "--type", "instance", db=db,
                                       env_name="dl").json] == ["test"]
