-- One row per reporting body (政府信息公开 reporting organisation). The key is md5 of the
-- body's canonical name (int_body_names): name variants of one body (spacing, 人民政府, the
-- county or city in front) share it. The name shown is the one printed on the body's latest
-- report; the region is the most specific one any of its reports gave, completed from the
-- division names in front of the canonical name.

with

documents as (

    select * from {{ ref('int_documents') }}
    where body_id is not null

),

versions as (

    select document_id, is_current from {{ ref('int_report_versions') }}

),

body_names as (

    select * from {{ ref('int_body_names') }}

),

name_attributes as (

    select
        body_id,
        any_value(canonical_name) as canonical_name,
        any_value(name_core) as name_core,
        any_value(body_kind) as body_kind,
        any_value(name_province) as name_province,
        any_value(name_city) as name_city,
        any_value(name_county) as name_county,
        bool_or(resolved_by = 'ambiguous') as has_ambiguous_name,
        bool_or(resolved_by = 'seed') as has_seed_alias

    from body_names
    group by body_id

),

document_attributes as (

    select
        documents.body_id,
        -- ties broken by load time and document id, so a rebuild gives the same answer
        arg_max(
            documents.org_name,
            (coalesce(documents.report_year, 0), documents.loaded_at, documents.document_id)
        ) as org_name,
        list(distinct documents.org_name order by documents.org_name) as name_variants,
        arg_max(
            documents.region,
            (len(documents.region), coalesce(documents.report_year, 0), documents.document_id)
        ) as region,
        min(documents.report_year) as first_report_year,
        max(documents.report_year) as last_report_year,
        count(*) as n_documents,
        count(*) filter (where versions.is_current) as n_current_reports

    from documents
    left join versions
        on documents.document_id = versions.document_id
    group by documents.body_id

),

bodies as (

    select
        document_attributes.body_id,
        name_attributes.canonical_name as body_name,
        document_attributes.org_name as printed_body_name,
        document_attributes.name_variants,
        len(document_attributes.name_variants) as n_name_variants,
        name_attributes.body_kind,
        coalesce(document_attributes.region[1], name_attributes.name_province) as province,
        coalesce(document_attributes.region[2], name_attributes.name_city) as city,
        coalesce(document_attributes.region[3], name_attributes.name_county) as county,
        -- the body itself when it is a township or subdistrict: the fourth level, for grouping
        case when name_attributes.body_kind in ('township', 'subdistrict') then name_attributes.name_core end
            as township,
        document_attributes.region,
        coalesce(
            nullif(array_to_string(document_attributes.region, ' / '), ''),
            nullif(array_to_string(
                list_filter(
                    [name_attributes.name_province, name_attributes.name_city, name_attributes.name_county],
                    lambda d: d is not null
                ),
                ' / '
            ), '')
        ) as region_path,
        document_attributes.first_report_year,
        document_attributes.last_report_year,
        document_attributes.n_documents,
        document_attributes.n_current_reports,
        name_attributes.has_ambiguous_name,
        name_attributes.has_seed_alias

    from document_attributes
    inner join name_attributes
        on document_attributes.body_id = name_attributes.body_id

)

select * from bodies
