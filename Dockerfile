FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmagic1 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config config
COPY certportal certportal
COPY partners partners
COPY certifications certifications
COPY reviews reviews
COPY support support
COPY portal portal
COPY program program
COPY api api
RUN pip install .
# .dockerignore keeps devtools/ and tests/ out: production has no demo or benchmark code.
COPY . .
RUN useradd --create-home --uid 1000 app && mkdir -p var && chown -R app var
USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
