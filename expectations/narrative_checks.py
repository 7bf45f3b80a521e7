"""The office's checks on published reports, as warnings (docs/template.md §4, S6 and C1–C3).

- **S6** — a number the narrative states (``xxgk.narrative.CLAIMS``) differs from the table
  cells it describes (corrections applied).
- **C1** — a narrative section's text is nearly the same (Jaccard similarity of its shingles
  ≥ ``OFFICE.copied_text_similarity``) as the same body's previous report's, or as another
  body's report of the same year (内容雷同, 国办公开办函〔2021〕30号).
- **C2** — the tables print exactly the same numbers (at least
  ``OFFICE.identical_numbers_min_nonzero`` of them non-zero) as the same body's previous report
  or another body's report of the same year.
- **C3** — the report was published after its legal deadline (条例 第四十九条; the date the
  document prints, ``stg_publication``).

They run in the gate after the verdicts are written, over the current published reports only,
and their rows go to ``staging.gate_warnings`` with the soft identities', so they join
``marts.report_warnings`` and ``dim_report.n_warnings``. A warning never holds a report back.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from expectations import text_memory
from xxgk import similarity
from xxgk.narrative import CLAIMS
from xxgk.settings import OFFICE, OfficeSettings

COLUMNS = [
    "document_id",
    "identity_id",
    "equation_id",
    "check_id",
    "anchor_document_id",
    "document_ids",
    "report_years",
    "relation",
    "lhs_value",
    "rhs_value",
    "difference",
    "cells",
    "description",
]
SECTION_LABELS = {"s1": "一、总体情况", "s5": "五、存在的主要问题及改进情况", "s6": "六、其他需要报告的事项"}
KIND_LABELS = {"department": "部门", "government": "县级以上人民政府", "township": "乡镇、街道"}
_CLAIMS = {c.code: c for c in CLAIMS}
log = logging.getLogger(__name__)

_REPORTS = """
    select documents.document_id, documents.body_id, documents.body_name, documents.report_year,
           coalesce(roster.roster_body_kind, names.body_kind) as body_kind
    from intermediate.int_report_versions as versions
    inner join intermediate.int_documents as documents
        on versions.document_id = documents.document_id
    left join (select distinct body_id, body_kind from intermediate.int_body_names) as names
        on documents.body_id = names.body_id
    left join (
        select body_id, any_value(roster_body_kind) as roster_body_kind
        from intermediate.int_roster_bodies group by body_id
    ) as roster
        on documents.body_id = roster.body_id
    where versions.is_current and versions.is_published and documents.body_id is not null
"""


@dataclass(frozen=True)
class CurrentReport:
    document_id: str
    body_id: str
    body_name: str
    report_year: int
    body_kind: str | None


def warnings_frame(con: duckdb.DuckDBPyConnection, settings: OfficeSettings = OFFICE) -> pd.DataFrame:
    """Every S6 and C1–C3 warning on the current published reports, in gate_warnings' columns.

    ``con`` is writable: C1 keeps the signatures and similarities it computed (``text_memory``).
    """
    reports = {r[0]: CurrentReport(*r) for r in con.execute(_REPORTS).fetchall()}
    rows: list[dict[str, Any]] = []
    if reports:
        ids = list(reports)
        rows += _s6(con, reports, ids)
        rows += _copied_text(con, reports, ids, settings)
        rows += _identical_numbers(con, reports, ids, settings)
        rows += _late(con, reports, ids, settings)
    return pd.DataFrame(rows, columns=COLUMNS)


def deadline(report_year: int, body_kind: str | None, settings: OfficeSettings = OFFICE) -> tuple[date, str]:
    """The legal deadline of a body's report on ``report_year`` and the kind it was set by."""
    kind = {"government": "government", "township": "township", "subdistrict": "township"}.get(
        body_kind or "", "department"
    )
    month, day = {
        "government": settings.deadline_government,
        "township": settings.deadline_township,
        "department": settings.deadline_department,
    }[kind]
    return date(report_year + 1, month, day), kind


def _row(
    doc: CurrentReport,
    identity: str,
    equation: str,
    check: str,
    involved: list[CurrentReport],
    relation: str,
    lhs: Decimal | None,
    rhs: Decimal | None,
    cells: str,
    description: str,
) -> dict[str, Any]:
    involved = sorted(involved, key=lambda r: (r.report_year, r.document_id))
    return {
        "document_id": doc.document_id,
        "identity_id": identity,
        "equation_id": equation,
        "check_id": check,
        "anchor_document_id": involved[-1].document_id,
        "document_ids": ",".join(r.document_id for r in involved),
        "report_years": ",".join(str(r.report_year) for r in involved),
        "relation": relation,
        "lhs_value": lhs,
        "rhs_value": rhs,
        "difference": None if lhs is None or rhs is None else lhs - rhs,
        "cells": cells,
        "description": description,
    }


def _s6(
    con: duckdb.DuckDBPyConnection, reports: dict[str, CurrentReport], ids: list[str]
) -> list[dict[str, Any]]:
    claims = con.execute(
        """
        select claims.document_id, claims.claim_seq, claims.claim_id, claims.value, claims.cells,
               claims.raw_text, claims.line,
               count(cells.value) as n_values, sum(cells.value) as table_value
        from stg.stg_narrative_claims as claims
        cross join unnest(claims.cells) as wanted(cell_id)
        left join intermediate.int_cells_corrected as cells
            on claims.document_id = cells.document_id and wanted.cell_id = cells.cell_id
        where claims.document_id in (select unnest(?::varchar[]))
        group by all
        order by claims.document_id, claims.claim_seq
        """,
        [ids],
    ).fetchall()
    rows = []
    for doc_id, seq, claim_id, value, cells, raw, line, n_values, table_value in claims:
        if n_values < len(cells):
            continue  # a cell the table lacks or left unread proves nothing
        claim = _CLAIMS.get(claim_id)
        relation = claim.relation if claim else "="
        claimed = claim.in_table_unit(Decimal(value), raw) if claim else Decimal(value)
        table = Decimal(table_value)
        if claimed == table or (relation == "<=" and claimed < table):
            continue
        doc = reports[doc_id]
        label = claim.label if claim else claim_id
        if relation == "<=":
            said = f"即{label} {_plain(claimed)} 万元"
            table_says = f"超过表格第二十条第（八）项本年收费金额 {_plain(table)} 万元"
        else:
            said, table_says = f"即{label} {_plain(value)}", f"表格为 {_plain(table)}"
        rows.append(
            _row(
                doc,
                "S6",
                claim_id,
                f"{claim_id}#{seq}@{doc.report_year}",
                [doc],
                relation,
                claimed,
                table,
                ",".join(f"{doc.report_year}:{c}" for c in cells),
                f"正文{_at_lines(line, line)}称“{raw}”，{said}；{table_says}",
            )
        )
    return rows


def _previous_reports(reports: dict[str, CurrentReport]) -> dict[str, str]:
    """Each report's body's latest current report of an earlier year."""
    by_body: dict[str, list[CurrentReport]] = defaultdict(list)
    for r in reports.values():
        by_body[r.body_id].append(r)
    previous = {}
    for rs in by_body.values():
        rs.sort(key=lambda r: r.report_year)
        for earlier, later in zip(rs, rs[1:], strict=False):
            previous[later.document_id] = earlier.document_id
    return previous


def _pair_rows(
    reports: dict[str, CurrentReport], a: str, b: str, relation: str, make: Any
) -> list[dict[str, Any]]:
    # A copy of the year before warns on the later report only; two bodies' same-year reports
    # warn on both (which one copied is not for xxgk to say).
    ra, rb = reports[a], reports[b]
    if relation == "previous":
        later, earlier = (ra, rb) if ra.report_year > rb.report_year else (rb, ra)
        return [make(later, earlier)]
    return [make(ra, rb), make(rb, ra)]


def _copied_text(
    con: duckdb.DuckDBPyConnection,
    reports: dict[str, CurrentReport],
    ids: list[str],
    settings: OfficeSettings,
) -> list[dict[str, Any]]:
    previous = _previous_reports(reports)
    rows: list[dict[str, Any]] = []
    lines: dict[tuple[str, str], tuple[int | None, int | None]] = {}
    # A report re-dated from the year before warns on the later one; among other bodies' reports
    # of the same year, each section warns once, naming its most similar peer and how many more
    # reach the threshold (one row per pair would grow with the square of a shared boilerplate).
    best_peer: dict[tuple[str, str], tuple[float, str, int]] = {}
    # Signatures and similarities computed before are reused (``text_memory``).
    memory = text_memory.TextMemory(con, settings)
    # One section at a time: only its texts are held (sections are never compared across).
    for section in SECTION_LABELS:
        texts = memory.section(ids, section)
        lines.update(
            ((doc_id, section), at) for doc_id, at in zip(texts.document_ids, texts.lines, strict=True)
        )
        _compare_section(reports, previous, section, texts, memory, settings, lines, rows, best_peer)
    memory.prune()
    log.info(
        "copied text (C1): %d texts and %d pairs of texts compared now, the others as remembered",
        memory.n_texts_computed,
        memory.n_pairs_computed,
    )
    for (doc_id, section), (score, other_id, n) in sorted(best_peer.items()):
        rows.append(
            _copied_row(reports[doc_id], reports[other_id], section, score, "peer", n - 1, lines, settings)
        )
    return rows


def _compare_section(
    reports: dict[str, CurrentReport],
    previous: dict[str, str],
    section: str,
    texts: text_memory.SectionTexts,
    memory: text_memory.TextMemory,
    settings: OfficeSettings,
    lines: Mapping[tuple[str, str], tuple[int | None, int | None]],
    rows: list[dict[str, Any]],
    best_peer: dict[tuple[str, str], tuple[float, str, int]],
) -> None:
    """C1 within one section: "previous" rows into ``rows``, each report's best peer into ``best_peer``."""
    a, b, of_body = _compared(reports, previous, texts, settings)
    scores = memory.scores(texts, section, a, b)
    hit = scores >= settings.copied_text_similarity
    keys = texts.document_ids
    for i, j, is_previous, score in zip(
        a[hit].tolist(), b[hit].tolist(), of_body[hit].tolist(), scores[hit].tolist(), strict=True
    ):
        if is_previous:
            rows += _pair_rows(
                reports,
                keys[i],
                keys[j],
                "previous",
                lambda doc, other, s=section, f=score: _copied_row(
                    doc, other, s, f, "previous", 0, lines, settings
                ),
            )
            continue
        for doc, other in ((keys[i], keys[j]), (keys[j], keys[i])):
            seen = best_peer.get((doc, section))
            if seen is None:
                best_peer[(doc, section)] = (score, other, 1)
            elif score > seen[0] or (score == seen[0] and other < seen[1]):
                best_peer[(doc, section)] = (score, other, seen[2] + 1)
            else:
                best_peer[(doc, section)] = (seen[0], seen[1], seen[2] + 1)


def _compared(
    reports: dict[str, CurrentReport],
    previous: dict[str, str],
    texts: text_memory.SectionTexts,
    settings: OfficeSettings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs compared, as rows (a, b) of ``texts`` sorted, and whether each is 'previous'
    (same body, its report of the year before) rather than 'peer' (another body, same year).

    Each report is compared with its previous one, always: a pair per report.  Its peers are
    the candidates of LSH (``similarity.banded_pairs``), kept within the banding: at 100 000
    reports a section has millions of candidates.  Were the previous report left to LSH too, a
    template that more than ``minhash_bucket_peers`` bodies share could keep the two apart.
    """
    keys = texts.document_ids  # in id order: the pairs come sorted by id
    index = {k: i for i, k in enumerate(keys)}
    body_codes = {b: i for i, b in enumerate(sorted({reports[k].body_id for k in keys}))}
    body = np.array([body_codes[reports[k].body_id] for k in keys], dtype=np.int64)
    year = np.array([reports[k].report_year for k in keys], dtype=np.int64)
    signed = np.flatnonzero(texts.has_shingles)  # an empty set is never paired
    signed_body, signed_year = body[signed], year[signed]
    peers = signed[
        similarity.banded_pairs(
            texts.signatures[signed],
            settings.minhash_bands,
            settings.minhash_bucket_peers,
            comparable=lambda x, y: (signed_body[x] != signed_body[y]) & (signed_year[x] == signed_year[y]),
        )
    ]
    with_previous = np.array(
        [
            (index[k], index[p])
            for k, p in previous.items()
            if k in index and p in index and texts.has_shingles[index[k]] and texts.has_shingles[index[p]]
        ],
        dtype=np.int64,
    ).reshape(-1, 2)
    pairs = np.concatenate([peers, np.sort(with_previous, axis=1)])
    is_previous = np.r_[np.zeros(len(peers), dtype=bool), np.ones(len(with_previous), dtype=bool)]
    order = np.lexsort((pairs[:, 1], pairs[:, 0]))
    return pairs[order, 0], pairs[order, 1], is_previous[order]


def _copied_row(
    doc: CurrentReport,
    other: CurrentReport,
    section: str,
    score: float,
    relation: str,
    more_peers: int,
    lines: Mapping[tuple[str, str], tuple[int | None, int | None]],
    settings: OfficeSettings,
) -> dict[str, Any]:
    figure = Decimal(f"{score:.4f}")
    line, line_to = lines[(doc.document_id, section)]
    whom = "本机关上一年度" if relation == "previous" else f"{other.body_name} 同年度"
    more = f"；另有至少 {more_peers} 份同年度报告的这一部分也达到阈值" if more_peers else ""
    return _row(
        doc,
        "C1",
        f"C1:{section}",
        f"C1:{section}:{relation}:{other.document_id[:16]}",
        [doc, other],
        "<",
        figure,
        Decimal(str(settings.copied_text_similarity)),
        "",
        f"{SECTION_LABELS[section]}{_at_lines(line, line_to)}与{whom}"
        f"（{other.report_year} 年）报告的同一部分文字相似度 {float(figure):.0%}"
        f"（阈值 {settings.copied_text_similarity:.0%}）{more}：疑似内容雷同",
    )


def _identical_numbers(
    con: duckdb.DuckDBPyConnection,
    reports: dict[str, CurrentReport],
    ids: list[str],
    settings: OfficeSettings,
) -> list[dict[str, Any]]:
    # Each report's numbers as a set of (cell, value), digested in DuckDB: reports print the
    # same numbers when their digests are equal (the sets are not held in Python: ~190 cells a
    # report, for every current report of the warehouse).  A cell has one value in a report (the
    # key of int_cells_corrected), so the set is the report's rows, and its digest is order-free
    # (two sums of 64-bit hashes, with the count): a fixed-size state per report, no sort.  An
    # md5 of the sorted numbers ran out of DuckDB's 1 GB at 100 000 reports.
    numbers = con.execute(
        """
        with numbers as (
            select document_id, cell_id || '=' || cast(value as varchar) as number, value <> 0 as is_nonzero
            from intermediate.int_cells_corrected
            where document_id in (select unnest(?::varchar[])) and value is not null
        )
        select document_id,
               concat_ws(':', sum(hash(number)::hugeint), sum(hash(number, 'xxgk')::hugeint)) as numbers,
               count(*) as n_cells,
               count(*) filter (where is_nonzero) as n_nonzero
        from numbers
        group by document_id
        having count(*) filter (where is_nonzero) >= ?
        order by document_id
        """,
        [ids, settings.identical_numbers_min_nonzero],
    ).fetchall()
    groups: dict[tuple[str, int, int], list[str]] = defaultdict(list)
    for doc_id, digest, n_cells, n_nonzero in numbers:
        groups[(digest, n_cells, n_nonzero)].append(doc_id)
    previous = _previous_reports(reports)
    rows: list[dict[str, Any]] = []
    for (_digest, n_cells, n_nonzero), docs in groups.items():
        if len(docs) < 2:
            continue

        def make(
            doc: CurrentReport,
            other: CurrentReport,
            relation: str,
            more_peers: int = 0,
            n_cells: int = n_cells,
            n_nonzero: int = n_nonzero,
        ) -> dict[str, Any]:
            whom = "本机关上一年度" if relation == "previous" else f"{other.body_name} 同年度"
            more = f"；另有 {more_peers} 份同年度报告的表格也与之完全相同" if more_peers else ""
            return _row(
                doc,
                "C2",
                "C2:tables",
                f"C2:{relation}:{other.document_id[:16]}",
                [doc, other],
                "<",
                Decimal(n_cells),
                Decimal(n_cells),
                "",
                f"表格的全部 {n_cells} 个数字（其中 {n_nonzero} 个非零）与{whom}"
                f"（{other.report_year} 年）报告完全相同{more}：疑似照抄数据",
            )

        ordered = sorted(docs)
        in_group = set(ordered)
        # A copy of the body's report of the year before warns on the later report.
        for doc_id in ordered:
            earlier = previous.get(doc_id)
            if earlier in in_group:
                rows.append(make(reports[doc_id], reports[earlier], "previous"))
        # Other bodies' reports of the same year: each warns once, naming the first of them and
        # how many more there are (one row per pair would grow with the square of a table
        # printed by many bodies, as C1 does for text).
        by_year: dict[int, list[str]] = defaultdict(list)
        for doc_id in ordered:
            by_year[reports[doc_id].report_year].append(doc_id)
        for same_year in by_year.values():
            per_body = Counter(reports[d].body_id for d in same_year)
            for doc_id in same_year:
                body = reports[doc_id].body_id
                n_peers = len(same_year) - per_body[body]
                if n_peers:
                    first = next(d for d in same_year if reports[d].body_id != body)
                    rows.append(make(reports[doc_id], reports[first], "peer", n_peers - 1))
    return rows


def _late(
    con: duckdb.DuckDBPyConnection,
    reports: dict[str, CurrentReport],
    ids: list[str],
    settings: OfficeSettings,
) -> list[dict[str, Any]]:
    published = con.execute(
        "select document_id, published_on, published_basis, published_raw, published_line "
        "from stg.stg_publication where published_on is not null "
        "and document_id in (select unnest(?::varchar[]))",
        [ids],
    ).fetchall()
    rows = []
    for doc_id, on, basis, raw, line in published:
        doc = reports[doc_id]
        due, kind = deadline(doc.report_year, doc.body_kind, settings)
        days = (on - due).days
        if days <= 0:
            continue
        where = "页面发布时间" if basis == "page" else "落款日期"
        rows.append(
            _row(
                doc,
                "C3",
                f"C3:{kind}",
                f"C3@{doc.report_year}",
                [doc],
                "<=",
                Decimal(days),
                Decimal(0),
                "",
                f"{where}（第 {line} 行“{raw}”）为 {on.isoformat()}，晚于{KIND_LABELS[kind]}的法定期限 "
                f"{due.isoformat()}（条例 第四十九条）{days} 天",
            )
        )
    return rows


def _at_lines(line: int | None, line_to: int | None) -> str:
    """Where in the text, when the reading kept its lines (a PDF's narrative may not)."""
    if line is None:
        return ""
    return f"（第 {line} 行）" if line_to in (None, line) else f"（第 {line}–{line_to} 行）"


def _plain(value: Any) -> str:
    d = Decimal(value)
    return f"{d.normalize():f}" if d != d.to_integral_value() else str(int(d))
