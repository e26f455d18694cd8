"""Every ``NEWSCRAWL_<NAME>_ENABLED`` switch works from the environment as from ``-s`` (issue 13): the table in
newscrawl/environment.py names each one, and a real ``scrapy crawl`` with the variable at 0 runs without the part it
switches off."""

from __future__ import annotations

import ast
import re
import sqlite3

import pytest

import newscrawl.settings as settings_module
from newscrawl.environment import VARIABLES, flag
from tests.conftest import read_jsonl, run_scrapy

PIPELINES = {
    "NEWSCRAWL_VALIDATE_ENABLED": "newscrawl.pipelines.validate.ValidatePipeline",
    "NEWSCRAWL_NORMALISE_ENABLED": "newscrawl.pipelines.normalise.NormalisePipeline",
    "NEWSCRAWL_DEDUP_ENABLED": "newscrawl.pipelines.dedup.DedupPipeline",
    "NEWSCRAWL_STORE_ENABLED": "newscrawl.pipelines.store.StorePipeline",
}
SWITCH = re.compile(r"^NEWSCRAWL_\w+_ENABLED$")


def test_every_enabled_switch_of_settings_py_is_an_environment_flag_of_the_same_name():
    switches = sorted(name for name in dir(settings_module) if SWITCH.match(name))
    assert set(PIPELINES) <= set(switches)
    for name in switches:
        assert name in VARIABLES, f"{name} has no environment variable in newscrawl/environment.py"
        assert (VARIABLES[name].setting, VARIABLES[name].parse) == (name, flag), name


def crawl(base: str, tmp_path, env: dict, *args: str):
    out = tmp_path / "items.jsonl"
    result = run_scrapy("crawl", "heute", "-a", f"base_url={base}", "-O", str(out), *args,
                        env={"NEWSCRAWL_STATE": str(tmp_path / "state.sqlite3"), **env})
    assert result.returncode == 0, result.stderr[-3000:]
    m = re.search(r"Enabled item pipelines:\n(\[.*?\])\n", result.stderr, re.DOTALL)
    assert m, result.stderr[-3000:]
    return set(ast.literal_eval(m.group(1))), read_jsonl(out)


def stored(tmp_path) -> int:
    with sqlite3.connect(tmp_path / "state.sqlite3") as conn:
        return conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]


@pytest.mark.parametrize("switch", sorted(PIPELINES))
def test_a_switch_at_0_in_the_environment_leaves_its_pipeline_out(heute_mirror, tmp_path, switch):
    enabled, items = crawl(heute_mirror, tmp_path, {switch: "0"})
    assert enabled == set(PIPELINES.values()) - {PIPELINES[switch]}
    assert len(items) == 19  # every article of the mirror still exported


@pytest.mark.parametrize("how", ["environment", "-s"])
def test_the_store_switched_off_stores_nothing(heute_mirror, tmp_path, how):
    env, args = ({"NEWSCRAWL_STORE_ENABLED": "off"}, ()) if how == "environment" else (
        {}, ("-s", "NEWSCRAWL_STORE_ENABLED=0"))
    enabled, items = crawl(heute_mirror, tmp_path / "off", env, *args)
    assert PIPELINES["NEWSCRAWL_STORE_ENABLED"] not in enabled and len(items) == 19
    assert stored(tmp_path / "off") == 0

    _, items = crawl(heute_mirror, tmp_path / "on", {})  # the same crawl with the store on does store them
    assert stored(tmp_path / "on") == len(items) == 19


def test_dash_s_wins_over_the_environment(heute_mirror, tmp_path):
    enabled, _ = crawl(heute_mirror, tmp_path, {"NEWSCRAWL_VALIDATE_ENABLED": "0"}, "-s", "NEWSCRAWL_VALIDATE_ENABLED=1")
    assert enabled == set(PIPELINES.values())
