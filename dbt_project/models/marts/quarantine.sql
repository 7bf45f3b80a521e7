-- One row per failing check of a report that failed the gate: the equation (or data-quality
-- check), its cells and both sides as printed (after any reviewers' corrections), so the report
-- can be fixed at the source or with a correction (corrections/corrections.csv) and reloaded.

with

failures as (

    select * from {{ ref('stg_gate_failures') }}

),

failed_reports as (

    select * from {{ ref('stg_gate_results') }}
    where not passed_gate

),

documents as (

    select * from {{ ref('int_documents') }}

),

residuals as (

    select document_id, equation_id, n_terms, n_missing_terms, n_corrected_terms
    from {{ ref('int_identity_residuals') }}

),

quarantined as (

    select
        failures.document_id,
        documents.body_id,
        documents.org_name,
        documents.report_year,
        documents.template_version,
        documents.status,
        documents.source_path,
        failures.identity_id,
        failures.equation_id,
        failures.cells,
        failures.lhs_value,
        failures.rhs_value,
        failures.difference,
        residuals.n_terms,
        residuals.n_missing_terms,
        residuals.n_corrected_terms,
        failed_reports.gate_checked_at

    from failures
    inner join failed_reports
        on failures.document_id = failed_reports.document_id
    inner join documents
        on failures.document_id = documents.document_id
    left join residuals
        on failures.document_id = residuals.document_id
        and failures.equation_id = residuals.equation_id

)

select * from quarantined
