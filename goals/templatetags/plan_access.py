"""The permission predicates of goals.access as template filters:
`{% if user|can_decide_plan %}`."""

from django import template

from .. import access

register = template.Library()

register.filter("can_decide_plan", access.can_decide_plan)
register.filter("can_import_selling_positions", access.can_import_selling_positions)
