"""Pilots whose every text field is an attack on a renderer, for the tests that user text is shown as typed.

Each field holds Markdown (an image that would fetch ``base``, a link), a Streamlit directive (``:red[...]``),
HTML (``<a href>``, ``<img>``, which Plotly's pseudo-HTML and the report would draw) or a line break
followed by a heading. Every link's text carries a word ending in ``LINK`` and every URL points at
``base``: a test serving ``base`` sees any request a browser makes for them, and a test reading the page
finds any ``<a>`` element made from them.
"""

from __future__ import annotations

from dataclasses import dataclass

from readiness.assessment import Assessment, parse_assessment
from tests.factories import assessment_data, red_metrics

# The words that mark a link made of user text (every payload's link text is one of them).
LINK_WORDS = ("NAMELINK", "DIRECTIVELINK", "HEADINGLINK", "UNITLINK", "TEAMLINK", "SPONSORLINK", "BYLINK",
              "QUERYLINK")  # fmt: skip


@dataclass(frozen=True)
class Payloads:
    """The attacks, all pointing at ``base`` (``http://127.0.0.1:<port>``)."""

    base: str

    @property
    def image_name(self) -> str:
        """A Markdown image: fetched from ``base`` by every viewer's browser if rendered."""
        return f"![NAMELINK]({self.base}/name.png) Claims"

    @property
    def html_name(self) -> str:
        """HTML: a link and an image in Plotly's text and in the report if not escaped."""
        return f'<a href="{self.base}/name">NAMELINK</a> <b>bold</b> <img src="{self.base}/name-img.png">'

    @property
    def directive_name(self) -> str:
        """A Streamlit colour directive around a phishing line with a bare URL and a link."""
        return f":red[**URGENT: re-login at {self.base}/login or [DIRECTIVELINK]({self.base}/login)**]"

    @property
    def heading_name(self) -> str:
        """A line break then a heading (a name stored before names were checked for control characters)."""
        return "Line one\n# HEADINGLINK"

    @property
    def unit(self) -> str:
        return f'<a href="{self.base}/unit">UNITLINK</a> ![u]({self.base}/unit.png)'

    @property
    def team(self) -> str:
        return f"[TEAMLINK]({self.base}/team) <img src={self.base}/team.png>"

    @property
    def sponsor(self) -> str:
        return f"![s]({self.base}/sponsor.png) [SPONSORLINK]({self.base}/sponsor) **boss**"

    @property
    def submitter(self) -> str:
        return f"[BYLINK]({self.base}/by) ![b]({self.base}/by.png)"

    @property
    def query(self) -> str:
        """A ``?pilot=`` value naming no pilot (the page echoes it in a warning)."""
        return f"![q]({self.base}/query.png) [QUERYLINK]({self.base}/query)"

    @property
    def names(self) -> list[str]:
        return [self.image_name, self.html_name, self.directive_name, self.heading_name]

    @property
    def all(self) -> list[str]:
        """Every payload stored in a text field or put in the URL."""
        return [*self.names, self.unit, self.team, self.sponsor, self.submitter, self.query]


def payload_assessments(payloads: Payloads) -> list[Assessment]:
    """Four pilots named by the payloads, each with the unit, team, sponsor and submitter payloads.

    The image-named pilot has two snapshots (so its page compares them) and has been in the pilot stage since
    2024 (so it is stalled, named in the Stalled tile's help); the HTML-named one is the least ready and was
    last assessed in June (stale beside the others' November: named in the Compare page's note); all report
    value and cost (so the value matrix names them)."""
    context = {"business_unit": payloads.unit, "owning_team": payloads.team, "executive_sponsor": payloads.sponsor,
               "stage": "pilot", "start_date": "2024-01-01", "expected_annual_value": 900_000.0,
               "monthly_run_cost": 20_000.0}  # fmt: skip

    def snapshot(name: str, as_of: str, *, red: bool = False, no: tuple[str, ...] = ()) -> Assessment:
        data = assessment_data({q: "no" for q in no}, red_metrics() if red else None, name=name, **context)
        data.update(as_of=as_of, submitted_by=payloads.submitter)
        return parse_assessment(data)

    image = [snapshot(payloads.image_name, "2026-10-01", no=("DATA-1",)), snapshot(payloads.image_name, "2026-11-01")]
    html = snapshot(payloads.html_name, "2026-06-01", red=True)
    directive = snapshot(payloads.directive_name, "2026-11-01", no=("DATA-1", "TRUST-1"))
    # Names are now refused with a line break in them; one stored before that is still shown: the row is
    # renamed after validation, as such a row reads back from the store.
    base = snapshot("Line one", "2026-11-01", red=True)
    heading = base.model_copy(update={"pilot": base.pilot.model_copy(update={"name": payloads.heading_name})})
    return [*image, html, directive, heading]
