"""``flask forum ...``: forum administration and demo data."""
from flask.cli import AppGroup

forum_cli = AppGroup("forum", help="Diễn đàn: dữ liệu mẫu (seed-demo).")
