"""Forms of the results pages."""
from flask_wtf import FlaskForm


class ResultActionForm(FlaskForm):
    """Freeze, verify, publish: a button, with the CSRF token."""
