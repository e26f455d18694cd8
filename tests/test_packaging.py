"""Packaging: `pip install .` into a fresh venv, then `scrapy crawl heute` from a folder holding only scrapy.cfg.

Offline by construction. The wheel is built from a copy of the checkout (builds write build/ and *.egg-info
beside the sources; the shared work tree stays clean) by this venv's pip and setuptools, without build
isolation (setuptools is pinned in requirements-dev.txt). The fresh venv is made by `python -m venv` and gets
one .pth file naming this venv's site-packages, where the pinned requirements.txt are installed: pip then finds
each declared dependency already there, so `pip install --no-index <wheel>` (with dependency resolution, not
--no-deps) downloads nothing and also proves that the ranges in pyproject.toml accept the pins. A .pth entry
comes after the venv's own site-packages and the checkout is on no path (PYTHONPATH unset, the run starts in
another folder), so newscrawl can only come from the new venv; the test asserts that. Scrapy's `scrapy` script
belongs to Scrapy's installation, which lives in this venv, so the crawl runs as `<venv>/bin/python -m scrapy`:
the same entry point (scrapy.cmdline.execute) under the new venv's interpreter.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import HEUTE_MIRROR, PROJECT, read_jsonl

# Extras for feed storages (-o s3://, -o gs://): declared, not pinned in requirements.txt and not installed here,
# so the tests can check that a run needing them stops at start and names them (tests/test_feed_outputs.py).
UNPINNED_EXTRAS = ("s3", "gcs")
MIRROR_IDS = sorted(p.name.split(".")[0] for p in (HEUTE_MIRROR / "s").glob("*.expected.json"))
# What a build may never see or pack: local state, caches, other builds.
NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "venv", "output", "state", "__pycache__", ".pytest_cache",
                                     ".hypothesis", ".scrapy", "build", "dist", "*.egg-info")
TIMEOUT = 300


def clean_env() -> dict[str, str]:
    """The environment without anything that points Python, pip or Scrapy somewhere: pip sees no index and no
    configuration file, Scrapy no project but the scrapy.cfg of the folder it runs in."""
    dropped = ("PYTHON", "PIP_", "SCRAPY_", "NEWSCRAWL_", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(dropped) and k not in ("MONGO_URI", "REDIS_URL")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    return env


def run(*cmd: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, env=clean_env(), capture_output=True, text=True,
                            timeout=TIMEOUT)
    assert result.returncode == 0, f"{cmd}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def source_copy(tmp: Path) -> Path:
    """A copy of the checkout to build from, tests/ and benchmarks/ included (they must be left out by the
    build, not by the copy)."""
    src = tmp / "src"
    shutil.copytree(PROJECT, src, ignore=NOT_SOURCES)
    return src


def package_files(src: Path) -> list[str]:
    """Every file of the package in a source copy, as archives name them: modules and any data files."""
    return sorted(p.relative_to(src).as_posix() for p in (src / "newscrawl").rglob("*") if p.is_file())


def top_levels(names: list[str]) -> set[str]:
    return {name.split("/", 1)[0] for name in names}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a fresh source copy, which stays beside it as ``<tmp>/src``."""
    assert Version(importlib.metadata.version("setuptools")) >= Version("70.1"), \
        "building a wheel offline needs setuptools 70.1+ in this venv (requirements-dev.txt pins it)"
    tmp = tmp_path_factory.mktemp("wheel")
    src = source_copy(tmp)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", tmp / "dist", src, cwd=tmp)
    (built,) = (tmp / "dist").glob("newscrawl-*.whl")
    return built


def extra_packages(extra: str) -> set[str]:
    """The distributions an extra of pyproject.toml names, as canonical names."""
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {canonicalize_name(Requirement(r).name) for r in project["optional-dependencies"][extra]}


def dependencies_without(tmp: Path, left_out: set[str]) -> Path:
    """A folder that shows this venv's site-packages, less the files of the ``left_out`` distributions: one
    symbolic link per top-level entry (module, package or .dist-info) of every other installed distribution."""
    site = Path(sysconfig.get_paths()["purelib"])
    hidden = set()
    for dist in importlib.metadata.distributions(path=[str(site)]):
        if canonicalize_name(dist.metadata["Name"]) in left_out:
            hidden |= top_levels([str(f) for f in dist.files or ()])
    deps = tmp / "deps"
    deps.mkdir()
    for entry in site.iterdir():
        if entry.name not in hidden and not entry.name.endswith(".pth"):
            (deps / entry.name).symlink_to(entry)
    return deps


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> Path:
    """A fresh venv with the wheel installed and the dependencies of a plain `pip install .`, i.e. without the
    ``redis`` extra (see the module docstring for where they come from).

    The venv is made without pip (no ensurepip needed, which Debian ships apart) and this venv's pip installs
    into it with ``--python``: the install runs under the new venv's interpreter, against its site-packages.
    """
    tmp = tmp_path_factory.mktemp("venv")
    root = tmp / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", root, cwd=tmp)
    python = root / "bin" / "python"
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=root).stdout
    deps = dependencies_without(tmp, extra_packages("redis"))
    (Path(purelib.strip()) / "newscrawl-test-deps.pth").write_text(f"{deps}\n")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-index", wheel, cwd=root)
    return root


def test_dependency_ranges_admit_the_pins():
    """pyproject.toml's dependencies and extras (but the feed storages') name exactly the packages
    requirements.txt pins, and each pin lies in its range: the README's set-up and `pip install .` cannot drift
    apart."""
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [Requirement(r) for r in project["dependencies"]]
    declared += [Requirement(r) for name, extra in project["optional-dependencies"].items() for r in extra
                 if name not in UNPINNED_EXTRAS]
    pins = [Requirement(line.split("#", 1)[0]) for line in (PROJECT / "requirements.txt").read_text().splitlines()
            if line.split("#", 1)[0].strip()]
    pinned = {canonicalize_name(p.name): next(iter(p.specifier)).version for p in pins}
    assert sorted(canonicalize_name(r.name) for r in declared) == sorted(pinned)
    for requirement in declared:
        assert requirement.specifier.contains(pinned[canonicalize_name(requirement.name)]), requirement


def test_storage_extras_install_what_the_feed_check_asks_for():
    """Each feed storage's extra installs the package newscrawl.feed_outputs names when its library is missing
    (`pip install 'newscrawl[s3]'` must bring boto3), and its range admits Scrapy's own extra's lower bound."""
    from newscrawl.feed_outputs import STORAGE_LIBRARIES

    asked = {extra: canonicalize_name(package) for _module, package, extra in STORAGE_LIBRARIES.values()}
    assert sorted(asked) == sorted(UNPINNED_EXTRAS)
    scrapy_extras = [Requirement(r) for r in importlib.metadata.requires("scrapy") or ()]
    for extra, package in asked.items():
        assert extra_packages(extra) == {package}
        project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        [declared] = [Requirement(r) for r in project["optional-dependencies"][extra]]
        [scrapys] = [r for r in scrapy_extras if canonicalize_name(r.name) == package
                     and r.marker and r.marker.evaluate({"extra": extra})]
        assert declared.specifier.contains(next(iter(scrapys.specifier)).version), (declared, scrapys)


def test_wheel_holds_the_package_and_nothing_else(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    version = wheel.name.split("-")[1]
    assert top_levels(names) == {"newscrawl", f"newscrawl-{version}.dist-info"}
    # every subpackage and data file of the package, nothing else (the copy beside the wheel is its source)
    assert sorted(n for n in names if n.startswith("newscrawl/")) == package_files(wheel.parent.parent / "src")
    entry_points = zipfile.ZipFile(wheel).read(f"newscrawl-{version}.dist-info/entry_points.txt").decode()
    assert "[scrapy]\nsettings = newscrawl.settings" in entry_points


def test_sdist_leaves_tests_and_benchmarks_out(tmp_path):
    src = source_copy(tmp_path)
    run(sys.executable, "-c", "import sys; from setuptools import build_meta; build_meta.build_sdist(sys.argv[1])",
        tmp_path / "dist", cwd=src)
    (sdist,) = (tmp_path / "dist").glob("newscrawl-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = [m.name.split("/", 1)[1] for m in tar.getmembers() if m.isfile()]
    assert top_levels(names) == {"newscrawl", "newscrawl.egg-info", "PKG-INFO", "README.md", "MANIFEST.in",
                                 "pyproject.toml", "setup.py", "setup.cfg"}
    assert sorted(n for n in names if n.startswith("newscrawl/")) == package_files(src)


def test_scrapyd_deploy_egg_holds_the_package_and_its_settings_entry_point(tmp_path):
    """scrapyd-deploy runs `python setup.py clean -a bdist_egg -d <dir>` beside scrapy.cfg (writing its own
    setup.py, which packs every package it finds, only when there is none)."""
    src = source_copy(tmp_path)
    run(sys.executable, "setup.py", "clean", "-a", "bdist_egg", "-d", tmp_path / "eggs", cwd=src)
    (egg,) = (tmp_path / "eggs").glob("*.egg")
    names = zipfile.ZipFile(egg).namelist()
    assert top_levels(names) == {"newscrawl", "EGG-INFO"}
    # the egg may hold byte-code beside each module; no other file
    assert sorted(n for n in names if n.startswith("newscrawl/") and not n.endswith(".pyc")) == package_files(src)
    assert "[scrapy]\nsettings = newscrawl.settings" in zipfile.ZipFile(egg).read("EGG-INFO/entry_points.txt").decode()


def test_installed_package_crawls_the_mirror_from_any_folder_with_a_scrapy_cfg(tmp_path, wheel, venv, heute_mirror):
    python = venv / "bin" / "python"
    here = tmp_path / "crawl"
    here.mkdir()
    (here / "scrapy.cfg").write_text("[settings]\ndefault = newscrawl.settings\n")

    probe = ("import json, importlib.metadata as m, importlib.util as u, newscrawl; d = m.distribution('newscrawl'); "
             "print(json.dumps({'file': newscrawl.__file__, 'files': [str(f) for f in d.files], "
             "'scrapy': [e.value for e in d.entry_points if e.group == 'scrapy' and e.name == 'settings'], "
             "'redis': [n for n in ('redis', 'scrapy_redis') if u.find_spec(n)]}))")
    installed = json.loads(run(python, "-c", probe, cwd=here).stdout)
    assert Path(installed["file"]).resolve().is_relative_to(venv.resolve())  # not the checkout
    assert installed["redis"] == []  # the crawl below needs no `redis` extra
    assert installed["scrapy"] == ["newscrawl.settings"]
    version = wheel.name.split("-")[1]
    assert top_levels(installed["files"]) == {"newscrawl", f"newscrawl-{version}.dist-info"}  # no tests/

    crawl = run(python, "-m", "scrapy", "crawl", "heute", "-a", f"base_url={heute_mirror}", "-O", "out.jsonl",
                "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", cwd=here)
    items = read_jsonl(here / "out.jsonl")
    assert sorted(item["article_id"] for item in items) == MIRROR_IDS, crawl.stderr[-3000:]
    assert all(item["site"] == "heute" and item["headline"] for item in items)
