"""Signals that goals sends for apps built on it, so it never has to import them."""

from django.dispatch import Signal

# The planned figures of these key accounts changed (targets, goals, an approved plan), so
# whatever was computed from them is out of date. Sent inside the writing transaction with
# `account_ids` (a list of key account ids) and `reason` (a short text for the operator);
# controlling marks the accounts and recomputes them once the transaction commits.
figures_changed = Signal()

# Measures were written through goals' services: created, changed (their fields or goals),
# deleted, or unlinked from a deleted goal (`measure_ids`, a list of measure ids); `goal_ids`
# lists the goals this write linked them to (links made now, empty when none was made).
# Sent inside the writing transaction, after the rows and their history are written;
# controlling closes the deviations that countermeasures among them answer. Writes outside
# the services (bulk_create, queryset updates, raw SQL) send nothing, and neither does
# Django's post_save or m2m_changed carry this flow.
measures_changed = Signal()

# A plan moved in the approval workflow (goals.services.workflow): `plan_id`, `from_status`,
# `to_status`, `actor_id`, `comment` (the reason when returned, else empty) and
# `transition_id` (the PlanTransition row just written). Sent inside the writing transaction;
# controlling notifies leadership of a submission and the account's owner and team of a
# return or an approval.
plan_transitioned = Signal()
