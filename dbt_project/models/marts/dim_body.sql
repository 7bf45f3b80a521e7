-- One row per reporting body (政府信息公开 reporting organisation). The key is md5 of the
-- body's canonical name (int_body_names): name variants of one body (spacing, 人民政府, the
-- county or city in front) share it. The name shown is the one printed on the body's latest
-- report; the region is the most specific one any of its reports gave, completed from the
-- division names in front of the canonical name. Province, city and county are taken whole from
-- one source, the first that has them: the roster's admin_code (looked up in the gazetteer), the
-- reports' region, the gazetteer's reading of the body's names (warehouse/gazetteer.py; only
-- when every name that gives a division gives the same one or one inside it), the division
-- names in front of the canonical name.

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

places as (

    select * from {{ ref('stg_places') }}

),

roster_bodies as (

    select * from {{ ref('int_roster_bodies') }}

),

-- every name of a body: as printed in its reports and as the roster writes it
all_names as (

    select body_id, org_name_normalised as name_normalised from body_names
    union
    select body_id, {{ normalised_org_name('roster_body_name') }} from roster_bodies

),

-- the significant digits of each division's code (35 福建省, 3501 福州市, 350128 平潭县)
name_places as (

    select
        all_names.body_id,
        places.admin_code,
        places.province,
        places.city,
        places.county,
        regexp_replace(places.admin_code, '(00)+$', '') as code_prefix

    from all_names
    inner join places
        on all_names.name_normalised = places.place_key and places.key_kind = 'name'

),

name_places_ranked as (

    select
        *,
        arg_max(code_prefix, len(code_prefix)) over (partition by body_id) as max_prefix

    from name_places

),

-- the most specific division any name gives, kept only when every other one contains it
gazetteer_places as (

    select
        body_id,
        arg_max(admin_code, len(code_prefix)) as admin_code,
        arg_max(province, len(code_prefix)) as province,
        arg_max(city, len(code_prefix)) as city,
        arg_max(county, len(code_prefix)) as county,
        bool_and(starts_with(max_prefix, code_prefix)) as is_consistent

    from name_places_ranked
    group by body_id

),

-- a roster line's code wins; several lines of one body with different codes give none
roster_places as (

    select
        roster_bodies.body_id,
        any_value(roster_bodies.admin_code) as admin_code,
        any_value(places.province) as province,
        any_value(places.city) as city,
        any_value(places.county) as county

    from roster_bodies
    left join places
        on trim(roster_bodies.admin_code) = places.place_key and places.key_kind = 'admin_code'
    where roster_bodies.admin_code is not null
    group by roster_bodies.body_id
    having count(distinct roster_bodies.admin_code) = 1

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
        case region_sources.region_basis
            when 'roster' then roster_places.province
            when 'report' then document_attributes.region[1]
            when 'gazetteer' then gazetteer_places.province
            when 'name' then name_attributes.name_province
        end as province,
        case region_sources.region_basis
            when 'roster' then roster_places.city
            when 'report' then document_attributes.region[2]
            when 'gazetteer' then gazetteer_places.city
            when 'name' then name_attributes.name_city
        end as city,
        case region_sources.region_basis
            when 'roster' then roster_places.county
            when 'report' then document_attributes.region[3]
            when 'gazetteer' then gazetteer_places.county
            when 'name' then name_attributes.name_county
        end as county,
        case region_sources.region_basis
            when 'roster' then roster_places.admin_code
            when 'gazetteer' then gazetteer_places.admin_code
        end as admin_code,
        region_sources.region_basis,
        -- the body itself when it is a township or subdistrict: the fourth level, for grouping
        case when name_attributes.body_kind in ('township', 'subdistrict') then name_attributes.name_core end
            as township,
        document_attributes.region,
        document_attributes.first_report_year,
        document_attributes.last_report_year,
        document_attributes.n_documents,
        document_attributes.n_current_reports,
        name_attributes.has_ambiguous_name,
        name_attributes.has_seed_alias

    from document_attributes
    inner join name_attributes
        on document_attributes.body_id = name_attributes.body_id
    left join roster_places
        on document_attributes.body_id = roster_places.body_id
    left join gazetteer_places
        on document_attributes.body_id = gazetteer_places.body_id and gazetteer_places.is_consistent
    cross join lateral (
        select case
            when roster_places.province is not null then 'roster'
            when len(document_attributes.region) > 0 then 'report'
            when gazetteer_places.province is not null then 'gazetteer'
            when coalesce(
                    name_attributes.name_province, name_attributes.name_city, name_attributes.name_county
                ) is not null then 'name'
        end as region_basis
    ) as region_sources

),

final as (

    select
        * exclude (
            region_basis, first_report_year, last_report_year, n_documents, n_current_reports,
            has_ambiguous_name, has_seed_alias
        ),
        -- a 直辖市 is its own city: 北京市 / 海淀区, not 北京市 / 北京市 / 海淀区
        case
            when region_basis = 'report' then array_to_string(region, ' / ')
            else nullif(
                    array_to_string(
                        list_filter(
                            [province, case when city is distinct from province then city end, county],
                            lambda d: d is not null
                        ),
                        ' / '
                    ),
                    ''
                )
        end as region_path,
        region_basis,
        first_report_year,
        last_report_year,
        n_documents,
        n_current_reports,
        has_ambiguous_name,
        has_seed_alias

    from bodies

)

select * from final
