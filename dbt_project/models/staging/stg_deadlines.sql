with

source as (

    select * from {{ source('staging', 'deadlines') }}

),

renamed as (

    select
        body_kind,
        month as deadline_month,
        day as deadline_day

    from source

)

select * from renamed
