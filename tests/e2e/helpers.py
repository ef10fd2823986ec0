"""Things several browser tests do: read the i18n tables, run axe-core, register."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

REPO = Path(__file__).resolve().parents[2]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"


def table(lang: str) -> dict[str, Any]:
    return json.loads((REPO / "web" / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))


def flat_values(value: Any) -> list[str]:
    return [str(v) for v in value.values()] if isinstance(value, dict) else [str(value)]


def english_only_strings() -> tuple[set[str], set[str]]:
    """What would betray English in the French UI: (whole strings, fixed fragments).

    A table value without placeholders must not appear as a whole string; one
    with placeholders ("Speakers: {names}") must not appear through its fixed
    fixed fragments (six characters or more, a phrase or punctuated). Values French writes the same way
    ("Hackathon") are not counted; programme data (titles, rooms) is not in
    the table, so it is never counted.
    """
    en, fr = table("en"), table("fr")
    whole: set[str] = set()
    fragments: set[str] = set()
    for key, value in en.items():
        french = " ".join(flat_values(fr[key]))
        for text in flat_values(value):
            if text in flat_values(fr[key]):
                continue
            if "{" not in text:
                whole.add(text)
                continue
            for part in re.split(r"\{\w+\}", text):
                part = part.strip(" ·–-")
                # One bare word ("sessions") could be part of a session title; a
                # phrase or a word with its punctuation ("Speakers:") cannot.
                phrase = " " in part or any(c in part for c in ":.!?(")
                if len(part) >= 6 and phrase and part not in french:
                    fragments.add(part)
    return whole, fragments


def english_left(strings: list[str]) -> list[str]:
    whole, fragments = english_only_strings()
    return sorted({s for s in strings if s in whole or any(f in s for f in fragments)})


VISIBLE_TEXT_JS = """
() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.trim();
    if (!text) continue;
    const el = node.parentElement;
    if (!el || el.closest('script, style, noscript, [hidden]')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    out.push(text);
  }
  for (const el of document.querySelectorAll('[aria-label], [placeholder], [title]')) {
    for (const name of ['aria-label', 'placeholder', 'title']) {
      const value = el.getAttribute(name);
      if (value) out.push(value.trim());
    }
  }
  out.push(document.title);
  return out;
}
"""


def visible_strings(page: Page) -> list[str]:
    return list(page.evaluate(VISIBLE_TEXT_JS))


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[Any]:
    """axe-core (vendored) on the current page; the context must bypass CSP to inject it."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
        }
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def assert_accessible(page: Page) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    found = axe_violations(page)
    assert not found, "axe-core:\n" + "\n".join(
        f"- {v['impact']} {v['id']}: {v['help']} at {v['nodes']}" for v in found
    )


def register_in_browser(page: Page, name: str, email: str, password: str) -> None:
    page.goto("/register")
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Organisation").fill("Digital Inclusion Network")
    page.get_by_label("Country").select_option("KE")
    page.get_by_label("Stakeholder group").select_option("civil_society")
    page.get_by_role("button", name="Create my account").click()
    expect(
        page.get_by_role("link", name=re.compile(rf"^{re.escape(name)}\s*, your profile$"))
    ).to_be_visible()


def session_ids_shown(page: Page) -> list[int]:
    return [
        int(x)
        for x in page.locator("article[data-session]").evaluate_all(
            "els => els.map(e => e.dataset.session)"
        )
    ]
