-- Every quarantined check belongs to a report that failed the gate or was rejected by the
-- extractor, and every such report has at least one quarantined check saying why.

with

quarantined_reports as (

    select distinct document_id from {{ ref('quarantine') }}

),

failed_reports as (

    select document_id from {{ ref('dim_report') }}
    where passed_gate = false or status = 'rejected'

)

select
    coalesce(quarantined_reports.document_id, failed_reports.document_id) as document_id,
    case
        when failed_reports.document_id is null then 'quarantined but neither failed nor rejected'
        else 'failed or rejected without a quarantined check'
    end as problem

from quarantined_reports
full outer join failed_reports
    on quarantined_reports.document_id = failed_reports.document_id
where quarantined_reports.document_id is null
    or failed_reports.document_id is null
