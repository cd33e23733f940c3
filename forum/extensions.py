"""Flask extensions, created unbound and initialised in ``create_app``."""
import sqlalchemy as sa
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Stable constraint names so that Alembic can alter them later (also on SQLite).
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
from flask_wtf.csrf import CSRFProtect  # noqa: E402

csrf = CSRFProtect()

login_manager.login_view = "auth.login"
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


def _mark_for_translation(message: str) -> str:
    """Marks a message for extraction; Flask-Login translates it when flashing."""
    return message


login_manager.login_message = _mark_for_translation("Vui lòng đăng nhập để tiếp tục.")


def _translate(message: str) -> str:
    from flask_babel import gettext

    return gettext(message)


login_manager.localize_callback = _translate
