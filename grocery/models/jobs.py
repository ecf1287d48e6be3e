"""Records of the background jobs: each run's log (JobRun), the notifications the jobs leave
for people (Notification, read state per user) and the alert windows a grocery may change
(JobSettings)."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from grocery.permissions import Role


class JobRun(models.Model):
    """One run of a background job: what it was asked, how long it took, what it did.

    Written outside the job's own transaction, so a failed or interrupted run stays visible.
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("En cours")
        SUCCEEDED = "succeeded", _("Terminée")
        FAILED = "failed", _("En échec")
        RETRYING = "retrying", _("Échec passager, nouvel essai prévu")
        SKIPPED = "skipped", _("Ignorée (déjà en cours ailleurs)")
        ABANDONED = "abandoned", _("Interrompue")

    task = models.CharField(_("tâche"), max_length=120, db_index=True)
    args = models.JSONField(_("paramètres"), default=dict, blank=True)
    status = models.CharField(_("état"), max_length=20, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(_("début"), db_index=True)
    finished_at = models.DateTimeField(_("fin"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("durée (ms)"), null=True, blank=True)
    counts = models.JSONField(_("compteurs"), default=dict, blank=True)
    error = models.TextField(_("erreur"), blank=True)
    lock_key = models.CharField(_("verrou"), max_length=120, blank=True, db_index=True)
    celery_task_id = models.CharField(max_length=64, blank=True)
    hostname = models.CharField(_("machine"), max_length=120, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["task", "status"])]
        verbose_name = _("exécution de tâche")
        verbose_name_plural = _("exécutions de tâches")

    def __str__(self) -> str:
        return f"{self.task} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class Notification(models.Model):
    """Something a job found that people should look at.

    Addressed to a role (and optionally one site), or to one user. `key` makes a job's output
    idempotent: the same finding on a rerun updates its notification instead of adding one.
    """

    class Level(models.TextChoices):
        INFO = "info", _("Information")
        WARNING = "warning", _("À surveiller")
        DANGER = "danger", _("Urgent")

    key = models.CharField(_("clé"), max_length=160, unique=True)
    kind = models.CharField(_("type"), max_length=60, db_index=True)
    level = models.CharField(_("niveau"), max_length=10, choices=Level.choices, default=Level.INFO)
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("détail"), blank=True)
    link = models.CharField(_("lien"), max_length=300, blank=True)
    role = models.CharField(
        _("rôle destinataire"), max_length=20, choices=[(r.value, r.value) for r in Role], blank=True
    )
    site = models.ForeignKey(
        "grocery.Site", verbose_name=_("épicerie"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("destinataire"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="notifications",
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("créée le"), db_index=True)
    updated_at = models.DateTimeField(_("mise à jour le"))
    job_run = models.ForeignKey(JobRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["role", "site"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="") | models.Q(user__isnull=False),
                name="notification_has_recipient",
            )
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.title

    @property
    def badge(self) -> str:
        """CSS class of the level badge (see app.css)."""
        return {"warning": "warn", "danger": "bad"}.get(self.level, "")


class NotificationRead(models.Model):
    """That one user has read one notification (a notification to a role is read per person)."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(_("lue le"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notification", "user"], name="notification_read_once")
        ]
        verbose_name = _("lecture de notification")
        verbose_name_plural = _("lectures de notifications")

    def __str__(self) -> str:
        return f"{self.user_id} a lu {self.notification_id}"


class JobSettings(models.Model):
    """Alert windows and reconciliation settings of the background jobs (one row, pk=1)."""

    entitlement_ending_days = models.PositiveSmallIntegerField(
        _("droits arrivant à échéance (jours)"), default=14,
        help_text=_("Les droits se terminant dans ce délai sont signalés au CCAS."),
    )
    no_visit_days = models.PositiveSmallIntegerField(
        _("foyers sans passage (jours)"), default=30,
        help_text=_("Les foyers ayant un droit actif mais sans passage depuis ce délai sont signalés."),
    )
    reconcile_months = models.PositiveSmallIntegerField(
        _("mois déjà clôturés recalculés chaque nuit"), default=2,
        help_text=_("Les ventes arrivées après la clôture (caisse hors ligne) corrigent ces mois."),
    )
    email_alerts = models.BooleanField(
        _("envoyer les alertes par courriel"), default=True,
        help_text=_("Aux travailleurs sociaux (CCAS) ayant une adresse électronique."),
    )

    class Meta:
        verbose_name = _("réglages des tâches de fond")
        verbose_name_plural = _("réglages des tâches de fond")

    def __str__(self) -> str:
        return str(_("Réglages des tâches de fond"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def get_solo(cls) -> "JobSettings":
        return cls.objects.get_or_create(pk=1)[0]
