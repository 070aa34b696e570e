"""What every portal page must pass in the browser, wherever a flow stands: axe-core at 0
violations (WCAG 2.x A/AA rules plus best practices), no horizontal overflow, no list link,
tap-to-call number, menu link or button under 44 px, and the page with everything it loads
under 200 KB.

axe-core is vendored (``tests/portal/vendor/axe.min.js``, MPL-2.0, from the npm package
``axe-core``) and injected through the DevTools protocol, so it runs in the same way whether
the page's own JavaScript is on or off and is never counted in the page's weight. A page
without JavaScript must carry ``page.js = False`` (the ``any_browser`` fixture sets it)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

AXE_JS = Path(__file__).with_name("vendor") / "axe.min.js"
MAX_PAGE_BYTES = 200 * 1024

# Overflow and small targets as laid out; hidden elements (no layout box) are left out.
MEASURE = """() => {
  const sel = 'main li > a, a[href^="tel:"], nav.main a, main button, main .btn, .error-summary a';
  const small = [...document.querySelectorAll(sel)]
    .filter(e => e.getClientRects().length)
    .map(e => [e.textContent.trim().slice(0, 24), Math.round(e.getBoundingClientRect().height)])
    .filter(([, h]) => h < 44);
  return {width: document.documentElement.scrollWidth, viewport: window.innerWidth, small: small};
}"""

AXE_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
    resultTypes: ['violations'],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + n.failureSummary.slice(0, 160)),
  }));
}"""


# With JavaScript switched off (Playwright's java_script_enabled=False) the DevTools protocol
# still evaluates code and runs promise jobs, but timers never fire, and axe schedules its
# work with setTimeout: on such a page they are replaced, for axe only, by promise jobs. The
# page's own scripts still never run; the DOM axe checks is the one without JavaScript.
NO_TIMERS_SHIM = """() => {
  const later = (fn, ...args) => { Promise.resolve().then(() => fn(...args)); return 1; };
  window.setTimeout = (fn, ms, ...args) => later(fn, ...args);
  window.clearTimeout = () => {};
  window.requestAnimationFrame = (fn) => later(fn, performance.now());
  window.requestIdleCallback = (fn) => later(fn, {timeRemaining: () => 50, didTimeout: false});
}"""


@cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        if not getattr(page, "js", True):
            page.evaluate(NO_TIMERS_SHIM)
        page.evaluate(_axe_source())
    return page.evaluate(AXE_RUN)


def track_weight(page) -> dict[str, int]:
    """Start adding up the bytes of every response per page URL (the document and what it
    loads); returns the dict that fills as pages load."""
    sizes: dict[str, int] = {}

    def count(response):
        try:
            body = response.body()
        except Exception:  # redirects and aborted requests have no body
            return
        sizes[page.url] = sizes.get(page.url, 0) + len(body)

    page.on("response", count)
    return sizes


def page_problems(page, label: str = "") -> list:
    """Everything wrong with the page as it stands: axe violations, overflow, small targets."""
    label = label or page.url
    found = page.evaluate(MEASURE)
    problems: list = []
    if found["width"] > found["viewport"]:
        problems.append((label, "overflow", found["width"], found["viewport"]))
    if found["small"]:
        problems.append((label, "targets under 44 px", found["small"]))
    violations = axe_violations(page)
    if violations:
        problems.append((label, "axe", violations))
    return problems


def assert_page_ok(page, label: str = "") -> None:
    """A flow's checkpoint: the page it stands on passes axe, overflow and the 44 px rule."""
    problems = page_problems(page, label)
    assert problems == [], problems


def heavy_pages(sizes: dict[str, int]) -> list:
    return [(url, size) for url, size in sizes.items() if size >= MAX_PAGE_BYTES]
