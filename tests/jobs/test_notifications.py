"""Notifications: who sees them, read state per person, idempotent publishing, page, API and
the home page block."""
import pytest

from grocery.models.jobs import Notification, NotificationRead
from grocery.notifications.selectors import notifications_for, unread_count
from grocery.notifications.services import (
    NotificationDraft,
    notification_mark_read,
    notifications_mark_all_read,
    notifications_publish,
)
from grocery.permissions import Role
from tests.factories.core import UserFactory
from tests.factories.jobs import NotificationFactory

pytestmark = pytest.mark.django_db


def test_a_role_notification_reaches_every_holder_of_that_role_only(manager, ccas, volunteer):
    note = NotificationFactory(role=Role.CCAS_STAFF)
    assert list(notifications_for(ccas)) == [note]
    assert list(notifications_for(manager)) == []
    assert list(notifications_for(volunteer)) == []


def test_a_site_notification_reaches_only_that_sites_staff(site, other_site, manager):
    across = UserFactory(username="multi", roles=[Role.MANAGER])  # no default site
    elsewhere = UserFactory(username="ailleurs", roles=[Role.MANAGER], default_site=other_site)
    note = NotificationFactory(role=Role.MANAGER, site=site)
    assert list(notifications_for(manager)) == [note]
    assert list(notifications_for(across)) == [note]
    assert list(notifications_for(elsewhere)) == []


def test_a_personal_notification_reaches_only_that_person(manager):
    other = UserFactory(username="autre", roles=[Role.MANAGER])
    note = NotificationFactory(role="", user=manager)
    assert list(notifications_for(manager)) == [note]
    assert list(notifications_for(other)) == []


def test_read_state_is_per_person(ccas):
    colleague = UserFactory(username="collegue", roles=[Role.CCAS_STAFF])
    note = NotificationFactory(role=Role.CCAS_STAFF)
    notification_mark_read(user=ccas, notification_id=note.pk)
    notification_mark_read(user=ccas, notification_id=note.pk)  # twice is harmless
    assert unread_count(ccas) == 0
    assert unread_count(colleague) == 1
    assert NotificationRead.objects.filter(user=ccas).count() == 1


def test_marking_someone_elses_notification_is_not_found(volunteer):
    note = NotificationFactory(role=Role.CCAS_STAFF)
    from grocery.errors import NotFound

    with pytest.raises(NotFound) as excinfo:
        notification_mark_read(user=volunteer, notification_id=note.pk)
    assert excinfo.value.code == "notification_not_found"


def test_mark_all_read(manager):
    NotificationFactory.create_batch(3, role=Role.MANAGER)
    assert notifications_mark_all_read(user=manager) == 3
    assert unread_count(manager) == 0
    assert notifications_mark_all_read(user=manager) == 0


def test_publishing_twice_does_not_duplicate_and_keeps_read_state(manager):
    draft = NotificationDraft(key="k1", kind="expiry", title="3 lots", role=Role.MANAGER)
    notifications_publish(drafts=[draft])
    notification_mark_read(user=manager, notification_id=Notification.objects.get().pk)
    notifications_publish(drafts=[draft])
    assert Notification.objects.count() == 1
    assert unread_count(manager) == 0


def test_a_changed_finding_is_shown_unread_again(manager):
    notifications_publish(drafts=[NotificationDraft(key="k1", kind="expiry", title="3 lots",
                                                     role=Role.MANAGER)])
    notification_mark_read(user=manager, notification_id=Notification.objects.get().pk)
    notifications_publish(drafts=[NotificationDraft(key="k1", kind="expiry", title="5 lots",
                                                     role=Role.MANAGER)])
    assert Notification.objects.get().title == "5 lots"
    assert unread_count(manager) == 1


def test_publishing_many_takes_a_constant_number_of_queries(django_assert_max_num_queries):
    drafts = [NotificationDraft(key=f"k{i}", kind="x", title=f"t{i}", role=Role.MANAGER)
              for i in range(60)]
    with django_assert_max_num_queries(6):
        notifications_publish(drafts=drafts)
    drafts = [NotificationDraft(key=f"k{i}", kind="x", title=f"changé {i}", role=Role.MANAGER)
              for i in range(60)]
    with django_assert_max_num_queries(8):
        notifications_publish(drafts=drafts)


def test_api_lists_my_notifications_with_read_state(api, ccas, django_assert_max_num_queries):
    notes = NotificationFactory.create_batch(12, role=Role.CCAS_STAFF)
    NotificationFactory(role=Role.MANAGER)
    notification_mark_read(user=ccas, notification_id=notes[0].pk)
    client = api(ccas)
    with django_assert_max_num_queries(6):
        body = client.get("/api/v1/notifications/").json()
    assert body["count"] == 12
    unread = client.get("/api/v1/notifications/?unread=true").json()
    assert unread["count"] == 11
    assert all(item["is_read"] is False for item in unread["results"])


def test_api_mark_read_and_read_all(api, ccas):
    notes = NotificationFactory.create_batch(2, role=Role.CCAS_STAFF)
    client = api(ccas)
    response = client.post(f"/api/v1/notifications/{notes[0].pk}/read/")
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    response = client.post("/api/v1/notifications/read-all/")
    assert response.json() == {"marked": 1}


def test_api_mark_read_of_a_notification_not_for_me_is_404(api, volunteer):
    note = NotificationFactory(role=Role.CCAS_STAFF)
    response = api(volunteer).post(f"/api/v1/notifications/{note.pk}/read/")
    assert response.status_code == 404
    assert response.json()["code"] in ("not_found", "notification_not_found")


def test_page_lists_unread_and_marks_read(page, ccas):
    note = NotificationFactory(role=Role.CCAS_STAFF, title="Droits arrivant à échéance")
    client = page(ccas)
    html = client.get("/notifications/").content.decode()
    assert "Droits arrivant à échéance" in html
    response = client.post(f"/notifications/{note.pk}/lue/", {"next": "/notifications/"})
    assert response.status_code == 302
    assert "Droits arrivant à échéance" not in client.get("/notifications/").content.decode()
    assert "Droits arrivant à échéance" in client.get("/notifications/?afficher=toutes").content.decode()


def test_page_mark_all_read(page, ccas):
    NotificationFactory.create_batch(2, role=Role.CCAS_STAFF)
    client = page(ccas)
    client.post("/notifications/tout-lire/")
    assert unread_count(ccas) == 0


def test_mark_read_page_refuses_get(page, ccas):
    note = NotificationFactory(role=Role.CCAS_STAFF)
    assert page(ccas).get(f"/notifications/{note.pk}/lue/").status_code == 405


def test_home_page_shows_unread_notifications(page, manager):
    NotificationFactory(role=Role.MANAGER, title="Lots à retirer du rayon")
    html = page(manager).get("/").content.decode()
    assert "Lots à retirer du rayon" in html
    assert "1</strong> notification(s) non lue(s)" in html
