-- Two versions of a body's report for one year that arrived in the same load: the later
-- position in the load is taken as the correction (dim_report.is_current), which is only a
-- guess. A warning: check which one is the correction and load them apart if it matters.
{{ config(severity='warn') }}

select
    body_id,
    report_year,
    loaded_at,
    count(*) as n_versions_in_one_load,
    list(source_path order by load_seq) as source_paths

from {{ ref('dim_report') }}
where is_published
group by body_id, report_year, loaded_at
having count(*) > 1
