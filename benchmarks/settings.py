"""Settings for the benchmarks: production-like (DEBUG off, cached templates, persistent
connections) but plain HTTP on loopback and no collected static manifest.

The broker may be moved to a private folder (BENCH_BROKER_DIR) so a benchmark's worker never
sees tasks queued by anything else, and mail goes wherever EMAIL_URL says (an SMTP sink).
The filesystem transport keeps its default polling (1 s), as `make run` has it.
"""

import os
import warnings

from config.settings.base import *  # noqa: F401,F403
from config.settings.base import CELERY_BROKER_TRANSPORT_OPTIONS, DATABASES, REDIS_URL

DEBUG = False
# WhiteNoise warns once per process when static files were never collected; pages still work.
warnings.filterwarnings("ignore", message="No directory at")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

_broker_dir = os.environ.get("BENCH_BROKER_DIR")
if _broker_dir and not REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,
        "data_folder_in": f"{_broker_dir}/queue",
        "data_folder_out": f"{_broker_dir}/queue",
        "processed_folder": f"{_broker_dir}/processed",
        "control_folder": f"{_broker_dir}/control",
    }
