import os

from django.core.wsgi import get_wsgi_application

from config.celery_app import SETTINGS_FROM_ENVIRONMENT
from config.stack_chunk import in_large_chunk

# Production unless the environment says otherwise (importing `config` above already set the
# Celery worker's default, the local settings, which a web server must not pick up).
if not SETTINGS_FROM_ENVIRONMENT:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
application = in_large_chunk(get_wsgi_application())
