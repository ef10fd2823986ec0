# forumlive: one image for the server, the scheduler and the one-shot migration.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY server ./server
COPY scheduler ./scheduler
COPY web ./web
# /replay: relay replays, a volume every server replica shares (created here so the
# volume starts out owned by the unprivileged user).
RUN pip install . \
 && useradd --system --uid 10001 --home-dir /data --create-home forumlive \
 && mkdir -p /replay \
 && chown -R forumlive /data /replay

USER forumlive
# The browser client stays in /app/web: `pip install .` installs the Python packages only,
# and the server's default (web/ beside the installed server package) would be empty.
ENV FORUMLIVE_DATA_DIR=/data \
    FORUMLIVE_WEB_DIR=/app/web \
    FORUMLIVE_REPLAY_DIR=/replay \
    FORUMLIVE_HOST=0.0.0.0 \
    FORUMLIVE_PORT=8080
VOLUME ["/data"]
EXPOSE 8080

HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status == 200 else 1)"

ENTRYPOINT ["forumlive"]
CMD ["serve"]
