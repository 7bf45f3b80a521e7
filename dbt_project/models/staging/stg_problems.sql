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
        cells as cell_ids

    from source

)

select * from renamed
