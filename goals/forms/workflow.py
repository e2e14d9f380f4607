from django import forms
from django.utils.translation import gettext_lazy as _

from ..services.workflow import COMMENT_REQUIRED
from .plans import CrispyMixin


class ReturnForm(CrispyMixin, forms.Form):
    comment = forms.CharField(
        label=_("Comment for the account team"),
        widget=forms.Textarea(attrs={"rows": 4}),
        strip=True,
        error_messages={"required": COMMENT_REQUIRED},
        help_text=_("What should change before the plan is submitted again?"),
    )
