"""The permission predicates of controlling.access as template filters:
`{% if user|can_oversee_runs %}`."""

from django import template

from .. import access

register = template.Library()

register.filter("can_oversee_runs", access.can_oversee_runs)
