-- Section 四: one row per report × proceeding (administrative review, litigation without or
-- after review) × outcome, for the current version of each body's report for a year
-- (int_report_versions); every published version is in fct_review_litigation_history.

with

cells as (

    select * from {{ ref('int_cells_labelled') }}
    where table_code = 's4'

),

current_reports as (

    -- the current version of each body-year: the latest one that passed the gate
    select document_id from {{ ref('int_report_versions') }}
    where is_current

),

review_litigation as (

    select
        cells.document_id,
        cells.body_id,
        cells.report_year,
        cells.template_version,
        cells.row_code as proceeding,
        cells.row_label as proceeding_label,
        cells.row_label_en as proceeding_label_en,
        cells.col_code as outcome,
        cells.col_label as outcome_label,
        cells.col_label_en as outcome_label_en,
        cells.value,
        cells.printed_value,
        cells.is_corrected,
        cells.correction_reason,
        cells.is_imputed,
        cells.page,
        cells.line,
        cells.raw_text

    from cells
    inner join current_reports
        on cells.document_id = current_reports.document_id

)

select * from review_litigation
