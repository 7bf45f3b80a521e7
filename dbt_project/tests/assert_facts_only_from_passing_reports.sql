-- The marts are published to analysts only from reports that passed the gate: every fact row
-- belongs to a report whose gate result is passed = true.

with

fact_reports as (

    select distinct 'fct_applications' as fact_table, document_id from {{ ref('fct_applications') }}
    union all
    select distinct 'fct_active_disclosure', document_id from {{ ref('fct_active_disclosure') }}
    union all
    select distinct 'fct_review_litigation', document_id from {{ ref('fct_review_litigation') }}

),

reports as (

    select document_id, passed_gate from {{ ref('dim_report') }}

)

select fact_reports.*
from fact_reports
left join reports
    on fact_reports.document_id = reports.document_id
where not coalesce(reports.passed_gate, false)
