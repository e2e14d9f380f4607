"""The upload form of the actuals import."""

from django import forms
from django.utils.translation import gettext_lazy as _


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("ERP export (CSV or XLSX)"))
