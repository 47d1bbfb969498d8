"""R24's mails leave through the background worker (home/mail.py): a review action never
waits for the mail server, a mail exists only if its action committed, and a failed
delivery is tried again later."""

import datetime
import json
import logging
import re
import socket
import threading
import time

import pytest
from django.core import mail
from django.core.mail import send_mail
from django.db import transaction
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from home.mail import MAX_ATTEMPTS, deliver_mail
from tests import factories
from tests.tasks import PRODUCTION_TASKS, run_worker

from .conftest import action_url, current_task_state, submit

pytestmark = pytest.mark.django_db

DELIVER = "home.mail.deliver_mail"


def queued_mails():
    return DBTaskResult.objects.filter(task_path=DELIVER)


class SilentMailServer:
    """Accepts connections and never says a word, as a stuck mail server does; counts
    the connections it was asked for."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self):
        for connection in self.connections:
            connection.close()
        self.sock.close()


@pytest.fixture
def silent_server():
    server = SilentMailServer()
    yield server
    server.close()


def test_r24_an_approval_does_not_wait_for_a_stuck_mail_server(client, people, silent_server):
    page = factories.activity(owner=people["submitter"])
    submit(page, people["submitter"])
    state = current_task_state(page)
    mail.outbox.clear()
    smtp = {
        "EMAIL_TRANSPORT": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": silent_server.port,
        "EMAIL_TIMEOUT": 1,
    }
    with override_settings(TASKS=PRODUCTION_TASKS, **smtp):
        client.force_login(people["guangdong"])
        began = time.monotonic()
        response = client.post(action_url(page, "approve", state), {"comment": ""})
        took = time.monotonic() - began
        assert response.status_code == 302
        # Nothing reached the mail server during the request: the national moderator's
        # mail waits in the queue, committed with the approval.
        assert silent_server.connections == []
        assert took < 5
        assert current_task_state(page).task.specific.__class__.__name__ == "NationalApprovalTask"
        (queued,) = queued_mails()
        assert queued.args_kwargs["args"][0]["to"] == [people["national"].email]

        # The worker meets the stuck server, gives up after EMAIL_TIMEOUT and queues the
        # mail again for later instead of losing it.
        run_worker()
        assert len(silent_server.connections) == 1
        assert mail.outbox == []
        # (By status: both rows may carry the transaction's one timestamp on PostgreSQL.)
        assert sorted(queued_mails().values_list("status", flat=True)) == ["READY", "SUCCESSFUL"]
        first = queued_mails().get(status="SUCCESSFUL")
        again = queued_mails().get(status="READY")
        assert first.return_value is False
        assert again.args_kwargs["args"][1] == 2
        assert again.run_after > first.finished_at + datetime.timedelta(seconds=50)


def test_r24_the_worker_delivers_what_the_request_queued(client, people):
    page = factories.activity(owner=people["submitter"], title="排队发信的活动")
    submit(page, people["submitter"])
    mail.outbox.clear()
    with override_settings(TASKS=PRODUCTION_TASKS):
        client.force_login(people["guangdong"])
        state = current_task_state(page)
        client.post(action_url(page, "approve", state), {"comment": ""})
        assert mail.outbox == []
        assert queued_mails().filter(status="READY").count() == 1
        run_worker()
    (message,) = mail.outbox
    assert message.to == [people["national"].email]
    assert "排队发信的活动" in message.subject + message.body
    assert queued_mails().get().status == "SUCCESSFUL"


def test_r24_a_rolled_back_action_leaves_no_mail():
    with override_settings(TASKS=PRODUCTION_TASKS):
        with pytest.raises(RuntimeError), transaction.atomic():
            send_mail("主题", "正文", None, ["someone@example.cn"])
            assert queued_mails().count() == 1
            raise RuntimeError
        assert queued_mails().count() == 0
        run_worker()
    assert mail.outbox == []


def test_r24_a_queued_mail_keeps_every_part():
    message = mail.EmailMultiAlternatives(
        "主题 subject",
        "纯文本",
        "平台 <noreply@example.cn>",
        ["a@example.cn"],
        bcc=["b@example.cn"],
        cc=["c@example.cn"],
        reply_to=["d@example.cn"],
        headers={"X-Kepuri": "1"},
    )
    message.attach_alternative("<p>网页</p>", "text/html")
    with override_settings(TASKS=PRODUCTION_TASKS):
        assert message.send() == 1
        run_worker()
    (sent,) = mail.outbox
    assert (sent.subject, sent.body, sent.from_email) == message_parts(message)
    assert (sent.to, sent.cc, sent.bcc, sent.reply_to) == (
        ["a@example.cn"],
        ["c@example.cn"],
        ["b@example.cn"],
        ["d@example.cn"],
    )
    assert sent.extra_headers == {"X-Kepuri": "1"}
    assert [tuple(part) for part in sent.alternatives] == [("<p>网页</p>", "text/html")]


def test_r24_a_queued_html_body_stays_html():
    message = mail.EmailMessage("主题", "<p>网页正文</p>", None, ["a@example.cn"])
    message.content_subtype = "html"
    with override_settings(TASKS=PRODUCTION_TASKS):
        message.send()
        run_worker()
    (sent,) = mail.outbox
    assert sent.content_subtype == "html"
    assert "text/html" in sent.message().get_content_type()


def message_parts(message):
    return (message.subject, message.body, message.from_email)


def test_r24_the_last_failed_attempt_is_logged_as_an_error(caplog, silent_server):
    data = {
        "subject": "主题",
        "body": "正文",
        "from_email": "noreply@example.cn",
        "to": ["a@example.cn"],
        "cc": [],
        "bcc": [],
        "reply_to": [],
        "headers": {},
        "alternatives": [],
    }
    smtp = {
        "EMAIL_TRANSPORT": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": silent_server.port,
        "EMAIL_TIMEOUT": 1,
    }
    with (
        override_settings(TASKS=PRODUCTION_TASKS, **smtp),
        caplog.at_level(logging.WARNING, logger="home.mail"),
    ):
        deliver_mail.using(backend="background").enqueue(data, MAX_ATTEMPTS)
        run_worker()
    (result,) = queued_mails()
    assert result.status == "FAILED"
    assert [r.levelname for r in caplog.records if r.name == "home.mail"] == ["ERROR"]
    assert mail.outbox == []


def test_a_delivered_password_reset_link_is_not_kept_in_the_queue(client):
    """The queue is a table, in every backup: once the worker has sent a mail, only its
    subject and recipients stay there, not a reset link usable for days."""
    factories.submitter(email="reset@example.cn")
    with override_settings(TASKS=PRODUCTION_TASKS):
        response = client.post("/admin/password_reset/", {"email": "reset@example.cn"})
        assert response.status_code == 302
        assert mail.outbox == []
        (queued,) = queued_mails()
        assert "/admin/password_reset/confirm/" in queued.args_kwargs["args"][0]["body"]
        run_worker()
    (message,) = mail.outbox
    link = re.search(r"(/admin/password_reset/confirm/\S+/)", message.body).group(1)
    assert client.get(link).status_code == 302  # the link works
    stored = queued_mails().get()
    assert stored.status == "SUCCESSFUL"
    assert stored.args_kwargs["args"][0]["to"] == ["reset@example.cn"]
    assert stored.args_kwargs["args"][0]["subject"] == message.subject
    assert "password_reset/confirm" not in json.dumps(stored.args_kwargs)


def test_r24_where_nothing_queues_a_failed_send_reaches_the_caller(silent_server):
    """Development, tests and BACKGROUND_TASKS=immediate: no queue to retry from, and
    django-tasks' immediate backend would swallow the error: the mail was lost while the
    caller heard "sent"."""
    smtp = {
        "EMAIL_TRANSPORT": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": silent_server.port,
        "EMAIL_TIMEOUT": 1,
    }
    with override_settings(**smtp):
        with pytest.raises(OSError):
            send_mail("主题", "正文", None, ["someone@example.cn"])
        assert send_mail("主题", "正文", None, ["someone@example.cn"], fail_silently=True) == 0
