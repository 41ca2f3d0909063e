"""Subsidy rules: the issue's Jurong and Shenzhen tables, precedence, caps, versions."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.models.senior import SeniorCategoryType as Cat
from dispatch.models.subsidy import SubsidyRule
from dispatch.platform.errors import FieldError
from dispatch.services.money import subsidies

DAY = date(2026, 3, 10)
SITE = 7


def rule(name, subsidy, *, category=None, min_age=None, max_age=None, price=1500, rid=None, **kw):
    r = SubsidyRule(name=name, site_id=kw.pop("site_id", None), category=category, min_age=min_age, max_age=max_age,
                    valid_from=kw.pop("valid_from", date(2026, 1, 1)), valid_to=kw.pop("valid_to", None),
                    meal_price_cents=price, subsidy_cents=subsidy,
                    delivery_subsidy_cents=kw.pop("delivery_subsidy_cents", 0),
                    delivery_fee_cents=kw.pop("delivery_fee_cents", 0),
                    cap_per_meal_cents=kw.pop("cap_per_meal_cents", None),
                    cap_per_month_cents=kw.pop("cap_per_month_cents", None), precedence=kw.pop("precedence", 0))
    r.id = rid if rid is not None else next(_ids)
    assert not kw
    return r


_ids = iter(range(1, 10**6))

# Jurong: ¥1 / ¥5 / ¥8 / ¥9 per lunch for 60–74 / 75–84 / 85–94 or low-income / 95+ or extreme poverty.
JURONG = [
    rule("Aged 60-74", 100, min_age=60, max_age=74),
    rule("Aged 75-84", 500, min_age=75, max_age=84),
    rule("Aged 85-94", 800, min_age=85, max_age=94),
    rule("Low income", 800, category=Cat.LOW_INCOME, min_age=60),
    rule("Aged 95+", 900, min_age=95),
    rule("Extreme poverty", 900, category=Cat.EXTREME_POVERTY, min_age=60),
]


def jurong(age, *cats, delivered=False):
    chosen = subsidies.choose_rule(JURONG, site_id=SITE, categories=set(cats), age=age, day=DAY, delivered=delivered)
    return subsidies.price_meal(chosen, delivered=delivered)


@pytest.mark.parametrize(("age", "cats", "subsidy", "band"), [
    (60, (), 100, "Aged 60-74"), (74, (), 100, "Aged 60-74"),
    (75, (), 500, "Aged 75-84"), (84, (), 500, "Aged 75-84"),
    (85, (), 800, "Aged 85-94"), (94, (), 800, "Aged 85-94"),
    (70, (Cat.LOW_INCOME,), 800, "Low income"),
    (95, (), 900, "Aged 95+"), (101, (), 900, "Aged 95+"),
    (66, (Cat.EXTREME_POVERTY,), 900, "Extreme poverty"),
    (96, (Cat.LOW_INCOME,), 900, "Aged 95+"),  # fits two bands: the larger subsidy wins
    (80, (Cat.LOW_INCOME, Cat.EXTREME_POVERTY), 900, "Extreme poverty"),
])
def test_jurong_table_gives_the_expected_subsidy_per_lunch(age, cats, subsidy, band):
    priced = jurong(age, *cats)
    assert (priced.subsidy_cents, priced.band) == (subsidy, band)
    assert priced.price_cents == 1500 and priced.copay_cents == 1500 - subsidy


def test_under_sixty_has_no_rule_and_pays_nothing_through_the_scheme():
    assert jurong(59) == subsidies.NO_RULE


# Shenzhen: priority groups capped at ¥15 a meal, plus ¥2 per home delivery.
SHENZHEN = [
    rule("Everyone 60+", 300, min_age=60, price=2500, delivery_fee_cents=500, delivery_subsidy_cents=200),
    rule("Priority: low income", 2500, category=Cat.LOW_INCOME, price=2500, cap_per_meal_cents=1500,
         delivery_fee_cents=500, delivery_subsidy_cents=200, precedence=10),
    rule("Priority: disabled", 2500, category=Cat.DISABLED, price=2500, cap_per_meal_cents=1500,
         delivery_fee_cents=500, delivery_subsidy_cents=200, precedence=10),
]


@pytest.mark.parametrize(("cats", "delivered", "price", "subsidy"), [
    ((), False, 2500, 300),
    ((), True, 3000, 500),
    ((Cat.LOW_INCOME,), False, 2500, 1500),   # capped at ¥15
    ((Cat.LOW_INCOME,), True, 3000, 1700),    # ¥15 + ¥2 for the delivery
    ((Cat.DISABLED,), True, 3000, 1700),
])
def test_shenzhen_caps_priority_groups_and_adds_the_delivery_subsidy(cats, delivered, price, subsidy):
    chosen = subsidies.choose_rule(SHENZHEN, site_id=SITE, categories=set(cats), age=70, day=DAY, delivered=delivered)
    priced = subsidies.price_meal(chosen, delivered=delivered)
    assert (priced.price_cents, priced.subsidy_cents, priced.copay_cents) == (price, subsidy, price - subsidy)


def test_precedence_beats_a_larger_subsidy_and_a_site_rule_beats_a_district_rule():
    generous = rule("generous", 900, min_age=60)
    preferred = rule("preferred", 200, min_age=60, precedence=5)
    assert subsidies.choose_rule([generous, preferred], site_id=SITE, categories=set(), age=70, day=DAY) is preferred
    local = rule("local", 100, min_age=60, site_id=SITE)
    other_site = rule("elsewhere", 1000, min_age=60, site_id=SITE + 1)
    assert subsidies.choose_rule([generous, local, other_site], site_id=SITE, categories=set(), age=70,
                                 day=DAY) is local


def test_rule_periods_decide_which_version_prices_a_day():
    old = rule("v1", 100, min_age=60, valid_from=date(2026, 1, 1), valid_to=date(2026, 2, 28))
    new = rule("v2", 400, min_age=60, valid_from=date(2026, 3, 1))
    pick = lambda d: subsidies.choose_rule([old, new], site_id=SITE, categories=set(), age=70, day=d)  # noqa: E731
    assert pick(date(2026, 2, 28)) is old and pick(date(2026, 3, 1)) is new


def test_monthly_cap_limits_what_is_left_and_an_extra_meal_is_not_subsidised():
    capped = rule("capped", 800, min_age=60, cap_per_month_cents=2000)
    assert subsidies.price_meal(capped, delivered=False, subsidy_so_far_cents=1600).subsidy_cents == 400
    assert subsidies.price_meal(capped, delivered=False, subsidy_so_far_cents=2000).subsidy_cents == 0
    assert subsidies.price_meal(capped, delivered=False, subsidised=False).copay_cents == 1500


money = st.integers(min_value=0, max_value=50_000)


@settings(max_examples=300, deadline=None)
@given(price=money, subsidy=money, fee=money, dsub=money, cap=st.none() | money, mcap=st.none() | money,
       so_far=money, delivered=st.booleans(), subsidised=st.booleans())
def test_subsidy_plus_copay_is_the_price_for_every_meal(price, subsidy, fee, dsub, cap, mcap, so_far, delivered,
                                                        subsidised):
    r = rule("any", subsidy, price=price, delivery_fee_cents=fee, delivery_subsidy_cents=dsub,
             cap_per_meal_cents=cap, cap_per_month_cents=mcap)
    priced = subsidies.price_meal(r, delivered=delivered, subsidy_so_far_cents=so_far, subsidised=subsidised)
    assert priced.subsidy_cents + priced.copay_cents == priced.price_cents
    assert 0 <= priced.subsidy_cents <= priced.price_cents
    assert all(isinstance(v, int) for v in (priced.price_cents, priced.subsidy_cents, priced.copay_cents))
    if cap is not None:
        assert priced.subsidy_cents <= cap + (dsub if delivered else 0)


# Persisted rules ---------------------------------------------------------------

@pytest.fixture
def ctx(app):
    """Lazy error messages are rendered in a request's locale."""
    with app.test_request_context():
        yield app


def data(**kw):
    base = dict(name="Aged 60-74", site_id=None, category=None, min_age=60, max_age=74,
                valid_from=date(2026, 1, 1), valid_to=None, meal_price_cents=1500, subsidy_cents=100)
    base.update(kw)
    return subsidies.RuleData(**base)


def test_supersede_ends_the_old_version_the_day_before(ctx):
    from tests.factories import create_user

    admin = create_user("admin")
    first = subsidies.create_rule(data(), by=admin)
    second = subsidies.supersede_rule(first, data(valid_from=date(2026, 4, 1), subsidy_cents=200), by=admin)
    assert first.valid_to == date(2026, 3, 31) and second.valid_from == date(2026, 4, 1)
    with pytest.raises(FieldError) as err:
        subsidies.supersede_rule(second, data(valid_from=date(2026, 4, 1)), by=admin)
    assert err.value.field == "valid_from"


def test_staff_may_set_rules_only_for_their_own_sites(ctx):
    from tests.factories import create_site, create_user

    mine, other = create_site(), create_site()
    staff = create_user("staff", sites=[mine])
    assert subsidies.create_rule(data(site_id=mine.id), by=staff).site_id == mine.id
    for site_id in (other.id, None):
        with pytest.raises(FieldError) as err:
            subsidies.create_rule(data(site_id=site_id), by=staff)
        assert err.value.field == "site_id"


def test_bad_amounts_and_ages_name_their_field(ctx):
    from tests.factories import create_user

    admin = create_user("admin")
    for kw, field in ((dict(subsidy_cents=-1), "subsidy_cents"), (dict(min_age=80, max_age=70), "max_age"),
                      (dict(valid_to=date(2025, 12, 31)), "valid_to"), (dict(name=" "), "name")):
        with pytest.raises(FieldError) as err:
            subsidies.create_rule(data(**kw), by=admin)
        assert err.value.field == field
    assert subsidies.list_rules(admin) == []


# Pages --------------------------------------------------------------------------

def test_staff_add_a_rule_for_their_site_in_yuan_and_see_it_listed(client):
    from dispatch.extensions import db
    from dispatch.models.subsidy import SubsidyRule as Rule
    from tests.factories import create_site, create_user, login_as

    site = create_site()
    staff = create_user("staff", sites=[site])
    login_as(client, staff)
    form = {"name": "Aged 75-84", "site_id": str(site.id), "category": "", "min_age": "75", "max_age": "84",
            "valid_from": "2026-01-01", "meal_price": "15", "subsidy": "5.00", "precedence": "0"}
    response = client.post("/staff/subsidies/new", data=form)
    assert response.status_code == 302
    stored = db.session.scalar(db.select(Rule))
    assert (stored.meal_price_cents, stored.subsidy_cents, stored.site_id) == (1500, 500, site.id)
    page = client.get("/staff/subsidies").get_data(as_text=True)
    assert "Aged 75-84" in page and "¥5.00" in page
    # A third decimal and a district-wide rule are refused with the field named.
    bad = client.post("/staff/subsidies/new", data={**form, "subsidy": "5.001"})
    assert bad.status_code == 422 and "two decimals" in bad.get_data(as_text=True)
    assert client.post("/staff/subsidies/new", data={**form, "site_id": ""}).status_code == 422
    assert db.session.scalar(db.select(db.func.count(Rule.id))) == 1


def test_family_and_workers_cannot_open_subsidy_pages(client):
    from tests.factories import create_user, login_as

    login_as(client, create_user("family"))
    assert client.get("/staff/subsidies").status_code == 403
