FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY integrations ./integrations
RUN pip install '.[postgres]' && useradd --create-home --uid 10001 statusbot \
    && mkdir -p /data && chown statusbot /data

USER statusbot
WORKDIR /data
# State lives in /data (mount a volume); config via STATUSBOT_CONFIG or --config.
VOLUME ["/data"]
ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
