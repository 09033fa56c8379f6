"""Settings of the real Celery worker the fault tests start: production-like (SMTP from EMAIL_URL,
Redis from REDIS_URL), with the test run's media folder so it reads the files tests upload."""

from config.settings.base import *  # noqa: F401,F403
from config.settings.base import VAR_DIR

MEDIA_ROOT = VAR_DIR / "test-media"
