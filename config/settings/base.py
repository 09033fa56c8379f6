"""Settings shared by every environment; each value comes from the environment (django-environ).

Unset, the project runs with no servers at all: SQLite, a filesystem Celery broker and email
written to files, so `make run` works on a fresh machine.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "inventory",
    "counting",
    "alerts",
    "clearance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "inventory.middleware.RequestSizeLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "inventory.context_processors.role",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let web, worker and beat share the file without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # PostgreSQL prices a random page read at 4 × a sequential one, a spinning disk's ratio; the
    # catalogue's tables live in memory or on SSD, where 1.1 is the usual setting. At 4 the list
    # pages joined 865 searched pairs to their SKUs by hashing all 100k SKUs (11 ms; 4.3 with
    # index lookups) and filtered the replenishment list by ABC class through a parallel scan
    # (13.6 ms; 4.8). Set per connection so it holds on any server (docs/configuration.md).
    options = f"-c random_page_cost={env.float('PG_RANDOM_PAGE_COST', default=1.1)}"
    # The web server sets 0 (config/wsgi.py): a page's query split over parallel workers takes
    # more CPU in all, and on a small server under concurrent users the cores are already busy
    # serving other pages (docs/performance.md, ninth session). The worker keeps the server's
    # default for the nightly job's scans.
    parallel_workers = env.int("PG_PARALLEL_WORKERS_PER_QUERY", default=None)
    if parallel_workers is not None:
        options += f" -c max_parallel_workers_per_gather={parallel_workers}"
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = options
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend that reads the user's role with the user: one query less on every page.
    "inventory.auth_backend.RoleModelBackend",
]
# Login lockout (django-axes): 5 failures for one username from one address lock it for 30 min.
# The address is REMOTE_ADDR only (django-ipware is not installed), so a forged
# X-Forwarded-For header cannot reset the count; behind a proxy, set AXES_CLIENT_IP_CALLABLE.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Email: EMAIL_URL (smtp://host:port, consolemail://); unset, mails are written to var/mail/.
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Stockwise <stockwise@localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# Celery: REDIS_URL, else kombu's filesystem transport, which needs no server.
REDIS_URL = env("REDIS_URL", default="")
CELERY_QUEUE_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A task taken by a worker that died before acknowledging it (acks_late) is delivered again
    # after the visibility timeout; the outbox sweep re-sends a lost email sooner anyway.
    _visibility = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": _visibility,
        "unacked_restore_interval": max(1, min(10, _visibility // 4)),
        "unacked_restore_throttle": 1 if _visibility < 600 else 10,
        # Redis down must not hang a web request that enqueues a task after its commit.
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR / "queue"),
        "data_folder_out": str(CELERY_QUEUE_DIR / "queue"),
        "processed_folder": str(CELERY_QUEUE_DIR / "processed"),
        # kombu's broadcast folder; unset it lands in ./control of whatever directory runs.
        "control_folder": str(CELERY_QUEUE_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Publishing gives up after ~1 s when the broker is down: callers log it and the periodic
# sweeps (outbox, queued imports) or an inline fallback (the stock check) take over.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Shared between web and worker (import progress): Redis when there is one, else files in var/.
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

REST_FRAMEWORK = {
    # Token first: an unauthenticated call answers 401 with `WWW-Authenticate: Token`
    # (with session auth first DRF can only answer 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "inventory.api.auth.TokenWithRoleAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "inventory.api.pagination.StableLimitOffsetPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Stockwise API",
    "VERSION": "1.0.0",
    "DESCRIPTION": "Inventory back office for TikTok Shop sellers. Objects are named by natural "
    "keys (warehouse code, seller SKU). Session or token auth (POST /api/v1/auth/token/).",
    # Swagger UI from our own static files (drf-spectacular-sidecar), no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set used by several fields: "kind" is both movement kinds and count
    # kinds; clearance lines have a suggested and a chosen strategy.
    "ENUM_NAME_OVERRIDES": {
        "CountKindEnum": "counting.models.CountKind",
        "ClearanceStrategyEnum": "clearance.models.Strategy",
        # Several apps have a `status` field with their own choices: name each one.
        "PurchaseOrderStatusEnum": "inventory.models.PurchaseOrderStatus",
        "CountSessionStatusEnum": "counting.models.SessionStatus",
        "ClearanceBatchStatusEnum": "clearance.models.BatchStatus",
        "StockStatusEnum": "alerts.models.StockStatus",
    },
}

# Bootstrap 5 (responsive), with the rows rendered in Python: inventory/templatetags.
DJANGO_TABLES2_TEMPLATE = "django_tables2/stockwise.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table table-sm table-hover align-middle"}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Domain parameters (../DOMAIN.md). Global defaults; SKUs override where the model has a field.
STOCKWISE = {
    "DEMAND_WINDOW_DAYS": env.int("DEMAND_WINDOW_DAYS", default=90),
    "DEFAULT_SERVICE_LEVEL": env.float("DEFAULT_SERVICE_LEVEL", default=0.95),
    "REVIEW_PERIOD_DAYS": env.int("REVIEW_PERIOD_DAYS", default=7),
    # "normal" = DOMAIN.md's SS formula (what the nightly recompute computes); "spike" = the
    # spike-aware method of alerts/spike.py, measured in docs/simulation.md, pure functions only
    # so far: the nightly SQL does not compute it yet (a system check says so).
    "SS_METHOD": env.str("SS_METHOD", default="normal"),
    "OVERSTOCK_DAYS": env.int("OVERSTOCK_DAYS", default=120),
    # On this day of the week (0 Monday … 6 Sunday; -1 never) the nightly job also rebuilds
    # every figure from the ledger and proves the incremental ones (`recompute --full`); a
    # difference opens an admin notice (it is repaired by the rebuild).
    "FULL_RECOMPUTE_WEEKDAY": env.int("FULL_RECOMPUTE_WEEKDAY", default=6),
    # On PostgreSQL the nightly job writes the demand facts, then runs ageing, ABC, the
    # turnover band, the 7-day peak and the ad advice, on a second connection while planning
    # and the alerts run on the first (inventory/night_runner.py).
    "NIGHT_SIDE_CONNECTION": env.bool("NIGHT_SIDE_CONNECTION", default=True),
    "SLOW_MOVER_AGE_DAYS": env.int("SLOW_MOVER_AGE_DAYS", default=30),
    "SLOW_MOVER_SALES_DAYS": env.int("SLOW_MOVER_SALES_DAYS", default=30),
    "SLOW_MOVER_MAX_SALES": env.int("SLOW_MOVER_MAX_SALES", default=0),
    "TURNOVER_MIN": env.float("TURNOVER_MIN", default=4),
    "TURNOVER_MAX": env.float("TURNOVER_MAX", default=12),
    # Trailing window of the dashboard's turnover and of the nightly out-of-band notices.
    "TURNOVER_TRAILING_DAYS": env.int("TURNOVER_TRAILING_DAYS", default=90),
    "CYCLE_DAYS": {"A": 7, "B": 30, "C": 90},
    "FULL_COUNT_DAYS": 90,
    # Counts (DOMAIN.md "Counts"): tolerance of a first count by class, in % of the expected
    # quantity with a floor in units; no class yet counts as C.
    "COUNT_TOLERANCE_PCT": {"A": 0, "B": 2, "C": 5},
    "COUNT_TOLERANCE_MIN_UNITS": {"A": 0, "B": 1, "C": 1},
    # A count is suggested when a day's sales exceed this many times d-bar (after a promotion).
    "COUNT_SPIKE_FACTOR": 3,
    # Daily cycle-count capacity = lines per counter per day x counters; counters default to the
    # warehouse's staff members (at least 1) unless set here.
    "COUNT_LINES_PER_COUNTER_PER_DAY": env.int("COUNT_LINES_PER_COUNTER_PER_DAY", default=60),
    "COUNT_COUNTERS_PER_WAREHOUSE": env.int("COUNT_COUNTERS_PER_WAREHOUSE", default=None),
    # The entry page's "X of Y lines counted" of a count with at least this many lines is read
    # at most every COUNT_PROGRESS_SECONDS (it is one pass over all the lines; a full count has
    # tens of thousands and 20 counters scan several lines a second each).
    "COUNT_PROGRESS_CACHE_LINES": env.int("COUNT_PROGRESS_CACHE_LINES", default=2000),
    "COUNT_PROGRESS_SECONDS": env.int("COUNT_PROGRESS_SECONDS", default=5),
    # List pages: the number of rows behind the page links of a list this long is counted at
    # most once a minute (inventory/table_pages.py CachedCountPaginator).
    "LIST_COUNT_CACHE_ROWS": env.int("LIST_COUNT_CACHE_ROWS", default=10_000),
    "LIST_COUNT_CACHE_SECONDS": env.int("LIST_COUNT_CACHE_SECONDS", default=60),
    # A movement may be dated at most this far in the future (clock skew between shops and us).
    "MAX_FUTURE_DAYS": 1,
    # Imports (TikTok order exports, receipts, catalog): upload limit, XLSX zip-bomb limits
    # (checked on the zip directory before any XML is parsed) and the posting chunk size.
    "IMPORT_MAX_UPLOAD_MB": env.int("IMPORT_MAX_UPLOAD_MB", default=50),
    "XLSX_MAX_UNCOMPRESSED_MB": env.int("XLSX_MAX_UNCOMPRESSED_MB", default=500),
    "XLSX_MAX_COMPRESSION_RATIO": env.int("XLSX_MAX_COMPRESSION_RATIO", default=100),
    # One posting per 100k lines: each balance and rollup day is written once per import, not
    # once per chunk (docs/performance.md "Writes").
    "IMPORT_CHUNK_SIZE": env.int("IMPORT_CHUNK_SIZE", default=100_000),
    # Outbox emails refused for now (4xx, timeouts) are retried after base x 2^(n-1) seconds,
    # half fixed and half random (jitter), up to an hour.
    "EMAIL_RETRY_BASE_SECONDS": env.float("EMAIL_RETRY_BASE_SECONDS", default=30),
    # Clearance: "at risk" when on hand lasts longer than this at the average daily demand.
    "AT_RISK_DAYS": env.int("AT_RISK_DAYS", default=90),
    # A scheduled clearance proposal is due when a warehouse's last batch is this many days old.
    "CLEARANCE_PROPOSAL_DAYS": env.int("CLEARANCE_PROPOSAL_DAYS", default=7),
    # Suggested strategy: write off beyond this age; else a promotion at the discount for the
    # age band (oldest unit age <= days: percent) if it still recovers the unit cost, else a
    # bundle with the category's best seller, else the deepest cost-recovering discount if it
    # is at least CLEARANCE_MIN_DISCOUNT, else a channel transfer.
    "CLEARANCE_WRITE_OFF_AGE_DAYS": env.int("CLEARANCE_WRITE_OFF_AGE_DAYS", default=365),
    "CLEARANCE_MIN_DISCOUNT": env.int("CLEARANCE_MIN_DISCOUNT", default=10),
    "CLEARANCE_DISCOUNTS": [(60, 20), (90, 30), (180, 40), (None, 50)],
    # Lines per proposed batch (most capital first); one page of decisions stays under
    # DATA_UPLOAD_MAX_NUMBER_FIELDS (4 fields a line).
    "CLEARANCE_MAX_LINES": env.int("CLEARANCE_MAX_LINES", default=200),
}

# The covering index INCLUDE columns exist on PostgreSQL only; SQLite (the demo default) simply
# gets the key columns.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
