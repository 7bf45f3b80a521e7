-- One row per document × path it was seen under: the same bytes under a second name, or in a
-- second folder, are one document (one record, one row of dim_report) with every name kept, so
-- a report can be found by any of its file names.

with

paths as (

    select * from {{ ref('stg_document_paths') }}

),

documents as (

    select * from {{ ref('int_documents') }}

),

document_paths as (

    select
        ---------- ids
        paths.document_id,
        paths.source_path,

        ---------- the path
        paths.file_name,
        paths.source_path = documents.source_path as is_reading_path,
        row_number() over (
            partition by paths.document_id order by paths.first_seen_at, paths.source_path
        ) as path_seq,
        count(*) over (partition by paths.document_id) as n_paths,
        paths.first_seen_at,

        ---------- the report
        documents.body_id,
        documents.org_name as printed_body_name,
        documents.report_year,
        documents.source_format

    from paths
    inner join documents
        on paths.document_id = documents.document_id

)

select * from document_paths
