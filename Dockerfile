FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config ./config
COPY inventory ./inventory
COPY counting ./counting
COPY alerts ./alerts
COPY clearance ./clearance
RUN pip install .
COPY . .
RUN DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=build-only ALLOWED_HOSTS=* \
    python manage.py collectstatic --noinput
# var/media exists in the image so the named volume mounted there belongs to stockwise.
RUN useradd --create-home stockwise && mkdir -p var/media && chown -R stockwise var
USER stockwise
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
