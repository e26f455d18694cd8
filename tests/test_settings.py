"""Settings the Scrapy way: every newscrawl setting through the environment and through ``-s`` (``-s`` winning),
defaults written once in newscrawl/settings.py, derived settings derived from the final values at run time
(newscrawl.addon), deprecated names still working with one warning.

In-process tests build settings the way ``scrapy crawl`` does (the settings module at ``project`` priority, read
afresh with the test's environment; ``-s`` at ``cmdline``; the add-on's two hooks); a few real ``scrapy crawl``
runs check what only a run shows: the feed's folder, the log level, the Redis scheduler.
"""

from __future__ import annotations

import ast
import importlib
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.settings import Settings

import newscrawl.addon as addon
import newscrawl.settings as settings_module
from newscrawl.environment import VARIABLES, flag, integer, json_object, number, read, text
from tests.conftest import PROJECT, read_jsonl
from tests.distributed.test_redis_workers import redis_server  # noqa: F401 — the session's own redis-server

OWN_PREFIXES = ("NEWSCRAWL_", "MONGO_", "REDIS_")
NOT_A_SETTING = {"NEWSCRAWL_FROM_ENVIRONMENT"}  # the record of what the environment set
# Sample values (as text, the way the environment and -s give them) where a made-up one would not do.
SAMPLES = {
    "LOG_LEVEL": "WARNING", "NEWSCRAWL_EXTRACT_PROCESSES": "2", "REDIS_URL": "redis://127.0.0.1:1/3",
    "MONGO_URI": "mongodb://127.0.0.1:1", "NEWSCRAWL_RECHECK": "2d", "NEWSCRAWL_RECHECK_EVERY": "12h",
    "NEWSCRAWL_COVERAGE_FLOORS": "headline=0.5", "NEWSCRAWL_BASE_URLS": '{"heute": "http://127.0.0.1:1"}',
}


def sample(variable) -> tuple[str, object]:
    """A value for the variable's setting other than its default: as text, and as the setting then holds it."""
    raw = SAMPLES.get(variable.setting)
    if raw is None:
        default = getattr(settings_module, variable.setting, None)
        raw = {flag: "0" if default else "1", integer: "7", number: "0.25",
               text: f"/tmp/sample-{variable.setting.lower()}"}[variable.parse]
    return raw, variable.parse(raw)


def typed(settings: Settings, name: str, parse):
    getter = {flag: settings.getbool, integer: settings.getint, number: settings.getfloat,
              json_object: settings.getdict}.get(parse, settings.get)
    return getter(name)


@pytest.fixture
def project(monkeypatch):
    """Settings as a crawl sees them, for a given environment and -s: ``project(env={...}, cmdline={...})``."""
    monkeypatch.setattr(addon, "_warned", set())
    saved = dict(os.environ)

    def build(env: dict | None = None, cmdline: dict | None = None) -> Settings:
        os.environ.clear()
        os.environ.update({k: v for k, v in saved.items() if k not in VARIABLES}, **(env or {}))
        try:
            module = importlib.reload(settings_module)  # the environment is read once, when the module loads
        finally:
            os.environ.clear()
            os.environ.update(saved)
        settings = Settings()
        settings.setmodule(module, priority="project")
        settings.setdict(cmdline or {}, priority="cmdline")
        addon.Addon.update_pre_crawler_settings(settings)  # the process's settings, before logging
        crawler_settings = settings.copy()
        addon.Addon().update_settings(crawler_settings)  # each crawler's
        return crawler_settings

    yield build
    importlib.reload(settings_module)  # the module as the test run's environment has it


# -- the table ------------------------------------------------------------------------------------------

def test_every_own_setting_has_a_default_and_an_environment_variable():
    own = {name for name in dir(settings_module) if name.isupper() and name.startswith(OWN_PREFIXES)}
    from_environment = {v.setting for v in VARIABLES.values()}
    assert own - NOT_A_SETTING <= from_environment, own - NOT_A_SETTING - from_environment
    legacy = {"HEUTE_BASE_URL", "ZWANZIGMINUTEN_BASE_URL"}  # deprecated: no default (the site declares its URL)
    assert {name for name in from_environment if not hasattr(settings_module, name)} == legacy


def test_aliases_and_environment_variables_name_the_same_scrapy_settings():
    aliased = {name: v.setting for name, v in VARIABLES.items() if name != v.setting and not v.deprecated}
    assert aliased == addon.ALIASES


def test_every_setting_read_in_the_code_has_its_default_in_settings_py():
    """settings.get*("X") / settings["X"] anywhere in newscrawl/ for a newscrawl name: X is in settings.py, so no
    call site needs a default of its own."""
    pattern = re.compile(r"""settings(?:\.get\w*\(\s*|\[)["']((?:NEWSCRAWL|MONGO|REDIS)_[A-Z_]+)["']""")
    read_names = {match for path in (PROJECT / "newscrawl").rglob("*.py")
                  for match in pattern.findall(path.read_text(encoding="utf-8"))}
    missing = {name for name in read_names if not hasattr(settings_module, name)}
    assert missing <= set(addon.DEPRECATED) | {"HEUTE_BASE_URL", "ZWANZIGMINUTEN_BASE_URL", "REDIS_PARAMS"}, missing


def test_settings_py_reads_no_environment_itself():
    tree = ast.parse((PROJECT / "newscrawl" / "settings.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names}
    attributes = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert not {"os", "environ", "getenv"} & (imported | attributes)  # newscrawl.environment.read() does it


@pytest.mark.parametrize("name", sorted(n for n, v in VARIABLES.items() if not v.deprecated))
def test_each_variable_sets_its_setting_and_dash_s_wins(project, name):
    variable = VARIABLES[name]
    raw, value = sample(variable)
    default = typed(project(), variable.setting, variable.parse)
    assert default != value

    from_env = project(env={name: raw})
    assert typed(from_env, variable.setting, variable.parse) == value
    assert from_env.getdict("NEWSCRAWL_FROM_ENVIRONMENT") == {variable.setting: name}

    from_cmdline = project(cmdline={name: raw})  # -s under the variable's name (an alias for Scrapy settings)
    assert typed(from_cmdline, variable.setting, variable.parse) == value

    if variable.setting != name:  # -s with Scrapy's own name works as ever
        assert typed(project(cmdline={variable.setting: raw}), variable.setting, variable.parse) == value

    # -s wins over the environment: the environment says the sample, -s says the default (or another URL)
    other = "http://127.0.0.1:2" if default is None else "{}" if isinstance(default, dict) else str(default)
    both = project(env={name: raw}, cmdline={name: other})
    assert typed(both, variable.setting, variable.parse) == (other if default is None else default)


def test_an_empty_variable_is_unset_and_a_bad_one_names_itself(project):
    assert project(env={"NEWSCRAWL_DOWNLOAD_DELAY": "  "}).getfloat("DOWNLOAD_DELAY") == 0.5
    for name, raw in (("NEWSCRAWL_DOWNLOAD_DELAY", "soon"), ("NEWSCRAWL_MAX_ERRORS", "1.5"),
                      ("NEWSCRAWL_INCREMENTAL", "maybe"), ("NEWSCRAWL_BASE_URLS", '["x"]')):
        with pytest.raises(ValueError, match=f"environment variable {name} .*{re.escape(repr(raw))}"):
            read({name: raw})


def test_an_alias_given_at_the_same_level_as_the_scrapy_name_wins_a_lower_level_does_not(project):
    assert project(cmdline={"DOWNLOAD_DELAY": "3", "NEWSCRAWL_DOWNLOAD_DELAY": "1"}).getfloat("DOWNLOAD_DELAY") == 1
    assert project(env={"NEWSCRAWL_DOWNLOAD_DELAY": "1"}, cmdline={"DOWNLOAD_DELAY": "3"}).getfloat(
        "DOWNLOAD_DELAY") == 3


def test_spider_custom_settings_are_resolved_per_crawler(project):
    settings = project()
    settings.set("NEWSCRAWL_CONCURRENT_ITEMS", 5, priority="spider")
    addon.Addon().update_settings(settings)
    assert settings.getint("CONCURRENT_ITEMS") == 5


# -- REDIS_URL -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["env", "cmdline"])
def test_redis_url_from_either_source_switches_to_the_redis_scheduler(project, how):
    plain = project()
    assert plain["SCHEDULER"] == "scrapy.core.scheduler.Scheduler"
    assert plain["DUPEFILTER_CLASS"] == "scrapy.dupefilters.RFPDupeFilter"
    given = {"REDIS_URL": "redis://127.0.0.1:1/0"}
    redis_on = project(env=given) if how == "env" else project(cmdline=given)
    for name, value in addon.REDIS_SETTINGS.items():
        assert redis_on[name] == value
    from newscrawl.distributed import RedisCrawlExtension
    assert redis_on.getdict("EXTENSIONS")[RedisCrawlExtension] == 500
    assert addon.REDIS_EXTENSION not in plain.getdict("EXTENSIONS")


def test_a_scheduler_given_explicitly_wins_over_the_redis_switch(project):
    settings = project(cmdline={"REDIS_URL": "redis://127.0.0.1:1/0", "SCHEDULER": "my.Scheduler"})
    assert settings["SCHEDULER"] == "my.Scheduler"


# -- deprecated names ------------------------------------------------------------------------------------

@pytest.mark.parametrize("old,new", sorted(addon.DEPRECATED.items()))
def test_a_deprecated_setting_still_works_with_one_warning(project, caplog, old, new):
    with caplog.at_level(logging.WARNING, logger="newscrawl.addon"):
        settings = project(cmdline={old: "7"})
        project(cmdline={old: "7"})  # a second crawler in the same process: no second warning
    assert settings.getfloat(new) == 7 and settings.getfloat(old) == 7  # code still reading the old name sees it
    assert [r.getMessage() for r in caplog.records] == [
        f"The setting {old} is deprecated and goes in the next release: use {new}"]


@pytest.mark.parametrize("old,new", sorted(addon.DEPRECATED.items()))
def test_a_deprecated_environment_variable_still_works_with_one_warning(project, caplog, old, new):
    with caplog.at_level(logging.WARNING, logger="newscrawl.addon"):
        settings = project(env={old: "7"})
    assert settings.getfloat(new) == 7
    assert [r.getMessage() for r in caplog.records] == [
        f"The environment variable {old} is deprecated and goes in the next release: use {new}"]


def test_the_new_name_wins_over_the_old_one_at_the_same_level_of_the_environment(project, caplog):
    assert project(env={"MONGO_BUFFER_SIZE": "7", "NEWSCRAWL_STORE_BUFFER_SIZE": "9"}).getint(
        "NEWSCRAWL_STORE_BUFFER_SIZE") == 9
    assert not caplog.records  # the old variable was not used: nothing to warn about
    assert project(env={"MONGO_BUFFER_SIZE": "7"}, cmdline={"NEWSCRAWL_STORE_BUFFER_SIZE": "9"}).getint(
        "NEWSCRAWL_STORE_BUFFER_SIZE") == 9


def test_replay_resolves_deprecated_names_without_a_crawler(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env.update(NEWSCRAWL_STATE=str(tmp_path / "state.sqlite3"), NEWSCRAWL_SPOOL=str(tmp_path / "spool.jsonl"))
    result = subprocess.run([sys.executable, "-m", "scrapy", "replay", "-s", "MONGO_BUFFER_SIZE=3"], cwd=PROJECT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("replay: replayed=0")
    assert result.stderr.count("MONGO_BUFFER_SIZE is deprecated") == 1


# -- real runs -------------------------------------------------------------------------------------------

def crawl(tmp_path: Path, base_url: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``scrapy crawl heute`` on the mirror with an environment free of newscrawl variables but ``env``."""
    full_env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    full_env.update(NEWSCRAWL_STATE=str(tmp_path / "state" / "state.sqlite3"), **(env or {}))
    cmd = [sys.executable, "-m", "scrapy", "crawl", "heute", "-a", f"base_url={base_url}",
           "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", *args]
    return subprocess.run(cmd, cwd=PROJECT, env=full_env, capture_output=True, text=True, timeout=180)


def test_dash_s_output_dir_moves_the_feed_over_the_environment(tmp_path, heute_mirror):
    from_env, from_cmdline = tmp_path / "env-output", tmp_path / "cmdline-output"
    result = crawl(tmp_path, heute_mirror, "-s", f"NEWSCRAWL_OUTPUT_DIR={from_cmdline}", "-s",
                   "MONGO_BUFFER_SIZE=2", env={"NEWSCRAWL_OUTPUT_DIR": str(from_env)})
    assert result.returncode == 0, result.stderr[-3000:]
    [feed] = (from_cmdline / "heute").glob("*.jsonl")
    assert len(read_jsonl(feed)) > 0 and not from_env.exists()
    assert result.stderr.count("The setting MONGO_BUFFER_SIZE is deprecated") == 1
    assert not (PROJECT / "output" / "heute" / feed.name).exists()


def test_dash_s_log_level_sets_the_log_level_from_the_first_line(tmp_path, heute_mirror):
    result = crawl(tmp_path, heute_mirror, "-s", "NEWSCRAWL_LOG_LEVEL=WARNING", "-s",
                   f"NEWSCRAWL_OUTPUT_DIR={tmp_path / 'out'}", env={"NEWSCRAWL_LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert list((tmp_path / "out" / "heute").glob("*.jsonl"))  # the crawl ran
    lines = [line for line in result.stderr.splitlines() if re.match(r"\d{4}-\d\d-\d\d ", line)]
    assert not [line for line in lines if " INFO: " in line or " DEBUG: " in line], lines[:5]

    chatty = crawl(tmp_path, heute_mirror, "-s", f"NEWSCRAWL_OUTPUT_DIR={tmp_path / 'out2'}",
                   env={"NEWSCRAWL_LOG_LEVEL": "DEBUG"})
    assert chatty.returncode == 0 and " DEBUG: " in chatty.stderr  # the environment alone: DEBUG


def test_dash_s_redis_url_runs_on_the_redis_scheduler(tmp_path, heute_mirror, redis_server):  # noqa: F811
    import redis

    url = f"{redis_server}/5"
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        result = crawl(tmp_path, heute_mirror, "-s", f"REDIS_URL={url}", "-s",
                       f"NEWSCRAWL_OUTPUT_DIR={tmp_path / 'out'}", "-s", "LOG_LEVEL=INFO")
        assert result.returncode == 0, result.stderr[-3000:]
        [feed] = (tmp_path / "out" / "heute").glob("*.jsonl")
        articles = len(read_jsonl(feed))
        # scrapy-redis's duplicate filter kept every request's fingerprint in this Redis (SCHEDULER_PERSIST)
        assert client.scard("heute:dupefilter") > articles > 0
        assert "newscrawl.distributed.RedisCrawlExtension" in result.stderr  # listed among the enabled extensions
    finally:
        client.flushdb()
