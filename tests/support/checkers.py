"""What the browser tests check every page with: axe-core's rules (run in the page) and the
security headers every HTML response carries."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# Every rule axe-core runs by default, and WCAG 2.2's target size (2.5.8, AA: 24 by 24 px, or
# that much space around a smaller target), which axe-core 4 leaves off unless asked.
AXE_OPTIONS = "{resultTypes: ['violations'], rules: {'target-size': {enabled: true}}}"
RUN_AXE = f"() => axe.run(document, {AXE_OPTIONS}).then((r) => r.violations)"


def describe_violation(url, violation):
    lines = [f"{url}: {violation['id']} ({violation['impact']}): {violation['help']}"]
    lines.append(f"    {violation['helpUrl']}")
    for node in violation["nodes"][:5]:
        target = " ".join(str(part) for part in node["target"])
        lines.append(f"    at {target}: {' '.join(node.get('failureSummary', '').split())}")
    if len(violation["nodes"]) > 5:
        lines.append(f"    ... and {len(violation['nodes']) - 5} more elements")
    return "\n".join(lines)


def security_header_problems(headers):
    """What is missing or weak in one response's headers; [] when all is well."""
    headers = {name.lower(): value for name, value in headers.items()}
    csp = headers.get("content-security-policy", "")
    directives = dict(
        (part.strip().split(None, 1) + [""])[:2] for part in csp.split(";") if part.strip()
    )
    problems = []
    if not csp:
        problems.append("no Content-Security-Policy")
    if "'unsafe-inline'" in csp or "'unsafe-eval'" in csp:
        problems.append(f"the CSP allows inline or eval'd code: {csp}")
    for directive, value in [("default-src", "'self'"), ("object-src", "'none'"),
                             ("base-uri", "'none'")]:  # fmt: skip
        if directives.get(directive) != value:
            problems.append(f"CSP {directive} is {directives.get(directive)!r}, not {value}")
    if headers.get("x-content-type-options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if headers.get("referrer-policy") != "same-origin":
        problems.append(f"Referrer-Policy is {headers.get('referrer-policy')!r}")
    if headers.get("cross-origin-opener-policy") != "same-origin":
        problems.append(
            f"Cross-Origin-Opener-Policy is {headers.get('cross-origin-opener-policy')!r}"
        )
    policy = headers.get("permissions-policy", "")
    for feature in ("camera=()", "geolocation=()", "microphone=()"):
        if feature not in policy:
            problems.append(f"Permissions-Policy {policy!r} does not switch off {feature}")
    if headers.get("x-frame-options") != "DENY" and directives.get("frame-ancestors") != "'none'":
        problems.append("the page may be framed (no X-Frame-Options: DENY, no frame-ancestors)")
    return problems
