import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from config.celery_app import SETTINGS_FROM_ENVIRONMENT
from config.stack_chunk import in_large_chunk

# Production unless the environment says otherwise (importing `config` above already set the
# Celery worker's default, the local settings, which a web server must not pick up).
if not SETTINGS_FROM_ENVIRONMENT:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
# Web requests run without PostgreSQL's parallel query unless the environment says otherwise:
# ten clients on two cores got the benchmark's list pages served in 8 % less time in all, and
# the replenishment list filtered by ABC class took 11 ms of SQL instead of 21 (parallel
# workers' start-up and gathering cost more than they saved); docs/configuration.md.
os.environ.setdefault("PG_PARALLEL_WORKERS_PER_QUERY", "0")
application = in_large_chunk(get_wsgi_application())

# What start-up loaded (Django, the apps, every view through the URLconf) lives as long as the
# worker process. Frozen out of the garbage collector, it is no longer scanned by the full
# collections that come every ~50 list pages: one took ~80 ms in the middle of a request,
# over ~140k start-up objects, and 6 ms frozen (docs/performance.md, eighth session).
get_resolver().url_patterns  # noqa: B018 - imports every view now, not in a first request
gc.freeze()
