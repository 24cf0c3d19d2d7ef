"""Keyboard use: Tab reaches every control, and focus can be seen.

On the sign-in and profile pages, pressing Tab again and again must land on
every visible interactive control of the page, and each one shows a focus
style (an outline or a box shadow). axe-core checks these pages too; the
journeys check every page they visit.
"""

import pytest
from playwright.sync_api import expect

from tests.e2e import seed
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

# Visible, enabled controls that take focus with Tab, in document order.
COLLECT_CONTROLS = """() => {
  const describe = (el) => {
    const text = (el.getAttribute('aria-label') || el.labels?.[0]?.textContent
                  || el.textContent || el.name || '').trim().replace(/\\s+/g, ' ');
    return `<${el.tagName.toLowerCase()}${el.type ? ' type=' + el.type : ''}> ${text}`;
  };
  window.__describe = describe;
  const candidates = document.querySelectorAll(
    'a[href], button, input, select, textarea, summary, [tabindex], [contenteditable]');
  window.__controls = [...candidates].filter((el) =>
    el.tabIndex >= 0 && !el.disabled && el.type !== 'hidden' && !el.closest('[inert]')
    && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden');
  return window.__controls.map(describe);
}"""

FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    index: window.__controls.indexOf(el),
    name: window.__describe(el),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
    shadow: style.boxShadow !== 'none',
  };
}"""


def tab_through(page):
    """Press Tab until focus has gone round the page; return controls never reached
    and controls that showed no focus style."""
    controls = page.evaluate(COLLECT_CONTROLS)
    assert controls, "the page has no interactive controls"
    reached, invisible = set(), []
    page.locator("body").focus()
    for _ in range(2 * len(controls) + 5):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["index"] < 0:
            continue
        reached.add(focused["index"])
        if not (focused["outline"] or focused["shadow"]):
            invisible.append(focused["name"])
    missed = [name for i, name in enumerate(controls) if i not in reached]
    return controls, missed, sorted(set(invisible))


def assert_keyboard_friendly(page):
    controls, missed, invisible = tab_through(page)
    assert not missed, f"Tab never reaches {missed} (of {len(controls)} controls)"
    assert not invisible, f"no visible focus style on {invisible}"


def test_sign_in_page_works_by_keyboard(page, portal, journey):
    page.goto(portal.url("/auth/login"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert_keyboard_friendly(page)
    journey.visited(page, "sign-in")
    journey.assert_accessible()


def test_profile_page_works_by_keyboard(page, portal, journey):
    sign_in(page, portal, seed.KEYBOARD_USER.email)
    page.goto(portal.url("/profile"))
    expect(page.get_by_role("heading", name="Edit your profile")).to_be_visible()
    assert_keyboard_friendly(page)
    journey.visited(page, "profile")
    journey.assert_accessible()
