-- One row per body name printed in a report title (normalised), resolved to the body it names.
--
-- Rules, in order (dbt_project/README.md, "Reporting bodies"):
--   1. the seed body_aliases maps a printed name to a canonical name;
--   2. a trailing 人民政府/政府 after a level of government goes (邢庄镇人民政府 → 邢庄镇), and
--      街道办事处 becomes 街道;
--   3. a name is split into leading division names and the body's own name
--      (中山市 + 大涌镇); a name resolves to the most qualified name with the same own name whose
--      divisions include all of its own (大涌镇 → 中山市大涌镇, 蓬莱区北沟镇 → 烟台市蓬莱区北沟镇),
--      but only when there is exactly one such name: a bare 城关镇 next to 金寨县城关镇 and
--      霍邱县城关镇 stays apart (resolved_by = 'ambiguous').
-- Names the seed mentions (aliases and canonical names) are fixed points: rule 3 never moves them.
-- The body key is md5 of the canonical name.

-- A table: every model of both phases reads it, and a view would resolve the names again each time.
{{ config(materialized='table') }}

with

documents as (

    select org_name from {{ ref('stg_documents') }}

),

aliases as (

    select * from {{ ref('stg_body_aliases') }}

),

printed_names as (

    select distinct {{ normalised_org_name('org_name') }} as org_name_normalised
    from documents
    where {{ normalised_org_name('org_name') }} is not null

),

seeded_names as (

    select
        printed_names.org_name_normalised,
        aliases.alias_normalised is not null as is_seed_alias,
        aliases.note as seed_note,
        {{ stripped_body_name('coalesce(aliases.canonical_name_normalised, printed_names.org_name_normalised)') }}  -- noqa: LT05
            as base_name

    from printed_names
    left join aliases
        on printed_names.org_name_normalised = aliases.alias_normalised

),

pinned_names as (

    select distinct {{ stripped_body_name('canonical_name_normalised') }} as base_name
    from aliases
    where canonical_name_normalised is not null

),

base_names as (

    select base_name from seeded_names
    union
    select base_name from pinned_names

),

parsed_names as (

    select
        base_name,
        {{ body_name_prefix('base_name') }} as name_prefix,
        {{ body_name_core('base_name') }} as name_core

    from base_names

),

divided_names as (

    select
        parsed_names.*,
        {{ body_name_divisions('name_prefix') }} as name_divisions,
        pinned_names.base_name is not null as is_pinned

    from parsed_names
    left join pinned_names
        on parsed_names.base_name = pinned_names.base_name

),

candidate_targets as (

    -- same own name, and the target's divisions include all of the name's; a pinned name is
    -- only its own candidate
    select
        names.base_name,
        targets.base_name as target_name,
        targets.name_divisions as target_divisions

    from divided_names as names
    inner join divided_names as targets
        on names.name_core = targets.name_core
            and list_has_all(targets.name_divisions, names.name_divisions)
    where not names.is_pinned
        or names.base_name = targets.base_name

),

most_qualified_targets as (

    select candidate_targets.*
    from candidate_targets
    where not exists (
            select 1
            from candidate_targets as wider
            where wider.base_name = candidate_targets.base_name
                and len(wider.target_divisions) > len(candidate_targets.target_divisions)
                and list_has_all(wider.target_divisions, candidate_targets.target_divisions)
        )

),

resolutions as (

    select
        base_name,
        count(*) as n_targets,
        case when count(*) = 1 then min(target_name) else base_name end as canonical_name

    from most_qualified_targets
    group by base_name

),

resolved_names as (

    select
        seeded_names.org_name_normalised,
        {{ body_key('resolutions.canonical_name') }} as body_id,
        resolutions.canonical_name,
        case
            when seeded_names.is_seed_alias then 'seed'
            when resolutions.n_targets > 1 then 'ambiguous'
            when resolutions.canonical_name = seeded_names.org_name_normalised then 'as_printed'
            else 'name_rules'
        end as resolved_by,
        seeded_names.seed_note,
        canonical.name_core,
        canonical.name_divisions,
        case
            when regexp_matches(canonical.name_core, '(镇|乡|苏木)$') then 'township'
            when regexp_matches(canonical.name_core, '街道$') then 'subdistrict'
            when regexp_matches(canonical.name_core, '(省|自治区|市|自治州|州|盟|地区|县|区|旗)$') then 'government'
            else 'other'
        end as body_kind,
        list_filter(canonical.name_divisions, lambda d: regexp_matches(d, '(省|自治区)$'))[1] as name_province,
        list_filter(canonical.name_divisions, lambda d: regexp_matches(d, '(市|自治州|州|盟|地区)$'))[-1]
            as name_city,
        list_filter(canonical.name_divisions, lambda d: regexp_matches(d, '(县|区|旗)$'))[-1] as name_county

    from seeded_names
    inner join resolutions
        on seeded_names.base_name = resolutions.base_name
    inner join divided_names as canonical
        on resolutions.canonical_name = canonical.base_name

)

select * from resolved_names
