from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout
from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from certguide.campaign import UTM_KEYS, Tracking
from wizard.scoring import QuestionWeights


class StartForm(forms.Form):
    """The Start button, carrying the utm_* and referrer of the landing request along."""

    utm_source = forms.CharField(required=False, widget=forms.HiddenInput)
    utm_medium = forms.CharField(required=False, widget=forms.HiddenInput)
    utm_campaign = forms.CharField(required=False, widget=forms.HiddenInput)
    utm_term = forms.CharField(required=False, widget=forms.HiddenInput)
    utm_content = forms.CharField(required=False, widget=forms.HiddenInput)
    referrer = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, label: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = True
        self.helper.form_method = "post"
        self.helper.layout = Layout(
            *UTM_KEYS,
            "referrer",
            StrictButton(
                label or gettext("Start the quiz"), type="submit", css_class="btn-primary btn-lg"
            ),
        )

    def tracking(self) -> Tracking:
        """Where the visitor came from, cleaned; never refused (a value a field rejects,
        such as one with a NUL byte, is simply not carried)."""
        return Tracking.from_values(self.cleaned_data)


class AnswerForm(forms.Form):
    """One question: radios for a single choice, checkboxes for several."""

    # Which question the page showed: a marketer may reorder questions between the GET
    # and the POST, and an answer must never land on a different question.
    question = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        question: QuestionWeights,
        action: str,
        can_go_back: bool,
        is_last: bool,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.question = question
        options = [(str(c.id), c.text) for c in question.choices]
        if question.multiple:
            self.fields["choices"] = forms.MultipleChoiceField(
                label=question.text,
                help_text=question.help_text or gettext("Pick every answer that applies."),
                choices=options,
                widget=forms.CheckboxSelectMultiple,
                error_messages={"required": _("Pick at least one answer to go on.")},
            )
        else:
            self.fields["choices"] = forms.ChoiceField(
                label=question.text,
                help_text=question.help_text,
                choices=options,
                widget=forms.RadioSelect,
                error_messages={"required": _("Pick one answer to go on.")},
            )
        self.fields["choices"].error_messages["invalid_choice"] = _(
            "That answer does not belong to this question. Pick one of the answers shown."
        )

        buttons = [
            StrictButton(
                gettext("See my result") if is_last else gettext("Next"),
                type="submit",
                name="action",
                value="next",
                css_class="btn-primary",
            )
        ]
        if can_go_back:
            buttons.append(
                StrictButton(
                    gettext("Back"),
                    type="submit",
                    name="action",
                    value="back",
                    css_class="btn-outline-secondary",
                    formnovalidate="formnovalidate",
                )
            )
        self.helper = FormHelper()
        self.action = action
        # The <form> tag and CSRF token are the page's, so the rendered answers (the slow
        # part of the page) can be shared by every visitor. crispy writes a token even with
        # form_tag off unless told not to: one cached token once locked out every visitor.
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        # The page's h1 shows the question; the legend names the group for screen readers.
        self.helper.label_class = "visually-hidden"
        self.helper.layout = Layout(
            "question",
            Field("choices", wrapper_class="wizard-choices"),
            # Next comes first in the markup so Enter in the form means Next, not Back.
            Div(*buttons, css_class="wizard-actions"),
        )

    def clean(self) -> dict:
        data = super().clean()
        # A non-field error: crispy shows those, not the errors of a hidden field.
        if data.get("question") != self.question.id:
            raise forms.ValidationError(
                _("This question changed while the page was open. Please answer it again.")
            )
        return data

    def choice_ids(self) -> list[int]:
        value = self.cleaned_data["choices"]
        return [int(v) for v in (value if isinstance(value, list) else [value])]
