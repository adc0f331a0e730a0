# mrrkit as a container: `docker build -t mrrkit .` then
# `docker run -p 8501:8501 -e MRRKIT_PASSWORD=... -v mrrkit-views:/data mrrkit` (see README, "Host it").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    MRRKIT_VIEWS_DIR=/data/views

WORKDIR /app

# Dependencies before the code: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# The app runs as an unprivileged user; the code stays root-owned (read-only to it) and only
# /data, where shared views are saved, is writable. Mount a volume there to keep shared links
# across container restarts.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin mrrkit \
    && mkdir -p /data/views \
    && chown -R mrrkit:mrrkit /data \
    && chmod 700 /data

COPY . .

USER mrrkit
EXPOSE 8501

# Streamlit answers "ok" on /_stcore/health once the server is up (no curl in the slim image).
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://localhost:8501/_stcore/health', timeout=4).status != 200)"]

CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501"]
