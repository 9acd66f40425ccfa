from pathlib import Path

from certifications.diagram import document, transitions

ROOT = Path(__file__).resolve().parents[2]


def test_docs_diagram_is_generated_from_the_code():
    committed = (ROOT / "docs" / "state-machine.md").read_text()
    assert committed == document(), "run: python manage.py request_state_diagram --write"


def test_diagram_has_the_program_edges():
    edges = {(s, t) for s, t, _ in transitions()}
    for edge in [
        ("draft", "submitted"),
        ("submitted", "user_testing"),
        ("submitted", "changes_requested"),
        ("user_testing", "code_review"),
        ("user_testing", "changes_requested"),
        ("code_review", "certified"),
        ("code_review", "changes_requested"),
        ("changes_requested", "user_testing"),  # resubmission is always re-tested
        ("certified", "published"),
        ("draft", "withdrawn"),
    ]:
        assert edge in edges
    assert ("changes_requested", "code_review") not in edges
    assert not any(s in ("withdrawn", "rejected", "revoked") for s, _, _ in transitions())
    # A published version leaves only by revoking its seal (issue 15, two-person rule).
    assert {t for s, t, _ in transitions() if s == "published"} == {"revoked"}
