-- The extractor's problems, one per row, with the sections (s2, s3, s4) they concern: those of
-- their cells, or, for a problem about a whole table (table_missing: "section 四 table not
-- found"), the section its message names.  A problem that names no section concerns the report.

with

source as (

    select * from {{ source('staging', 'problems') }}

),

renamed as (

    select
        document_id,
        problem_seq,
        code as problem_code,
        severity,
        message,
        cells as cell_ids,
        candidates as candidates_json,
        raw as raw_text

    from source

),

with_sections as (

    select
        renamed.*,
        coalesce(
            nullif(list_sort(list_distinct(list_transform(
                cell_ids,
                lambda cell_id: case when cell_id like 's2.%' then 's2' else split_part(cell_id, '/', 1) end
            ))), []),
            case regexp_extract(message, 'section ([二三四])', 1)
                when '二' then ['s2']
                when '三' then ['s3']
                when '四' then ['s4']
                else []
            end
        ) as sections

    from renamed

)

select * from with_sections
