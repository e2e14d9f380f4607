"""Signals that goals sends for apps built on it, so it never has to import them."""

from django.dispatch import Signal

# The planned figures of these key accounts changed (targets, goals, an approved plan), so
# whatever was computed from them is out of date. Sent inside the writing transaction with
# `account_ids` (a list of key account ids) and `reason` (a short text for the operator);
# controlling marks the accounts and recomputes them once the transaction commits.
figures_changed = Signal()
