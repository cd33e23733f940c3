"""gunicorn settings of this checkout: gunicorn reads ./gunicorn.conf.py by itself."""
from config import ProductionConfig, config_from_environment
from forum.core.rate_limits import memory_storage_warning


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
