"""What partners certify (their integrations) and what they are certified against (the
program's guidelines)."""

from __future__ import annotations

from django.db import models

from certifications.enums import MODULE_AREAS, GuidelineSeverity, ProductArea
from certifications.models.validators import TEXT_MAX_LENGTH, repo_validator
from certportal.search import trigram_index


class Integration(models.Model):
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="integrations"
    )
    name = models.CharField(max_length=200)
    product_area = models.CharField(max_length=32, choices=ProductArea.choices)
    github_repo = models.CharField(
        "GitHub repository", max_length=140, validators=[repo_validator], help_text="owner/name"
    )
    github_repo_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    description = models.TextField(max_length=TEXT_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "name"], name="integration_unique_name_per_partner"
            )
        ]
        # The review queue's search box (name__icontains): issue 19.
        indexes = [trigram_index("name", name="integration_name_trgm")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_module(self) -> bool:
        return self.product_area in MODULE_AREAS

    @property
    def github_url(self) -> str:
        return f"https://github.com/{self.github_repo}"


class Guideline(models.Model):
    """The program's published failure reasons; the partner attests against them and
    reviewers cite them in findings."""

    code = models.CharField(max_length=16, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=TEXT_MAX_LENGTH)
    severity = models.CharField(max_length=16, choices=GuidelineSeverity.choices)
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"
