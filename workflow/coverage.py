"""Province review steps nobody can act on (R20, R24).

A province step reaches the active province moderators of the activity's channel province
(ProvinceApprovalTask). With none, its activities wait on superusers' desks only and its
submission mail went to nobody: nobody learnt of it but the administrator who had just
removed the last moderator (accounts.viewsets.warn_unattended_provinces). The platform's
administrators now hear of it by mail (notifications.UnattendedProvinceNotifier) and see
it on their dashboard and review desk until a moderator is assigned."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.translation import ngettext
from wagtail.models import TaskState

from accounts import roles


def moderator_groups():
    """The groups whose members review an active province step (ReviewTask.reviewer_groups)."""
    from .models import ProvinceApprovalTask

    return Group.objects.filter(
        name=ProvinceApprovalTask.role,
        pk__in=ProvinceApprovalTask.objects.filter(active=True).values("groups"),
    )


def moderating(users):
    """Those of `users` (a queryset) who act on a province step: active, in one of its
    groups, with a province."""
    return users.filter(is_active=True, province__isnull=False, groups__in=moderator_groups())


def attended_province_ids():
    """A subquery: the provinces with an active province moderator."""
    return moderating(get_user_model().objects.all()).values("province_id")


def unattended_waiting(province_ids=None, idle=False):
    """[(province, number of activities waiting at its province step)] for each province
    (of `province_ids`, else all) with no active province moderator and activities waiting
    there (or none too, when `idle`), most waiting first.

    One query when every province has a moderator; else a second one, which probes the
    activity of each waiting province step by primary key (bounded by what waits, never
    by the number of activities) and counts them by province in the database."""
    from activities.models import ActivityPage
    from organizations.models import Region

    from .models import ProvinceApprovalTask, page_id_of

    provinces = Region.objects.filter(level=Region.Level.PROVINCE)
    if province_ids is not None:
        provinces = provinces.filter(pk__in=province_ids)
    unattended = {region.pk: region for region in provinces.exclude(pk__in=attended_province_ids())}
    if not unattended:
        return []
    counts = (
        TaskState.objects.filter(
            status=TaskState.STATUS_IN_PROGRESS,
            task__in=ProvinceApprovalTask.objects.values("pk"),
        )
        .alias(review_activity_pk=page_id_of("workflow_state__"))
        .annotate(
            # The province recorded when the step started (recorded_review_province).
            review_province=Subquery(
                ActivityPage.objects.filter(pk=OuterRef("review_activity_pk"))
                .order_by()
                .values("review_province")[:1]
            )
        )
        .order_by()
        .values("review_province")
        .annotate(waiting=Count("pk"))
        .values_list("review_province", "waiting")
    )
    waiting = {pk: count for pk, count in counts if pk in unattended}
    found = [
        (region, waiting.get(pk, 0)) for pk, region in unattended.items() if idle or waiting.get(pk)
    ]
    return sorted(found, key=lambda item: (-item[1], item[0].pk))


def may_assign_moderators(user):
    """Who hears of an unattended province: superusers and platform administrators, who
    assign province moderators in Settings → Users."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or roles.in_group(user, roles.ADMINISTRATORS)


def administrators():
    """The people mailed about an unattended province (may_assign_moderators)."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name=roles.ADMINISTRATORS))
        .distinct()
    )


def unattended_notice(found):
    """The administrators' notice for unattended_waiting()'s result, or ""."""
    if not found:
        return ""
    total = sum(waiting for _province, waiting in found)
    provinces = "、".join(f"{province.name}（{waiting}）" for province, waiting in found)
    return ngettext(
        "%(count)s activity waits at the province review step of provinces with no active "
        "province moderator: %(provinces)s. Assign one in Settings → Users.",
        "%(count)s activities wait at the province review step of provinces with no active "
        "province moderator: %(provinces)s. Assign one in Settings → Users.",
        total,
    ) % {"count": total, "provinces": provinces}


def unattended_context(user):
    """The template context of the notice for `user`: empty for those it is not for, who
    pay no query for it."""
    if not may_assign_moderators(user):
        return {}
    found = unattended_waiting()
    if not found:
        return {}
    return {
        "unattended_notice": unattended_notice(found),
        "unattended_waiting": sum(waiting for _province, waiting in found),
        "users_url": reverse("wagtailusers_users:index"),
    }
