"""The permission predicates of accounts.access as template filters:
`{% if user|can_archive_account:account %}`."""

from django import template

from .. import access

register = template.Library()

register.filter("can_archive_account", access.can_archive_account)
register.filter("can_create_account", access.can_create_account)
register.filter("can_read_audit", access.can_read_audit)
