-- One row per roster line (stg_roster), resolved to the body it names as dim_body resolves the
-- names printed in report titles (int_body_names): the seed body_aliases first, then the
-- name without a trailing 人民政府 (stripped_body_name), then the one body with the same own name
-- whose divisions include the roster name's or are included in them (大涌镇 ↔ 中山市大涌镇).
-- A roster body that never filed keeps the key of its own stripped name (resolved_by = 'roster').

with

roster as (

    select * from {{ ref('stg_roster') }}

),

aliases as (

    select * from {{ ref('stg_body_aliases') }}

),

bodies as (

    select distinct body_id, canonical_name, name_core, name_divisions, body_kind
    from {{ ref('int_body_names') }}

),

stripped as (

    select
        roster.*,
        aliases.alias_normalised is not null as is_seed_alias,
        {{ stripped_body_name('coalesce(aliases.canonical_name_normalised, roster.roster_name_normalised)') }}
            as base_name

    from roster
    left join aliases
        on roster.roster_name_normalised = aliases.alias_normalised

),

parsed as (

    select
        stripped.*,
        {{ body_name_core('base_name') }} as name_core,
        {{ body_name_divisions(body_name_prefix('base_name')) }} as name_divisions

    from stripped

),

exact_matches as (

    select parsed.roster_seq, bodies.body_id, bodies.canonical_name, bodies.body_kind
    from parsed
    inner join bodies
        on parsed.base_name = bodies.canonical_name

),

rule_matches as (

    select
        parsed.roster_seq,
        min(bodies.body_id) as body_id,
        min(bodies.canonical_name) as canonical_name,
        min(bodies.body_kind) as body_kind,
        count(*) as n_matches

    from parsed
    inner join bodies
        on parsed.name_core = bodies.name_core
            and (
                list_has_all(bodies.name_divisions, parsed.name_divisions)
                or list_has_all(parsed.name_divisions, bodies.name_divisions)
            )
    where parsed.roster_seq not in (select roster_seq from exact_matches)
    group by parsed.roster_seq

),

resolved as (

    select
        parsed.roster_seq,
        parsed.roster_body_name,
        coalesce(exact_matches.body_id, rule_matches.body_id, {{ body_key('parsed.base_name') }}) as body_id,
        coalesce(exact_matches.canonical_name, rule_matches.canonical_name, parsed.base_name) as body_name,
        case
            when exact_matches.body_id is not null and parsed.is_seed_alias then 'seed'
            when exact_matches.body_id is not null then 'as_named'
            when rule_matches.n_matches = 1 then 'name_rules'
            when rule_matches.n_matches > 1 then 'ambiguous'
            else 'roster'
        end as resolved_by,
        parsed.roster_body_kind,
        coalesce(
            parsed.roster_body_kind,
            exact_matches.body_kind,
            rule_matches.body_kind,
            case
                when regexp_matches(parsed.name_core, '(镇|乡|苏木)$') then 'township'
                when regexp_matches(parsed.name_core, '街道$') then 'subdistrict'
                when regexp_matches(parsed.name_core, '(省|自治区|市|自治州|州|盟|地区|县|区|旗)$')
                    then 'government'
                else 'other'
            end
        ) as body_kind,
        parsed.parent_name,
        parsed.admin_code,
        parsed.from_year,
        parsed.to_year

    from parsed
    left join exact_matches
        on parsed.roster_seq = exact_matches.roster_seq
    left join rule_matches
        on parsed.roster_seq = rule_matches.roster_seq
            and rule_matches.n_matches = 1

)

select * from resolved
