-- One row per body name printed in a report title: the body it resolves to and why. This is
-- where to look before editing seeds/body_aliases.csv.

with

body_names as (

    select * from {{ ref('int_body_names') }}

),

documents as (

    select
        org_name_normalised,
        list(distinct org_name order by org_name) as printed_as,
        count(*) as n_documents,
        min(report_year) as first_report_year,
        max(report_year) as last_report_year

    from {{ ref('int_documents') }}
    where org_name_normalised is not null
    group by org_name_normalised

),

names as (

    select
        body_names.org_name_normalised as printed_body_name_normalised,
        documents.printed_as as printed_body_names,
        body_names.body_id,
        body_names.canonical_name as body_name,
        body_names.resolved_by,
        body_names.seed_note,
        documents.n_documents,
        documents.first_report_year,
        documents.last_report_year

    from body_names
    inner join documents
        on body_names.org_name_normalised = documents.org_name_normalised

)

select * from names
