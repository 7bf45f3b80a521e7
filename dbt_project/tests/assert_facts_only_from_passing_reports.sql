-- The marts are published to analysts only from sections that passed the gate: every fact row
-- (current or history) belongs to a report version whose section passed
-- (int_published_sections), and every row of a current fact to the current version of its
-- body-year's section.

with

fact_reports as (

    select distinct 'fct_applications' as fact_table, 's3' as section, document_id from {{ ref('fct_applications') }}
    union all
    select distinct 'fct_active_disclosure', 's2', document_id from {{ ref('fct_active_disclosure') }}
    union all
    select distinct 'fct_review_litigation', 's4', document_id from {{ ref('fct_review_litigation') }}
    union all
    select distinct 'fct_applications_history', 's3', document_id from {{ ref('fct_applications_history') }}
    union all
    select distinct 'fct_active_disclosure_history', 's2', document_id from {{ ref('fct_active_disclosure_history') }}
    union all
    select distinct 'fct_review_litigation_history', 's4', document_id from {{ ref('fct_review_litigation_history') }}

),

sections as (

    select document_id, section, section_verdict from {{ ref('stg_gate_sections') }}

),

current_sections as (

    select document_id, section, is_current from {{ ref('int_published_sections') }}

),

reports as (

    select document_id, is_publishable, is_current from {{ ref('dim_report') }}

)

select fact_reports.*, sections.section_verdict
from fact_reports
left join reports
    on fact_reports.document_id = reports.document_id
left join sections
    on fact_reports.document_id = sections.document_id
    and fact_reports.section = sections.section
left join current_sections
    on fact_reports.document_id = current_sections.document_id
    and fact_reports.section = current_sections.section
where not coalesce(reports.is_publishable, false)
    or coalesce(sections.section_verdict, '') <> 'published'
    or (fact_reports.fact_table not like '%_history' and not coalesce(current_sections.is_current, false))
