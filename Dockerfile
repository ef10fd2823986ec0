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
RUN pip install . \
 && useradd --system --uid 10001 --home-dir /data --create-home forumlive \
 && chown -R forumlive /data

USER forumlive
ENV FORUMLIVE_DATA_DIR=/data \
    FORUMLIVE_HOST=0.0.0.0 \
    FORUMLIVE_PORT=8080
VOLUME ["/data"]
EXPOSE 8080

HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status == 200 else 1)"

ENTRYPOINT ["forumlive"]
CMD ["serve"]
