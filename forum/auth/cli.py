"""``flask users ...``: provisioning accounts."""
from flask.cli import AppGroup

users_cli = AppGroup("users", help="Quản lý tài khoản (create, set-role).")
