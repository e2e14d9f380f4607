"""Forms of the user management pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Role, User


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("All roles")), *Role.choices]
    )
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("yes", _("Active")), ("no", _("Deactivated"))],
    )

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        active = {"yes": True, "no": False}.get(data["active"])
        return {"query": data["q"].strip(), "role": data["role"], "active": active}


class UserForm(forms.ModelForm):
    """Creating a user, or changing one (the username stays)."""

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "role", "language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = _(
            "The user sets their password through a link sent to this address."
        )
        if self.instance.pk:
            self.fields["username"].disabled = True

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        taken = User.objects.filter(email__iexact=email)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another user already has this e-mail address."))
        return email
