"""The roles are defined in one module (staff/roles.py) and every release's `migrate` makes the
groups match it."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from staff.roles import CLINICAL_LEAD, FRONT_DESK

pytestmark = pytest.mark.django_db


def codenames(role):
    return set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))


def test_a_permission_granted_by_hand_is_gone_after_the_next_release():
    front_desk = Group.objects.get(name=FRONT_DESK)
    front_desk.permissions.add(Permission.objects.get(codename="export_appointmentrequest"))
    call_command("migrate", verbosity=0)
    assert "export_appointmentrequest" not in codenames(FRONT_DESK)
    assert "export_appointmentrequest" in codenames(CLINICAL_LEAD)


def test_a_role_deleted_by_mistake_comes_back_with_the_next_release():
    Group.objects.filter(name=CLINICAL_LEAD).delete()
    call_command("migrate", verbosity=0)
    lead = codenames(CLINICAL_LEAD)
    assert {"manage_two_step", "unlock_signinlockout", "view_auditentry"} <= lead
    assert codenames(FRONT_DESK) < lead
