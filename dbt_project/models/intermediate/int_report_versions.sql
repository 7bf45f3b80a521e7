-- One row per loaded document: which version of its body's report for its year it is, and
-- whether it is the current one.
--
-- A body can publish a corrected report for a year: a different file, so a different
-- document_id, loaded later. The versions of a body-year are ordered by load (loaded_at, then
-- the record's position in its load, then document_id so that the order is total). A version
-- is published when a section of it passed the gate (which requires a body and a year); the current
-- version is the latest published one, and each published version is superseded by the next
-- published one. A later version that fails the gate supersedes nothing: the marts keep the
-- last version that passed (and the failure is in quarantine). Documents without a body or a
-- year have no versions.
--
-- This is a view: the gate verdicts it reads are written after the intermediate layer is
-- built, and every marts build sees them as they are then.

with

documents as (

    select * from {{ ref('int_documents') }}

),

gate_results as (

    select * from {{ ref('stg_gate_results') }}

),

documents_with_verdicts as (

    select
        documents.document_id,
        documents.body_id,
        documents.report_year,
        documents.loaded_at,
        documents.load_seq,
        -- published with the sections that passed the gate (stg_gate_sections)
        coalesce(gate_results.is_publishable, false)
        and documents.body_id is not null
        and documents.report_year is not null as is_published,
        documents.body_id is not null and documents.report_year is not null as has_versions

    from documents
    left join gate_results
        on documents.document_id = gate_results.document_id

),

numbered_versions as (

    select
        document_id,
        row_number() over (
            partition by body_id, report_year
            order by loaded_at, load_seq, document_id
        ) as version_seq,
        count(*) over (partition by body_id, report_year) as n_versions

    from documents_with_verdicts
    where has_versions

),

published_versions as (

    select
        document_id,
        row_number() over (
            partition by body_id, report_year
            order by loaded_at, load_seq, document_id
        ) as published_seq,
        count(*) over (partition by body_id, report_year) as n_published_versions,
        lead(document_id) over (
            partition by body_id, report_year
            order by loaded_at, load_seq, document_id
        ) as superseded_by,
        lead(loaded_at) over (
            partition by body_id, report_year
            order by loaded_at, load_seq, document_id
        ) as superseded_at,
        last_value(document_id) over (
            partition by body_id, report_year
            order by loaded_at, load_seq, document_id
            rows between unbounded preceding and unbounded following
        ) as current_document_id

    from documents_with_verdicts
    where has_versions
        and is_published

),

versions as (

    select
        documents_with_verdicts.document_id,
        documents_with_verdicts.body_id,
        documents_with_verdicts.report_year,
        documents_with_verdicts.loaded_at,
        documents_with_verdicts.load_seq,
        documents_with_verdicts.is_published,
        numbered_versions.version_seq,
        numbered_versions.n_versions,
        published_versions.published_seq,
        published_versions.n_published_versions,
        coalesce(
            published_versions.document_id = published_versions.current_document_id, false
        ) as is_current,
        published_versions.superseded_by,
        published_versions.superseded_at,
        published_versions.current_document_id

    from documents_with_verdicts
    left join numbered_versions
        on documents_with_verdicts.document_id = numbered_versions.document_id
    left join published_versions
        on documents_with_verdicts.document_id = published_versions.document_id

)

select * from versions
