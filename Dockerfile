# LMM Explorer: the Shiny dashboard over lmmcore, served on port 8000.
#   docker build -t lmm-explorer .
#   docker run --rm -p 127.0.0.1:8000:8000 lmm-explorer      # then open http://127.0.0.1:8000
FROM python:3.12-slim

# One BLAS thread: the app's fits are small and concurrent, and threaded OpenBLAS competing with other
# processes made fits several times slower on a busy machine. Override with `docker run -e`.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OPENBLAS_NUM_THREADS=1 \
    OMP_NUM_THREADS=1

WORKDIR /srv/lmm-explorer

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt ./
RUN pip install -r requirements.txt

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin lmm
COPY lmmcore ./lmmcore
COPY app ./app
ENV PYTHONPATH=/srv/lmm-explorer
USER lmm

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/', timeout=4)"]
CMD ["python", "-m", "shiny", "run", "--host", "0.0.0.0", "--port", "8000", "app/app.py"]
