"""The national report template, both versions, in one place.

Everything else derives from this module: the extractor finds rows by ``key``
patterns, the loader writes the template tables that dbt reads as a source
(``template_rows``, ``template_columns``, ``template_identities``), and the
expectation suites are generated from ``IDENTITIES``.  Codes and labels follow
``docs/template.md``; keep them stable, they are a public interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Version = Literal["v2019", "v2021"]
VERSIONS: tuple[Version, ...] = ("v2019", "v2021")


@dataclass(frozen=True)
class Column:
    code: str
    label: str
    label_en: str
    kind: Literal["count", "signed", "decimal"] = "count"


@dataclass(frozen=True)
class Row:
    code: str
    label: str
    label_en: str
    # Regular expression that finds the row's label in normalised text
    # (NFKC, whitespace removed).  Short and unique on purpose: labels wrap
    # across lines and cells (pitfall P2), so only a distinctive part is reliable.
    key: str
    group: str = ""
    level: int = 0
    leaf: bool = False


@dataclass(frozen=True)
class Table:
    code: str
    section: Literal["s2", "s3", "s4"]
    caption: str
    rows: tuple[Row, ...]
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Identity:
    """``sum(lhs) == sum(rhs)`` for every column in ``columns`` (or every row in ``rows``)."""

    id: str
    description: str
    table: str
    severity: Literal["error", "warning"]
    # Each term is (row, col); "*" stands for the row or column being checked.
    lhs: tuple[tuple[str, str], ...]
    rhs: tuple[tuple[str, str], ...]
    over: tuple[str, ...] = field(default=())  # values substituted for "*"; empty: one instance
    versions: tuple[Version, ...] = VERSIONS
    # Rows whose cells may be absent from a record (they then count as nothing).
    optional_rows: tuple[str, ...] = ()


# --- Section 三: applicants (columns) -------------------------------------------------

APPLICANTS: tuple[Column, ...] = (
    Column("natural_person", "自然人", "natural persons"),
    Column("commercial_enterprise", "商业企业", "commercial enterprises"),
    Column("research_institution", "科研机构", "research institutions"),
    Column("social_welfare_org", "社会公益组织", "social welfare organisations"),
    Column("legal_service_org", "法律服务机构", "legal service organisations"),
    Column("other_org", "其他", "other organisations"),
    Column("total", "总计", "total"),
)
APPLICANT_CODES: tuple[str, ...] = tuple(c.code for c in APPLICANTS)
APPLICANTS_WITHOUT_TOTAL: tuple[str, ...] = APPLICANT_CODES[:-1]

# --- Section 三: rows -----------------------------------------------------------------

_S3_HEAD: tuple[Row, ...] = (
    Row(
        "new_received",
        "一、本年新收政府信息公开申请数量",
        "new applications received",
        r"本年新收",
        "flow_in",
        0,
    ),
    Row(
        "carried_over_from_last_year",
        "二、上年结转政府信息公开申请数量",
        "carried over from last year",
        r"上年结转",
        "flow_in",
        0,
    ),
    Row("granted", "（一）予以公开", "granted", r"予以公开", "granted", 1, True),
    Row(
        "partially_granted",
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
        "partially granted",
        r"部分公开",
        "partially_granted",
        1,
        True,
    ),
    Row("denied_state_secret", "1.属于国家秘密", "denied: state secret", r"国家秘密", "denied", 2, True),
    Row(
        "denied_prohibited_by_law",
        "2.其他法律行政法规禁止公开",
        "denied: prohibited by other laws",
        r"其他法律|法规禁止公开",
        "denied",
        2,
        True,
    ),
    Row(
        "denied_three_security_one_stability",
        "3.危及“三安全一稳定”",
        "denied: endangers the three securities and one stability",
        r"三安全",
        "denied",
        2,
        True,
    ),
    Row(
        "denied_third_party_rights",
        "4.保护第三方合法权益",
        "denied: third-party rights",
        r"第三方合法",
        "denied",
        2,
        True,
    ),
    Row(
        "denied_internal_affairs",
        "5.属于三类内部事务信息",
        "denied: internal affairs",
        r"内部事务",
        "denied",
        2,
        True,
    ),
    Row(
        "denied_process_info",
        "6.属于四类过程性信息",
        "denied: process information",
        r"过程性信息",
        "denied",
        2,
        True,
    ),
    Row(
        "denied_enforcement_files",
        "7.属于行政执法案卷",
        "denied: law-enforcement files",
        r"执法案卷",
        "denied",
        2,
        True,
    ),
    Row(
        "denied_admin_query",
        "8.属于行政查询事项",
        "denied: administrative query matters",
        r"行政查询",
        "denied",
        2,
        True,
    ),
    Row(
        "unable_not_held",
        "1.本机关不掌握相关政府信息",
        "unable: information not held",
        r"不掌握",
        "unable",
        2,
        True,
    ),
    Row(
        "unable_needs_creation",
        "2.没有现成信息需要另行制作",
        "unable: would need to be created",
        r"另行制作",
        "unable",
        2,
        True,
    ),
    Row(
        "unable_unclear_after_correction",
        "3.补正后申请内容仍不明确",
        "unable: still unclear after correction",
        r"仍不明确",
        "unable",
        2,
        True,
    ),
    Row(
        "not_processed_petition_complaint",
        "1.信访举报投诉类申请",
        "not processed: petitions and complaints",
        r"信访举报",
        "not_processed",
        2,
        True,
    ),
    Row(
        "not_processed_duplicate",
        "2.重复申请",
        "not processed: duplicate application",
        r"重复申请",
        "not_processed",
        2,
        True,
    ),
    Row(
        "not_processed_publication",
        "3.要求提供公开出版物",
        "not processed: asks for publications",
        r"出版物",
        "not_processed",
        2,
        True,
    ),
    Row(
        "not_processed_excessive_repeat",
        "4.无正当理由大量反复申请",
        "not processed: excessive repeated applications",
        r"大量反复",
        "not_processed",
        2,
        True,
    ),
    Row(
        "not_processed_confirm_reissue",
        "5.要求行政机关确认或重新出具已获取信息",
        "not processed: confirm or reissue information",
        r"确认或重新出具|重新出具",
        "not_processed",
        2,
        True,
    ),
)
_S3_OTHER_V2019: tuple[Row, ...] = (
    Row("other_handling", "（六）其他处理", "other handling", r"其他处理", "other", 1, True),
)
_S3_OTHER_V2021: tuple[Row, ...] = (
    Row(
        "other_no_correction",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "other: no correction in time",
        r"逾期不补正",
        "other",
        2,
        True,
    ),
    Row(
        "other_fee_unpaid",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        "other: fee not paid in time",
        r"收费通知",
        "other",
        2,
        True,
    ),
    # "其他" alone is everywhere; the numbered form is searched only after 收费通知.
    Row("other_misc", "3.其他", "other: miscellaneous", r"3[.、．]?其他|其他", "other", 2, True),
)
_S3_TAIL: tuple[Row, ...] = (
    Row(
        "total_processed",
        "（七）总计",
        "total processed",
        r"\(七\)总计|七[、.]?总计|总计",
        "total_processed",
        1,
    ),
    Row(
        "carried_to_next_year",
        "四、结转下年度继续办理",
        "carried forward to next year",
        r"结转下年度",
        "flow_out",
        0,
    ),
)


def s3_rows(version: Version) -> tuple[Row, ...]:
    other = _S3_OTHER_V2019 if version == "v2019" else _S3_OTHER_V2021
    return _S3_HEAD + other + _S3_TAIL


def outcome_leaves(version: Version) -> tuple[str, ...]:
    return tuple(r.code for r in s3_rows(version) if r.leaf)


# Groups of section-三 rows, for the dimension dim_row (template.md §2.2).
ROW_GROUPS: dict[str, str] = {
    "flow_in": "applications in",
    "granted": "granted",
    "partially_granted": "partially granted",
    "denied": "denied (不予公开)",
    "unable": "unable to provide (无法提供)",
    "not_processed": "not processed (不予处理)",
    "other": "other handling (其他处理)",
    "total_processed": "total processed",
    "flow_out": "carried forward",
}

# --- Section 四 -------------------------------------------------------------------------

S4_COLUMNS: tuple[Column, ...] = (
    Column("upheld", "结果维持", "upheld"),
    Column("corrected", "结果纠正", "corrected"),
    Column("other", "其他结果", "other result"),
    Column("pending", "尚未审结", "pending"),
    Column("total", "总计", "total"),
)
S4_ROWS: tuple[Row, ...] = (
    Row("review", "行政复议", "administrative review", r"行政复议", "review"),
    Row(
        "litigation_direct",
        "行政诉讼 › 未经复议直接起诉",
        "litigation without prior review",
        r"未经复议直接起诉",
        "litigation",
    ),
    Row(
        "litigation_after_review",
        "行政诉讼 › 复议后起诉",
        "litigation after review",
        r"复议后起诉",
        "litigation",
    ),
)

# --- Section 二 -------------------------------------------------------------------------

_INT = "count"


def _s2_tables(version: Version) -> tuple[Table, ...]:
    if version == "v2021":
        return (
            Table(
                "s2.art20_1",
                "s2",
                "第二十条第（一）项",
                (
                    Row("regulations", "规章", "rules", r"规章"),
                    Row("normative_documents", "行政规范性文件", "normative documents", r"规范性文件"),
                ),
                (
                    Column("issued_this_year", "本年制发件数", "issued this year"),
                    Column("repealed_this_year", "本年废止件数", "repealed this year"),
                    Column("currently_valid", "现行有效件数", "currently valid"),
                ),
            ),
            Table(
                "s2.art20_5",
                "s2",
                "第二十条第（五）项",
                (Row("administrative_licensing", "行政许可", "administrative licensing", r"行政许可"),),
                (Column("decisions_this_year", "本年处理决定数量", "decisions this year"),),
            ),
            Table(
                "s2.art20_6",
                "s2",
                "第二十条第（六）项",
                (
                    Row("administrative_penalty", "行政处罚", "administrative penalties", r"行政处罚"),
                    Row("administrative_coercion", "行政强制", "administrative coercion", r"行政强制"),
                ),
                (Column("decisions_this_year", "本年处理决定数量", "decisions this year"),),
            ),
            Table(
                "s2.art20_8",
                "s2",
                "第二十条第（八）项",
                (Row("administrative_fees", "行政事业性收费", "administrative fees", r"行政事业性收费"),),
                (
                    Column(
                        "fee_amount_wan_cny",
                        "本年收费金额（单位：万元）",
                        "fees collected (10k CNY)",
                        "decimal",
                    ),
                ),
            ),
        )
    items = (
        Column("items_last_year", "上一年项目数量", "items last year"),
        Column("items_change_this_year", "本年增/减", "change in items this year", "signed"),
    )
    return (
        Table(
            "s2.art20_1",
            "s2",
            "第二十条第（一）项",
            (
                Row("regulations", "规章", "rules", r"规章"),
                Row("normative_documents", "规范性文件", "normative documents", r"规范性文件"),
            ),
            (
                Column("newly_made_this_year", "本年新制作数量", "newly made this year"),
                Column("newly_published_this_year", "本年新公开数量", "newly published this year"),
                Column("total_published", "对外公开总数量", "total published"),
            ),
        ),
        Table(
            "s2.art20_5",
            "s2",
            "第二十条第（五）项",
            (
                Row("administrative_licensing", "行政许可", "administrative licensing", r"行政许可"),
                Row(
                    "other_external_mgmt_services",
                    "其他对外管理服务事项",
                    "other external management services",
                    r"其他对外管理服务",
                ),
            ),
            items + (Column("decisions", "处理决定数量", "decisions"),),
        ),
        Table(
            "s2.art20_6",
            "s2",
            "第二十条第（六）项",
            (
                Row("administrative_penalty", "行政处罚", "administrative penalties", r"行政处罚"),
                Row("administrative_coercion", "行政强制", "administrative coercion", r"行政强制"),
            ),
            items + (Column("decisions", "处理决定数量", "decisions"),),
        ),
        Table(
            "s2.art20_8",
            "s2",
            "第二十条第（八）项",
            (
                Row(
                    "administrative_fees",
                    "行政事业性收费",
                    "administrative fees (number of fee items)",
                    r"行政事业性收费",
                ),
            ),
            items,
        ),
        Table(
            "s2.art20_9",
            "s2",
            "第二十条第（九）项",
            (
                Row(
                    "govt_centralized_procurement",
                    "政府集中采购",
                    "government centralised procurement",
                    r"政府集中采购",
                ),
            ),
            (
                Column("procurement_projects", "采购项目数量", "procurement projects"),
                Column("procurement_total_amount", "采购总金额", "procurement total amount", "decimal"),
            ),
        ),
    )


def tables(version: Version) -> tuple[Table, ...]:
    """Every table of a template version, in document order."""
    s3 = Table("s3", "s3", "三、收到和处理政府信息公开申请情况", s3_rows(version), APPLICANTS)
    s4 = Table("s4", "s4", "四、政府信息公开行政复议、行政诉讼情况", S4_ROWS, S4_COLUMNS)
    return _s2_tables(version) + (s3, s4)


def table(version: Version, code: str) -> Table:
    return next(t for t in tables(version) if t.code == code)


def has_cell(version: Version | None, table_code: str, row_code: str, col_code: str) -> bool:
    """Whether the cell is one of the template version's (of either version when it is None)."""
    for v in (version,) if version is not None else VERSIONS:
        for t in tables(v):
            if (
                t.code == table_code
                and any(r.code == row_code for r in t.rows)
                and any(c.code == col_code for c in t.columns)
            ):
                return True
    # v2021 reports may print （六）其他处理 as one row (AGGREGATED_OTHER_V2021).
    return table_code == "s3" and row_code == AGGREGATED_OTHER_V2021 and col_code in APPLICANT_CODES


def cell_id(table_code: str, row: str, col: str) -> str:
    return f"{table_code}/{row}/{col}"


def column_kind(version: Version, table_code: str, col: str) -> str:
    return next(c.kind for c in table(version, table_code).columns if c.code == col)


# --- Balancing identities (template.md §4) ---------------------------------------------

# Some v2021 reports print （六）其他处理 as one row with numbers, as v2019 did
# (hongze-2024.pdf).  The extractor then records it as ``other_handling``
# instead of its three v2021 children, so H3 lists it as an optional term:
# absent from a record, an optional term counts as nothing.
AGGREGATED_OTHER_V2021 = "other_handling"


def _h3(version: Version) -> Identity:
    leaves = tuple((r, "*") for r in outcome_leaves(version))
    optional: tuple[str, ...] = ()
    if version == "v2021":
        leaves += ((AGGREGATED_OTHER_V2021, "*"),)
        optional = (AGGREGATED_OTHER_V2021, "other_no_correction", "other_fee_unpaid", "other_misc")
    return Identity(
        "H3",
        "（七）总计 equals the sum of the outcome rows, per column",
        "s3",
        "error",
        (("total_processed", "*"),),
        leaves,
        APPLICANT_CODES,
        (version,),
        optional,
    )


def _s4_identity(ident: str, row: str) -> Identity:
    return Identity(
        ident,
        f"{row}: total equals upheld + corrected + other + pending",
        "s4",
        "error",
        ((row, "total"),),
        tuple((row, c) for c in ("upheld", "corrected", "other", "pending")),
    )


IDENTITIES: tuple[Identity, ...] = (
    Identity(
        "H1",
        "new + carried over = total processed + carried forward, per column",
        "s3",
        "error",
        (("new_received", "*"), ("carried_over_from_last_year", "*")),
        (("total_processed", "*"), ("carried_to_next_year", "*")),
        APPLICANT_CODES,
    ),
    Identity(
        "H2",
        "总计 column equals the sum of the six applicant columns, per row",
        "s3",
        "error",
        (("*", "total"),),
        tuple(("*", a) for a in APPLICANTS_WITHOUT_TOTAL),
        tuple(dict.fromkeys(r.code for v in VERSIONS for r in s3_rows(v))),
    ),
    _h3("v2019"),
    _h3("v2021"),
    _s4_identity("H4", "review"),
    _s4_identity("H5", "litigation_direct"),
    _s4_identity("H6", "litigation_after_review"),
)


def identities(version: Version) -> tuple[Identity, ...]:
    return tuple(i for i in IDENTITIES if version in i.versions)


@dataclass(frozen=True)
class Equation:
    """One instance of an identity: ``sum(lhs) == sum(rhs)``, terms are cell ids."""

    identity: str
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]
    item: str = ""  # the row or column the identity was expanded over
    optional: frozenset[str] = frozenset()  # cell ids that may be absent (count as nothing)

    @property
    def id(self) -> str:
        return f"{self.identity}:{self.item}" if self.item else self.identity


def _expand(table: str, item: str, terms: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """Cell ids of an identity's terms, with ``*`` standing for ``item``."""
    return tuple(cell_id(table, item if r == "*" else r, item if c == "*" else c) for r, c in terms)


def equations(version: Version, present_rows: set[str] | None = None) -> list[Equation]:
    """Expand the identities into equations over cell ids.

    ``present_rows`` restricts H2 to the section-三 rows the document has.
    """
    rows_of_version = {r.code for r in s3_rows(version)}
    out: list[Equation] = []
    for ident in identities(version):
        for item in ident.over or ("",):
            if ident.id == "H2" and (
                (item not in rows_of_version and item != AGGREGATED_OTHER_V2021)
                or (present_rows is not None and item not in present_rows)
            ):
                continue
            lhs, rhs = _expand(ident.table, item, ident.lhs), _expand(ident.table, item, ident.rhs)
            optional = frozenset(c for c in lhs + rhs if c.split("/")[1] in ident.optional_rows)
            out.append(Equation(ident.id, lhs, rhs, item, optional))
    return out


# H7: every count cell is a non-negative integer; these are the exceptions.
SIGNED_COLUMNS = frozenset({"items_change_this_year"})
DECIMAL_COLUMNS = frozenset({"fee_amount_wan_cny", "procurement_total_amount"})

# --- Version detection (template.md §0) -------------------------------------------------

V2021_MARKERS = (
    "本年制发件数",
    "本年废止件数",
    "现行有效件数",
    "本年处理决定数量",
    "本年收费金额",
    "逾期不补正",
    "逾期未按收费通知",
)
V2019_MARKERS = (
    "本年新制作数量",
    "本年新公开数量",
    "对外公开总数量",
    "上一年项目数量",
    "本年增/减",
    "其他对外管理服务事项",
    "第二十条第(九)项",
    "政府集中采购",
)

# --- Soft identities S1–S3 (template.md §4) ----------------------------------------------
#
# A soft identity should usually hold but has legitimate exceptions, or depends on another
# report of the same body: a failure publishes the report with a warning attached
# (``marts.report_warnings``), it never quarantines it.  Unlike H1–H6 a term may come from the
# body's report of another year: ``year_offset`` is relative to the report the equation is
# anchored on (0: that report, +1: the next year's, −1: the previous year's), always the
# current (published) version of that body-year.


@dataclass(frozen=True)
class SoftTerm:
    year_offset: int
    row: str  # "*" stands for the row or column being checked, as in Identity
    col: str
    sign: Literal[1, -1] = 1


@dataclass(frozen=True)
class SoftIdentity:
    """``sum(lhs) <relation> sum(rhs)`` over ``over``; every report involved has one of ``versions``."""

    id: str
    description: str
    table: str
    relation: Literal["=", ">="]
    lhs: tuple[SoftTerm, ...]
    rhs: tuple[SoftTerm, ...]
    over: tuple[str, ...]
    versions: tuple[Version, ...] = VERSIONS


_ART20_1_ROWS_V2021 = ("regulations", "normative_documents")

SOFT_IDENTITIES: tuple[SoftIdentity, ...] = (
    # The same rows in both versions, so the pair holds across the v2019 → v2021 boundary.
    SoftIdentity(
        "S1",
        "结转下年度 of year y equals 上年结转 of year y + 1, per column",
        "s3",
        "=",
        (SoftTerm(0, "carried_to_next_year", "*"),),
        (SoftTerm(1, "carried_over_from_last_year", "*"),),
        APPLICANT_CODES,
    ),
    # Only when both years are v2021: a v2021 report cannot chain to v2019's 对外公开总数量.
    SoftIdentity(
        "S2",
        "现行有效 of year y equals 现行有效 of y − 1 + 本年制发 − 本年废止 of y",
        "s2.art20_1",
        "=",
        (SoftTerm(0, "*", "currently_valid"),),
        (
            SoftTerm(-1, "*", "currently_valid"),
            SoftTerm(0, "*", "issued_this_year"),
            SoftTerm(0, "*", "repealed_this_year", -1),
        ),
        _ART20_1_ROWS_V2021,
        ("v2021",),
    ),
    SoftIdentity(
        "S3",
        "现行有效 + 本年废止 is at least 本年制发, within one year",
        "s2.art20_1",
        ">=",
        (SoftTerm(0, "*", "currently_valid"), SoftTerm(0, "*", "repealed_this_year")),
        (SoftTerm(0, "*", "issued_this_year"),),
        _ART20_1_ROWS_V2021,
        ("v2021",),
    ),
)


@dataclass(frozen=True)
class SoftEquation:
    """One instance of a soft identity; terms are (year_offset, cell id, sign)."""

    identity: str
    item: str
    relation: Literal["=", ">="]
    versions: tuple[Version, ...]
    lhs: tuple[tuple[int, str, int], ...]
    rhs: tuple[tuple[int, str, int], ...]

    @property
    def id(self) -> str:
        return f"{self.identity}:{self.item}"


def _expand_soft(table: str, item: str, terms: tuple[SoftTerm, ...]) -> tuple[tuple[int, str, int], ...]:
    """(year offset, cell id, sign) of a soft identity's terms, with ``*`` standing for ``item``."""
    return tuple(
        (
            t.year_offset,
            cell_id(table, item if t.row == "*" else t.row, item if t.col == "*" else t.col),
            t.sign,
        )
        for t in terms
    )


def soft_equations() -> list[SoftEquation]:
    """Expand the soft identities over their rows or columns."""
    out: list[SoftEquation] = []
    for ident in SOFT_IDENTITIES:
        for item in ident.over:
            out.append(
                SoftEquation(
                    ident.id,
                    item,
                    ident.relation,
                    ident.versions,
                    _expand_soft(ident.table, item, ident.lhs),
                    _expand_soft(ident.table, item, ident.rhs),
                )
            )
    return out
