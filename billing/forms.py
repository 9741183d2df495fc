from django import forms

from opsmerge.forms import MspForm

from .models import ContractTemplate


class ContractTemplateForm(MspForm):
    template = forms.ModelChoiceField(queryset=ContractTemplate.objects.none(), label="Contract template")
