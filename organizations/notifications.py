"""Who hears of an onboarding request (组织入驻, R4, R24), and of its outcome.

A request reached nobody: those who certify requests (REVIEW_PERMISSION, which the
superusers and 平台管理员 hold; province moderators do not) found one only by opening the
list, and the unit waited days for an answer. Now:

- the reviewers are mailed when a request arrives, batched as the mail about unattended
  provinces is (workflow.notifications): the first request after a quiet spell at once,
  then nothing for REQUEST_MAIL_INTERVAL, at whose end one mail gathers what arrived
  meanwhile (a deferred task, where the background backend defers: production's queue).
  200 registrations in a September week are a few mails a day, not 200 for each reviewer.
  Their "submitted" notification switch applies, as to the other "awaits your review"
  mails; the mail is in each reviewer's language, else the site's (InSiteLanguage);
- their dashboard counts what waits, with a link to the list (dashboard.py);
- the requester hears of the decision, a rejection with its reason, at the account's email
  (notify_requesters; never at the request's unverified contact email).

Every mail leaves through the site's queue (home/mail.py)."""

import dataclasses
import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task
from wagtail.admin.mail import EmailNotificationMixin, Notifier
from wagtail.users.models import UserProfile

from home.mail import MAIL_PRIORITY
from workflow.notifications import InSiteLanguage

from .decisions import REVIEW_PERMISSION
from .models import Organization

# At most one mail to each reviewer in this many seconds; a first request after a quiet
# spell is mailed at once.
REQUEST_MAIL_INTERVAL = 4 * 60 * 60
# The requests a mail names; it counts the others.
SHOWN = 10
WINDOW_KEY = "organizations:request-mail"


def may_review(user):
    """Whether `user` certifies and rejects requests (the review page's own check)."""
    return user.is_authenticated and user.is_active and user.has_perm(REVIEW_PERMISSION)


def reviewers():
    """The active users who may_review(): superusers and holders of the permission through
    a group (平台管理员) or their own."""
    app_label, codename = REVIEW_PERMISSION.split(".")
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__in=permission)
            | Q(user_permissions__in=permission)
        )
        .distinct()
    )


@dataclasses.dataclass
class RequestBatch:
    """Requests that arrived since the reviewers' last mail: the newest SHOWN of them, how
    many in all, and who filed them when one person filed the lot (not mailed of it)."""

    new: list
    count: int
    requester: object = None


class RequestReceivedNotifier(InSiteLanguage, EmailNotificationMixin, Notifier):
    notification = "submitted"

    def __init__(self):
        super().__init__((RequestBatch,))

    def get_recipient_users(self, batch, **kwargs):
        users = reviewers()
        if batch.requester is not None:
            users = users.exclude(pk=batch.requester.pk)
        return users

    def get_template_set(self, batch, **kwargs):
        base = "organizations/email/request_received"
        return {"subject": f"{base}_subject.txt", "text": f"{base}.txt", "html": f"{base}.html"}

    def get_context(self, batch, **kwargs):
        context = super().get_context(batch, **kwargs)
        context.update(
            new=batch.new,
            count=batch.count,
            more=max(batch.count - len(batch.new), 0),
            waiting=max(Organization.objects.pending().count(), batch.count),
            interval_hours=REQUEST_MAIL_INTERVAL // 3600,
        )
        return context


request_received_notifier = RequestReceivedNotifier()


def request_received(organization, user):
    """Tell the reviewers of a request just filed by `user`: at once if no mail went to
    them in the last REQUEST_MAIL_INTERVAL, else in the mail that ends that interval."""
    opened = timezone.now().timestamp()
    # add() is None, not False, when the cache is down: mail rather than stay silent.
    if cache.add(WINDOW_KEY, opened, REQUEST_MAIL_INTERVAL) is not False:
        request_received_notifier(RequestBatch([organization], 1, requester=user))
        return
    schedule_digest()


def schedule_digest():
    """Queue, once per interval, the mail that ends it. A backend that runs tasks at once
    cannot wait (development, BACKGROUND_TASKS=immediate): there the requests of the
    interval are counted in the next mail and on the dashboard."""
    if not send_request_digest.get_backend().supports_defer:
        return
    opened = cache.get(WINDOW_KEY, timezone.now().timestamp())
    if cache.add(f"{WINDOW_KEY}:digest:{opened}", 1, REQUEST_MAIL_INTERVAL) is False:
        return  # already queued
    ends = datetime.datetime.fromtimestamp(opened + REQUEST_MAIL_INTERVAL, tz=datetime.UTC)
    send_request_digest.using(run_after=ends).enqueue(opened)


@task(backend="background", priority=MAIL_PRIORITY)
def send_request_digest(opened):
    """At the end of the interval that began at `opened` (a timestamp): one mail for the
    requests filed during it that still wait; it begins the next interval."""
    current = cache.get(WINDOW_KEY)
    if current is not None and current != opened:
        # A newer interval's first mail already counted them.
        return 0
    since = datetime.datetime.fromtimestamp(opened, tz=datetime.UTC)
    new = Organization.objects.pending().filter(created_at__gt=since)
    count = new.count()
    if not count:
        return 0
    cache.set(WINDOW_KEY, timezone.now().timestamp(), REQUEST_MAIL_INTERVAL)
    shown = list(
        new.select_related("province", "requested_by").order_by("-created_at", "-pk")[:SHOWN]
    )
    request_received_notifier(RequestBatch(shown, count))
    return count


def notify_requesters(organizations, decider=None):
    """Tell those who asked for `organizations` (decided together: one status, one reason)
    the outcome, one mail per requester, at their account's email, in their language,
    unless they switched off mail of approvals (rejections). Not the request's contact
    email: anyone may type any address there, so a rejected batch of spam requests mailed
    their text to 30 outside addresses from the platform. Entries an administrator
    entered, which nobody asked for, are not announced, nor is a decision to the one who
    took it or to a deactivated account. The requesters and their profiles are read in
    one query, whatever the number decided."""
    decided = {}
    for organization in organizations:
        if organization.requested_by_id is not None:
            decided.setdefault(organization.requested_by_id, []).append(organization)
    requesters = (
        get_user_model()
        .objects.filter(pk__in=decided, is_active=True)
        .exclude(pk=getattr(decider, "pk", None))
        .select_related("wagtail_userprofile")
    )
    for requester in requesters:
        theirs = decided[requester.pk]
        certified = theirs[0].status == Organization.Status.CERTIFIED
        switch = "approved_notifications" if certified else "rejected_notifications"
        # No profile yet: Wagtail's defaults (every switch on).
        profile = getattr(requester, "wagtail_userprofile", None) or UserProfile(user=requester)
        if not requester.email or not getattr(profile, switch):
            continue
        send_decision(
            {
                "address": requester.email,
                "language": profile.preferred_language or settings.LANGUAGE_CODE,
                "name": requester.get_short_name(),
                "decided": theirs,
            }
        )


def send_decision(letter):
    decided = letter["decided"]
    context = {
        "name": letter["name"],
        "decided": decided,
        "certified": decided[0].status == Organization.Status.CERTIFIED,
        "reason": decided[0].rejection_reason,
        "names": "、".join(organization.name for organization in decided),
        "base_url": settings.WAGTAILADMIN_BASE_URL,
        "requests_url": reverse("organizations:requests"),
        "join_url": reverse("organizations:onboarding"),
    }
    with translation.override(letter["language"]):
        subject = render_to_string("organizations/email/decided_subject.txt", context).strip()
        body = render_to_string("organizations/email/decided.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [letter["address"]], fail_silently=True)
