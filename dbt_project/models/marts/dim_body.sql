-- One row per reporting body (政府信息公开 reporting organisation), keyed by its normalised
-- name.  The name shown is the one printed on its latest report; the region is the most
-- specific one any of its reports gave.

with

documents as (

    select * from {{ ref('int_documents') }}
    where body_id is not null

),

bodies as (

    select
        body_id,
        -- ties broken by load time and document id, so a rebuild gives the same answer
        arg_max(org_name, (coalesce(report_year, 0), loaded_at, document_id)) as org_name,
        any_value(org_name_normalised) as org_name_normalised,
        arg_max(region, (len(region), coalesce(report_year, 0), document_id)) as region,
        min(report_year) as first_report_year,
        max(report_year) as last_report_year,
        count(*) as n_documents

    from documents
    group by body_id

),

bodies_with_region_path as (

    select
        *,
        nullif(array_to_string(region, ' / '), '') as region_path

    from bodies

)

select * from bodies_with_region_path
