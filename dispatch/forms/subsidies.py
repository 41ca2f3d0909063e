"""The subsidy-rule form: amounts typed in yuan (two decimals at most), stored in fen."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.fields import DecimalField, IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from dispatch.forms.fields import DayField, optional_int, text_field
from dispatch.models.senior import SeniorCategoryType
from dispatch.platform.labels import choices, shown_name
from dispatch.services.money.subsidies import RuleData

MONEY_FIELDS = ("meal_price", "subsidy", "delivery_fee", "delivery_subsidy", "cap_per_meal", "cap_per_month")


def two_decimals(form, field) -> None:
    if field.data is not None and (field.data * 100) != (field.data * 100).to_integral_value():
        raise ValidationError(_("Use at most two decimals (fen)."))


def money(label, *, required: bool = False, description=None) -> DecimalField:
    return DecimalField(label, places=2, description=description,
                        validators=[InputRequired() if required else Optional(), NumberRange(0, 1_000_000),
                                    two_decimals],
                        render_kw={"inputmode": "decimal", "step": "0.01", "min": 0})


def cents(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 100)


class SubsidyRuleForm(FlaskForm):
    name = text_field(_l("Name of the band"), 80, required=True,
                      description=_l("Shown on statements, e.g. Aged 75-84 or Low income."))
    site_id = SelectField(_l("Meal site"), coerce=optional_int, choices=[])
    category = SelectField(_l("Senior category"), choices=[])
    min_age = IntegerField(_l("Youngest age"), validators=[Optional(), NumberRange(0, 130)])
    max_age = IntegerField(_l("Oldest age"), validators=[Optional(), NumberRange(0, 130)])
    valid_from = DayField(_l("Valid from"), validators=[InputRequired()])
    valid_to = DayField(_l("Valid until"), validators=[Optional()],
                         description=_l("Leave empty for a rule without an end."))
    meal_price = money(_l("Meal price (yuan)"), required=True)
    subsidy = money(_l("Subsidy per meal (yuan)"), required=True)
    cap_per_meal = money(_l("Cap per meal (yuan)"), description=_l("Most subsidy for one meal; empty: no cap."))
    delivery_fee = money(_l("Delivery fee (yuan)"), description=_l("Added to the price of a home delivery."))
    delivery_subsidy = money(_l("Delivery subsidy (yuan)"), description=_l("Paid on top for each home delivery."))
    cap_per_month = money(_l("Cap per senior per month (yuan)"), description=_l("Empty: no monthly cap."))
    precedence = IntegerField(_l("Precedence"), default=0, validators=[InputRequired(), NumberRange(-100, 100)],
                              description=_l("When a senior fits several rules, the highest precedence wins; "
                                             "then the larger subsidy."))

    def set_choices(self, sites, *, district_wide: bool) -> None:
        self.site_id.choices = ([SelectChoice("", _("All sites (district-wide)"))] if district_wide else []) + [
            SelectChoice(s.id, shown_name(s)) for s in sites]
        self.category.choices = choices(SeniorCategoryType, blank=_l("Any category"))

    def fill(self, rule) -> None:
        for name in MONEY_FIELDS:
            value = getattr(rule, f"{name}_cents")
            self[name].data = None if value is None else Decimal(value) / 100
        self.category.data = rule.category.value if rule.category else ""

    def blame(self, field: str, message) -> None:
        name = field.removesuffix("_cents") if field else field
        if name in self._fields:
            self[name].errors = [*self[name].errors, message]
        else:
            self.form_errors.append(message)

    def to_data(self) -> RuleData:
        return RuleData(
            name=self.name.data, site_id=self.site_id.data,
            category=SeniorCategoryType(self.category.data) if self.category.data else None,
            min_age=self.min_age.data, max_age=self.max_age.data, valid_from=self.valid_from.data,
            valid_to=self.valid_to.data, meal_price_cents=cents(self.meal_price.data),
            subsidy_cents=cents(self.subsidy.data), delivery_fee_cents=cents(self.delivery_fee.data) or 0,
            delivery_subsidy_cents=cents(self.delivery_subsidy.data) or 0,
            cap_per_meal_cents=cents(self.cap_per_meal.data), cap_per_month_cents=cents(self.cap_per_month.data),
            precedence=self.precedence.data,
        )
