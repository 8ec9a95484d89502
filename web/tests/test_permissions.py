"""Each page answers its roles and refuses the others, as the API does (404 for others' records)."""

from __future__ import annotations

import pytest

ROLES = ["firm1", "firm2", "customs.huunghi", "bql.huunghi", "customs.tanthanh", "province"]
# page → expected status per role (firm1 declared the registration at Hữu Nghị).
EXPECTED = {
    "/trips/": dict.fromkeys(ROLES, 200),
    "/registrations/new/": {"firm1": 200, "firm2": 200, "customs.huunghi": 403, "bql.huunghi": 403,
                            "customs.tanthanh": 403, "province": 403},
    "/registrations/{registration}/": {"firm1": 200, "firm2": 404, "customs.huunghi": 200, "bql.huunghi": 200,
                                       "customs.tanthanh": 404, "province": 200},
    "/registrations/{registration}/edit/": {"firm1": 200, "firm2": 404, "customs.huunghi": 403,
                                            "bql.huunghi": 403, "customs.tanthanh": 403, "province": 403},
    "/trips/{trip}/audit/": {"firm1": 403, "firm2": 404, "customs.huunghi": 200, "bql.huunghi": 200,
                             "customs.tanthanh": 404, "province": 200},
    "/console/": {"firm1": 403, "firm2": 403, "customs.huunghi": 200, "bql.huunghi": 200,
                  "customs.tanthanh": 200, "province": 200},
    "/console/trips/{trip}/": {"firm1": 403, "firm2": 403, "customs.huunghi": 200, "bql.huunghi": 200,
                               "customs.tanthanh": 404, "province": 200},
    "/province/": {"firm1": 403, "firm2": 403, "customs.huunghi": 403, "bql.huunghi": 200,
                   "customs.tanthanh": 403, "province": 200},
    "/province/gates/huu-nghi/": {"firm1": 403, "firm2": 403, "customs.huunghi": 403, "bql.huunghi": 200,
                                  "customs.tanthanh": 403, "province": 200},
}


@pytest.mark.parametrize("page", list(EXPECTED))
def test_page_status_per_role(page, login, declared):
    registration = declared()
    url = page.format(registration=registration.pk, trip=registration.trips.get().pk)
    answers = {role: login(role).get(url).status_code for role in ROLES}
    assert answers == EXPECTED[page]


def test_signed_out_users_are_sent_to_sign_in(client, declared):
    registration = declared()
    for url in ("/trips/", "/registrations/new/", f"/registrations/{registration.pk}/", "/console/", "/province/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_officers_cannot_decide_or_confirm_at_another_gate(login, declared):
    registration = declared()
    other = login("bql.tanthanh")
    assert other.post(f"/registrations/{registration.pk}/confirm/").status_code == 404
    assert login("province").post(f"/registrations/{registration.pk}/confirm/").status_code == 403
    assert login("firm1").post(f"/registrations/{registration.pk}/confirm/").status_code == 403
    assert login("bql.huunghi").post(f"/registrations/{registration.pk}/confirm/").status_code == 302


SECRETS = ("001089012345", "+84912345678", "0912345678", "0912 345 678", "912 345 678")


@pytest.mark.parametrize("page", ["/registrations/{registration}/", "/console/trips/{trip}/"])
def test_the_drivers_id_and_phone_only_in_clear_for_the_enterprise_and_that_gates_officers(page, login, declared):
    registration = declared(confirm=True)
    url = page.format(registration=registration.pk, trip=registration.trips.get().pk)
    clear_for = {"firm1", "customs.huunghi", "bql.huunghi"} if page.startswith("/registrations") else {
        "customs.huunghi", "bql.huunghi"}
    for role in (*clear_for, "province"):
        response = login(role).get(url)
        assert response.status_code == 200, role
        text = response.content.decode()
        assert "Nguyễn Văn An" in text, role
        if role in clear_for:
            assert "001089012345" in text, role
        else:
            assert not [secret for secret in SECRETS if secret in text], role
            assert "*" in text
