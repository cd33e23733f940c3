import pytest


@pytest.fixture
def context(app):
    """A request context: the export writers translate their headers and headings."""
    with app.test_request_context():
        yield
