-- Warnings (soft identities S1–S3) are attached only to published reports with a current
-- section: a report the gate holds back is in quarantine, not warned about, and a superseded
-- version is not checked against its neighbours. Currency is per section (a version whose
-- section 三 is still the published one while a re-publication replaced its section 二 is
-- warned about for S1).

select
    report_warnings.document_id,
    report_warnings.check_id,
    dim_report.is_publishable,
    dim_report.is_current

from {{ ref('report_warnings') }} as report_warnings
left join {{ ref('dim_report') }} as dim_report
    on report_warnings.document_id = dim_report.document_id
where
    not coalesce(
        dim_report.is_publishable
        and (dim_report.s2_is_current or dim_report.s3_is_current or dim_report.s4_is_current),
        false
    )
