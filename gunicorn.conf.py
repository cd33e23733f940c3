"""gunicorn settings of this checkout: gunicorn reads ./gunicorn.conf.py by itself.
Command-line options (``--workers``, ``--bind``, ``--timeout``) still win over these."""
from gunicorn.glogging import CONFIG_DEFAULTS

from config import ProductionConfig, config_from_environment
from forum.core.rate_limits import memory_storage_warning
from forum.search.whoosh.backend import DEFAULT_WRITER_TIMEOUT_SECONDS

_config = config_from_environment()

# The longest a request can wait on something outside the app: the SQLite write lock,
# a PostgreSQL server to connect, the Whoosh writer lock in the search update after a
# response (Redis calls time out in a fraction of a second). A worker is killed only
# when it is stuck beyond all of them.
LONGEST_WAIT_SECONDS = max(
    _config.DATABASE_BUSY_WAIT_SECONDS,
    _config.DATABASE_CONNECT_TIMEOUT_SECONDS,
    DEFAULT_WRITER_TIMEOUT_SECONDS,
)
timeout = max(30, int(3 * LONGEST_WAIT_SECONDS))
graceful_timeout = timeout

# The app's own lines (forum.*: outages and recoveries, failures) go to the error log
# with the time, the worker's pid and the logger's name, like gunicorn's own.
logconfig_dict = {
    "root": {"level": "WARNING", "handlers": ["error_console"]},
    "loggers": {
        **CONFIG_DEFAULTS["loggers"],
        "forum": {"level": "INFO", "handlers": ["app_console"], "propagate": False},
    },
    "handlers": {
        **CONFIG_DEFAULTS["handlers"],
        "app_console": {"class": "logging.StreamHandler", "formatter": "app", "stream": "ext://sys.stderr"},
    },
    "formatters": {
        **CONFIG_DEFAULTS["formatters"],
        "app": {
            "format": "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s",
            "datefmt": "[%Y-%m-%d %H:%M:%S %z]",
        },
    },
}


def on_starting(server):
    """Warn once, in the master, when several workers would each count rate limits alone."""
    config = config_from_environment()
    message = memory_storage_warning(
        production=issubclass(config, ProductionConfig),
        storage_uri=config.RATELIMIT_STORAGE_URI,
        workers=server.cfg.workers,
    )
    if message:
        server.log.warning(message)
