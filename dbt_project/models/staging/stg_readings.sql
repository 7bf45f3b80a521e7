with

source as (

    select * from {{ source('staging', 'readings') }}

),

renamed as (

    select
        ---------- ids
        document_id,
        cast(reading_seq as integer) as reading_seq,

        ---------- who read it
        extractor_version,
        record_schema,
        record_digest,

        ---------- what it read
        source_path,
        status,
        org_name,
        cast(report_year as integer) as report_year,
        template_version,
        n_cells,
        n_problems,

        ---------- timestamps
        read_at,
        superseded_at,
        superseded_at is null as is_current_reading

    from source

)

select * from renamed
