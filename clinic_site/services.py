"""The services the clinic offers. Articles, service pages and the request form all name a
service by these values, so `/contact/?service=spravato` means the same thing everywhere."""

from django.db import models
from django.utils.translation import gettext_lazy as _


# The labels are lazy: the form shows them in the patient's language; the admin and the staff
# e-mail, always in English, show them in English. Brand names stay as they are.
class Service(models.TextChoices):
    SPRAVATO = "spravato", _("Spravato (esketamine) evaluation")
    TMS = "tms", _("TMS therapy evaluation")
    EVALUATION = "evaluation", _("Psychiatric evaluation / medication management")
    THERAPY = "therapy", _("Therapy")
    NOT_SURE = "not-sure", _("Not sure yet")


# Services an article or page can be about ("not sure" is only an answer on the form).
CONTENT_SERVICES = [s.value for s in Service if s != Service.NOT_SURE]
