"""The canteen counter: meal cards, search, one-step recording, refusals, overrides, retries."""
from __future__ import annotations

import re
from datetime import date, time

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.audit import AuditEvent
from dispatch.models.dine_in import DineInMeal
from dispatch.models.meals import MealMode, MealOrderStatus
from dispatch.models.site import MealType, MealWindow
from dispatch.models.subsidy import SubsidyRule
from dispatch.models.types import utcnow
from dispatch.platform import clock
from dispatch.services.meals import dine_in
from tests import plan_fixtures as pf
from tests.factories import create_senior, create_site, create_user, login_as


@pytest.fixture
def counter(app):
    with app.test_request_context():
        site = create_site()
        for meal, start, end in ((MealType.LUNCH, time(0), time(15)), (MealType.DINNER, time(15, 1), time(23, 59))):
            db.session.add(MealWindow(site_id=site.id, meal=meal, start_time=start, end_time=end))
        db.session.add(SubsidyRule(name="Aged 75-84", min_age=75, max_age=84, valid_from=date(2000, 1, 1),
                                   meal_price_cents=1500, subsidy_cents=500))
        db.session.commit()
        yield site


def eighty(site, **kw):
    return create_senior(site, date_of_birth=date(utcnow().year - 80, 1, 1), **kw)


def test_a_card_code_names_its_senior_and_cannot_be_forged(counter):
    senior = eighty(counter)
    code = dine_in.card_code(senior)
    assert dine_in.senior_id_from_card(code) == senior.id
    assert dine_in.senior_id_from_card(code.lower()) == senior.id
    forged = f"DS{senior.id + 1}-{code.split('-')[1]}"
    assert dine_in.senior_id_from_card(forged) is None and dine_in.senior_id_from_card("hello") is None
    svg = dine_in.card_svg(senior)
    assert svg.startswith("<svg") and "style=" not in svg and "<script" not in svg


def test_search_by_name_phone_tail_and_number_only_among_visible_seniors(counter):
    mine = eighty(counter, full_name="Wang Xiuying", phone="139 0000 4321")
    other_site = create_site()
    eighty(other_site, full_name="Wang Jianguo", phone="139 0000 4321")
    staff = create_user("staff", sites=[counter])
    assert dine_in.search(staff, counter, "wang") == [mine]
    assert dine_in.search(staff, counter, "4321") == [mine]
    assert dine_in.search(staff, counter, f"#{mine.id}") == [mine]
    assert dine_in.search(staff, counter, "%") == []


def test_second_meal_is_refused_then_allowed_with_a_reason_and_audited(counter):
    senior = eighty(counter)
    staff = create_user("staff", sites=[counter])
    first = dine_in.record_meal(senior, counter, MealType.LUNCH, client_id=dine_in.new_client_id(), by=staff)
    assert (first.quote.priced.price_cents, first.quote.priced.subsidy_cents, first.quote.priced.copay_cents) == \
        (1500, 500, 1000)
    with pytest.raises(dine_in.AlreadyServed):
        dine_in.record_meal(senior, counter, MealType.LUNCH, client_id=dine_in.new_client_id(), by=staff)
    extra = dine_in.record_meal(senior, counter, MealType.LUNCH, client_id=dine_in.new_client_id(), by=staff,
                                override_reason="spilled the first tray")
    assert extra.meal.seq == 2 and extra.quote.priced.subsidy_cents == 0 and extra.quote.priced.copay_cents == 1500
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "dine_in.override"))
    assert event.user_id == staff.id and event.detail["reason"] == "spilled the first tray"
    # Dinner is another window.
    dine_in.record_meal(senior, counter, MealType.DINNER, client_id=dine_in.new_client_id(), by=staff)


def test_a_retried_record_returns_the_first_and_adds_nothing(counter):
    senior = eighty(counter)
    order = pf.meal_order(senior, counter, day=clock.local_today(counter), mode=MealMode.DINE_IN)
    client_id = dine_in.new_client_id()
    first = dine_in.record_meal(senior, counter, MealType.LUNCH, client_id=client_id, by=None)
    again = dine_in.record_meal(senior, counter, MealType.LUNCH, client_id=client_id, by=None)
    assert again.replay and again.meal.id == first.meal.id and again.quote.priced == first.quote.priced
    assert db.session.scalar(sa.select(sa.func.count(DineInMeal.id))) == 1
    db.session.refresh(order)
    assert order.status == MealOrderStatus.DINED_IN


def test_a_delivered_meal_counts_as_the_windows_meal(counter):
    senior = eighty(counter)
    pf.meal_order(senior, counter, day=clock.local_today(counter), status=MealOrderStatus.DELIVERED)
    with pytest.raises(dine_in.AlreadyServed):
        dine_in.record_meal(senior, counter, MealType.LUNCH, client_id=dine_in.new_client_id(), by=None)


def _client_id(html: str) -> str:
    return re.search(r'name="client_id" value="([0-9a-f]+)"', html).group(1)


def test_scanning_a_card_at_the_counter_records_the_meal_and_shows_the_money(counter, client):
    senior = eighty(counter, full_name="Chen Guiying")
    staff = create_user("staff", sites=[counter])
    login_as(client, staff)
    url = f"/staff/counter?site={counter.id}&meal=lunch"
    page = client.get(url).get_data(as_text=True)
    scan = {"q": dine_in.card_code(senior), "client_id": _client_id(page)}
    response = client.post(url, data=scan)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Meal recorded" in html and "Chen Guiying" in html
    assert "¥15.00" in html and "¥5.00" in html and "¥10.00" in html
    # The scanner fired twice: the same form is recognised, nothing is added.
    assert "Already recorded (same scan)" in client.post(url, data=scan).get_data(as_text=True)
    # A new scan of the same card is refused and offers the override.
    refused = client.post(url, data={"q": scan["q"], "client_id": dine_in.new_client_id()})
    assert refused.status_code == 409 and "override_reason" in refused.get_data(as_text=True)
    empty_reason = client.post(f"/staff/counter/record?site={counter.id}&meal=lunch",
                               data={"senior_id": senior.id, "client_id": dine_in.new_client_id(),
                                     "override_reason": " "})
    assert empty_reason.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(DineInMeal.id))) == 1


def test_search_lists_prices_and_records_in_one_tap(counter, client):
    senior = eighty(counter, full_name="Li Yulan")
    login_as(client, create_user("staff", sites=[counter]))
    url = f"/staff/counter?site={counter.id}&meal=lunch"
    html = client.post(url, data={"q": "Yulan", "client_id": dine_in.new_client_id()}).get_data(as_text=True)
    assert "Li Yulan" in html and "¥10.00" in html and "Record meal" in html
    response = client.post(f"/staff/counter/record?site={counter.id}&meal=lunch",
                           data={"senior_id": senior.id, "client_id": dine_in.new_client_id()})
    assert response.status_code == 200 and "Meal recorded" in response.get_data(as_text=True)


def test_staff_cannot_record_or_print_for_another_sites_senior(counter, client):
    stranger = eighty(create_site())
    login_as(client, create_user("staff", sites=[counter]))
    assert client.post(f"/staff/counter/record?site={counter.id}",
                       data={"senior_id": stranger.id, "client_id": dine_in.new_client_id()}).status_code == 404
    assert client.get(f"/staff/seniors/{stranger.id}/meal-card").status_code == 404
    # A genuine card of a senior the staff member may not see records nothing.
    client.post(f"/staff/counter?site={counter.id}", data={"q": dine_in.card_code(stranger),
                                                          "client_id": dine_in.new_client_id()})
    assert db.session.scalar(sa.select(sa.func.count(DineInMeal.id))) == 0


def test_meal_card_page_carries_the_qr_code(counter, client):
    senior = eighty(counter)
    login_as(client, create_user("staff", sites=[counter]))
    html = client.get(f"/staff/seniors/{senior.id}/meal-card").get_data(as_text=True)
    assert "<svg" in html and dine_in.card_code(senior) in html and "style=" not in html
