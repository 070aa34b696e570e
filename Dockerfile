# 一核多元共治: the production image (gunicorn web, Celery worker and beat share it).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    APP_ENV=production

WORKDIR /app

# Pinned, hash-checked production dependencies first (requirements-prod.lock, from
# pyproject.toml by `make lock`), so code changes do not reinstall them. The code runs from
# /app (gunicorn, celery and manage.py start there).
COPY requirements-prod.lock ./
RUN pip install --require-hashes --no-deps -r requirements-prod.lock

COPY . .

# Static files are collected into the image (whitenoise serves them with hashed names; in the
# compose stack web copies them into the volume nginx serves). The key and host below exist only
# for this build step; the container gets its own.
RUN useradd --create-home --uid 10001 app \
 && SECRET_KEY=collectstatic-build-only-key-0123456789abcdefghijklmnopqrstuvwxyz \
    ALLOWED_HOSTS=build.invalid \
    python manage.py collectstatic --noinput \
 && mkdir -p /app/media /app/beat \
 && chown -R app:app /app/media /app/beat /app/staticfiles

USER app
EXPOSE 8000

# gunicorn.conf.py (timeout, access log, settings validated once in the master) is read from /app.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
