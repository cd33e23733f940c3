"""Fixtures for the mail tests: a real local SMTP server and an app sending to it."""
import pytest

from tests.notifications.helpers import mail_settings, start_smtp_server


@pytest.fixture
def smtp_server():
    controller, mailbox = start_smtp_server()
    yield controller, mailbox
    controller.stop()


@pytest.fixture
def mailbox(smtp_server):
    return smtp_server[1]


@pytest.fixture
def app_overrides(smtp_server):
    return mail_settings(smtp_server[0].port)
