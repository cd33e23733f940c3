"""The one-line Flask hello-world that bench/load.py serves with the app's gunicorn
settings in the same run: every page's req/s is reported as a share of this one's."""
from flask import Flask

app = Flask(__name__); app.add_url_rule("/", view_func=lambda: "Hello, World!")  # noqa: E702
