"""The services the clinic offers. Articles, service pages and the request form all name a
service by these values, so `/contact/?service=spravato` means the same thing everywhere."""

from django.db import models


class Service(models.TextChoices):
    SPRAVATO = "spravato", "Spravato (esketamine) evaluation"
    TMS = "tms", "TMS therapy evaluation"
    EVALUATION = "evaluation", "Psychiatric evaluation / medication management"
    THERAPY = "therapy", "Therapy"
    NOT_SURE = "not-sure", "Not sure yet"


# Services an article or page can be about ("not sure" is only an answer on the form).
CONTENT_SERVICES = [s.value for s in Service if s != Service.NOT_SURE]
