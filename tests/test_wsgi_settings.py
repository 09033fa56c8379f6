"""The WSGI entry point serves production settings unless the environment names others."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = "import config.wsgi, django.conf as c; print(c.settings.SETTINGS_MODULE, c.settings.DEBUG)"


def _run_in_a_bare_process(probe: str, extra_env: dict) -> str:
    """What `probe` prints, run as a fresh Python process with only production's variables."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "stock.example.com",
        "DATABASE_URL": "sqlite:///:memory:",
        **extra_env,
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def _settings_of_wsgi(extra_env: dict) -> str:
    return _run_in_a_bare_process(PROBE, extra_env)


def test_a_bare_wsgi_server_gets_the_production_settings():
    assert _settings_of_wsgi({}) == "config.settings.production False"


def test_settings_named_by_the_environment_are_kept():
    named = _settings_of_wsgi({"DJANGO_SETTINGS_MODULE": "config.settings.test"})
    assert named.startswith("config.settings.test ")


def test_a_web_worker_keeps_its_start_up_objects_out_of_the_garbage_collector():
    frozen = _run_in_a_bare_process("import gc, config.wsgi; print(gc.get_freeze_count())", {})
    # Django, the apps and their views: well over a hundred thousand objects.
    assert int(frozen) > 50_000


OPTIONS_PROBE = (
    "import {module}, django.conf as c; "
    "print(c.settings.DATABASES['default'].get('OPTIONS', {{}}).get('options', ''))"
)
POSTGRES = {"DATABASE_URL": "postgres://stockwise@127.0.0.1:5432/stockwise"}


def test_web_requests_run_without_postgresqls_parallel_query():
    # Ten clients on two cores: a page's query spread over parallel workers took more CPU in
    # all, and the slowest list variants waited on it (docs/performance.md, ninth session).
    options = _run_in_a_bare_process(OPTIONS_PROBE.format(module="config.wsgi"), POSTGRES)
    assert "-c max_parallel_workers_per_gather=0" in options
    assert "-c random_page_cost=1.1" in options


def test_the_worker_keeps_the_servers_parallel_query_for_the_nightly_scans():
    probe = OPTIONS_PROBE.format(module="config.celery_app")
    options = _run_in_a_bare_process(probe, POSTGRES)
    assert "max_parallel_workers_per_gather" not in options
    assert "-c random_page_cost=1.1" in options


def test_the_environment_can_give_web_requests_parallel_workers_back():
    env = {**POSTGRES, "PG_PARALLEL_WORKERS_PER_QUERY": "2"}
    options = _run_in_a_bare_process(OPTIONS_PROBE.format(module="config.wsgi"), env)
    assert "-c max_parallel_workers_per_gather=2" in options
