with

source as (

    select * from {{ source('staging', 'narrative_claims') }}

),

renamed as (

    select
        document_id,
        claim_seq,
        claim_id,
        section,
        value,
        cells,
        page,
        line,
        raw_text

    from source

)

select * from renamed
