# mrrkit as a container: `docker build -t mrrkit .` then
# `docker run -p 8501:8501 -e MRRKIT_PASSWORD=... -v mrrkit-views:/data mrrkit` (see README, "Host it").
FROM python:3.11-slim

# STREAMLIT_* variables are Streamlit's own settings (--server.headless etc.). In the image:
# no browser to open, no usage statistics, no file watcher (the code never changes at run time),
# and no error details sent to the browser (a traceback can quote confidential data; the server
# log keeps it). MALLOC_ARENA_MAX=2: glibc's allocator keeps to 2 arenas, so memory the sessions
# freed goes back to the system (ui/memory.py). MRRKIT_VIEWS_DIR is where shared views go: the
# /data volume.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    STREAMLIT_CLIENT_SHOW_ERROR_DETAILS=none \
    MALLOC_ARENA_MAX=2 \
    MRRKIT_VIEWS_DIR=/data/views

WORKDIR /app

# Dependencies before the code: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# The app runs as an unprivileged user (numeric, so orchestrators can check it is not root); the
# code stays root-owned and read-only to it, and only /data, where shared views are saved, is
# writable. /data is a volume: mount a named volume there to keep shared links across container
# restarts (a bind mount must be writable by uid 10001).
RUN groupadd --gid 10001 mrrkit \
    && useradd --create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin mrrkit \
    && mkdir -p /data/views \
    && chown -R 10001:10001 /data \
    && chmod 700 /data /data/views
VOLUME ["/data"]

# What `streamlit run serve.py` needs: serve.py, app.py, pages/, mrrkit/, server/, ui/, data/
# (the sample) and .streamlit/config.toml. .dockerignore keeps out tests, the virtualenv, git
# history, local shared views and every secrets file: secrets come from the environment or a
# secrets.toml mounted at run time (/app/.streamlit/secrets.toml), never from the image.
COPY . .

USER 10001:10001
EXPOSE 8501

# Streamlit answers "ok" on /_stcore/health once the server is up (no curl in the slim image).
# The app's own password gate does not cover this path, which reveals nothing.
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status != 200)"]

# serve.py is app.py behind the upload guard (ui/upload_guard.py): Streamlit's upload endpoint then
# takes files only from browsers the access gate let in, and frees a closed session's files.
CMD ["streamlit", "run", "serve.py", "--server.address=0.0.0.0", "--server.port=8501"]
