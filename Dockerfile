# statusbot: `docker build -t statusbot .` then see docs/docker.md.
# The base image is pinned by digest (python:3.11.14-slim-bookworm); bump it on purpose.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/statusbot
WORKDIR /src
# Dependencies first, in their own layer: changing the code does not reinstall them.
COPY requirements.lock ./
RUN /opt/statusbot/bin/pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY integrations ./integrations
RUN /opt/statusbot/bin/pip install --no-deps .

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/statusbot/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    STATUSBOT_HEALTH=0.0.0.0:8080
RUN useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin statusbot \
    && mkdir -p /data && chown statusbot:statusbot /data
COPY --from=build /opt/statusbot /opt/statusbot
USER 10001:10001
# State (the SQLite store, by default ./statusbot.db) lives in /data: mount a volume there.
WORKDIR /data
VOLUME ["/data"]
# /healthz, /readyz and /metrics; STATUSBOT_HEALTH above makes `run` serve them on every
# address of the container and `healthcheck` ask them.
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["statusbot", "healthcheck", "--timeout", "5"]
ENTRYPOINT ["statusbot"]
CMD ["run"]
