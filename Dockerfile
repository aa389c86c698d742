# LMM Explorer: the Shiny dashboard over lmmcore, served on port 8000. One app process per container (Shiny
# keeps each session in that process's memory); scale out with more containers behind a sticky proxy
# (README, deploy/nginx.conf).
#   docker build -t lmm-explorer .
#   docker run --rm -p 127.0.0.1:8000:8000 -v lmm-shared:/data/shared lmm-explorer   # http://127.0.0.1:8000
FROM python:3.12-slim

# One BLAS thread: the app's fits are small and concurrent, and threaded OpenBLAS competing with other
# processes made fits several times slower on a busy machine. Override with `docker run -e`.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OPENBLAS_NUM_THREADS=1 \
    OMP_NUM_THREADS=1 \
    MKL_NUM_THREADS=1 \
    LMM_SHARE_DIR=/data/shared

WORKDIR /srv/lmm-explorer

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt ./
RUN pip install -r requirements.txt

# lmmcore itself (with Dask's client, for the optional cluster of compose.yaml), then the app.
COPY pyproject.toml ./
COPY lmmcore ./lmmcore
RUN pip install ".[dask]" && rm -rf build ./*.egg-info
COPY app ./app

# An unprivileged user owning only the share store (a volume: links survive a new container).
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin lmm \
    && mkdir -p /data/shared && chown lmm:lmm /data/shared
VOLUME ["/data/shared"]
USER lmm

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# 0.0.0.0 only here: inside the container the app must accept connections arriving through Docker's
# network interface; what reaches it from outside is decided by `docker run -p` (bind that to 127.0.0.1, or
# to a proxy). Run outside Docker, the app binds 127.0.0.1 (README). No dev mode (its error console is for
# developers); WebSocket messages up to 1 MiB (inputs are small; Shiny's default is 16 MiB).
CMD ["python", "-m", "shiny", "run", "--host", "0.0.0.0", "--port", "8000", "--no-dev-mode", \
     "--ws-max-size", "1048576", "app/app.py"]
