# mlci in a container, for CI systems other than GitHub Actions and for laptops without Python:
#   docker build -t mlci .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/work" mlci run --config mlci.yml
# It installs exactly what the GitHub Action installs: scripts/install-mlci with the pinned,
# hash-checked requirements/*.lock. The base image is pinned by digest (python:3.12.12-slim,
# multi-arch index); to update it, take the new digest of the tag and rerun the tests.

FROM python:3.12.12-slim@sha256:f3fa41d74a768c2fce8016b98c191ae8c1bacd8f1152870a3f9f87d350920b7c AS build
WORKDIR /src
COPY requirements/ requirements/
COPY scripts/install-mlci scripts/
COPY pyproject.toml README.md ./
COPY mlci/ mlci/
# The image runs with PYTHONDONTWRITEBYTECODE=1 as a non-root user who cannot write to /opt/mlci:
# without bytecode compiled here, every `mlci run` would compile mlci, numpy, pyarrow and the
# rest again (about 0.3 s a run)
ENV UV_COMPILE_BYTECODE=1
RUN bash scripts/install-mlci /usr/local/bin/python3 /opt/mlci /tmp/mlci-cache \
    && rm -rf /tmp/mlci-cache \
    && /opt/mlci/bin/mlci --version

FROM python:3.12.12-slim@sha256:f3fa41d74a768c2fce8016b98c191ae8c1bacd8f1152870a3f9f87d350920b7c
# git: mlci reads history (merge bases) and stores records on a git branch. Debian's package is
# not pinned to a version: the base image digest fixes the release, and security updates apply.
# safe.directory: the mounted repository belongs to another user than the container's.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && git config --system --add safe.directory '*' \
    && useradd --create-home --uid 10001 --user-group mlci
COPY --from=build /opt/mlci /opt/mlci
ENV PATH=/opt/mlci/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["mlci"]
CMD ["--help"]
