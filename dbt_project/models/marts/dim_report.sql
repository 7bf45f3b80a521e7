-- One row per loaded document, with its gate outcome (passed_gate is null when the gate has
-- not checked it: rejected documents are never checked), the verdict of each section
-- (s2_verdict, s3_verdict, s4_verdict with the reason of a held-back one) and its place among the versions of
-- its body's report for its year (int_report_versions): is_current marks the version the
-- fct_* and mart_* tables show, superseded_by the version that replaced it, and current_reason
-- why (the rule: the latest publication of a body × year that passes the gate, reviewers'
-- corrections applied, is current). Every path the document was seen under is in source_paths
-- (one row each in dim_document_path); the reading shown is the extractor's latest
-- (extractor_version, reading_seq; earlier ones in document_readings).

with

documents as (

    select * from {{ ref('int_documents') }}

),

versions as (

    select * from {{ ref('int_report_versions') }}

),

gate_results as (

    select * from {{ ref('stg_gate_results') }}

),

gate_failures as (

    select document_id, count(*) as n_gate_failures
    from {{ ref('stg_gate_failures') }}
    group by document_id

),

gate_warnings as (

    select document_id, count(*) as n_warnings
    from {{ ref('stg_gate_warnings') }}
    group by document_id

),

sections as (

    -- the gate's verdict per section, one column per section
    select
        document_id,
        max(section_verdict) filter (where section = 's2') as s2_verdict,
        max(section_reason) filter (where section = 's2') as s2_reason,
        max(section_verdict) filter (where section = 's3') as s3_verdict,
        max(section_reason) filter (where section = 's3') as s3_reason,
        max(section_verdict) filter (where section = 's4') as s4_verdict,
        max(section_reason) filter (where section = 's4') as s4_reason
    from {{ ref('stg_gate_sections') }}
    group by document_id

),

current_sections as (

    -- the version the current facts show is decided per section (int_published_sections)
    select
        document_id,
        bool_or(is_current) filter (where section = 's2') as s2_is_current,
        bool_or(is_current) filter (where section = 's3') as s3_is_current,
        bool_or(is_current) filter (where section = 's4') as s4_is_current
    from {{ ref('int_published_sections') }}
    group by document_id

),

corrections as (

    select document_id, count(*) as n_corrections
    from {{ ref('stg_corrections') }}
    where correction_status = 'applied'
    group by document_id

),

paths as (

    select
        document_id,
        list(source_path order by first_seen_at, source_path) as source_paths,
        count(*) as n_source_paths
    from {{ ref('stg_document_paths') }}
    group by document_id

),

reports as (

    select
        ---------- ids
        documents.document_id,
        documents.document_id as source_sha256,
        documents.body_id,

        ---------- what the report is
        documents.org_name as printed_body_name,
        documents.body_name,
        documents.region,
        documents.report_year,
        documents.template_version,

        ---------- where it came from
        documents.source_path,
        documents.source_format,
        documents.loaded_at,
        documents.load_seq,
        coalesce(paths.source_paths, [documents.source_path]) as source_paths,
        coalesce(paths.n_source_paths, 1) as n_source_paths,

        ---------- the reading shown (a newer extractor reads the document again)
        documents.extractor_version,
        documents.reading_seq,
        documents.read_at,

        ---------- quality
        documents.status,
        gate_results.passed_gate,
        gate_results.is_publishable,
        gate_results.gate_checked_at,
        -- per section (二 s2, 三 s3, 四 s4): published, held_back (and why: the first cause) or absent
        sections.s2_verdict,
        sections.s2_reason,
        sections.s3_verdict,
        sections.s3_reason,
        sections.s4_verdict,
        sections.s4_reason,
        -- whether the current facts show this version's section (the latest version whose section passed)
        coalesce(current_sections.s2_is_current, false) as s2_is_current,
        coalesce(current_sections.s3_is_current, false) as s3_is_current,
        coalesce(current_sections.s4_is_current, false) as s4_is_current,
        case
            when gate_results.document_id is not null
                then coalesce(gate_failures.n_gate_failures, 0)
        end as n_gate_failures,
        -- soft identities (S1–S3) that do not hold: published with these warnings (report_warnings)
        case
            when gate_results.document_id is not null
                then coalesce(gate_warnings.n_warnings, 0)
        end as n_warnings,
        coalesce(corrections.n_corrections, 0) as n_corrections,
        documents.n_cells,
        documents.n_problems,

        ---------- versions
        versions.is_published,
        versions.is_current,
        versions.version_seq,
        versions.n_versions,
        versions.published_seq,
        versions.n_published_versions,
        versions.superseded_by,
        versions.superseded_at,
        versions.current_document_id,
        -- why this version is current or not: the latest publication that passes the gate
        case
            when documents.status = 'rejected' then 'rejected'
            when documents.body_id is null or documents.report_year is null then 'no_body_or_year'
            when versions.is_current and versions.n_versions = 1 then 'only_version'
            when versions.is_current and versions.version_seq = versions.n_versions
                then 'latest_publication'
            when versions.is_current then 'later_versions_not_published'
            when versions.is_published then 'superseded_by_later_publication'
            when gate_results.passed_gate = false then 'failed_gate'
            else 'not_checked'
        end as current_reason,
        case
            when documents.status = 'rejected' then '提取被拒绝，未发布'
            when documents.body_id is null or documents.report_year is null
                then '缺少机构或年度，无法与其他版本比较，未发布'
            when versions.is_current and versions.n_versions = 1 then '该机构该年度唯一的报告'
            when versions.is_current and versions.version_seq = versions.n_versions
                then '该机构该年度最晚发布的报告，取代较早的 '
                    || (versions.n_versions - 1) || ' 份'
            when versions.is_current
                then '较晚发布的 ' || (versions.n_versions - versions.version_seq)
                    || ' 份未通过核验，仍以本报告为准'
            when versions.is_published then '已被较晚发布的报告取代'
            when gate_results.passed_gate = false then '未通过核验，未发布（见 quarantine）'
            else '尚未核验，未发布'
        end
        || case
            when versions.is_current and coalesce(corrections.n_corrections, 0) > 0
                then '（经审核更正后通过核验）'
            else ''
        end as current_reason_label

    from documents
    inner join versions
        on documents.document_id = versions.document_id
    left join gate_results
        on documents.document_id = gate_results.document_id
    left join gate_failures
        on documents.document_id = gate_failures.document_id
    left join sections
        on documents.document_id = sections.document_id
    left join current_sections
        on documents.document_id = current_sections.document_id
    left join gate_warnings
        on documents.document_id = gate_warnings.document_id
    left join corrections
        on documents.document_id = corrections.document_id
    left join paths
        on documents.document_id = paths.document_id

)

select * from reports
