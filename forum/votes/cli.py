"""``flask votes ...``: support counter maintenance."""
from flask.cli import AppGroup

votes_cli = AppGroup("votes", help="Ủng hộ: kiểm tra bộ đếm (verify).")
