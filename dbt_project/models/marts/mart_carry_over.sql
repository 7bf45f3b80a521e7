-- S1 (template.md §4): what a body carried forward at the end of a year (四、结转下年度继续办理)
-- should be what its next year's report carried over (二、上年结转政府信息公开申请数量), per
-- applicant type. One row per body × report year × applicant type, pairing the current
-- versions of year y and y + 1. The pair holds across the v2019 → v2021 change (same rows).
-- A soft check: a mismatch is data to look at, not an error.

with

applications as (

    select * from {{ ref('fct_applications') }}
    where row_code in ('carried_to_next_year', 'carried_over_from_last_year')

),

bodies as (

    select body_id, body_name from {{ ref('dim_body') }}

),

applicants as (

    select col_code, applicant_order from {{ ref('dim_applicant') }}

),

carried_forward as (

    select body_id, report_year, document_id, col_code, value as carried_to_next_year
    from applications
    where row_code = 'carried_to_next_year'

),

carried_over as (

    select body_id, report_year, document_id, col_code, value as carried_over_from_last_year
    from applications
    where row_code = 'carried_over_from_last_year'

),

pairs as (

    select
        carried_forward.body_id,
        bodies.body_name,
        carried_forward.report_year,
        carried_forward.report_year + 1 as next_report_year,
        carried_forward.col_code,
        applicants.applicant_order,
        carried_forward.document_id,
        carried_over.document_id as next_document_id,
        carried_forward.carried_to_next_year,
        carried_over.carried_over_from_last_year as next_year_carried_over,
        carried_over.document_id is not null as is_next_year_loaded,
        carried_over.carried_over_from_last_year - carried_forward.carried_to_next_year as difference,
        case
            when carried_over.document_id is not null
                then carried_over.carried_over_from_last_year = carried_forward.carried_to_next_year
        end as is_consistent

    from carried_forward
    inner join bodies
        on carried_forward.body_id = bodies.body_id
    left join applicants
        on carried_forward.col_code = applicants.col_code
    left join carried_over
        on carried_forward.body_id = carried_over.body_id
            and carried_forward.report_year + 1 = carried_over.report_year
            and carried_forward.col_code = carried_over.col_code

)

select * from pairs
