from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Who did or saw what, when (UU PDP access log). Holds ids, never personal values.

    Append-only: database triggers (`audit.triggers`) refuse every UPDATE, DELETE and TRUNCATE
    except two narrow ones, sealing (setting the hashes and block once) and the retention erasure
    (emptying `detail` of a sealed row). `audit.sealing` chains the rows into `AuditBlock`s.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # PROTECT: accounts are deactivated, never deleted, so every row keeps its actor.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=60, db_index=True)  # e.g. person.view, registry.import
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    detail = models.JSONField(default=dict, blank=True)
    # Set once, by the sealing job: the payload's hash apart from the row's, so that erasing the
    # payload (retention) keeps a row whose envelope still verifies.
    payload_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    row_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    block = models.ForeignKey("AuditBlock", null=True, blank=True, on_delete=models.PROTECT, related_name="events",
                              editable=False)
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)  # retention emptied `detail`

    class Meta:
        ordering = ["-at"]
        verbose_name = _("peristiwa audit")
        indexes = [models.Index(fields=["object_type", "object_id"])]


class AuditBlock(models.Model):
    """A sealed run of audit rows: ids first_id..last_id (minus `skipped`), hash-chained.

    hash = H(prev_hash, number, range, skipped, each row's id and row_hash); see `audit.sealing`.
    """

    number = models.PositiveBigIntegerField(unique=True)  # 1, 2, 3 … without gaps
    first_id = models.BigIntegerField(unique=True)
    last_id = models.BigIntegerField(unique=True)
    row_count = models.PositiveIntegerField()
    # Ids inside the range that no row held when sealed (rolled-back inserts): [[from, to], …].
    skipped = models.JSONField(default=list, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    sealed_at = models.DateTimeField()

    class Meta:
        ordering = ["number"]
