"""Gunicorn settings for the Glimmers container.

Run as `gunicorn -c infra/gunicorn.conf.py "skill:create_app()"` (the image's command).

Tuned for Alexa, which gives a skill 8 seconds to answer. A request is about 1-2 ms of CPU
(scripts/bench_webhook.py), so concurrency comes from processes, not threads: threads of one
worker only take turns on the GIL, and on 2 cores 4 threads per worker doubled the p99 latency
at 8 connections against 1 thread, for no more throughput (README, "Performance"). The rare
waits on Amazon (a certificate chain per worker and day, a Settings API call per person and
day; each with its own timeout in skill/config.py) hold one of the 2 x cores + 1 workers for at
most a few seconds. Raise GUNICORN_THREADS when the database is far away and requests mostly
wait on it. Every worker builds its own app, engine and pool (`preload_app = False`); nothing
lives in a process between requests, so workers can be recycled, and hosts added, at any time.

Overridable from the environment (none is required):
  PORT               port to listen on (default 8000)
  WEB_CONCURRENCY    worker processes (default 2 x cores + 1, at most MAX_DEFAULT_WORKERS)
  GUNICORN_THREADS   threads per worker (default 1)
  FORWARDED_ALLOW_IPS  proxies trusted for X-Forwarded-* (default: loopback only)
  LOG_LEVEL          gunicorn's and the app's log level (default info)
"""

from __future__ import annotations

import os

# Each worker holds up to 10 database connections (pool 5 + overflow 5, skill/store/db.py), so
# 8 workers stay well under PostgreSQL's default max_connections of 100.
MAX_DEFAULT_WORKERS = 8


def _int_env(name: str, default: int) -> int:
    """An integer from the environment; unset or empty means the default."""
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _cores() -> int:
    """CPUs this process may run on (respects a container's cpuset, unlike os.cpu_count())."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_workers(cores: int) -> int:
    """Gunicorn's rule of thumb, 2 x cores + 1, capped so the database pool stays bounded."""
    return max(1, min(2 * cores + 1, MAX_DEFAULT_WORKERS))


bind = [f"0.0.0.0:{_int_env('PORT', 8000)}"]
workers = _int_env("WEB_CONCURRENCY", default_workers(_cores()))
worker_class = "gthread"
threads = _int_env("GUNICORN_THREADS", 1)

# No state in a process: each worker imports and builds the app itself after the fork, so no
# engine, pool or socket is shared across processes.
preload_app = False

# Alexa gives up after 8 s. `timeout` is how long a worker may be silent before the arbiter
# kills it (a hung worker, not a slow request); `graceful_timeout` lets in-flight requests
# finish on SIGTERM (compose's stop_grace_period is longer than this).
timeout = 30
graceful_timeout = 20
# Longer than the proxy's idle timeout for upstream connections (Caddyfile: keepalive 60s), so
# the proxy, not gunicorn, closes idle connections and never reuses one gunicorn just closed.
keepalive = 75

# Recycle workers now and then so slow leaks cannot grow; jitter keeps them from restarting
# together.
max_requests = 1000
max_requests_jitter = 100

# The heartbeat file lives in memory: a container's root file system may be read-only or slow.
# (gunicorn creates it with mkstemp, so a shared directory is safe.)
SHM = "/dev/shm"  # noqa: S108
worker_tmp_dir = SHM if os.path.isdir(SHM) else None

# X-Forwarded-Proto is honoured only from these addresses. compose.yaml sets "*" because the
# skill is reachable only from the proxy on a private network; keep the default elsewhere.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Access log: time, method, path, status, size, duration. No query string, no headers (Alexa's
# signature headers, user agents), no client address, no body: nothing about a person.
accesslog = "-"
access_log_format = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# One logging setup for gunicorn and the app: without it, Python drops the app's INFO records
# (skill.*) under gunicorn. Errors and app records go to stderr with a timestamp, access lines to
# stdout as they are (they carry their own). The app never logs user ids or journal text at INFO.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": loglevel.upper(), "handlers": ["error_console"]},
    "loggers": {
        "gunicorn.error": {
            "level": loglevel.upper(),
            "handlers": ["error_console"],
            "propagate": False,
        },
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "access",
            "stream": "ext://sys.stdout",
        },
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "generic",
            "stream": "ext://sys.stderr",
        },
    },
    "formatters": {
        "generic": {
            "format": "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s",
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        },
        "access": {"format": "%(message)s"},
    },
}

proc_name = "glimmers"

# No runtime control socket (gunicorn 25.1+ would create one under $HOME, which is read-only
# in the container); restart the container instead.
control_socket_disable = True
