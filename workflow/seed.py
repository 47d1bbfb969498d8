"""Demo review states: approved, waiting at each stage, rejected at each stage, taken down
— all driven through the real workflow, so the demo shows what production would."""

from accounts.models import User
from accounts.seed import SUPERUSER_PHONE
from activities.models import ActivityPage
from activities.seed import planned_states

from .takedown import take_down

TAKE_DOWN_REASON = "演示：宣传图未包含全国科普日标识，请修改后重新提交。"


def seed(command):
    plan = planned_states()
    national = User.objects.get(phone="13800000021")
    superuser = User.objects.get(phone=SUPERUSER_PHONE)
    moderators = {
        "440000": User.objects.get(phone="13800000011"),
        "110000": User.objects.get(phone="13800000012"),
    }
    moved = 0
    pages = ActivityPage.objects.filter(title__in=plan, live=False).select_related("channel")
    for page in pages:
        target = plan[page.title]
        if target == "draft" or page.workflow_states.exists():
            continue
        page.get_workflow().start(page, page.owner)
        # Provinces without a demo moderator are reviewed by the superuser (allowed, logged).
        province_moderator = moderators.get(page.review_province_id, superuser)

        def act(user, action, page=page, **kwargs):
            state = page.current_workflow_state.current_task_state
            state.task.specific.on_action(state, user, action, **kwargs)

        if page.is_province_reviewed:
            if target == "province_reviewing":
                moved += 1
                continue
            if target == "province_rejected":
                act(
                    province_moderator,
                    "reject",
                    reasons=["details"],
                    comment="演示：请在详情中写明参与的科技工作者和联系方式。",
                )
                moved += 1
                continue
            act(province_moderator, "approve", comment="")
        if target == "national_rejected":
            act(
                national, "reject", reasons=["time_place"], comment="演示：活动时间和地点不够清楚。"
            )
        elif target in {"approved", "taken_down"}:
            act(national, "approve", comment="")
            if target == "taken_down":
                take_down(ActivityPage.objects.get(pk=page.pk), national, TAKE_DOWN_REASON)
        moved += 1
    command.stdout.write(f"  review states: {moved} activities moved through the workflow")
