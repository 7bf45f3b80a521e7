-- One row per loaded document, with its gate outcome (passed_gate is null when the gate has
-- not checked it: rejected documents are never checked).

with

documents as (

    select * from {{ ref('int_documents') }}

),

gate_results as (

    select * from {{ ref('stg_gate_results') }}

),

gate_failures as (

    select document_id, count(*) as n_gate_failures
    from {{ ref('stg_gate_failures') }}
    group by document_id

),

reports as (

    select
        documents.document_id,
        documents.body_id,
        documents.org_name,
        documents.region,
        documents.report_year,
        documents.template_version,
        documents.source_path,
        documents.source_format,
        documents.status,
        gate_results.passed_gate,
        gate_results.gate_checked_at,
        case
            when gate_results.document_id is not null
                then coalesce(gate_failures.n_gate_failures, 0)
        end as n_gate_failures,
        documents.n_cells,
        documents.n_problems,
        documents.loaded_at

    from documents
    left join gate_results
        on documents.document_id = gate_results.document_id
    left join gate_failures
        on documents.document_id = gate_failures.document_id

)

select * from reports
