"""One source of truth for references: every preset cites keys of ``rnninit.references``, and every
citation written in the docs, the README, the experiment files and the library's docstrings names a
paper of that registry with the same authors and year (and, where a title is quoted after it, the
same title); every arXiv id written there is a registry paper's.

A citation is ``Surname, Surname & Surname YEAR`` (all authors, as the registry lists them),
``Surname et al. YEAR`` (three or more authors) or ``Surname YEAR`` (one author), the year optionally
in parentheses. A lone capitalized word before a year counts only if it is a registry surname, so
prose such as "In 2015" is not mistaken for a citation."""

from __future__ import annotations

import doctest
import re

import pytest
from helpers import ROOT

import rnninit.references
from rnninit.references import REFERENCES, Code, Paper, cite
from rnninit.spec import PRESETS

CITING_FILES = sorted(
    [ROOT / "README.md", *ROOT.glob("docs/**/*.md"), *ROOT.glob("docs/**/*.yaml")]
    + [*ROOT.glob("src/rnninit/**/*.py"), *ROOT.glob("src/rnninit/**/*.yaml")]
)
PAPERS = {key: ref for key, ref in REFERENCES.items() if isinstance(ref, Paper)}
SURNAMES = {name for paper in PAPERS.values() for name in paper.authors}

NAME = r"(?:van |de |von )?[A-Z][\w'’-]*"
CITATION = re.compile(
    rf"(?<![\w.])(?P<authors>{NAME}(?:, {NAME})*(?:,? (?:&|and) {NAME})|{NAME} et al\.|{NAME})"
    r",? \(?(?P<year>(?:19|20)\d\d)\)?(?![\d.]*\d)"
    r"(?P<title>(?:,|'s)? ['\"“](?P<quoted>[^'\"”]{8,})['\"”])?"
)
ARXIV = re.compile(r"arXiv[: ]+(?P<id>\d{4}\.\d{4,5}|[a-z-]+/\d{7})")


def flat(text: str) -> str:
    """``text`` with line breaks (and a comment's ``#``) folded into spaces, so a citation wrapped
    over two lines reads as one."""
    return re.sub(r"\s*\n\s*(?:#+ ?)?", " ", text)


def papers_cited_as(authors: str, year: int) -> list[str]:
    if authors.endswith(" et al."):
        first = authors.removesuffix(" et al.")
        return [
            k for k, p in PAPERS.items() if p.year == year and p.authors[0] == first and len(p.authors) >= 3
        ]
    names = tuple(re.split(r", |,? & |,? and ", authors))
    while len(names) > 1 and names[0] not in SURNAMES:
        names = names[1:]  # "MNIST, Le, Jaitly & Hinton 2015": a word before the author list
    return [k for k, p in PAPERS.items() if p.year == year and p.authors == names]


def title_matches(quoted: str, title: str) -> bool:
    """The full title, or its main part (before ``: `` or `` (``), in any case."""
    quoted, title = quoted.rstrip(".").casefold(), title.casefold()
    return quoted == title or (title.startswith(quoted) and title[len(quoted) :][:2] in (": ", " ("))


def citations(text: str) -> list[re.Match]:
    found = []
    for match in CITATION.finditer(flat(text)):
        authors = match["authors"]
        if " " not in authors.strip() and "," not in authors and authors not in SURNAMES:
            continue  # a capitalized word before a year ("In 2015"), not a known single author
        found.append(match)
    return found


def test_every_preset_cites_registry_keys_and_its_source_is_written_from_them():
    for name, preset in PRESETS.items():
        assert preset.keys, name
        for key in preset.keys:
            assert key in REFERENCES, f"preset {name} cites {key!r}, which rnninit.references lacks"
            assert cite(key) in preset.source
    assert {k for k, ref in REFERENCES.items() if isinstance(ref, Code)} <= {
        key for preset in PRESETS.values() for key in preset.keys
    }, "a framework-code reference that no preset uses"


def test_the_registry_is_well_formed():
    for key, paper in PAPERS.items():
        assert paper.authors and all(name.strip() == name and name for name in paper.authors), key
        assert 1900 < paper.year < 2100 and paper.title == paper.title.strip(), key
        assert re.fullmatch(rf"[a-z_]+{paper.year}", key), f"{key}: keys are surname + year"
    assert cite("le2015").startswith("Le, Jaitly & Hinton 2015, ")
    assert PAPERS["cho2014"].short == "Cho et al. 2014"
    with pytest.raises(KeyError, match="no reference 'nobody1999'"):
        cite("nobody1999")
    assert doctest.testmod(rnninit.references).failed == 0


@pytest.mark.parametrize("path", CITING_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_citation_matches_the_registry(path):
    problems = []
    for match in citations(path.read_text()):
        authors, year = match["authors"], int(match["year"])
        keys = papers_cited_as(authors, year)
        if len(keys) != 1:
            near = [p.short for p in PAPERS.values() if authors.split(",")[0].split()[0] in p.authors]
            problems.append(
                f"'{authors} {year}' names {len(keys)} papers of rnninit/references.py"
                + (f" (papers by these authors there: {', '.join(near)})" if near else " (add it there)")
            )
        elif match["quoted"] and not title_matches(match["quoted"], PAPERS[keys[0]].title):
            problems.append(
                f"'{authors} {year}' is titled {PAPERS[keys[0]].title!r}, not {match['quoted']!r}"
            )
    assert not problems, f"{path.relative_to(ROOT)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", CITING_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_arxiv_id_is_a_registry_paper(path):
    known = {p.arxiv for p in PAPERS.values() if p.arxiv}
    unknown = {m["id"] for m in ARXIV.finditer(flat(path.read_text()))} - known
    assert not unknown, (
        f"{path.relative_to(ROOT)} cites arXiv {sorted(unknown)}, not in rnninit/references.py"
    )


def test_the_citation_reader_finds_what_it_should():
    text = (
        "As Le, Jaitly &\n    # Hinton 2015 show; He et al. (2015); In 2015 nothing; Jaeger 2001;\n"
        "Tallec & Ollivier 2018, 'Can recurrent neural networks warp time?'; Saxe et al. 2013."
    )
    found = [(m["authors"], m["year"], m["quoted"]) for m in citations(text)]
    assert found == [
        ("Le, Jaitly & Hinton", "2015", None),
        ("He et al.", "2015", None),
        ("Jaeger", "2001", None),
        ("Tallec & Ollivier", "2018", "Can recurrent neural networks warp time?"),
        ("Saxe et al.", "2013", None),
    ]
    assert papers_cited_as("Saxe et al.", 2013) == []  # a wrong year is caught
    assert papers_cited_as("MNIST, Le, Jaitly & Hinton", 2015) == ["le2015"]
    assert papers_cited_as("Le & Hinton", 2015) == []  # so is a wrong author list
    title = PAPERS["saxe2014"].title
    assert title_matches(title.upper(), title)
    assert not title_matches("Exact solutions to the nonlinear dynamics of learning", title)
    assert title_matches("Independently recurrent neural network", PAPERS["li2018"].title)
    assert papers_cited_as("Saxe et al.", 2014) == ["saxe2014"]
