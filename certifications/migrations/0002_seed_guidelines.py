from django.db import migrations

# The program's published reasons a certification fails, as citable rule ids.
GUIDELINES = [
    (
        "G01",
        "No critical or major bugs",
        "The integration has no critical or major bugs in the product's flows.",
        "critical",
    ),
    (
        "G02",
        "No exposure of sensitive information",
        "Account information, admin secrets and server information are never exposed, logged, or sent to external systems.",
        "critical",
    ),
    (
        "G03",
        "Documentation allows QA",
        "The documentation package lets the vendor's QA test the integration (user guide, QA guide with test accounts, installation guide).",
        "major",
    ),
    (
        "G04",
        "Product-specific security guidelines",
        "CSRF protection, safe redirects only, httpOnly cookies, and XSS sanitising of every output.",
        "critical",
    ),
    (
        "G05",
        "General security guidelines",
        "OWASP Top 10 respected; no eval, no shell execution, no direct uploads.",
        "critical",
    ),
    (
        "G06",
        "Product core not modified",
        "The integration does not modify the product's core code.",
        "critical",
    ),
    (
        "G07",
        "Extension interfaces respected",
        "The integration uses the product's extension interfaces and does not bypass them.",
        "major",
    ),
    (
        "G08",
        "No trace logs left in code",
        "Debug and trace logging is removed from the submitted code.",
        "minor",
    ),
    (
        "G09",
        "Dependency interfaces declared",
        "Every dependency interface the integration relies on is declared.",
        "major",
    ),
    ("G10", "Readable source", "No obscured or minified code without its source.", "major"),
    (
        "G11",
        "Static assets through the CDN mechanism",
        "Static assets are loaded through the product's CDN mechanism.",
        "minor",
    ),
    ("G12", "CHANGELOG present", "A CHANGELOG (release notes) describes this version.", "minor"),
    (
        "G13",
        "Critical setup notes present",
        "The installation guide includes every critical setup note.",
        "major",
    ),
    (
        "G14",
        "Standard UI not broken",
        "The integration does not break the product's standard UI.",
        "major",
    ),
    ("G99", "Other", "Any other reason a reviewer records, explained in the finding.", "minor"),
]


def seed(apps, schema_editor):
    Guideline = apps.get_model("certifications", "Guideline")
    for order, (code, title, description, severity) in enumerate(GUIDELINES, start=1):
        Guideline.objects.update_or_create(
            code=code,
            defaults={
                "title": title,
                "description": description,
                "severity": severity,
                "order": order,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("certifications", "Guideline").objects.filter(
        code__in=[g[0] for g in GUIDELINES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("certifications", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
