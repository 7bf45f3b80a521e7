-- Section 四: one row per report × proceeding (administrative review, litigation without or
-- after review) × outcome, for reports that passed the gate.

with

cells as (

    select * from {{ ref('int_cells_labelled') }}
    where table_code = 's4'

),

passed_reports as (

    select document_id from {{ ref('stg_gate_results') }}
    where passed_gate

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
        cells.is_imputed,
        cells.page,
        cells.line,
        cells.raw_text

    from cells
    inner join passed_reports
        on cells.document_id = passed_reports.document_id

)

select * from review_litigation
