-- Warnings (soft identities S1–S3) are attached only to published current reports: a report
-- the gate holds back is in quarantine, not warned about, and a superseded version is not
-- checked against its neighbours.

select
    report_warnings.document_id,
    report_warnings.check_id,
    dim_report.is_publishable,
    dim_report.is_current

from {{ ref('report_warnings') }} as report_warnings
left join {{ ref('dim_report') }} as dim_report
    on report_warnings.document_id = dim_report.document_id
where not coalesce(dim_report.is_publishable and dim_report.is_current, false)
