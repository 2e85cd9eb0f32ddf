# detainer-cost service image.
#   docker build -t detainer-cost .
#   docker run --rm -p 8000:8000 detainer-cost      # then http://127.0.0.1:8000/docs
# The wheel is built as `make wheel` builds it (pip wheel --no-deps .), then installed
# with its dependencies into a slim runtime that runs gunicorn as a non-root user.
ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md openapi.yaml ./
COPY models ./models
COPY service ./service
RUN python -m pip install --no-cache-dir --upgrade pip \
 && python -m pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DETAINER_COST_BIND=0.0.0.0:8000
# Pango and fonts for PDF reports (WeasyPrint), the same packages `make serve` ensures.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /dist /dist
RUN python -m pip install --no-cache-dir /dist/*.whl \
 && rm -rf /dist \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app
USER 10001
WORKDIR /tmp
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/livez', timeout=4).status != 200)"]
CMD ["gunicorn", "-c", "python:service.gunicorn_conf"]
