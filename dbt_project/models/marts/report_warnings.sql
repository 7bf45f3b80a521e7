-- One row per warning attached to a published report: a soft identity (S1–S3, template.md §4)
-- that does not hold among the current reports of its body. Such reports are published (they
-- are in the facts); the warning says what to look at. A check involving two reports (S1, S2)
-- is attached to both.

with

warnings as (

    select * from {{ ref('stg_gate_warnings') }}

),

documents as (

    select * from {{ ref('int_documents') }}

),

report_warnings as (

    select
        warnings.document_id,
        documents.body_id,
        documents.body_name,
        documents.org_name as printed_body_name,
        documents.report_year,
        documents.template_version,
        documents.source_path,
        'warning' as severity,
        warnings.identity_id,
        warnings.equation_id,
        warnings.check_id,
        warnings.description,
        warnings.relation,
        warnings.anchor_document_id,
        warnings.document_ids,
        warnings.report_years,
        warnings.cells,
        warnings.lhs_value,
        warnings.rhs_value,
        warnings.difference

    from warnings
    inner join documents
        on warnings.document_id = documents.document_id

)

select * from report_warnings
