-- One row per cause of a held-back section (or report), the true cause first (cause_rank):
-- the extractor's problems about the section (identity_id EX: unread cells with their
-- candidate readings, rows or tables not found), then the report checks and the cells missing
-- or unread, then the equations that cannot be checked, then the identities that do not hold
-- with both sides as read (after the reviewers' corrections).  The cells to look at, with page
-- and line and their labels, are in quarantine_cells.  A document the extractor rejected is
-- never checked by the gate; it is listed here too, one row per error the extractor gave
-- (cause 'rejected'), so that every document that did not publish says why.

with

failures as (

    select * from {{ ref('stg_gate_failures') }}

),

sections as (

    select * from {{ ref('stg_gate_sections') }}

),

documents as (

    select * from {{ ref('int_documents') }}

),

problems as (

    select * from {{ ref('stg_problems') }}

),

residuals as (

    select document_id, equation_id, n_terms, n_missing_terms, n_corrected_terms
    from {{ ref('int_identity_residuals') }}

),

quarantined as (

    select
        failures.document_id,
        documents.body_id,
        documents.org_name as printed_body_name,
        documents.report_year,
        documents.template_version,
        documents.status,
        documents.source_path,
        failures.section,
        sections.section_verdict,
        failures.cause_rank,
        failures.cause,
        failures.identity_id,
        failures.equation_id,
        failures.message,
        failures.cells,
        failures.lhs_value,
        failures.rhs_value,
        failures.difference,
        residuals.n_terms,
        residuals.n_missing_terms,
        residuals.n_corrected_terms,
        sections.gate_checked_at

    from failures
    inner join documents
        on failures.document_id = documents.document_id
    left join sections
        on failures.document_id = sections.document_id
            and failures.section = sections.section
    left join residuals
        on failures.document_id = residuals.document_id
            and failures.equation_id = residuals.equation_id

),

rejected as (

    select
        documents.document_id,
        documents.body_id,
        documents.org_name as printed_body_name,
        documents.report_year,
        documents.template_version,
        documents.status,
        documents.source_path,
        cast(null as varchar) as section,
        cast(null as varchar) as section_verdict,
        1 as cause_rank,
        'rejected' as cause,
        'EX' as identity_id,
        'EX:' || coalesce(problems.problem_code || ':' || problems.problem_seq, 'rejected') as equation_id,
        coalesce(
            problems.problem_code || ': ' || problems.message,
            'rejected by the extractor, which gave no reason (extract the file again)'
        ) as message,
        cast(null as varchar) as cells,
        cast(null as decimal(38, 6)) as lhs_value,
        cast(null as decimal(38, 6)) as rhs_value,
        cast(null as decimal(38, 6)) as difference,
        cast(null as bigint) as n_terms,
        cast(null as bigint) as n_missing_terms,
        cast(null as bigint) as n_corrected_terms,
        cast(null as timestamp) as gate_checked_at

    from documents
    left join problems
        on documents.document_id = problems.document_id
            and problems.severity = 'error'
    where documents.status = 'rejected'

)

select * from quarantined
union all
select * from rejected
