"""A security review from first contact to feedback, walked in Chromium.

A security reviewer records a review of Billing's new payout service with
Billing's Guardian supporting it; the Guardian records the readiness check and
submits; the reviewer reviews, approves and fills the end-of-review survey with
the calibration guide in view; the Guardian reads the score and the feedback
beside their own self-rating. Every page is screenshotted and checked with axe.
"""

import re

import pytest
from playwright.sync_api import expect

from portal.reviews.survey import question, shipped_guide
from tests.e2e import seed
from tests.e2e.conftest import sign_in, sign_out

pytestmark = pytest.mark.e2e

TITLE = "Payout scheduler"
FEEDBACK = "The **data flows** were clear; name the pipelines next time."


def main_nav(page):
    return page.get_by_role("navigation", name="Main")


def flash(page, text):
    expect(page.get_by_role("alert").filter(has_text=text)).to_be_visible()


def answer(page, key, label):
    group = page.get_by_role("group", name=question(key).prompt)
    group.get_by_label(label, exact=True).check()


def move(page, stage):
    page.get_by_label("Move to").select_option(label=stage)
    page.get_by_role("button", name="Move", exact=True).click()
    flash(page, f"The review is now at “{stage}”.")


def test_a_review_goes_from_engagement_to_feedback(page, portal, journey):
    reviewer, guardian = seed.REVIEWER, seed.REVIEW_GUARDIAN
    sign_in(page, portal, reviewer.email)
    main_nav(page).get_by_role("link", name="Reviews").click()
    expect(page.get_by_role("heading", name="My assigned reviews")).to_be_visible()
    journey.visited(page, "reviewer-home")
    page.get_by_role("link", name="Record a review").first.click()
    page.get_by_label("Service or feature").fill(TITLE)
    page.get_by_label("Owning team").select_option(label=guardian.team)
    page.get_by_label("Ticket link").fill("https://tickets.example.com/SEC-42")
    page.get_by_label("Supporting Guardian(s)").fill(guardian.email)
    journey.visited(page, "record-review")
    page.get_by_role("button", name="Record the review").click()
    flash(page, f"The review of “{TITLE}” is recorded.")
    expect(page.get_by_role("link", name=guardian.name)).to_be_visible()
    move(page, "Guidance given")
    journey.visited(page, "review-guidance")
    sign_out(page, reviewer.name)

    sign_in(page, portal, guardian.email)
    main_nav(page).get_by_role("link", name="Reviews").click()
    page.get_by_role("link", name=TITLE).click()
    page.get_by_role("link", name="Do the readiness check").click()
    expect(page.get_by_text(shipped_guide()["q1"]["5"].splitlines()[0])).to_be_visible()
    answer(page, "q1", "Excellent")
    answer(page, "q2", "Very Good (most resources were identified)")
    answer(page, "q3", "Yes")
    answer(page, "q4", "Very Good")
    journey.visited(page, "readiness-check")
    page.get_by_role("button", name="Save my readiness check").click()
    flash(page, "Your readiness check is saved.")
    move(page, "Implementation reviewed with the Guardian")
    move(page, "Submitted for review")
    sign_out(page, guardian.name)

    sign_in(page, portal, reviewer.email)
    main_nav(page).get_by_role("link", name="Reviews").click()
    submitted = page.get_by_role("region", name=re.compile("^Submitted for review"))
    submitted.get_by_role("link", name=TITLE).click()
    move(page, "Security review and penetration testing")
    for severity, count in (("High", "1"), ("Medium", "2"), ("Low", "3")):
        page.get_by_label(severity, exact=True).fill(count)
    page.get_by_role("button", name="Save counts").click()
    flash(page, "The finding counts are saved.")
    move(page, "Approved (signed off)")
    page.get_by_role("link", name="Fill the survey").click()
    guide = page.get_by_role("complementary", name="Calibration guide: System design")
    expect(guide.get_by_text("5 · Excellent")).to_be_visible()
    expect(
        guide.get_by_text(shipped_guide()["q1"]["1"].splitlines()[0])
    ).to_be_visible()
    answer(page, "q1", "Very Good")
    answer(page, "q2", "Neutral (some resources were identified)")
    answer(page, "q3", "Yes")
    answer(page, "q4", "n/a")
    page.get_by_label("Feedback to the Guardian(s)").fill(FEEDBACK)
    journey.visited(page, "survey")
    page.get_by_role("button", name="Submit the survey").click()
    flash(page, "Thank you: your survey is saved")
    # (0.75 + 0.5 + 1) / 3 = 0.75, Q4 n/a left out.
    expect(page.get_by_text("75/100").first).to_be_visible()
    expect(page.get_by_text(f"{guardian.name}’s self-rating")).to_be_visible()
    journey.visited(page, "review-approved")
    sign_out(page, reviewer.name)

    sign_in(page, portal, guardian.email)
    main_nav(page).get_by_role("link", name="Reviews").click()
    page.get_by_role("link", name="Reviews I supported").click()
    card = page.get_by_role("region", name=re.compile(TITLE))
    expect(card.get_by_text("75/100")).to_be_visible()
    expect(card.get_by_text("The data flows were clear", exact=False)).to_be_visible()
    expect(card.locator("strong", has_text="data flows")).to_be_visible()
    expect(card.get_by_role("columnheader", name="My self-rating")).to_be_visible()
    expect(card.get_by_role("cell", name="Excellent", exact=True)).to_be_visible()
    average = page.get_by_role("region", name="My average score")
    needed = average.get_by_text("not shown: 1 of the 3 rated reviews needed")
    expect(needed).to_be_visible()
    expect(page.get_by_text("Not shown: fewer than 3 rated reviews")).to_be_visible()
    journey.visited(page, "my-reviews")
    page.get_by_role("link", name="How scores work").click()
    expect(page.get_by_role("heading", name="How review scores work")).to_be_visible()
    journey.visited(page, "scoring")
    journey.assert_accessible()
