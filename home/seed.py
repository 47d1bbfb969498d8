import datetime

from django.utils import timezone
from wagtail.models import Site

from .models import CampaignSettings


def seed(command):
    """A demo campaign whose publishing window is open today, so a newcomer can submit;
    production keeps the guide's 21 August – 30 September."""
    site = Site.objects.get(is_default_site=True)
    campaign = CampaignSettings.for_site(site)
    today = timezone.localdate()
    if not campaign.theme:
        campaign.year = today.year
        campaign.theme = "科学家精神进万家 · 科技创新强国梦"
        if not campaign.is_open():
            campaign.window_start = today - datetime.timedelta(days=30)
            campaign.window_end = today + datetime.timedelta(days=60)
        campaign.save()
    if not campaign.shows_support_contact:
        # The guide's own technical-operations contact, (四)2.
        campaign.support_person = "蒙昌乐"
        campaign.support_phone = "010-63589698，010-63589586"
        campaign.save()
    command.stdout.write(
        f"  campaign {campaign.year}: {campaign.theme} ({campaign.window_display()})"
    )
