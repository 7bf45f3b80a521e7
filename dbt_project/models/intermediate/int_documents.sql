-- One row per loaded document, with the body that published it (int_body_names).

-- A table: every model of both phases reads it, and a view would resolve the names again each time.
{{ config(materialized='table') }}

with

documents as (

    select * from {{ ref('stg_documents') }}

),

body_names as (

    select * from {{ ref('int_body_names') }}

),

keyed as (

    select
        documents.document_id,
        body_names.body_id,
        documents.org_name,
        {{ normalised_org_name('documents.org_name') }} as org_name_normalised,
        body_names.canonical_name as body_name,
        body_names.resolved_by as body_resolved_by,
        documents.region,
        documents.report_year,
        documents.template_version,
        documents.status,
        documents.source_path,
        documents.source_format,
        documents.n_cells,
        documents.n_problems,
        documents.loaded_at,
        documents.load_seq,
        documents.extractor_version,
        documents.reading_seq,
        documents.read_at

    from documents
    left join body_names
        on {{ normalised_org_name('documents.org_name') }} = body_names.org_name_normalised

)

select * from keyed
