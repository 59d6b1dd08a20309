# syntax=docker/dockerfile:1
# Targets:
#   (default)  uvicorn serving the gateway on port 8000, as a non-root user
#   lambda     AWS Lambda container image of the same app (handler in CMD)
ARG PYTHON_VERSION=3.12

# ---- dependencies and wheel for the uvicorn image --------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# The venv gets no pip of its own: the final image needs no installer.
RUN python -m venv --without-pip /opt/venv

# Dependencies first, read from pyproject.toml, so that editing the source
# reuses this layer. The image serves real S3: uvicorn, but not moto.
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
local = [r for r in p['optional-dependencies']['local'] if r.startswith('uvicorn')]; \
print('\n'.join(p['dependencies'] + local))" > requirements.txt \
 && pip --python /opt/venv/bin/python install --no-cache-dir -r requirements.txt

COPY README.md ./
COPY gateway ./gateway
RUN pip --python /opt/venv/bin/python install --no-cache-dir --no-deps .

# ---- dependencies and package for the Lambda image --------------------------------
FROM public.ecr.aws/lambda/python:${PYTHON_VERSION} AS lambda-build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies']))" > requirements.txt \
 && pip install --no-cache-dir --target /opt/task -r requirements.txt

COPY README.md ./
COPY gateway ./gateway
RUN pip install --no-cache-dir --no-deps --target /opt/task .

# ---- Lambda container image -------------------------------------------------------
FROM public.ecr.aws/lambda/python:${PYTHON_VERSION} AS lambda
COPY --from=lambda-build /opt/task ${LAMBDA_TASK_ROOT}
CMD ["gateway.lambda_handler.handler"]

# ---- uvicorn image (default target: last stage) -----------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS server
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN groupadd --system --gid 10001 gateway \
 && useradd --system --uid 10001 --gid gateway --no-create-home --shell /usr/sbin/nologin gateway
COPY --from=build /opt/venv /opt/venv
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status != 200)"]
# Behind a proxy, add --proxy-headers --forwarded-allow-ips=<proxy address>.
CMD ["uvicorn", "--factory", "gateway.main:create_app", "--host", "0.0.0.0", "--port", "8000"]
