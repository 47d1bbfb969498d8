from django import template

from workflow.models import step_name

register = template.Library()

register.filter("step_name", step_name)
