"""Who may reach each endpoint: the role gate of every route in the app, one line per endpoint.

``tests/test_access_matrix.py`` walks ``app.url_map`` and fails for any
endpoint missing here, so a new page or API call cannot ship without a rule.
Adding an endpoint is one line:

    "staff.new_page": STAFF,            # admin and staff (admins pass every page's role gate)
    "api_directory.new_call": api(STAFF),  # API: token roles allowed (admin tokens always)

Record-level rules (which senior, which site) are tested in ``test_access.py``
and the feature tests; this table is the role gate in front of them.
"""
from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "staff", "worker", "family")


@dataclass(frozen=True)
class Rule:
    roles: tuple[str, ...] = ()  # signed-in roles let through (pages: session; API: token role)
    public: bool = False  # anonymous visitors let through too
    api: bool = False  # bearer-token endpoint: anonymous gets 401, other roles 403


PUBLIC = Rule(roles=ROLES, public=True)
ANY_SIGNED_IN = Rule(roles=ROLES)
ADMIN = Rule(roles=("admin",))
STAFF = Rule(roles=("admin", "staff"))
WORKER = Rule(roles=("admin", "worker"))
FAMILY = Rule(roles=("admin", "family"))
# A step inside a login under way (choose or enter the second factor): outside one, everybody
# is sent back to the login page, which is all a role gate can show.
LOGIN_STEP = Rule()


def api(rule: Rule) -> Rule:
    return Rule(roles=rule.roles, api=True)


RULES: dict[str, Rule] = {
    # Public: welcome, language, static files, login and invitation links, the API's description.
    "main.index": PUBLIC,
    "main.set_language": PUBLIC,
    "main.favicon": PUBLIC,
    "static": PUBLIC,
    "security.static": PUBLIC,
    "security.login": PUBLIC,
    "family.join": PUBLIC,
    "worker.service_worker": PUBLIC,
    "api-docs.openapi_json": PUBLIC,
    # Flask-Security's account pages: anyone signed in (some also serve the login's second step).
    "security.logout": PUBLIC,
    "security.change_password": ANY_SIGNED_IN,
    "security.verify": ANY_SIGNED_IN,
    "security.tf_select": LOGIN_STEP,
    "security.two_factor_rescue": ANY_SIGNED_IN,
    "security.two_factor_setup": ANY_SIGNED_IN,
    "security.two_factor_setup_validate": ANY_SIGNED_IN,
    "security.two_factor_token_validation": LOGIN_STEP,
    # Administrators.
    "admin.users": ADMIN,
    "admin.create_user": ADMIN,
    "admin.user": ADMIN,
    "admin.disable": ADMIN,
    "admin.enable": ADMIN,
    "admin.log_out_everywhere": ADMIN,
    "admin.reset_two_factor": ADMIN,
    "admin_security.api_tokens_page": ADMIN,
    "admin_security.revoke_api_token": ADMIN,
    "admin_security.audit_log": ADMIN,
    "admin_security.unusual_access": ADMIN,
    "coverage.assign": ADMIN,
    "coverage.new_site": ADMIN,
    "staff.site_new": ADMIN,
    # Staff (and admins).
    "coverage.index": STAFF,
    "coverage.gaps_csv": STAFF,
    "coverage.suggest": STAFF,
    "staff.today": STAFF,
    "staff.board": STAFF,
    "staff.board_data": STAFF,
    "staff.alert_follow_up": STAFF,
    "staff.enrollments": STAFF,
    "staff.enrollment_new": STAFF,
    "staff.enrollment_edit": STAFF,
    "staff.hold_new": STAFF,
    "staff.hold_end": STAFF,
    "staff.route_sheets": STAFF,
    "staff.route_gpx": STAFF,
    "staff.visits_ics": STAFF,
    "staff.senior_invitations": STAFF,
    "staff.revoke_invitation": STAFF,
    "staff.kitchen": STAFF,
    "staff.kitchen_labels": STAFF,
    "staff.generate_orders": STAFF,
    "staff.plan_start": STAFF,
    "staff.plan_detail": STAFF,
    "staff.plan_status": STAFF,
    "staff.plan_move": STAFF,
    "staff.plan_lock": STAFF,
    "staff.plan_rerun": STAFF,
    "staff.plan_replan_window": STAFF,
    "staff.plan_publish": STAFF,
    "staff.plan_replan": STAFF,
    "staff.request_approve": STAFF,
    "staff.request_decline": STAFF,
    "staff.request_reschedule": STAFF,
    "staff.request_urgent": STAFF,
    "staff.seniors": STAFF,
    "staff.senior_detail": STAFF,
    "staff.senior_new": STAFF,
    "staff.senior_edit": STAFF,
    "staff.senior_deactivate": STAFF,
    "staff.sites": STAFF,
    "staff.site_detail": STAFF,
    "staff.site_edit": STAFF,
    "staff.village_points": STAFF,
    "staff.village_point_new": STAFF,
    "staff.village_point_edit": STAFF,
    "staff.village_point_active": STAFF,
    "staff.workers": STAFF,
    "staff.worker_detail": STAFF,
    "staff.worker_new": STAFF,
    "staff.worker_edit": STAFF,
    # Workers' phone pages.
    "worker.today": WORKER,
    "worker.print_sheet": WORKER,
    "worker.offline": WORKER,
    "worker.tap": WORKER,
    "worker.hand_over": WORKER,
    "worker.map_app": WORKER,
    "worker.api_csrf": WORKER,
    "worker.api_today": WORKER,
    "worker.api_record": WORKER,
    "worker.api_hand_over": WORKER,
    # Issue 19: the home visit's record, follow-ups.
    "worker.api_visit_record": WORKER,
    "worker.visit_record_form": WORKER,
    "staff.follow_ups": STAFF,
    "staff.follow_up": STAFF,
    "staff.follow_up_close": STAFF,
    "staff.follow_up_assign": STAFF,
    "staff.follow_up_service_request": STAFF,
    "staff.visit_record": STAFF,
    # Family portal.
    "family.home": FAMILY,
    "family.senior": FAMILY,
    "family.new_request": FAMILY,
    "family.reschedule_request": FAMILY,
    "family.cancel_request": FAMILY,
    "family.pause_meals": FAMILY,
    "family.resume_meals": FAMILY,
    "family.notifications": FAMILY,
    # Issue 10: subsidy rules, the canteen counter, statements, the dashboard, volunteer hours.
    "staff.subsidy_rules": STAFF,
    "staff.subsidy_rule_new": STAFF,
    "staff.subsidy_rule_version": STAFF,
    "staff.counter": STAFF,
    "staff.counter_record": STAFF,
    "staff.meal_card": STAFF,
    "staff.statements": STAFF,
    "staff.statement_senior": STAFF,
    "staff.statement_csv": STAFF,
    "staff.statement_xlsx": STAFF,
    "staff.statement_close": STAFF,
    "staff.statement_reopen": ADMIN,
    "staff.statement_budget": ADMIN,
    "staff.dashboard": STAFF,
    "staff.visitation_csv": STAFF,
    "staff.volunteer_hours": STAFF,
    "staff.volunteer_hours_csv": STAFF,
    # Issue 9: import and export, locations, volunteer shifts, worker onboarding.
    "staff.import_upload": STAFF,
    "staff.import_preview": STAFF,
    "staff.import_job": STAFF,
    "staff.export_records": STAFF,
    "staff.locations": STAFF,
    "staff.locations_run": STAFF,
    "staff.senior_location": STAFF,
    "staff.site_shifts": STAFF,
    "staff.worker_onboarding": STAFF,
    "worker.shifts": WORKER,
    "worker.shift_signup": WORKER,
    "worker.shift_cancel": WORKER,
    "worker.offer_accept": WORKER,
    "worker.join": PUBLIC,
    # JSON API (bearer tokens).
    "api_directory.sites": api(Rule(roles=("admin", "staff", "worker"))),
    "api_directory.site": api(Rule(roles=("admin", "staff", "worker"))),
    "api_directory.workers": api(Rule(roles=("admin", "staff", "worker"))),
    "api_directory.worker": api(Rule(roles=("admin", "staff", "worker"))),
    "api_directory.seniors": api(STAFF),
    "api_directory.senior": api(STAFF),
    "api_directory.create_senior": api(STAFF),
    "api_directory.update_senior": api(STAFF),
    "api_requests.service_requests": api(STAFF),
    "api_requests.service_request": api(STAFF),
    "api_requests.create_service_request": api(STAFF),
    "api_requests.review_service_request": api(STAFF),
    "api_plans.plans": api(STAFF),
    "api_plans.plan": api(STAFF),
    "api_plans.lock_stop": api(STAFF),
    "api_plans.publish": api(STAFF),
    "api_plans.route": api(STAFF),
    "api_plans.my_day": api(WORKER),
    "api_plans.post_outcome": api(WORKER),
    # Issue 19: home visitation (due visits and calls, the call list, a senior's tier, the rules).
    "staff.visitation": STAFF,
    "staff.visitation_generate": STAFF,
    "staff.visitation_calls": STAFF,
    "staff.visitation_call": STAFF,
    "staff.senior_visitation": STAFF,
    "admin.visitation_rules": ADMIN,
}
