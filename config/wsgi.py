import os

from django.core.wsgi import get_wsgi_application

from config.stack_chunk import in_large_chunk

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = in_large_chunk(get_wsgi_application())
