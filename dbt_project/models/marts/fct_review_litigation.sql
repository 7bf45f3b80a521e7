{{ config(**incremental_by_document()) }}

-- Section 四: one row per report × proceeding (row_code) (administrative review, litigation without or
-- after review) × outcome (col_code), for the current version of each body's report for a year
-- (int_report_versions) whose section 四 passed the gate; a filter of
-- fct_review_litigation_history (macro current_section_facts).

{{ current_section_facts('s4', 'fct_review_litigation_history', [
    'row_label as proceeding_label', 'row_label_en as proceeding_label_en',
    'col_label as outcome_label', 'col_label_en as outcome_label_en',
]) }}
