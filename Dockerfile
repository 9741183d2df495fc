# OpsMerge production image: Django on gunicorn; the same image runs the Celery
# worker and beat (see docker-compose.yml). Build: docker build -t opsmerge .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# psycopg[binary] and Pillow ship their own libraries; nothing to apt-get.
RUN useradd --system --create-home --uid 10001 --home-dir /home/opsmerge opsmerge
WORKDIR /app

COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .
# Static files are collected at build time and served by WhiteNoise (hashed names,
# compressed). The key here only lets settings load; it is never used at runtime.
RUN DEBUG=false SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic --no-input -v 0 \
    && mkdir -p /app/var/media \
    && chown -R opsmerge:opsmerge /app/var

USER opsmerge
EXPOSE 8000
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER).
CMD ["gunicorn", "opsmerge.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "2", \
     "--timeout", "60", "--access-logfile", "-", "--forwarded-allow-ips", "*"]
