"""Closing an account and anonymising it (PIPL art. 47, 个人信息删除权 / 账号注销; R1): what
the privacy policy promises to whoever asks the platform's support. One rule, used by the
user admin's bulk action (accounts.bulk_actions.AnonymiseBulkAction, also reached for one
account from its editor and the users list) and by `manage.py anonymise_account <phone>`.

The row is kept: it owns activities (Page.owner), their revisions, review history, comments
and audit-log entries, which must keep pointing at something. Everything that identifies or
reaches the person goes:

- the mobile number (the login) becomes a placeholder no one can type: see
  placeholder_phone();
- the real name becomes "已注销用户 #<id>" (the listings, the review desk and the history
  show it where they showed the name), the e-mail is emptied, the organization and the
  province are cleared (neither decides who owns or may edit an activity: ownership is
  Page.owner, and the province only a province moderator's review scope, whose role goes
  with the groups);
- the password is made unusable, the account inactive, its groups, permissions and
  superuser status removed;
- every session of the account is deleted through the session engine (cached_db keeps a
  copy in the cache too);
- the profile picture (a public file) is deleted, its profile kept;
- django-axes' login records under the number are deleted;
- audit-log entries about the account that copied its name as their label get the new one.

One audit-log entry ("accounts.anonymise") records who did it. Activities the person
published stay as they are, with the contact person and phone typed on them: taking them
down or editing them is a separate decision (the policy says to ask for a take-down).
"""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext, gettext_lazy
from wagtail.log_actions import log

# Never the result of normalize_mobile() (accounts.validators), which removes "-" wherever
# it stands: whatever is typed at login, at registration or in the user admin is normalised
# first, so no typed number finds or takes a placeholder, and no registration collides with
# one (the id is unique). The model's validator (MainlandMobileValidator) would refuse it:
# it is written with save(), not full_clean(), on purpose. An administrator who opens the
# closed account in the editor cannot save it without giving it a real number again.
PLACEHOLDER_PREFIX = "x-"
# phone is 11 characters: the prefix and up to 9 digits of the id.
LOG_ACTION = "accounts.anonymise"


def placeholder_phone(user):
    return f"{PLACEHOLDER_PREFIX}{user.pk}"


def anonymised_name(user):
    # The name is stored, so in the platform's language (Chinese) whatever the language of
    # the administrator who closed it; the English source is for the catalogue.
    from django.utils.translation import override

    with override(settings.LANGUAGE_CODE):
        return gettext("Closed account #%(id)s") % {"id": user.pk}


def is_anonymised(user):
    return str(user.phone or "").startswith(PLACEHOLDER_PREFIX)


class AnonymiseRefused(ValidationError):
    pass


def refusal(user, by=None):
    """Why `by` may not close `user`'s account, or None. `by` None: from the shell."""
    if is_anonymised(user):
        return gettext("%(name)s is already closed and anonymised.") % {"name": user}
    if by is not None:
        if by.pk == user.pk:
            return gettext("You cannot close and anonymise your own account.")
        # Who may edit the account in the user admin (accounts.viewsets.EditView).
        if not (by.is_active and by.has_perm("accounts.change_user")):
            return gettext("You may not change this account.")
        if user.is_superuser and not by.is_superuser:
            return gettext("Only a superuser may close a superuser's account.")
    if user.is_superuser and user.is_active and not other_active_superusers(user).exists():
        return gettext(
            "%(name)s is the last active superuser: make someone else a superuser first."
        ) % {"name": user}
    return None


def other_active_superusers(user):
    return get_user_model().objects.filter(is_superuser=True, is_active=True).exclude(pk=user.pk)


def anonymise(user, by=None, source="admin"):
    """Close `user`'s account and anonymise it, in one transaction; `by` is who does it (a
    user, or None from the shell). Raises AnonymiseRefused, changing nothing, when
    refusal() names a reason. Returns what was removed, for the caller to report."""
    User = get_user_model()
    with transaction.atomic():
        # Locked and read again: two administrators at once, or two superusers closing
        # each other, must not pass the checks together.
        list(User.objects.select_for_update().filter(is_superuser=True, is_active=True))
        user = User.objects.select_for_update().get(pk=user.pk)
        reason = refusal(user, by)
        if reason:
            raise AnonymiseRefused(reason, code="refused")

        old_phone = user.phone
        removed = {
            "login_records": _forget_login_records(old_phone),
            "avatar": _delete_avatar(user),
        }
        user.phone = placeholder_phone(user)
        user.real_name = anonymised_name(user)
        user.email = ""
        user.organization = None
        user.province = None
        user.is_real_name_verified = False
        user.is_active = False
        user.is_staff = False
        user.is_superuser = False
        user.set_unusable_password()
        user.save()
        user.groups.clear()
        user.user_permissions.clear()
        _relabel_log_entries(user)
        removed["sessions"] = _delete_sessions(user)
        log(
            instance=user,
            action=LOG_ACTION,
            user=by,
            data={"source": source},
        )
    return removed


def _forget_login_records(phone):
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    # Stored under the normalised 11-digit number (accounts.lockout.attempted_username).
    return sum(
        model.objects.filter(username=phone).delete()[0]
        for model in (AccessAttempt, AccessFailureLog, AccessLog)
    )


def _delete_avatar(user):
    from wagtail.users.models import UserProfile

    profile = UserProfile.objects.filter(user=user).first()
    if profile is None or not profile.avatar:
        return False
    storage, name = profile.avatar.storage, profile.avatar.name
    profile.avatar = None
    profile.save(update_fields=["avatar"])
    # After the commit, as accounts.signals does: a closure rolled back keeps its picture.
    transaction.on_commit(lambda: storage.delete(name))
    return True


def _delete_sessions(user):
    """Every stored session of `user`, deleted through the engine's SessionStore:
    cached_db keeps each session in the cache as well as the table, and deleting rows
    alone would leave the cached copy logged in until it expired. (A session missed
    anyway would end at its next request: the password hash it carries no longer matches,
    and the account is inactive.)"""
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    try:
        model = store_class.get_model_class()
    except AttributeError:  # cache- or cookie-only engines: nothing to enumerate
        return 0
    decoder = store_class()
    keys = []
    for key, data in model.objects.values_list("session_key", "session_data").iterator():
        if str(decoder.decode(data).get("_auth_user_id")) == str(user.pk):
            keys.append(key)
    for key in keys:
        store_class(session_key=key).delete()
    return len(keys)


def _relabel_log_entries(user):
    """Wagtail copies an object's name into its audit-log entries (label): the account's
    edits in the user admin and on the account page named the person."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import ModelLogEntry

    ModelLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(user, for_concrete_model=False),
        object_id=str(user.pk),
    ).update(label=str(user))


def register_log_action(actions):
    actions.register_action(
        LOG_ACTION,
        gettext_lazy("Close and anonymise account"),
        gettext_lazy("Closed the account and anonymised its personal information"),
    )
