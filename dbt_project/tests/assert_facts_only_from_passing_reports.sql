-- The marts are published to analysts only from reports that passed the gate: every fact row
-- (current or history) belongs to a report whose gate result is passed = true, and every row
-- of a current fact to the current version of its body-year.

with

fact_reports as (

    select distinct 'fct_applications' as fact_table, document_id from {{ ref('fct_applications') }}
    union all
    select distinct 'fct_active_disclosure', document_id from {{ ref('fct_active_disclosure') }}
    union all
    select distinct 'fct_review_litigation', document_id from {{ ref('fct_review_litigation') }}
    union all
    select distinct 'fct_applications_history', document_id from {{ ref('fct_applications_history') }}
    union all
    select distinct 'fct_active_disclosure_history', document_id from {{ ref('fct_active_disclosure_history') }}
    union all
    select distinct 'fct_review_litigation_history', document_id from {{ ref('fct_review_litigation_history') }}

),

reports as (

    select document_id, passed_gate, is_current from {{ ref('dim_report') }}

)

select fact_reports.*
from fact_reports
left join reports
    on fact_reports.document_id = reports.document_id
where not coalesce(reports.passed_gate, false)
    or (fact_reports.fact_table not like '%_history' and not reports.is_current)
