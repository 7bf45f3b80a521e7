with

source as (

    select * from {{ source('staging', 'documents') }}

),

renamed as (

    select
        ---------- ids
        document_id,

        ---------- what the report is
        org_name,
        region,
        cast(report_year as integer) as report_year,
        template_version,
        status,

        ---------- where it came from
        source_path,
        source_format,

        ---------- counts and timestamps
        n_cells,
        n_problems,
        loaded_at,
        coalesce(load_seq, 0) as load_seq,

        ---------- the current reading
        extractor_version,
        coalesce(reading_seq, 1) as reading_seq,
        coalesce(read_at, loaded_at) as read_at

    from source

)

select * from renamed
