# Dazi: a slim image that runs the bot (long polling, or webhooks; SQLite, or PostgreSQL).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_PATH=/data/dazi.sqlite3

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir ".[postgres]" \
    && useradd --create-home --uid 10001 dazi \
    && mkdir -p /data && chown dazi:dazi /data

USER dazi
VOLUME ["/data"]
CMD ["python", "-m", "bot"]
