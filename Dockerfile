# detainer-cost service image.
#   docker build -t detainer-cost .
#   docker run --rm -p 8000:8000 detainer-cost      # then http://127.0.0.1:8000/docs
# The wheel is built as `make wheel` builds it (pip wheel --no-deps .), then installed
# with its dependencies into a slim runtime that runs gunicorn as a non-root user.
# Every Python package comes at the version requirements.lock pins (the versions the
# tests ran against; `make lock` regenerates it): the build backend through
# PIP_CONSTRAINT, the service's dependencies with -c. .dockerignore keeps the venv,
# caches and tests out of the build context. `make lint` runs hadolint on this file.
ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY requirements.lock pyproject.toml README.md openapi.yaml ./
COPY models ./models
COPY service ./service
ENV PIP_CONSTRAINT=/src/requirements.lock
RUN python -m pip install --no-cache-dir -c requirements.lock pip \
 && python -m pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DETAINER_COST_BIND=0.0.0.0:8000
# Pango and fonts for PDF reports (WeasyPrint), the same packages `make serve` ensures.
# Not pinned (DL3008): Debian replaces a package version with its security update, so
# a pin would break the build; the base image tag fixes the Debian release.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /dist /dist
COPY requirements.lock /tmp/requirements.lock
# With the extras a deployment of several replicas uses (compose.yaml): `postgres` (the
# job store on PostgreSQL, DETAINER_COST_DATABASE_URL) and `scale` (Dask distributed:
# the same image runs the scheduler and the workers).
RUN wheel=$(find /dist -name '*.whl') \
 && python -m pip install --no-cache-dir -c /tmp/requirements.lock "${wheel}[postgres,scale]" \
 && rm -rf /dist /tmp/requirements.lock \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app
USER 10001
WORKDIR /tmp
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/livez', timeout=4).status != 200)"]
CMD ["gunicorn", "-c", "python:service.gunicorn_conf"]
