-- Every problem the extractor recorded, with its provenance: the report (body, year, file), the
-- sections it concerns and their verdicts, its cells and, when the extractor gave them, the
-- candidate readings and the printed text.

with

problems as (

    select * from {{ ref('stg_problems') }}

),

documents as (

    select * from {{ ref('int_documents') }}

),

listed as (

    select
        problems.document_id,
        problems.problem_seq,
        documents.body_id,
        documents.org_name as printed_body_name,
        documents.report_year,
        documents.template_version,
        documents.status,
        documents.source_path,
        problems.problem_code,
        problems.severity,
        problems.message,
        problems.sections,
        problems.cell_ids,
        problems.candidates_json,
        problems.raw_text

    from problems
    inner join documents
        on problems.document_id = documents.document_id

)

select * from listed
