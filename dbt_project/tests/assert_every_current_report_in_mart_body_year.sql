-- mart_body_year has one row for every current report, and none for anything else.

with

current_reports as (

    select document_id, body_id, report_year from {{ ref('dim_report') }}
    where is_current

),

body_years as (

    select document_id, body_id, report_year from {{ ref('mart_body_year') }}

),

missing as (

    select 'current report missing from mart_body_year' as problem, * from current_reports
    except
    select 'current report missing from mart_body_year', * from body_years

),

extra as (

    select 'row of mart_body_year without a current report' as problem, * from body_years
    except
    select 'row of mart_body_year without a current report', * from current_reports

)

select * from missing
union all
select * from extra
