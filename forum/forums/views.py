"""Forum pages: the list of the ten forums and one forum with its proposals."""
import sqlalchemy as sa
from flask import Blueprint, render_template

from forum.extensions import db
from forum.forums.models import Forum

bp = Blueprint("forums", __name__)


@bp.route("/")
def index():
    """The ten forums."""
    forums = db.session.scalars(sa.select(Forum).order_by(Forum.number)).all()
    return render_template("forums/index.html", forums=forums)
