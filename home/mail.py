"""Mail leaves through the background worker, never from the request that causes it.

Review notifications, password resets and the rest were sent over SMTP inside the request,
and review actions hold the activity's row lock in a transaction while they run
(activities.page_admin). With no timeout, a mail server that accepted the connection and
then said nothing held the request until gunicorn killed it after 30 s: the submission or
approval was rolled back and the user got a 502, for as long as the mail server stayed
slow. A mail for an action that was then rolled back had already gone out.

`QueuedEmailBackend` is Django's EMAIL_BACKEND. It hands each message, as plain data, to
the `deliver_mail` task on the "background" task backend. In production that queue is a
table written in the request's own transaction: the mail exists if and only if the action
committed, and `manage.py db_worker` (kepuri-worker.service) sends it with the real
transport (EMAIL_TRANSPORT, SMTP) and a timeout, retrying a failed delivery with growing
pauses, ahead of long work in the same queue. Where the background backend runs at once
(development, tests), the message is sent at once after the same round trip, and a
transport error reaches the caller as before."""

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)

# A failed delivery is tried again after 1, 2, 4, ... 60 minutes: 9 attempts over about
# 3 hours (1+2+4+8+16+32+60+60 minutes).
MAX_ATTEMPTS = 9
# Ahead of long work in the one queue (activities.indexing.REINDEX_PRIORITY): a reindexing
# of a province's activities must not hold a password-reset mail for minutes.
MAIL_PRIORITY = 50
MAX_PAUSE = datetime.timedelta(hours=1)


def as_data(message):
    """What the worker needs to send `message` again, as JSON."""
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": message.from_email or settings.DEFAULT_FROM_EMAIL,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": {str(k): str(v) for k, v in (message.extra_headers or {}).items()},
        "alternatives": [
            [str(content), mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ],
        # "html" for a message whose body itself is HTML (EmailMessage.content_subtype).
        "subtype": message.content_subtype,
    }


def from_data(data, connection):
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=data["headers"],
        connection=connection,
    )
    message.content_subtype = data.get("subtype", "plain")
    for content, mimetype in data["alternatives"]:
        message.attach_alternative(content, mimetype)
    return message


def transport(fail_silently=False):
    return get_connection(settings.EMAIL_TRANSPORT, fail_silently=fail_silently)


def pause_before(attempt):
    return min(datetime.timedelta(minutes=2 ** (attempt - 1)), MAX_PAUSE)


def forget_body(context, data):
    """Keeps only the subject and the recipients of a message the worker is done with. The
    queue is a table, in every backup: a password-reset mail's link would otherwise stay
    there, usable for days, long after it was delivered."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(deliver_mail.get_backend(), DatabaseBackend):
        return
    kept = {"subject": data["subject"], "to": data["to"], "body": "", "alternatives": []}
    DBTaskResult.objects.filter(pk=context.task_result.id).update(
        args_kwargs={"args": [{**data, **kept}], "kwargs": {}}
    )


@task(backend="background", takes_context=True, priority=MAIL_PRIORITY)
def deliver_mail(context, data, attempt=1):
    """Sends one message with the real transport. On failure, queues itself again after
    a pause; returns whether it was sent."""
    try:
        from_data(data, transport()).send()
        return True
    except Exception:
        if attempt >= MAX_ATTEMPTS:
            logger.exception(
                "mail %r to %s not delivered after %d attempt(s)",
                data["subject"],
                data["to"],
                attempt,
            )
            raise
        pause = pause_before(attempt)
        logger.warning(
            "mail %r to %s not delivered (attempt %d), trying again in %s",
            data["subject"],
            data["to"],
            attempt,
            pause,
            exc_info=True,
        )
        deliver_mail.using(run_after=timezone.now() + pause).enqueue(data, attempt + 1)
        return False
    finally:
        forget_body(context, data)


def is_queued():
    """Whether mail waits for the worker. Where the background backend runs tasks at once
    (development, tests, BACKGROUND_TASKS=immediate) there is no queue to retry from, and
    django-tasks would swallow a transport error: the mail was lost while the caller
    heard "sent"."""
    from django_tasks.backends.immediate import ImmediateBackend

    return not isinstance(deliver_mail.get_backend(), ImmediateBackend)


class QueuedEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        queued = 0
        immediate = not is_queued()
        for message in email_messages:
            if not message.recipients():
                continue
            if message.attachments or immediate:
                # Sent now, through the same round trip as a queued one, so a transport
                # error reaches the caller as with Django's own backends. (Nothing sends
                # attachments today; a file does not belong in the queue's JSON.)
                sent = message if message.attachments else from_data(as_data(message), None)
                queued += transport(self.fail_silently).send_messages([sent])
                continue
            try:
                deliver_mail.enqueue(as_data(message))
            except Exception:
                if not self.fail_silently:
                    raise
                logger.exception("mail %r could not be queued", message.subject)
                continue
            queued += 1
        return queued
