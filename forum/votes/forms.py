"""The support button's form: no fields to validate but the CSRF token and ``next``."""
from flask_wtf import FlaskForm
from wtforms import HiddenField


class SupportForm(FlaskForm):
    """Posted by the support and unsupport buttons (plain form or ``fetch``).

    The CSRF token is checked by ``CSRFProtect`` for every POST, from the
    ``csrf_token`` field or the ``X-CSRFToken`` header the script sends.
    """

    class Meta:
        csrf = False  # already checked globally; checking twice would only repeat it

    next = HiddenField()
