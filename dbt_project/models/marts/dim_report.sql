-- One row per loaded document, with its gate outcome (passed_gate is null when the gate has
-- not checked it: rejected documents are never checked), the verdict of each section
-- (s2_verdict, s3_verdict, s4_verdict with the reason of a held-back one) and its place among the versions of
-- its body's report for its year (int_report_versions): is_current marks the version the
-- fct_* and mart_* tables show, superseded_by the version that replaced it.

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

reports as (

    select
        ---------- ids
        documents.document_id,
        documents.document_id as source_sha256,
        documents.body_id,

        ---------- what the report is
        documents.org_name,
        documents.body_name,
        documents.region,
        documents.report_year,
        documents.template_version,

        ---------- where it came from
        documents.source_path,
        documents.source_format,
        documents.loaded_at,
        documents.load_seq,

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
        versions.current_document_id

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

)

select * from reports
