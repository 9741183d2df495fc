import phonenumbers
from django import forms

from tickets.forms import MultipleFileField


class SignInForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True,
                                                            "placeholder": "you@company.com"}))


class TicketRaiseForm(forms.Form):
    subject = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"placeholder": "Printer on the 2nd floor is jammed"}))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000,
                                  help_text="What happened, since when, and who is affected.")
    attachments = MultipleFileField(label="Attachments", help_text="Screenshots, logs or documents. Up to 5 files, 10 MB each.")


class ReplyForm(forms.Form):
    body = forms.CharField(label="Your reply", widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000)
    attachments = MultipleFileField(label="Attachments")


class ProfileForm(forms.Form):
    phone = forms.CharField(label="Phone", max_length=40, required=False)
    mobile = forms.CharField(label="Mobile", max_length=40, required=False)

    def __init__(self, *args, region: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.region = (region or "").upper() or None

    def _phone(self, name):
        value = self.cleaned_data[name].strip()
        if not value:
            return ""
        try:
            number = phonenumbers.parse(value, self.region)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            hint = "" if self.region else " Start with + and the country code."
            raise forms.ValidationError(f"Enter a valid phone number.{hint}")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    def clean_phone(self):
        return self._phone("phone")

    def clean_mobile(self):
        return self._phone("mobile")
