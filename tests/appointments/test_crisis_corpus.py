"""The labelled crisis corpus (crisis_corpus.tsv, described in crisis_corpus.md) is the urgent
flag's test: every message is saved as a request arrives, and the flag on the stored request is
compared with the clinician's label. It fails below 95 % recall (risk messages flagged) or above
20 % false flags (benign messages flagged), and prints both, overall, per language and per kind
(`pytest -s` shows them; a failure shows them too, with the messages it got wrong)."""

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from .factories import make_request

CORPUS = Path(__file__).with_name("crisis_corpus.tsv")
MIN_RECALL = 0.95
MAX_FALSE_FLAGS = 0.20


def corpus():
    with CORPUS.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def rate(rows):
    return sum(row["flagged"] for row in rows) / len(rows) if rows else 0.0


def report(rows):
    """Recall and false-flag rate, overall, per language and per kind, as a table."""
    lines = [f"{'':34} {'n':>4} {'flagged':>8}"]
    groups = defaultdict(list)
    for row in rows:
        groups[(row["label"], "all")].append(row)
        groups[(row["label"], f"language {row['language']}")].append(row)
        groups[(row["label"], f"kind {row['kind']}")].append(row)
    for label, name in (("risk", "recall"), ("benign", "false flags")):
        lines.append(f"{label} ({name}):")
        for (group_label, key), members in sorted(groups.items()):
            if group_label == label:
                lines.append(f"  {key:32} {len(members):>4} {rate(members):>8.1%}")
    missed = [r for r in rows if r["label"] == "risk" and not r["flagged"]]
    false = [r for r in rows if r["label"] == "benign" and r["flagged"]]
    for title, wrong in (("missed", missed), ("false flags", false)):
        lines.append(f"{title} ({len(wrong)}):")
        lines += [f"  {r['id']} [{', '.join(r['reasons'])}] {r['message']}" for r in wrong]
    return "\n".join(lines)


@pytest.mark.django_db
def test_the_urgent_flag_finds_the_corpus_risk_messages_and_spares_the_benign():
    rows = corpus()
    assert len(rows) >= 260
    assert {row["label"] for row in rows} == {"risk", "benign"}
    for row in rows:
        request = make_request(message=row["message"])
        request.refresh_from_db()
        row["flagged"], row["reasons"] = request.urgent, request.urgent_reasons

    recall = rate([r for r in rows if r["label"] == "risk"])
    false_flags = rate([r for r in rows if r["label"] == "benign"])
    table = report(rows)
    print(f"\nrecall {recall:.1%}, false flags {false_flags:.1%}\n{table}")
    assert recall >= MIN_RECALL and false_flags <= MAX_FALSE_FLAGS, (
        f"recall {recall:.1%} (at least {MIN_RECALL:.0%}), false flags {false_flags:.1%} "
        f"(at most {MAX_FALSE_FLAGS:.0%})\n{table}"
    )
